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

from contactplan.model import Channel, Debtor, Direction, Exclusion, PlannedContact
from contactplan.rules import callbacks
from contactplan.planner import Plan
from contactplan.rules.base import Context, Rule
from contactplan.rules.packs import PackSet
from contactplan.solver.callbacks import CallbackRefusal
from contactplan.solver.options import allowed_intervals

COUNTING_KINDS = ("frequency_cap", "daily_cap", "conversation_cooldown", "min_gap")


@dataclass
class RuleEffect:
    rule: Rule
    effects: dict[str, str] = field(default_factory=dict)  # channel (or "all") -> what the rule does today


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
    return ", ".join(f"{s.astimezone(z):%H:%M}-{e.astimezone(z):%H:%M}" for s, e in intervals) or "none"


def explain(debtor: Debtor, plan: Plan, packs: PackSet, ctx: Context) -> Explanation:
    rules = packs.rules_for(debtor, ctx.plan_date)
    effects = []
    for rule in rules:
        effect = RuleEffect(rule)
        why = rule.excludes(debtor, ctx)
        if why:
            effect.effects["all"] = f"excludes the debtor: {why}"
        for channel in Channel:
            if not rule.covers(channel):
                continue
            blocked = rule.channel_blocked(debtor, channel, ctx)
            if blocked:
                effect.effects[channel.value] = f"blocks: {blocked}"
                continue
            refused = [f"{d.column or d.line_type}: {r}" for d in debtor.destinations_for(channel)
                       if (r := rule.destination_ok(debtor, channel, d, ctx))]
            if refused:
                effect.effects[channel.value] = "refuses " + "; ".join(refused)
            limit = rule.allowed(debtor, channel, ctx)
            if limit is not None:
                text = f"allows {_local(limit, debtor.primary_zone)}" if limit else "allows no time today"
                effect.effects[channel.value] = (effect.effects.get(channel.value, "") + " " + text).strip()
        if not effect.effects:
            effect.effects["all"] = "applies; no restriction for this debtor today"
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
    console.print(f"[bold]Debtor {escape(d.debtor_id)}[/bold] on {ex.plan_date} ({d.country}-{d.region or '?'}"
                  f"{', IBGE ' + d.municipality_code if d.municipality_code else ''})", highlight=False)
    console.print(f"Time zone(s): {', '.join(d.zones)} (from {d.zone_source}: {d.zone_note})", highlight=False,
                  markup=False)
    if d.history:
        inbound = sum(1 for a in d.history if a.direction is Direction.INBOUND)
        console.print(f"History: {len(d.history)} recent attempt(s) ({len(d.history) - inbound} by the collector, "
                      f"{inbound} by the debtor), last {d.history[-1].attempted_at.isoformat()} "
                      f"({d.history[-1].direction} {d.history[-1].outcome})", highlight=False)
    for request in callbacks.requests(d):
        console.print(f"Call back asked for at {request.callback_at.isoformat()} (asked "
                      f"{request.attempted_at.isoformat()})", highlight=False)
    if ex.callback_refused:
        r = ex.callback_refused
        later = (f"; possible from {r.next_time.astimezone(r.callback_at.tzinfo):%H:%M}" if r.next_time
                 else f"; next possible day {r.next_date}" if r.next_date else "")
        console.print(f"[yellow]Call back not booked[/yellow]: {escape(r.rule_id)} - {escape(r.reason)}{later}",
                      highlight=False)
    if d.suppressions:
        console.print(f"Suppressions in force: {len(d.suppressions)}", highlight=False)
    if d.consent_records:
        latest = {}
        for record in sorted(d.consent_records, key=lambda r: r.at):
            latest[(record.channel, record.destination)] = record
        text = "; ".join(f"{channel.value}{' (one destination)' if dest else ''}: "
                         f"{'granted' if r.granted else 'revoked'} {r.at.date()} (record {r.record_id})"
                         for (channel, dest), r in sorted(latest.items(), key=lambda kv: kv[0][0].value))
        console.print(f"Consent records: {escape(text)}", highlight=False)
    table = Table(title="Rules that apply")
    for col in ("rule", "severity", "effect today", "citation"):
        table.add_column(col, overflow="fold")
    for e in ex.rules:
        text = "\n".join(f"{k}: {v}" for k, v in e.effects.items())
        table.add_row(escape(e.rule.id), str(e.rule.meta.severity), escape(text), escape(e.rule.meta.citation))
    console.print(table)
    for channel, intervals in ex.windows.items():
        console.print(f"Allowed {channel.value:<8} {_local(intervals, d.primary_zone)} (local {d.primary_zone})",
                      highlight=False)
    if ex.contact:
        c = ex.contact
        z = ZoneInfo(c.timezone)
        console.print(f"[green]Planned[/green]: {c.channel} {c.window_start.astimezone(z):%H:%M}-"
                      f"{c.window_end.astimezone(z):%H:%M} local, pool {c.pool or '-'}, rank {c.rank}, "
                      f"expected value {c.expected_value}", highlight=False)
    elif ex.exclusion:
        e = ex.exclusion
        nxt = f"; next eligible {e.next_eligible}" if e.next_eligible else "; eligible again only when the data change"
        console.print(f"[yellow]Not planned[/yellow]: {e.rule_id} - {e.reason}{nxt}", highlight=False, markup=False)
        if e.citation:
            console.print(f"  citation: {e.citation}", highlight=False, markup=False)
