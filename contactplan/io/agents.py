"""agents.csv: one row per agent with a shift in the site's time zone.

Unlike debtor rows, a bad agent row stops the run (exit 2): silently planning without an agent
would misstate capacity, and the file is small enough to fix by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactplan.errors import InputError, quoted
from contactplan.i18n import N_, tr
from contactplan.io import values
from contactplan.io.csvfile import read_csv
from contactplan.model import Agent

REQUIRED = ("agent_id", "pool", "shift_start", "shift_end", "timezone", "contacts_per_hour")
KNOWN = (*REQUIRED, "break_start", "break_end", "segments", "languages", "days", "name")


def _minutes(t: dt.time) -> int:
    return 1440 if t == dt.time.max else t.hour * 60 + t.minute


def _break_outside(start: dt.time, end: dt.time, b_start: dt.time, b_end: dt.time) -> tuple[str, str] | None:
    """(column, what is wrong) when a break does not lie inside its shift (overnight shifts
    included): capacity is the shift without the break, so a break outside it would count
    minutes the agent is not there (or move the break to another day) and overstate capacity."""
    s, length = _minutes(start), (_minutes(end) - _minutes(start)) % 1440 or 1440
    b0, b1 = (_minutes(b_start) - s) % 1440, (_minutes(b_end) - s) % 1440 or 1440
    if b_end == dt.time.max and end == dt.time.max:
        b1 = length
    shift = f"{start:%H:%M}-{'24:00' if end == dt.time.max else f'{end:%H:%M}'}"
    if b0 >= length:
        return "break_start", tr("the break starts outside the shift {shift}; a break must lie inside its shift",
                                 shift=shift)
    if b1 <= b0:
        return "break_end", tr("the break ends before it starts")
    if b1 > length:
        return "break_end", tr("the break ends after the shift {shift}; a break must lie inside its shift",
                               shift=shift)
    return None


def read_agents(path: str | Path) -> tuple[list[Agent], list[str], str]:
    """Agents, unknown column names, and the file's sha256."""
    table, unknown = read_csv(path, REQUIRED, KNOWN)
    agents: list[Agent] = []
    for row in table.checked_rows(REQUIRED, "agent_id", N_("agent ids")):
        v = {k: row.values.get(k, "") for k in KNOWN}
        for column in ("agent_id", "pool"):
            problem = values.control_character_problem(v[column])
            if problem:
                raise table.error(row.line, column, problem)
        try:
            ZoneInfo(v["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise table.error(row.line, "timezone", tr("is not an IANA time zone such as America/Sao_Paulo")
                              + quoted(v["timezone"])) from None
        parsed = {}
        for column in ("shift_start", "shift_end", "break_start", "break_end"):
            if v[column]:
                try:
                    parsed[column] = values.parse_time(v[column])
                except ValueError as exc:
                    raise table.error(row.line, column, f"{exc}{quoted(v[column])}") from None
        if parsed["shift_start"] == parsed["shift_end"]:
            raise table.error(row.line, "shift_end", tr("shift ends when it starts"))
        if ("break_start" in parsed) != ("break_end" in parsed):
            raise table.error(row.line, "break_end", tr("give both break_start and break_end, or neither"))
        if "break_start" in parsed:
            problem = _break_outside(parsed["shift_start"], parsed["shift_end"], parsed["break_start"],
                                     parsed["break_end"])
            if problem:
                raise table.error(row.line, problem[0], problem[1])
        try:
            cph = float(v["contacts_per_hour"].replace(",", "."))
        except ValueError:
            raise table.error(row.line, "contacts_per_hour", tr("is not a number")
                              + quoted(v["contacts_per_hour"])) from None
        if not 0 <= cph <= 1000:
            raise table.error(row.line, "contacts_per_hour", tr("must be between 0 and 1000"))
        try:
            days = values.parse_days(v["days"])
        except ValueError as exc:
            raise table.error(row.line, "days", f"{exc}{quoted(v['days'])}") from None
        agents.append(Agent(
            agent_id=v["agent_id"], pool=v["pool"], timezone=v["timezone"],
            shift_start=parsed["shift_start"], shift_end=parsed["shift_end"], contacts_per_hour=cph,
            break_start=parsed.get("break_start"), break_end=parsed.get("break_end"),
            segments=values.parse_list(v["segments"]) or frozenset({"*"}),
            languages=frozenset(x.lower() for x in values.parse_list(v["languages"])),
            days=days, line=row.line,
        ))
    if not agents:
        raise InputError(table.path, tr("no agents: the file has a header but no rows"))
    return agents, unknown, table.sha256
