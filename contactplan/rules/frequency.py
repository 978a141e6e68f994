"""Frequency rules: daily_cap, frequency_cap (rolling days, history + today's plan) and
conversation_cooldown.

Days are the debtor's local calendar days (in every candidate zone: the strictest count wins).
Brazil has no statutory cap except MT (Lei 11.792/2022 art. 4: 2 per day for agencies); the
default of one contact a day and the 7-day attempt budget are policy (rules-brazil.md §4.10)
grounded in CDC arts. 42 and 71. In the USA, Reg F 12 CFR 1006.14(b)(2): more than seven calls
in seven consecutive days, or a call within seven days of a telephone conversation (the
conversation day is day one), is presumed harassment.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactplan.model import Attempt, Channel, Debtor, Outcome, PlannedContact
from contactplan.rules.base import Context, GateRule, ParamError, Rule, Violation, no_extra, take


def _outcomes(params: dict, key: str, default: list[str]) -> frozenset[Outcome]:
    names = take(params, key, list, default)
    try:
        return frozenset(Outcome(n) for n in names)
    except ValueError:
        raise ParamError(key, f"must list outcomes among {', '.join(o.value for o in Outcome)}") from None


def _local_days(debtor: Debtor, when: dt.datetime) -> set[dt.date]:
    return {when.astimezone(ZoneInfo(z)).date() for z in debtor.zones}


@dataclass(frozen=True)
class DailyCap(Rule):
    kind = "daily_cap"
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> DailyCap:
        no_extra(params, {"max"})
        limit = take(params, "max", int)
        if limit < 0:
            raise ParamError("max", "must be 0 or more")
        return cls(meta, {"max": limit})

    def daily_limit(self, channel: Channel) -> int | None:
        return self.params["max"] if self.covers(channel) else None

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if len(contacts) <= self.params["max"]:
            return []  # no local day can hold more contacts than there are
        relevant = self.relevant(contacts)
        out = []
        for name in debtor.zones:
            per_day = Counter(c.window_start.astimezone(ZoneInfo(name)).date() for c in relevant)
            for day, n in sorted(per_day.items()):
                if n > self.params["max"]:
                    out.append(self.violation(debtor, f"{n} contacts on {day} (local {name}); at most "
                                                      f"{self.params['max']} per day"))
        return out


@dataclass(frozen=True)
class FrequencyCap(GateRule):
    """At most ``max`` attempts on the covered channels in any ``window_days`` consecutive local
    days, counting the history and today's planned contacts. Outcomes in ``not_counted`` (e.g.
    busy, not in service: the call never connected, Reg F comment 14(b)(3)(ii)-1) do not count."""

    kind = "frequency_cap"

    @classmethod
    def build(cls, meta, params: dict) -> FrequencyCap:
        no_extra(params, {"max", "window_days", "not_counted", "scope"})
        limit, days = take(params, "max", int), take(params, "window_days", int)
        if limit < 0:
            raise ParamError("max", "must be 0 or more")
        if not 1 <= days <= 366:
            raise ParamError("window_days", "must be between 1 and 366")
        scope = take(params, "scope", str, "debtor")
        if scope not in ("debtor", "destination"):
            # Per account is never stricter than per person: a contact counts against each account.
            raise ParamError("scope", "must be debtor (all the person's numbers) or destination (per number)")
        return cls(meta, {"max": limit, "days": days, "not_counted": _outcomes(params, "not_counted", []),
                          "scope": scope})

    @property
    def only_with_store_data(self) -> bool:
        return self.params["max"] > 0  # a cap of 0 blocks even a debtor never contacted

    @property
    def per_destination(self) -> bool:
        return self.params["scope"] == "destination"

    def _counted(self, debtor: Debtor, destination: str | None = None) -> list[Attempt]:
        return [a for a in debtor.history if self.covers(a.channel) and a.outcome not in self.params["not_counted"]
                and (destination is None or a.destination == destination)]

    def _in_window(self, debtor: Debtor, day: dt.date, destination: str | None = None) -> list[Attempt]:
        first = day - dt.timedelta(days=self.params["days"] - 1)
        return [a for a in self._counted(debtor, destination)
                if any(first <= d <= day for d in _local_days(debtor, a.attempted_at))]

    def destination_ok(self, debtor: Debtor, channel: Channel, dest, ctx: Context) -> str | None:
        if not self.per_destination or not self.covers(channel):
            return None
        n = len(self._in_window(debtor, ctx.plan_date, dest.address))
        if n >= self.params["max"]:
            return f"{n} counted attempts to this number in the {self.params['days']} days to {ctx.plan_date}"
        return None

    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        if self.per_destination:
            return None
        n = len(self._in_window(debtor, ctx.plan_date))
        if n >= self.params["max"]:
            return (f"{n} counted attempts in the {self.params['days']} days to {ctx.plan_date}; "
                    f"at most {self.params['max']}")
        return None

    def horizon_budget(self, debtor: Debtor, first_day: dt.date, days: int) -> list[int] | None:
        # A window at least as long as the horizon holds every horizon day up to the one it ends
        # on, so the budgets are nested prefixes (what the horizon's chain can carry exactly).
        if self.per_destination or self.params["days"] < days:
            return None
        return [self.params["max"] - len(self._in_window(debtor, first_day + dt.timedelta(days=j)))
                for j in range(days)]

    def eligible_again(self, debtor: Debtor, ctx: Context) -> dt.date | None:
        # The first later day on which the window holds fewer than max attempts (history only).
        if self.per_destination:
            return None
        for ahead in range(1, self.params["days"] + 1):
            day = ctx.plan_date + dt.timedelta(days=ahead)
            if len(self._in_window(debtor, day)) < self.params["max"]:
                return day
        return None

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if len(contacts) + (len(self._counted(debtor)) if debtor.history else 0) <= self.params["max"]:
            return []  # even every counted attempt and every contact in one window would fit
        planned = self.relevant(contacts)
        out = []
        for c in planned:
            same = c.destination if self.per_destination else None
            for day in sorted(_local_days(debtor, c.window_start)):
                first = day - dt.timedelta(days=self.params["days"] - 1)
                history = len(self._in_window(debtor, day, same))
                today = sum(1 for p in planned if p.window_start <= c.window_start
                            and (same is None or p.destination == same)
                            and any(first <= d <= day for d in _local_days(debtor, p.window_start)))
                if history + today > self.params["max"]:
                    out.append(self.violation(debtor, (
                        f"{c.channel} contact would be attempt {history + today} in the {self.params['days']} days "
                        f"{first}..{day}; at most {self.params['max']}"), c))
                    break
        return out


@dataclass(frozen=True)
class ConversationCooldown(GateRule):
    """No contact on the covered channels for ``days`` local days starting on the day of a
    conversation (the conversation day is day one: 12 CFR 1006.14(b)(2)(i)(B))."""

    kind = "conversation_cooldown"
    only_with_store_data = True  # no conversation in the history, no cooldown

    @classmethod
    def build(cls, meta, params: dict) -> ConversationCooldown:
        no_extra(params, {"days", "outcomes"})
        days = take(params, "days", int)
        if not 1 <= days <= 366:
            raise ParamError("days", "must be between 1 and 366")
        return cls(meta, {"days": days, "outcomes": _outcomes(params, "outcomes",
                                                              ["conversation", "promise_to_pay", "refused"])})

    def last_conversation(self, debtor: Debtor) -> dt.date | None:
        days = [max(_local_days(debtor, a.attempted_at)) for a in debtor.history
                if a.outcome in self.params["outcomes"]]
        return max(days, default=None)

    def _blocked_until(self, debtor: Debtor) -> dt.date | None:
        last = self.last_conversation(debtor)
        return last + dt.timedelta(days=self.params["days"]) if last else None

    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        until = self._blocked_until(debtor)
        if until and ctx.plan_date < until:
            return f"conversation on {self.last_conversation(debtor)}; no contact before {until}"
        return None

    def eligible_again(self, debtor: Debtor, ctx: Context) -> dt.date | None:
        return self._blocked_until(debtor)

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if not any(a.outcome in self.params["outcomes"] for a in debtor.history):
            return []  # no conversation, no cooldown
        until = self._blocked_until(debtor)
        if not until:
            return []
        return [self.violation(debtor, f"{c.channel} contact on {min(_local_days(debtor, c.window_start))}, within "
                                       f"{self.params['days']} days of the conversation on "
                                       f"{self.last_conversation(debtor)}", c)
                for c in self.relevant(contacts) if min(_local_days(debtor, c.window_start)) < until]
