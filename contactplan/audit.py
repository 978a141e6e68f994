"""The independent checker: does a plan (ours or anyone's) break a rule or a capacity?

It never looks at the solver's options. It takes concrete planned contacts, re-derives the
debtor's rules from the packs and runs each rule's ``check`` (the specification), plus the plan
contract's own integrity checks and the pools' capacities computed from the agents.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from contactplan.calendars import Calendars
from contactplan.config import Config
from contactplan.model import Channel, Debtor, PlannedContact, Pool, Slot
from contactplan.rules.base import Context, Severity, Violation
from contactplan.rules.packs import PackSet

_CONTRACT = "contactplan plan contract (README: plan.csv)"


def _core(rule_id: str, debtor_id: str, message: str, contact: PlannedContact | None = None) -> Violation:
    return Violation(rule_id, Severity.POLICY, _CONTRACT, debtor_id, message,
                     contact.channel if contact else None, contact.window_start if contact else None)


def _destination_fits(debtor: Debtor, contact: PlannedContact) -> bool:
    return any(d.address == contact.destination for d in debtor.destinations_for(contact.channel))


def audit_plan(contacts: Iterable[PlannedContact], debtors: dict[str, Debtor], packs: PackSet, plan_date: dt.date,
               *, pools: list[Pool] | None = None, slots: list[Slot] | None = None,
               config: Config | None = None, calendars: Calendars | None = None) -> list[Violation]:
    """All violations of the plan, in a stable order. Capacity is checked when pools and slots are given."""
    ctx = Context(plan_date, calendars or Calendars())
    by_debtor: dict[str, list[PlannedContact]] = defaultdict(list)
    out: list[Violation] = []
    for c in contacts:
        by_debtor[c.debtor_id].append(c)
    for debtor_id, planned in by_debtor.items():
        debtor = debtors.get(debtor_id)
        if debtor is None:
            out.append(_core("audit.unknown_debtor", debtor_id, "debtor_id is not in the debtor file"))
            continue
        if not packs.covers(debtor.country):
            out.append(_core("audit.no_rule_pack", debtor_id, f"no rule pack for country {debtor.country}"))
            continue
        for c in planned:
            if c.window_end <= c.window_start:
                out.append(_core("audit.window", debtor_id, "window ends before it starts", c))
            if not _destination_fits(debtor, c):
                out.append(_core("audit.destination", debtor_id,
                                 f"destination is not one of the debtor's {c.channel} destinations", c))
            for name in debtor.zones:
                zone = ZoneInfo(name)
                first = c.window_start.astimezone(zone).date()
                last = (c.window_end - dt.timedelta(microseconds=1)).astimezone(zone).date()
                if first != plan_date or last != plan_date:
                    out.append(_core("audit.plan_date", debtor_id,
                                     f"window is on {first} local {name}, not on the plan date {plan_date}", c))
        for rule in packs.rules_for(debtor, plan_date):
            out.extend(rule.check(debtor, planned, ctx))
    if pools is not None and slots is not None:
        out.extend(_capacity(contacts, debtors, pools, slots, config or Config()))
    return sorted(out, key=lambda v: (v.debtor_id, v.rule_id, v.at or dt.datetime.min.replace(tzinfo=dt.UTC)))


def _slot_of(slots: list[Slot], c: PlannedContact) -> Slot | None:
    """The slot an attempt starts in: capacity is spent when the dialer starts the contact (our
    own windows never cross a slot; another system's may, and are counted where they start)."""
    return next((s for s in slots if s.start <= c.window_start < s.end), None)


def _capacity(contacts: Iterable[PlannedContact], debtors: dict[str, Debtor], pools: list[Pool], slots: list[Slot],
              config: Config) -> list[Violation]:
    out: list[Violation] = []
    by_pool = {p.name: p for p in pools}
    pool_use: Counter[tuple[str, int]] = Counter()
    channel_slot: Counter[tuple[Channel, int]] = Counter()
    channel_day: Counter[Channel] = Counter()
    for c in contacts:
        slot = _slot_of(slots, c)
        if slot is None:
            out.append(_core("audit.slot", c.debtor_id, "window starts outside the plan day's grid", c))
            continue
        channel_slot[(c.channel, slot.index)] += 1
        channel_day[c.channel] += 1
        if c.channel.needs_agent:
            pool = by_pool.get(c.pool)
            if pool is None:
                out.append(_core("audit.pool", c.debtor_id, f"agent call without a known pool ('{c.pool}')", c))
                continue
            debtor = debtors.get(c.debtor_id)
            if debtor is not None and not pool.serves(debtor):
                out.append(_core("audit.pool", c.debtor_id, f"pool {pool.name} does not serve this debtor's "
                                                             "segment or language", c))
            pool_use[(pool.name, slot.index)] += 1
    for (name, index), used in sorted(pool_use.items()):
        cap = by_pool[name].capacity[index]
        if used > cap:
            out.append(_core("audit.capacity", "", f"pool {name} has {used} calls in the slot starting "
                                                   f"{slots[index].start:%H:%M} UTC; capacity {cap}"))
    for (channel, index), used in sorted(channel_slot.items()):
        limit = config.channels[channel].per_slot
        if limit is not None and used > limit:
            out.append(_core("audit.capacity", "", f"{channel}: {used} contacts in the slot starting "
                                                   f"{slots[index].start:%H:%M} UTC; limit {limit}"))
    for channel, used in sorted(channel_day.items()):
        limit = config.channels[channel].per_day
        if limit is not None and used > limit:
            out.append(_core("audit.capacity", "", f"{channel}: {used} contacts today; daily limit {limit}"))
        if not config.channels[channel].enabled:
            out.append(_core("audit.channel_disabled", "", f"{channel} is disabled in the configuration"))
    return out
