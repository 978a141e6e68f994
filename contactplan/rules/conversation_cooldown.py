"""conversation_cooldown: no contact on the covered channels for ``days`` local days starting on
the day of a conversation (the conversation day is day one).

A conversation is a conversation whoever dialled (``directions``: both by default; CFPB
FAQ on 1006.14(b)(4): "regardless of which party ... initiated"), on the channels of
``conversation_channels`` (Reg F: telephone conversations; default every channel, the
strict reading). With ``consented_callbacks = "allowed"`` the call back the debtor asked
for is not held by the cooldown (12 CFR 1006.14(b)(3)(i), rules/callbacks.py).

References:
    - USA: 12 CFR 1006.14(b)(2)(i)(B): a call within seven days after a telephone conversation
      about the debt is presumed harassment, the conversation's day counting as the first;
      1006.14(b)(3)(i) (calls with the debtor's prior consent are excluded); CFPB Debt Collection
      Rule FAQ on 1006.14(b)(4): a conversation counts "regardless of which party ... initiated".
    - Brazil: Código de Defesa do Consumidor (Lei 8.078/1990) arts. 42 and 71, as policy.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Attempt, Channel, Debtor, PlannedContact, by_time
from contactplan.rules import callbacks
from contactplan.rules.attempts import consented_callbacks, directions, joined, outcomes
from contactplan.rules.base import Context, GateRule, ParamError, Violation, no_extra, take
from contactplan.rules.local_time import day_start, local_days


@dataclass(frozen=True)
class ConversationCooldown(GateRule):

    kind = "conversation_cooldown"
    only_with_store_data = True  # no conversation in the history, no cooldown

    @classmethod
    def build(cls, meta, params: dict) -> ConversationCooldown:
        no_extra(params, {"days", "outcomes", "directions", "conversation_channels", "consented_callbacks"})
        days = take(params, "days", int)
        if not 1 <= days <= 366:
            raise ParamError("days", tr("must be between 1 and 366"))
        names = take(params, "conversation_channels", list, [c.value for c in Channel])
        try:
            channels = frozenset(Channel(n) for n in names)
        except ValueError:
            raise ParamError("conversation_channels", tr("must list voice, ivr, sms, whatsapp, email")) from None
        return cls(meta, {"days": days,
                          "outcomes": outcomes(params, "outcomes", ["conversation", "promise_to_pay", "refused",
                                                                    "callback_requested"]),
                          "directions": directions(params, ["outbound", "inbound"]),
                          "conversation_channels": channels,
                          "consented": consented_callbacks(params, ("blocked", "allowed"))})

    def summary(self) -> str:
        p = self.params
        text = tr("no contact for {days} local day(s) from a conversation (its day first); conversations: "
                  "{outcomes}, {directions}, on {channels}", days=p["days"],
                  outcomes=", ".join(sorted(o.value for o in p["outcomes"])),
                  directions=joined(sorted(d.value for d in p["directions"])),
                  channels=", ".join(sorted(c.value for c in p["conversation_channels"])))
        if p["consented"] == "allowed":
            text += "; " + tr("a call back the debtor asked for is allowed")
        return text

    def store_quiet(self, debtor: Debtor, ctx: Context) -> bool:
        # A conversation blocks today when its latest local day is one of the ``days`` days
        # ending today; an attempt on such a day is no older than the first of them.
        latest = debtor.latest_attempt_at
        first = ctx.plan_date - dt.timedelta(days=self.params["days"] - 1)
        return latest is None or latest < day_start(debtor.zones, first)

    @property
    def lookback_days(self) -> int:
        return self.params["days"]

    def _conversation(self, a: Attempt) -> bool:
        p = self.params
        return a.outcome in p["outcomes"] and a.direction in p["directions"] and a.channel in p["conversation_channels"]

    def last_conversation(self, debtor: Debtor, contact: PlannedContact | None = None) -> dt.date | None:
        """The latest local day (in any candidate zone) of a conversation in the history; with
        ``contact``, of one that may come before it (PlannedContact.may_follow)."""
        days = [max(local_days(debtor, a.attempted_at)) for a in debtor.history
                if self._conversation(a) and (contact is None or contact.may_follow(a))]
        return max(days, default=None)

    def _blocked_until(self, debtor: Debtor, contact: PlannedContact | None = None) -> dt.date | None:
        last = self.last_conversation(debtor, contact)
        return last + dt.timedelta(days=self.params["days"]) if last else None

    # --- generation -----------------------------------------------------------------------
    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        until = self._blocked_until(debtor)
        if until and ctx.plan_date < until:
            return tr("conversation on {day}; no contact before {until}", day=self.last_conversation(debtor),
                      until=until)
        return None

    def eligible_again(self, debtor: Debtor, ctx: Context) -> dt.date | None:
        return self._blocked_until(debtor)

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """A violation for each contact on a local day within ``days`` days of the latest
        conversation that may come before it (the conversation's day is day one), unless, with
        ``consented_callbacks = "allowed"``, it is the call back the debtor asked for."""
        allowed = self.params["consented"] == "allowed"
        out = []
        for c in self.relevant(contacts):
            if allowed and callbacks.callback_of(debtor, c) is not None:
                continue
            until = self._blocked_until(debtor, c)
            day = min(local_days(debtor, c.window_start))
            if until and day < until:
                out.append(self._violation(debtor, c, day, self.last_conversation(debtor, c)))
        return out

    def _violation(self, debtor: Debtor, c: PlannedContact, day: dt.date, conversation: dt.date) -> Violation:
        return self.violation(debtor, tr("{channel} contact on {day}, within {days} days of the conversation on "
                                         "{conversation}", channel=c.channel, day=day, days=self.params["days"],
                                         conversation=conversation), c)

    def judge(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        # check(), with the latest earlier conversation a running maximum found by bisection.
        conversations = sorted((a for a in debtor.history if self._conversation(a)), key=by_time)
        if not conversations:
            return []  # no conversation, no cooldown
        allowed = self.params["consented"] == "allowed"
        index = callbacks.Requests(debtor) if allowed else None
        latest = _Latest([(a, max(local_days(debtor, a.attempted_at))) for a in conversations])
        out = []
        for c in self.relevant(contacts):
            if allowed and callbacks.callback_of(debtor, c, index) is not None:
                continue
            # A conversation counts against every contact that may come after it: the latest
            # local day of one (last_conversation).
            last = latest.before(c)
            until = last + dt.timedelta(days=self.params["days"]) if last else None
            day = min(local_days(debtor, c.window_start))
            if until and day < until:
                out.append(self._violation(debtor, c, day, last))
        return out


class _Latest:
    """Recorded attempts in time order with a date each, for the latest date of those that may
    come before a contact (PlannedContact.may_follow): they are the attempts up to the contact's
    time (its own aside), so the answer is a running maximum, found by bisection."""

    def __init__(self, dated: list[tuple[Attempt, dt.date]]):
        self.times = [a.attempted_at for a, _ in dated]
        self.days = [day for _, day in dated]
        self.running = list(itertools.accumulate(self.days, max))
        self.where = {id(a): i for i, (a, _) in enumerate(dated)}

    def before(self, c: PlannedContact) -> dt.date | None:
        if c.attempted_at is None:
            stop = bisect.bisect_left(self.times, c.window_end)
            return self.running[stop - 1] if stop else None
        stop = bisect.bisect_right(self.times, c.attempted_at)
        own = self.where.get(id(c.attempt), stop) if c.attempt is not None else stop
        if own >= stop:
            return self.running[stop - 1] if stop else None
        # Only attempts at the contact's own instant follow its own in the list.
        found = [d for d in (self.running[own - 1] if own else None, *self.days[own + 1:stop]) if d is not None]
        return max(found, default=None)
