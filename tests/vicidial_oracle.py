"""VICIdial as its code behaves, for tests: the CLI lead loader, the nightly time-zone job and the
hopper's call-time check, written from VICIdial's source (SVN r3884) -- not from contactplan's.

* ``load``: bin/VICIDIAL_IN_new_leads_file.pl --format=stdrankowner (or standard) with
  --forcelistfilename and --time-zone-code-gmt: lines 782-796 (TAB -> "|", CR/LF dropped, ``","``
  -> "|", every ``"`` dropped, split on "|"), 1419-1457 (stdrankowner columns), 697-705 (list id
  from the file name), 2439 (a lead only when its phone has more than 6 digits), 2482-2515 (owner
  time-zone code -> GMT_offset, DST from DST_range), 2606-2625 (otherwise, for a country other than
  1/52/61, the *last* phone-code row of the country).
* ``nightly``: bin/ADMIN_adjust_GMTnow_on_leads.pl --list-settings: the country/area-code pass for
  every lead, then the owner pass for lists set to OWNER_TIME_ZONE_CODE (lines 263-347, 492-668,
  1036-1211).
* ``dialable``: bin/AST_VDhopper.pl: a lead of a list with its own local call time is dialled while
  start <= local HHMM < stop of the local weekday (2400 never), the local time being UTC plus the
  lead's gmt_offset_now (lines 1583-1605, 2263-2708); a list whose call time does not exist falls
  back to the campaign's.

VICIdial's phone-code data for +55 is one row, ``55 BRA * -3 Y TSO-LSF`` (phonecodes file, 2018);
for +1 its area-code rows are stood in for by phonenumbers' area-code zones (the same look-up the
exporter uses: VICIdial's own NANP table was not available here).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from contactplan.timezones import area_code_zones

STANDARD = ("vendor_lead_code", "source_id", "list_id", "phone_code", "phone_number", "title", "first_name",
            "middle_initial", "last_name", "address1", "address2", "address3", "city", "state", "province",
            "postal_code", "country", "gender", "date_of_birth", "alt_phone", "email", "security_phrase", "comments")
STDRANKOWNER = (*STANDARD, "called_count", "status", "entry_date", "rank", "owner", "multi_alt")
WEB_STANDARD = (*STANDARD, "rank", "owner")


@dataclass
class PhoneCode:
    country_code: int
    areacode: str
    gmt: float
    dst_range: str
    tz_code: str


@dataclass
class CallTimeRow:
    start: dict[int, int]  # weekday (0 = Monday) -> HHMM
    stop: dict[int, int]
    default: tuple[int, int]


@dataclass
class ListRow:
    list_id: int
    active: bool
    time_zone_setting: str
    local_call_time: str


@dataclass
class Vicidial:
    """The few tables the loader, the nightly job and the hopper read."""

    phone_codes: list[PhoneCode] = field(default_factory=lambda: [PhoneCode(55, "*", -3, "TSO-LSF", "BRT")])
    call_times: dict[str, CallTimeRow] = field(default_factory=dict)
    lists: dict[int, ListRow] = field(default_factory=dict)
    leads: list[dict] = field(default_factory=list)

    # --- the set-up SQL contactplan writes (only the statements it writes) ------------------------
    def run_setup(self, sql: str) -> None:
        for statement in _statements(sql):
            head = statement.split("(", 1)[0].split()
            if statement.startswith("DELETE FROM vicidial_phone_codes"):
                codes = set(re.findall(r"'([^']+)'", statement.split("IN", 1)[1]))
                self.phone_codes = [p for p in self.phone_codes if not (p.areacode == "000" and p.tz_code in codes)]
            elif statement.startswith("INSERT INTO vicidial_phone_codes"):
                for values in _tuples(statement):
                    self.phone_codes.append(PhoneCode(int(values[0]), values[2], float(values[4]), values[6],
                                                      values[8]))
            elif statement.startswith("INSERT INTO vicidial_call_times"):
                for values in _tuples(statement):
                    days = [int(v) for v in values[5:19]]  # monday..sunday start, stop
                    self.call_times[values[0]] = CallTimeRow({k: days[2 * k] for k in range(7)},
                                                             {k: days[2 * k + 1] for k in range(7)},
                                                             (int(values[3]), int(values[4])))
            elif statement.startswith("INSERT INTO vicidial_lists"):
                for values in _tuples(statement):
                    self.lists[int(values[0])] = ListRow(int(values[0]), values[3] == "Y", values[5], values[6])
            elif statement.startswith("UPDATE vicidial_list SET gmt_offset_now"):
                offset = float(re.search(r"gmt_offset_now = '([^']+)'", statement).group(1))
                ids = {int(x) for x in re.findall(r"\d+", statement.split("IN", 1)[1])}
                for lead in self.leads:
                    if lead["list_id"] in ids:
                        lead["gmt_offset_now"] = offset
            elif statement.startswith("UPDATE vicidial_lists SET active = 'N'"):
                keep = {int(x) for x in re.findall(r"\d+", statement.split("NOT IN", 1)[1])}
                for row in self.lists.values():
                    if row.list_id not in keep:
                        row.active = False
            elif head:
                raise AssertionError(f"unexpected statement: {statement[:60]}")

    # --- VICIDIAL_IN_new_leads_file.pl -------------------------------------------------------------
    def load(self, path: Path, layout: tuple[str, ...], on: dt.date, tz_code_gmt: bool = True) -> int:
        list_id = int(re.sub(r"\D", "", path.name.split(".", 1)[0].split("_")[-1]))  # --forcelistfilename
        loaded = 0
        for raw in path.read_bytes().split(b"\n"):
            line = raw.decode("utf-8").replace("\t", "|").replace("\r", "")
            if not line:
                continue
            line = line.replace('","', "|").replace('"', "")
            fields = line.split("|")
            lead = dict(zip(layout, fields + [""] * (len(layout) - len(fields)), strict=False))
            lead["phone_code"] = re.sub(r"\D", "", lead["phone_code"]) or "1"
            lead["phone_number"] = re.sub(r"\D", "", lead["phone_number"])
            lead["list_id"] = list_id
            if len(lead["phone_number"]) <= 6:
                continue
            code = int(lead["phone_code"])
            owner = lead.get("owner", "")
            found = None
            if tz_code_gmt and len(owner) > 1:
                rows = [p for p in self.phone_codes if p.tz_code == owner and p.country_code == code]
                found = (rows[0].gmt, max((p.dst_range for p in rows), default="")) if rows else (0.0, "")
            if found is None:
                found = self._country_lookup(code, lead["phone_number"], last=True)
            lead["gmt_offset_now"] = _with_dst(*found, on)
            self.leads.append(lead)
            loaded += 1
        return loaded

    def _country_lookup(self, code: int, number: str, last: bool) -> tuple[float, str]:
        if code == 1:
            zones = area_code_zones(number[:3])
            zone = ZoneInfo(zones[0]) if zones else None
            if zone is None:
                return 0.0, ""
            jan = zone.utcoffset(dt.datetime(2026, 1, 15)).total_seconds() / 3600
            jul = zone.utcoffset(dt.datetime(2026, 7, 15)).total_seconds() / 3600
            return min(jan, jul), ("SSM-FSN" if jan != jul else "")
        rows = [p for p in self.phone_codes if p.country_code == code and (p.areacode == "*" or number.startswith(
            p.areacode))]
        if not rows:
            return 0.0, ""
        row = rows[-1] if last else rows[0]
        return row.gmt, row.dst_range

    # --- ADMIN_adjust_GMTnow_on_leads.pl --list-settings -------------------------------------------
    def nightly(self, on: dt.date) -> None:
        for lead in self.leads:  # pass 1: country and area code, every list
            code = int(lead["phone_code"])
            rows = [p for p in self.phone_codes if p.country_code == code
                    and (p.areacode == "*" or lead["phone_number"].startswith(p.areacode))]
            if code == 1:
                lead["gmt_offset_now"] = _with_dst(*self._country_lookup(1, lead["phone_number"], True), on)
            elif rows:
                lead["gmt_offset_now"] = _with_dst(rows[-1].gmt, rows[-1].dst_range, on)
        owner_lists = {i for i, row in self.lists.items() if row.time_zone_setting == "OWNER_TIME_ZONE_CODE"}
        for lead in self.leads:  # pass 4: owner time-zone codes, lists set to use them
            if lead["list_id"] not in owner_lists:
                continue
            rows = [p for p in self.phone_codes if p.tz_code == lead.get("owner") and
                    p.country_code == int(lead["phone_code"])]
            if rows:
                lead["gmt_offset_now"] = _with_dst(rows[0].gmt, max(p.dst_range for p in rows), on)

    # --- AST_VDhopper.pl ------------------------------------------------------------------------------
    def dialable(self, lead: dict, when: dt.datetime, campaign: CallTimeRow | None = None) -> bool:
        row = self.lists.get(lead["list_id"])
        if row is None or not row.active:
            return False
        call = self.call_times.get(row.local_call_time, campaign)
        if call is None:
            return False
        local = when.astimezone(dt.timezone(dt.timedelta(hours=lead["gmt_offset_now"])))
        hhmm = local.hour * 100 + local.minute
        day = local.weekday()
        start, stop = call.start[day], call.stop[day]
        if start < 1 and stop < 1:
            start, stop = call.default
        return start <= hhmm < stop


def _with_dst(gmt: float, dst_range: str, on: dt.date) -> float:
    if dst_range == "SSM-FSN" and _ssm_fsn(on):
        return gmt + 1
    if dst_range == "TSO-LSF" and _tso_lsf(on):
        return gmt + 1
    return gmt


def _ssm_fsn(on: dt.date) -> bool:
    """USACAN_dstcalc: from the second Sunday of March to the first Sunday of November."""
    march = dt.date(on.year, 3, 8)
    start = march + dt.timedelta(days=(6 - march.weekday()) % 7)
    november = dt.date(on.year, 11, 1)
    end = november + dt.timedelta(days=(6 - november.weekday()) % 7)
    return start <= on < end


def _tso_lsf(on: dt.date) -> bool:
    """BZL_dstcalc as the code computes it: from the Sunday falling on 22-28 October to the Sunday
    falling on 22-28 February."""
    def sunday(year: int, month: int) -> dt.date:
        d = dt.date(year, month, 22)
        return d + dt.timedelta(days=(6 - d.weekday()) % 7)
    start = sunday(on.year if on.month >= 3 else on.year - 1, 10)
    return start <= on < sunday(start.year + 1, 2)


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s.strip() for s in " ".join(lines).split(";") if s.strip()]


def _tuples(statement: str) -> list[list[str]]:
    body = statement.split(" VALUES", 1)[1].split(" ON DUPLICATE KEY", 1)[0]
    out = []
    for group in re.findall(r"\((.*?)\)(?:,|$)", body.strip()):
        out.append([v.strip().strip("'") for v in re.findall(r"'(?:[^']|'')*'|[^,]+", group)])
    return out
