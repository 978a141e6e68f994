"""From debtors and rules to options: (debtor, channel, destination, slot, pool, window, value).

Rules decide which options exist; the optimiser only chooses among them. A debtor with no option
gets an Exclusion naming the rule that removed its last possibility (and the next date it could be
contacted when the reason is the calendar), so every debtor read is accounted for.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from contactplan.config import Config
from contactplan.model import Channel, Debtor, Destination, Exclusion, Pool, Slot
from contactplan.rules.base import ALL_CHANNELS, Context, GateRule, Interval, Rule, intersect
from contactplan.rules.hours import local_windows
from contactplan.rules.packs import PackSet

UTC = dt.timezone.utc
# Pseudo-rules for reasons that are facts about the input, not law.
NO_PACK = ("input.no_rule_pack", "No rule pack for the debtor's country")
NO_DESTINATION = ("input.no_destination", "The debtor has no destination this channel can use")
TOO_SHORT = ("grid.window_too_short", "The allowed time is shorter than the minimum contact window")
NO_POOL = ("capacity.no_pool", "No agent pool serves this debtor's segment or language in an allowed slot")
NOT_WORTH = ("value.not_worth_contacting", "Expected recovery does not cover the channel's cost")


@dataclass(frozen=True)
class Option:
    debtor: int  # index into the debtor list
    channel: Channel
    destination: Destination
    slot: int
    # Agent pools that may take this call (they serve the debtor and staff the slot); empty for
    # channels without agents. The flow picks the pool, so a debtor has one option per slot, not
    # one per pool and slot.
    pools: tuple[str, ...]
    window: Interval
    value: float
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Shape:
    """Where and when one channel may be used: the slots, the allowed window inside each and the
    reach factor by the debtor's local hour, with the channel's effectiveness and cost.

    Debtors in the same zones under the same rules share their shape, so a portfolio of a million
    debtors has a few thousand shapes; an option's value is ``value_base * effectiveness * factor
    - cost``, computed in bulk by the solver instead of stored per option."""

    id: int
    channel: Channel
    slots: tuple[int, ...]
    windows: tuple[Interval, ...]
    factors: tuple[float, ...]
    effectiveness: float
    cost: float
    levels: tuple[float, ...]  # the distinct factors, ascending

    def values(self, value_base: float) -> list[float]:
        gross = value_base * self.effectiveness
        return [gross * f - self.cost for f in self.factors]


@dataclass(slots=True)
class OptionBlock:
    """The options of one debtor on one channel and destination: one per slot of its shape."""

    debtor: int
    channel: Channel
    destination: Destination
    pools: tuple[str, ...]
    rules: tuple[str, ...]
    shape: Shape
    value_base: float  # balance x probability of payment

    @property
    def slots(self) -> tuple[int, ...]:
        return self.shape.slots

    @property
    def windows(self) -> tuple[Interval, ...]:
        return self.shape.windows

    @property
    def values(self) -> list[float]:
        return self.shape.values(self.value_base)

    def option(self, k: int) -> Option:
        shape = self.shape
        return Option(self.debtor, self.channel, self.destination, shape.slots[k], self.pools, shape.windows[k],
                      self.value_base * shape.effectiveness * shape.factors[k] - shape.cost, self.rules)


class ShapeBook:
    """Every distinct shape once, and the subsets the option builder cuts from them (slots worth
    contacting at this value, slots some pool staffs), each cut computed once."""

    def __init__(self) -> None:
        self.shapes: list[Shape] = []
        self._by_key: dict[tuple, Shape] = {}

    def _intern(self, channel: Channel, slots: tuple[int, ...], windows: tuple[Interval, ...],
                factors: tuple[float, ...], effectiveness: float, cost: float) -> Shape:
        key = (channel, slots, windows, factors, effectiveness, cost)
        shape = self._by_key.get(key)
        if shape is None:
            shape = Shape(len(self.shapes), channel, slots, windows, factors, effectiveness, cost,
                          tuple(sorted(set(factors))))
            self.shapes.append(shape)
            self._by_key[key] = shape
        return shape

    def add(self, channel: Channel, windows: list[tuple[int, Interval, float]], effectiveness: float,
            cost: float) -> Shape:
        return self._intern(channel, tuple(w[0] for w in windows), tuple(w[1] for w in windows),
                            tuple(w[2] for w in windows), effectiveness, cost)

    def subset(self, shape: Shape, keep: tuple[int, ...]) -> Shape:
        """The shape restricted to positions ``keep`` (cached by the caller's key)."""
        if len(keep) == len(shape.slots):
            return shape
        return self._intern(shape.channel, tuple(shape.slots[k] for k in keep), tuple(shape.windows[k] for k in keep),
                            tuple(shape.factors[k] for k in keep), shape.effectiveness, shape.cost)


@dataclass
class Options:
    blocks: list[OptionBlock] = field(default_factory=list)  # a debtor's blocks are consecutive
    shapes: list[Shape] = field(default_factory=list)  # by Shape.id
    exclusions: list[Exclusion] = field(default_factory=list)  # one per debtor without any option
    channel_reasons: dict[str, dict[Channel, tuple[str, str]]] = field(default_factory=dict)
    daily_limit: dict[int, int] = field(default_factory=dict)  # debtor index -> max contacts today
    rule_index: dict[str, Rule] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(b.shape.slots) for b in self.blocks)

    @property
    def options(self) -> list[Option]:
        """Every option as an object, in block order (for tests and small portfolios)."""
        return [b.option(k) for b in self.blocks for k in range(len(b.shape.slots))]


def local_day(debtor: Debtor, day: dt.date) -> list[Interval]:
    """The plan date in every candidate zone at once: contacts must fall on that local date everywhere."""
    return local_windows(debtor, day, [(dt.time(0), dt.time.max)])  # 24:00 closes the day


def allowed_intervals(debtor: Debtor, channel: Channel, rules: tuple[Rule, ...], ctx: Context
                      ) -> tuple[list[Interval], Rule | None]:
    """Allowed UTC intervals on the plan date and, when empty, the rule that emptied them."""
    intervals = local_day(debtor, ctx.plan_date)
    for rule in rules:
        limit = rule.allowed(debtor, channel, ctx)
        if limit is not None:
            intervals = intersect(intervals, limit)
            if not intervals:
                return [], rule
    return intervals, None


def slot_windows(intervals: list[Interval], slots: list[Slot], min_window: dt.timedelta) -> dict[int, Interval]:
    """For each slot, the longest allowed piece inside it (at least ``min_window`` long)."""
    out: dict[int, Interval] = {}
    if not intervals:
        return out
    first, last = intervals[0][0], intervals[-1][1]
    for slot in slots:
        if slot.end <= first or slot.start >= last:
            continue
        best: Interval | None = None
        for s, e in intervals:
            piece = (max(s, slot.start), min(e, slot.end))
            if piece[1] - piece[0] >= min_window and (best is None or piece[1] - piece[0] > best[1] - best[0]):
                best = piece
        if best:
            out[slot.index] = best
    return out


def next_eligible(debtor: Debtor, rules_for, ctx: Context, channels: list[Channel], horizon: int = 21) -> dt.date | None:
    """First later date with some allowed time on any channel (calendar rules only)."""
    for days in range(1, horizon + 1):
        day = ctx.plan_date + dt.timedelta(days=days)
        later = Context(day, ctx.calendars)
        rules = rules_for(debtor, day)
        if any(allowed_intervals(debtor, ch, rules, later)[0] for ch in channels):
            return day
    return None


class _RuleSet:
    """Per distinct set of applicable rules, which rules can answer which question, so the
    per-debtor loop asks only rules that override the question (same answers, less work)."""

    def __init__(self, rules: tuple[Rule, ...], channels: list[Channel]):
        def overrides(r: Rule, name: str) -> bool:
            return getattr(type(r), name) is not getattr(Rule, name)

        self.excluders = [r for r in rules if overrides(r, "excludes")]
        # A gate over every channel already excluded the debtor or will block no single channel.
        self.blockers = {c: [r for r in rules if r.covers(c) and overrides(r, "channel_blocked")
                             and not (isinstance(r, GateRule) and r.meta.channels == ALL_CHANNELS)]
                         for c in channels}
        self.destination_rules = {c: [r for r in rules if r.covers(c) and overrides(r, "destination_ok")]
                                  for c in channels}
        # A rule allowing no contact at all today on some channel (daily cap 0) excludes the debtor.
        self.zero_limit = next((r for r in rules for c in channels if r.daily_limit(c) == 0), None)
        self.shareable = all(r.regional for r in rules if overrides(r, "allowed"))
        self.personal = [r for r in rules if not r.regional and overrides(r, "allowed")]
        self.applied = {c: tuple(r.id for r in rules if r.covers(c)) for c in channels}


def build_options(debtors: list[Debtor], packs: PackSet, ctx: Context, slots: list[Slot], pools: list[Pool],
                  config: Config) -> Options:
    result = Options()
    channels = [c for c, cc in config.channels.items() if cc.enabled]
    min_window = dt.timedelta(minutes=config.min_window_minutes)
    window_cache: dict[tuple, tuple[Shape | None, Rule | None]] = {}
    pool_by_name = {p.name: p for p in pools}
    staffed_slots: dict[tuple[str, ...], frozenset[int]] = {}
    book = ShapeBook()
    result.shapes = book.shapes
    cuts: dict[tuple, Shape] = {}

    def cut(shape: Shape, why: tuple, keep: Callable[[Shape], list[int]]) -> Shape:
        key = (shape.id, *why)
        sub = cuts.get(key)
        if sub is None:
            sub = cuts[key] = book.subset(shape, tuple(keep(shape)))
        return sub

    per_rule_set: dict[tuple[str, ...], _RuleSet] = {}
    unlimited = {c for c in channels if not c.needs_agent and config.channels[c].per_slot is None
                 and config.channels[c].per_day is None}
    for i, debtor in enumerate(debtors):
        if not packs.covers(debtor.country):
            result.exclusions.append(Exclusion(debtor.debtor_id, NO_PACK[0], "", f"{NO_PACK[1]} ({debtor.country})"))
            continue
        rules = packs.rules_for(debtor, ctx.plan_date)
        rule_ids = tuple(r.id for r in rules)
        if rule_ids not in per_rule_set:
            per_rule_set[rule_ids] = _RuleSet(rules, channels)
            result.rule_index.update((r.id, r) for r in rules)
        rs = per_rule_set[rule_ids]
        gate = next(((r, why) for r in rs.excluders if (why := r.excludes(debtor, ctx))), None)
        if gate:
            rule, why = gate
            result.exclusions.append(Exclusion(debtor.debtor_id, rule.id, rule.meta.citation, why,
                                               next_eligible=rule.eligible_again(debtor, ctx)))
            continue
        shareable, personal_rules, applied_by_channel = rs.shareable, rs.personal, rs.applied
        if rs.zero_limit is not None:
            rule = rs.zero_limit
            result.exclusions.append(Exclusion(debtor.debtor_id, rule.id, rule.meta.citation, "daily limit is 0"))
            continue
        # One contact per debtor per day is the most this planner makes (the option pruning below
        # relies on it).
        result.daily_limit[i] = 1
        reasons: dict[Channel, tuple[str, str]] = {}
        time_blocked: list[Channel] = []
        found = 0
        best_free: tuple[OptionBlock, float] | None = None
        value_base = float(debtor.balance) * (debtor.p_pay if debtor.p_pay is not None else config.default_p_pay)
        for channel in channels:
            blocked = next(((r, why) for r in rs.blockers[channel] if (why := r.channel_blocked(debtor, channel, ctx))),
                           None)
            if blocked:
                reasons[channel] = (blocked[0].id, blocked[1])
                continue
            dests = debtor.destinations_for(channel)
            if not dests:
                reasons[channel] = (NO_DESTINATION[0], NO_DESTINATION[1])
                continue
            dest, last_refusal = None, None
            for d in dests:
                refusal = next(((r, why) for r in rs.destination_rules[channel]
                                if (why := r.destination_ok(debtor, channel, d, ctx))), None)
                if refusal is None:
                    dest = d
                    break
                last_refusal = refusal
            if dest is None:
                reasons[channel] = (last_refusal[0].id, last_refusal[1])
                continue
            key = (debtor.country, debtor.region, debtor.municipality_code, debtor.zones, channel, rule_ids)
            # Rules that read the debtor's own data (history, preferred window) share nothing
            # unless they leave this debtor's time unrestricted.
            share = shareable or all(r.allowed(debtor, channel, ctx) is None for r in personal_rules)
            cached = window_cache.get(key) if share else None
            if cached is None:
                intervals, emptied_by = allowed_intervals(debtor, channel, rules, ctx)
                zone = ZoneInfo(debtor.primary_zone)
                # Reach by the debtor's local hour at the window start (config "hours").
                windows = [(index, window, config.hour_factor(window[0].astimezone(zone).hour))
                           for index, window in slot_windows(intervals, slots, min_window).items()]
                cc = config.channels[channel]
                cached = (book.add(channel, windows, cc.effectiveness, cc.cost) if windows else None, emptied_by)
                if share:
                    window_cache[key] = cached
            shape, emptied_by = cached
            if shape is None:
                reasons[channel] = (emptied_by.id, f"no allowed time today ({emptied_by.meta.title})") if emptied_by \
                    else TOO_SHORT
                time_blocked.append(channel)
                continue
            # Only slots where the contact is worth its cost: value = value_base x effectiveness x
            # hour factor - cost grows with the factor, so they are the factors from some level up.
            gross = value_base * shape.effectiveness
            worth = [f for f in shape.levels if gross * f - shape.cost > 0]
            if not worth:
                reasons[channel] = NOT_WORTH
                continue
            shape = cut(shape, ("worth", worth[0]), lambda sh, lo=worth[0]: [k for k, f in enumerate(sh.factors) if f >= lo])
            serving: tuple[str, ...] = ()
            if channel.needs_agent:
                serving = tuple(p.name for p in pools if p.serves(debtor))
                if serving not in staffed_slots:
                    staffed_slots[serving] = frozenset(
                        s.index for s in slots if any(pool_by_name[n].capacity[s.index] > 0 for n in serving))
                staffed = staffed_slots[serving]
                shape = cut(shape, ("staffed", serving), lambda sh: [k for k, s in enumerate(sh.slots) if s in staffed])
                if not shape.slots:
                    reasons[channel] = NO_POOL
                    continue
            found += len(shape.slots)
            block = OptionBlock(i, channel, dest, serving, applied_by_channel[channel], shape, value_base)
            if channel in unlimited:
                # Nothing limits this channel, and the debtor gets at most one contact, so only
                # its single most valuable unlimited option can be in an optimal plan (exact).
                block.shape = cut(shape, ("best",), lambda sh: [sh.factors.index(sh.levels[-1])])
                value = gross * shape.levels[-1] - shape.cost
                if best_free is None or value > best_free[1]:
                    best_free = (block, value)
            else:
                result.blocks.append(block)
        if best_free is not None:
            result.blocks.append(best_free[0])
        result.channel_reasons[debtor.debtor_id] = reasons
        if not found:
            result.exclusions.append(_debtor_exclusion(debtor, reasons, result.rule_index, time_blocked, ctx, packs))
    return result


def _debtor_exclusion(debtor: Debtor, reasons: dict[Channel, tuple[str, str]], rule_index: dict[str, Rule],
                      time_blocked: list[Channel], ctx: Context, packs: PackSet) -> Exclusion:
    """Name the one reason that blocked the most channels (ties: the first channel in contract order)."""
    # A channel the debtor has no destination for says little; name what blocked the others.
    real = {c: r for c, r in reasons.items() if r[0] != NO_DESTINATION[0]} or reasons
    counts = Counter(rule_id for rule_id, _ in real.values())
    rule_id = max(counts, key=lambda r: (counts[r], -list(counts).index(r))) if counts else NO_DESTINATION[0]
    why = next((w for r, w in real.values() if r == rule_id), "")
    detail = "; ".join(f"{c}: {r}" for c, (r, _) in reasons.items())
    rule = rule_index.get(rule_id)
    # Time lifts calendar blocks, caps and cooldowns by itself; flags and consents need the data to change.
    nxt = rule.eligible_again(debtor, ctx) if rule else None
    if nxt is None and time_blocked:
        nxt = next_eligible(debtor, packs.rules_for, ctx, time_blocked)
    return Exclusion(debtor.debtor_id, rule_id, rule.meta.citation if rule else "", f"{why} [{detail}]",
                     next_eligible=nxt)
