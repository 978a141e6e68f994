"""calling_hours: contact only inside weekday windows, in the debtor's local time.

The windows are the law's clock hours ("das 8h às 20h") read as half-open [08:00, 20:00) for the
*whole* contact window, not just its start, and ``end_margin_minutes`` ends it earlier so that a
call or message started at the edge still finishes inside the legal window (rules-brazil.md §4.3).
When a debtor has several candidate zones the window must hold in every one of them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactplan.i18n import tr
from contactplan.io.values import WEEKDAY_NAMES, parse_window, weekday_shown
from contactplan.model import Channel, Debtor, Direction, PlannedContact, by_time
from contactplan.rules.base import Context, Interval, ParamError, Rule, Violation, intersect, no_extra, take

UTC = dt.timezone.utc
Window = tuple[dt.time, dt.time]


def _local_end(day: dt.date, end: dt.time, zone: ZoneInfo) -> dt.datetime:
    if end == dt.time.max:  # 24:00 closes the day
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return dt.datetime.combine(day, end, zone)


def local_windows(debtor: Debtor, day: dt.date, windows, margin: dt.timedelta = dt.timedelta(0)) -> list[Interval]:
    """The local clock windows of ``day`` as UTC intervals that hold in *every* candidate zone of
    the debtor (the strictest reading when the place is uncertain), each ending ``margin`` early."""
    return list(_zone_windows(debtor.zones, day, tuple(windows), margin))


@functools.lru_cache(maxsize=1 << 16)
def _zone_windows(zones: tuple[str, ...], day: dt.date, windows: tuple, margin: dt.timedelta) -> tuple[Interval, ...]:
    # Depends on nothing but its arguments: a million debtors share a few hundred answers.
    result: list[Interval] | None = None
    for name in zones:
        zone = ZoneInfo(name)
        intervals = []
        for start, end in windows:
            s = dt.datetime.combine(day, start, zone).astimezone(UTC)
            e = (_local_end(day, end, zone) - margin).astimezone(UTC)
            if s < e:
                intervals.append((s, e))
        result = intervals if result is None else intersect(result, intervals)
    return tuple(result or ())


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

    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        if not self.covers(channel):
            return None
        return local_windows(debtor, ctx.plan_date, self.weekly[ctx.plan_date.weekday()], self.margin)

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

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        out = []
        zones = debtor.zones
        # The verdict depends only on the zones and the window (a window key, see rules.base):
        # many debtors share both, so it is worked out once (Rule._remember; looked up here
        # first because this runs for every debtor).
        memo = self._check_memo
        covered = self.covered_channels  # relevant(), inlined: several hours rules look at every debtor
        for c in contacts:
            if c.channel not in covered:
                continue
            start, end = c.window_start, c.window_end
            key = (zones, start, start.fold, end, end.fold)
            said = memo.get(key)
            if said is None:
                said = self._remember(key, self._outside, zones, start, end)
            for local_start, local_stop, name in said:
                day = local_start.date()
                out.append(self.violation(debtor, tr(
                    "{channel} window {start:%H:%M}-{end:%H:%M} local {zone} on {weekday} {day}: {allowed}",
                    channel=c.channel, start=local_start, end=local_stop, zone=name,
                    weekday=weekday_shown(day.weekday()), day=day, allowed=self.describe(day.weekday())), c))
        return out

    def _outside(self, zones: tuple[str, ...], start_at: dt.datetime, end_at: dt.datetime
                 ) -> tuple[tuple[dt.datetime, dt.datetime, str], ...]:
        """check(): for each candidate zone where the whole window is not inside one of the local
        day's windows (ending ``margin`` early), the window's local start and end and the zone
        (the same in every language, so that it may be remembered; check() words it)."""
        said = []
        for name in zones:
            zone = ZoneInfo(name)
            start, end = start_at.astimezone(zone), end_at.astimezone(zone)
            day = start.date()
            fits = any(start.time() >= s and end <= _local_end(day, e, zone) - self.margin
                       for s, e in self.weekly[day.weekday()])
            if not fits or end <= start:
                said.append((start, end, name))
        return tuple(said)


@dataclass(frozen=True)
class PreferredWindow(Rule):
    """preferred_window: when the debtor said when to call (``preferred_window`` column, local
    time), contact only then. In the USA a time known to be inconvenient is forbidden (15 U.S.C.
    1692c(a)(1); 12 CFR 1006.6(b)(1)(i)); in Brazil it is CDC art. 71 courtesy."""

    kind = "preferred_window"
    contact_wise = True
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> PreferredWindow:
        no_extra(params, set())
        return cls(meta, {})

    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        if not self.covers(channel) or debtor.preferred_window is None:
            return None
        return local_windows(debtor, ctx.plan_date, [debtor.preferred_window])

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        preferred = debtor.preferred_window
        if preferred is None:
            return []
        out = []
        zones = debtor.zones
        covered = self.covered_channels  # relevant(), inlined: several hours rules look at every debtor
        for c in contacts:
            if c.channel not in covered:
                continue
            start, end = c.window_start, c.window_end
            said = self._remember((preferred, zones, start, start.fold, end, end.fold), self._outside, preferred,
                                  zones, start, end)
            if said:
                s, e, name = said
                out.append(self.violation(debtor, tr(
                    "{channel} window {start:%H:%M}-{end:%H:%M} local {zone} is outside the debtor's preferred "
                    "{preferred_start:%H:%M}-{preferred_end:%H:%M}", channel=c.channel, start=s, end=e, zone=name,
                    preferred_start=preferred[0], preferred_end=preferred[1]), c))
        return out

    @staticmethod
    def _outside(preferred: tuple[dt.time, dt.time], zones: tuple[str, ...], start_at: dt.datetime,
                 end_at: dt.datetime) -> tuple[dt.datetime, dt.datetime, str] | None:
        """check(): when the window is not inside the preferred local window in some candidate
        zone, the window's local start and end in the first such zone and the zone, else None
        (the same in every language, so that it may be remembered; check() words it)."""
        start, end = preferred
        for name in zones:
            zone = ZoneInfo(name)
            s, e = start_at.astimezone(zone), end_at.astimezone(zone)
            if not (s.time() >= start and e <= _local_end(s.date(), end, zone)):
                return (s, e, name)
        return None


@dataclass(frozen=True)
class MinGap(Rule):
    """min_gap: at least ``hours`` between the collector's last attempt on the covered channels and
    its next one (Reg F comment 14(b)(2)(i)-2: calls in rapid succession rebut the presumption of
    compliance; rules-us-intl US-F-14 suggests >= 2 h per number). Calls the debtor placed
    (inbound) are not the collector's and do not count."""

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

    def _last(self, debtor: Debtor, contact: PlannedContact | None = None) -> dt.datetime | None:
        """The latest covered attempt in the history; with ``contact``, the latest that may come
        before it (PlannedContact.may_follow)."""
        times = [a.attempted_at for a in debtor.history if self.covers(a.channel)
                 and a.direction is Direction.OUTBOUND and (contact is None or contact.may_follow(a))]
        return max(times, default=None)

    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        last = self._last(debtor) if self.covers(channel) else None
        if last is None:
            return None
        return [((last + self.params["gap"]).astimezone(UTC), dt.datetime.max.replace(tzinfo=UTC))]

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if len(contacts) < 2 and not debtor.history:
            return []  # nothing before the only contact, so no gap to measure
        out = []
        planned = sorted(self.relevant(contacts), key=lambda c: c.window_start)
        recorded = sorted((a for a in debtor.history if self.covers(a.channel) and a.direction is Direction.OUTBOUND),
                          key=by_time)
        times = [a.attempted_at for a in recorded]
        for k, c in enumerate(planned):
            # Any recorded attempt that may come before the contact must lie a whole gap
            # before the window's start: the latest such (_last), found from the latest
            # attempt no later than the contact's own time back to the first that may come
            # before it (a logged contact's own attempt does not).
            last = None
            i = bisect.bisect_right(times, c.attempted_at if c.attempted_at is not None else c.window_end)
            while i > 0 and last is None:
                i -= 1
                if c.may_follow(recorded[i]):
                    last = times[i]
            previous = [t for t in (last, planned[k - 1].window_start if k else None) if t is not None]
            if previous and c.window_start < max(previous) + self.params["gap"]:
                out.append(self.violation(debtor, tr("{channel} contact {start:%Y-%m-%d %H:%M %z} is less than {gap} "
                                                     "after the previous attempt", channel=c.channel,
                                                     start=c.window_start, gap=self.params["gap"]), c))
        return out
