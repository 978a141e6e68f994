"""Call times for dialers: what a planned contact may be given, in the clock the dialer reads.

A dialer does not keep to a planned window. VICIdial dials a lead whenever its list's call time
allows, evaluated in the lead's ``gmt_offset_now``; Genesys Cloud whenever the campaign's
contactable times allow, in the time zone of the contact's callable-time column. So whatever
leaves contactplan must be legal at *every* instant the dialer may choose.

The plan gives each contact its allowed span: the interval of the day that holds its window in
which every rule allows contact in every candidate zone of the debtor (``PlannedContact.allowed``).
``call_time`` writes that span as a clock window in the dialer's clock. When the dialer's clock
for a lead is not certain -- VICIdial works out offsets itself from the phone code, from data
that may still carry Brazil's abolished DST -- the call time is the part of the span that is
legal in every clock the dialer may use (12 CFR 1006.6(b)(1)(i) comment on ambiguous locations:
convenient in every place the consumer may be; the same reading as the planner's candidate zones).

Pure functions of their arguments: no clock, no machine time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from contactplan.model import PlannedContact

UTC = dt.timezone.utc


@dataclass(frozen=True, order=True)
class CallTime:
    """A clock window on one local date: from ``start`` to ``end`` minutes after midnight,
    half-open ([start, end), ``end`` at most 1440), as VICIdial's HHMM call times read it
    (dialable while start <= HHMM < stop)."""

    day: dt.date
    start: int
    end: int

    @property
    def weekday(self) -> int:
        return self.day.weekday()

    def hhmm(self, minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    @property
    def text(self) -> str:
        return f"{self.hhmm(self.start)}-{self.hhmm(self.end)}"

    def instants(self, clock: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The UTC interval the dialer may dial in when it reads this call time's wall clock in
        ``clock`` (a fixed offset or a zone)."""
        def at(minutes: int) -> dt.datetime:
            if minutes == 1440:
                return dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(0), clock).astimezone(UTC)
            return dt.datetime.combine(self.day, dt.time(minutes // 60, minutes % 60), clock).astimezone(UTC)
        return at(self.start), at(self.end)


def span_of(contact: PlannedContact) -> tuple[dt.datetime, dt.datetime]:
    """The contact's allowed span, or its window when the plan did not say (a plan read back)."""
    return contact.allowed or (contact.window_start, contact.window_end)


def _in_clock(span: tuple[dt.datetime, dt.datetime], at: dt.datetime, clock: dt.tzinfo
              ) -> tuple[dt.date, int, int] | None:
    """The span as whole wall-clock minutes of the clock's local date holding ``at`` (the
    window's start): the start rounded up and the end down, so the clock window lies inside."""
    day = at.astimezone(clock).date()
    start, end = span[0].astimezone(clock), span[1].astimezone(clock)
    if start.date() > day or end.date() < day:
        return None
    first = 0 if start.date() < day else start.hour * 60 + start.minute + (start.second or start.microsecond > 0)
    last = 1440 if end.date() > day else end.hour * 60 + end.minute
    return (day, first, last) if first < last else None


def call_time(contact: PlannedContact, clocks: Iterable[dt.tzinfo], min_minutes: int = 1) -> CallTime | None:
    """The call time to give the dialer for ``contact`` when it may read it in any of ``clocks``
    (fixed offsets or zones): legal at every instant the dialer may dial in every such clock.
    None when no window of at least ``min_minutes`` is legal in all of them."""
    span = span_of(contact)
    found: tuple[dt.date, int, int] | None = None
    for clock in clocks:
        here = _in_clock(span, contact.window_start, clock)
        if here is None:
            return None
        if found is None:
            found = here
        elif here[0] != found[0]:
            return None  # the clocks disagree on the date: no one window holds on both
        else:
            found = (found[0], max(found[1], here[1]), min(found[2], here[2]))
    if found is None or found[2] - found[1] < min_minutes:
        return None
    return CallTime(*found)


def fixed(minutes: int) -> dt.timezone:
    """A fixed-offset clock, as a dialer holding a decimal GMT offset per lead reads time."""
    return dt.timezone(dt.timedelta(minutes=minutes))


def offset_at(zone: dt.tzinfo, when: dt.datetime) -> int:
    """A zone's UTC offset in minutes at an instant."""
    offset = when.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0
