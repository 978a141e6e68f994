"""The planning grid and each pool's contacts per slot, from agents' shifts in their site zone.

Slots are half-open UTC intervals aligned to the slot length. The grid spans every debtor-local
plan day present in the portfolio (UTC-2 Noronha to UTC-10 Hawaii), so a slot index means the same
instant for every debtor and agent.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from zoneinfo import ZoneInfo

from contactplan.errors import InputError
from contactplan.i18n import tr
from contactplan.model import Agent, Pool, Slot

UTC = dt.timezone.utc


def slot_grid(plan_date: dt.date, zones: set[str], slot_minutes: int) -> list[Slot]:
    zones = zones or {"UTC"}
    starts = [dt.datetime.combine(plan_date, dt.time(0), ZoneInfo(z)).astimezone(UTC) for z in zones]
    ends = [dt.datetime.combine(plan_date + dt.timedelta(days=1), dt.time(0), ZoneInfo(z)).astimezone(UTC)
            for z in zones]
    step = dt.timedelta(minutes=slot_minutes)
    midnight = dt.datetime.combine(min(starts).date(), dt.time(0), UTC)
    start = midnight + step * math.floor((min(starts) - midnight) / step)
    slots, t = [], start
    while t < max(ends):
        slots.append(Slot(len(slots), t, t + step))
        t += step
    return slots


def _shift_intervals(agent: Agent, around: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The agent's working intervals (UTC) on the site-local days around an instant, breaks removed."""
    zone = ZoneInfo(agent.timezone)
    local_day = around.astimezone(zone).date()
    out = []
    for day in (local_day - dt.timedelta(days=1), local_day):  # yesterday's shift may run past midnight
        if day.weekday() not in agent.days:
            continue
        start = dt.datetime.combine(day, agent.shift_start, zone)
        if agent.shift_end == dt.time.max:  # "24:00"
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
        else:
            end_day = day if agent.shift_end > agent.shift_start else day + dt.timedelta(days=1)  # overnight shift
            end = dt.datetime.combine(end_day, agent.shift_end, zone)
        pieces = [(start, end)]
        if agent.break_start is not None and agent.break_end is not None:
            b_start = dt.datetime.combine(day, agent.break_start, zone)
            if b_start < start:
                b_start += dt.timedelta(days=1)
            b_end = dt.datetime.combine(b_start.date(), agent.break_end, zone)
            if b_end <= b_start:
                b_end += dt.timedelta(days=1)
            pieces = [(s, e) for s, e in ((start, min(end, b_start)), (max(start, b_end), end)) if s < e]
        out.extend((s.astimezone(UTC), e.astimezone(UTC)) for s, e in pieces)
    return out


def agent_contacts_in(agent: Agent, slot: Slot) -> float:
    """Contacts the agent can make inside the slot (fractional)."""
    minutes = 0.0
    # A slot may straddle site-local midnight: look at the shifts around both of its ends.
    intervals = set(_shift_intervals(agent, slot.start)) | set(_shift_intervals(agent, slot.end - dt.timedelta(seconds=1)))
    for s, e in intervals:
        overlap = (min(e, slot.end) - max(s, slot.start)).total_seconds() / 60
        if overlap > 0:
            minutes += overlap
    return agent.contacts_per_hour * minutes / 60


def _agent_capacity(agent: Agent, slots: list[Slot]) -> list[float]:
    """Contacts per slot over the whole grid, from the agent's shifts computed once."""
    if not slots:
        return []
    intervals: set[tuple[dt.datetime, dt.datetime]] = set()
    day = slots[0].start
    while day <= slots[-1].end + dt.timedelta(days=1):
        intervals |= set(_shift_intervals(agent, day))
        day += dt.timedelta(days=1)
    out = []
    for slot in slots:
        minutes = sum(max(0.0, (min(e, slot.end) - max(s, slot.start)).total_seconds() / 60) for s, e in intervals)
        out.append(agent.contacts_per_hour * minutes / 60)
    return out


def _shift_capacity(agent: Agent, slots: list[Slot], known: dict[tuple, list[float]]) -> list[float]:
    """_agent_capacity, once per distinct shift: thousands of agents share a few dozen."""
    key = (agent.timezone, agent.shift_start, agent.shift_end, agent.break_start, agent.break_end, agent.days,
           agent.contacts_per_hour)
    found = known.get(key)
    if found is None:
        found = known[key] = _agent_capacity(agent, slots)
    return found


def build_pools(agents: list[Agent], slots: list[Slot], path: str = "agents.csv") -> list[Pool]:
    """Pools with their per-slot capacity. Agents of one pool must serve the same segments and languages,
    otherwise capacity could be booked for debtors only some of its agents may handle."""
    members: dict[str, list[Agent]] = defaultdict(list)
    shifts: dict[tuple, list[float]] = {}
    for a in agents:
        members[a.pool].append(a)
    pools = []
    for name, group in members.items():
        first = group[0]
        for a in group[1:]:
            if a.segments != first.segments or a.languages != first.languages:
                raise InputError(path, tr("agents of pool '{pool}' serve different segments or languages (lines "
                                          "{first} and {second}); split the pool or make them equal", pool=name,
                                          first=first.line, second=a.line), line=a.line)
        per_agent = [_shift_capacity(a, slots, shifts) for a in group]
        capacity = tuple(math.floor(sum(col) + 1e-9) for col in zip(*per_agent)) if per_agent else ()
        pools.append(Pool(name, first.segments, first.languages, capacity))
    return sorted(pools, key=lambda p: p.name)
