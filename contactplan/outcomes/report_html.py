"""The indicators as a page a collection manager opens instead of a table: right-party contact
rate by local hour per channel, the trend by date, the grouped table (thin rows marked) and the
holdout lift. One self-contained file, no personal data (no debtor appears at all)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from contactplan.html import _COLOURS, _CSS, grouped
from contactplan.i18n import N_, current_language, tr
from contactplan.model import Channel
from contactplan.outcomes.indicators import COLUMNS, Indicators, Tally

_W, _H, _LEFT, _BOTTOM = 640, 220, 56, 36


def _nice_top(highest: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5 or 5 times a power of ten at or above the highest
    rate, so the four gridlines read 5 %, 10 %, 15 %... rather than 7.6 %, 15.3 %..."""
    if highest <= 0:
        return 0.01
    power = 10 ** math.floor(math.log10(highest))
    return min(1.0, next(m * power for m in (1, 2, 2.5, 4, 5, 10) if m * power >= highest))


def _rate(value: float | None) -> str:
    """A rate as a decimal with four places in the page's language (0.1250 or 0,1250); blank
    where there were no attempts."""
    return "" if value is None else tr("{rate:.4f}", rate=value)


def _line_chart(chart_id: str, label: str, xs: Sequence[str], series: dict[str, tuple[str, list[float | None]]],
                thin: dict[str, list[bool]] | None = None, names: dict[str, str] | None = None) -> str:
    """Rates (0..1) against categories, one polyline per series, axes labelled in percent. Points
    of ``thin`` cells (too few attempts) are drawn hollow and say so. ``names``: what the legend
    and tooltips call a series (``data-series`` keeps its key)."""
    if not xs or not series:
        return f'<p id="{chart_id}-empty">' + tr("No attempts.") + "</p>"
    names = names or {}
    top = _nice_top(max((v for _, values in series.values() for v in values if v is not None), default=0))
    step = (_W - _LEFT - 30) / max(1, len(xs) - 1)

    def x(k: int) -> float:
        return _LEFT + k * step if len(xs) > 1 else _LEFT + (_W - _LEFT) / 2

    def y(v: float) -> float:
        return 10 + (_H - 10) * (1 - v / top)

    parts = [f'<svg id="{chart_id}" width="{_W}" height="{_H + _BOTTOM}" role="img" aria-label="{escape(label)}">']
    for frac in (0, 0.25, 0.5, 0.75, 1):
        v = top * frac
        tick = tr("{percent:.4g} %", percent=100 * v)
        parts.append(f'<line x1="{_LEFT}" x2="{_W}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                     f'<text x="2" y="{y(v) + 4:.1f}">{tick}</text>')
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
        shown = escape(names.get(name, name))
        for px, py, v, at, few in points:
            fill = f'fill="white" stroke="{colour}" class="point thin"' if few else f'fill="{colour}" class="point"'
            tip = (tr("{series} {at}: {rate:.2%} (thin: few attempts)", series=shown, at=escape(at), rate=v) if few
                   else tr("{series} {at}: {rate:.2%}", series=shown, at=escape(at), rate=v))
            parts.append(f'<circle {fill} data-series="{escape(name)}" data-rate="{v:.4f}" cx="{px:.1f}" '
                         f'cy="{py:.1f}" r="3"><title>{tip}</title></circle>')
    parts.append("</svg>")
    legend = " ".join(f'<span style="color:{colour}">&#9632; {escape(names.get(name, name))}</span>'
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


# The trend's series: the key stays in data-series, the name is what a person reads.
_TREND_NAMES = {"right-party contact rate": N_("right-party contact rate"), "promise rate": N_("promise rate"),
                "connect rate": N_("connect rate")}

# The groupings the page draws, tallied in the same pass as the table (indicators(side=CHARTS)).
CHARTS = {"hourly": lambda a: (a.channel, a.attempted_at.hour), "daily": lambda a: a.attempted_at.date()}


def _percent(value: float) -> str:
    """A rate in percent with four decimals, in the page's language (12.5000% or 12,5000%)."""
    return tr("{rate:.4%}", rate=value)


def render_report_html(result: Indicators, min_attempts: int, lift=None) -> str:
    hourly = result.side["hourly"]
    daily = result.side["daily"]
    t = result.total
    head = "".join(f"<th>{escape(c)}</th>" for c in (*result.by, *COLUMNS))
    body = []
    for row in result.rows:
        values = row.values()
        cells = [*(escape(k) for k in row.key), *(grouped(v) for v in values[:4]), *(_rate(v) for v in values[4:])]
        title = ' title="' + escape(tr("thin: fewer than {n} attempts", n=min_attempts)) + '"' if row.thin else ""
        tds = "".join(f'<td class="num">{c}</td>' if k >= len(result.by) else f"<td>{c}</td>"
                      for k, c in enumerate(cells))
        body.append(f'<tr class="row{" thin" if row.thin else ""}"{title}>{tds}</tr>')
    thin = sum(1 for r in result.rows if r.thin)
    lift_html = ""
    if lift is not None and lift.interval() is not None:
        lo, hi = lift.interval()
        lift_line = tr("Difference {difference:+.3f} points (95 % CI {low:+.3f} to {high:+.3f}, Newcombe), every "
                       "debtor assigned to an arm counted, contacted or not.",
                       difference=lift.difference * 100, low=lo * 100, high=hi * 100)
        w = {"lift": tr("Holdout lift"), "arm": tr("arm"), "days": tr("debtor-days"), "with": tr("with a promise"),
             "rate": tr("promise rate"), "champion": tr("champion (optimiser)"), "challenger": tr("challenger")}
        lift_html = (f'<h2>{w["lift"]}</h2><table id="lift"><tr><th>{w["arm"]}</th>'
                     f'<th>{w["days"]}</th><th>{w["with"]}'
                     f'</th><th>{w["rate"]}</th></tr><tr><td>{w["champion"]}</td>'
                     f'<td class="num">{grouped(lift.champion_debtors)}</td>'
                     f'<td class="num">{grouped(lift.champion_promises)}</td><td class="num">'
                     f'{_percent(lift.champion_rate)}</td></tr><tr><td>{w["challenger"]}</td><td class="num">'
                     f'{grouped(lift.challenger_debtors)}</td><td class="num">{grouped(lift.challenger_promises)}</td>'
                     f'<td class="num">{_percent(lift.challenger_rate)}</td></tr></table>'
                     f'<p id="lift-line">{lift_line}</p>')
    hx, hs, hthin = _by_hour(hourly, min_attempts)
    dx, ds = _by_date(daily, result.first, result.last)
    # Words first, the page after: the catalogue's extractor does not look inside f-strings.
    w = {"title": tr("contactplan indicators {first} to {last}", first=result.first, last=result.last),
         "heading": tr("Indicators {first} to {last}", first=result.first, last=result.last),
         "attempts": tr("attempts"), "connect": tr("connect rate"), "rpc": tr("right-party contact rate"),
         "promise": tr("promise rate"), "inbound": tr("inbound rows (not attempts)"),
         "callbacks": tr("calls back asked for"), "by_hour": tr("Right-party contact rate by local hour, per channel"),
         "by_hour_label": tr("right-party contact rate by local hour per channel"),
         "hollow": tr("Hollow points: fewer than {n} attempts in that hour (thin).", n=min_attempts),
         "trend": tr("Trend by date"), "trend_label": tr("rates by date"),
         "by": tr("By {grouping}", grouping=escape(", ".join(result.by)))}
    trend_names = {key: tr(name) for key, name in _TREND_NAMES.items()}
    thin_line = tr("Rates are per attempt. Rows in grey italics are thin (fewer than {n} attempts): {thin}.",
                   n=min_attempts, thin=thin)
    definitions = tr("Definitions: connects = conversation, promise_to_pay, wrong_party, refused, opt_out, "
                     "callback_requested;\nright-party contact = connects except wrong_party; promises = "
                     "promise_to_pay; hour and weekday local to each\nattempt.")
    return f"""<!doctype html>
<html lang="{current_language()}"><head><meta charset="utf-8"><title>{w["title"]}</title>
<style>{_CSS}tr.thin td{{color:#888;font-style:italic}}</style></head>
<body><h1>{w["heading"]}</h1>
<table id="summary"><tr><th>{w["attempts"]}</th><td class="num">{grouped(t.attempts)}</td></tr>
<tr><th>{w["connect"]}</th><td class="num">{_rate(t.rate(t.connects))}</td></tr>
<tr><th>{w["rpc"]}</th><td class="num">{_rate(t.rate(t.rpc))}</td></tr>
<tr><th>{w["promise"]}</th><td class="num">{_rate(t.rate(t.promises))}</td></tr>
<tr><th>{w["inbound"]}</th><td class="num">{grouped(result.inbound)}</td></tr>
<tr><th>{w["callbacks"]}</th><td class="num">{grouped(result.callbacks)}</td></tr></table>
<h2>{w["by_hour"]}</h2>{_line_chart("rate-by-hour", w["by_hour_label"], hx, hs, hthin)}
<p>{w["hollow"]}</p>
<h2>{w["trend"]}</h2>{_line_chart("trend-by-date", w["trend_label"], dx, ds, names=trend_names)}
{lift_html}
<h2>{w["by"]}</h2>
<p>{thin_line}</p>
<table id="indicators"><tr>{head}</tr>{"".join(body)}</table>
<p>{definitions}</p>
<script>
document.body.dataset.points = document.querySelectorAll("circle.point").length;
document.body.dataset.rendered = "ok";
</script></body></html>
"""
