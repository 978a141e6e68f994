"""The debtor's local clock, which every rule about time reads.

Calling hours, holidays, preferred windows and the day counts of caps and cooldowns are all
stated in the debtor's local time (SP Lei 15.426/2014 art. 2 "das 8h às 20h"; 12 CFR
1006.6(b)(1)(i): "before 8:00 a.m. and after 9:00 p.m. local time at the consumer's location").
When the debtor's place is uncertain there are several candidate zones, and a window or a day
must hold in every one of them: the strictest reading.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from contactplan.model import Debtor
from contactplan.rules.base import Interval, intersect

UTC = dt.timezone.utc
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


def local_end(day: dt.date, end: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The instant a local window of ``day`` ending at ``end`` ends; 24:00 (time.max) closes the day."""
    if end == dt.time.max:
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
            e = (local_end(day, end, zone) - margin).astimezone(UTC)
            if s < e:
                intervals.append((s, e))
        result = intervals if result is None else intersect(result, intervals)
    return tuple(result or ())


@functools.lru_cache(maxsize=1 << 14)
def day_start(zones: tuple[str, ...], day: dt.date, latest: bool = False) -> dt.datetime:
    """An instant no later than the first of local date ``day`` in any of the zones: the
    earliest of their midnights, two hours early (a midnight may fall in a clock change); with
    ``latest``, one no earlier than the first of ``day`` in every zone (the latest midnight, two
    hours late): what comes before it has a local date before ``day`` in each zone."""
    if latest:
        return max(dt.datetime.combine(day, dt.time(0), ZoneInfo(z)) for z in zones) + dt.timedelta(hours=2)
    return min(dt.datetime.combine(day, dt.time(0), ZoneInfo(z)) for z in zones) - dt.timedelta(hours=2)


def local_days(debtor: Debtor, when: dt.datetime) -> frozenset[dt.date]:
    """The local dates of an instant in each of the debtor's candidate zones."""
    return _local_dates(debtor.zones, when, when.fold)


@functools.lru_cache(maxsize=1 << 16)
def _local_dates(zones: tuple[str, ...], when: dt.datetime, fold: int) -> frozenset[dt.date]:
    # Keyed with the fold: two wall times an hour apart in a zone's repeated hour compare equal.
    return frozenset(when.astimezone(ZoneInfo(z)).date() for z in zones)


def window_dates(zones: tuple[str, ...], start: dt.datetime, end: dt.datetime) -> tuple[dt.date, ...]:
    """The local calendar dates the half-open window [start, end) touches in any candidate zone,
    in order."""
    days = set()
    for name in zones:
        zone = ZoneInfo(name)
        days.add(start.astimezone(zone).date())
        days.add((end - _ONE_MICROSECOND).astimezone(zone).date())
    return tuple(sorted(days))
