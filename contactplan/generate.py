"""Synthetic debtor portfolios and agent rosters for demos, tests and benchmarks.

The output follows the input contracts in DESIGN.md (``debtors.csv``, ``agents.csv``) so the
same readers, rules and solver run on it as on a real export. Realism goes where the planner is
sensitive: the spread of debtors over states (and so over time zones and state laws), area codes
that agree with the state, the UTC-5 corner of Amazonas and the UTC-2 island, multi-account
debtors, mixed phone formats, missing optional values, and the rare exclusion flags.

Nothing here is personal data: names are "Debtor 000123", e-mails use the reserved
``example.com`` domain. Phone numbers are random but *valid* (``phonenumbers``) because the
readers reject invalid ones; they may therefore belong to real subscribers, so generated files
must never be fed to a live dialer.

Output depends only on ``(n_debtors, seed, country, as_of)``: one ``numpy.random.default_rng``
drives everything, and the clock is never read.
"""

from __future__ import annotations

import csv
import io
import pathlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np
import phonenumbers

from contactplan.i18n import tr
from contactplan.io.plan_csv import write_bytes_atomic
from contactplan.timezones import (
    AM_WEST_MUNICIPALITIES,
    DDDS_BY_UF,
    NORONHA_MUNICIPALITY,
)

__all__ = [
    "ACCOUNT_COLUMNS",
    "AGENT_COLUMNS",
    "DEBTOR_COLUMNS",
    "PORTFOLIO_AS_OF",
    "generate_portfolio",
    "write_portfolio",
]

DEBTOR_COLUMNS: tuple[str, ...] = (
    "debtor_id",
    "account_id",
    "name",
    "country",
    "region",
    "city",
    "municipality_code",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "email",
    "balance",
    "days_past_due",
    "due_date",
    "p_pay",
    "segment",
    "language",
    "preferred_channel",
    "preferred_window",
    "no_work_calls",
    "sms_consent",
    "whatsapp_consent",
    "email_consent",
    "autodial_consent",
    "do_not_contact",
    "cease_and_desist",
    "disputed",
    "bankruptcy",
    "deceased",
    "attorney_represented",
)

AGENT_COLUMNS: tuple[str, ...] = (
    "agent_id",
    "pool",
    "shift_start",
    "shift_end",
    "timezone",
    "contacts_per_hour",
    "break_start",
    "break_end",
    "segments",
    "languages",
    "days",
)

# The generator has no notion of "today"; due dates are counted back from this fixed day so the
# same seed gives the same file on any machine and any date.
PORTFOLIO_AS_OF = date(2026, 1, 5)

# Columns that differ between the account rows of one debtor; every other column describes the
# person and is repeated verbatim, which is what the reader's merge step expects.
ACCOUNT_COLUMNS: tuple[str, ...] = ("account_id", "balance", "days_past_due", "due_date")

SEGMENTS = ("cards", "personal_loan", "telecom", "retail")

# --------------------------------------------------------------------------------------------
# Brazil
# --------------------------------------------------------------------------------------------

# Population by UF, IBGE Censo 2022 (thousands). Only the proportions matter.
BR_POPULATION: dict[str, int] = {
    "SP": 44_411, "MG": 20_539, "RJ": 16_055, "BA": 14_141, "PR": 11_444, "RS": 10_883,
    "PE": 9_058, "CE": 8_795, "PA": 8_121, "SC": 7_610, "GO": 7_056, "MA": 6_777,
    "PB": 3_974, "AM": 3_941, "ES": 3_834, "MT": 3_659, "RN": 3_302, "PI": 3_271,
    "AL": 3_128, "DF": 2_817, "MS": 2_757, "SE": 2_210, "RO": 1_582, "TO": 1_511,
    "AC": 830, "AP": 734, "RR": 636,
}  # fmt: skip

# A handful of real municipalities per UF as (IBGE code, name, DDD), capital first. Codes were
# checked against the IBGE check digit; DDDs not listed for the UF in DDDS_BY_UF are ignored.
BR_MUNICIPALITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "AC": (("1200401", "Rio Branco", "68"), ("1200203", "Cruzeiro do Sul", "68")),
    "AL": (("2704302", "Maceió", "82"), ("2700300", "Arapiraca", "82")),
    "AM": (("1302603", "Manaus", "92"), ("1303403", "Parintins", "92"),
           ("1301902", "Itacoatiara", "92"),
           # DDD 97 but UTC-4: the area code alone does not say UTC-5.
           ("1304203", "Tefé", "97")),
    "AP": (("1600303", "Macapá", "96"), ("1600600", "Santana", "96")),
    "BA": (("2927408", "Salvador", "71"), ("2910800", "Feira de Santana", "75"),
           ("2933307", "Vitória da Conquista", "77"), ("2914802", "Itabuna", "73"),
           ("2918407", "Juazeiro", "74")),
    "CE": (("2304400", "Fortaleza", "85"), ("2303709", "Caucaia", "85"),
           ("2307304", "Juazeiro do Norte", "88"), ("2312908", "Sobral", "88")),
    "DF": (("5300108", "Brasília", "61"),),
    "ES": (("3205309", "Vitória", "27"), ("3205200", "Vila Velha", "27"),
           ("3201209", "Cachoeiro de Itapemirim", "28")),
    "GO": (("5208707", "Goiânia", "62"), ("5201405", "Aparecida de Goiânia", "62"),
           ("5201108", "Anápolis", "62"), ("5218805", "Rio Verde", "64"),
           # Entorno do DF: a Goiás address with the Brasília area code.
           ("5212501", "Luziânia", "61")),
    "MA": (("2111300", "São Luís", "98"), ("2105302", "Imperatriz", "99")),
    "MG": (("3106200", "Belo Horizonte", "31"), ("3118601", "Contagem", "31"),
           ("3170206", "Uberlândia", "34"), ("3136702", "Juiz de Fora", "32"),
           ("3143302", "Montes Claros", "38"), ("3122306", "Divinópolis", "37"),
           ("3127701", "Governador Valadares", "33"), ("3151800", "Poços de Caldas", "35")),
    "MS": (("5002704", "Campo Grande", "67"), ("5003702", "Dourados", "67")),
    "MT": (("5103403", "Cuiabá", "65"), ("5108402", "Várzea Grande", "65"),
           ("5107602", "Rondonópolis", "66"), ("5107909", "Sinop", "66")),
    "PA": (("1501402", "Belém", "91"), ("1500800", "Ananindeua", "91"),
           ("1506807", "Santarém", "93"), ("1504208", "Marabá", "94")),
    "PB": (("2507507", "João Pessoa", "83"), ("2504009", "Campina Grande", "83")),
    "PE": (("2611606", "Recife", "81"), ("2607901", "Jaboatão dos Guararapes", "81"),
           ("2604106", "Caruaru", "81"), ("2611101", "Petrolina", "87")),
    "PI": (("2211001", "Teresina", "86"), ("2207702", "Parnaíba", "86"),
           ("2208007", "Picos", "89")),
    "PR": (("4106902", "Curitiba", "41"), ("4113700", "Londrina", "43"),
           ("4115200", "Maringá", "44"), ("4119905", "Ponta Grossa", "42"),
           ("4104808", "Cascavel", "45"), ("4108304", "Foz do Iguaçu", "45"),
           ("4109401", "Guarapuava", "42")),
    "RJ": (("3304557", "Rio de Janeiro", "21"), ("3303302", "Niterói", "21"),
           ("3301702", "Duque de Caxias", "21"), ("3303500", "Nova Iguaçu", "21"),
           ("3301009", "Campos dos Goytacazes", "22"), ("3306305", "Volta Redonda", "24"),
           ("3303906", "Petrópolis", "24")),
    "RN": (("2408102", "Natal", "84"), ("2408003", "Mossoró", "84")),
    "RO": (("1100205", "Porto Velho", "69"), ("1100122", "Ji-Paraná", "69")),
    "RR": (("1400100", "Boa Vista", "95"),),
    "RS": (("4314902", "Porto Alegre", "51"), ("4304606", "Canoas", "51"),
           ("4305108", "Caxias do Sul", "54"), ("4314407", "Pelotas", "53"),
           ("4316907", "Santa Maria", "55")),
    "SC": (("4205407", "Florianópolis", "48"), ("4209102", "Joinville", "47"),
           ("4202404", "Blumenau", "47"), ("4204608", "Criciúma", "48"),
           ("4204202", "Chapecó", "49")),
    "SE": (("2800308", "Aracaju", "79"),),
    "SP": (("3550308", "São Paulo", "11"), ("3518800", "Guarulhos", "11"),
           ("3509502", "Campinas", "19"), ("3548500", "Santos", "13"),
           ("3549904", "São José dos Campos", "12"), ("3543402", "Ribeirão Preto", "16"),
           ("3552205", "Sorocaba", "15"), ("3506003", "Bauru", "14"),
           ("3549805", "São José do Rio Preto", "17"), ("3541406", "Presidente Prudente", "18")),
    "TO": (("1721000", "Palmas", "63"), ("1702109", "Araguaína", "63")),
}  # fmt: skip

# Capitals concentrate collection portfolios; the rest of the state shares what is left.
CAPITAL_SHARE = 0.6
# Real shares are smaller; oversampled so the UTC-5 and UTC-2 paths show up in every
# medium-sized portfolio.
AM_WEST_SHARE = 0.15
NORONHA_SHARE = 0.01
AM_WEST_DDD = "97"
NORONHA = (NORONHA_MUNICIPALITY, "Fernando de Noronha", "81")
MISSING_MUNICIPALITY_SHARE = 0.10

# --------------------------------------------------------------------------------------------
# USA
# --------------------------------------------------------------------------------------------

# State -> (population 2020 census in thousands, ((city, area codes), ...)). Cities in another
# zone than the state's main one are listed on purpose (El Paso, Pensacola, Gary, Bowling
# Green, ...): a state code alone does not fix the time zone there.
US_METROS: dict[str, tuple[int, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "AK": (733, (("Anchorage", ("907",)),)),
    "AL": (5_024, (("Birmingham", ("205",)), ("Mobile", ("251",)))),
    "AR": (3_012, (("Little Rock", ("501",)),)),
    "AZ": (7_152, (("Phoenix", ("602", "480")), ("Tucson", ("520",)), ("Flagstaff", ("928",)))),
    "CA": (39_538, (("Los Angeles", ("213", "323")), ("San Diego", ("619",)),
                    ("San Francisco", ("415",)), ("San Jose", ("408",)),
                    ("Sacramento", ("916",)), ("Fresno", ("559",)))),
    "CO": (5_774, (("Denver", ("303", "720")),)),
    "CT": (3_606, (("Hartford", ("860",)), ("New Haven", ("203",)))),
    "DC": (690, (("Washington", ("202",)),)),
    "DE": (990, (("Wilmington", ("302",)),)),
    "FL": (21_538, (("Miami", ("305", "786")), ("Orlando", ("407",)), ("Tampa", ("813",)),
                    ("Jacksonville", ("904",)), ("Pensacola", ("850",)))),
    "GA": (10_712, (("Atlanta", ("404", "678")), ("Savannah", ("912",)))),
    "HI": (1_455, (("Honolulu", ("808",)),)),
    "IA": (3_190, (("Des Moines", ("515",)),)),
    "ID": (1_839, (("Boise", ("208",)),)),
    "IL": (12_813, (("Chicago", ("312", "773")), ("Springfield", ("217",)))),
    "IN": (6_786, (("Indianapolis", ("317",)), ("Gary", ("219",)), ("Evansville", ("812",)))),
    "KS": (2_938, (("Wichita", ("316",)), ("Kansas City", ("913",)))),
    "KY": (4_506, (("Louisville", ("502",)), ("Lexington", ("859",)),
                   ("Bowling Green", ("270",)))),
    "LA": (4_658, (("New Orleans", ("504",)), ("Baton Rouge", ("225",)))),
    "MA": (7_030, (("Boston", ("617",)), ("Worcester", ("508",)))),
    "MD": (6_177, (("Baltimore", ("410",)), ("Silver Spring", ("301",)))),
    "ME": (1_362, (("Portland", ("207",)),)),
    "MI": (10_077, (("Detroit", ("313",)), ("Grand Rapids", ("616",)),
                    ("Marquette", ("906",)))),
    "MN": (5_706, (("Minneapolis", ("612",)), ("Saint Paul", ("651",)))),
    "MO": (6_155, (("Kansas City", ("816",)), ("St. Louis", ("314",)))),
    "MS": (2_961, (("Jackson", ("601",)),)),
    "MT": (1_084, (("Billings", ("406",)),)),
    "NC": (10_439, (("Charlotte", ("704",)), ("Raleigh", ("919",)))),
    "ND": (779, (("Fargo", ("701",)),)),
    "NE": (1_962, (("Omaha", ("402",)), ("North Platte", ("308",)))),
    "NH": (1_377, (("Manchester", ("603",)),)),
    "NJ": (9_289, (("Newark", ("973",)), ("Jersey City", ("201",)), ("Trenton", ("609",)))),
    "NM": (2_118, (("Albuquerque", ("505",)),)),
    "NV": (3_105, (("Las Vegas", ("702",)), ("Reno", ("775",)))),
    "NY": (20_201, (("New York", ("212", "718", "917")), ("Buffalo", ("716",)),
                    ("Rochester", ("585",)), ("Albany", ("518",)))),
    "OH": (11_799, (("Columbus", ("614",)), ("Cleveland", ("216",)),
                    ("Cincinnati", ("513",)))),
    "OK": (3_959, (("Oklahoma City", ("405",)), ("Tulsa", ("918",)))),
    "OR": (4_237, (("Portland", ("503",)), ("Ontario", ("541",)))),
    "PA": (13_003, (("Philadelphia", ("215", "267")), ("Pittsburgh", ("412",)))),
    "RI": (1_097, (("Providence", ("401",)),)),
    "SC": (5_118, (("Columbia", ("803",)), ("Charleston", ("843",)))),
    "SD": (887, (("Sioux Falls", ("605",)),)),
    "TN": (6_910, (("Nashville", ("615",)), ("Memphis", ("901",)), ("Knoxville", ("865",)),
                   ("Chattanooga", ("423",)))),
    "TX": (29_146, (("Houston", ("713", "832")), ("Dallas", ("214", "972")),
                    ("San Antonio", ("210",)), ("Austin", ("512",)), ("El Paso", ("915",)),
                    ("Amarillo", ("806",)))),
    "UT": (3_272, (("Salt Lake City", ("801",)),)),
    "VA": (8_631, (("Virginia Beach", ("757",)), ("Richmond", ("804",)),
                   ("Arlington", ("703",)))),
    "VT": (643, (("Burlington", ("802",)),)),
    "WA": (7_705, (("Seattle", ("206",)), ("Spokane", ("509",)))),
    "WI": (5_894, (("Milwaukee", ("414",)), ("Madison", ("608",)))),
    "WV": (1_794, (("Charleston", ("304",)),)),
    "WY": (577, (("Cheyenne", ("307",)),)),
}  # fmt: skip

# US cell numbers keep their area code when people move across state lines, so a few mobiles
# carry another state's code: the case where area-code time zones mislead the scheduler.
US_OUT_OF_STATE_MOBILE_SHARE = 0.05

# --------------------------------------------------------------------------------------------
# Shared distributions (shares are per debtor)
# --------------------------------------------------------------------------------------------

PHONE_SHARES = {"phone_mobile": 0.85, "phone_home": 0.40, "phone_work": 0.15}
EMAIL_SHARE = 0.55
MULTI_ACCOUNT_SHARE = 0.12
FLAG_SHARES = {
    "no_work_calls": 0.05,
    "do_not_contact": 0.02,
    "cease_and_desist": 0.01,
    "disputed": 0.02,
    "bankruptcy": 0.005,
    "deceased": 0.003,
    "attorney_represented": 0.005,
}
# (true, false); the rest is blank, i.e. "unknown" to the consent rules.
CONSENT_SHARES = {
    "sms_consent": (0.35, 0.05),
    "whatsapp_consent": (0.45, 0.15),
    "email_consent": (0.40, 0.05),
    "autodial_consent": (0.50, 0.10),
}
SEGMENT_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
PREFERRED_CHANNELS = ("", "voice", "sms", "whatsapp", "email")
PREFERRED_CHANNEL_WEIGHTS = (0.85, 0.05, 0.03, 0.05, 0.02)
PREFERRED_WINDOWS = ("", "09:00-12:00", "18:00-20:00")
PREFERRED_WINDOW_WEIGHTS = (0.90, 0.05, 0.05)
BALANCE_MEDIAN, BALANCE_SIGMA, BALANCE_MIN, BALANCE_MAX = 1500.0, 1.0, 50.0, 100_000.0
# Lognormal days past due: median ~4 months, a thin tail past the 5-year (1825-day) mark where
# limitation periods start to matter.
DPD_MEDIAN, DPD_SIGMA, DPD_MAX = 120.0, 1.1, 2000
P_PAY_ALPHA, P_PAY_BETA = 1.6, 9.0  # mean 0.151

_BOOL = ("false", "true")
_T = TypeVar("_T")
_MAX_PHONE_ATTEMPTS = 100


@dataclass(frozen=True)
class _Geography:
    """Where each debtor lives and which area codes their phones carry (one entry per debtor)."""

    region: list[str]
    city: list[str]
    municipality_code: list[str]
    home_area: np.ndarray  # area code (int) of landlines: the place of residence
    mobile_area: np.ndarray  # area code (int) of the mobile: where the line was issued


@dataclass(frozen=True)
class _Country:
    code: str
    language: str
    geography: Callable[[np.random.Generator, int], _Geography]
    phone_region: str
    calling_code: int
    draw_numbers: Callable[[np.random.Generator, np.ndarray, str], np.ndarray]
    formatters: tuple[Callable[[str], str], ...]
    format_weights: tuple[float, ...]
    agents: Callable[[np.random.Generator, int], list[dict[str, str]]]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate_portfolio(
    n_debtors: int,
    seed: int,
    country: str = "BR",
    *,
    as_of: date = PORTFOLIO_AS_OF,
    pools: int | None = None,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Generate a synthetic portfolio.

    Args:
        n_debtors: number of distinct debtors (persons); about 12 % of them get 2-3 account rows.
        seed: seed for ``numpy.random.default_rng``; equal inputs give equal output.
        country: "BR" or "US".
        as_of: the day ``due_date`` is counted back from (``days_past_due`` days before it).
        pools: split the agents into this many pools (teams of the four shift patterns, some
            serving one segment only); None keeps the four pools.

    Returns:
        ``(debtor_rows, agent_rows)``: string dicts keyed by ``DEBTOR_COLUMNS`` /
        ``AGENT_COLUMNS``, ready for ``csv.DictWriter``.

    Raises:
        ValueError: negative ``n_debtors`` or an unsupported country.
    """
    spec = _country_spec(country)
    if n_debtors < 0:
        raise ValueError(tr("n_debtors must be >= 0, got {n}", n=n_debtors))
    rng = np.random.default_rng(seed)
    debtors = _debtor_rows(rng, n_debtors, spec, as_of)
    agents = spec.agents(rng, _agent_count(n_debtors))
    if pools is not None:
        agents = _teams(agents, pools)
    return debtors, agents


def write_portfolio(
    directory: pathlib.Path,
    n_debtors: int,
    seed: int,
    country: str = "BR",
    *,
    as_of: date = PORTFOLIO_AS_OF,
    pools: int | None = None,
) -> tuple[pathlib.Path, pathlib.Path]:
    """Write ``debtors.csv`` and ``agents.csv`` (UTF-8, comma, header) into ``directory``.

    Each file is written to a temporary file in the same directory and renamed into place, so a
    reader never sees half a file. Returns ``(debtors_path, agents_path)``.
    """
    directory = pathlib.Path(directory)
    debtors, agents = generate_portfolio(n_debtors, seed, country, as_of=as_of, pools=pools)
    directory.mkdir(parents=True, exist_ok=True)
    debtors_path = directory / "debtors.csv"
    agents_path = directory / "agents.csv"
    _write_csv_atomic(debtors_path, DEBTOR_COLUMNS, debtors)
    _write_csv_atomic(agents_path, AGENT_COLUMNS, agents)
    return debtors_path, agents_path


# --------------------------------------------------------------------------------------------
# Debtor rows
# --------------------------------------------------------------------------------------------


def _debtor_rows(
    rng: np.random.Generator, n: int, spec: _Country, as_of: date
) -> list[dict[str, str]]:
    person = _person_columns(rng, n, spec)
    n_accounts = _accounts_per_debtor(rng, n)
    owner = np.repeat(np.arange(n), n_accounts)
    account = _account_columns(rng, len(owner), as_of)
    owner_list = owner.tolist()
    columns = [
        account[name] if name in account else _take(person[name], owner_list)
        for name in DEBTOR_COLUMNS
    ]
    return [dict(zip(DEBTOR_COLUMNS, values, strict=True)) for values in zip(*columns)]


def _person_columns(rng: np.random.Generator, n: int, spec: _Country) -> dict[str, list[str]]:
    numbers = np.arange(1, n + 1)
    geo = spec.geography(rng, n)
    cols: dict[str, list[str]] = {
        "debtor_id": [f"D{i:07d}" for i in numbers],
        "name": [f"Debtor {i:06d}" for i in numbers],
        "country": [spec.code] * n,
        "region": geo.region,
        "city": geo.city,
        "municipality_code": geo.municipality_code,
        "language": [spec.language] * n,
    }
    cols.update(_contact_columns(rng, n, spec, geo))
    cols["p_pay"] = [f"{p:.3f}" for p in rng.beta(P_PAY_ALPHA, P_PAY_BETA, n)]
    cols["segment"] = _choice(rng, SEGMENTS, SEGMENT_WEIGHTS, n)
    cols["preferred_channel"] = _preferred_channel(rng, cols)
    cols["preferred_window"] = _choice(rng, PREFERRED_WINDOWS, PREFERRED_WINDOW_WEIGHTS, n)
    for name, (p_true, p_false) in CONSENT_SHARES.items():
        cols[name] = _choice(rng, ("true", "false", ""), (p_true, p_false, 1 - p_true - p_false), n)
    for name, share in FLAG_SHARES.items():
        cols[name] = _flags(rng, share, n)
    return cols


def _contact_columns(
    rng: np.random.Generator, n: int, spec: _Country, geo: _Geography
) -> dict[str, list[str]]:
    has = {name: rng.random(n) < share for name, share in PHONE_SHARES.items()}
    has_email = rng.random(n) < EMAIL_SHARE
    # The contract needs at least one way to reach a debtor; those without a phone get e-mail.
    has_email |= ~(has["phone_mobile"] | has["phone_home"] | has["phone_work"])
    cols = {
        name: _phone_column(rng, spec, geo.mobile_area if name == "phone_mobile" else geo.home_area,
                            mask, "mobile" if name == "phone_mobile" else "fixed")
        for name, mask in has.items()
    }
    cols["email"] = [f"d{i:07d}@example.com" if e else "" for i, e in enumerate(has_email, 1)]
    return cols


def _preferred_channel(rng: np.random.Generator, cols: dict[str, list[str]]) -> list[str]:
    """A stated preference only for a channel the debtor can actually be reached on."""
    wanted = _choice(rng, PREFERRED_CHANNELS, PREFERRED_CHANNEL_WEIGHTS, len(cols["email"]))
    reachable = {
        "voice": lambda i: bool(cols["phone_mobile"][i] or cols["phone_home"][i]),
        "sms": lambda i: bool(cols["phone_mobile"][i]),
        "whatsapp": lambda i: bool(cols["phone_mobile"][i]),
        "email": lambda i: bool(cols["email"][i]),
    }
    return [w if not w or reachable[w](i) else "" for i, w in enumerate(wanted)]


def _accounts_per_debtor(rng: np.random.Generator, n: int) -> np.ndarray:
    multi = rng.random(n) < MULTI_ACCOUNT_SHARE
    extra = rng.integers(1, 3, n)  # 1 or 2 extra accounts -> 2-3 rows
    return 1 + np.where(multi, extra, 0)


def _account_columns(rng: np.random.Generator, n_rows: int, as_of: date) -> dict[str, list[str]]:
    balance = rng.lognormal(np.log(BALANCE_MEDIAN), BALANCE_SIGMA, n_rows)
    balance = np.clip(balance, BALANCE_MIN, BALANCE_MAX)
    dpd = np.rint(rng.lognormal(np.log(DPD_MEDIAN), DPD_SIGMA, n_rows))
    dpd = np.clip(dpd, 1, DPD_MAX).astype(np.int64)
    due = np.datetime64(as_of, "D") - dpd.astype("timedelta64[D]")
    return {
        "account_id": [f"A{i:08d}" for i in range(1, n_rows + 1)],
        "balance": [f"{b:.2f}" for b in balance],
        "days_past_due": [str(d) for d in dpd.tolist()],
        "due_date": due.astype(str).tolist(),
    }


# --------------------------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------------------------


def _phone_column(
    rng: np.random.Generator, spec: _Country, area: np.ndarray, mask: np.ndarray, kind: str
) -> list[str]:
    """Formatted numbers where ``mask`` is set, "" elsewhere."""
    idx = np.flatnonzero(mask)
    nsn = _valid_numbers(rng, spec, area[idx], kind)
    styles = rng.choice(len(spec.formatters), size=len(idx), p=spec.format_weights)
    out = [""] * len(mask)
    for i, number, style in zip(idx.tolist(), nsn.tolist(), styles.tolist(), strict=True):
        out[i] = spec.formatters[style](str(number))
    return out


def _valid_numbers(
    rng: np.random.Generator, spec: _Country, area: np.ndarray, kind: str
) -> np.ndarray:
    """National significant numbers that ``phonenumbers`` accepts, redrawing the rejects.

    The draw is vectorised; only validation is per number (~4 us each), so a 1M portfolio
    stays within seconds.
    """
    numbers = spec.draw_numbers(rng, area, kind)
    todo = np.arange(len(numbers))
    for _ in range(_MAX_PHONE_ATTEMPTS):
        todo = todo[~_is_valid(spec, numbers[todo])]
        if len(todo) == 0:
            return numbers
        numbers[todo] = spec.draw_numbers(rng, area[todo], kind)
    raise RuntimeError(tr("could not draw valid {country} {kind} numbers for {n} debtors", country=spec.code,
                          kind=kind, n=len(todo)))


def _is_valid(spec: _Country, numbers: np.ndarray) -> np.ndarray:
    # Valid *for the region* is stricter than is_valid_number (a +1 number could be Canadian)
    # and implies it.
    return np.fromiter(
        (
            phonenumbers.is_valid_number_for_region(
                phonenumbers.PhoneNumber(country_code=spec.calling_code, national_number=n),
                spec.phone_region,
            )
            for n in numbers.tolist()
        ),
        dtype=bool,
        count=len(numbers),
    )


def _draw_br_numbers(rng: np.random.Generator, ddd: np.ndarray, kind: str) -> np.ndarray:
    size = len(ddd)
    if kind == "mobile":
        # 9 + 8 digits; live mobile ranges start 9 6..9 after the leading 9.
        subscriber = 900_000_000 + rng.integers(60_000_000, 100_000_000, size)
        return ddd * 1_000_000_000 + subscriber
    # Landlines: 8 digits starting 2..5.
    return ddd * 100_000_000 + rng.integers(20_000_000, 60_000_000, size)


def _draw_us_numbers(rng: np.random.Generator, npa: np.ndarray, _kind: str) -> np.ndarray:
    size = len(npa)
    exchange = rng.integers(200, 1000, size)
    # N11 are service codes and 555 is mostly fictional or directory assistance.
    special = (exchange % 100 == 11) | (exchange == 555)
    exchange = np.where(special, exchange - 1, exchange)
    return npa * 10_000_000 + exchange * 10_000 + rng.integers(0, 10_000, size)


def _br_formats() -> tuple[Callable[[str], str], ...]:
    def dashed(local: str) -> str:
        return f"{local[:-4]}-{local[-4:]}"

    return (
        lambda s: f"+55 {s[:2]} {dashed(s[2:])}",
        lambda s: f"({s[:2]}) {dashed(s[2:])}",
        lambda s: s,
        lambda s: f"+55{s}",
    )


def _us_formats() -> tuple[Callable[[str], str], ...]:
    return (
        lambda s: f"+1 {s[:3]}-{s[3:6]}-{s[6:]}",
        lambda s: f"({s[:3]}) {s[3:6]}-{s[6:]}",
        lambda s: s,
        lambda s: f"+1{s}",
        lambda s: f"{s[:3]}-{s[3:6]}-{s[6:]}",
    )


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


def _br_geography(rng: np.random.Generator, n: int) -> _Geography:
    ufs = _allocate(rng, BR_POPULATION, n)
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
        home[i] = int(ddd if ddd in ddds else _pick(ddds, u_home[i]))
        mobile[i] = int(_pick(ddds, u_mobile[i])) if moved[i] else home[i]
    missing = (u_missing < MISSING_MUNICIPALITY_SHARE).tolist()
    codes = ["" if m else code for (code, _, _), m in zip(places, missing, strict=True)]
    return _Geography(ufs, [name for _, name, _ in places], codes, home, mobile)


def _br_place(uf: str, u_special: float, u_capital: float, u_place: float) -> tuple[str, str, str]:
    """(IBGE code, municipality name, DDD) for one debtor in ``uf``, from three uniforms."""
    if uf == "AM" and u_special < AM_WEST_SHARE:
        code = _pick(_AM_WEST_CODES, u_place)
        return code, AM_WEST_MUNICIPALITIES[code], AM_WEST_DDD
    if uf == "PE" and u_special < NORONHA_SHARE:
        return NORONHA
    places = BR_MUNICIPALITIES[uf]
    if len(places) == 1 or u_capital < CAPITAL_SHARE:
        return places[0]
    return _pick(places[1:], u_place)


def _us_geography(rng: np.random.Generator, n: int) -> _Geography:
    states = _allocate(rng, {s: pop for s, (pop, _) in US_METROS.items()}, n)
    u_metro, u_npa = rng.random((2, n))
    cities, home = [], np.empty(n, dtype=np.int64)
    for i, (state, a, b) in enumerate(zip(states, u_metro.tolist(), u_npa.tolist(), strict=True)):
        city, npas = _pick(US_METROS[state][1], a)
        cities.append(city)
        home[i] = int(_pick(npas, b))
    mobile = home.copy()
    moved = np.flatnonzero(rng.random(n) < US_OUT_OF_STATE_MOBILE_SHARE)
    mobile[moved] = rng.choice(_US_ALL_NPAS, size=len(moved))
    return _Geography(states, cities, [""] * n, home, mobile)


def _allocate(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    """Regions for ``n`` debtors in proportion to ``weights``, in random order.

    Counts are fixed by largest remainder rather than sampled, with one debtor reserved per
    region once ``n`` allows it: small states (RR, AP, AC; WY, VT) carry their own rules and
    time zones and must not vanish from a 500-debtor sample by bad luck.
    """
    names = list(weights)
    share = np.array([weights[k] for k in names], dtype=float)
    share /= share.sum()
    reserved = 1 if n >= len(names) else 0
    rest = n - reserved * len(names)
    counts = np.floor(share * rest).astype(np.int64)
    short = rest - int(counts.sum())
    counts[np.argsort(-(share * rest - counts), kind="stable")[:short]] += 1
    regions = np.repeat(np.arange(len(names)), counts + reserved)
    return _take(names, rng.permutation(regions).tolist())


# --------------------------------------------------------------------------------------------
# Agents
# --------------------------------------------------------------------------------------------


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


def _agent_count(n_debtors: int) -> int:
    return max(4, round(n_debtors / 50))


def _br_agents(rng: np.random.Generator, n: int) -> list[dict[str, str]]:
    return _agents(rng, n, BR_SITES, "pt")


def _us_agents(rng: np.random.Generator, n: int) -> list[dict[str, str]]:
    return _agents(rng, n, US_SITES, "en;es")


def _agents(
    rng: np.random.Generator, n: int, sites: Sequence[tuple[str, float]], languages: str
) -> list[dict[str, str]]:
    pools = _allocate(rng, {p.name: p.share for p in POOLS}, n)
    pools.sort(key=[p.name for p in POOLS].index)  # agent ids grouped by pool read better
    by_name = {p.name: p for p in POOLS}
    zones = _allocate(rng, dict(sites), n)
    cph = rng.integers(CONTACTS_PER_HOUR[0], CONTACTS_PER_HOUR[1] + 1, n)
    rows = []
    for i, (pool_name, zone) in enumerate(zip(pools, zones, strict=True)):
        pool = by_name[pool_name]
        days = pool.days[rng.choice(len(pool.days), p=pool.days_weights)]
        values = (f"AG{i + 1:05d}", pool.name, *pool.shift, zone, str(cph[i]), *pool.breaks,
                  pool.segments, languages, days)  # fmt: skip
        rows.append(dict(zip(AGENT_COLUMNS, values, strict=True)))
    return rows


def _teams(agents: list[dict[str, str]], pools: int) -> list[dict[str, str]]:
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


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _choice(
    rng: np.random.Generator, values: Sequence[str], weights: Sequence[float], n: int
) -> list[str]:
    # Indexing a tuple of constants keeps one shared str object per value, which matters for
    # memory at a million rows.
    p = np.asarray(weights, dtype=float)
    return _take(values, rng.choice(len(values), size=n, p=p / p.sum()).tolist())


def _flags(rng: np.random.Generator, share: float, n: int) -> list[str]:
    return _take(_BOOL, (rng.random(n) < share).astype(np.int64).tolist())


def _take(values: Sequence[str], idx: list[int]) -> list[str]:
    return [values[i] for i in idx]


def _pick(values: Sequence[_T], u: float) -> _T:
    """The element a uniform draw ``u`` in [0, 1) lands on."""
    return values[int(u * len(values))]


def _write_csv_atomic(
    path: pathlib.Path, columns: Sequence[str], rows: list[dict[str, str]]
) -> None:
    # Owner-only like every file contactplan writes: the phone numbers are random but valid,
    # so they may be real people's.
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row[c] for c in columns] for row in rows)
    write_bytes_atomic(path, buf.getvalue().encode("utf-8"))


def _country_spec(country: str) -> _Country:
    try:
        return _COUNTRIES[country.upper()]
    except KeyError:
        raise ValueError(
            tr("unsupported country {country!r}; expected one of {expected}", country=country,
               expected=sorted(_COUNTRIES))
        ) from None


_AM_WEST_CODES: tuple[str, ...] = tuple(sorted(AM_WEST_MUNICIPALITIES))
_US_ALL_NPAS = np.array(
    sorted({int(npa) for _, metros in US_METROS.values() for _, npas in metros for npa in npas}),
    dtype=np.int64,
)

_COUNTRIES: dict[str, _Country] = {
    "BR": _Country(
        code="BR",
        language="pt",
        geography=_br_geography,
        phone_region="BR",
        calling_code=55,
        draw_numbers=_draw_br_numbers,
        formatters=_br_formats(),
        format_weights=(0.30, 0.30, 0.25, 0.15),
        agents=_br_agents,
    ),
    "US": _Country(
        code="US",
        language="en",
        geography=_us_geography,
        phone_region="US",
        calling_code=1,
        draw_numbers=_draw_us_numbers,
        formatters=_us_formats(),
        format_weights=(0.25, 0.30, 0.20, 0.15, 0.10),
        agents=_us_agents,
    ),
}
