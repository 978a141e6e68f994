"""min_gap: at least ``hours`` between the collector's last attempt on the covered channels and
its next one. Calls the debtor placed (inbound) are not the collector's and do not count.

References:
    - USA: 12 CFR 1006.14(b)(2) with official comment 14(b)(2)(i)-2: calls in rapid succession
      rebut the presumption of compliance; rules-us-intl US-F-14 suggests at least 2 h per
      number.
    - Brazil: Código de Defesa do Consumidor (Lei 8.078/1990) arts. 42 and 71 (insistent calls
      are constraint); the gap is company policy.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Channel, Debtor, Direction, PlannedContact, by_time
from contactplan.rules.base import Context, Interval, ParamError, Rule, Violation, no_extra, take
from contactplan.rules.local_time import day_start

UTC = dt.timezone.utc


@dataclass(frozen=True)
class MinGap(Rule):
    kind = "min_gap"
    regional = False
    only_with_store_data = True  # no earlier attempt, no gap to keep

    @classmethod
    def build(cls, meta, params: dict) -> MinGap:
        no_extra(params, {"hours"})
        hours = take(params, "hours", (int, float))
        if not 0 < hours <= 24 * 14:
            raise ParamError("hours", tr("must be more than 0 and at most 336"))
        return cls(meta, {"gap": dt.timedelta(hours=hours)})

    @property
    def lookback_days(self) -> int:
        return int(self.params["gap"] / dt.timedelta(days=1)) + 1

    def store_quiet(self, debtor: Debtor, ctx: Context) -> bool:
        latest = debtor.latest_attempt_at  # the gap after every attempt ends before the plan date begins anywhere
        return latest is None or latest + self.params["gap"] <= day_start(debtor.zones, ctx.plan_date)

    def _counts(self, a) -> bool:
        return self.covers(a.channel) and a.direction is Direction.OUTBOUND

    def _last(self, debtor: Debtor, contact: PlannedContact | None = None) -> dt.datetime | None:
        """The latest covered attempt in the history; with ``contact``, the latest that may come
        before it (PlannedContact.may_follow)."""
        times = [a.attempted_at for a in debtor.history
                 if self._counts(a) and (contact is None or contact.may_follow(a))]
        return max(times, default=None)

    # --- generation -----------------------------------------------------------------------
    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        if not self.covers(channel) or self.store_quiet(debtor, ctx):
            return None
        last = self._last(debtor)
        if last is None:
            return None
        return [((last + self.params["gap"]).astimezone(UTC), dt.datetime.max.replace(tzinfo=UTC))]

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """A violation for each contact that starts less than a gap after the latest recorded
        attempt that may come before it, or after the start of the planned contact before it."""
        out = []
        planned = sorted(self.relevant(contacts), key=lambda c: c.window_start)
        for k, c in enumerate(planned):
            previous = [t for t in (self._last(debtor, c), planned[k - 1].window_start if k else None)
                        if t is not None]
            if previous and c.window_start < max(previous) + self.params["gap"]:
                out.append(self._violation(debtor, c))
        return out

    def _violation(self, debtor: Debtor, c: PlannedContact) -> Violation:
        return self.violation(debtor, tr("{channel} contact {start:%Y-%m-%d %H:%M %z} is less than {gap} after the "
                                         "previous attempt", channel=c.channel, start=c.window_start,
                                         gap=self.params["gap"]), c)

    def judge(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        # check(), with each contact's latest earlier attempt found by bisection from the latest
        # no later than the contact's own time back to the first that may come before it (a
        # logged contact's own attempt does not): a debtor's thousands of logged attempts cost
        # thousands of steps, not millions.
        if len(contacts) < 2 and (debtor.latest_attempt_at is None or all(
                debtor.latest_attempt_at + self.params["gap"] <= c.window_start for c in contacts)):
            return []  # nothing before the only contact, or only what lies a gap or more before it
        out = []
        planned = sorted(self.relevant(contacts), key=lambda c: c.window_start)
        recorded = sorted((a for a in debtor.history if self._counts(a)), key=by_time)
        times = [a.attempted_at for a in recorded]
        for k, c in enumerate(planned):
            last = None
            i = bisect.bisect_right(times, c.attempted_at if c.attempted_at is not None else c.window_end)
            while i > 0 and last is None:
                i -= 1
                if c.may_follow(recorded[i]):
                    last = times[i]
            previous = [t for t in (last, planned[k - 1].window_start if k else None) if t is not None]
            if previous and c.window_start < max(previous) + self.params["gap"]:
                out.append(self._violation(debtor, c))
        return out
