"""VICIdial hand-off: lead files, their lists, and the SQL that makes VICIdial keep the plan's hours.

Read against VICIdial's own code (SVN r3884: bin/VICIDIAL_IN_new_leads_file.pl,
bin/ADMIN_adjust_GMTnow_on_leads.pl, bin/AST_VDhopper.pl, www/vicidial/admin_listloader_fourth_gen.php;
docs/exports.md has the line references and what was run against a real loader):

* VICIdial dials a lead whenever its list's call time allows, read in the lead's
  ``gmt_offset_now``, not in the plan's window. So each list here has its own call time: the
  part of the day in which every lead of the list may legally be called (the contact's allowed
  span, calltimes.py), and the other days of the week closed.
* ``gmt_offset_now`` is rewritten at 01:01 and 07:01 by ADMIN_adjust_GMTnow_on_leads.pl from
  VICIdial's phone-code data, where +55 is one row at -3 with Brazil's abolished DST: a forced
  offset does not last. What lasts is the OWNER_TIME_ZONE_CODE method: the lead's ``owner``
  holds a time-zone code, the list's ``time_zone_setting`` says to use it, and the nightly job's
  owner pass sets the offset from that code's row in ``vicidial_phone_codes``. contactplan writes
  those rows (with area code 000, which no number matches, so the country/area-code pass never
  applies them to other leads), the call times and the lists in ``vicidial_<date>_setup.sql``.

Variants (``vicidial_variant``):

* ``owner-tz`` (default): the CLI loader's ``--format=stdrankowner`` layout (rank in column 26,
  the time-zone code as owner in column 27), for ``VICIDIAL_IN_new_leads_file.pl
  --format=stdrankowner --time-zone-code-gmt --forcelistfilename``.
* ``owner-tz-web``: the web loader's standard layout (rank 23, owner 24), loaded with "Lead Time
  Zone Lookup: OWNER TIME ZONE CODE FIRST".
* ``standard``: the 23 documented columns; VICIdial works the offset out itself (+1: by area code;
  +55: its one row, -3, or -2 in that row's old DST season). Each call time is then what is legal
  in *every* offset VICIdial may give the lead; a lead for which no such time remains is not
  exported, and counted.

A lead never goes out without the call time that holds for it: a contact that cannot be given one
(its number too short for the loader, no legal time in VICIdial's possible offsets, an offset no
time-zone code stands for) is refused from the export with its reason, never written silently.
Messages name the debtor id, never a phone or a name.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import phonenumbers

from contactplan.i18n import tr
from contactplan.io.calltimes import CallTime, call_time, fixed, offset_at, span_of
from contactplan.model import Channel, Debtor, PlannedContact

VARIANTS = ("owner-tz", "owner-tz-web", "standard")
DIALER_CHANNELS = (Channel.VOICE, Channel.IVR)

# peers.md §3.1, 0-based: the columns every layout shares.
COLUMNS = ("vendor_lead_code", "source_id", "list_id", "phone_code", "phone_number", "title", "first_name",
           "middle_initial", "last_name", "address1", "address2", "address3", "city", "state", "province",
           "postal_code", "country_code", "gender", "date_of_birth", "alt_phone", "email", "security_phrase",
           "comments")
# What follows column 22 in each layout (VICIDIAL_IN_new_leads_file.pl lines 1419-1457 for
# stdrankowner; admin_listloader_fourth_gen.php lines 2739-2773 for the web loader's standard).
TAIL = {"owner-tz": ("called_count", "status", "entry_date", "rank", "owner"),
        "owner-tz-web": ("rank", "owner"),
        "standard": ()}
# VARCHAR widths of vicidial_list (extras/MySQL_AST_CREATE_tables.sql): longer values are cut
# (or, under strict SQL mode, the whole batch is refused).
WIDTHS = {"vendor_lead_code": 20, "source_id": 50, "state": 2, "country_code": 3, "comments": 255, "owner": 20}
# The CLI loader turns TAB into | and splits on |, drops every " and ends a lead at a line end;
# the web loader also strips ` \ ; (its $field_regx).
STRIPPED = re.compile(r"[\"`\\;|\t\r\n]")
_ISO3 = {"BR": "BRA", "US": "USA"}
# The CLI loader inserts a lead only when its digits are more than 6 (line 2439); the column
# holds 18 (the web loader refuses fewer than 5 or more than 18).
MIN_DIGITS, MAX_DIGITS = 7, 18

# Time-zone codes for the owner field (vicidial_phone_codes.tz_code is VARCHAR(4)): one per
# standard offset and DST rule. Brazil has had no DST since Decreto 9.772/2019; the US rule is
# VICIdial's SSM-FSN (second Sunday of March to first Sunday of November, 15 U.S.C. 260a).
_TZ_CODES: dict[tuple[int, int, bool], str] = {
    (55, -120, False): "BR-2", (55, -180, False): "BR-3", (55, -240, False): "BR-4", (55, -300, False): "BR-5",
    (1, -240, False): "USAT", (1, -300, True): "USE", (1, -360, True): "USC", (1, -420, True): "USM",
    (1, -420, False): "USMA", (1, -480, True): "USP", (1, -540, True): "USAK", (1, -600, True): "USHA",
    (1, -600, False): "USHI", (1, -660, False): "USSA", (1, 600, False): "USCH",
}


class VicidialRefusal(Exception):
    """A contact this export cannot hand to VICIdial safely (caught per contact)."""


@dataclass(frozen=True)
class TzCode:
    code: str
    country_code: int
    standard_minutes: int
    dst: bool

    @property
    def gmt_offset(self) -> str:
        return f"{self.standard_minutes / 60:g}"

    @property
    def dst_range(self) -> str:
        return "SSM-FSN" if self.dst else ""


@functools.lru_cache(maxsize=4096)
def tz_code(country_code: int, zone: str, on: dt.date) -> TzCode:
    """The owner time-zone code for a zone: its standard offset and whether it keeps DST (read
    from the tz database in January and July of the plan's year). Cached: a list of a million
    leads has a few dozen zones."""
    tz = ZoneInfo(zone)
    january = offset_at(tz, dt.datetime(on.year, 1, 15, 12, tzinfo=dt.UTC))
    july = offset_at(tz, dt.datetime(on.year, 7, 15, 12, tzinfo=dt.UTC))
    standard, dst = min(january, july), january != july
    code = _TZ_CODES.get((country_code, standard, dst))
    if code is None:
        if dst:
            raise VicidialRefusal(tr("no VICIdial time-zone code for {zone} (UTC{offset}, DST)", zone=zone,
                                     offset=f"{standard / 60:+g}"))
        raise VicidialRefusal(tr("no VICIdial time-zone code for {zone} (UTC{offset})", zone=zone,
                                 offset=f"{standard / 60:+g}"))
    return TzCode(code, country_code, standard, dst)


def _tso_lsf_season(on: dt.date) -> bool:
    """VICIdial's TSO-LSF rule, which its phone-code data still gives +55 (BZL_dstcalc in
    ADMIN_adjust_GMTnow_on_leads.pl: from the Sunday on or after 22 October to the Sunday on or
    after 22 February): on these dates it gives Brazil -2 instead of -3."""
    def sunday_from(year: int, month: int) -> dt.date:
        day = dt.date(year, month, 22)
        return day + dt.timedelta(days=(6 - day.weekday()) % 7)
    start = sunday_from(on.year if on.month >= 3 else on.year - 1, 10)
    end = sunday_from(start.year + 1, 2)
    return start <= on < end


def vicidial_offsets(phone_code: int, national: str, on: dt.date, zones_of_area: Callable[[str], Iterable[str]]
                     ) -> tuple[int, ...]:
    """Every gmt_offset_now (minutes) VICIdial's own lookup may give a lead (``standard``): +55
    its one row, -3, or -2 in the row's DST season (a corrected row gives -3); +1 the offsets
    of the zones of the number's area code. () when it cannot be known."""
    if phone_code == 55:
        return (-180, -120) if _tso_lsf_season(on) else (-180,)
    if phone_code == 1:
        noon = dt.datetime.combine(on, dt.time(12), dt.UTC)
        return tuple(sorted({offset_at(ZoneInfo(z), noon) for z in zones_of_area(national[:3])}))
    return ()


@dataclass
class Lead:
    contact: PlannedContact
    debtor: Debtor
    phone_code: str
    national: str
    clock: str  # the owner tz code, or the offsets VICIdial may use ("std-180-120")
    offsets: tuple[int, ...]
    call: CallTime


@dataclass(frozen=True)
class VicidialList:
    """One VICIdial list: its leads share channel, pool, phone code, clock and call time."""

    key: str  # what its number is kept for from day to day (no date in it)
    channel: str
    pool: str
    phone_code: str
    clock: str
    call: CallTime
    leads: tuple[Lead, ...]


def call_time_id(call: CallTime) -> str:
    """vicidial_call_times.call_time_id (VARCHAR(10)): CP, the weekday, start and end minutes in
    base 36 -- one id per distinct call time."""
    return f"CP{call.weekday}{_b36(call.start)}{_b36(call.end)}"


def _b36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return digits[n // 1296] + digits[n // 36 % 36] + digits[n % 36]


# The two numbering plans contactplan plans for, whose E.164 digits after the calling code are
# exactly the national significant number: NANP (+1, area codes never start with 0 or 1) and
# Brazil (+55, DDD 11-99; "90" is a carrier-selection prefix phonenumbers strips, so it is left to it).
_FAST_E164 = re.compile(r"\+(?:(1)([2-9][0-9]{9})|(55)((?!90)[1-9][0-9]{9,10}))")


def _e164(destination: str) -> tuple[int, str] | None:
    """(country calling code, national significant number) as phonenumbers gives them; the
    readers write every phone in E.164, so the two plans above take a shortcut that skips
    phonenumbers' parser (most of the cost of a VICIdial export), everything else takes it."""
    found = _FAST_E164.fullmatch(destination)
    if found is not None:
        return (1, found.group(2)) if found.group(1) else (55, found.group(4))
    try:
        number = phonenumbers.parse(destination)
    except phonenumbers.NumberParseException:
        return None
    return number.country_code, phonenumbers.national_significant_number(number)


def plan_leads(contacts: Sequence[PlannedContact], debtors: Mapping[str, Debtor], variant: str,
               zones_of_area: Callable[[str], Iterable[str]], min_minutes: int = 1
               ) -> tuple[list[Lead], list[tuple[PlannedContact, str]]]:
    """Each dialler contact as a lead with its clock and call time, or refused with the reason."""
    leads: list[Lead] = []
    refused: list[tuple[PlannedContact, str]] = []
    # A plan's contacts share a few hundred window and allowed-span objects: what follows from
    # them (the clock, the offsets, the call time) is worked out once per distinct set, the
    # objects known by identity and kept in the entry so that an id is never reused meanwhile.
    clocks: dict[tuple, tuple] = {}
    calls: dict[tuple, tuple] = {}
    interned: dict[CallTime, CallTime] = {}
    for c in contacts:
        if c.channel not in DIALER_CHANNELS:
            continue
        d = debtors[c.debtor_id]
        split = _e164(c.destination)
        if split is None:
            refused.append((c, tr("the destination is not an E.164 number")))
            continue
        code, national = split
        if not MIN_DIGITS <= len(national) <= MAX_DIGITS:
            refused.append((c, tr("VICIdial's loader takes {low}-{high} digit phone numbers", low=MIN_DIGITS,
                                  high=MAX_DIGITS)))
            continue
        if variant == "standard":  # the offsets follow the number's area code
            key: tuple = (code, national, c.timezone, id(c.window_start))
        else:
            key = (code, c.timezone, id(c.window_start))
        found = clocks.get(key)
        if found is None or found[0] is not c.window_start:
            found = clocks[key] = (c.window_start, *_clock(c, code, national, variant, zones_of_area))
            if variant == "standard" and len(clocks) > 100_000:  # one a number: keep it bounded
                clocks.clear()
        _, clock, offsets, refusal = found
        if refusal:
            refused.append((c, refusal))
            continue
        span = span_of(c)
        key = (offsets, id(c.window_start), id(span[0]), id(span[1]))
        timed = calls.get(key)
        if timed is None or timed[0] is not c.window_start or timed[1] is not span:
            call = call_time(c, [fixed(o) for o in offsets], min_minutes)
            # Equal call times as one object, so that lead_row writes each once.
            timed = calls[key] = (c.window_start, span, call and interned.setdefault(call, call))
        call = timed[2]
        if call is None:
            refused.append((c, tr("no time legal in every offset VICIdial may give the number ({offsets}); use the "
                                  "owner-tz variant", offsets=", ".join(f"UTC{o / 60:+g}" for o in offsets))))
            continue
        leads.append(Lead(c, d, str(code), national, clock, offsets, call))
    return leads, refused


def _clock(c: PlannedContact, code: int, national: str, variant: str, zones_of_area: Callable[[str], Iterable[str]]
           ) -> tuple[str, tuple[int, ...], str]:
    """The lead's clock (owner code, or the offsets VICIdial may use), its offsets, and why it
    cannot be given one ("" if it can)."""
    on = c.window_start.astimezone(ZoneInfo(c.timezone)).date()
    try:
        if variant == "standard":
            offsets = vicidial_offsets(code, national, on, zones_of_area)
            clock = "std" + "".join(f"{o:+d}" for o in offsets)
        else:
            tz = tz_code(code, c.timezone, on)
            offsets = (offset_at(ZoneInfo(c.timezone), c.window_start),)
            clock = tz.code
    except VicidialRefusal as exc:
        return "", (), str(exc)
    if not offsets:
        return clock, offsets, tr("VICIdial's offset for this number cannot be known (no area-code zone)")
    return clock, offsets, ""


def group_lists(leads: Iterable[Lead]) -> list[VicidialList]:
    """Leads into lists of one (channel, pool, phone code, clock, call time), in a stable order."""
    groups: dict[tuple, list[Lead]] = defaultdict(list)
    for lead in leads:
        c = lead.contact
        groups[(c.channel.value, c.pool, lead.phone_code, lead.clock, lead.call)].append(lead)
    out = []
    for (channel, pool, code, clock, call), members in sorted(groups.items(), key=lambda kv: _sort_key(kv[0])):
        key = f"{channel}|{pool}|{code}|{clock}|{call.text}"
        out.append(VicidialList(key, channel, pool, code, clock, call, tuple(members)))
    return out


def _sort_key(key: tuple) -> tuple:
    channel, pool, code, clock, call = key
    return channel, pool, code, clock, call.start, call.end, call.day


def lead_row(lead: Lead, plan_id: str, list_id: int, variant: str, memo: dict | None = None) -> list[str]:
    """One lead in the variant's layout. Raises VicidialRefusal for a value VICIdial would mangle
    (the first such column in layout order). ``memo``: a dict the caller keeps for one plan's
    leads, so that their shared windows are written once."""
    c, d = lead.contact, lead.debtor
    # No names, addresses or alternate phones: the plan chose one destination and checked its
    # rules; VICIdial's alt-dial would call numbers nobody checked (e.g. a work number).
    key = (id(c.window_start), id(c.window_end), c.timezone)
    found = memo.get(key) if memo is not None else None
    if found is None or found[0] is not c.window_start or found[1] is not c.window_end:
        zone = ZoneInfo(c.timezone)
        found = (c.window_start, c.window_end,
                 f"window={c.window_start.astimezone(zone).isoformat()}/{c.window_end.astimezone(zone).isoformat()}")
        if memo is not None:
            memo[key] = found
    call = memo.get(id(lead.call)) if memo is not None else None
    if call is None or call[0] is not lead.call:
        call = (lead.call, lead.call.text)
        if memo is not None:
            memo[id(lead.call)] = call
    comments = STRIPPED.sub(" ", f"{found[2]} rank={c.rank} channel={c.channel.value} pool={c.pool} "  # as VICIdial
                                 f"calltime={call[1]}")  # would store it
    row = [c.debtor_id, plan_id, str(list_id), lead.phone_code, lead.national, *_NAMES_AND_ADDRESS, d.region, "", "",
           _ISO3.get(d.country, ""), *_PERSONAL, comments]
    if variant == "owner-tz":
        row += ("0", "NEW", "", str(min(c.rank, 32767)), lead.clock)
    elif variant == "owner-tz-web":
        row += (str(min(c.rank, 32767)), lead.clock)
    # Leads share most values (plan id, list id, phone code, state, owner code): when those were
    # judged fine together before and the lead's own ones fit, the row is fine. Otherwise every
    # filled column in layout order (blank ones cannot be refused), so the first refusal is named.
    shared = (variant, plan_id, row[_LIST_ID], row[_PHONE_CODE], row[_STATE], row[_COUNTRY], lead.clock)
    # (The rank is digits, at most 32767: never refused.)
    own, phone = row[_LEAD_CODE], row[_PHONE]
    if shared in _fine and len(own) <= _LEAD_CODE_WIDTH and len(comments) <= _COMMENTS_WIDTH \
            and len(phone) <= _PHONE_WIDTH and not STRIPPED.search(own) and not STRIPPED.search(phone):
        return row
    for k, column in _FILLED[variant]:
        refusal = _refusal(column, row[k])
        if refusal:
            raise VicidialRefusal(refusal)
    if len(_fine) < 100_000:
        _fine.add(shared)
    return row


def _refusal(column: str, value: str) -> str:
    """Why VICIdial would mangle ``value`` in ``column`` ("" if it would not)."""
    if column != "comments" and STRIPPED.search(value):
        return tr("{column} holds a character VICIdial strips or splits on", column=column)
    width = WIDTHS.get(column, 100)
    if len(value) > width:
        return tr("{column} is longer than VICIdial's {width} characters", column=column, width=width)
    return ""


_LAYOUT = {variant: (*COLUMNS, *tail) for variant, tail in TAIL.items()}
# What lead_row fills (every other column of the layout is blank), by position.
_NAMES_AND_ADDRESS = ("",) * (COLUMNS.index("state") - COLUMNS.index("title"))
_PERSONAL = ("",) * (COLUMNS.index("comments") - COLUMNS.index("country_code") - 1)
_FILLED = {variant: tuple((k, name) for k, name in enumerate(layout) if name in (
    "vendor_lead_code", "source_id", "list_id", "phone_code", "phone_number", "state", "country_code", "comments",
    "called_count", "status", "rank", "owner")) for variant, layout in _LAYOUT.items()}
# The values leads share (lead_row's ``shared``) that VICIdial keeps as they are, together
# (bounded; a refusal is worded each time, in the reader's language).
_fine: set[tuple[str, ...]] = set()
_LEAD_CODE, _LIST_ID, _PHONE_CODE, _PHONE, _STATE, _COUNTRY = map(COLUMNS.index, (
    "vendor_lead_code", "list_id", "phone_code", "phone_number", "state", "country_code"))
_LEAD_CODE_WIDTH, _COMMENTS_WIDTH = WIDTHS["vendor_lead_code"], WIDTHS["comments"]
_PHONE_WIDTH = WIDTHS.get("phone_number", 100)  # _refusal's width for it


def file_name(day: str, vl: VicidialList, list_id: int) -> str:
    """The lead file's name: the list id is the last "_" field before the first ".", which is
    what --forcelistfilename reads (VICIDIAL_IN_new_leads_file.pl lines 697-705)."""
    pool = f"-{_slug(vl.pool)}" if vl.pool else ""
    times = vl.call.text.replace(":", "")
    return f"vicidial-{day}-{vl.channel}{pool}-{vl.phone_code}-{vl.clock}-{times}_{list_id}.txt"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "pool"


def campaign_for(channel: str, pool: str, campaigns: Mapping[str, str]) -> str:
    """The VICIdial campaign of a pool (``--vicidial-campaign POOL=ID``; IVR as "ivr"), else the
    pool's name in capitals, cut to the 8 characters campaign ids hold."""
    name = pool or channel
    return campaigns.get(name) or (_slug(name).replace("-", "").upper()[:8] or "CONTACT")


def setup_sql(plan_id: str, day: dt.date, lists: Sequence[tuple[VicidialList, int]], variant: str,
              campaigns: Mapping[str, str]) -> str:
    """The SQL to run on VICIdial's database before loading the day's lead files."""
    out = [f"-- contactplan: VICIdial set-up for plan {plan_id} ({day}, variant {variant}).",
           "-- Run it on VICIdial's database AFTER loading this day's lead files, e.g.",
           "--   mysql asterisk < this-file.sql",
           "-- Until it has run, today's lists do not exist and none of their leads is dialled; it then",
           "-- makes them, with their call times, and sets each lead's offset (whatever the loader did).",
           "-- It is idempotent: running it twice changes nothing more.", ""]
    codes = sorted({(lead.phone_code, lead.clock, lead.contact.timezone) for vl, _ in lists for lead in vl.leads}
                   ) if variant != "standard" else []
    tz_rows = {}
    for code, clock, zone in codes:
        tz = tz_code(int(code), zone, day)
        tz_rows[tz.code] = tz
    if tz_rows:
        names = ", ".join(f"'{c}'" for c in sorted(tz_rows))
        out += ["-- 1. Time-zone codes for the leads' owner field (OWNER_TIME_ZONE_CODE). Area code 000",
                "--    matches no phone number, so the nightly country/area-code pass of",
                "--    ADMIN_adjust_GMTnow_on_leads.pl never gives these offsets to other leads.",
                f"DELETE FROM vicidial_phone_codes WHERE areacode = '000' AND tz_code IN ({names});",
                "INSERT INTO vicidial_phone_codes (country_code, country, areacode, state, GMT_offset, DST, "
                "DST_range, geographic_description, tz_code, php_tz) VALUES"]
        rows = [f"  ({tz.country_code}, '{'BRA' if tz.country_code == 55 else 'USA'}', '000', '', '{tz.gmt_offset}', "
                f"'{'Y' if tz.dst else 'N'}', '{tz.dst_range}', 'contactplan UTC{tz.gmt_offset}"
                f"{' with DST' if tz.dst else ''}', '{tz.code}', '')" for tz in (tz_rows[c] for c in sorted(tz_rows))]
        out += [",\n".join(rows) + ";", ""]
    calls = sorted({vl.call for vl, _ in lists}, key=lambda c: (c.weekday, c.start, c.end))
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    if calls:
        out += ["-- 2. Call times: the list's local call time, open on the plan's weekday only (2400 = closed;",
                "--    VICIdial dials while start <= local HHMM < stop, AST_VDhopper.pl).",
                "INSERT INTO vicidial_call_times (call_time_id, call_time_name, call_time_comments, ct_default_start, "
                "ct_default_stop, " + ", ".join(f"ct_{d}_start, ct_{d}_stop" for d in days)
                + ", ct_state_call_times, ct_holidays) VALUES"]
        rows = []
        for call in calls:
            per_day = []
            for k in range(7):
                per_day += [_hhmm_int(call.start), _hhmm_int(call.end)] if k == call.weekday else [2400, 2400]
            name = f"contactplan {days[call.weekday][:3].capitalize()} {call.text}"
            rows.append(f"  ('{call_time_id(call)}', '{name}', 'made by contactplan', 2400, 2400, "
                        + ", ".join(str(v) for v in per_day) + ", '', '')")
        out += [",\n".join(rows),
                "ON DUPLICATE KEY UPDATE call_time_name = VALUES(call_time_name), "
                + ", ".join(f"ct_{d}_start = VALUES(ct_{d}_start), ct_{d}_stop = VALUES(ct_{d}_stop)" for d in days)
                + ", ct_default_start = 2400, ct_default_stop = 2400, ct_state_call_times = '', ct_holidays = '';",
                ""]
    if lists:
        setting = "COUNTRY_AND_AREA_CODE" if variant == "standard" else "OWNER_TIME_ZONE_CODE"
        out += [f"-- 3. Today's lists: active, time zone by {setting}, each with its call time.",
                "INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active, list_description, "
                "time_zone_setting, local_call_time) VALUES"]
        rows = [f"  ({list_id}, '{_sql(f'cp {day:%m%d} {vl.channel} {vl.pool} {vl.clock}'[:30])}', "
                f"'{_sql(campaign_for(vl.channel, vl.pool, campaigns))}', 'Y', "
                f"'{_sql(f'contactplan {plan_id} {vl.key}'[:255])}', '{setting}', '{call_time_id(vl.call)}')"
                for vl, list_id in lists]
        out += [",\n".join(rows),
                "ON DUPLICATE KEY UPDATE active = 'Y', time_zone_setting = VALUES(time_zone_setting), "
                "local_call_time = VALUES(local_call_time), list_description = VALUES(list_description);", "",
                "-- 4. Earlier lists of contactplan off: today's plan replaces them.",
                "UPDATE vicidial_lists SET active = 'N' WHERE list_description LIKE 'contactplan %' AND list_id NOT IN ("
                + ", ".join(str(list_id) for _, list_id in lists) + ");", ""]
        if variant != "standard":
            by_offset: dict[int, list[int]] = defaultdict(list)
            for vl, list_id in lists:
                by_offset[vl.leads[0].offsets[0]].append(list_id)
            out += ["-- 5. Each lead's offset on the plan's day, as the nightly owner pass sets it from its code:",
                    "--    right even if the loader ran without --time-zone-code-gmt."]
            out += [f"UPDATE vicidial_list SET gmt_offset_now = '{offset / 60:.2f}' WHERE list_id IN ("
                    + ", ".join(str(i) for i in sorted(ids)) + ");" for offset, ids in sorted(by_offset.items())]
            out.append("")
    return "\n".join(out)


def _hhmm_int(minutes: int) -> int:
    return minutes // 60 * 100 + minutes % 60


def _sql(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "''")
