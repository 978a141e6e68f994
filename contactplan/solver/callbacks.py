"""Booking the calls back that debtors asked for, ahead of the optimiser, if every rule allows.

A debtor who asked to be called at 15:00 (history outcome ``callback_requested`` with its
``callback_at``) is booked for that day in the planning slot that holds 15:00, on the
destination the request came from, with an agent of a pool that serves the debtor and has a
free seat then. Dialers are known to let callbacks skip their rules; contactplan does not: the
booked contact is the one the independent audit passes (rules/callbacks.py says which rules a
callback is exempt from: only those whose pack takes 12 CFR 1006.14(b)(3)(i)'s exclusion). A
callback that cannot be honoured is reported with the rule and the next time it could be.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from contactplan.audit import audit_plan
from contactplan.i18n import tr
from contactplan.model import CallbackRefusal, Channel, Config, Debtor, PlannedContact, Pool, Slot
from contactplan.rules import callbacks
from contactplan.rules.base import Context
from contactplan.rules.packs import PackSet
from contactplan.solver.options import allowed_intervals, next_eligible, rule_title

UTC = dt.timezone.utc





@dataclass
class Booking:
    contacts: list[PlannedContact] = field(default_factory=list)
    debtors: set[int] = field(default_factory=set)  # indices of the debtors booked
    pools: list[Pool] = field(default_factory=list)  # capacity left for the optimiser
    refused: list[CallbackRefusal] = field(default_factory=list)


def book_callbacks(debtors: list[Debtor], packs: PackSet, ctx: Context, slots: list[Slot], pools: list[Pool],
                   config: Config) -> Booking:
    """Every call back asked for on the plan date, booked or refused (see the module text)."""
    booking = Booking(pools=list(pools))
    used: dict[tuple[str, int], int] = {}
    for i, debtor in enumerate(debtors):
        if not debtor.history:
            continue
        request = _todays_request(debtor, ctx)
        if request is None:
            continue
        found = _book(debtor, request, packs, ctx, slots, pools, used, config)
        if isinstance(found, CallbackRefusal):
            booking.refused.append(found)
            continue
        booking.contacts.append(found)
        booking.debtors.add(i)
        used[(found.pool, found.slot)] = used.get((found.pool, found.slot), 0) + 1
    if used:
        booking.pools = [replace(p, capacity=tuple(c - used.get((p.name, s), 0) for s, c in enumerate(p.capacity)))
                         for p in pools]
    return booking


def _todays_request(debtor: Debtor, ctx: Context):
    """The latest request for a call back on the plan date (the debtor's local date), not yet
    honoured by a call in the history."""
    zone = ZoneInfo(debtor.primary_zone)
    today = [r for r in callbacks.requests(debtor) if r.callback_at.astimezone(zone).date() == ctx.plan_date]
    if not today:
        return None
    request = max(today, key=lambda r: r.attempted_at)
    if any(callbacks.consented(debtor, a) and a.attempted_at > request.attempted_at for a in debtor.history):
        return None  # the dialer already called back
    return request


def _book(debtor: Debtor, request, packs: PackSet, ctx: Context, slots: list[Slot], pools: list[Pool],
          used: dict[tuple[str, int], int], config: Config) -> PlannedContact | CallbackRefusal:
    at = request.callback_at.astimezone(UTC)

    def refuse(rule_id: str, reason: str, next_time: dt.datetime | None = None) -> CallbackRefusal:
        later = None if next_time else next_eligible(debtor, packs.rules_for, ctx, [Channel.VOICE])
        return CallbackRefusal(debtor.debtor_id, request.callback_at, rule_id, reason, next_time, later)

    if not packs.covers(debtor.country):
        return refuse("input.no_rule_pack", tr("no rule pack for country {country}", country=debtor.country))
    if ctx.not_before is not None and at < ctx.not_before:
        return refuse("plan.not_before", tr("the time asked for is before the re-plan's --not-before"))
    slot = next((s for s in slots if s.start <= at < s.end), None)
    if slot is None:
        return refuse("grid.outside", tr("the time asked for is outside the plan day's grid"))
    rules = packs.rules_for(debtor, ctx.plan_date)
    intervals, emptied_by = allowed_intervals(debtor, Channel.VOICE, rules, ctx)
    span = next(((s, e) for s, e in intervals if s <= at < e), None)
    if span is None:
        blocker = _blocking_rule(debtor, rules, ctx, at) or emptied_by
        later = next((s for s, _ in intervals if s > at), None)
        rule_id = blocker.id if blocker else "grid.window_too_short"
        title = rule_title(blocker) if blocker else tr("no allowed time then")
        return refuse(rule_id, tr("calls are not allowed at the time asked for ({title})", title=title), later)
    start = max(slot.start, at - callbacks.CALLBACK_EARLY, span[0])
    end = min(slot.end, at + callbacks.CALLBACK_LATE, span[1])
    free = [(p.capacity[slot.index] - used.get((p.name, slot.index), 0), p.name) for p in pools if p.serves(debtor)]
    free = [(n, name) for n, name in free if n > 0]
    if not free:
        return refuse("capacity.no_pool", tr("no agent of a pool that serves the debtor is free at the time asked "
                                             "for"))
    pool = max(free)[1]
    zone = ZoneInfo(debtor.primary_zone)
    cc = config.channels[Channel.VOICE]
    value_base = float(debtor.balance) * (debtor.p_pay if debtor.p_pay is not None else config.default_p_pay)
    effectiveness, factor, _ = config.worth(Channel.VOICE, start.astimezone(zone).hour, debtor.segment)
    value = value_base * effectiveness * factor - cc.cost
    contact = PlannedContact(debtor.debtor_id, Channel.VOICE, request.destination, start.astimezone(zone),
                             end.astimezone(zone), debtor.primary_zone, pool, 0, Decimal(f"{max(value, 0.0):.2f}"),
                             tuple(r.id for r in rules if r.covers(Channel.VOICE)), slot.index, allowed=span)
    found = audit_plan([contact], {debtor.debtor_id: debtor}, packs, ctx.plan_date, calendars=ctx.calendars,
                       not_before=ctx.not_before)
    if found:
        first = found[0]
        rule = next((r for r in rules if r.id == first.rule_id), None)
        again = rule.eligible_again(debtor, ctx) if rule else None
        return CallbackRefusal(debtor.debtor_id, request.callback_at, first.rule_id, first.message, None,
                               again or next_eligible(debtor, packs.rules_for, ctx, [Channel.VOICE]))
    return contact


def _blocking_rule(debtor: Debtor, rules, ctx: Context, at: dt.datetime):
    """The first rule whose allowed time today does not hold ``at``."""
    for rule in rules:
        limit = rule.allowed(debtor, Channel.VOICE, ctx)
        if limit is not None and not any(s <= at < e for s, e in limit):
            return rule
    return None
