"""The indicators as a page a collection manager opens instead of a table: right-party contact
rate by local hour per channel, the trend by date, the grouped table (thin rows marked) and the
holdout lift. One self-contained file, no personal data (no debtor appears at all)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from contactplan.html import _COLOURS, _CSS
from contactplan.model import Channel
from contactplan.outcomes.indicators import COLUMNS, Indicators, Tally, rate_text

_W, _H, _LEFT, _BOTTOM = 640, 220, 56, 36


def _nice_top(highest: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5 or 5 times a power of ten at or above the highest
    rate, so the four gridlines read 5 %, 10 %, 15 %... rather than 7.6 %, 15.3 %..."""
    if highest <= 0:
        return 0.01
    power = 10 ** math.floor(math.log10(highest))
    return min(1.0, next(m * power for m in (1, 2, 2.5, 4, 5, 10) if m * power >= highest))


def _line_chart(chart_id: str, label: str, xs: Sequence[str], series: dict[str, tuple[str, list[float | None]]],
                thin: dict[str, list[bool]] | None = None) -> str:
    """Rates (0..1) against categories, one polyline per series, axes labelled in percent. Points
    of ``thin`` cells (too few attempts) are drawn hollow and say so."""
    if not xs or not series:
        return f'<p id="{chart_id}-empty">No attempts.</p>'
    top = _nice_top(max((v for _, values in series.values() for v in values if v is not None), default=0))
    step = (_W - _LEFT - 30) / max(1, len(xs) - 1)

    def x(k: int) -> float:
        return _LEFT + k * step if len(xs) > 1 else _LEFT + (_W - _LEFT) / 2

    def y(v: float) -> float:
        return 10 + (_H - 10) * (1 - v / top)

    parts = [f'<svg id="{chart_id}" width="{_W}" height="{_H + _BOTTOM}" role="img" aria-label="{escape(label)}">']
    for frac in (0, 0.25, 0.5, 0.75, 1):
        v = top * frac
        parts.append(f'<line x1="{_LEFT}" x2="{_W}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                     f'<text x="2" y="{y(v) + 4:.1f}">{100 * v:.4g} %</text>')
    every = max(1, len(xs) // 12)
    for k, name in enumerate(xs):
        if k % every == 0:
            parts.append(f'<text x="{x(k):.1f}" y="{_H + 16}" text-anchor="middle">{escape(name)}</text>')
    for name, (colour, values) in series.items():
        flags = (thin or {}).get(name) or [False] * len(values)
        points = [(x(k), y(v), v, xs[k], flags[k]) for k, v in enumerate(values) if v is not None]
        # A line only between neighbouring categories that both have data: a gap stays a gap.
        runs: list[list[tuple[float, float]]] = []
        for k, v in enumerate(values):
            if v is None:
                continue
            if runs and k > 0 and values[k - 1] is not None:
                runs[-1].append((x(k), y(v)))
            else:
                runs.append([(x(k), y(v))])
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(f'<polyline class="series" data-series="{escape(name)}" points="{path}" fill="none" '
                             f'stroke="{colour}" stroke-width="2"/>')
        for px, py, v, at, few in points:
            fill = f'fill="white" stroke="{colour}" class="point thin"' if few else f'fill="{colour}" class="point"'
            parts.append(f'<circle {fill} data-series="{escape(name)}" data-rate="{v:.4f}" cx="{px:.1f}" '
                         f'cy="{py:.1f}" r="3"><title>{escape(name)} {escape(at)}: {v:.2%}'
                         f'{" (thin: few attempts)" if few else ""}</title></circle>')
    parts.append("</svg>")
    legend = " ".join(f'<span style="color:{colour}">&#9632; {escape(name)}</span>'
                      for name, (colour, _) in series.items())
    return "".join(parts) + f"<p>{legend}</p>"


def _by_hour(cells: dict[tuple, Tally], min_attempts: int
             ) -> tuple[list[str], dict[str, tuple[str, list[float | None]]], dict[str, list[bool]]]:
    # Every hour from the first to the last, so an hour without attempts shows as a gap in the
    # line, not as two hours side by side.
    seen = {h for _, h in cells}
    hours = list(range(min(seen), max(seen) + 1)) if seen else []
    series, thin = {}, {}
    for channel in Channel:
        values = [cells[(channel, h)].rate(cells[(channel, h)].rpc) if (channel, h) in cells else None for h in hours]
        if any(v is not None for v in values):
            series[channel.value] = (_COLOURS[channel], values)
            thin[channel.value] = [(channel, h) in cells and cells[(channel, h)].attempts < min_attempts for h in hours]
    return [f"{h:02d}h" for h in hours], series, thin


def _by_date(cells: dict[tuple, Tally], first: dt.date, last: dt.date
             ) -> tuple[list[str], dict[str, tuple[str, list[float | None]]]]:
    # Every day from the first to the last with attempts: a day without any (a holiday, a Sunday)
    # is a gap in the line (and a period of years with one busy week draws that week).
    start, end = (min(cells), max(cells)) if cells else (first, first)
    days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)] if cells else []

    def rates(count) -> list[float | None]:
        return [cells[d].rate(count(cells[d])) if d in cells else None for d in days]

    return ([d.isoformat()[5:] for d in days],
            {"right-party contact rate": ("#1f77b4", rates(lambda t: t.rpc)),
             "promise rate": ("#d62728", rates(lambda t: t.promises)),
             "connect rate": ("#7f7f7f", rates(lambda t: t.connects))})


# The groupings the page draws, tallied in the same pass as the table (indicators(side=CHARTS)).
CHARTS = {"hourly": lambda a: (a.channel, a.attempted_at.hour), "daily": lambda a: a.attempted_at.date()}


def render_report_html(result: Indicators, min_attempts: int, lift=None) -> str:
    hourly = result.side["hourly"]
    daily = result.side["daily"]
    t = result.total
    head = "".join(f"<th>{escape(c)}</th>" for c in (*result.by, *COLUMNS))
    body = []
    for row in result.rows:
        values = row.values()
        cells = [*(escape(k) for k in row.key), *(f"{v:,}" for v in values[:4]), *(rate_text(v) for v in values[4:])]
        title = f' title="thin: fewer than {min_attempts} attempts"' if row.thin else ""
        tds = "".join(f'<td class="num">{c}</td>' if k >= len(result.by) else f"<td>{c}</td>"
                      for k, c in enumerate(cells))
        body.append(f'<tr class="row{" thin" if row.thin else ""}"{title}>{tds}</tr>')
    thin = sum(1 for r in result.rows if r.thin)
    lift_html = ""
    if lift is not None and lift.interval() is not None:
        lo, hi = lift.interval()
        lift_html = (f'<h2>Holdout lift</h2><table id="lift"><tr><th>arm</th><th>debtor-days</th><th>with a promise'
                     f'</th><th>promise rate</th></tr><tr><td>champion (optimiser)</td><td class="num">'
                     f'{lift.champion_debtors:,}</td><td class="num">{lift.champion_promises:,}</td><td class="num">'
                     f'{lift.champion_rate:.4%}</td></tr><tr><td>challenger</td><td class="num">'
                     f'{lift.challenger_debtors:,}</td><td class="num">{lift.challenger_promises:,}</td>'
                     f'<td class="num">{lift.challenger_rate:.4%}</td></tr></table><p id="lift-line">Difference '
                     f'{lift.difference * 100:+.3f} points (95 % CI {lo * 100:+.3f} to {hi * 100:+.3f}, Newcombe), '
                     f'every debtor assigned to an arm counted, contacted or not.</p>')
    hx, hs, hthin = _by_hour(hourly, min_attempts)
    dx, ds = _by_date(daily, result.first, result.last)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>contactplan indicators {result.first} to {result.last}</title>
<style>{_CSS}tr.thin td{{color:#888;font-style:italic}}</style></head>
<body><h1>Indicators {result.first} to {result.last}</h1>
<table id="summary"><tr><th>attempts</th><td class="num">{t.attempts:,}</td></tr>
<tr><th>connect rate</th><td class="num">{rate_text(t.rate(t.connects))}</td></tr>
<tr><th>right-party contact rate</th><td class="num">{rate_text(t.rate(t.rpc))}</td></tr>
<tr><th>promise rate</th><td class="num">{rate_text(t.rate(t.promises))}</td></tr>
<tr><th>inbound rows (not attempts)</th><td class="num">{result.inbound:,}</td></tr>
<tr><th>calls back asked for</th><td class="num">{result.callbacks:,}</td></tr></table>
<h2>Right-party contact rate by local hour, per channel</h2>{_line_chart("rate-by-hour", "right-party contact rate by local hour per channel", hx, hs, hthin)}
<p>Hollow points: fewer than {min_attempts} attempts in that hour (thin).</p>
<h2>Trend by date</h2>{_line_chart("trend-by-date", "rates by date", dx, ds)}
{lift_html}
<h2>By {escape(", ".join(result.by))}</h2>
<p>Rates are per attempt. Rows in grey italics are thin (fewer than {min_attempts} attempts): {thin}.</p>
<table id="indicators"><tr>{head}</tr>{"".join(body)}</table>
<p>Definitions: connects = conversation, promise_to_pay, wrong_party, refused, opt_out, callback_requested;
right-party contact = connects except wrong_party; promises = promise_to_pay; hour and weekday local to each
attempt.</p>
<script>
document.body.dataset.points = document.querySelectorAll("circle.point").length;
document.body.dataset.rendered = "ok";
</script></body></html>
"""
