"""Genesys Cloud hand-off: contact lists a campaign can dial only inside the plan's legal hours.

Genesys dials a contact whenever its campaign's contactable time set allows, in the time zone
of the contact's callable-time column (automatic time-zone mapping off: it knows NANP only,
peers.md §1). One set per campaign, one window per zone in it: so contacts go to one list per
(channel, pool, zone, callable window), and the manifest says, for each list, the zone and the
window to enter as the campaign's contactable time. The window is the contact's allowed span
(every rule, every candidate zone) in that zone's clock (calltimes.py), so a debtor who may be in
two zones is callable only where both allow, as in the plan.

Genesys reads contact lists as comma-separated UTF-8 with a header row (it refuses ";"), so these
files are always written that way, whatever the plan's CSV options.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactplan.i18n import tr
from contactplan.io.calltimes import CallTime, call_time, span_of
from contactplan.model import Channel, Debtor, PlannedContact

DIALER_CHANNELS = (Channel.VOICE, Channel.IVR)
COLUMNS = ("debtor_id", "plan_id", "channel", "pool", "rank", "phone", "phone_timezone", "state", "country",
           "window_start_utc", "window_end_utc", "window_start_local", "window_end_local", "callable_local")
MANIFEST_COLUMNS = ("file", "channel", "pool", "time_zone", "weekday", "contactable_from", "contactable_until",
                    "contacts", "first_window_start_utc", "last_window_end_utc")


@dataclass(frozen=True)
class GenesysList:
    channel: str
    pool: str
    zone: str
    call: CallTime
    contacts: tuple[PlannedContact, ...]


def group_lists(contacts: Sequence[PlannedContact], min_minutes: int = 1
                ) -> tuple[list[GenesysList], list[tuple[PlannedContact, str]]]:
    """Dialler contacts into lists of one (channel, pool, zone, callable window)."""
    groups: dict[tuple, list[PlannedContact]] = defaultdict(list)
    refused: list[tuple[PlannedContact, str]] = []
    # Contacts share a few hundred window and allowed-span objects: each set's call time is
    # worked out once (known by identity, the objects held in the entry) and is one object.
    calls: dict[tuple, tuple] = {}
    interned: dict[CallTime, CallTime] = {}
    for c in contacts:
        if c.channel not in DIALER_CHANNELS:
            continue
        span = span_of(c)
        key = (c.timezone, id(c.window_start), id(span[0]), id(span[1]))
        found = calls.get(key)
        if found is None or found[0] is not c.window_start or found[1] is not span:
            made = call_time(c, [ZoneInfo(c.timezone)], min_minutes)
            found = calls[key] = (c.window_start, span, made and interned.setdefault(made, made))
        call = found[2]
        if call is None:
            refused.append((c, tr("no callable window of the day in the contact's time zone")))
            continue
        groups[(c.channel.value, c.pool, c.timezone, call)].append(c)
    lists = [GenesysList(channel, pool, zone, call, tuple(members))
             for (channel, pool, zone, call), members in sorted(
                 groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3].start, kv[0][3].end))]
    return lists, refused


def file_name(day: str, gl: GenesysList) -> str:
    pool = f"-{_slug(gl.pool)}" if gl.pool else ""
    return f"genesys-{day}-{gl.channel}{pool}-{_slug(gl.zone)}-{gl.call.text.replace(':', '')}.csv"


def rows(gl: GenesysList, plan_id: str, debtors: Mapping[str, Debtor], utc, local) -> list[list[str]]:
    out = []
    callable_local = gl.call.text  # one a list
    for c in gl.contacts:
        d = debtors[c.debtor_id]
        out.append([c.debtor_id, plan_id, c.channel.value, c.pool, str(c.rank), c.destination, c.timezone, d.region,
                    d.country, utc(c.window_start), utc(c.window_end), local(c.window_start, c),
                    local(c.window_end, c), callable_local])
    return out


def manifest_row(name: str, gl: GenesysList, utc) -> list[str]:
    return [name, gl.channel, gl.pool, gl.zone, gl.call.day.strftime("%A"), gl.call.hhmm(gl.call.start),
            gl.call.hhmm(gl.call.end), str(len(gl.contacts)), utc(min(c.window_start for c in gl.contacts)),
            utc(max(c.window_end for c in gl.contacts))]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "x"
