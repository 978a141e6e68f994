"""A self-contained HTML report for compliance review (``--html FILE`` on plan and audit).

One file, no external assets (reviewers open it offline): summary, violations, exclusion
reasons, and contacts per hour against capacity as an inline SVG chart. A few lines of script
only fill in totals, so the page reads the same with scripts off. Debtors appear by id only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape

from contactplan.i18n import current_language, tr
from contactplan.model import Channel, Exclusion
from contactplan.report import exclusions_by_rule
from contactplan.rules.base import Violation

_COLOURS = {Channel.VOICE: "#1f77b4", Channel.IVR: "#9467bd", Channel.SMS: "#2ca02c", Channel.WHATSAPP: "#17becf",
            Channel.EMAIL: "#bcbd22"}
_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.clean{color:#2a7a2a}.bad{color:#b00020}.num{text-align:right}svg text{font-size:11px}"""


def grouped(n: int) -> str:
    """A count as people read it in the page's language (1,234 in English, 1.234 in Portuguese)."""
    return tr("{n:,}", n=n)


def money(value: float) -> str:
    """An amount with two decimals in the page's language (1,234.50 or 1.234,50)."""
    return tr("{value:,.2f}", value=value)


def script_value(value) -> str:
    """``value`` as a JavaScript literal safe inside ``<script>``: JSON, ASCII only, with no
    ``<``, ``>`` or ``&`` that could close the script or start markup."""
    return (json.dumps(value, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def number_script() -> str:
    """``num(n)``: a count the script writes into the page, grouped like the page's other numbers
    in Portuguese, as the plain number in English."""
    return f"const num = n => {script_value(current_language() == 'pt-BR')} ? n.toLocaleString(\"pt-BR\") : String(n);"


def bar_chart(chart_id: str, label: str, hours: Sequence[dt.datetime], used: Mapping[dt.datetime, Counter],
              capacity: Mapping[dt.datetime, int] | None, width: int = 26) -> str:
    """Contacts per hour by channel as stacked bars (``rect.bar``, ``data-n``), with a capacity
    line per hour (``line.capacity``) when given. Inline SVG: the page needs nothing else."""
    if not hours:
        return "<p>" + tr("No contacts.") + "</p>"
    totals = [sum(used.get(h, Counter()).values()) for h in hours]
    top = max(totals + ([capacity.get(h, 0) for h in hours] if capacity else [])) or 1
    height, step = 200, width + 10
    parts = [f'<svg id="{chart_id}" width="{step * len(hours) + 50}" height="{height + 34}" role="img" '
             f'aria-label="{escape(label)}">',
             f'<text x="0" y="12">{top}</text><text x="0" y="{height}">0</text>']
    for k, h in enumerate(hours):
        x, y = 40 + step * k, height
        for channel in Channel:
            n = used.get(h, Counter()).get(channel, 0)
            if n:
                bar = n / top * (height - 16)
                y -= bar
                parts.append(f'<rect class="bar" data-channel="{channel}" data-n="{n}" x="{x}" y="{y:.1f}" '
                             f'width="{width}" height="{bar:.1f}" fill="{_COLOURS[channel]}"><title>{h:%H:%M} '
                             f'{channel}: {n}</title></rect>')
        cap = capacity.get(h, 0) if capacity else 0
        if cap:
            cy = height - cap / top * (height - 16)
            tip = tr("{hour:%H:%M} capacity {cap}", hour=h, cap=cap)
            parts.append(f'<line class="capacity" data-capacity="{cap}" x1="{x - 3}" x2="{x + width + 3}" '
                         f'y1="{cy:.1f}" y2="{cy:.1f}" stroke="#b00020" stroke-width="2"><title>'
                         f'{tip}</title></line>')
        if k % 2 == 0 or len(hours) <= 12:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{height + 14}" text-anchor="middle">{h:%H}h</text>')
    parts.append("</svg>")
    return "".join(parts)


def _chart(hourly: Sequence[tuple[dt.datetime, Counter, int]]) -> str:
    hours = [h for h, _, _ in hourly]
    chart = bar_chart("per-hour", tr("contacts per hour against capacity"), hours, {h: u for h, u, _ in hourly},
                      {h: cap for h, _, cap in hourly})
    legend = " ".join(f'<span style="color:{c}">&#9632; {ch}</span>' for ch, c in _COLOURS.items())
    capacity = tr("agent capacity")
    return chart + f'<p>{legend} <span style="color:#b00020">&#8213; {capacity}</span></p>'


# A page a browser opens: a log's million violations would be half a gigabyte of table. The
# json and csv reports hold every one.
HTML_ROWS = 10_000


def render_html(title: str, summary: Sequence[tuple[str, str]], violations: Sequence[Violation],
                exclusions: Sequence[Exclusion], hourly: Sequence[tuple[dt.datetime, Counter, int]],
                zone: str) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in summary)
    status = ('<p id="status" class="clean">' + tr("No violations.") + "</p>" if not violations else
              '<p id="status" class="bad">' + tr("{n} violation(s).", n=len(violations)) + "</p>")
    vrows = "".join(
        f'<tr class="violation"><td>{escape(v.rule_id)}</td><td>{escape(str(v.severity))}</td>'
        f'<td>{escape(v.debtor_id)}</td><td>{escape(str(v.channel or ""))}</td>'
        f'<td>{escape(v.at.isoformat() if v.at else "")}</td><td>{escape(v.message)}</td>'
        f'<td>{escape(v.citation)}</td></tr>' for v in itertools.islice(violations, HTML_ROWS))
    if len(violations) > HTML_ROWS:
        vrows += ('<tr><td colspan="7">' + escape(tr("(the first {shown} of {n} violations; --format csv or json "
                                                     "lists them all)", shown=HTML_ROWS, n=len(violations)))
                  + "</td></tr>")
    erows = "".join(f'<tr class="exclusion"><td>{escape(r)}</td><td class="num">{n}</td>'
                    f'<td>{escape(citation or "-")}</td></tr>' for r, n, citation in exclusions_by_rule(exclusions))
    # Words first, the page after: the catalogue's extractor does not look inside f-strings.
    w = {"summary": tr("Summary"), "violations": tr("Violations"), "shown": tr("Shown:"), "rule": tr("rule"),
         "severity": tr("severity"), "debtor": tr("debtor"), "channel": tr("channel"), "at": tr("at"),
         "wrong": tr("what is wrong"), "citation": tr("citation"), "exclusions": tr("Exclusion reasons"),
         "debtors": tr("debtors"), "chart_total": tr("Contacts in the chart:"),
         "per_hour": tr("Contacts per hour ({zone}) against agent capacity", zone=escape(zone))}
    return f"""<!doctype html>
<html lang="{current_language()}"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{_CSS}</style></head>
<body><h1>{escape(title)}</h1>
<h2>{w["summary"]}</h2><table id="summary">{rows}</table>{status}
<h2>{w["violations"]}</h2><p>{w["shown"]} <span id="violation-count">{len(violations)}</span></p>
<table id="violations"><tr><th>{w["rule"]}</th><th>{w["severity"]}</th><th>{w["debtor"]}</th><th>{w["channel"]}</th>\
<th>{w["at"]}</th><th>{w["wrong"]}</th>
<th>{w["citation"]}</th></tr>{vrows}</table>
<h2>{w["exclusions"]}</h2><table id="exclusions"><tr><th>{w["rule"]}</th><th>{w["debtors"]}</th>\
<th>{w["citation"]}</th></tr>{erows}</table>
<h2>{w["per_hour"]}</h2>{_chart(hourly)}
<p>{w["chart_total"]} <span id="chart-total"></span></p>
<script>
{number_script()}
document.getElementById("violation-count").textContent = num(document.querySelectorAll("tr.violation").length);
let total = 0; document.querySelectorAll("rect.bar").forEach(r => total += Number(r.dataset.n));
document.getElementById("chart-total").textContent = num(total);
document.body.dataset.rendered = "ok";
</script></body></html>
"""
