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

from contactplan.html import _COLOURS, _CSS, bar_chart as _bars, grouped, money, number_script, script_value
from contactplan.errors import masked as _mask
from contactplan.i18n import current_language, tr, trc
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
        load = (tr("{seats:,} seats ({share:.0%} used)", seats=seats, share=n / seats) if seats
                else tr("no seats today"))
        heading = tr("{pool}: {n:,} calls, {load}", pool=escape(pool.name), n=n, load=load)
        pool_cards.append(f'<div class="pool"><h3>{heading}</h3>')
        pool_cards.append(_bars(f"pool-{escape(pool.name)}", tr("agent calls per hour, pool {pool}", pool=pool.name),
                                hours, used, capacity) + "</div>")
    # Every hour from the first to the last with a message, so an hour without any shows as one.
    busy = sorted(other)
    other_hours = [h for h in slot_hours if busy and busy[0] <= h <= busy[-1]] or busy
    # Per channel, per UF, per zone.
    count, value = Counter(c.channel for c in contacts), defaultdict(float)
    for c in contacts:
        value[c.channel] += float(c.expected_value)
    top_value = max(value.values(), default=0.0)
    channel_rows = "".join(f'<tr><td>{channel.value}</td><td class="num">{grouped(count[channel])}</td>'
                           f'<td class="num">{money(value[channel])}</td>'
                           f'<td class="bar">{_share_bar(value[channel], top_value)}</td></tr>' for channel in Channel)
    by_region, region_value, by_zone = Counter(), defaultdict(float), Counter()
    for c in contacts:
        region = regions.get(c.debtor_id, "?")
        by_region[region] += 1
        region_value[region] += float(c.expected_value)
        by_zone[c.timezone] += 1
    region_rows = [[escape(r), grouped(n), money(region_value[r])] for r, n in sorted(by_region.items())]
    zone_rows = [[escape(z), grouped(n)] for z, n in sorted(by_zone.items(), key=lambda kv: -kv[1])]
    exclusion_rows = "".join(f'<tr class="exclusion"><td>{escape(r)}</td><td class="num">{n}</td>'
                             f'<td>{escape(citation or "-")}</td></tr>'
                             for r, n, citation in exclusions_by_rule(plan.exclusions))
    shown = contacts[:LIST_LIMIT]
    list_rows = "".join(
        f'<tr class="contact"><td>{c.rank}</td><td>{escape(c.debtor_id)}</td><td>{escape(c.channel.value)}</td>'
        f'<td>{escape(_mask(c.destination))}</td><td>{c.window_start.astimezone(ZoneInfo(c.timezone)):%H:%M}-'
        f'{c.window_end.astimezone(ZoneInfo(c.timezone)):%H:%M} {escape(c.timezone)}</td>'
        f'<td>{escape(c.pool)}</td><td class="num">{money(c.expected_value)}</td></tr>' for c in shown)
    list_note = (tr("The first {shown:,} of {total:,} contacts in dialer order; the plan file has them all.",
                    shown=len(shown), total=len(contacts))
                 if len(contacts) > len(shown) else tr("All {n:,} contacts, in dialer order.", n=len(contacts)))
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in summary)
    status = ('<p id="status" class="clean">' + tr("No violations.") + "</p>" if not plan.violations else
              '<p id="status" class="bad">' + tr("{n} violation(s).", n=len(plan.violations)) + "</p>")
    # Words first, the page after: the catalogue's extractor does not look inside f-strings.
    w = {"title": tr("contactplan plan {plan}", plan=escape(plan.plan_id)),
         "heading": tr("Plan {plan} for {day}", plan=escape(plan.plan_id), day=plan.plan_date),
         "summary": tr("Summary"), "violations_shown": tr("Violations shown:"),
         "agent_calls": tr("Agent calls per hour ({zone}) against each pool's seats", zone=escape(zone_name)),
         "no_pools": tr("No agent pools."),
         "other": tr("Messages and automated voice per hour ({zone})", zone=escape(zone_name)),
         "other_label": tr("messages and automated voice per hour"), "capacity": tr("capacity"),
         "chart_total": tr("Contacts in the charts:"), "per_channel": tr("Per channel"), "channel": tr("channel"),
         "contacts": tr("contacts"), "value": tr("expected value"), "per_region": tr("Per UF / state"),
         "region": tr("region"), "per_zone": tr("Per time zone"), "zone": tr("time zone"),
         "exclusions": tr("Exclusions by rule"), "rule": tr("rule"), "debtors": tr("debtors"),
         "citation": tr("citation"), "planned": tr("Planned contacts"), "masked": tr("Destinations are masked."),
         "filter": escape(tr("filter: debtor id, channel, pool...")),
         "filter_label": escape(tr("filter the planned contacts")), "rank": tr("rank"), "debtor": tr("debtor"),
         "destination": tr("destination"), "window": tr("window (local)"), "pool": tr("pool"),
         "page": script_value(tr("page {page} of {pages} ({rows} rows)", page="{page}", pages="{pages}",
                                 rows="{rows}"))}
    return f"""<!doctype html>
<html lang="{current_language()}"><head><meta charset="utf-8"><title>{w["title"]}</title>
<style>{_CSS}{_PAGE_CSS}</style></head>
<body><h1>{w["heading"]}</h1>
<section><h2>{w["summary"]}</h2><table id="summary">{rows}</table>{status}
<p>{w["violations_shown"]} <span id="violation-count">{len(plan.violations)}</span></p></section>
<section><h2>{w["agent_calls"]}</h2>
{"".join(pool_cards) or "<p>" + w["no_pools"] + "</p>"}</section>
<section><h2>{w["other"]}</h2>
{_bars("per-hour-other", w["other_label"], other_hours, other, None)}
<p>{" ".join(f'<span style="color:{c}">&#9632; {ch}</span>' for ch, c in _COLOURS.items())}
<span style="color:#b00020">&#8213; {w["capacity"]}</span>. {w["chart_total"]} <span id="chart-total"></span></p>\
</section>
<section><h2>{w["per_channel"]}</h2><table id="per-channel" class="bars"><tr><th>{w["channel"]}</th>\
<th>{w["contacts"]}</th>
<th>{w["value"]}</th><th></th></tr>{channel_rows}</table></section>
<section><h2>{w["per_region"]}</h2>{_table("per-region", (w["region"], w["contacts"], w["value"]), region_rows)}
<h2>{w["per_zone"]}</h2>{_table("per-zone", (w["zone"], w["contacts"]), zone_rows)}</section>
<section><h2>{w["exclusions"]}</h2><table id="exclusions"><tr><th>{w["rule"]}</th><th>{w["debtors"]}</th>\
<th>{w["citation"]}</th></tr>
{exclusion_rows}</table></section>
{_comparison(plan, previous)}
<section><h2>{w["planned"]}</h2><p>{list_note} {w["masked"]}</p>
<p><input id="list-filter" type="search" placeholder="{w["filter"]}"
 aria-label="{w["filter_label"]}"> <span class="pager"><button id="prev">&lt;</button>
<span id="page"></span><button id="next">&gt;</button></span></p>
<table id="contacts"><tr><th>{w["rank"]}</th><th>{w["debtor"]}</th><th>{w["channel"]}</th>\
<th>{w["destination"]}</th><th>{w["window"]}</th>
<th>{w["pool"]}</th><th>{w["value"]}</th></tr>{list_rows}</table></section>
<script>
{number_script()}
const PAGE = {w["page"]};
let total = 0; document.querySelectorAll("rect.bar").forEach(r => total += Number(r.dataset.n));
document.getElementById("chart-total").textContent = num(total);
const rows = Array.from(document.querySelectorAll("tr.contact")); const size = 100; let page = 0, shown = rows;
function draw() {{
  const pages = Math.max(1, Math.ceil(shown.length / size)); page = Math.min(page, pages - 1);
  rows.forEach(r => r.style.display = "none");
  shown.slice(page * size, page * size + size).forEach(r => r.style.display = "");
  document.getElementById("page").textContent = PAGE.replace("{{page}}", num(page + 1))
    .replace("{{pages}}", num(pages)).replace("{{rows}}", num(shown.length));
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
        return ("<section><h2>" + tr("Against the previous plan") + '</h2><p id="previous">'
                + tr("No earlier plan in the archive.") + "</p></section>")
    plan_id, day, before = previous
    now_ids = {c.debtor_id for c in plan.contacts}
    then_ids = {c.debtor_id for c in before}
    now_n, then_n = Counter(c.channel for c in plan.contacts), Counter(c.channel for c in before)
    rows = [[ch.value, grouped(then_n[ch]), grouped(now_n[ch]), _change(now_n[ch] - then_n[ch])] for ch in Channel]
    rows.append([escape(trc("channels", "all")), grouped(len(before)), grouped(len(plan.contacts)),
                 _change(len(plan.contacts) - len(before))])
    line = tr("{plan} of {day}: {both:,} debtors planned in both, {now:,} only now, {then:,} only then.",
              plan=escape(plan_id), day=day, both=len(now_ids & then_ids), now=len(now_ids - then_ids),
              then=len(then_ids - now_ids))
    return ("<section><h2>" + tr("Against the previous plan") + f'</h2><p id="previous">{line}</p>'
            + _table("comparison", (tr("channel"), tr("then"), tr("now"), tr("change")), rows) + "</section>")


def _change(n: int) -> str:
    """A difference with its sign, grouped in the page's language (+1,234 or -5)."""
    return tr("{n:+,}", n=n)
