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

from contactplan.i18n import N_, tr
from contactplan.model import Channel, Config, Debtor, Destination, Exclusion, Pool, Slot
from contactplan.rules.base import ALL_CHANNELS, Context, GateRule, Interval, Rule, RuleMeta, Severity, intersect
from contactplan.rules.local_time import local_windows
from contactplan.rules.packs import PackSet

UTC = dt.timezone.utc
_END_OF_TIME = dt.datetime.max.replace(tzinfo=UTC)
# Pseudo-rules for reasons that are facts about the input, not law: (rule id, what people read,
# marked here and translated where an exclusion is made).
NO_PACK = ("input.no_rule_pack", N_("No rule pack for the debtor's country"))
NO_DESTINATION = ("input.no_destination", N_("The debtor has no destination this channel can use"))
TOO_SHORT = ("grid.window_too_short", N_("The allowed time is shorter than the minimum contact window"))
NO_POOL = ("capacity.no_pool", N_("No agent pool serves this debtor's segment or language in an allowed slot"))
NOT_WORTH = ("value.not_worth_contacting", N_("Expected recovery does not cover the channel's cost"))
# An intra-day re-plan (plan --not-before) that starts after the last allowed time of the day.
NOT_BEFORE = Rule(RuleMeta("plan.not_before", "not_before", N_("the re-plan starts after the day's last allowed time"),
                           "", Severity.POLICY, ""))


def rule_title(rule: Rule) -> str:
    """A rule's title for people, in the reader's language: a pack's as the pack words it, NOT_BEFORE's
    from the catalogue."""
    return tr(rule.meta.title) if rule is NOT_BEFORE else rule.meta.shown_title()


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
    # The day's allowed intervals on this channel (every rule, every candidate zone), shared by
    # the debtors of one window-cache entry: the plan's contacts read the span of their window
    # from them (PlannedContact.allowed), the most a dialer may be given as call time.
    allowed: tuple[Interval, ...] = ()

    def option(self, k: int) -> Option:
        """The k-th option; its value is computed here and, in bulk with the same float
        operations, by solver.flow (option_values, chosen_values)."""
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
    daily_limit: dict[int, int] = field(default_factory=dict)  # debtor index -> max contacts today
    rule_index: dict[str, Rule] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(b.shape.slots) for b in self.blocks)


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
    if ctx.not_before is not None and intervals:  # an intra-day re-plan: what is left of the day
        intervals = intersect(intervals, [(ctx.not_before.astimezone(UTC), _END_OF_TIME)])
        if not intervals:
            return [], NOT_BEFORE
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

    def __init__(self, rules: tuple[Rule, ...], channels: list[Channel], whole: _RuleSet | None = None):
        def overrides(r: Rule, name: str) -> bool:
            return getattr(type(r), name) is not getattr(Rule, name)

        self.rules = rules
        # Which rules apply (cache keys) and which applied per channel (the plan's rules column)
        # are always the whole set's, also for the subset asked about a debtor without store data.
        self.ids = whole.ids if whole else tuple(r.id for r in rules)
        self.applied = whole.applied if whole else {c: tuple(r.id for r in rules if r.covers(c)) for c in channels}
        self.excluders = [r for r in rules if overrides(r, "excludes")]
        # A gate over every channel already excluded the debtor or will block no single channel.
        self.blockers = {c: [r for r in rules if r.covers(c) and overrides(r, "channel_blocked")
                             and not (isinstance(r, GateRule) and r.meta.channels == ALL_CHANNELS)]
                         for c in channels}
        self.destination_rules = {c: [r for r in rules if r.covers(c) and overrides(r, "destination_ok")]
                                  for c in channels}
        # A rule allowing no contact at all today on some channel (daily cap 0) excludes the debtor.
        self.zero_limit = next((r for r in rules for c in channels if r.daily_limit(c) == 0), None)
        self.personal = [r for r in rules if not r.regional and overrides(r, "allowed")]
        # For a debtor the store knows nothing about, the rules that restrict only through
        # history or suppressions have nothing to say (Rule.only_with_store_data): skip them.
        quiet = tuple(r for r in rules if not r.only_with_store_data)
        self.fresh = self if len(quiet) == len(rules) else _RuleSet(quiet, channels, self)
        self.store_readers = tuple(r for r in rules if not r.store_blind)
        # The consent flags of the debtor file a channel's answers read (Rule.consent_field).
        self.consent_fields = {c: tuple(sorted({r.consent_field for r in rules if r.consent_field and r.covers(c)}))
                               for c in channels}

    def quiet(self, debtor: Debtor, ctx: Context) -> bool:
        """Whether the store's data changes none of these rules' answers for the debtor today
        (Rule.store_quiet): its options are then those of the same debtor without it."""
        return all(r.store_quiet(debtor, ctx) for r in self.store_readers)


@dataclass(frozen=True, slots=True)
class _Channel:
    """What the rules allow on one channel for one debtor, before its value is known."""

    channel: Channel
    destination: int  # index into Debtor.destinations
    shape: Shape
    pools: tuple[str, ...]  # pools serving the debtor (agent calls only)
    rules: tuple[str, ...]
    allowed: tuple[Interval, ...]  # the allowed intervals the shape's windows were cut from


@dataclass(frozen=True, slots=True)
class _Recipe:
    """The value-independent part of a debtor's options: usable channels, and why the others are not."""

    usable: tuple[_Channel, ...]
    reasons: dict[Channel, tuple[str, str]]
    time_blocked: tuple[Channel, ...]


# Debtor fields that no rule's option-side methods (excludes aside) read: the recipe of two
# debtors that differ only in these, in their destinations' addresses and in days past due
# (read by debt_age's ``excludes`` alone, which runs per debtor) is the same -- for debtors
# without store data, or whose store data no rule reads today (_RuleSet.quiet: attempts older
# than every window, say, the usual case in collection). The others never share a recipe:
# their rules read dates and addresses.
SHARE_RECIPES = True  # tests compare with False: sharing must change nothing


def _municipality(debtor: Debtor, ctx: Context) -> str:
    """The municipality as the rules read it: only for its holidays (the zones come resolved),
    so only when the user's municipal calendar lists it."""
    code = debtor.municipality_code
    return code if code and code in ctx.calendars.municipal else ""


def _recipe_key(debtor: Debtor, rule_ids: tuple[str, ...], ctx: Context) -> tuple:
    return (rule_ids, debtor.country, debtor.region, _municipality(debtor, ctx), debtor.zones, debtor.flags,
            tuple(debtor.consents.items()), debtor.segment, debtor.language, debtor.preferred_channel,
            debtor.preferred_window, tuple((d.line_type, d.maybe_mobile, d.column) for d in debtor.destinations))


def _alike_key(debtor: Debtor, rule_ids: tuple[str, ...], ctx: Context) -> tuple:
    """The part of _recipe_key every channel's part of a recipe depends on: the recipe's key
    without the consent flags, segment and language, and with the destinations' line types
    only (_channel_key adds what one channel reads)."""
    return (rule_ids, debtor.country, debtor.region, _municipality(debtor, ctx), debtor.zones, debtor.flags,
            debtor.preferred_channel, debtor.preferred_window, tuple(d.line_type for d in debtor.destinations))


def _channel_key(alike: tuple, debtor: Debtor, channel: Channel, rs: _RuleSet, by_segment: bool) -> tuple:
    """What one channel's part of a recipe depends on: the debtor's _alike_key with only the
    consent flags the channel's rules read, the segment and language only where pools (agent
    calls) or a model learned by segment read them, and of the destinations only those the
    channel can use (their places in the list follow from the line types in ``alike``). Debtors
    who differ in another channel's consent or numbers share this channel's part: a portfolio's
    consent columns alone make thousands of recipes."""
    agent = channel.needs_agent
    return (channel, alike, tuple(debtor.consents.get(f) for f in rs.consent_fields[channel]),
            debtor.segment if agent or by_segment else "", debtor.language if agent else "",
            tuple((d.maybe_mobile, d.column) for d in debtor.destinations_for(channel)))


class _Builder:
    def __init__(self, packs: PackSet, ctx: Context, slots: list[Slot], pools: list[Pool], config: Config):
        self.packs, self.ctx, self.slots, self.pools, self.config = packs, ctx, slots, pools, config
        self.channels = [c for c, cc in config.channels.items() if cc.enabled]
        self.min_window = dt.timedelta(minutes=config.min_window_minutes)
        self.window_cache: dict[tuple, tuple[Shape | None, Rule | None, tuple[Interval, ...]]] = {}
        self.pool_by_name = {p.name: p for p in pools}
        self.staffed_slots: dict[tuple[str, ...], frozenset[int]] = {}
        self.serving_pools: dict[tuple[str, str], tuple[str, ...]] = {}
        self.book = ShapeBook()
        self.cuts: dict[tuple, Shape] = {}
        self.finals: dict[tuple, Shape] = {}
        # id(rules) -> (rules, their ids, _RuleSet); holding the tuple keeps its id from being reused.
        self.per_rule_set: dict[int, tuple[tuple[Rule, ...], _RuleSet]] = {}
        self.recipes: dict[tuple, _Recipe] = {}
        self.parts: dict[tuple, tuple[_Channel | None, tuple[str, str] | None, bool]] = {}
        self.by_segment = config.model is not None and config.model.by_segment
        self.unlimited = {c for c in self.channels if not c.needs_agent and config.channels[c].per_slot is None
                          and config.channels[c].per_day is None}
        # The pseudo-rules' reasons in the reader's language, translated once for every debtor.
        self.no_destination = (NO_DESTINATION[0], tr(NO_DESTINATION[1]))
        self.too_short = (TOO_SHORT[0], tr(TOO_SHORT[1]))
        self.no_pool = (NO_POOL[0], tr(NO_POOL[1]))
        self.not_worth = (NOT_WORTH[0], tr(NOT_WORTH[1]))
        self.no_pack = tr(NO_PACK[1])
        self.zero_limit = tr("daily limit is 0")
        # id(rule that left no allowed time today) -> (the rule, (its id, the reason)), worded once per rule.
        self.no_time: dict[int, tuple[Rule, tuple[str, str]]] = {}

    def cut(self, shape: Shape, why: tuple, keep: Callable[[Shape], list[int]]) -> Shape:
        key = (shape.id, *why)
        sub = self.cuts.get(key)
        if sub is None:
            sub = self.cuts[key] = self.book.subset(shape, tuple(keep(shape)))
        return sub

    def recipe(self, debtor: Debtor, rs: _RuleSet, share: bool = False) -> _Recipe:
        """The debtor's recipe, channel by channel; with ``share`` (a debtor whose recipe may be
        shared), each channel's part is shared by the debtors with the same _channel_key."""
        usable: list[_Channel] = []
        reasons: dict[Channel, tuple[str, str]] = {}
        time_blocked: list[Channel] = []
        alike = _alike_key(debtor, rs.ids, self.ctx) if share else ()
        for channel in self.channels:
            if not share:
                part = self.channel_part(debtor, channel, rs)
            else:
                part_key = _channel_key(alike, debtor, channel, rs, self.by_segment)
                part = self.parts.get(part_key)
                if part is None:
                    part = self.parts[part_key] = self.channel_part(debtor, channel, rs)
            use, reason, timed = part
            if use is not None:
                usable.append(use)
            else:
                reasons[channel] = reason
                if timed:
                    time_blocked.append(channel)
        return _Recipe(tuple(usable), reasons, tuple(time_blocked))

    def channel_part(self, debtor: Debtor, channel: Channel, rs: _RuleSet
                     ) -> tuple[_Channel | None, tuple[str, str] | None, bool]:
        """What the rules allow on one channel: (how it is used, None, False), or (None, why not,
        whether the reason is today's time)."""
        ctx = self.ctx
        blocked = next(((r, why) for r in rs.blockers[channel] if (why := r.channel_blocked(debtor, channel, ctx))),
                       None)
        if blocked:
            return None, (blocked[0].id, blocked[1]), False
        dests = debtor.destinations_for(channel)
        if not dests:
            return None, self.no_destination, False
        dest, last_refusal = None, None
        for d in dests:
            refusal = next(((r, why) for r in rs.destination_rules[channel]
                            if (why := r.destination_ok(debtor, channel, d, ctx))), None)
            if refusal is None:
                dest = d
                break
            last_refusal = refusal
        if dest is None:
            return None, (last_refusal[0].id, last_refusal[1]), False
        shape, emptied_by, allowed = self.windows(debtor, channel, rs)
        if shape is None:
            return None, self.no_time_today(emptied_by) if emptied_by else self.too_short, True
        serving = self.serving(debtor) if channel.needs_agent else ()
        use = _Channel(channel, debtor.destinations.index(dest), shape, serving, rs.applied[channel], allowed)
        return use, None, False

    def windows(self, debtor: Debtor, channel: Channel, rs: _RuleSet
                ) -> tuple[Shape | None, Rule | None, tuple[Interval, ...]]:
        """The channel's shape today, shared by every debtor in the same place under the same
        rules, the rule that emptied it (if it is None) and the allowed intervals it was cut from."""
        ctx, config = self.ctx, self.config
        # Rules that read the debtor's own data (history, preferred window) join the key with
        # the very limits they set today, clipped to the plan day (what lies outside it cannot
        # change the result), so debtors they restrict alike still share: "not before 2 h after
        # the last attempt" is the whole day for everyone called yesterday.
        personal: tuple = ()
        if rs.personal:
            day = local_day(debtor, ctx.plan_date)
            personal = tuple(tuple(intersect(day, limit)) if (limit := r.allowed(debtor, channel, ctx)) is not None
                             else None for r in rs.personal)
        # A model learned by segment makes the segment part of what debtors must share.
        segment = debtor.segment if self.by_segment else ""
        key = (debtor.country, debtor.region, _municipality(debtor, ctx), debtor.zones, channel, rs.ids, personal,
               segment)
        cached = self.window_cache.get(key)
        if cached is None:
            intervals, emptied_by = allowed_intervals(debtor, channel, rs.rules, ctx)
            zone = ZoneInfo(debtor.primary_zone)
            cc = config.channels[channel]
            effectiveness = cc.effectiveness
            if config.model is None:
                # Reach by the debtor's local hour at the window start (config "hours").
                windows = [(index, window, config.hour_factor(window[0].astimezone(zone).hour))
                           for index, window in slot_windows(intervals, self.slots, self.min_window).items()]
            else:
                windows = []
                for index, window in slot_windows(intervals, self.slots, self.min_window).items():
                    effectiveness, factor, _ = config.worth(channel, window[0].astimezone(zone).hour, segment)
                    windows.append((index, window, factor))
            cached = (self.book.add(channel, windows, effectiveness, cc.cost) if windows else None, emptied_by,
                      tuple(intervals))
            self.window_cache[key] = cached
        return cached

    def no_time_today(self, rule: Rule) -> tuple[str, str]:
        found = self.no_time.get(id(rule))
        if found is None or found[0] is not rule:
            found = self.no_time[id(rule)] = (rule, (rule.id, tr("no allowed time today ({title})",
                                                                 title=rule_title(rule))))
        return found[1]

    def serving(self, debtor: Debtor) -> tuple[str, ...]:
        """Pools that may call the debtor: they depend on its segment and language only (Pool.serves)."""
        key = (debtor.segment, debtor.language)
        found = self.serving_pools.get(key)
        if found is None:
            found = self.serving_pools[key] = tuple(p.name for p in self.pools if p.serves(debtor))
        return found

    def staffed(self, serving: tuple[str, ...]) -> frozenset[int]:
        found = self.staffed_slots.get(serving)
        if found is None:
            found = self.staffed_slots[serving] = frozenset(
                s.index for s in self.slots if any(self.pool_by_name[n].capacity[s.index] > 0 for n in serving))
        return found

    def _final(self, use: _Channel, lowest: float) -> Shape:
        """The slots a debtor may be offered on a channel, given the lowest hour factor at which a
        contact is worth its cost: worth it, staffed by a serving pool (agent calls), and for a
        channel nothing limits only the single most valuable slot -- the debtor gets at most one
        contact, so no other slot of that channel can be in an optimal plan (exact)."""
        shape = self.cut(use.shape, ("worth", lowest),
                         lambda sh: [k for k, f in enumerate(sh.factors) if f >= lowest])
        if use.channel.needs_agent:
            staffed = self.staffed(use.pools)
            shape = self.cut(shape, ("staffed", use.pools), lambda sh: [k for k, s in enumerate(sh.slots) if s in staffed])
        if use.channel in self.unlimited:
            shape = self.cut(shape, ("best",), lambda sh: [sh.factors.index(sh.levels[-1])])
        return shape

    def blocks(self, i: int, debtor: Debtor, recipe: _Recipe, result: Options) -> dict[Channel, tuple[str, str]]:
        """The debtor's option blocks at its value; returns the reasons of the channels without any."""
        reasons = recipe.reasons
        value_base = float(debtor.balance) * (debtor.p_pay if debtor.p_pay is not None else self.config.default_p_pay)
        best_free: tuple[OptionBlock, float] | None = None
        for use in recipe.usable:
            shape = use.shape
            # Only slots where the contact is worth its cost: value = value_base x effectiveness x
            # hour factor - cost grows with the factor, so they are the factors from some level up.
            gross = value_base * shape.effectiveness
            cost = shape.cost
            lowest = next((f for f in shape.levels if gross * f - cost > 0), None)
            if lowest is None:
                reasons = {**reasons, use.channel: self.not_worth}
                continue
            key = (shape.id, lowest, use.pools)
            final = self.finals.get(key)
            if final is None:
                final = self.finals[key] = self._final(use, lowest)
            if not final.slots:
                reasons = {**reasons, use.channel: self.no_pool}
                continue
            block = OptionBlock(i, use.channel, debtor.destinations[use.destination], use.pools, use.rules, final,
                                value_base, use.allowed)
            if use.channel in self.unlimited:
                value = gross * final.factors[0] - cost
                if best_free is None or value > best_free[1]:
                    best_free = (block, value)
            else:
                result.blocks.append(block)
        if best_free is not None:
            result.blocks.append(best_free[0])
        return reasons


def build_options(debtors: list[Debtor], packs: PackSet, ctx: Context, slots: list[Slot], pools: list[Pool],
                  config: Config) -> Options:
    """Options and exclusions for every debtor.

    One process: two (forked, contiguous debtor ranges) were measured no faster on the 2-core
    target, 35.2 s against 35.8 s for 1M debtors, because each builds its own caches and
    copy-on-write page faults stall both."""
    builder = _Builder(packs, ctx, slots, pools, config)
    result = Options(shapes=builder.book.shapes)
    for i, debtor in enumerate(debtors):
        if not packs.covers(debtor.country):
            result.exclusions.append(Exclusion(debtor.debtor_id, NO_PACK[0], "",
                                               f"{builder.no_pack} ({debtor.country})"))
            continue
        rules = packs.rules_for(debtor, ctx.plan_date)
        # rules_for returns one cached tuple per (country, region, date): known by identity.
        found = builder.per_rule_set.get(id(rules))
        if found is None:
            found = builder.per_rule_set[id(rules)] = (rules, _RuleSet(rules, builder.channels))
            result.rule_index.update((r.id, r) for r in rules)
        rs = found[1]
        # Without sharing (the tests' reference), a debtor with store data is asked of every rule.
        fresh = not debtor.has_store_data or (SHARE_RECIPES and rs.quiet(debtor, ctx))
        if fresh:
            rs = rs.fresh
        gate = None
        for r in rs.excluders:
            why = r.excludes(debtor, ctx)
            if why:
                gate = (r, why)
                break
        if gate:
            rule, why = gate
            result.exclusions.append(Exclusion(debtor.debtor_id, rule.id, rule.meta.shown_citation(), why,
                                               next_eligible=rule.eligible_again(debtor, ctx)))
            continue
        if rs.zero_limit is not None:
            rule = rs.zero_limit
            result.exclusions.append(Exclusion(debtor.debtor_id, rule.id, rule.meta.shown_citation(), builder.zero_limit))
            continue
        # One contact per debtor per day is the most this planner makes (the option pruning and
        # the flow's groups rely on it).
        result.daily_limit[i] = 1
        key = _recipe_key(debtor, rs.ids, ctx) if SHARE_RECIPES and fresh else None
        recipe = builder.recipes.get(key) if key is not None else None
        if recipe is None:
            recipe = builder.recipe(debtor, rs, share=key is not None)
            if key is not None:
                builder.recipes[key] = recipe
        before = len(result.blocks)
        reasons = builder.blocks(i, debtor, recipe, result)
        if len(result.blocks) == before:
            result.exclusions.append(_debtor_exclusion(debtor, reasons, result.rule_index, list(recipe.time_blocked),
                                                       ctx, packs))
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
    return Exclusion(debtor.debtor_id, rule_id, rule.meta.shown_citation() if rule else "", f"{why} [{detail}]",
                     next_eligible=nxt)


def learned_options(debtors: list[Debtor], opts: Options, config: Config) -> tuple[int, int]:
    """(options valued by the model, options valued by the config's constants) with ``plan
    --model``: the summary says how much of the plan the model decided."""
    model = config.model
    seen: dict[tuple, tuple[int, int]] = {}
    learned = fallback = 0
    for block in opts.blocks:
        debtor = debtors[block.debtor]
        segment = debtor.segment if model.by_segment else ""
        key = (block.shape.id, debtor.primary_zone, segment)
        counts = seen.get(key)
        if counts is None:
            zone = ZoneInfo(debtor.primary_zone)
            hits = sum(1 for w in block.shape.windows
                       if model.cell(block.channel, w[0].astimezone(zone).hour, segment) is not None)
            counts = seen[key] = (hits, len(block.shape.windows) - hits)
        learned += counts[0]
        fallback += counts[1]
    return learned, fallback
