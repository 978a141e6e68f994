"""The independent checker: does a plan (ours or anyone's) break a rule or a capacity?

It never looks at the solver's options. It takes concrete planned contacts, re-derives the
debtor's rules from the packs and runs each rule's ``check`` (the specification), plus the plan
contract's own integrity checks and the pools' capacities computed from the agents.

Speed (a million contacts in seconds): a plan has a few dozen distinct windows shared by many
debtors, so what depends only on (zones, window) -- the local calendar dates, the slot a window
starts in -- is worked out once per audit and looked up after that, and the verdicts of the
rules that judge each contact on a few facts of the debtor (``Rule.memo_key``) are remembered the
same way, here, by ``verdicts``: the rules' ``check`` stays the plain specification. Those
look-ups key a window by its instants and their ``fold`` (window keys, see
``contactplan.rules.base``), so equal keys always stand for the same computation.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from contactplan.calendars import Calendars
from contactplan.i18n import current_language, tr
from contactplan.model import Channel, Config, Debtor, Destination, LineType, PlannedContact, Pool, Slot
from contactplan.rules.base import MEMO_LIMIT, Context, Rule, Severity, Violation
from contactplan.rules.packs import PackSet

_CONTRACT = "contactplan plan contract (README: plan.csv)"
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


def _core(rule_id: str, debtor_id: str, message: str, contact: PlannedContact | None = None) -> Violation:
    return Violation(rule_id, Severity.POLICY, _CONTRACT, debtor_id, message,
                     contact.channel if contact else None, contact.window_start if contact else None)


def _channel_line_types() -> dict[Channel, frozenset[LineType]]:
    """Which line types each channel may use, asked of ``Debtor.destinations_for`` itself (one
    probe destination per line type), so the audit keeps the model's definition without
    building and sorting a debtor's destinations for every contact."""
    probe = Debtor("probe", "", "", Decimal(0), ("UTC",), "", "",
                   tuple(Destination(f"probe-{t.value}", t) for t in LineType))
    return {ch: frozenset(d.line_type for d in probe.destinations_for(ch)) for ch in Channel}


_LINE_TYPES = _channel_line_types()
_AGENT_CHANNELS = frozenset(ch for ch in Channel if ch.needs_agent)


def _destination_fits(debtor: Debtor, contact: PlannedContact) -> bool:
    """The planned destination is one the channel can use: the same answer as looking it up in
    ``debtor.destinations_for(contact.channel)``."""
    usable = _LINE_TYPES.get(contact.channel)
    if usable is None:  # not a Channel: ask the model, as before
        return any(d.address == contact.destination for d in debtor.destinations_for(contact.channel))
    address = contact.destination
    for d in debtor.destinations:
        if d.address == address and d.line_type in usable:
            return True
    return False


def _off_plan_date(zones: tuple[str, ...], start: dt.datetime, end: dt.datetime,
                   plan_date: dt.date) -> tuple[tuple[str, dt.date], ...]:
    """(zone, local date of the start) for every candidate zone where the half-open window does
    not lie wholly on the plan date."""
    off = []
    for name in zones:
        zone = ZoneInfo(name)
        first = start.astimezone(zone).date()
        last = (end - _ONE_MICROSECOND).astimezone(zone).date()
        if first != plan_date or last != plan_date:
            off.append((name, first))
    return tuple(off)


def audit_plan(contacts: Iterable[PlannedContact], debtors: dict[str, Debtor], packs: PackSet, plan_date: dt.date,
               *, pools: list[Pool] | None = None, slots: list[Slot] | None = None,
               config: Config | None = None, calendars: Calendars | None = None,
               not_before: dt.datetime | None = None, ctx: Context | None = None) -> list[Violation]:
    """All violations of the plan, in a stable order. Capacity is checked when pools and slots are
    given; with ``not_before`` (an intra-day re-plan) no contact may start before that instant.
    ``ctx``: the run's context, when the caller has one (its plan date must be ``plan_date``);
    else one is made of the plan date, the calendars and ``not_before``."""
    if ctx is None:
        ctx = Context(plan_date, calendars or Calendars(), not_before)
    elif ctx.plan_date != plan_date:
        raise ValueError(f"the context is for {ctx.plan_date}, the plan for {plan_date}")
    by_debtor: dict[str, list[PlannedContact]] = defaultdict(list)
    out: list[Violation] = []
    for c in contacts:
        by_debtor[c.debtor_id].append(c)
    # Capacity is counted debtor by debtor while each debtor's data is at hand (a second pass over
    # the contacts costs more in memory traffic than the counting itself). The order differs from
    # the contacts' order only between debtors, which the final sort puts in order anyway. A
    # one-shot iterator has nothing left for a second pass, so it has never been counted.
    capacity = (_Capacity(pools, slots, config or Config())
                if pools is not None and slots is not None and iter(contacts) is not contacts else None)
    for debtor_id, planned in by_debtor.items():
        debtor = debtors.get(debtor_id)
        if capacity is not None:
            capacity.count(debtor, planned)
        out.extend(audit_debtor(debtor_id, debtor, planned, packs, ctx))
    if capacity is not None:
        out.extend(capacity.violations())
    return sorted(out, key=lambda v: (v.debtor_id, v.rule_id, v.at or dt.datetime.min.replace(tzinfo=dt.UTC)))


# (zones, window, plan date) -> zones where the window is off the plan date; one entry per
# distinct window, kept across audits (a log is judged day by day, debtor by debtor).
_OFF_DAY: dict[tuple, tuple[tuple[str, dt.date], ...]] = {}


def audit_debtor(debtor_id: str, debtor: Debtor | None, planned: list[PlannedContact], packs: PackSet,
                 ctx: Context) -> list[Violation]:
    """The violations of one debtor's contacts on ``ctx.plan_date`` (capacity aside), unsorted."""
    found = debtor_problem(debtor_id, debtor, packs)
    if found:
        return [found]
    out = contract_violations(debtor_id, debtor, planned, ctx)
    channels = frozenset(c.channel for c in planned)
    for rule in judging(packs.rules_for(debtor, ctx.plan_date), channels):
        found_here = verdicts(rule, debtor, planned, ctx)
        if found_here:
            out.extend(found_here)
    return out


# id(rule) -> (rule, {(memo_key, channel, window key, language): the messages of check() for
# such a contact}), kept across audits like the other memos here. Keyed by identity (hashing a
# rule's record costs more than a look-up saves), the rule kept in the entry so that an id
# reused by another rule is seen for what it is.
_VERDICTS: dict[int, tuple[Rule, dict[Hashable, tuple[str, ...]]]] = {}


def verdicts(rule: Rule, debtor: Debtor, contacts: list[PlannedContact], ctx: Context) -> list[Violation]:
    """The rule's violations by these contacts of the debtor: ``rule.check`` (the
    specification), remembered, for a kind with a ``memo_key``, per contact for every debtor
    that shares the key (its verdict on one contact then depends only on the key, the contact's
    channel and its window: tests/test_rule_kinds.py holds each such kind to that); otherwise
    ``rule.judge``, check's verdict by the kind's fastest way."""
    part = rule.memo_key(debtor, ctx) if rule.contact_wise else None
    if part is None:
        return rule.judge(debtor, contacts, ctx)
    found = _VERDICTS.get(id(rule))
    if found is None or found[0] is not rule:
        if len(_VERDICTS) >= MEMO_LIMIT:
            _VERDICTS.clear()
        found = _VERDICTS[id(rule)] = (rule, {})
    memo = found[1]
    covered = rule.covered_channels
    language = current_language()
    out: list[Violation] = []
    for c in contacts:
        if c.channel not in covered:
            continue
        start, end = c.window_start, c.window_end
        key = (part, c.channel, start, start.fold, end, end.fold, language)
        said = memo.get(key)
        if said is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            said = memo[key] = tuple(v.message for v in rule.check(debtor, [c], ctx))
        for message in said:
            out.append(rule.violation(debtor, message, c))
    return out


def debtor_problem(debtor_id: str, debtor: Debtor | None, packs: PackSet) -> Violation | None:
    """Why none of the debtor's contacts can be judged by the rules: not in the debtor file, or
    in a country no pack covers."""
    if debtor is None:
        return _core("audit.unknown_debtor", debtor_id, tr("debtor_id is not in the debtor file"))
    if not packs.covers(debtor.country):
        return _core("audit.no_rule_pack", debtor_id, tr("no rule pack for country {country}",
                                                         country=debtor.country))
    return None


def contract_violations(debtor_id: str, debtor: Debtor, planned: list[PlannedContact],
                        ctx: Context) -> list[Violation]:
    """The plan contract's own checks of each contact (no rule pack's): a window that ends
    after it starts, on the plan date in every candidate zone, not before a re-plan's
    ``not_before``, to one of the debtor's destinations for the channel."""
    out: list[Violation] = []
    zones, plan_date, not_before = debtor.zones, ctx.plan_date, ctx.not_before
    for c in planned:
        start, end = c.window_start, c.window_end
        if end <= start:
            out.append(_core("audit.window", debtor_id, tr("window ends before it starts"), c))
        if not_before is not None and start < not_before:
            out.append(_core("audit.not_before", debtor_id, tr("window starts before the re-plan's --not-before "
                                                               "{not_before}", not_before=not_before.isoformat()), c))
        if not _destination_fits(debtor, c):
            out.append(_core("audit.destination", debtor_id,
                             tr("destination is not one of the debtor's {channel} destinations", channel=c.channel),
                             c))
        key = (zones, start, start.fold, end, end.fold, plan_date)  # a window key (rules.base)
        off = _OFF_DAY.get(key)
        if off is None:
            if len(_OFF_DAY) >= MEMO_LIMIT:
                _OFF_DAY.clear()
            off = _OFF_DAY[key] = _off_plan_date(zones, start, end, plan_date)
        for name, first in off:
            out.append(_core("audit.plan_date", debtor_id,
                             tr("window is on {day} local {zone}, not on the plan date {plan_date}", day=first,
                                zone=name, plan_date=plan_date), c))
    return out


_JUDGING: dict[tuple[int, frozenset[Channel]], tuple[tuple, tuple]] = {}


def judging(rules: tuple, channels: frozenset[Channel]) -> tuple:
    """The rules with something to say about contacts on these channels. A rule judges only
    contacts on its channels (every check starts from them), so one that covers none of them
    is left out; remembered per (rules in force, channels), a few dozen. The key is the tuple's
    identity (hashing the rules themselves costs more than the check saves); the tuple is kept
    in the entry, so an id reused by another tuple is seen for what it is."""
    key = (id(rules), channels)
    found = _JUDGING.get(key)
    if found is None or found[0] is not rules:
        if len(_JUDGING) >= MEMO_LIMIT:
            _JUDGING.clear()
        found = _JUDGING[key] = (rules, tuple(r for r in rules if not r.covered_channels.isdisjoint(channels)))
    return found[1]


class _SlotFinder:
    """The slot an attempt starts in: capacity is spent when the dialer starts the contact (our
    own windows never cross a slot; another system's may, and are counted where they start).

    The answer is the first slot, in the grid's order, with ``start <= window_start < end``. The
    grid from ``slot_grid`` is sorted and its slots do not overlap, so a binary search finds that
    same slot; any other list is scanned in order. Answers are remembered per start instant."""

    def __init__(self, slots: list[Slot]):
        self.slots = slots
        self.starts = [s.start for s in slots]
        self.sorted = all(a.end <= b.start for a, b in zip(slots, slots[1:])) and all(s.start < s.end for s in slots)
        self.found: dict[tuple[dt.datetime, int], Slot | None] = {}

    def __call__(self, start: dt.datetime) -> Slot | None:
        key = (start, start.fold)  # with fold, like a window key (rules.base)
        try:
            return self.found[key]
        except KeyError:
            pass
        if self.sorted:
            i = bisect.bisect_right(self.starts, start) - 1
            slot = self.slots[i] if i >= 0 and start < self.slots[i].end else None
        else:
            slot = next((s for s in self.slots if s.start <= start < s.end), None)
        self.found[key] = slot
        return slot


class _Capacity:
    """The pools' and channels' capacities: contacts are counted per pool and slot, per channel
    and slot and per channel and day; a contact outside the grid or without a pool that serves
    the debtor is reported as it is counted."""

    def __init__(self, pools: list[Pool], slots: list[Slot], config: Config):
        self.slots = slots
        self.config = config
        self.by_pool = {p.name: p for p in pools}
        self.slot_of = _SlotFinder(slots)
        # (channel, slot index, pool name or None) -> contacts; the three totals come from it.
        self.tally: dict[tuple[Channel, int, str | None], int] = defaultdict(int)
        self.serves: dict[tuple[str, str, str], bool] = {}  # Pool.serves reads only segment and language
        self.found: list[Violation] = []

    def count(self, debtor: Debtor | None, planned: list[PlannedContact]) -> None:
        """One debtor's contacts (``debtor`` is None when the id is not in the debtor file)."""
        for c in planned:
            slot = self.slot_of(c.window_start)
            if slot is None:
                self.found.append(_core("audit.slot", c.debtor_id, tr("window starts outside the plan day's grid"), c))
                continue
            if c.channel not in _AGENT_CHANNELS:
                self.tally[(c.channel, slot.index, None)] += 1
                continue
            pool = self.by_pool.get(c.pool)
            if pool is None:
                # Counted against the channel, not against any pool.
                self.tally[(c.channel, slot.index, None)] += 1
                self.found.append(_core("audit.pool", c.debtor_id,
                                        tr("agent call without a known pool ('{pool}')", pool=c.pool), c))
                continue
            if debtor is not None:
                key = (pool.name, debtor.segment, debtor.language)
                ok = self.serves.get(key)
                if ok is None:
                    ok = self.serves[key] = pool.serves(debtor)
                if not ok:
                    self.found.append(_core("audit.pool", c.debtor_id, tr("pool {pool} does not serve this debtor's "
                                                                          "segment or language", pool=pool.name), c))
            self.tally[(c.channel, slot.index, pool.name)] += 1

    def violations(self) -> list[Violation]:
        """What was reported while counting, then every capacity or limit exceeded."""
        pool_use: Counter[tuple[str, int]] = Counter()
        channel_slot: Counter[tuple[Channel, int]] = Counter()
        channel_day: Counter[Channel] = Counter()
        for (channel, index, pool), n in self.tally.items():
            channel_slot[(channel, index)] += n
            channel_day[channel] += n
            if pool is not None:
                pool_use[(pool, index)] += n
        out, slots, channels = list(self.found), self.slots, self.config.channels
        for (name, index), used in sorted(pool_use.items()):
            cap = self.by_pool[name].capacity[index]
            if used > cap:
                out.append(_core("audit.capacity", "", tr("pool {pool} has {used} calls in the slot starting "
                                                          "{start:%H:%M} UTC; capacity {capacity}", pool=name,
                                                          used=used, start=slots[index].start, capacity=cap)))
        for (channel, index), used in sorted(channel_slot.items()):
            limit = channels[channel].per_slot
            if limit is not None and used > limit:
                out.append(_core("audit.capacity", "", tr("{channel}: {used} contacts in the slot starting "
                                                          "{start:%H:%M} UTC; limit {limit}", channel=channel,
                                                          used=used, start=slots[index].start, limit=limit)))
        for channel, used in sorted(channel_day.items()):
            limit = channels[channel].per_day
            if limit is not None and used > limit:
                out.append(_core("audit.capacity", "", tr("{channel}: {used} contacts today; daily limit {limit}",
                                                          channel=channel, used=used, limit=limit)))
            if not channels[channel].enabled:
                out.append(_core("audit.channel_disabled", "", tr("{channel} is disabled in the configuration",
                                                                  channel=channel)))
        return out
