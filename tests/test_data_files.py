"""The package's data files (contactplan/data/*.csv, contactplan/generate/*.csv): each parses, says
where it comes from, has no key twice and only values of the right shape (IANA zones that exist,
IBGE codes of the row's UF, DDDs, NANP area codes); and an edit of a file takes effect, which is
how a new municipality or area code is added: a data edit and a test like the ones at the end."""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from importlib import resources

import pytest

from contactplan import timezones as tz
from contactplan.data import DataFileError, read_table
from contactplan.generate import generate_portfolio
from contactplan.generate import geography
from factories import ibge_check_digit_ok

# Every data file, with its columns, the columns that together are a row's key, and the package it
# is in. A new file must be listed here (test_every_file_is_listed) so the checks below reach it.
FILES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "br_uf_zones.csv": ("contactplan.data", ("uf", "zone", "note"), ("uf", "zone")),
    "br_ibge_uf_codes.csv": ("contactplan.data", ("ibge_prefix", "uf"), ("ibge_prefix",)),
    "br_municipality_zones.csv": ("contactplan.data", ("ibge_code", "uf", "municipality", "zones", "sources"),
                                  ("ibge_code",)),
    "br_ddd.csv": ("contactplan.data", ("ddd", "uf", "zones", "note"), ("ddd",)),
    "us_state_zones.csv": ("contactplan.data", ("state", "zone", "note"), ("state", "zone")),
    "br_population.csv": ("contactplan.generate", ("uf", "population_thousands"), ("uf",)),
    "br_municipalities.csv": ("contactplan.generate", ("uf", "ibge_code", "municipality", "ddd", "note"),
                              ("ibge_code",)),
    "us_population.csv": ("contactplan.generate", ("state", "population_thousands"), ("state",)),
    "us_metros.csv": ("contactplan.generate", ("state", "city", "area_codes"), ("state", "city")),
}
ZONES = zoneinfo.available_timezones()


def _table(name: str):
    package, columns, _ = FILES[name]
    return read_table(name, columns, package=package)


def _text(name: str) -> str:
    return resources.files(FILES[name][0]).joinpath(name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Every file
# --------------------------------------------------------------------------------------------


def test_every_file_is_listed():
    shipped = {entry.name for package in ("contactplan.data", "contactplan.generate")
               for entry in resources.files(package).iterdir() if entry.name.endswith(".csv")}
    assert shipped == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_parses_and_says_where_it_comes_from(name):
    table = _table(name)
    assert table.rows
    assert table.sources and all(table.sources), "a '# source:' line naming what the table was read from"
    assert any(c.strip().startswith("recorded:") for c in table.comments), "a '# recorded:' line with its date"
    text = _text(name)
    assert text.endswith("\n")
    # Comments only above the header: one further down would be read as a row.
    assert not any(next(iter(row.values())).startswith("#") for row in table.rows)
    assert all(len(line) <= 120 for line in text.splitlines() if line.startswith("#"))


@pytest.mark.parametrize("name", sorted(FILES))
def test_no_key_comes_twice(name):
    key = FILES[name][2]
    counts = Counter(tuple(row[c] for c in key) for row in _table(name).rows)
    assert [k for k, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_cells_have_no_stray_spaces(name):
    for row in _table(name).rows:
        for column, cell in row.items():
            assert cell == cell.strip(), (column, cell)
            assert "  " not in cell, (column, cell)


@pytest.mark.parametrize("name", [n for n in sorted(FILES) if {"zone", "zones"} & set(FILES[n][1])])
def test_every_zone_is_an_iana_zone(name):
    for row in _table(name).rows:
        for zone in (row.get("zone") or row.get("zones") or "").split():
            assert zone in ZONES, zone
            zoneinfo.ZoneInfo(zone)


@pytest.mark.parametrize("name", ["br_municipality_zones.csv", "br_municipalities.csv"])
def test_every_ibge_code_is_7_digits_of_its_uf(name):
    for row in _table(name).rows:
        code = row["ibge_code"]
        assert re.fullmatch(r"[0-9]{7}", code), code
        assert tz.IBGE_STATE_PREFIX[code[:2]] == row["uf"], code
        assert ibge_check_digit_ok(code), code


@pytest.mark.parametrize(("name", "column"), [("br_ddd.csv", "ddd"), ("br_municipalities.csv", "ddd")])
def test_every_ddd_is_two_digits(name, column):
    for row in _table(name).rows:
        assert re.fullmatch(r"[1-9][1-9]", row[column]), row[column]


# --------------------------------------------------------------------------------------------
# The tables together
# --------------------------------------------------------------------------------------------


def test_ibge_prefixes_name_every_uf_once():
    ufs = [row["uf"] for row in _table("br_ibge_uf_codes.csv").rows]
    assert sorted(ufs) == sorted(tz.UF_ZONES)
    assert all(re.fullmatch(r"[1-5][0-9]", p) for p in tz.IBGE_STATE_PREFIX)


def test_a_ddd_is_never_wider_than_its_uf():
    for row in _table("br_ddd.csv").rows:
        assert set(row["zones"].split()) <= set(tz.UF_ZONES[row["uf"]]), row


def test_municipality_zones_and_uf_zones_agree():
    for row in _table("br_municipality_zones.csv").rows:
        assert set(row["zones"].split()) <= set(tz.UF_ZONES[row["uf"]]), row


def test_the_generators_geography_covers_every_uf_and_only_known_states():
    assert set(geography.BR_POPULATION) == set(tz.UF_ZONES) == set(geography.BR_MUNICIPALITIES)
    assert set(geography.US_METROS) <= set(tz.US_STATE_ZONES)


def test_every_metro_area_code_is_geographic():
    for row in _table("us_metros.csv").rows:
        for npa in row["area_codes"].split():
            assert re.fullmatch(r"[2-9][0-9]{2}", npa), npa
            assert tz.area_code_zones(npa), f"{npa} ({row['city']}) is not a geographic NANP area code"


def test_the_modules_tables_are_the_files():
    assert tz.load_uf_zones() == tz.UF_ZONES
    assert tz.load_us_state_zones() == tz.US_STATE_ZONES
    assert tz.load_ibge_uf_codes(tz.UF_ZONES) == tz.IBGE_STATE_PREFIX
    municipalities = tz.load_municipality_zones(tz.UF_ZONES, tz.IBGE_STATE_PREFIX)
    assert municipalities.am_west == tz.AM_WEST_MUNICIPALITIES
    assert municipalities.am_uncertain == tz.AM_UNCERTAIN_MUNICIPALITIES
    assert municipalities.noronha == tz.NORONHA_MUNICIPALITY
    ddds = tz.load_ddds(tz.UF_ZONES)
    assert (ddds.by_uf, ddds.to_uf, ddds.zones) == (tz.DDDS_BY_UF, tz.DDD_TO_UF, tz.DDD_ZONES)
    # The order is what the code iterates (error messages, allocation of synthetic debtors).
    assert list(tz.UF_ZONES) == sorted(tz.UF_ZONES)
    assert list(tz.IBGE_STATE_PREFIX) == sorted(tz.IBGE_STATE_PREFIX)
    assert list(tz.US_STATE_ZONES)[-5:] == ["AS", "GU", "MP", "PR", "VI"]


# --------------------------------------------------------------------------------------------
# A data edit takes effect
# --------------------------------------------------------------------------------------------

# Not a real municipality: only the edit's effect is under test (shipped codes pass the check digit).
NEW_AM_CODE = "1399990"


def _with_row(name: str, row: str) -> str:
    return _text(name) + row + "\n"


def test_a_new_uncertain_municipality_gets_both_amazonas_zones(monkeypatch):
    before = tz.resolve_zones("BR", "AM", municipality_code=NEW_AM_CODE)
    assert before.zones == ("America/Manaus",)
    edited = _with_row("br_municipality_zones.csv", f"{NEW_AM_CODE},AM,Test municipality,"
                                                    "America/Manaus America/Eirunepe,a test's edit")
    municipalities = tz.load_municipality_zones(tz.UF_ZONES, tz.IBGE_STATE_PREFIX, text=edited)
    assert municipalities.am_uncertain[NEW_AM_CODE] == "Test municipality"
    assert municipalities.am_west == tz.AM_WEST_MUNICIPALITIES
    monkeypatch.setattr(tz, "AM_UNCERTAIN_MUNICIPALITIES", municipalities.am_uncertain)
    after = tz.resolve_zones("BR", "AM", municipality_code=NEW_AM_CODE)
    assert after.zones == ("America/Manaus", "America/Eirunepe")
    assert after.source == "municipality" and "Test municipality" in after.note


def test_a_new_west_municipality_read_from_a_path(tmp_path, monkeypatch):
    path = tmp_path / "br_municipality_zones.csv"
    path.write_text(_with_row("br_municipality_zones.csv", f"{NEW_AM_CODE},AM,Test municipality,America/Eirunepe,"
                                                           "a test's edit"), encoding="utf-8")
    municipalities = tz.load_municipality_zones(tz.UF_ZONES, tz.IBGE_STATE_PREFIX, path=path)
    monkeypatch.setattr(tz, "AM_WEST_MUNICIPALITIES", municipalities.am_west)
    assert tz.resolve_zones("BR", None, municipality_code=NEW_AM_CODE).zones == ("America/Eirunepe",)


def test_a_new_ddd_takes_its_ufs_zones_or_its_own(monkeypatch):
    with pytest.raises(tz.UnknownRegion):
        tz.resolve_zones("BR", None, area_codes=("23",))  # not assigned today
    edited = _with_row("br_ddd.csv", "23,RJ,,a test's edit") + "29,AM,America/Eirunepe,a test's edit\n"
    ddds = tz.load_ddds(tz.UF_ZONES, text=edited)
    assert ddds.by_uf["RJ"] == ("21", "22", "24", "23") and ddds.to_uf["29"] == "AM"
    monkeypatch.setattr(tz, "DDD_ZONES", ddds.zones)
    assert tz.resolve_zones("BR", None, area_codes=("23",)).zones == tz.UF_ZONES["RJ"]
    assert tz.resolve_zones("BR", None, area_codes=("29",)).zones == ("America/Eirunepe",)


def test_a_new_us_zone_for_a_state(monkeypatch):
    edited = _with_row("us_state_zones.csv", "WY,America/Boise,a test's edit")
    zones = tz.load_us_state_zones(text=edited)
    assert zones["WY"] == ("America/Denver", "America/Boise") and list(zones) == list(tz.US_STATE_ZONES)
    monkeypatch.setattr(tz, "US_STATE_ZONES", zones)
    assert tz.resolve_zones("US", "WY").zones == ("America/Denver", "America/Boise")


def test_a_new_municipality_in_the_generator(monkeypatch):
    edited = _with_row("br_municipalities.csv", "SP,3599990,Test municipality,11,a test's edit")
    places = geography.load_br_municipalities(geography.BR_POPULATION, text=edited)
    assert places["SP"][-1] == ("3599990", "Test municipality", "11")
    assert places["SP"][:-1] == geography.BR_MUNICIPALITIES["SP"]
    monkeypatch.setattr(geography, "BR_MUNICIPALITIES", places)
    debtors, _ = generate_portfolio(2000, seed=11)
    there = [d for d in debtors if d["city"] == "Test municipality"]
    assert there and all(d["region"] == "SP" and d["municipality_code"] in ("3599990", "") for d in there)


def test_a_new_city_in_the_generator():
    edited = _with_row("us_metros.csv", "TX,Lubbock,806")
    metros = geography.load_us_metros(geography.load_us_population(), text=edited)
    assert metros["TX"][1][-1] == ("Lubbock", ("806",))
    assert {s: m for s, m in metros.items() if s != "TX"} == \
        {s: m for s, m in geography.US_METROS.items() if s != "TX"}


# --------------------------------------------------------------------------------------------
# A wrong edit is refused, naming the file and line
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "row", "expected"), [
    ("br_municipality_zones.csv", f"{NEW_AM_CODE},AM,Test,America/Manaus,x", "zones must be"),
    ("br_municipality_zones.csv", f"{NEW_AM_CODE},PA,Test,America/Eirunepe,x", "is not in PA"),
    ("br_municipality_zones.csv", "1300201,AM,Atalaia again,America/Eirunepe,x", "comes twice"),
    ("br_municipality_zones.csv", "130020,AM,Short,America/Eirunepe,x", "does not match"),
    ("br_municipality_zones.csv", f"{NEW_AM_CODE},AM,Test,America/Eirunepe America/Eirunepe,x", "twice"),
    ("br_municipality_zones.csv", "2600000,PE,Second island,America/Noronha,x", "exactly one America/Noronha"),
    ("br_municipality_zones.csv", f"{NEW_AM_CODE},AM,Test,America/Eirunepe", "4 cells, expected 5"),
    ("br_ddd.csv", "11,SP,,again", "comes twice"),
    ("br_ddd.csv", "100,SP,,x", "does not match"),
    ("br_ddd.csv", "23,XX,,x", "not a UF"),
    ("br_ddd.csv", "23,RJ,America/Sao Paulo,x", "does not match"),
    ("br_uf_zones.csv", "SP,America/Sao_Paulo,again", "lists America/Sao_Paulo twice"),
    ("br_uf_zones.csv", "sp,America/Sao_Paulo,x", "two capital letters"),
    ("br_ibge_uf_codes.csv", "11,RO", "comes twice"),
    ("us_state_zones.csv", "TX,Central,x", "not an IANA zone key"),
    ("br_municipalities.csv", "SP,1300201,Wrong prefix,11,x", "is not in SP"),
    ("br_municipalities.csv", "XX,1300201,Unknown UF,11,x", "not in br_population.csv"),
    ("br_population.csv", "SP,1000", "comes twice"),
    ("us_population.csv", "XX,1000", "no row for XX"),
    ("us_metros.csv", "TX,Houston,713", "comes twice"),
    ("us_metros.csv", "TX,Lubbock,80", "area_codes"),
])  # fmt: skip
def test_a_wrong_edit_is_refused_with_file_and_line(name, row, expected):
    text = _with_row(name, row)
    last_line = len(text.splitlines())
    loaders = {
        "br_uf_zones.csv": lambda: tz.load_uf_zones(text=text),
        "br_ibge_uf_codes.csv": lambda: tz.load_ibge_uf_codes(tz.UF_ZONES, text=text),
        "br_municipality_zones.csv": lambda: tz.load_municipality_zones(tz.UF_ZONES, tz.IBGE_STATE_PREFIX, text=text),
        "br_ddd.csv": lambda: tz.load_ddds(tz.UF_ZONES, text=text),
        "us_state_zones.csv": lambda: tz.load_us_state_zones(text=text),
        "br_population.csv": lambda: geography.load_br_population(text=text),
        "br_municipalities.csv": lambda: geography.load_br_municipalities(geography.BR_POPULATION, text=text),
        "us_population.csv": lambda: geography.load_us_metros(geography.load_us_population(text=text)),
        "us_metros.csv": lambda: geography.load_us_metros(geography.load_us_population(), text=text),
    }
    with pytest.raises(DataFileError) as found:
        loaders[name]()
    message = str(found.value)
    # A population row without cities is found when the cities are read.
    assert expected in message and message.startswith("us_metros.csv" if expected.startswith("no row") else name)
    if "line" in message:
        assert f"line {last_line}:" in message


def test_a_header_that_is_not_the_tables_is_refused():
    text = _text("br_ddd.csv").replace("ddd,uf,zones,note", "ddd,uf,zone,note")
    with pytest.raises(DataFileError, match=r"br_ddd.csv line \d+: header"):
        tz.load_ddds(tz.UF_ZONES, text=text)
