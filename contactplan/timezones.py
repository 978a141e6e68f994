"""Where a debtor is, in time: candidate IANA zones for Brazil and the USA.

A contact window is evaluated in the debtor's local time (rules-brazil.md §4.2; FDCPA
1692c(a)(1), 12 CFR 1006.6(b)(1)(i)). When we cannot tell which of several zones applies we
return all of them and the caller allows a contact only if it is allowed in every candidate:
that is the CFPB's "ambiguous location" reading (rules-us-intl.md US-F-02, confidence L) and
it is the safe direction everywhere. Returning ONE zone is therefore a strong claim, made only
when the input pins it down.

The tables (a UF's zones, the UTC-5 municipalities, the DDDs, a US state's zones) are data
files in contactplan/data/ with their sources, read once at import.

Nothing here reads the wall clock or the machine's time zone, and exception messages never
carry personal data: values that could be phone numbers are withheld (see ``_shown``).
"""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import phonenumbers
from phonenumbers import timezone as _pn_timezone
from phonenumbers.tzdata import TIMEZONE_DATA as _PN_TIMEZONE_DATA

from contactplan.data import DataFileError, Table, read_table
from contactplan.i18n import tr

__all__ = [
    "AM_UNCERTAIN_MUNICIPALITIES",
    "AM_WEST_MUNICIPALITIES",
    "BRAZIL_UFS",
    "DDDS_BY_UF",
    "DDD_TO_UF",
    "DDD_ZONES",
    "Ddds",
    "IBGE_STATE_PREFIX",
    "MunicipalityZones",
    "NORONHA_MUNICIPALITY",
    "UF_ZONES",
    "US_STATES",
    "US_STATE_ZONES",
    "UnknownRegion",
    "US_MULTI_ZONE",
    "ZoneResolution",
    "address_key",
    "area_code_zones",
    "load_ddds",
    "load_ibge_uf_codes",
    "load_municipality_zones",
    "load_uf_zones",
    "load_us_state_zones",
    "narrow_by_address",
    "phone_zones",
    "resolve_zones",
]


class UnknownRegion(ValueError):
    """The input does not identify a supported place; the message says what is accepted, and
    ``field`` which input it is about (country, region, municipality_code, timezone, or "" for
    the phones' area codes)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ZoneResolution:
    zones: tuple[str, ...]  # candidate IANA zones, primary first, no duplicates
    source: str  # "override" | "municipality" | "region" | "area_code"
    note: str  # short reason for `explain`; never personal data


# ============================================================================================
# The tables: contactplan/data/*.csv, read once here
# ============================================================================================
# Where a place is in time changes with a law, a tzdata release or the numbering plan, so the
# tables are data files, each with its sources and the reasons for its rows in its header
# (contactplan/data/__init__.py has the format). A new municipality or DDD is an edit there,
# held by tests/test_data_files.py. Each loader takes a test's edited ``text`` or a ``path``
# instead of the packaged file; the checks here are the cheap ones (shape, duplicates, a UF
# that exists), and the test checks every zone against the tz database.

_REGION_CODE = r"[A-Z]{2}"
_ZONE_KEY = r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+"  # the shape of an IANA key such as America/Sao_Paulo


def load_uf_zones(*, text: str | None = None, path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """br_uf_zones.csv: UF -> every zone used inside it, primary (most populous) first."""
    return _zones_by_region(read_table("br_uf_zones.csv", ("uf", "zone", "note"), text=text, path=path), "uf")


def load_us_state_zones(*, text: str | None = None, path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """us_state_zones.csv: state or territory -> every zone used inside it, primary first."""
    return _zones_by_region(read_table("us_state_zones.csv", ("state", "zone", "note"), text=text, path=path),
                            "state")


def _zones_by_region(table: Table, column: str) -> dict[str, tuple[str, ...]]:
    # One row per (region, zone): the regions in the order they first appear, each one's zones
    # in row order, so the first row of a region is its primary zone.
    found: dict[str, list[str]] = {}
    for index, row in enumerate(table.rows):
        region, zone = row[column], row["zone"]
        if not re.fullmatch(_REGION_CODE, region):
            raise table.error(index, f"{column} {region!r} is not two capital letters")
        if not re.fullmatch(_ZONE_KEY, zone):
            raise table.error(index, f"zone {zone!r} is not an IANA zone key such as America/Sao_Paulo")
        zones = found.setdefault(region, [])
        if zone in zones:
            raise table.error(index, f"{column} {region} lists {zone} twice")
        zones.append(zone)
    return {region: tuple(zones) for region, zones in found.items()}


def load_ibge_uf_codes(uf_zones: dict[str, tuple[str, ...]], *, text: str | None = None,
                       path: Path | None = None) -> dict[str, str]:
    """br_ibge_uf_codes.csv: the first two digits of an IBGE municipality code -> its UF."""
    table = read_table("br_ibge_uf_codes.csv", ("ibge_prefix", "uf"), text=text, path=path)
    return table.keyed("ibge_prefix", lambda index, row: _known_uf(table, index, row["uf"], uf_zones), r"[0-9]{2}")


def _known_uf(table: Table, index: int, uf: str, uf_zones: dict[str, tuple[str, ...]]) -> str:
    if uf not in uf_zones:
        raise table.error(index, f"uf {uf!r} is not a UF of br_uf_zones.csv")
    return uf


class MunicipalityZones(NamedTuple):
    """br_municipality_zones.csv by what each row's zones mean (the file's header says why)."""

    am_west: dict[str, str]  # IBGE code -> municipality: west Amazonas, America/Eirunepe alone
    am_uncertain: dict[str, str]  # IBGE code -> municipality: sources disagree, both Amazonas zones
    noronha: str  # Fernando de Noronha's IBGE code: America/Noronha


def load_municipality_zones(uf_zones: dict[str, tuple[str, ...]], ibge_uf_codes: dict[str, str], *,
                            text: str | None = None, path: Path | None = None) -> MunicipalityZones:
    """br_municipality_zones.csv: the municipalities not simply in their UF's primary zone.

    A row's zones must be one of the three readings ``_resolve_municipality`` explains to the
    user (UTC-5 west Amazonas, both Amazonas zones, Fernando de Noronha); any other would need
    a note of its own there, so the loader refuses it rather than guess one.
    """
    table = read_table("br_municipality_zones.csv", ("ibge_code", "uf", "municipality", "zones", "sources"),
                       text=text, path=path)
    readings = {("AM", ("America/Eirunepe",)): "am_west", ("AM", uf_zones["AM"]): "am_uncertain",
                ("PE", ("America/Noronha",)): "noronha"}
    found: dict[str, dict[str, str]] = {reading: {} for reading in readings.values()}

    def municipality(index: int, row: dict[str, str]) -> str:
        code, uf = row["ibge_code"], _known_uf(table, index, row["uf"], uf_zones)
        if ibge_uf_codes.get(code[:2]) != uf:
            raise table.error(index, f"IBGE code {code} is not in {uf} (its prefix {code[:2]} is "
                                     f"{ibge_uf_codes.get(code[:2], 'no UF')})")
        if not row["municipality"].strip():
            raise table.error(index, "municipality is empty")
        reading = readings.get((uf, table.values(index, "zones", _ZONE_KEY)))
        if reading is None:
            raise table.error(index, "zones must be America/Eirunepe (AM), every Amazonas zone "
                                     f"({' '.join(uf_zones['AM'])}, AM) or America/Noronha (PE)")
        found[reading][code] = row["municipality"]
        return reading

    table.keyed("ibge_code", municipality, r"[0-9]{7}")
    if len(found["noronha"]) != 1:
        raise DataFileError(f"{table.name}: exactly one America/Noronha row expected, found {len(found['noronha'])}")
    return MunicipalityZones(found["am_west"], found["am_uncertain"], next(iter(found["noronha"])))


class Ddds(NamedTuple):
    """br_ddd.csv and what follows from it."""

    by_uf: dict[str, tuple[str, ...]]  # UF -> its DDDs, in row order
    to_uf: dict[str, str]  # DDD -> the UF that issues it
    narrower: dict[str, tuple[str, ...]]  # DDD -> its zones, where narrower than its UF's
    zones: dict[str, tuple[str, ...]]  # DDD -> its zones, the UF's unless narrower


def load_ddds(uf_zones: dict[str, tuple[str, ...]], *, text: str | None = None, path: Path | None = None) -> Ddds:
    """br_ddd.csv: the DDDs of each UF and the zones each one can mean."""
    table = read_table("br_ddd.csv", ("ddd", "uf", "zones", "note"), text=text, path=path)
    by_uf: dict[str, list[str]] = {}
    narrower: dict[str, tuple[str, ...]] = {}

    def ddd(index: int, row: dict[str, str]) -> str:
        uf = _known_uf(table, index, row["uf"], uf_zones)
        by_uf.setdefault(uf, []).append(row["ddd"])
        if row["zones"].strip():  # empty: every zone of the UF
            narrower[row["ddd"]] = table.values(index, "zones", _ZONE_KEY)
        return uf

    to_uf = table.keyed("ddd", ddd, r"[1-9][1-9]")
    # A DDD without zones of its own has its UF's. An area code alone never pins UTC-5 down (97
    # is the whole Amazonas interior) nor tells the island from Recife (both dial 81).
    zones = {code: narrower.get(code, uf_zones[uf]) for code, uf in to_uf.items()}
    return Ddds({uf: tuple(ddds) for uf, ddds in by_uf.items()}, to_uf, narrower, zones)


# ============================================================================================
# Brazil
# ============================================================================================

# UF -> every IANA zone used inside it, primary (most populous) first (tzdata 2025b; the
# uninhabited Atlantic islands on America/Noronha deliberately left out, see the file).
UF_ZONES: dict[str, tuple[str, ...]] = load_uf_zones()

BRAZIL_UFS: tuple[str, ...] = tuple(sorted(UF_ZONES))

# First two digits of every IBGE municipality code (IBGE "código da UF").
IBGE_STATE_PREFIX: dict[str, str] = load_ibge_uf_codes(UF_ZONES)

# Western Amazonas is on UTC-5 by a line in Lei 12.876/2013, not a list of municipalities, so
# which ones are west is a reading of sources that disagree: the west list holds only those
# every source agrees on (America/Eirunepe alone), the uncertain list gets both Amazonas zones
# (allowed only if allowed in both). Fernando de Noronha (PE) is UTC-2. The sources, the
# decision and where each IBGE code was read are in br_municipality_zones.csv.
_MUNICIPALITIES = load_municipality_zones(UF_ZONES, IBGE_STATE_PREFIX)
NORONHA_MUNICIPALITY: str = _MUNICIPALITIES.noronha
AM_WEST_MUNICIPALITIES: dict[str, str] = _MUNICIPALITIES.am_west
AM_UNCERTAIN_MUNICIPALITIES: dict[str, str] = _MUNICIPALITIES.am_uncertain

# Area codes (DDD), Anatel plan (rules-brazil.md §2.2). A DDD says where the number was issued,
# not where the person lives (portability keeps it), so it is a fallback only.
_DDDS = load_ddds(UF_ZONES)
DDDS_BY_UF: dict[str, tuple[str, ...]] = _DDDS.by_uf
DDD_TO_UF: dict[str, str] = _DDDS.to_uf
_DDD_ZONE_OVERRIDES: dict[str, tuple[str, ...]] = _DDDS.narrower  # where a DDD is narrower than its UF
DDD_ZONES: dict[str, tuple[str, ...]] = _DDDS.zones

# ============================================================================================
# USA
# ============================================================================================

# State -> every IANA zone used inside it, primary (most populous) first (tzdata 2025b; local
# practice tzdata does not record is left out). Offsets change with US DST, so these are never
# reduced to offsets.
US_STATE_ZONES: dict[str, tuple[str, ...]] = load_us_state_zones()

US_STATES: tuple[str, ...] = tuple(US_STATE_ZONES)

# ============================================================================================
# Resolution
# ============================================================================================

_SUPPORTED_COUNTRIES = ("BR", "US")
# Zone keys that load but must never be an override: "localtime" is the machine's own zone
# (we never use it), "Factory" is a placeholder with no civil time.
_FORBIDDEN_ZONE_KEYS = frozenset({"localtime", "Factory", "posixrules"})
_MUNICIPALITY_RE = re.compile(r"[0-9]{7}")


def _shown(value: object, max_digits: int = 7) -> str:
    """The value for an error message, only when the user asked for values (--show-values): a
    region, zone or code cell may hold anything, a name or a phone number among them."""
    from contactplan.errors import quoted

    return quoted(value).strip()


def _sp(value: object) -> str:
    shown = _shown(value)
    return f" {shown}" if shown else ""


def _blank(value: str | None) -> bool:
    return value is None or not str(value).strip()


def _strip_iso_prefix(region: str, country: str) -> str:
    # Accept ISO 3166-2 forms such as "BR-SP" or "US-TX" as well as the bare code.
    prefix = country + "-"
    return region[len(prefix):] if region.startswith(prefix) else region


@lru_cache(maxsize=1)
def _zone_keys_by_folded_name() -> dict[str, str]:
    return {k.casefold(): k for k in zoneinfo.available_timezones() if k not in _FORBIDDEN_ZONE_KEYS}


def _validated_zone(name: str) -> str:
    """The canonical spelling of an IANA zone key, or UnknownRegion."""
    key = _zone_keys_by_folded_name().get(str(name).strip().casefold())
    if key is None:
        raise UnknownRegion(tr("unknown IANA time zone{value}; expected a tz database name such as "
                               "America/Sao_Paulo or America/Chicago", value=_sp(name)), field="timezone")
    try:
        zoneinfo.ZoneInfo(key)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise UnknownRegion(tr("IANA time zone{value} does not load on this system", value=_sp(name)),
                            field="timezone") from None
    return key


def _unique(zones: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(zones))


def _region_note_br(uf: str, zones: tuple[str, ...]) -> str:
    if uf == "AM":
        return tr("UF AM without municipality_code: both Amazonas zones (east UTC-4, west UTC-5)")
    if uf == "PE":
        return tr("UF PE without municipality_code: mainland Recife (UTC-3) and Fernando de Noronha (UTC-2)")
    if uf == "PA":
        return tr("UF PA without municipality_code: east and west Pará zones (both UTC-3 since 2008)")
    return tr("UF {uf}: {zone}", uf=uf, zone=zones[0])


def _resolve_municipality(code_raw: str, uf: str | None) -> ZoneResolution:
    code = str(code_raw).strip()
    if not _MUNICIPALITY_RE.fullmatch(code):
        raise UnknownRegion(tr("malformed IBGE municipality code{value}; expected 7 digits such as 1302603",
                               value=_sp(code_raw)), field="municipality_code")
    code_uf = IBGE_STATE_PREFIX.get(code[:2])
    if code_uf is None:
        raise UnknownRegion(tr("IBGE municipality code{value} has unknown state prefix {prefix}; "
                               "expected one of {prefixes}", value=_sp(code), prefix=repr(code[:2]),
                               prefixes=", ".join(IBGE_STATE_PREFIX)), field="municipality_code")
    # Without a region the code's own prefix names the UF; with one, they must agree, since a
    # disagreement means one of the two fields is wrong and we cannot tell which.
    if uf is not None and code_uf != uf:
        raise UnknownRegion(tr("IBGE municipality code{value} belongs to {code_uf} (prefix {prefix}) "
                               "but region is {uf}; fix one of them", value=_sp(code), code_uf=code_uf,
                               prefix=code[:2], uf=uf), field="municipality_code")
    if code in AM_WEST_MUNICIPALITIES:
        return ZoneResolution(("America/Eirunepe",), "municipality",
                              tr("IBGE {code} ({municipality}, AM): west Amazonas, UTC-5 (Lei 12.876/2013)",
                                 code=code, municipality=AM_WEST_MUNICIPALITIES[code]))
    if code in AM_UNCERTAIN_MUNICIPALITIES:
        return ZoneResolution(UF_ZONES["AM"], "municipality",
                              tr("IBGE {code} ({municipality}, AM): sources disagree on UTC-4 vs UTC-5, both "
                                 "Amazonas zones", code=code, municipality=AM_UNCERTAIN_MUNICIPALITIES[code]))
    if code == NORONHA_MUNICIPALITY:
        return ZoneResolution(("America/Noronha",), "municipality",
                              tr("IBGE {code} (Fernando de Noronha, PE): UTC-2", code=code))
    # Every other municipality is in its UF's primary zone. The one approximation is west Pará
    # (tzdata America/Santarem), which shares America/Belem's UTC-3 since 2008-06-24, so local
    # time is right for any instant a plan can concern.
    primary = UF_ZONES[code_uf][0]
    return ZoneResolution((primary,), "municipality", tr("IBGE {code} ({uf}): {zone}", code=code, uf=code_uf,
                                                         zone=primary))


def _normalise_area_code(raw: str, country: str) -> str:
    code = str(raw).strip()
    if country == "BR" and len(code) == 3 and code.startswith("0"):
        code = code[1:]  # trunk prefix as dialled in Brazil: 011 -> 11
    if country == "US" and len(code) == 4 and code.startswith("1"):
        code = code[1:]  # NANP country code glued on: 1512 -> 512
    return code


@lru_cache(maxsize=1)
def _nanp_zones_by_npa() -> dict[str, tuple[str, ...]]:
    """NPA -> every zone phonenumbers knows for any exchange in it, area-code default first.

    phonenumbers keys its NANP data by "1"+NPA (area-code default) and "1"+NPA+NXX... overrides
    (e.g. 850-434 Chicago vs 850-224 New York), so the union over all keys of an NPA is what an
    area code alone can mean.
    """
    defaults: dict[str, tuple[str, ...]] = {}
    counts: dict[str, Counter[str]] = {}
    for prefix, zones in _PN_TIMEZONE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4:
            continue
        npa = prefix[1:4]
        if len(prefix) == 4:
            defaults[npa] = tuple(zones)
        counts.setdefault(npa, Counter()).update(zones)
    result = {}
    for npa, counter in counts.items():
        ranked = sorted(counter, key=lambda z: -counter[z])
        result[npa] = _unique(list(defaults.get(npa, ())) + ranked)
    return result


def area_code_zones(npa: str) -> tuple[str, ...]:
    """Every zone a NANP area code alone can mean (what a dialer that looks offsets up by area
    code, such as VICIdial, may put a +1 number in); () for toll-free or unknown codes."""
    return _nanp_zones_by_npa().get(npa, ())


def _resolve_area_codes(country: str, area_codes: tuple[str, ...]) -> ZoneResolution:
    zones: list[str] = []
    used: list[str] = []
    for position, raw in enumerate(area_codes, start=1):
        code = _normalise_area_code(raw, country)
        if country == "BR":
            found = DDD_ZONES.get(code)
            if found is None:
                raise UnknownRegion(tr("area code #{position}{value} is not a Brazilian DDD; "
                                       "expected two digits such as 11, 21 or 81", position=position, value=_sp(raw)),
                                    field="region")
        else:
            if not re.fullmatch(r"[2-9][0-9][0-9]", code):
                raise UnknownRegion(tr("area code #{position}{value} is not a NANP area "
                                       "code; expected three digits such as 212 or 512", position=position,
                                       value=_sp(raw)), field="region")
            found = _nanp_zones_by_npa().get(code)
            if not found:
                # Toll-free and other non-geographic NPAs say nothing about where the person is
                # (RCW 19.16.250(13)(c): use the last known residence instead).
                continue
        zones.extend(found)
        used.append(code)
    if not zones:
        raise UnknownRegion(tr("cannot resolve a time zone for country {country}: no region and no geographic "
                               "area code", country=country), field="region")
    result = _unique(zones)
    codes, zones_text = ", ".join(dict.fromkeys(used)), ", ".join(result)
    if country == "BR":
        note = tr("no region; DDD {codes} -> {zones} (where the number was issued, not necessarily where the "
                  "debtor lives)", codes=codes, zones=zones_text)
    else:
        note = tr("no region; area code {codes} -> {zones} (where the number was issued, not necessarily where "
                  "the debtor lives)", codes=codes, zones=zones_text)
    return ZoneResolution(result, "area_code", note)


def resolve_zones(country: str, region: str | None, *, municipality_code: str | None = None,
                  timezone: str | None = None, area_codes: tuple[str, ...] = ()) -> ZoneResolution:
    """Debtor -> candidate zones.

    Precedence: explicit IANA ``timezone`` override > ``municipality_code`` (BR only) >
    ``region`` (UF or state; every zone used there) > ``area_codes`` (only when region is
    blank; union over the codes). Raises UnknownRegion when nothing identifies a place or an
    input is invalid.
    """
    if not isinstance(country, str) or country.strip().upper() not in _SUPPORTED_COUNTRIES:
        raise UnknownRegion(tr("unsupported country{value}; expected one of {countries}", value=_sp(country),
                               countries=", ".join(_SUPPORTED_COUNTRIES)), field="country")
    country = country.strip().upper()

    # Explicit knowledge of where the person is beats every presumption (US-F-02, WA-03).
    if not _blank(timezone):
        key = _validated_zone(str(timezone))
        return ZoneResolution((key,), "override", tr("explicit time zone {zone}", zone=key))

    uf: str | None = None
    if not _blank(region):
        code = _strip_iso_prefix(str(region).strip().upper(), country)
        table = UF_ZONES if country == "BR" else US_STATE_ZONES
        if code not in table:
            if country == "BR":
                text = tr("unknown Brazilian UF{value}; expected one of {codes}", value=_sp(region),
                          codes=", ".join(table))
            else:
                text = tr("unknown US state or territory code{value}; expected one of {codes}", value=_sp(region),
                          codes=", ".join(table))
            raise UnknownRegion(text, field="region")
        uf = code

    if not _blank(municipality_code):
        if country != "BR":
            raise UnknownRegion(tr("municipality_code is an IBGE code and only applies to country BR"),
                                field="municipality_code")
        return _resolve_municipality(str(municipality_code), uf)

    if uf is not None:
        if country == "BR":
            zones = UF_ZONES[uf]
            return ZoneResolution(zones, "region", _region_note_br(uf, zones))
        zones = US_STATE_ZONES[uf]
        note = tr("state {state}: {zone}", state=uf, zone=zones[0]) if len(zones) == 1 else \
            tr("state {state}: every zone used in the state ({zones})", state=uf, zones=", ".join(zones))
        return ZoneResolution(zones, "region", note)

    codes = tuple(c for c in area_codes if not _blank(c))
    if codes:
        return _resolve_area_codes(country, codes)
    raise UnknownRegion(tr("cannot resolve a time zone for country {country}: give a timezone, "
                           "municipality_code, region or area code", country=country), field="region")


# ============================================================================================
# The address: a US state with several zones, narrowed by its ZIP code or city
# ============================================================================================

US_MULTI_ZONE = frozenset(state for state, zones in US_STATE_ZONES.items() if len(zones) > 1)
_ZIP5 = re.compile(r"^([0-9]{5})(?:-?[0-9]{4})?$")


def address_key(country: str, region: str, postal_code: str, city: str) -> str:
    """What of the address can narrow the zones: for a US state with several zones, its ZIP code
    ("Z:32501") or else its city ("C:PENSACOLA"); "" for every other debtor (nothing to narrow)."""
    if country != "US" or region.strip().upper() not in US_MULTI_ZONE:
        return ""
    found = _ZIP5.match(postal_code.strip())
    if found:
        return f"Z:{found.group(1)}"
    name = " ".join(city.split()).upper()
    return f"C:{name}" if name else ""


@lru_cache(maxsize=1)
def _zip_table() -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], frozenset[str]]]:
    """ZIP code -> (state, zone) and (state, city) -> zones, from the zipcodes package's data
    (github.com/seanpianka/zipcodes: the USPS ZIP list with each code's IANA zone)."""
    import zipcodes

    by_zip: dict[str, tuple[str, str]] = {}
    by_city: dict[tuple[str, str], set[str]] = {}
    known = zoneinfo.available_timezones()
    for z in zipcodes.list_all():
        zone = z.get("timezone") or ""
        if zone not in known:
            continue  # a few records carry no zone or a place name instead
        by_zip[z["zip_code"]] = (z["state"], zone)
        for name in (z["city"], *z.get("acceptable_cities", ())):
            by_city.setdefault((z["state"], " ".join(name.split()).upper()), set()).add(zone)
    return by_zip, {k: frozenset(v) for k, v in by_city.items()}


def narrow_by_address(state: str, zones: tuple[str, ...], key: str) -> tuple[tuple[str, ...], str] | None:
    """The state's candidate zones narrowed to those of the ZIP code or city of ``key``
    (address_key), with a note; None when the address does not narrow them (unknown code, a code
    of another state, or a zone the state's list does not hold: conflicting information keeps
    every candidate, US-F-02). An area code never narrows: numbers move with people."""
    if not key:
        return None
    by_zip, by_city = _zip_table()
    if key.startswith("Z:"):
        found = by_zip.get(key[2:])
        if found is None or found[0] != state:
            return None
        narrowed, by_zip_code = (found[1],), True
    else:
        city = by_city.get((state, key[2:]))
        if not city:
            return None
        narrowed, by_zip_code = tuple(z for z in zones if z in city), False
    if not narrowed or not set(narrowed) <= set(zones) or len(narrowed) == len(zones):
        return None
    if by_zip_code:
        return narrowed, tr("state {state}, narrowed by the ZIP code to {zones}", state=state,
                            zones=", ".join(narrowed))
    return narrowed, tr("state {state}, narrowed by the city to {zones}", state=state, zones=", ".join(narrowed))


# ============================================================================================
# Phone numbers
# ============================================================================================


@lru_cache(maxsize=1)
def _nanp_country_level() -> frozenset[str]:
    # What phonenumbers answers when it only knows "somewhere in NANP" (toll-free, new NPAs).
    return frozenset(_PN_TIMEZONE_DATA.get("1", ()))


def phone_zones(e164: str) -> tuple[str, ...]:
    """Zones implied by a number's area code, for mismatch reports. () when it implies nothing.

    Brazil: DDD_ZONES by the two digits after +55 - never phonenumbers' zones, which put DDD 81
    (Recife) on America/Noronha and Pará landlines on America/Manaus (rules-brazil.md §2.3).
    So a Recife mobile +55 81 9xxxx-xxxx gives DDD_ZONES["81"] = (Recife, Noronha): the DDD
    cannot tell the island from the mainland, and we do not pretend it can.
    NANP: phonenumbers' exchange-level zones; toll-free or unknown -> (). Other countries -> ().
    Never raises on a malformed string (and never echoes it).
    """
    if not isinstance(e164, str):
        raise TypeError("phone_zones expects an E.164 string")
    try:
        number = phonenumbers.parse(e164.strip(), None)
    except phonenumbers.NumberParseException:
        return ()
    if number.country_code == 55:
        if not phonenumbers.is_possible_number(number):
            return ()
        return DDD_ZONES.get(str(number.national_number)[:2], ())
    if number.country_code == 1:
        ntype = phonenumbers.number_type(number)
        if ntype == phonenumbers.PhoneNumberType.UNKNOWN or \
                not phonenumbers.is_number_type_geographical(ntype, number.country_code):
            return ()
        # time_zones_for_number would compute number_type again (a third of this function's
        # time) only to take this same geographical branch.
        zones = tuple(z for z in _pn_timezone.time_zones_for_geographical_number(number)
                      if z != _pn_timezone.UNKNOWN_TIMEZONE)
        if frozenset(zones) == _nanp_country_level():
            return ()
        return _unique(zones)
    return ()
