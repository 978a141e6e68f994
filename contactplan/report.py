"""The planner's summary on stderr (rich): counts that add up, exclusions by rule, contacts per
channel, and contacts per hour against capacity. Never prints personal data: debtors appear by
id only, rejected rows by file:line:column."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contactplan.i18n import N_, tr
from contactplan.io.csvfile import unknown_columns as listed_columns
from contactplan.io.values import weekday_shown
from contactplan.model import Channel, Plan, PlannedContact, Pool, Slot

MAX_REJECTIONS_SHOWN = 20


# What a zone was read from (the debtor's municipality code, ZIP, area code, ...), for people.
ZONE_SOURCES = {"municipality": N_("municipality"), "region": N_("region"), "override": N_("override"),
                "postal_code": N_("postal code"), "area_code": N_("area code")}


# The phases of the timings line (Plan.timings keys), for people.
PHASES = {"read": N_("read"), "store": N_("store"), "capacity": N_("capacity"), "rules": N_("rules"),
          "solve": N_("solve"), "extract": N_("extract"), "audit": N_("audit"), "archive": N_("archive"),
          "write": N_("write"), "total": N_("total"), "greedy": N_("greedy"),
          "horizon_rules": N_("horizon rules")}


def zone_source(source: str) -> str:
    """Where a debtor's zone came from, in the reader's words (the key itself when unknown)."""
    return tr(ZONE_SOURCES[source]) if source in ZONE_SOURCES else source


def _source(source: str) -> str:
    """A config's or model's source for people: its path, or "(defaults)" in the reader's words."""
    return tr("(defaults)") if source == "(defaults)" else source


def render_summary(plan: Plan, console: Console, *, written_to: str | None, unknown_columns: dict[str, list[str]]
                   ) -> None:
    c = plan.counts
    console.print(tr("[bold]Plan {plan}[/bold] for {day} (packs {packs}, config {config})", plan=plan.plan_id,
                     day=plan.plan_date, packs=plan.provenance.get("packs", ""), config=_source(plan.config.source)))
    for path, cols in unknown_columns.items():
        if cols:
            console.print(tr("[yellow]warning:[/yellow] {path}: ignored unknown column(s): {columns}",
                             path=escape(path), columns=escape(listed_columns(cols))),
                          soft_wrap=True, highlight=False)
    for r in plan.rejections[:MAX_REJECTIONS_SHOWN]:
        console.print(tr("[red]rejected[/red] {row}", row=escape(str(r))), soft_wrap=True, highlight=False)
    if len(plan.rejections) > MAX_REJECTIONS_SHOWN:
        console.print(tr("[red]... and {n} more rejected rows (use --rejects FILE for the full list)[/red]",
                         n=len(plan.rejections) - MAX_REJECTIONS_SHOWN))
    mark = tr("[green]add up[/green]") if c.add_up else tr("[red]DO NOT ADD UP[/red]")
    console.print(tr("Debtors read {read} ({rows} rows): planned {planned} + excluded {excluded} "
                     "+ rejected {rejected} ({rejected_rows} rows) -- counts {mark}", read=c.read, rows=c.rows,
                     planned=c.planned, excluded=c.excluded, rejected=c.rejected, rejected_rows=c.rejected_rows,
                     mark=mark))
    console.print(tr("Solver: {solver}, {options:,} options", solver=escape(solver_line(plan)), options=plan.options),
                  highlight=False, soft_wrap=True)
    if plan.greedy is not None:
        console.print(tr("Greedy baseline: {value:,.2f}", value=plan.greedy), highlight=False)
    _callbacks(plan, console)
    _learning(plan, console)
    sources = ", ".join(f"{zone_source(k)} {n}"
                        for k, n in sorted(plan.zone_sources.items(), key=lambda kv: -kv[1]))
    console.print(tr("Time zones from: {sources}", sources=sources or "-"))
    for note, n in sorted(plan.zone_notes.items(), key=lambda kv: -kv[1]):
        console.print(tr("[yellow]time zone:[/yellow] {n} debtor(s): {note}", n=n, note=escape(note)),
                      highlight=False)
    _exclusions(plan, console)
    _per_channel(plan, console)
    _per_hour(plan, console)
    timing = ", ".join(tr("{phase} {seconds:.2f}s", phase=tr(PHASES[k]) if k in PHASES else k, seconds=v)
                       for k, v in plan.timings.items())
    console.print(tr("Timings: {timings}", timings=timing))
    # written_to "(dry run, ...)" is the CLI's mark of a dry run, not a text shown
    if written_to and written_to.startswith("(dry run"):
        _preview(plan, console)
        console.print(tr("{n} contacts planned; nothing written (dry run: no file, no archive)",
                         n=len(plan.contacts)))
    elif written_to:
        console.print(tr("Wrote {n} contacts to {target}", n=len(plan.contacts), target=written_to))


def learning_lines(plan: Plan) -> list[str]:
    """What the outcome loop decided: the model's share of the options, the holdout's arms."""
    lines = []
    if plan.model_options is not None:
        learned, fallback = plan.model_options
        total = learned + fallback
        share = tr(" ({share:.1%})", share=learned / total) if total else ""
        fields = dict(model=plan.config.model.source, learned=learned, share=share, fallback=fallback)
        if plan.config.model.by_segment:
            lines.append(tr("Model {model}: {learned:,} options valued by its learned cells{share}, "
                            "{fallback:,} by the config's constants (no cell for their channel, hour, segment)",
                            **fields))
        else:
            lines.append(tr("Model {model}: {learned:,} options valued by its learned cells{share}, "
                            "{fallback:,} by the config's constants (no cell for their channel, hour)", **fields))
    if plan.arms and plan.holdout is not None:
        by_arm: dict[str, int] = defaultdict(int)
        for c in plan.contacts:
            by_arm[c.arm] += 1
        lines.append(tr("Holdout {percent:g} % (seed {seed}): champion (optimiser) "
                        "{champion_debtors:,} debtors, {champion_contacts:,} contacts, value "
                        "{champion_value:,.2f}; challenger (greedy) {challenger_debtors:,} "
                        "debtors, {challenger_contacts:,} contacts, value {challenger_value:,.2f}",
                        percent=plan.holdout.percent, seed=plan.holdout.seed,
                        champion_debtors=plan.arms["champion"], champion_contacts=by_arm["champion"],
                        champion_value=plan.arm_values.get("champion", 0),
                        challenger_debtors=plan.arms["challenger"], challenger_contacts=by_arm["challenger"],
                        challenger_value=plan.arm_values.get("challenger", 0)))
    return lines


def _learning(plan: Plan, console: Console) -> None:
    for line in learning_lines(plan):
        console.print(escape(line), highlight=False, soft_wrap=True)


def _callbacks(plan: Plan, console: Console, shown: int = 20) -> None:
    """Calls back the debtors asked for: how many were booked, and each that was not, with the
    rule that stops it and when it could be."""
    if not plan.callbacks_booked and not plan.callbacks_refused:
        return
    console.print(tr("Calls back asked for: {booked} booked ahead of the optimiser, {refused} not possible",
                     booked=plan.callbacks_booked, refused=len(plan.callbacks_refused)), highlight=False)
    for r in plan.callbacks_refused[:shown]:
        zone = r.callback_at.tzinfo
        when = (tr("; possible from {time:%H:%M}", time=r.next_time.astimezone(zone)) if r.next_time
                else tr("; next possible day {day}", day=r.next_date) if r.next_date else "")
        console.print(tr("[yellow]call back not booked[/yellow] {debtor} at {at:%Y-%m-%d %H:%M %z}: {rule} "
                         "({reason}){when}", debtor=escape(r.debtor_id), at=r.callback_at, rule=escape(r.rule_id),
                         reason=escape(r.reason), when=when),
                      highlight=False, soft_wrap=True)
    if len(plan.callbacks_refused) > shown:
        console.print(tr("... and {n} more", n=len(plan.callbacks_refused) - shown), highlight=False)


def solver_line(plan: Plan) -> str:
    """Objective, proven bound and gap in one line (terminal summary and HTML report)."""
    # "FEASIBLE" alone reads as "not optimal": say how close to the optimum the plan is proven to be.
    proof = tr("proven optimal") if plan.bound == plan.objective else tr("optimal within {gap:.4f} %",
                                                                          gap=100 * plan.gap)
    line = tr("{proof}, objective {objective:,.2f} (expected recovery net of channel cost), "
              "bound {bound:,.2f} (status {status})", proof=proof, objective=plan.objective, bound=plan.bound,
              status=plan.status)
    return f"{line}; {plan.solver_note}" if plan.solver_note else line


def _preview(plan: Plan, console: Console, first: int = 20) -> None:
    """What would be planned (dry run): the first contacts in dialer order, without destinations."""
    table = Table(title=tr("First {shown} of {n} planned contacts", shown=min(first, len(plan.contacts)),
                           n=len(plan.contacts)), title_justify="left")
    for col in (N_("debtor"), N_("channel"), N_("window (debtor's local time)"), N_("zone"), N_("pool"), N_("rank"),
                N_("value")):
        table.add_column(tr(col))
    for c in plan.contacts[:first]:
        zone = ZoneInfo(c.timezone)
        table.add_row(c.debtor_id, c.channel.value, f"{c.window_start.astimezone(zone):%H:%M}-"
                      f"{c.window_end.astimezone(zone):%H:%M}", c.timezone, c.pool or "-", str(c.rank),
                      tr("{value:.2f}", value=c.expected_value))
    console.print(table)


def exclusions_by_rule(exclusions) -> list[tuple[str, int, str]]:
    """(rule id, debtors, citation), most frequent first: the summary's and the HTML report's table."""
    citation = {e.rule_id: e.citation for e in exclusions}
    return [(rule_id, n, citation[rule_id]) for rule_id, n in Counter(e.rule_id for e in exclusions).most_common()]


def _exclusions(plan: Plan, console: Console) -> None:
    if not plan.exclusions:
        return
    table = Table(title=tr("Excluded debtors by rule"), title_justify="left")
    table.add_column(tr("rule"))
    table.add_column(tr("debtors"), justify="right")
    table.add_column(tr("citation"), overflow="fold")
    for rule_id, n, citation in exclusions_by_rule(plan.exclusions):
        table.add_row(escape(rule_id), str(n), escape(citation or "-"))
    console.print(table)


def _per_channel(plan: Plan, console: Console) -> None:
    table = Table(title=tr("Contacts per channel"), title_justify="left")
    table.add_column(tr("channel"))
    table.add_column(tr("contacts"), justify="right")
    table.add_column(tr("expected value"), justify="right")
    n = Counter(c.channel for c in plan.contacts)
    value: dict[Channel, float] = defaultdict(float)
    for c in plan.contacts:
        value[c.channel] += float(c.expected_value)
    for channel in Channel:
        table.add_row(channel.value, str(n[channel]), tr("{value:,.2f}", value=value[channel]))
    console.print(table)


class HourlyUsage:
    """Per hour in the report zone: contacts by channel (added one at a time, so a log of
    millions is tallied as it is judged) and the pools' agent-call capacity."""

    def __init__(self, zone_name: str, slots: list[Slot] = (), pools: list[Pool] = ()):
        self.zone = ZoneInfo(zone_name)
        self.capacity: Counter[dt.datetime] = Counter()
        for slot in slots:
            self.capacity[self._hour(slot.start)] += sum(p.capacity[slot.index] for p in pools)
        self.used: dict[dt.datetime, Counter[Channel]] = defaultdict(Counter)

    def _hour(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.zone).replace(minute=0, second=0, microsecond=0)

    def add(self, contact: PlannedContact) -> None:
        self.used[self._hour(contact.window_start)][contact.channel] += 1

    def rows(self) -> list[tuple[dt.datetime, Counter, int]]:
        """(hour, contacts by channel, capacity) for every hour with either."""
        capacity, used = self.capacity, self.used
        hours = sorted(h for h in set(capacity) | set(used) if capacity[h] or used.get(h))
        return [(h, used.get(h, Counter()), capacity[h]) for h in hours]


def hourly_usage(contacts, slots, pools, zone_name: str) -> list[tuple[dt.datetime, Counter, int]]:
    """Per hour in ``zone_name``: contacts by channel and the pools' agent-call capacity."""
    usage = HourlyUsage(zone_name, slots, pools)
    for c in contacts:
        usage.add(c)
    return usage.rows()


def _per_hour(plan: Plan, console: Console) -> None:
    """Per hour in the report zone: agent calls against pool capacity, and the other channels."""
    rows = hourly_usage(plan.contacts, plan.slots, plan.pools, plan.config.report_timezone)
    if not rows:
        return
    table = Table(title=tr("Contacts per hour ({zone})", zone=plan.config.report_timezone), title_justify="left")
    table.add_column(tr("hour"))
    table.add_column(tr("voice / capacity"), justify="right")
    for channel in Channel:
        if channel is not Channel.VOICE:
            table.add_column(channel.value, justify="right")
    for h, u, cap in rows:
        table.add_row(f"{weekday_shown(h.weekday())} {h:%H:%M}", f"{u[Channel.VOICE]} / {cap}",
                      *(str(u[ch]) for ch in Channel if ch is not Channel.VOICE))
    console.print(table)
