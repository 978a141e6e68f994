"""Where the debtors live and which area codes their phones carry.

The places are data, in the CSV files beside this module (their headers give the sources):
population by UF (br_population.csv) and by state (us_population.csv) decide how many debtors
each gets; a few real municipalities per UF (br_municipalities.csv) and cities per state with
their area codes (us_metros.csv) say where in it. Each loader takes a test's edited ``text`` or a
``path`` instead of the packaged file. The UTC-5 municipalities of Amazonas and Fernando de
Noronha come from the planner's own tables (contactplan/data/br_municipality_zones.csv), so the
generator exercises exactly the places the planner treats apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contactplan.data import DataFileError, Table, read_table
from contactplan.generate.draws import allocate, pick
from contactplan.timezones import (
    AM_WEST_MUNICIPALITIES,
    DDDS_BY_UF,
    IBGE_STATE_PREFIX,
    NORONHA_MUNICIPALITY,
)

# --------------------------------------------------------------------------------------------
# The data files
# --------------------------------------------------------------------------------------------


def load_br_population(*, text: str | None = None, path: Path | None = None) -> dict[str, int]:
    """br_population.csv: UF -> population (thousands, IBGE Censo 2022), in row order."""
    return _population(read_table("br_population.csv", ("uf", "population_thousands"), text=text, path=path,
                                  package=__package__), "uf")


def load_us_population(*, text: str | None = None, path: Path | None = None) -> dict[str, int]:
    """us_population.csv: state -> population (thousands, 2020 census), in row order."""
    return _population(read_table("us_population.csv", ("state", "population_thousands"), text=text, path=path,
                                  package=__package__), "state")


def _population(table: Table, column: str) -> dict[str, int]:
    def thousands(index: int, row: dict[str, str]) -> int:
        if not re.fullmatch(r"[1-9][0-9]*", row["population_thousands"]):
            raise table.error(index, f"population_thousands {row['population_thousands']!r} is not a whole number")
        return int(row["population_thousands"])

    return table.keyed(column, thousands, r"[A-Z]{2}")


def load_br_municipalities(population: dict[str, int], *, text: str | None = None, path: Path | None = None
                           ) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """br_municipalities.csv: UF -> its municipalities as (IBGE code, name, DDD), capital first;
    every UF of ``population`` and no other."""
    table = read_table("br_municipalities.csv", ("uf", "ibge_code", "municipality", "ddd", "note"), text=text,
                       path=path, package=__package__)
    by_uf: dict[str, list[tuple[str, str, str]]] = {}

    def municipality(index: int, row: dict[str, str]) -> str:
        uf, code, ddd = row["uf"], row["ibge_code"], row["ddd"]
        if uf not in population:
            raise table.error(index, f"uf {uf!r} is not in br_population.csv")
        if IBGE_STATE_PREFIX.get(code[:2]) != uf:
            raise table.error(index, f"IBGE code {code} is not in {uf} (prefix {code[:2]})")
        if not re.fullmatch(r"[1-9][1-9]", ddd):
            raise table.error(index, f"ddd {ddd!r} is not two digits such as 11")
        if not row["municipality"].strip():
            raise table.error(index, "municipality is empty")
        by_uf.setdefault(uf, []).append((code, row["municipality"], ddd))
        return uf

    table.keyed("ibge_code", municipality, r"[0-9]{7}")
    _same_regions(table, population, by_uf)
    return {uf: tuple(places) for uf, places in by_uf.items()}


def load_us_metros(population: dict[str, int], *, text: str | None = None, path: Path | None = None
                   ) -> dict[str, tuple[int, tuple[tuple[str, tuple[str, ...]], ...]]]:
    """us_metros.csv with ``population``: state -> (population, ((city, area codes), ...)), in the
    order of ``population``; every state of it has a city and there is no other."""
    table = read_table("us_metros.csv", ("state", "city", "area_codes"), text=text, path=path,
                       package=__package__)
    by_state: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for index, row in enumerate(table.rows):
        state, city = row["state"], row["city"]
        if state not in population:
            raise table.error(index, f"state {state!r} is not in us_population.csv")
        if not city.strip() or any(city == known for known, _ in by_state.get(state, ())):
            raise table.error(index, f"city {city!r} of {state} is empty or comes twice")
        npas = tuple(row["area_codes"].split())
        if not npas or len(set(npas)) != len(npas) or not all(re.fullmatch(r"[2-9][0-9]{2}", n) for n in npas):
            raise table.error(index, f"area_codes {row['area_codes']!r}: expected NANP area codes such as 212 512, "
                                     "none twice")
        by_state.setdefault(state, []).append((city, npas))
    _same_regions(table, population, by_state)
    return {state: (people, tuple(by_state[state])) for state, people in population.items()}


def _same_regions(table: Table, population: dict[str, int], places: dict[str, list]) -> None:
    missing = [region for region in population if region not in places]
    if missing:
        raise DataFileError(f"{table.name}: no row for {', '.join(missing)}, which the population file lists")


# --------------------------------------------------------------------------------------------
# Brazil
# --------------------------------------------------------------------------------------------

BR_POPULATION: dict[str, int] = load_br_population()
BR_MUNICIPALITIES: dict[str, tuple[tuple[str, str, str], ...]] = load_br_municipalities(BR_POPULATION)

# Capitals concentrate collection portfolios; the rest of the state shares what is left.
CAPITAL_SHARE = 0.6
# Real shares are smaller; oversampled so the UTC-5 and UTC-2 paths show up in every
# medium-sized portfolio.
AM_WEST_SHARE = 0.15
NORONHA_SHARE = 0.01
AM_WEST_DDD = "97"
NORONHA = (NORONHA_MUNICIPALITY, "Fernando de Noronha", "81")
MISSING_MUNICIPALITY_SHARE = 0.10

_AM_WEST_CODES: tuple[str, ...] = tuple(sorted(AM_WEST_MUNICIPALITIES))

# --------------------------------------------------------------------------------------------
# USA
# --------------------------------------------------------------------------------------------

# State -> (population in thousands, ((city, area codes), ...)). Cities in another zone than
# the state's main one are listed on purpose (El Paso, Pensacola, Gary, Bowling Green, ...): a
# state code alone does not fix the time zone there.
US_METROS: dict[str, tuple[int, tuple[tuple[str, tuple[str, ...]], ...]]] = load_us_metros(load_us_population())

# US cell numbers keep their area code when people move across state lines, so a few mobiles
# carry another state's code: the case where area-code time zones mislead the scheduler.
US_OUT_OF_STATE_MOBILE_SHARE = 0.05

US_ALL_NPAS = np.array(
    sorted({int(npa) for _, metros in US_METROS.values() for _, npas in metros for npa in npas}),
    dtype=np.int64,
)

# --------------------------------------------------------------------------------------------
# The draws
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geography:
    """Where each debtor lives and which area codes their phones carry (one entry per debtor)."""

    region: list[str]
    city: list[str]
    municipality_code: list[str]
    home_area: np.ndarray  # area code (int) of landlines: the place of residence
    mobile_area: np.ndarray  # area code (int) of the mobile: where the line was issued


def br_geography(rng: np.random.Generator, n: int) -> Geography:
    ufs = allocate(rng, BR_POPULATION, n)
    # Uniform draws made up front: per-debtor scalar rng calls would dominate at 1M debtors.
    u_special, u_capital, u_place, u_home, u_moved, u_mobile, u_missing = rng.random((7, n))
    places = [
        _br_place(uf, a, b, c)
        for uf, a, b, c in zip(ufs, u_special.tolist(), u_capital.tolist(), u_place.tolist(),
                               strict=True)
    ]  # fmt: skip
    home = np.empty(n, dtype=np.int64)
    mobile = np.empty(n, dtype=np.int64)
    # Mobile portability keeps the DDD of issue; some people moved within the state since.
    moved = (u_moved < 0.10).tolist()
    for i, (uf, (_, _, ddd)) in enumerate(zip(ufs, places, strict=True)):
        ddds = DDDS_BY_UF[uf]
        home[i] = int(ddd if ddd in ddds else pick(ddds, u_home[i]))
        mobile[i] = int(pick(ddds, u_mobile[i])) if moved[i] else home[i]
    missing = (u_missing < MISSING_MUNICIPALITY_SHARE).tolist()
    codes = ["" if m else code for (code, _, _), m in zip(places, missing, strict=True)]
    return Geography(ufs, [name for _, name, _ in places], codes, home, mobile)


def _br_place(uf: str, u_special: float, u_capital: float, u_place: float) -> tuple[str, str, str]:
    """(IBGE code, municipality name, DDD) for one debtor in ``uf``, from three uniforms."""
    if uf == "AM" and u_special < AM_WEST_SHARE:
        code = pick(_AM_WEST_CODES, u_place)
        return code, AM_WEST_MUNICIPALITIES[code], AM_WEST_DDD
    if uf == "PE" and u_special < NORONHA_SHARE:
        return NORONHA
    places = BR_MUNICIPALITIES[uf]
    if len(places) == 1 or u_capital < CAPITAL_SHARE:
        return places[0]
    return pick(places[1:], u_place)


def us_geography(rng: np.random.Generator, n: int) -> Geography:
    states = allocate(rng, {s: pop for s, (pop, _) in US_METROS.items()}, n)
    u_metro, u_npa = rng.random((2, n))
    cities, home = [], np.empty(n, dtype=np.int64)
    for i, (state, a, b) in enumerate(zip(states, u_metro.tolist(), u_npa.tolist(), strict=True)):
        city, npas = pick(US_METROS[state][1], a)
        cities.append(city)
        home[i] = int(pick(npas, b))
    mobile = home.copy()
    moved = np.flatnonzero(rng.random(n) < US_OUT_OF_STATE_MOBILE_SHARE)
    mobile[moved] = rng.choice(US_ALL_NPAS, size=len(moved))
    return Geography(states, cities, [""] * n, home, mobile)
