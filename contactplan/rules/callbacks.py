"""Callbacks the debtor asked for, and which calls they make consented.

A debtor who asks to be called back at a time ("call me at 15:00") gives the collector direct
prior consent for that call. Regulation F excludes such calls from both of its call-frequency
presumptions (12 CFR 1006.14(b)(3)(i)): a call "placed with such person's prior consent given
directly to the debt collector and within a period no longer than seven consecutive days after
receiving the prior consent, with the date the debt collector receives prior consent counting as
the first day". contactplan reads that narrowly: the consent covers the one call at the time
asked for (from CALLBACK_EARLY before it to CALLBACK_LATE after), on the destination the request
came from, on the request's day or the six that follow. A rule takes the exclusion only where
its pack says so (frequency_cap and conversation_cooldown parameter ``consented_callbacks``):
elsewhere a callback counts like any call, and every other rule (hours, holidays, consent,
suppressions) holds for it as for any contact.
"""

from __future__ import annotations

import bisect
import datetime as dt
from zoneinfo import ZoneInfo

from contactplan.model import Attempt, Channel, Debtor, Direction, Outcome, PlannedContact

CALLBACK_EARLY = dt.timedelta(minutes=5)
CALLBACK_LATE = dt.timedelta(minutes=30)
CONSENT_DAYS = 7  # 12 CFR 1006.14(b)(3)(i): at most seven consecutive days, the day of consent first
CALLBACK_CHANNELS = (Channel.VOICE,)  # a call back is a call by an agent


def requests(debtor: Debtor) -> list[Attempt]:
    """The debtor's callback requests in the history, oldest first."""
    return [a for a in debtor.history if a.outcome is Outcome.CALLBACK_REQUESTED and a.callback_at is not None]


def _within_consent(debtor: Debtor, request: Attempt, when: dt.datetime) -> bool:
    """Whether ``when`` lies in the consent's seven local days (in every candidate zone)."""
    for name in debtor.zones:
        zone = ZoneInfo(name)
        first = request.attempted_at.astimezone(zone).date()
        if not first <= when.astimezone(zone).date() < first + dt.timedelta(days=CONSENT_DAYS):
            return False
    return when >= request.attempted_at


class Requests:
    """A debtor's callback requests by destination, in the order of the time asked for: a call
    can be consented only by a request whose asked-for time lies from CALLBACK_LATE before the
    call to CALLBACK_EARLY after it, so those are found by bisection (in history order) and then
    judged by callback_of and consented exactly as all of them would be. A debtor's thousands of
    logged calls so cost look-ups, not every request for every call."""

    def __init__(self, debtor: Debtor):
        groups: dict[str, list[tuple[dt.datetime, int, Attempt]]] = {}
        for k, request in enumerate(requests(debtor)):
            groups.setdefault(request.destination, []).append((request.callback_at, k, request))
        self.by_destination = {}
        for destination, found in groups.items():
            found.sort(key=lambda item: (item[0], item[1]))
            self.by_destination[destination] = ([at for at, _, _ in found], [(k, r) for _, k, r in found])

    def near(self, destination: str, start: dt.datetime, end: dt.datetime) -> list[Attempt]:
        """The requests to ``destination`` that may consent a call from ``start`` to ``end``, in
        history order."""
        found = self.by_destination.get(destination)
        if found is None:
            return []
        times, items = found
        lo, hi = bisect.bisect_left(times, end - CALLBACK_LATE), bisect.bisect_right(times, start + CALLBACK_EARLY)
        return [request for _, request in sorted(items[lo:hi], key=lambda item: item[0])]


def callback_of(debtor: Debtor, contact: PlannedContact, index: Requests | None = None) -> Attempt | None:
    """The request a contact honours: an agent call to the requested destination whose window
    (or, from a log, whose instant) lies in the requested time, within the consent's days.
    ``index``: the debtor's Requests, when there are many calls to ask about."""
    if contact.channel not in CALLBACK_CHANNELS:
        return None
    start, end = ((contact.attempted_at, contact.attempted_at) if contact.attempted_at is not None
                  else (contact.window_start, contact.window_end))
    for request in requests(debtor) if index is None else index.near(contact.destination, start, end):
        if request.destination != contact.destination or request is contact.attempt:
            continue
        early, late = request.callback_at - CALLBACK_EARLY, request.callback_at + CALLBACK_LATE
        if early <= start and end <= late and _within_consent(debtor, request, start):
            return request
    return None


def consented(debtor: Debtor, attempt: Attempt, index: Requests | None = None) -> bool:
    """Whether a recorded attempt was the call back a request asked for (so a rule that takes
    the exclusion does not count it). ``index``: the debtor's Requests."""
    if attempt.direction is not Direction.OUTBOUND or attempt.channel not in CALLBACK_CHANNELS:
        return False
    at = attempt.attempted_at
    for request in requests(debtor) if index is None else index.near(attempt.destination, at, at):
        if (request.destination == attempt.destination and request.attempted_at < attempt.attempted_at
                and request.callback_at - CALLBACK_EARLY <= attempt.attempted_at < request.callback_at + CALLBACK_LATE
                and _within_consent(debtor, request, attempt.attempted_at)):
            return True
    return False
