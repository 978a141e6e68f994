"""holidays: no contact on a public holiday of the debtor's country or state (UF).

SP Lei 15.426/2014 art. 2 forbids collection calls "nos feriados"; the Brazilian default extends
that to every UF as courtesy under CDC art. 71 (rest and leisure). Holidays are evaluated on the
debtor's local calendar date in every candidate zone. Municipal holidays come with the rule engine
(user-supplied file); the `holidays` package knows only São Paulo city among municipalities.

References:
    - São Paulo, Lei 15.426/2014 art. 2: collection calls are "vedados nos feriados".
    - Código de Defesa do Consumidor (Lei 8.078/1990) art. 71 (rest and leisure): the SP model
      applied to every UF as courtesy.
    - Lei 10.607/2002 (national holidays), the UFs' own laws (state holidays), Lei 9.093/1995
      (municipal holidays), as the `holidays` package and the user's municipal file record them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Channel, Debtor, PlannedContact
from contactplan.rules.base import Context, Interval, ParamError, Rule, Violation, no_extra, take
from contactplan.rules.local_time import window_dates

_CATEGORIES = {"public", "optional", "bank"}


@dataclass(frozen=True)
class Holidays(Rule):
    kind = "holidays"
    store_blind = True  # reads the debtor file and the calendar only
    contact_wise = True

    @classmethod
    def build(cls, meta, params: dict) -> Holidays:
        no_extra(params, {"subdivision", "categories", "municipal"})
        categories = take(params, "categories", list, ["public"])
        bad = [c for c in categories if c not in _CATEGORIES]
        if bad or not categories:
            raise ParamError("categories", tr("must be a non-empty list of {names}",
                                              names=", ".join(sorted(_CATEGORIES))))
        return cls(meta, {"subdivision": take(params, "subdivision", bool, True), "categories": tuple(categories),
                          "municipal": take(params, "municipal", bool, False)})

    def holiday(self, debtor: Debtor, day: dt.date, ctx: Context) -> str | None:
        """The holiday's name, for people (a municipal one says its IBGE code), or None."""
        found = self._holiday(debtor, day, ctx)
        return _named(found) if found else None

    def _holiday(self, debtor: Debtor, day: dt.date, ctx: Context) -> tuple[str, str] | None:
        """(the holiday's name, the IBGE code when it is a municipal one, else ""), or None."""
        # Municipal holidays come from the user's file keyed by IBGE code (--municipal-holidays).
        if self.params["municipal"] and debtor.municipality_code:
            name = ctx.calendars.municipal_holiday(debtor.municipality_code, day)
            if name:
                return (name, debtor.municipality_code)
        if self.params["subdivision"] and not debtor.region:
            name = ctx.calendars.holiday_anywhere(debtor.country, day, self.params["categories"])
        else:
            region = debtor.region if self.params["subdivision"] else ""
            name = ctx.calendars.holiday(debtor.country, region, day, self.params["categories"])
        return (name, "") if name else None

    # --- generation -----------------------------------------------------------------------
    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        if not self.covers(channel):
            return None
        # The plan date is the local date in every candidate zone, so one look-up decides.
        return [] if self._holiday(debtor, ctx.plan_date, ctx) else None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """A violation for each local date a contact's window touches, in any candidate zone, that
        is a holiday of the debtor's place."""
        out = []
        where = f"{debtor.country}-{debtor.region}" if self.params["subdivision"] else debtor.country
        for c in self.relevant(contacts):
            for day in window_dates(debtor.zones, c.window_start, c.window_end):
                name = self.holiday(debtor, day, ctx)
                if name:
                    out.append(self.violation(debtor, tr("{channel} contact on {day}, a holiday in {place}: {holiday}",
                                                         channel=c.channel, day=day, place=where, holiday=name), c))
        return out

    def memo_key(self, debtor: Debtor, ctx: Context) -> Hashable:
        # What holiday() reads besides the day: the calendars (not changed once built), the
        # country, the region and, for municipal holidays, the IBGE code; and the zones give the days.
        return (ctx.calendars, debtor.country, debtor.region,
                debtor.municipality_code if self.params["municipal"] else "", debtor.zones)


def _named(found: tuple[str, str]) -> str:
    """A holiday of _holiday() in words: a municipal one says its IBGE code."""
    name, municipality = found
    return tr("{name} (municipality {code})", name=name, code=municipality) if municipality else name
