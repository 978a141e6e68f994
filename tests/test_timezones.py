"""contactplan.timezones: debtor -> candidate IANA zones. All instants are fixed; no clock."""

from __future__ import annotations

import inspect
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactplan import timezones as tz
from contactplan.timezones import (
    AM_UNCERTAIN_MUNICIPALITIES,
    AM_WEST_MUNICIPALITIES,
    BRAZIL_UFS,
    DDD_TO_UF,
    DDD_ZONES,
    DDDS_BY_UF,
    IBGE_STATE_PREFIX,
    NORONHA_MUNICIPALITY,
    UF_ZONES,
    US_STATE_ZONES,
    US_STATES,
    UnknownRegion,
    ZoneResolution,
    phone_zones,
    resolve_zones,
)
from factories import ibge_check_digit_ok
from suite import examples

# A winter and a summer instant, so US DST and the absence of Brazilian DST both show.
INSTANTS = (datetime(2025, 1, 15, 15, 0, tzinfo=timezone.utc), datetime(2025, 7, 15, 15, 0, tzinfo=timezone.utc))
MANAUS = "1302603"
RECIFE = "2611606"
SAO_PAULO_CITY = "3550308"


def offset(zone: str, instant: datetime) -> timedelta:
    return instant.astimezone(ZoneInfo(zone)).utcoffset()


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def test_brazil_has_27_ufs_everywhere():
    assert len(BRAZIL_UFS) == 27
    assert set(BRAZIL_UFS) == set(UF_ZONES) == set(IBGE_STATE_PREFIX.values()) == set(DDDS_BY_UF)


@pytest.mark.parametrize("uf", BRAZIL_UFS)
def test_every_uf_resolves_and_every_zone_loads(uf):
    res = resolve_zones("BR", uf)
    assert res.source == "region"
    assert res.zones == UF_ZONES[uf]
    assert len(set(res.zones)) == len(res.zones) >= 1
    for zone in res.zones:
        ZoneInfo(zone)


@pytest.mark.parametrize("ddd", sorted(DDD_ZONES))
def test_every_ddd_zone_loads_and_stays_inside_its_uf(ddd):
    assert re.fullmatch(r"[1-9][1-9]", ddd)
    assert DDD_ZONES[ddd]
    assert set(DDD_ZONES[ddd]) <= set(UF_ZONES[DDD_TO_UF[ddd]])
    for zone in DDD_ZONES[ddd]:
        ZoneInfo(zone)


def test_ddd_table_is_complete_and_inverse_is_consistent():
    assert len(DDD_TO_UF) == 67  # every assigned Brazilian DDD (rules-brazil.md §2.2)
    assert {d for ds in DDDS_BY_UF.values() for d in ds} == set(DDD_TO_UF)
    for uf, ddds in DDDS_BY_UF.items():
        assert ddds and all(DDD_TO_UF[d] == uf for d in ddds)


@pytest.mark.parametrize(("ddd", "zones"), [
    ("92", ("America/Manaus",)),
    ("97", ("America/Manaus", "America/Eirunepe")),
    ("81", ("America/Recife", "America/Noronha")),
    ("87", ("America/Recife",)),
    ("68", ("America/Rio_Branco",)),
    ("61", ("America/Sao_Paulo",)),
    ("11", ("America/Sao_Paulo",)),
    ("93", ("America/Santarem",)),
])  # fmt: skip
def test_ddd_zones_examples(ddd, zones):
    assert DDD_ZONES[ddd] == zones


def test_ibge_prefixes():
    assert IBGE_STATE_PREFIX["13"] == "AM"
    assert IBGE_STATE_PREFIX["26"] == "PE"
    assert IBGE_STATE_PREFIX["53"] == "DF"
    assert len(IBGE_STATE_PREFIX) == 27


@pytest.mark.parametrize("code", sorted(AM_WEST_MUNICIPALITIES) + sorted(AM_UNCERTAIN_MUNICIPALITIES)
                         + [MANAUS, NORONHA_MUNICIPALITY, RECIFE, SAO_PAULO_CITY])
def test_municipality_codes_are_well_formed(code):
    assert re.fullmatch(r"\d{7}", code)
    assert ibge_check_digit_ok(code), code


def test_am_tables_are_amazonas_and_disjoint():
    assert all(c.startswith("13") for c in AM_WEST_MUNICIPALITIES)
    assert all(c.startswith("13") for c in AM_UNCERTAIN_MUNICIPALITIES)
    assert not set(AM_WEST_MUNICIPALITIES) & set(AM_UNCERTAIN_MUNICIPALITIES)
    assert MANAUS not in AM_WEST_MUNICIPALITIES and MANAUS not in AM_UNCERTAIN_MUNICIPALITIES
    assert "Eirunepé" in AM_WEST_MUNICIPALITIES.values()
    assert NORONHA_MUNICIPALITY.startswith("26")


def test_us_tables():
    assert len(US_STATES) >= 51
    assert {"TX", "CA", "DC", "AK", "HI", "AZ"} <= set(US_STATES)
    assert set(US_STATES) == set(US_STATE_ZONES)
    for state, zones in US_STATE_ZONES.items():
        assert zones and len(set(zones)) == len(zones), state
        for zone in zones:
            ZoneInfo(zone)


# --------------------------------------------------------------------------------------------
# Offsets that matter for the scheduler
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instant", INSTANTS)
def test_acre_and_sao_paulo_differ_by_two_hours(instant):
    acre = resolve_zones("BR", "AC").zones[0]
    sp = resolve_zones("BR", "SP").zones[0]
    assert offset(sp, instant) - offset(acre, instant) == timedelta(hours=2)
    assert offset(acre, instant) == timedelta(hours=-5)


@pytest.mark.parametrize("instant", INSTANTS)
def test_amazonas_and_pernambuco_zones_differ_by_one_hour(instant):
    east, west = UF_ZONES["AM"]
    assert offset(east, instant) - offset(west, instant) == timedelta(hours=1)
    recife, noronha = UF_ZONES["PE"]
    assert offset(noronha, instant) - offset(recife, instant) == timedelta(hours=1)
    belem, santarem = UF_ZONES["PA"]
    assert offset(belem, instant) == offset(santarem, instant) == timedelta(hours=-3)


def test_texas_zones_differ_by_one_hour_in_winter_and_summer():
    for instant in INSTANTS:
        chicago, denver = resolve_zones("US", "TX").zones
        assert offset(chicago, instant) - offset(denver, instant) == timedelta(hours=1)


# --------------------------------------------------------------------------------------------
# Brazil resolution
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(AM_WEST_MUNICIPALITIES))
def test_am_west_code_gives_eirunepe_only(code):
    res = resolve_zones("BR", "AM", municipality_code=code)
    assert res == ZoneResolution(("America/Eirunepe",), "municipality", res.note)
    assert "Lei 12.876/2013" in res.note


def test_manaus_code_gives_manaus_only():
    res = resolve_zones("BR", "AM", municipality_code=MANAUS)
    assert res.zones == ("America/Manaus",)
    assert res.source == "municipality"


def test_am_without_code_gives_both_zones_manaus_first():
    res = resolve_zones("BR", "AM")
    assert res.zones == ("America/Manaus", "America/Eirunepe")
    assert res.source == "region"
    assert "UTC-5" in res.note


@pytest.mark.parametrize("code", sorted(AM_UNCERTAIN_MUNICIPALITIES))
def test_uncertain_am_code_gives_both_zones(code):
    res = resolve_zones("BR", "AM", municipality_code=code)
    assert res.zones == ("America/Manaus", "America/Eirunepe")
    assert res.source == "municipality"
    assert AM_UNCERTAIN_MUNICIPALITIES[code] in res.note


def test_noronha_code_gives_noronha_only():
    res = resolve_zones("BR", "PE", municipality_code=NORONHA_MUNICIPALITY)
    assert res.zones == ("America/Noronha",)
    assert res.source == "municipality"


def test_pe_without_code_gives_recife_and_noronha():
    assert resolve_zones("BR", "PE").zones == ("America/Recife", "America/Noronha")


def test_recife_code_gives_recife_only():
    assert resolve_zones("BR", "PE", municipality_code=RECIFE).zones == ("America/Recife",)


def test_municipality_without_region_uses_code_prefix():
    res = resolve_zones("BR", None, municipality_code="1301407")
    assert res.zones == ("America/Eirunepe",)
    assert resolve_zones("BR", "", municipality_code=SAO_PAULO_CITY).zones == ("America/Sao_Paulo",)


def test_country_and_region_are_case_insensitive_and_accept_iso_3166_2():
    assert resolve_zones("br", "am").zones == UF_ZONES["AM"]
    assert resolve_zones(" Br ", " sp ").zones == ("America/Sao_Paulo",)
    assert resolve_zones("BR", "BR-AC").zones == ("America/Rio_Branco",)
    assert resolve_zones("us", "us-tx").zones == US_STATE_ZONES["TX"]


def test_override_beats_region_and_municipality():
    res = resolve_zones("BR", "SP", municipality_code=SAO_PAULO_CITY, timezone="America/Manaus")
    assert res == ZoneResolution(("America/Manaus",), "override", res.note)


def test_override_spelling_is_canonicalised():
    assert resolve_zones("BR", "SP", timezone=" america/sao_paulo ").zones == ("America/Sao_Paulo",)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "America", "localtime", "Factory", "../etc/passwd",
                                 "/etc/localtime", "America/Sao Paulo"])
def test_invalid_override_is_unknown_region(bad):
    with pytest.raises(UnknownRegion, match="time zone"):
        resolve_zones("BR", "SP", timezone=bad)


def test_blank_override_is_ignored():
    assert resolve_zones("BR", "AC", timezone="  ").source == "region"


def test_municipality_prefix_mismatch_is_unknown_region():
    with pytest.raises(UnknownRegion, match=r"belongs to AM .* region is SP"):
        resolve_zones("BR", "SP", municipality_code="1301407")


@pytest.mark.parametrize("code", ["130140", "13014077", "13O1407", "abc", "9901407", "3401407"])
def test_malformed_or_unknown_prefix_municipality_is_unknown_region(code):
    with pytest.raises(UnknownRegion):
        resolve_zones("BR", "AM", municipality_code=code)


def test_municipality_code_is_brazil_only():
    with pytest.raises(UnknownRegion, match="only applies to country BR"):
        resolve_zones("US", "TX", municipality_code="1302603")


@pytest.mark.parametrize(("codes", "zones"), [
    (("81",), ("America/Recife", "America/Noronha")),
    (("68",), ("America/Rio_Branco",)),
    (("11",), ("America/Sao_Paulo",)),
    (("011",), ("America/Sao_Paulo",)),
    (("97",), ("America/Manaus", "America/Eirunepe")),
    (("11", "68", "11"), ("America/Sao_Paulo", "America/Rio_Branco")),
])  # fmt: skip
def test_brazil_area_code_fallback(codes, zones):
    res = resolve_zones("BR", None, area_codes=codes)
    assert res.zones == zones
    assert res.source == "area_code"


def test_area_codes_ignored_when_region_given():
    assert resolve_zones("BR", "SP", area_codes=("68",)).zones == ("America/Sao_Paulo",)


@pytest.mark.parametrize("codes", [("10",), ("11", "20"), ("abc",)])
def test_unknown_ddd_is_unknown_region(codes):
    with pytest.raises(UnknownRegion, match="DDD"):
        resolve_zones("BR", None, area_codes=codes)


def test_unknown_uf_message_lists_accepted_values():
    with pytest.raises(UnknownRegion) as info:
        resolve_zones("BR", "XX")
    # The cell is not repeated (it may hold anything: a name typed in the wrong column) ...
    assert str(info.value).startswith("unknown Brazilian UF; expected one of") and "XX" not in str(info.value)
    assert "AC, AL, AM" in str(info.value)
    # ... unless the user asks for values (--show-values).
    from contactplan.errors import _SHOW_VALUES

    token = _SHOW_VALUES.set(True)
    try:
        with pytest.raises(UnknownRegion) as info:
            resolve_zones("BR", "XX")
    finally:
        _SHOW_VALUES.reset(token)
    assert "unknown Brazilian UF ('XX'); expected" in str(info.value)


@pytest.mark.parametrize("country", ["MX", "", "BRA", "XX"])
def test_unsupported_country(country):
    with pytest.raises(UnknownRegion, match="BR, US"):
        resolve_zones(country, "SP")


@pytest.mark.parametrize("country", ["BR", "US"])
def test_nothing_resolvable(country):
    with pytest.raises(UnknownRegion, match="cannot resolve"):
        resolve_zones(country, None)
    with pytest.raises(UnknownRegion, match="cannot resolve"):
        resolve_zones(country, "  ", area_codes=("", " "))


# --------------------------------------------------------------------------------------------
# USA resolution
# --------------------------------------------------------------------------------------------


def test_texas_gives_both_zones_central_first():
    res = resolve_zones("US", "TX")
    assert res.zones == ("America/Chicago", "America/Denver")
    assert res.source == "region"


@pytest.mark.parametrize(("state", "zones"), [
    ("CA", ("America/Los_Angeles",)),
    ("FL", ("America/New_York", "America/Chicago")),
    ("AZ", ("America/Phoenix", "America/Denver")),
    ("HI", ("Pacific/Honolulu",)),
    ("DC", ("America/New_York",)),
])  # fmt: skip
def test_us_states(state, zones):
    assert resolve_zones("US", state).zones == zones


def test_us_multi_zone_states_include_their_minorities():
    assert "America/Chicago" in US_STATE_ZONES["IN"]
    assert "America/Los_Angeles" in US_STATE_ZONES["ID"]
    assert "America/Adak" in US_STATE_ZONES["AK"]
    assert "America/Menominee" in US_STATE_ZONES["MI"]
    assert "America/New_York" in US_STATE_ZONES["TN"] and "America/Chicago" in US_STATE_ZONES["KY"]


@pytest.mark.parametrize(("codes", "zones"), [
    (("512",), ("America/Chicago",)),
    (("1512",), ("America/Chicago",)),
    (("213",), ("America/Los_Angeles",)),
    (("915",), ("America/Denver",)),
])  # fmt: skip
def test_nanp_area_code_fallback(codes, zones):
    res = resolve_zones("US", None, area_codes=codes)
    assert res.zones == zones
    assert res.source == "area_code"


def test_split_nanp_area_code_gives_every_zone():
    # 850 is the Florida panhandle: exchanges on both Eastern and Central time.
    assert set(resolve_zones("US", None, area_codes=("850",)).zones) == {"America/New_York", "America/Chicago"}


def test_toll_free_area_code_says_nothing():
    with pytest.raises(UnknownRegion):
        resolve_zones("US", None, area_codes=("800",))
    assert resolve_zones("US", None, area_codes=("800", "512")).zones == ("America/Chicago",)


def test_unknown_us_state():
    with pytest.raises(UnknownRegion, match="US state"):
        resolve_zones("US", "ZZ")


# --------------------------------------------------------------------------------------------
# phone_zones
# --------------------------------------------------------------------------------------------


def test_recife_mobile_is_not_noronha_only():
    # phonenumbers says America/Noronha for DDD 81; we return DDD_ZONES["81"], i.e. Recife first
    # and Noronha too, because the DDD cannot tell the island from the mainland.
    assert phone_zones("+5581999990000") == DDD_ZONES["81"] == ("America/Recife", "America/Noronha")


@pytest.mark.parametrize(("number", "zones"), [
    ("+5511987654321", ("America/Sao_Paulo",)),
    ("+559333221234", ("America/Santarem",)),  # phonenumbers says Manaus (wrong: Pará is UTC-3)
    ("+556832231234", ("America/Rio_Branco",)),
    ("+5597991234567", ("America/Manaus", "America/Eirunepe")),
    ("+15125550100", ("America/Chicago",)),
    ("+19155550100", ("America/Denver",)),
    ("+18005550100", ()),  # toll-free
    ("+442079460000", ()),  # other country
    ("+5508001234567", ()),  # Brazilian 0800 has no DDD
    ("not a number", ()),
    ("", ()),
    ("+55", ()),
])  # fmt: skip
def test_phone_zones(number, zones):
    assert phone_zones(number) == zones


def test_phone_zones_rejects_non_strings_without_echo():
    with pytest.raises(TypeError) as info:
        phone_zones(5511987654321)  # type: ignore[arg-type]
    assert "5511987654321" not in str(info.value)


# --------------------------------------------------------------------------------------------
# Personal data and determinism
# --------------------------------------------------------------------------------------------

PHONE = "5511987654321"


@pytest.mark.parametrize("kwargs", [
    dict(country="BR", region=None, area_codes=("+" + PHONE,)),
    dict(country="BR", region=None, area_codes=(PHONE,)),
    dict(country="US", region=None, area_codes=(PHONE,)),
    dict(country="BR", region="AM", municipality_code=PHONE),
    dict(country="BR", region=PHONE),
    dict(country="BR", region="SP", timezone=PHONE),
    dict(country=PHONE, region="SP"),
])  # fmt: skip
def test_error_messages_contain_no_phone_digits(kwargs):
    with pytest.raises(UnknownRegion) as info:
        resolve_zones(**kwargs)
    message = str(info.value)
    assert PHONE not in message
    assert not re.search(r"\d{8,}", message)


def test_notes_carry_no_long_digit_runs():
    for res in (resolve_zones("BR", None, area_codes=("81", "68")),
                resolve_zones("BR", "AM", municipality_code="1301407"),
                resolve_zones("US", None, area_codes=("850",))):
        assert not re.search(r"\d{8,}", res.note)


def test_module_never_reads_clock_or_environment():
    source = inspect.getsource(tz)
    for forbidden in ("now(", "today(", "time.time", "environ", "tzlocal", "localtime()"):
        assert forbidden not in source, forbidden


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=examples(300), deadline=None)
@given(country=st.sampled_from(["BR", "US", "br", "MX", ""]), region=st.one_of(st.none(), _text,
       st.sampled_from(BRAZIL_UFS + US_STATES)), muni=st.one_of(st.none(), _text, st.sampled_from(
       sorted(AM_WEST_MUNICIPALITIES) + [MANAUS, NORONHA_MUNICIPALITY])), zone=st.one_of(st.none(), _text),
       codes=st.lists(st.one_of(_text, st.sampled_from(sorted(DDD_ZONES) + ["512", "850", "800"])), max_size=3))
def test_any_input_gives_loadable_zones_or_unknown_region(country, region, muni, zone, codes):
    try:
        res = resolve_zones(country, region, municipality_code=muni, timezone=zone, area_codes=tuple(codes))
    except UnknownRegion as exc:
        assert not re.search(r"\d{8,}", str(exc))
        return
    assert res.source in {"override", "municipality", "region", "area_code"}
    assert res.zones and len(set(res.zones)) == len(res.zones)
    for z in res.zones:
        ZoneInfo(z)


@settings(max_examples=examples(200), deadline=None)
@given(ddds=st.lists(st.sampled_from(sorted(DDD_ZONES)), min_size=1, max_size=4))
def test_ddd_union_covers_each_ddd(ddds):
    zones = resolve_zones("BR", None, area_codes=tuple(ddds)).zones
    for d in ddds:
        assert set(DDD_ZONES[d]) <= set(zones)
    assert zones[: len(DDD_ZONES[ddds[0]])] == DDD_ZONES[ddds[0]]


# --- the address narrows a US state with several zones (issue: an area code never narrows) ------

from contactplan.timezones import address_key, narrow_by_address  # noqa: E402


@pytest.mark.parametrize(("state", "postal", "city", "zones"), [
    ("FL", "32501", "", ("America/Chicago",)),  # Pensacola, the western panhandle
    ("FL", "32301", "", ("America/New_York",)),  # Tallahassee
    ("FL", "", "Pensacola", ("America/Chicago",)),
    ("OR", "97914-1234", "", ("America/Boise",)),  # Ontario, Malheur County
    ("OR", "97201", "", ("America/Los_Angeles",)),
    ("TX", "79901", "", ("America/Denver",)),  # El Paso
    ("TX", "", "  amarillo ", ("America/Chicago",)),
])
def test_zip_or_city_narrows_a_multi_zone_state(state, postal, city, zones):
    candidates = US_STATE_ZONES[state]
    found = narrow_by_address(state, candidates, address_key("US", state, postal, city))
    assert found is not None and found[0] == zones and "narrowed by the" in found[1]


@pytest.mark.parametrize(("state", "postal", "city"), [
    ("FL", "97914", ""),  # a ZIP code of another state: conflicting, every candidate stays
    ("FL", "3250", ""),  # not a ZIP code
    ("FL", "", "Nowhere Town"),
    ("FL", "", ""),
])
def test_an_address_that_does_not_pin_the_zone_keeps_every_candidate(state, postal, city):
    assert narrow_by_address(state, US_STATE_ZONES[state], address_key("US", state, postal, city)) is None


def test_single_zone_states_and_brazil_are_never_looked_up():
    assert address_key("US", "CA", "94105", "San Francisco") == ""
    assert address_key("BR", "AM", "69000-000", "Manaus") == ""
