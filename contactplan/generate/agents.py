"""The agent roster: four shift patterns (pools), two sites per country, and optionally the
same agents split into more pools (teams per shift, some serving one segment)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from contactplan.generate.columns import AGENT_COLUMNS, SEGMENTS
from contactplan.generate.draws import allocate
from contactplan.i18n import tr


@dataclass(frozen=True)
class _PoolSpec:
    name: str
    share: float
    shift: tuple[str, str]
    breaks: tuple[str, str]
    segments: str
    days: tuple[str, ...]  # choices, first is the most common
    days_weights: tuple[float, ...]


POOLS: tuple[_PoolSpec, ...] = (
    _PoolSpec("early", 0.35, ("08:00", "14:00"), ("", ""), "*", ("Mon-Fri", "Mon-Sat"), (0.8, 0.2)),
    _PoolSpec("late", 0.35, ("14:00", "20:00"), ("17:00", "17:15"), "*",
              ("Mon-Fri", "Mon-Sat"), (0.8, 0.2)),
    _PoolSpec("weekend", 0.10, ("08:00", "14:00"), ("", ""), "*", ("Mon-Sat",), (1.0,)),
    _PoolSpec("specialists", 0.20, ("09:00", "18:00"), ("12:00", "13:00"), "cards;personal_loan",
              ("Mon-Fri",), (1.0,)),
)  # fmt: skip

# A second site one hour west covers the UTC-4/-5 debtors' evenings without overtime.
BR_SITES = (("America/Sao_Paulo", 0.9), ("America/Manaus", 0.1))
US_SITES = (("America/New_York", 0.6), ("America/Chicago", 0.4))
CONTACTS_PER_HOUR = (8, 14)


def agent_count(n_debtors: int) -> int:
    return max(4, round(n_debtors / 50))


def br_agents(rng: np.random.Generator, n: int) -> list[dict[str, str]]:
    return _agents(rng, n, BR_SITES, "pt")


def us_agents(rng: np.random.Generator, n: int) -> list[dict[str, str]]:
    return _agents(rng, n, US_SITES, "en;es")


def _agents(
    rng: np.random.Generator, n: int, sites: Sequence[tuple[str, float]], languages: str
) -> list[dict[str, str]]:
    pools = allocate(rng, {p.name: p.share for p in POOLS}, n)
    pools.sort(key=[p.name for p in POOLS].index)  # agent ids grouped by pool read better
    by_name = {p.name: p for p in POOLS}
    zones = allocate(rng, dict(sites), n)
    cph = rng.integers(CONTACTS_PER_HOUR[0], CONTACTS_PER_HOUR[1] + 1, n)
    rows = []
    for i, (pool_name, zone) in enumerate(zip(pools, zones, strict=True)):
        pool = by_name[pool_name]
        days = pool.days[rng.choice(len(pool.days), p=pool.days_weights)]
        values = (f"AG{i + 1:05d}", pool.name, *pool.shift, zone, str(cph[i]), *pool.breaks,
                  pool.segments, languages, days)  # fmt: skip
        rows.append(dict(zip(AGENT_COLUMNS, values, strict=True)))
    return rows


def into_teams(agents: list[dict[str, str]], pools: int) -> list[dict[str, str]]:
    """The same agents in ``pools`` pools: each shift pattern's agents split into teams in
    proportion to its share, round robin; each pattern's first team serves what the pattern
    serves, the other teams of an all-segment pattern one segment each in turn (large centres
    staff per product)."""
    if not len(POOLS) <= pools <= len(agents):
        raise ValueError(tr("pools must be between {low} and the number of agents ({agents})", low=len(POOLS),
                            agents=len(agents)))
    teams = {p.name: max(1, round(pools * p.share)) for p in POOLS}
    while sum(teams.values()) != pools:  # rounding: adjust the largest
        name = max(teams, key=teams.get)
        teams[name] += 1 if sum(teams.values()) < pools else -1
    by_name = {p.name: p for p in POOLS}
    seen: dict[str, int] = {}
    out = []
    for agent in agents:
        spec, k = by_name[agent["pool"]], seen.get(agent["pool"], 0)
        seen[agent["pool"]] = k + 1
        team = k % teams[spec.name]
        segments = spec.segments if spec.segments != "*" or team == 0 else SEGMENTS[(team - 1) % len(SEGMENTS)]
        out.append({**agent, "pool": f"{spec.name}-{team + 1:02d}", "segments": segments})
    return out
