"""``contactplan explain DEBTOR_ID``: for one debtor and date, why the plan is what it is.

Time zones and where they came from, every rule that applies with its effect per channel, the
allowed windows per channel after all rules, and whether and when the debtor is planned (or the
next date it becomes eligible). It reuses the rule kinds' own questions, and the planner's
outcome for the whole portfolio, so what it says is what the plan did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from contactplan.i18n import tr
from contactplan.model import CallbackRefusal, Channel, Debtor, Direction, Exclusion, Plan, PlannedContact
from contactplan.rules import callbacks
from contactplan.rules.base import Context, Rule
from contactplan.rules.packs import PackSet
from contactplan.report import zone_source
from contactplan.solver.options import allowed_intervals

COUNTING_KINDS = ("frequency_cap", "daily_cap", "conversation_cooldown", "min_gap")


@dataclass
class RuleEffect:
    rule: Rule
    # channel (or "all", or "counts") -> what the rule does today, in the reader's language
    effects: dict[str, str] = field(default_factory=dict)


@dataclass
class Explanation:
    debtor: Debtor
    plan_date: dt.date
    rules: list[RuleEffect]
    windows: dict[Channel, list[tuple[dt.datetime, dt.datetime]]]  # allowed, in the primary zone
    contact: PlannedContact | None
    exclusion: Exclusion | None
    callback_refused: CallbackRefusal | None = None


def _local(intervals, zone: str) -> str:
    z = ZoneInfo(zone)
    return ", ".join(f"{s.astimezone(z):%H:%M}-{e.astimezone(z):%H:%M}" for s, e in intervals) or tr("none")


def explain(debtor: Debtor, plan: Plan, packs: PackSet, ctx: Context) -> Explanation:
    rules = packs.rules_for(debtor, ctx.plan_date)
    effects = []
    for rule in rules:
        effect = RuleEffect(rule)
        why = rule.excludes(debtor, ctx)
        if why:
            effect.effects["all"] = tr("excludes the debtor: {why}", why=why)
        for channel in Channel:
            if not rule.covers(channel):
                continue
            blocked = rule.channel_blocked(debtor, channel, ctx)
            if blocked:
                effect.effects[channel.value] = tr("blocks: {why}", why=blocked)
                continue
            refused = [f"{d.column or d.line_type}: {r}" for d in debtor.destinations_for(channel)
                       if (r := rule.destination_ok(debtor, channel, d, ctx))]
            if refused:
                effect.effects[channel.value] = tr("refuses {destinations}", destinations="; ".join(refused))
            limit = rule.allowed(debtor, channel, ctx)
            if limit is not None:
                text = (tr("allows {windows}", windows=_local(limit, debtor.primary_zone)) if limit
                        else tr("allows no time today"))
                effect.effects[channel.value] = (effect.effects.get(channel.value, "") + " " + text).strip()
        if not effect.effects:
            effect.effects["all"] = tr("applies; no restriction for this debtor today")
        if rule.kind in COUNTING_KINDS:
            effect.effects["counts"] = rule.summary()  # which directions and outcomes it counts
        effects.append(effect)
    windows = {c: allowed_intervals(debtor, c, rules, ctx)[0] for c in Channel}
    contact = next((c for c in plan.contacts if c.debtor_id == debtor.debtor_id), None)
    exclusion = next((e for e in plan.exclusions if e.debtor_id == debtor.debtor_id), None)
    refused = next((r for r in plan.callbacks_refused if r.debtor_id == debtor.debtor_id), None)
    return Explanation(debtor, ctx.plan_date, effects, windows, contact, exclusion, refused)


def render(ex: Explanation, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    d = ex.debtor
    place = f"{d.country}-{d.region or '?'}{', IBGE ' + d.municipality_code if d.municipality_code else ''}"
    console.print(tr("[bold]Debtor {debtor}[/bold] on {day} ({place})", debtor=escape(d.debtor_id), day=ex.plan_date,
                     place=place), highlight=False)
    console.print(tr("Time zone(s): {zones} (from {source}: {note})", zones=", ".join(d.zones), source=zone_source(d.zone_source),
                     note=d.zone_note), highlight=False, markup=False)
    if d.history:
        inbound = sum(1 for a in d.history if a.direction is Direction.INBOUND)
        console.print(tr("History: {n} recent attempt(s) ({outbound} by the collector, {inbound} by the debtor), "
                         "last {last} ({direction} {outcome})", n=len(d.history), outbound=len(d.history) - inbound,
                         inbound=inbound, last=d.history[-1].attempted_at.isoformat(),
                         direction=d.history[-1].direction, outcome=d.history[-1].outcome), highlight=False)
    for request in callbacks.requests(d):
        console.print(tr("Call back asked for at {at} (asked {asked})", at=request.callback_at.isoformat(),
                         asked=request.attempted_at.isoformat()), highlight=False)
    if ex.callback_refused:
        r = ex.callback_refused
        later = (tr("; possible from {time:%H:%M}", time=r.next_time.astimezone(r.callback_at.tzinfo)) if r.next_time
                 else tr("; next possible day {day}", day=r.next_date) if r.next_date else "")
        console.print(tr("[yellow]Call back not booked[/yellow]: {rule} - {reason}{later}", rule=escape(r.rule_id),
                         reason=escape(r.reason), later=later), highlight=False)
    if d.suppressions:
        console.print(tr("Suppressions in force: {n}", n=len(d.suppressions)), highlight=False)
    if d.consent_records:
        latest = {}
        for record in sorted(d.consent_records, key=lambda r: r.at):
            latest[(record.channel, record.destination)] = record
        text = "; ".join(tr("{channel}{scope}: {state} {day} (record {record})", channel=channel.value,
                            scope=tr(" (one destination)") if dest else "",
                            state=tr("granted") if r.granted else tr("revoked"), day=r.at.date(), record=r.record_id)
                         for (channel, dest), r in sorted(latest.items(), key=lambda kv: kv[0][0].value))
        console.print(tr("Consent records: {records}", records=escape(text)), highlight=False)
    table = Table(title=tr("Rules that apply"))
    for col in (tr("rule"), tr("severity"), tr("effect today"), tr("citation")):
        table.add_column(col, overflow="fold")
    for e in ex.rules:
        text = "\n".join(_effect_line(k, v) for k, v in e.effects.items())
        table.add_row(escape(e.rule.id), str(e.rule.meta.severity), escape(text), escape(e.rule.meta.shown_citation()))
    console.print(table)
    for channel, intervals in ex.windows.items():
        console.print(tr("Allowed {channel:<8} {windows} (local {zone})", channel=channel.value,
                         windows=_local(intervals, d.primary_zone), zone=d.primary_zone), highlight=False)
    if ex.contact:
        c = ex.contact
        z = ZoneInfo(c.timezone)
        console.print(tr("[green]Planned[/green]: {channel} {start:%H:%M}-{end:%H:%M} local, pool {pool}, rank {rank}, "
                         "expected value {value:.2f}", channel=c.channel, start=c.window_start.astimezone(z),
                         end=c.window_end.astimezone(z), pool=c.pool or "-", rank=c.rank, value=c.expected_value),
                      highlight=False)
    elif ex.exclusion:
        e = ex.exclusion
        nxt = (tr("; next eligible {day}", day=e.next_eligible) if e.next_eligible
               else tr("; eligible again only when the data change"))
        console.print(tr("[yellow]Not planned[/yellow]: {rule} - {reason}{next}", rule=escape(e.rule_id),
                         reason=escape(e.reason), next=escape(nxt)), highlight=False)
        if e.citation:
            console.print(tr("  citation: {citation}", citation=e.citation), highlight=False, markup=False)


def _effect_line(key: str, text: str) -> str:
    """One line of a rule's effect: a channel's (its name is the same in every language), the
    whole debtor's ("all") or what the rule counts."""
    if key == "all":
        return tr("all: {effect}", effect=text)
    if key == "counts":
        return tr("counts: {effect}", effect=text)
    return f"{key}: {text}"
