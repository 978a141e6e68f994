"""frequency_cap: at most ``max`` attempts on the covered channels in any ``window_days``
consecutive local days, counting the history (whatever day it falls on, today's own attempts
included) and today's planned contacts. Outcomes in ``not_counted`` (e.g. busy, not in service:
the call never connected) do not count.

``scope = "destination"`` counts per number; ``line_types`` limits the cap to destinations of
those line types. An attempt to a destination the debtor file no longer lists is of unknown line
type and counts against every line-typed cap (the strict reading). ``directions`` says whose
contacts count (outbound, made by the collector, by default: a call the debtor places is not one
the collector places); with ``consented_callbacks = "not_counted"`` a call back the debtor asked
for is neither counted nor limited (rules/callbacks.py).

Days are the debtor's local days in every candidate zone: an attempt counts on each local date
it falls on (23:40 in Rio Branco is 00:40 of the next day in Cuiabá), so the strictest count wins.

References:
    - USA: 12 CFR 1006.14(b)(2)(i)(A): more than seven telephone calls within seven
      consecutive days is presumed harassment; 1006.14(b)(3) and comment 14(b)(3)(ii)-1 (calls
      that do not connect, calls with prior consent); 47 CFR 64.1200(a)(3) as amended by FCC
      20-186 and FCC 22-100 (three prerecorded calls to a residential line in 30 days);
      Massachusetts 940 CMR 7.04(1)(f) (calls to a residence or cell phone counted apart from
      calls to other numbers).
    - Brazil: no statutory cap besides Mato Grosso (Lei 11.792/2022 art. 4, daily_cap); the
      seven-day budget is policy grounded in Código de Defesa do Consumidor arts. 42 and 71
      (insistent collection is constraint; rules-brazil.md §4.10).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Attempt, Channel, Debtor, Destination, PlannedContact, by_time
from contactplan.rules import callbacks
from contactplan.rules.attempts import (consented_callbacks, counts_text, directions, line_types, matches_line_types,
                                        outcomes)
from contactplan.rules.base import Context, GateRule, ParamError, Violation, no_extra, take
from contactplan.rules.local_time import day_start, local_days


@dataclass(frozen=True)
class FrequencyCap(GateRule):

    kind = "frequency_cap"

    @classmethod
    def build(cls, meta, params: dict) -> FrequencyCap:
        no_extra(params, {"max", "window_days", "not_counted", "scope", "line_types", "directions",
                          "consented_callbacks"})
        limit, days = take(params, "max", int), take(params, "window_days", int)
        if limit < 0:
            raise ParamError("max", tr("must be 0 or more"))
        if not 1 <= days <= 366:
            raise ParamError("window_days", tr("must be between 1 and 366"))
        scope = take(params, "scope", str, "debtor")
        if scope not in ("debtor", "destination"):
            # Per account is never stricter than per person: a contact counts against each account.
            raise ParamError("scope", tr("must be debtor (all the person's numbers) or destination (per number)"))
        return cls(meta, {"max": limit, "days": days, "not_counted": outcomes(params, "not_counted", []),
                          "scope": scope, "line_types": line_types(params),
                          "directions": directions(params, ["outbound"]),
                          "consented": consented_callbacks(params, ("counted", "not_counted"))})

    def summary(self) -> str:
        p = self.params
        text = tr("at most {max} in any {days} local day(s), history included", max=p["max"], days=p["days"])
        if p["scope"] == "destination":
            text += ", " + tr("per number")
        if p["line_types"]:
            text += ", " + tr("to {types} destinations", types="/".join(sorted(t.value for t in p["line_types"])))
        text += "; " + counts_text(p["directions"], p["not_counted"])
        if p["consented"] == "not_counted":
            text += "; " + tr("calls back the debtor asked for not counted")
        return text

    @property
    def only_with_store_data(self) -> bool:
        return self.params["max"] > 0  # a cap of 0 blocks even a debtor never contacted

    def store_quiet(self, debtor: Debtor, ctx: Context) -> bool:
        # A cap of 0 blocks anyway, but its message counts the attempts.
        return not debtor.history or self._below_cap(debtor, ctx)

    def _below_cap(self, debtor: Debtor, ctx: Context) -> bool:
        """Whether no window ending on the plan date can hold ``max`` attempts (to any number),
        seen without counting: the debtor has fewer attempts in all, or none since the window's
        first local day."""
        limit = self.params["max"]
        if limit <= 0:
            return False
        if len(debtor.history) < limit:
            return True
        first = ctx.plan_date - dt.timedelta(days=self.params["days"] - 1)
        return debtor.latest_attempt_at < day_start(debtor.zones, first)

    @property
    def lookback_days(self) -> int:
        return self.params["days"]

    @property
    def per_destination(self) -> bool:
        return self.params["scope"] == "destination"

    @property
    def by_line_type(self) -> bool:
        """A cap on some line types only, or per number, decides per destination, not per debtor."""
        return self.per_destination or self.params["line_types"] is not None

    def _typed(self, debtor: Debtor, address: str) -> bool:
        """Whether an attempt or contact to ``address`` falls under the cap's line types."""
        types = self.params["line_types"]
        if types is None:
            return True
        known = [d for d in debtor.destinations if d.address == address]
        return not known or any(matches_line_types(d, types) for d in known)

    def _counted(self, debtor: Debtor, destination: str | None = None,
                 index: callbacks.Requests | None = None, among: Sequence[Attempt] | None = None) -> list[Attempt]:
        p = self.params
        covered, not_counted, directions = self.covered_channels, p["not_counted"], p["directions"]
        found = [a for a in (debtor.history if among is None else among)
                 if a.channel in covered and a.outcome not in not_counted and a.direction in directions]
        if destination is not None:
            found = [a for a in found if a.destination == destination]
        if p["line_types"] is not None:
            found = [a for a in found if self._typed(debtor, a.destination)]
        if p["consented"] == "not_counted":
            index = index or callbacks.Requests(debtor)
            found = [a for a in found if not callbacks.consented(debtor, a, index)]
        return found

    def _in_window(self, debtor: Debtor, day: dt.date, destination: str | None = None,
                   contact: PlannedContact | None = None) -> list[Attempt]:
        """Counted attempts on the local days of the window ending on ``day``; with ``contact``,
        only those that may come before it (check(): PlannedContact.may_follow)."""
        first = day - dt.timedelta(days=self.params["days"] - 1)
        return [a for a in self._counted(debtor, destination)
                if (contact is None or contact.may_follow(a))
                and any(first <= d <= day for d in local_days(debtor, a.attempted_at))]

    def _count(self, debtor: Debtor, day: dt.date, destination: str | None = None) -> int:
        """len(_in_window(...)) for the generation answers, which ask it of every debtor with a
        history, for each channel: only the attempts within the window's instants, widened by
        day_start's margin, can have a local date in it, so those few are the ones looked at."""
        if not debtor.history:
            return 0
        first = day - dt.timedelta(days=self.params["days"] - 1)
        lo = day_start(debtor.zones, first)
        if debtor.latest_attempt_at < lo:
            return 0  # every attempt is older than the window (a daily cap: nobody called today)
        hi = day_start(debtor.zones, day + dt.timedelta(days=1), latest=True)
        near = [a for a in debtor.history if lo <= a.attempted_at < hi]
        if not near:
            return 0
        return sum(1 for a in self._counted(debtor, destination, among=near)
                   if any(first <= d <= day for d in local_days(debtor, a.attempted_at)))

    # --- generation -----------------------------------------------------------------------
    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        if not self.by_line_type or not self.covers(channel):
            return None
        if not matches_line_types(dest, self.params["line_types"]) or self._below_cap(debtor, ctx):
            return None
        n = self._count(debtor, ctx.plan_date, dest.address if self.per_destination else None)
        if n >= self.params["max"]:
            if self.per_destination:
                return tr("{n} counted attempts to this number in the {days} days to {day}", n=n,
                          days=self.params["days"], day=ctx.plan_date)
            return tr("{n} counted attempts to such numbers in the {days} days to {day}", n=n,
                      days=self.params["days"], day=ctx.plan_date)
        return None

    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        if self.by_line_type or self._below_cap(debtor, ctx):
            return None
        n = self._count(debtor, ctx.plan_date)
        if n >= self.params["max"]:
            return tr("{n} counted attempts in the {days} days to {day}; at most {max}", n=n,
                      days=self.params["days"], day=ctx.plan_date, max=self.params["max"])
        return None

    def horizon_budget(self, debtor: Debtor, first_day: dt.date, days: int) -> list[int] | None:
        # A window at least as long as the horizon holds every horizon day up to the one it ends
        # on, so the budgets are nested prefixes (what the horizon's chain can carry exactly).
        if self.by_line_type or self.params["days"] < days:
            return None
        return [self.params["max"] - self._count(debtor, first_day + dt.timedelta(days=j))
                for j in range(days)]

    def eligible_again(self, debtor: Debtor, ctx: Context) -> dt.date | None:
        # The first later day on which the window holds fewer than max attempts (history only).
        if self.by_line_type:
            return None
        for ahead in range(1, self.params["days"] + 1):
            day = ctx.plan_date + dt.timedelta(days=ahead)
            if self._count(debtor, day) < self.params["max"]:
                return day
        return None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """A violation for each contact that would be attempt ``max`` + 1 or later in a window of
        ``window_days`` local days ending on one of its local days. What counts against a contact:
        the counted recorded attempts that may come before it (_in_window), the contact itself and
        the contacts planned to start no later than it (a logged contact's earlier ones are
        recorded attempts already, counted as such); to its number only, per destination."""
        limit, days = self.params["max"], self.params["days"]
        planned = [c for c in self.relevant(contacts) if self._typed(debtor, c.destination)]
        if self.params["consented"] == "not_counted":
            planned = [c for c in planned if callbacks.callback_of(debtor, c) is None]
        to_be = [p for p in planned if p.attempt is None]
        out = []
        for c in planned:
            same = c.destination if self.per_destination else None
            for day in sorted(local_days(debtor, c.window_start)):
                first = day - dt.timedelta(days=days - 1)
                history = len(self._in_window(debtor, day, same, contact=c))
                today = (c.attempt is not None) + sum(
                    1 for p in to_be if p.window_start <= c.window_start and (same is None or p.destination == same)
                    and any(first <= d <= day for d in local_days(debtor, p.window_start)))
                if history + today > limit:
                    out.append(self._violation(debtor, c, history + today, day))
                    break
        return out

    def _violation(self, debtor: Debtor, c: PlannedContact, n: int, day: dt.date) -> Violation:
        limit, days = self.params["max"], self.params["days"]
        if days == 1:
            said = tr("{channel} contact would be attempt {n} on {day} (local); at most {max}", channel=c.channel,
                      n=n, day=day, max=limit)
        else:
            said = tr("{channel} contact would be attempt {n} in the {days} days {first}..{day} (local); at most "
                      "{max}", channel=c.channel, n=n, days=days, first=day - dt.timedelta(days=days - 1), day=day,
                      max=limit)
        return self.violation(debtor, said, c)

    def judge(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        # check(), with the counts found by bisection where the attempts' dates allow it.
        limit, days = self.params["max"], self.params["days"]
        planned = self.relevant(contacts)
        if not planned or len(planned) + len(debtor.history) <= limit:
            return []  # even every attempt and every contact in one window would fit
        if len(planned) <= limit:
            # What counts against a contact has a local date in a window ending on one of the
            # contact's, so is no older than the first of the earliest such window: if even the
            # latest attempt is, only the contacts count, and they are no more than the limit.
            latest = debtor.latest_attempt_at
            first = min(min(local_days(debtor, c.window_start)) for c in planned) - dt.timedelta(days=days - 1)
            if latest is None or latest < day_start(debtor.zones, first):
                return []
        # The counted attempts in time order: those that can count against a contact lie from
        # ``days`` + 2 days before its window (a local date is at most a day from UTC's) up to
        # the contact's own time (PlannedContact.may_follow), found by bisection -- a superset of
        # what the loop below counts, which decides exactly.
        index = callbacks.Requests(debtor) if self.params["consented"] == "not_counted" else None
        counted = sorted(self._counted(debtor, index=index), key=by_time) if debtor.history else []
        times = [a.attempted_at for a in counted]
        reach = dt.timedelta(days=days + 2)
        near_any = (bisect.bisect_right(times, max(_latest(c) for c in planned))
                    - bisect.bisect_left(times, min(c.window_start for c in planned) - reach))
        if len(planned) + near_any <= limit:
            return []  # even every such attempt and every contact in one window would fit
        planned = [c for c in planned if self._typed(debtor, c.destination)]
        if self.params["consented"] == "not_counted":
            planned = [c for c in planned if callbacks.callback_of(debtor, c, index) is None]
        # Each attempt's and contact's local days, worked out once for all the contacts below.
        attempts = [(a, local_days(debtor, a.attempted_at)) for a in counted]
        dated = [(p, local_days(debtor, p.window_start)) for p in planned]
        # A logged contact's earlier ones are recorded attempts already, counted as such (with
        # their outcomes): besides the attempts, only planned contacts count, and a logged
        # contact itself.
        to_be = [(p, p_days) for p, p_days in dated if p.attempt is None]
        counted_ids = {id(a) for a in counted}
        # How many attempts a window holds, by bisection when the attempts' dates allow it
        # (_Counting), so that a debtor's thousands of logged attempts cost thousands of
        # look-ups, not millions of comparisons; else one by one, as the loop below says.
        counting = _Counting.of(attempts)
        out = []
        for c, c_days in dated:
            same = c.destination if self.per_destination else None
            # The attempts from the first local day any window of the contact's days can hold, up
            # to the contact's own time: all that can count against it, and an upper bound of how
            # many do (its own attempt never does).
            lo = bisect.bisect_left(times, day_start(debtor.zones, min(c_days) - dt.timedelta(days=days - 1)))
            hi = bisect.bisect_right(times, _latest(c))
            own = c.attempt is not None and id(c.attempt) in counted_ids
            if hi - lo - own + (c.attempt is not None) + len(to_be) <= limit:
                continue  # even all of them with every contact to be made fit
            for day in sorted(c_days) if len(c_days) > 1 else c_days:
                window = _days_to(day, days)
                # Every recorded attempt that may come before this contact (_in_window), and the
                # contact itself with the others planned no later than it.
                if counting is not None:
                    history = counting.count(c, day - dt.timedelta(days=days - 1), day, same)
                else:
                    history = sum(1 for a, a_days in attempts[lo:hi] if (same is None or a.destination == same)
                                  and c.may_follow(a) and not a_days.isdisjoint(window))
                today = (c.attempt is not None) + sum(
                    1 for p, p_days in to_be if p.window_start <= c.window_start
                    and (same is None or p.destination == same) and not p_days.isdisjoint(window))
                if history + today > limit:
                    out.append(self._violation(debtor, c, history + today, day))
                    break
        return out


class _Counting:
    """Recorded attempts in time order with their earliest and latest local dates over the
    candidate zones, to count by bisection those that may come before a contact and fall in a
    window of local days. An attempt falls in the window [first, day] when one of its dates
    does (check()); when its dates are consecutive days, that is: its latest date is on or after
    ``first`` and its earliest on or before ``day``. When, besides, both dates run in time
    order, the attempts whose latest date is on or after ``first`` are a tail of the list, those
    whose earliest is on or before ``day`` a head, and the ones that may come before a contact
    a head too: a window's attempts are where the three meet. ``of`` builds the counting only
    when all of that holds (a clock set back over midnight, or zones more than a day apart,
    breaks it; check() then counts one by one)."""

    def __init__(self, attempts: list[tuple[Attempt, frozenset[dt.date]]]):
        self.attempts = attempts
        self.times = [a.attempted_at for a, _ in attempts]
        self.earliest = [min(days) for _, days in attempts]
        self.latest = [max(days) for _, days in attempts]
        self.where = {id(a): i for i, (a, _) in enumerate(attempts)}
        self.per_destination: dict[str, _Counting] = {}

    @classmethod
    def of(cls, attempts: list[tuple[Attempt, frozenset[dt.date]]]) -> _Counting | None:
        if not attempts:
            return None
        counting = cls(attempts)
        consecutive = all((last - first).days == len(days) - 1
                          for first, last, (_, days) in zip(counting.earliest, counting.latest, attempts))
        in_order = all(a <= b for a, b in zip(counting.earliest, counting.earliest[1:])) and all(
            a <= b for a, b in zip(counting.latest, counting.latest[1:]))
        return counting if consecutive and in_order else None

    def count(self, c: PlannedContact, first: dt.date, day: dt.date, destination: str | None) -> int:
        """How many attempts (to ``destination``, when given) fall in [first, day] and may come
        before ``c`` (PlannedContact.may_follow: no later than a logged contact, its own attempt
        aside; before a planned one's window ends)."""
        if destination is not None:
            # A destination's attempts keep the order and the dates of all of them.
            mine = self.per_destination.get(destination)
            if mine is None:
                mine = self.per_destination[destination] = _Counting(
                    [(a, days) for a, days in self.attempts if a.destination == destination])
            return mine.count(c, first, day, None)
        start = bisect.bisect_left(self.latest, first)
        stop = min(bisect.bisect_right(self.earliest, day),
                   bisect.bisect_right(self.times, c.attempted_at) if c.attempted_at is not None
                   else bisect.bisect_left(self.times, c.window_end))
        found = max(0, stop - start)
        if c.attempt is not None and start <= self.where.get(id(c.attempt), -1) < stop:
            found -= 1  # the contact's own attempt
        return found


@functools.lru_cache(maxsize=1 << 12)
def _days_to(day: dt.date, days: int) -> frozenset[dt.date]:
    """The ``days`` local dates of a window ending on ``day``."""
    return frozenset(day - dt.timedelta(days=k) for k in range(days))


def _latest(c: PlannedContact) -> dt.datetime:
    """The latest instant an attempt that may come before the contact can have."""
    return c.attempted_at if c.attempted_at is not None else c.window_end
