"""daily_cap: at most N contacts per debtor per local calendar day on the covered channels.

Brazil has no statutory cap except MT (Lei 11.792/2022 art. 4: 2 per day for agencies); the
default of one contact a day is policy (rules-brazil.md §4.10) grounded in CDC arts. 42 and 71.
Rolling windows over history (Reg F 7-in-7, cooldowns) come with the contact-history store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactplan.model import Channel, Debtor, PlannedContact
from contactplan.rules.base import Context, ParamError, Rule, Violation, no_extra, take


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
        out = []
        for name in debtor.zones:
            per_day = Counter(c.window_start.astimezone(ZoneInfo(name)).date() for c in self.relevant(contacts))
            for day, n in sorted(per_day.items()):
                if n > self.params["max"]:
                    out.append(self.violation(debtor, f"{n} contacts on {day} (local {name}); at most "
                                                      f"{self.params['max']} per day"))
        return out
