"""calling_hours: contact only inside weekday windows, in the debtor's local time.

The windows are the law's clock hours ("das 8h às 20h") read as half-open [08:00, 20:00) for the
*whole* contact window, not just its start, and ``end_margin_minutes`` ends it earlier so that a
call or message started at the edge still finishes inside the legal window (rules-brazil.md §4.3).
When a debtor has several candidate zones the window must hold in every one of them.

References:
    - São Paulo, Lei 15.426/2014 art. 2: collection calls only from 8h to 20h on weekdays and
      8h to 14h on Saturdays; none on Sundays and holidays.
    - Rio de Janeiro, Lei 6.854/2014 art. 3 §4 (added by Lei 7.868/2018); Alagoas, Lei
      7.782/2016 (calls and text messages); Espírito Santo, Lei 10.626/2017 and Amazonas, Lei
      Promulgada 360/2016 (low confidence: packs intersect the readings, which only narrows).
    - Código de Defesa do Consumidor (Lei 8.078/1990) arts. 42 and 71: no collection that
      interferes with the debtor's work, rest or leisure (the national default).
    - USA: 15 U.S.C. 1692c(a)(1) and 12 CFR 1006.6(b)(1)(i): before 8:00 a.m. and after 9:00
      p.m. local time at the consumer's location is presumed inconvenient, for every medium.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactplan.i18n import tr
from contactplan.io.values import WEEKDAY_NAMES, parse_window, weekday_shown
from contactplan.model import Channel, Debtor, PlannedContact
from contactplan.rules.base import Context, Interval, ParamError, Rule, Violation, no_extra, take
from contactplan.rules.local_time import local_end, local_windows

Window = tuple[dt.time, dt.time]


def parse_weekly(raw: dict) -> dict[int, tuple[Window, ...]]:
    """{"mon-fri": "08:00-20:00", "sat": "08:00-14:00"} -> {0: ((08:00, 20:00),), ...}.

    A day that is not named has no window: contact is forbidden all day (Sunday in the SP model).
    A value may be a list of windows ("09:00-12:00", "14:00-18:00").
    """
    weekly: dict[int, list[Window]] = {d: [] for d in range(7)}
    for key, value in raw.items():
        days = _days(key)
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                raise ParamError(f"windows.{key}", tr('must be "HH:MM-HH:MM" or a list of them'))
            try:
                window = parse_window(text)
            except ValueError as exc:
                raise ParamError(f"windows.{key}", f"'{text}' {exc}") from None
            if window is None:
                raise ParamError(f"windows.{key}", tr("is blank"))
            for d in days:
                weekly[d].append(window)
    return {d: tuple(sorted(ws)) for d, ws in weekly.items()}


def _days(key: str) -> list[int]:
    k = key.strip().lower()
    if "-" in k:
        a, b = k.split("-", 1)
        if a in WEEKDAY_NAMES and b in WEEKDAY_NAMES and WEEKDAY_NAMES.index(a) <= WEEKDAY_NAMES.index(b):
            return list(range(WEEKDAY_NAMES.index(a), WEEKDAY_NAMES.index(b) + 1))
    elif k in WEEKDAY_NAMES:
        return [WEEKDAY_NAMES.index(k)]
    raise ParamError(f"windows.{key}", tr("day key must be mon..sun or a range such as mon-fri"))


@dataclass(frozen=True)
class CallingHours(Rule):
    kind = "calling_hours"
    store_blind = True  # reads the debtor file and the calendar only
    contact_wise = True

    @classmethod
    def build(cls, meta, params: dict) -> CallingHours:
        no_extra(params, {"windows", "end_margin_minutes"})
        weekly = parse_weekly(take(params, "windows", dict))
        margin = take(params, "end_margin_minutes", int, 0)
        if not 0 <= margin < 240:
            raise ParamError("end_margin_minutes", tr("must be between 0 and 239"))
        return cls(meta, {"weekly": weekly, "margin": dt.timedelta(minutes=margin)})

    @property
    def weekly(self) -> dict[int, tuple[Window, ...]]:
        return self.params["weekly"]

    @property
    def margin(self) -> dt.timedelta:
        return self.params["margin"]

    def describe(self, weekday: int) -> str:
        windows = self.weekly[weekday]
        if not windows:
            return tr("no contact on {weekday}", weekday=weekday_shown(weekday))
        text = ", ".join(f"{s:%H:%M}-{'24:00' if e == dt.time.max else f'{e:%H:%M}'}" for s, e in windows)
        margin = int(self.margin.total_seconds() // 60)
        if margin:
            return tr("allowed {windows} ending {minutes} min early", windows=text, minutes=margin)
        return tr("allowed {windows}", windows=text)

    def summary(self) -> str:
        return "; ".join(f"{weekday_shown(d)}: {self.describe(d)}" for d in range(7))

    # --- generation -----------------------------------------------------------------------
    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        if not self.covers(channel):
            return None
        return local_windows(debtor, ctx.plan_date, self.weekly[ctx.plan_date.weekday()], self.margin)

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """A violation for each candidate zone in which a contact's whole window is not inside one
        of its local day's windows (ending ``margin`` early)."""
        out = []
        for c in self.relevant(contacts):
            for name in debtor.zones:
                zone = ZoneInfo(name)
                start, end = c.window_start.astimezone(zone), c.window_end.astimezone(zone)
                day = start.date()
                fits = any(start.time() >= s and end <= local_end(day, e, zone) - self.margin
                           for s, e in self.weekly[day.weekday()])
                if not fits or end <= start:
                    out.append(self.violation(debtor, tr(
                        "{channel} window {start:%H:%M}-{end:%H:%M} local {zone} on {weekday} {day}: {allowed}",
                        channel=c.channel, start=start, end=end, zone=name, weekday=weekday_shown(day.weekday()),
                        day=day, allowed=self.describe(day.weekday())), c))
        return out

    def memo_key(self, debtor: Debtor, ctx: Context) -> Hashable:
        return debtor.zones  # check() reads nothing else of the debtor, nor the context
