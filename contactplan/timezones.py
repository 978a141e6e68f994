"""Where a debtor is, in time: candidate IANA zones for Brazil and the USA.

A contact window is evaluated in the debtor's local time (rules-brazil.md §4.2; FDCPA
1692c(a)(1), 12 CFR 1006.6(b)(1)(i)). When we cannot tell which of several zones applies we
return all of them and the caller allows a contact only if it is allowed in every candidate:
that is the CFPB's "ambiguous location" reading (rules-us-intl.md US-F-02, confidence L) and
it is the safe direction everywhere. Returning ONE zone is therefore a strong claim, made only
when the input pins it down.

Nothing here reads the wall clock or the machine's time zone, and exception messages never
carry personal data: values that could be phone numbers are withheld (see ``_shown``).
"""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as _pn_timezone
from phonenumbers.tzdata import TIMEZONE_DATA as _PN_TIMEZONE_DATA

from contactplan.i18n import tr

__all__ = [
    "AM_UNCERTAIN_MUNICIPALITIES",
    "AM_WEST_MUNICIPALITIES",
    "BRAZIL_UFS",
    "DDDS_BY_UF",
    "DDD_TO_UF",
    "DDD_ZONES",
    "IBGE_STATE_PREFIX",
    "NORONHA_MUNICIPALITY",
    "UF_ZONES",
    "US_STATES",
    "US_STATE_ZONES",
    "UnknownRegion",
    "US_MULTI_ZONE",
    "ZoneResolution",
    "address_key",
    "area_code_zones",
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
# Brazil
# ============================================================================================

# UF -> every IANA zone used inside it, primary (most populous) first. Source: tzdata 2025b
# zone1970.tab (read on this machine) and its `southamerica` comments, matching the table in
# rules-brazil.md §2.1. No DST anywhere since Decreto 9.772/2019.
#
# Deliberately left out: the uninhabited Atlantic islands that tzdata puts on America/Noronha
# (Trindade e Martim Vaz - ES; Atol das Rocas - RN; São Pedro e São Paulo - PE). Nobody is
# collected there, and listing Noronha for ES or RN would cost every debtor of those states an
# hour of window for nothing. Fernando de Noronha itself (PE) has residents and is listed.
UF_ZONES: dict[str, tuple[str, ...]] = {
    "AC": ("America/Rio_Branco",),
    "AL": ("America/Maceio",),
    "AM": ("America/Manaus", "America/Eirunepe"),
    "AP": ("America/Belem",),
    "BA": ("America/Bahia",),
    "CE": ("America/Fortaleza",),
    "DF": ("America/Sao_Paulo",),
    "ES": ("America/Sao_Paulo",),
    "GO": ("America/Sao_Paulo",),
    "MA": ("America/Fortaleza",),
    "MG": ("America/Sao_Paulo",),
    "MS": ("America/Campo_Grande",),
    "MT": ("America/Cuiaba",),
    # tzdata splits Pará at the Xingu (Santarem west, Belem east). Both are UTC-3 since
    # Lei 11.662/2008 (2008-06-24), so the split only matters for older timestamps.
    "PA": ("America/Belem", "America/Santarem"),
    "PB": ("America/Fortaleza",),
    "PE": ("America/Recife", "America/Noronha"),
    "PI": ("America/Fortaleza",),
    "PR": ("America/Sao_Paulo",),
    "RJ": ("America/Sao_Paulo",),
    "RN": ("America/Fortaleza",),
    "RO": ("America/Porto_Velho",),
    "RR": ("America/Boa_Vista",),
    "RS": ("America/Sao_Paulo",),
    "SC": ("America/Sao_Paulo",),
    "SE": ("America/Maceio",),
    "SP": ("America/Sao_Paulo",),
    "TO": ("America/Araguaina",),
}

BRAZIL_UFS: tuple[str, ...] = tuple(sorted(UF_ZONES))

# First two digits of every IBGE municipality code (IBGE "código da UF").
IBGE_STATE_PREFIX: dict[str, str] = {
    "11": "RO", "12": "AC", "13": "AM", "14": "RR", "15": "PA", "16": "AP", "17": "TO",
    "21": "MA", "22": "PI", "23": "CE", "24": "RN", "25": "PB", "26": "PE", "27": "AL",
    "28": "SE", "29": "BA",
    "31": "MG", "32": "ES", "33": "RJ", "35": "SP",
    "41": "PR", "42": "SC", "43": "RS",
    "50": "MS", "51": "MT", "52": "GO", "53": "DF",
}  # fmt: skip

# Fernando de Noronha is a "distrito estadual" of PE with its own IBGE code; seen with this
# code in several public IBGE-derived tables (e.g. SICONFI/IBGE notes listing 2605459).
NORONHA_MUNICIPALITY: str = "2605459"

# --------------------------------------------------------------------------------------------
# Western Amazonas (UTC-5, America/Eirunepe)
# --------------------------------------------------------------------------------------------
# THE LAW. Lei 12.876, de 30/10/2013 (in force 2013-11-10) rewrote art. 2 of Decreto
# 2.784/1913 and revoked Lei 11.662/2008. It does NOT list municipalities; it draws a line:
#   c) UTC-4: MT, MS, RO, RR "e a parte do Estado do Amazonas que fica a leste da linha que,
#      partindo do Município de Tabatinga, no Estado do Amazonas, segue até o Município de
#      Porto Acre, no Estado do Acre";
#   e) UTC-5: "1. o Estado do Acre; 2. a parte do Estado do Amazonas que fica a oeste da linha
#      fixada na alínea 'c'".
# Read in: the law text as reproduced at trabalhoseguro.com/Leis/Lei_12876_2013_fuso_horario.html,
# consistent with estadao.com.br (2013-10-31) and exame.com (2013-10-31).  Confidence H.
#
# WHICH MUNICIPALITIES. Municipalities straddle that line, so every list below is someone's
# reading of practice, and the lists disagree:
#   [G1]  g1.globo.com/am/amazonas/noticia/2013/11/13-municipios-do-am-voltam-ficar-3h-de-
#         brasilia-partir-deste-domingo.html: 13 municipalities - Boca do Acre, Eirunepé, Envira,
#         Guajará, Itamarati, Jutaí, Lábrea, Pauini, São Paulo de Olivença, Atalaia do Norte,
#         Benjamin Constant, Ipixuna, Tabatinga. (redetiradentes.com.br, 2013, also says "13
#         municípios ... do Alto Solimões e da Calha do Juruá", without names.)
#   [PA]  portalamazonia.com "Você sabia que o Amazonas possui mais de um fuso horário?"
#         (undated; names read from its repost at u-amazon.com): 11 municipalities - Amaturá,
#         Atalaia do Norte, Benjamin Constant, Boca do Acre, Eirunepé, Envira, Guajará, Ipixuna,
#         Itamarati, Pauini, São Paulo de Olivença. (No Tabatinga, Jutaí or Lábrea.)
#   [RO]  rondoniaovivo.com 2008-06-24, on Lei 11.662/2008: the six AM municipalities that
#         LEFT UTC-5 in 2008 were Atalaia do Norte, Boca do Acre, Benjamin Constant, Eirunepé,
#         Envira and Ipixuna.
#   [TZ]  IANA tzdata `southamerica` (read in the JodaOrg/global-tz mirror): "west Amazonas:
#         Atalaia do Norte, Boca do Maoco, Benjamin Constant, Eirunepé, Envira, Ipixuna" and
#         "east Amazonas: Boca do Acre, Jutaí, Manaus, Floriano Peixoto" - old Shanks &
#         Pottenger-era comments, pre-2008.
#   [GEO] Our own check of municipal seats (coordinates from kelvins/municipios-brasileiros)
#         against a straight Tabatinga (-4.25, -69.94) -> Porto Acre (about -9.59, -67.53; both
#         from memory, approximate) line: Atalaia do Norte, Benjamin Constant (on the line),
#         Eirunepé, Envira, Guajará and Ipixuna are west; Boca do Acre (-8.74, -67.39, about
#         0.5 deg east), Itamarati (-6.44, -68.24), Pauini, Lábrea and Jutaí are east; São Paulo
#         de Olivença, Amaturá, Santo Antônio do Içá and Tonantins lie north-east of Tabatinga.
#
# DECISION. A code in AM_WEST_MUNICIPALITIES gets America/Eirunepe ALONE, so only places every
# source agrees on are there (confidence M-H). Guajará is missing from [RO] and [TZ] but it is
# the westernmost AM seat, split off Ipixuna and next to Cruzeiro do Sul (AC, UTC-5).
# Anything some source puts on UTC-5 but another source or [GEO] contradicts goes to
# AM_UNCERTAIN_MUNICIPALITIES and gets BOTH Amazonas zones (safe: allowed only if allowed in
# both). Boca do Acre is the closest call: [G1], [PA] and [RO] say UTC-5, [TZ] and [GEO] say
# east of the line; kept uncertain on purpose.
# Checked and treated as east (Manaus only): Santo Antônio do Içá, Tonantins, Fonte Boa,
# Juruá, Carauari, Canutama, Tapauá - no source above puts them on UTC-5 and their seats lie
# east of the line (confidence M).
#
# IBGE CODES. All 62 AM codes were read from a public JS list of municipalities by UF
# (city_ID/cityName) and the west/uncertain ones cross-checked against a second table
# derived from kelvins/municipios-brasileiros (ibge|name|UF|lat|lon) for Atalaia do Norte,
# Amaturá, Benjamin Constant, Boca do Acre, Eirunepé, Envira, Guajará, Ipixuna and Itamarati
# (H). Jutaí, Lábrea, Pauini, São Paulo de Olivença and Tabatinga come from the first list only
# (M). Every code below passes the IBGE check digit (asserted in tests/test_timezones.py).
AM_WEST_MUNICIPALITIES: dict[str, str] = {
    "1300201": "Atalaia do Norte",
    "1300607": "Benjamin Constant",
    "1301407": "Eirunepé",
    "1301506": "Envira",
    "1301654": "Guajará",
    "1301803": "Ipixuna",
}

AM_UNCERTAIN_MUNICIPALITIES: dict[str, str] = {
    "1300060": "Amaturá",  # [PA] only; north-east of Tabatinga
    "1300706": "Boca do Acre",  # [G1][PA][RO] west vs [TZ][GEO] east
    "1301951": "Itamarati",  # [G1][PA] west vs [GEO] seat east
    "1302306": "Jutaí",  # [G1] west vs [PA] silent, [TZ][GEO] east
    "1302405": "Lábrea",  # [G1] west vs [PA] silent, [GEO] seat far east
    "1303502": "Pauini",  # [G1][PA] west vs [GEO] seat east
    "1303908": "São Paulo de Olivença",  # [G1][PA] west vs [GEO] north-east of Tabatinga
    "1304062": "Tabatinga",  # [G1] west vs [PA] silent; the line starts at it
}

_MANAUS_MUNICIPALITY = "1302603"

# --------------------------------------------------------------------------------------------
# Area codes (DDD). Table from rules-brazil.md §2.2 (Anatel plan). A DDD says where the number
# was issued, not where the person lives (portability keeps it), so it is a fallback only.
# --------------------------------------------------------------------------------------------
DDDS_BY_UF: dict[str, tuple[str, ...]] = {
    "AC": ("68",), "AL": ("82",), "AM": ("92", "97"), "AP": ("96",),
    "BA": ("71", "73", "74", "75", "77"), "CE": ("85", "88"),
    "DF": ("61",),  # 61 also covers the Goiás "Entorno" (same zone)
    "ES": ("27", "28"), "GO": ("62", "64"), "MA": ("98", "99"),
    "MG": ("31", "32", "33", "34", "35", "37", "38"), "MS": ("67",), "MT": ("65", "66"),
    "PA": ("91", "93", "94"), "PB": ("83",), "PE": ("81", "87"), "PI": ("86", "89"),
    "PR": ("41", "42", "43", "44", "45", "46"),  # 42 also covers Porto União-SC (same zone)
    "RJ": ("21", "22", "24"), "RN": ("84",), "RO": ("69",), "RR": ("95",),
    "RS": ("51", "53", "54", "55"), "SC": ("47", "48", "49"), "SE": ("79",),
    "SP": ("11", "12", "13", "14", "15", "16", "17", "18", "19"), "TO": ("63",),
}  # fmt: skip

DDD_TO_UF: dict[str, str] = {ddd: uf for uf, ddds in DDDS_BY_UF.items() for ddd in ddds}

# Where a DDD is narrower than its UF's zone set we say so; everything else inherits UF_ZONES.
_DDD_ZONE_OVERRIDES: dict[str, tuple[str, ...]] = {
    # Manaus and the east of the state; the UTC-5 municipalities all dial 97.
    "92": ("America/Manaus",),
    # 97 is the whole interior, east and west: an area code alone never says UTC-5.
    "97": ("America/Manaus", "America/Eirunepe"),
    # Fernando de Noronha dials 81 with Recife; 87 (sertão) is mainland only.
    "81": ("America/Recife", "America/Noronha"),
    "87": ("America/Recife",),
    # Belém/Marabá (east of the Xingu) and Santarém (west). Same offset since 2008.
    "91": ("America/Belem",),
    "93": ("America/Santarem",),
    "94": ("America/Belem",),
}

DDD_ZONES: dict[str, tuple[str, ...]] = {
    ddd: _DDD_ZONE_OVERRIDES.get(ddd, UF_ZONES[uf]) for ddd, uf in DDD_TO_UF.items()
}

# ============================================================================================
# USA
# ============================================================================================

# State -> every IANA zone used inside it, primary (most populous) first. Source: tzdata 2025b
# zone1970.tab/zone.tab comments (read on this machine) plus, for NV, West Wendover's official
# Mountain time (tzdata has no separate zone; it is America/Denver). Unofficial local practice
# (Phenix City AL on Eastern, Kenton OK on Mountain, Jackpot NV on Mountain) is not in tzdata
# and not listed. Offsets change with US DST, so these are never reduced to offsets.
US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AK": ("America/Anchorage", "America/Juneau", "America/Sitka", "America/Metlakatla",
           "America/Yakutat", "America/Nome", "America/Adak"),
    "AL": ("America/Chicago",),
    "AR": ("America/Chicago",),
    # Most of Arizona has no DST; the Navajo Nation observes it (tzdata: America/Denver).
    "AZ": ("America/Phoenix", "America/Denver"),
    "CA": ("America/Los_Angeles",),
    "CO": ("America/Denver",),
    "CT": ("America/New_York",),
    "DC": ("America/New_York",),
    "DE": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"),  # western panhandle on Central
    "GA": ("America/New_York",),
    "HI": ("Pacific/Honolulu",),
    "IA": ("America/Chicago",),
    "ID": ("America/Boise", "America/Los_Angeles"),  # north (panhandle) on Pacific
    "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago", "America/Indiana/Knox",
           "America/Indiana/Tell_City", "America/Indiana/Vincennes", "America/Indiana/Winamac",
           "America/Indiana/Marengo", "America/Indiana/Petersburg", "America/Indiana/Vevay"),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Kentucky/Louisville", "America/Kentucky/Monticello",
           "America/Chicago"),
    "LA": ("America/Chicago",),
    "MA": ("America/New_York",),
    "MD": ("America/New_York",),
    "ME": ("America/New_York",),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": ("America/Chicago",),
    "MO": ("America/Chicago",),
    "MS": ("America/Chicago",),
    "MT": ("America/Denver",),
    "NC": ("America/New_York",),
    "ND": ("America/Chicago", "America/Denver", "America/North_Dakota/Center",
           "America/North_Dakota/New_Salem", "America/North_Dakota/Beulah"),
    "NE": ("America/Chicago", "America/Denver"),
    "NH": ("America/New_York",),
    "NJ": ("America/New_York",),
    "NM": ("America/Denver",),
    "NV": ("America/Los_Angeles", "America/Denver"),
    "NY": ("America/New_York",),
    "OH": ("America/New_York",),
    "OK": ("America/Chicago",),
    "OR": ("America/Los_Angeles", "America/Boise"),  # Malheur County on Mountain
    "PA": ("America/New_York",),
    "RI": ("America/New_York",),
    "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),  # El Paso and Hudspeth on Mountain
    "UT": ("America/Denver",),
    "VA": ("America/New_York",),
    "VT": ("America/New_York",),
    "WA": ("America/Los_Angeles",),
    "WI": ("America/Chicago",),
    "WV": ("America/New_York",),
    "WY": ("America/Denver",),
    # Inhabited territories (zone.tab lists them under their own ISO country codes).
    "AS": ("Pacific/Pago_Pago",),
    "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",),
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
}  # fmt: skip

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
