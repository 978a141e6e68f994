"""``plan --html FILE``: the page a planner opens instead of the terminal.

One self-contained file (no external assets; readable offline and with scripts off, which only
page and filter the list): the summary, agent calls per hour against each pool's own capacity
(messages and automated voice apart, never stacked over agent seats), count and value per
channel, per UF and time zone, exclusions with their citations, the planned list (the first
LIST_LIMIT rows in dialer order, searchable, paged; destinations masked) and, when the store has
one, a comparison with the previous archived plan. Debtors appear by id; nothing personal beyond
what the plan file itself holds, and phones and e-mails only masked.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from html import escape
from zoneinfo import ZoneInfo

from contactplan.html import _COLOURS, _CSS, bar_chart as _bars
from contactplan.errors import masked as _mask
from contactplan.model import Channel, PlannedContact
from contactplan.report import exclusions_by_rule

LIST_LIMIT = 5000
_PAGE_CSS = """section{margin-bottom:2em}.bars td.bar span{display:inline-block;height:.8em;background:#1f77b4}
.pool{display:inline-block;vertical-align:top;margin:0 1.5em 1em 0}.pool h3{margin:.2em 0;font-size:1em}
#list-filter{padding:.3em;width:24em}.pager button{margin:0 .3em}"""


def _hour(when: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return when.astimezone(zone).replace(minute=0, second=0, microsecond=0)


def _table(table_id: str, header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td{" class=num" if k >= numeric_from else ""}>{cell}</td>'
                                    for k, cell in enumerate(row)) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><tr>{head}</tr>{body}</table>'


def _share_bar(value: float, top: float) -> str:
    return f'<span style="width:{0 if top <= 0 else 12 * value / top:.2f}em"></span>'


def render_plan_page(plan, summary: Sequence[tuple[str, str]], regions: Mapping[str, str],
                     previous: tuple[str, dt.date, Sequence[PlannedContact]] | None = None) -> str:
    """``summary``: (label, value) rows; ``regions``: debtor id -> "BR-SP"; ``previous``: the
    previous archived plan (id, date, contacts) to compare with."""
    zone_name = plan.config.report_timezone
    zone = ZoneInfo(zone_name)
    contacts: tuple[PlannedContact, ...] = plan.contacts
    slot_hours = sorted({_hour(s.start, zone) for s in plan.slots})
    # Agent calls per pool against that pool's own seats; everything without agents apart.
    pool_used: dict[str, dict[dt.datetime, Counter]] = defaultdict(lambda: defaultdict(Counter))
    other: dict[dt.datetime, Counter] = defaultdict(Counter)
    for c in contacts:
        (pool_used[c.pool] if c.pool else other)[_hour(c.window_start, zone)][c.channel] += 1
    pool_cards = []
    for pool in plan.pools:
        capacity: Counter = Counter()
        for s in plan.slots:
            capacity[_hour(s.start, zone)] += pool.capacity[s.index]
        hours = [h for h in slot_hours if capacity[h] or pool_used[pool.name].get(h)]
        used = pool_used[pool.name]
        n, seats = sum(sum(u.values()) for u in used.values()), sum(capacity.values())
        load = f"{seats:,} seats ({n / seats:.0%} used)" if seats else "no seats today"
        pool_cards.append(f'<div class="pool"><h3>{escape(pool.name)}: {n:,} calls, {load}</h3>')
        pool_cards.append(_bars(f"pool-{escape(pool.name)}", f"agent calls per hour, pool {pool.name}", hours, used,
                                capacity) + "</div>")
    # Every hour from the first to the last with a message, so an hour without any shows as one.
    busy = sorted(other)
    other_hours = [h for h in slot_hours if busy and busy[0] <= h <= busy[-1]] or busy
    # Per channel, per UF, per zone.
    count, value = Counter(c.channel for c in contacts), defaultdict(float)
    for c in contacts:
        value[c.channel] += float(c.expected_value)
    top_value = max(value.values(), default=0.0)
    channel_rows = "".join(f'<tr><td>{channel.value}</td><td class="num">{count[channel]:,}</td><td class="num">'
                           f'{value[channel]:,.2f}</td><td class="bar">{_share_bar(value[channel], top_value)}</td></tr>'
                           for channel in Channel)
    by_region, region_value, by_zone = Counter(), defaultdict(float), Counter()
    for c in contacts:
        region = regions.get(c.debtor_id, "?")
        by_region[region] += 1
        region_value[region] += float(c.expected_value)
        by_zone[c.timezone] += 1
    region_rows = [[escape(r), f"{n:,}", f"{region_value[r]:,.2f}"] for r, n in sorted(by_region.items())]
    zone_rows = [[escape(z), f"{n:,}"] for z, n in sorted(by_zone.items(), key=lambda kv: -kv[1])]
    exclusion_rows = "".join(f'<tr class="exclusion"><td>{escape(r)}</td><td class="num">{n}</td>'
                             f'<td>{escape(citation or "-")}</td></tr>'
                             for r, n, citation in exclusions_by_rule(plan.exclusions))
    shown = contacts[:LIST_LIMIT]
    list_rows = "".join(
        f'<tr class="contact"><td>{c.rank}</td><td>{escape(c.debtor_id)}</td><td>{escape(c.channel.value)}</td>'
        f'<td>{escape(_mask(c.destination))}</td><td>{c.window_start.astimezone(ZoneInfo(c.timezone)):%H:%M}-'
        f'{c.window_end.astimezone(ZoneInfo(c.timezone)):%H:%M} {escape(c.timezone)}</td>'
        f'<td>{escape(c.pool)}</td><td class="num">{c.expected_value:,.2f}</td></tr>' for c in shown)
    list_note = (f"The first {len(shown):,} of {len(contacts):,} contacts in dialer order; the plan file has them all."
                 if len(contacts) > len(shown) else f"All {len(contacts):,} contacts, in dialer order.")
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in summary)
    status = ('<p id="status" class="clean">No violations.</p>' if not plan.violations else
              f'<p id="status" class="bad">{len(plan.violations)} violation(s).</p>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>contactplan plan {escape(plan.plan_id)}</title>
<style>{_CSS}{_PAGE_CSS}</style></head>
<body><h1>Plan {escape(plan.plan_id)} for {plan.plan_date}</h1>
<section><h2>Summary</h2><table id="summary">{rows}</table>{status}
<p>Violations shown: <span id="violation-count">{len(plan.violations)}</span></p></section>
<section><h2>Agent calls per hour ({escape(zone_name)}) against each pool's seats</h2>
{"".join(pool_cards) or "<p>No agent pools.</p>"}</section>
<section><h2>Messages and automated voice per hour ({escape(zone_name)})</h2>
{_bars("per-hour-other", "messages and automated voice per hour", other_hours, other, None)}
<p>{" ".join(f'<span style="color:{c}">&#9632; {ch}</span>' for ch, c in _COLOURS.items())}
<span style="color:#b00020">&#8213; capacity</span>. Contacts in the charts: <span id="chart-total"></span></p></section>
<section><h2>Per channel</h2><table id="per-channel" class="bars"><tr><th>channel</th><th>contacts</th>
<th>expected value</th><th></th></tr>{channel_rows}</table></section>
<section><h2>Per UF / state</h2>{_table("per-region", ("region", "contacts", "expected value"), region_rows)}
<h2>Per time zone</h2>{_table("per-zone", ("time zone", "contacts"), zone_rows)}</section>
<section><h2>Exclusions by rule</h2><table id="exclusions"><tr><th>rule</th><th>debtors</th><th>citation</th></tr>
{exclusion_rows}</table></section>
{_comparison(plan, previous)}
<section><h2>Planned contacts</h2><p>{list_note} Destinations are masked.</p>
<p><input id="list-filter" type="search" placeholder="filter: debtor id, channel, pool..."
 aria-label="filter the planned contacts"> <span class="pager"><button id="prev">&lt;</button>
<span id="page"></span><button id="next">&gt;</button></span></p>
<table id="contacts"><tr><th>rank</th><th>debtor</th><th>channel</th><th>destination</th><th>window (local)</th>
<th>pool</th><th>expected value</th></tr>{list_rows}</table></section>
<script>
let total = 0; document.querySelectorAll("rect.bar").forEach(r => total += Number(r.dataset.n));
document.getElementById("chart-total").textContent = total;
const rows = Array.from(document.querySelectorAll("tr.contact")); const size = 100; let page = 0, shown = rows;
function draw() {{
  const pages = Math.max(1, Math.ceil(shown.length / size)); page = Math.min(page, pages - 1);
  rows.forEach(r => r.style.display = "none");
  shown.slice(page * size, page * size + size).forEach(r => r.style.display = "");
  document.getElementById("page").textContent = `page ${{page + 1}} of ${{pages}} (${{shown.length}} rows)`;
}}
document.getElementById("list-filter").addEventListener("input", e => {{
  const q = e.target.value.toLowerCase(); shown = rows.filter(r => r.textContent.toLowerCase().includes(q));
  page = 0; draw();
}});
document.getElementById("prev").onclick = () => {{ page = Math.max(0, page - 1); draw(); }};
document.getElementById("next").onclick = () => {{ page += 1; draw(); }};
draw();
document.body.dataset.rendered = "ok";
</script></body></html>
"""


def _comparison(plan, previous) -> str:
    if previous is None:
        return ('<section><h2>Against the previous plan</h2><p id="previous">No earlier plan in the archive.</p>'
                '</section>')
    plan_id, day, before = previous
    now_ids = {c.debtor_id for c in plan.contacts}
    then_ids = {c.debtor_id for c in before}
    now_n, then_n = Counter(c.channel for c in plan.contacts), Counter(c.channel for c in before)
    rows = [[ch.value, f"{then_n[ch]:,}", f"{now_n[ch]:,}", f"{now_n[ch] - then_n[ch]:+,}"] for ch in Channel]
    rows.append(["all", f"{len(before):,}", f"{len(plan.contacts):,}", f"{len(plan.contacts) - len(before):+,}"])
    return (f'<section><h2>Against the previous plan</h2><p id="previous">{escape(plan_id)} of {day}: '
            f'{len(now_ids & then_ids):,} debtors planned in both, {len(now_ids - then_ids):,} only now, '
            f'{len(then_ids - now_ids):,} only then.</p>'
            + _table("comparison", ("channel", "then", "now", "change"), rows) + "</section>")
