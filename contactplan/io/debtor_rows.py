"""The row reader of debtors.csv, and what the vectorised reader (io.debtors_fast) shares with
it: the columns, the per-value checks, an account row parsed, a person's accounts merged, the
place and zones resolved, the rejection of a row. ``io.debtors.read_debtors`` chooses the path.

Every row ends up either in a Debtor or in a Rejection with file:line:column and a reason.
When one account row of a person is bad, the whole person is rejected: planning on a partial
balance or on the flags of only some accounts could contact someone who must not be contacted.
Messages never quote names, phones, e-mails or documents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers

from contactplan.errors import quoted
from contactplan.i18n import current_language, tr
from contactplan.io import values
from contactplan.io.csvfile import CsvTable, Row
from contactplan.io.frozen import constructor, paused_gc
from contactplan.io.phones import EMAIL, PhoneError, to_e164
from contactplan.model import Channel, Debtor, DebtorFile, Destination, LineType, Rejection
from contactplan.timezones import (
    DDD_TO_UF,
    DDD_ZONES,
    IBGE_STATE_PREFIX,
    UnknownRegion,
    address_key,
    narrow_by_address,
    phone_zones,
    resolve_zones,
)

REQUIRED = ("debtor_id", "balance", "country", "region")
CONTACT_COLUMNS = ("phone_mobile", "phone_home", "phone_work", "email")
FLAG_COLUMNS = ("do_not_contact", "cease_and_desist", "disputed", "bankruptcy", "deceased",
                "attorney_represented", "no_work_calls")
CONSENT_COLUMNS = ("sms_consent", "whatsapp_consent", "email_consent", "autodial_consent")
OPTIONAL = ("account_id", "name", "cpf", "document", "city", "municipality_code", "postal_code", "timezone",
            "days_past_due", "due_date", "p_pay", "segment", "language", "preferred_channel", "preferred_window",
            *CONTACT_COLUMNS, *FLAG_COLUMNS, *CONSENT_COLUMNS)
KNOWN = (*REQUIRED, *OPTIONAL)
DEBTOR_COLUMNS_FOR_FUZZ = KNOWN
# Columns whose values may be quoted back in an error message (nothing that identifies a person).
ANSWER_COLUMNS = (*FLAG_COLUMNS, *CONSENT_COLUMNS)
_PHONE_LINE = {"phone_mobile": LineType.MOBILE, "phone_home": LineType.HOME, "phone_work": LineType.WORK}
new_debtor = constructor(Debtor)
new_destination = constructor(Destination)


@dataclass(slots=True)
class Account:
    """One parsed account row: what ``merge_accounts`` needs, parsed once."""

    line: int
    country: str  # upper case, validated
    region: str  # the next three as written (stripped): they are compared and resolved per person
    municipality_code: str
    timezone: str
    segment: str
    language: str
    account_id: str
    balance: Decimal
    destinations: list[Destination]
    area_codes: list[str]
    phone_zones: list[tuple[str, ...]]  # what each phone's area code implies (zones_of_phone)
    answers: tuple[bool | None, ...]  # flags and consents, in ANSWER_COLUMNS order
    p_pay: float | None
    days_past_due: int | None
    preferred_channel: str  # lower case, "" when blank
    preferred_window: tuple[dt.time, dt.time] | None
    address: str = ""  # what of the postal address narrows the zones (timezones.address_key)


# The largest balance of one account (documented in the README). Larger values are refused per row.
MAX_BALANCE = Decimal("999999999999.99")


class RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _quoted(column: str, raw: str) -> str:
    """The cell's value after a message, only with --show-values (errors.quoted)."""
    return quoted(raw)


# One check per column, each raising the row's RowError. _parse_account runs them in order; the
# fast reader (debtors_fast) runs the same functions once per distinct value of a column.

def parse_country(raw: str) -> str:
    country = raw.upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RowError("country", tr("must be an ISO 3166 alpha-2 code such as BR or US") + _quoted("country", raw))
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise RowError("country", tr("is not a known country code; use ISO 3166 alpha-2 such as BR or US")
                       + _quoted("country", raw))
    return country


def _balance(raw: str) -> Decimal:
    try:
        balance = values.parse_money(raw)
    except ValueError as exc:
        raise RowError("balance", f"{exc}{_quoted('balance', raw)}")
    if balance < 0:
        raise RowError("balance", tr("must not be negative (a credit balance is not collected)"))
    if balance > MAX_BALANCE:
        # A debt this large is a typo or another column's value (a document number, a phone).
        raise RowError("balance", tr("is larger than {largest:,.2f} (the largest balance contactplan accepts)",
                                     largest=MAX_BALANCE))
    return balance


_OPTIONAL_PARSERS = {"p_pay": values.parse_probability, "days_past_due": values.parse_int,
                     "preferred_window": values.parse_window, "due_date": values.parse_date}


def parse_optional(column: str, raw: str):
    """p_pay, days_past_due, preferred_window or due_date; None when blank."""
    try:
        return _OPTIONAL_PARSERS[column](raw)
    except ValueError as exc:
        raise RowError(column, f"{exc}{_quoted(column, raw)}")


def parse_answer(column: str, raw: str) -> bool | None:
    """A flag or a consent: True, False or None (blank: unknown)."""
    if not raw:
        return None
    try:
        return values.parse_bool(raw)
    except ValueError as exc:
        raise RowError(column, f"{exc}{_quoted(column, raw)}")


_CHANNELS = frozenset(c.value for c in Channel)


def parse_channel(raw: str) -> str:
    pc = raw.lower()
    if pc and pc not in _CHANNELS:
        raise RowError("preferred_channel", tr("must be one of voice, ivr, sms, whatsapp, email")
                       + _quoted("preferred_channel", pc))
    return pc


def parse_municipality(raw: str) -> str:
    if raw and not re.fullmatch(r"[0-9]{7}", raw):
        raise RowError("municipality_code", tr("must be the 7-digit IBGE code") + _quoted("municipality_code", raw))
    return raw


def _parse_phone(column: str, raw: str, country: str) -> tuple[Destination, str]:
    try:
        e164, mobile, nsn = to_e164(raw, country)
    except PhoneError as exc:
        if str(exc) == "not valid":  # to_e164's key, not a message
            if country == "BR":
                raise RowError(column, tr("is not a valid phone number for country {country}; include the area code "
                                          "(DDD), e.g. (11) 98765-4321", country=country))
            raise RowError(column, tr("is not a valid phone number for country {country}", country=country))
        raise RowError(column, tr("is not a phone number (for country {country}); use E.164 such as "
                                  "+55 11 98765 4321", country=country))
    area = nsn[:2] if e164.startswith("+55") else nsn[:3] if e164.startswith("+1") else ""
    maybe_mobile = column == "phone_mobile" or mobile
    return new_destination(address=e164, line_type=_PHONE_LINE[column], maybe_mobile=maybe_mobile, column=column), area


def _parse_account(row: Row) -> Account:
    v = row.values
    if not v["debtor_id"]:
        raise RowError("debtor_id", tr("is blank"))
    for column in ("debtor_id", "account_id"):
        problem = values.control_character_problem(v.get(column, ""))
        if problem:
            raise RowError(column, problem)
    country = parse_country(v["country"])
    balance = _balance(v["balance"])
    destinations: list[Destination] = []
    area_codes: list[str] = []
    phone_zones: list[tuple[str, ...]] = []
    for column in _PHONE_LINE:
        raw = v.get(column, "")
        if raw:
            dest, area = _parse_phone(column, raw, country)
            destinations.append(dest)
            phone_zones.append(zones_of_phone(dest.address))
            if area:
                area_codes.append(area)
    email = v.get("email", "")
    if email:
        if not EMAIL.match(email):
            raise RowError("email", tr("is not an e-mail address"))
        destinations.append(new_destination(address=email.lower(), line_type=LineType.EMAIL, maybe_mobile=False,
                                            column="email"))
    if not destinations:
        raise RowError("phone_mobile", tr("no contact method: fill at least one of phone_mobile, phone_home, "
                                          "phone_work, email"))
    parsed = {column: parse_optional(column, v.get(column, "")) for column in _OPTIONAL_PARSERS}
    answers = tuple([parse_answer(column, v.get(column, "")) for column in ANSWER_COLUMNS])
    pc = parse_channel(v.get("preferred_channel", ""))
    muni = parse_municipality(v.get("municipality_code", ""))
    return Account(row.line, country, v["region"], muni, v.get("timezone", ""), v.get("segment", ""),
                   v.get("language", ""), v.get("account_id", ""), balance, destinations, area_codes, phone_zones,
                   answers,
                   parsed["p_pay"], parsed["days_past_due"], pc, parsed["preferred_window"],
                   address_key(country, v["region"], v.get("postal_code", ""), v.get("city", "")))


_PLACE_COLUMNS = ("country", "region", "municipality_code", "timezone")
_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a person is: the zones and the UF/state the Debtor gets (see ``resolve_place``)."""

    region: str
    zones: tuple[str, ...]
    zone_source: str
    zone_note: str


def merge_accounts(debtor_id: str, accounts: list[Account]) -> Debtor:
    """One person from their account rows. Restrictions combine conservatively."""
    first = accounts[0]
    if len(accounts) > 1:
        _check_same_place(accounts)
    # A repeated phone zone adds nothing in _with_phone_zones; dropping repeats helps resolve_place's cache.
    # Accounts that give different addresses do not narrow the zones (every candidate stays).
    address = first.address if all(a.address == first.address for a in accounts) else ""
    place = resolve_place(first.country, first.region.upper(), first.municipality_code, first.timezone,
                          tuple(dict.fromkeys([c for a in accounts for c in a.area_codes])),
                          tuple(dict.fromkeys([z for a in accounts for z in a.phone_zones])), address)
    flags, consents = combine_answers(tuple([a.answers for a in accounts]))
    dpd_known = [a.days_past_due for a in accounts if a.days_past_due is not None]
    pc = next((a.preferred_channel for a in accounts if a.preferred_channel), "")
    return new_debtor(
        debtor_id=debtor_id, country=first.country, region=place.region,
        balance=sum([a.balance for a in accounts], _ZERO),
        zones=place.zones, zone_source=place.zone_source, zone_note=place.zone_note,
        destinations=tuple(dict.fromkeys([d for a in accounts for d in a.destinations])),
        flags=flags, consents=dict(consents), municipality_code=first.municipality_code,
        p_pay=_weighted_p_pay([(a.p_pay, a.balance) for a in accounts if a.p_pay is not None]),
        days_past_due=max(dpd_known) if dpd_known else None,
        segment=first.segment, language=first.language.lower(),
        preferred_channel=Channel(pc) if pc else None,
        preferred_window=next((a.preferred_window for a in accounts if a.preferred_window is not None), None),
        account_ids=tuple([a.account_id for a in accounts if a.account_id]),
        lines=tuple([a.line for a in accounts]),
    )


def _check_same_place(accounts: list[Account]) -> None:
    if len({(a.country, a.region.upper(), a.municipality_code.upper(), a.timezone.upper()) for a in accounts}) == 1:
        return
    for column in _PLACE_COLUMNS:
        if len({getattr(a, column).upper() for a in accounts}) > 1:
            lines = ", ".join(str(a.line) for a in accounts)
            raise RowError(column, tr("account rows of the same debtor_id disagree (lines {lines}); make them equal",
                                      lines=lines))


@lru_cache(maxsize=4096)
def combine_answers(per_account: tuple[tuple[bool | None, ...], ...]
                    ) -> tuple[frozenset[str], dict[str, bool | None]]:
    """The person's flags and consents from each account's answers (in ANSWER_COLUMNS order).

    A flag set on any account is set for the person. Few combinations occur, hence the cache;
    callers copy the consents dict, which is shared.
    """
    flags = frozenset(c for i, c in enumerate(FLAG_COLUMNS) if any(a[i] for a in per_account))
    consents: dict[str, bool | None] = {}
    for i, column in enumerate(CONSENT_COLUMNS, start=len(FLAG_COLUMNS)):
        answers = [a[i] for a in per_account]
        # A refusal on any account is a refusal by the person (LGPD art. 18 §2; TCPA revocation).
        consents[column] = False if False in answers else True if True in answers else None
    return flags, consents


def _weighted_p_pay(known: list[tuple[float, Decimal]]) -> float | None:
    """The person's p_pay: the accounts' values weighted by balance (the largest when all balances are 0)."""
    if not known:
        return None
    weight = sum([b for _, b in known])
    if not weight:
        return max([p for p, _ in known])
    return float(sum([_decimal(p) * b for p, b in known]) / weight)


@lru_cache(maxsize=4096)
def _decimal(p: float) -> Decimal:
    return Decimal(str(p))


def resolve_place(country: str, region: str, municipality_code: str, timezone: str, area_codes: tuple[str, ...],
                  phone_zones: tuple[tuple[str, ...], ...], address: str = "") -> _Place:
    """``_place_in`` in the reader's language (the zone note is read by a person: cached per language)."""
    return _place_in(current_language(), country, region, municipality_code, timezone, area_codes, phone_zones,
                     address)


@lru_cache(maxsize=65536)
def _place_in(language: str, country: str, region: str, municipality_code: str, timezone: str,
              area_codes: tuple[str, ...], phone_zones: tuple[tuple[str, ...], ...], address: str = "") -> _Place:
    """Zones from the address (or the area codes), narrowed by the ZIP code or city in a US state
    with several zones (``address``, timezones.address_key), widened by the phones' zones, and the UF.

    ``phone_zones`` are the zones each phone's area code implies (``zones_of_phone``), in the
    order of the phones. Few distinct arguments occur in a portfolio, hence the cache; a bad
    place raises RowError (not cached) naming the column to fix.
    """
    try:
        zr = resolve_zones(country, region or None, municipality_code=municipality_code or None,
                           timezone=timezone or None, area_codes=area_codes)
    except UnknownRegion as exc:
        column = exc.field or ("timezone" if timezone else "municipality_code" if municipality_code else "region")
        raise RowError(column, str(exc))
    zones, note = zr.zones, zr.note
    if zr.source == "region" and address:
        narrowed = narrow_by_address(region, zones, address)
        if narrowed is not None:
            zones, note = narrowed
            zr = dataclasses.replace(zr, zones=zones, source="postal_code", note=note)
    if zr.source in ("municipality", "region", "postal_code"):
        zones, note = _with_phone_zones(zr.zones, zr.note, phone_zones)
    if not region and country == "BR":
        region = _uf_without_region(municipality_code, set(area_codes))
    return _Place(region, zones, zr.source, note)


_REFERENCE_INSTANTS = (dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC))


@lru_cache(maxsize=1024)
def _clock(zone: str) -> tuple[dt.timedelta, ...]:
    """A zone's UTC offsets in January and July: zones with equal clocks cannot disagree on a window."""
    return tuple(t.astimezone(ZoneInfo(zone)).utcoffset() for t in _REFERENCE_INSTANTS)


@lru_cache(maxsize=65536)
def _prefix_zones(prefix: str, e164: str) -> tuple[str, ...]:
    return phone_zones(e164)


def zones_of_phone(e164: str) -> tuple[str, ...]:
    if e164.startswith("+55"):
        return DDD_ZONES.get(e164[3:5], ())
    if e164.startswith("+1"):
        return _prefix_zones(e164[:8], e164)  # NANP zones are per area code and exchange
    return ()


def _with_phone_zones(zones: tuple[str, ...], note: str,
                      phone_zones: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], str]:
    """Add the zones of the debtor's phone area codes when their clocks differ from the address's:
    the contact must then be allowed in every candidate zone (Reg F 1006.6(b)(1)(i) commentary;
    the same caution in Brazil, where people keep their DDD when they move)."""
    address_clocks = {_clock(z) for z in zones}
    clocks = set(address_clocks)
    extra: list[str] = []
    for candidates in phone_zones:
        # An area code that may be the address's own place agrees with it (DDD 81 is Recife or Noronha).
        if any(_clock(z) in address_clocks for z in candidates):
            continue
        for z in candidates:
            if _clock(z) not in clocks:
                extra.append(z)
                clocks.add(_clock(z))
    if not extra:
        return zones, note
    return (*zones, *extra), tr("{note}; a phone's area code points to {zones}: contacted only when allowed in "
                                "every zone", note=note, zones=", ".join(extra))


def _uf_without_region(municipality_code: str, area_codes: set[str]) -> str:
    """The UF when the row left region blank: from the IBGE code's state prefix, else from the area
    codes when they all belong to one UF. State holidays and state laws need it; when it stays
    unknown the holiday rule treats a holiday in any UF as a holiday for the debtor."""
    if municipality_code[:2] in IBGE_STATE_PREFIX:
        return IBGE_STATE_PREFIX[municipality_code[:2]]
    ufs = {DDD_TO_UF[c] for c in area_codes if c in DDD_TO_UF}
    return ufs.pop() if len(ufs) == 1 else ""


def has_contact_column(header: list[str]) -> bool:
    return any(c in header for c in CONTACT_COLUMNS)


def reject(table: CsvTable, line: int, err: RowError, debtor_id: str) -> Rejection:
    return Rejection(table.path, line, err.column, table.column_index(err.column), err.message, debtor_id)


@dataclass
class _Outcome:
    """Debtors (in order of their first row) and rejections from some rows of a table."""

    debtors: list[Debtor] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    bad_ids: set[str] = field(default_factory=set)


def build(table: CsvTable, unknown: list[str]) -> DebtorFile:
    out = read_rows(table, table.rows)
    out.rejections.sort(key=lambda r: r.line)
    all_ids = {r.values["debtor_id"] for r in table.rows}
    return DebtorFile(table.path, out.debtors, out.rejections, len(table.rows), len(out.bad_ids), unknown,
                      table.encoding, table.delimiter, sha256=table.sha256, read_ids=all_ids)


def read_rows(table: CsvTable, rows: list[Row]) -> _Outcome:
    """The row path: parse each row, then merge each debtor's accounts. ``rows`` hold every row of
    the debtors they mention (a person is judged on all their accounts)."""
    with paused_gc():
        return _read_accounts(table, rows)


def _read_accounts(table: CsvTable, rows: list[Row]) -> _Outcome:
    by_debtor: dict[str, list[Account]] = defaultdict(list)
    out = _Outcome()
    order: list[str] = []
    for row in rows:
        for column in CONTACT_COLUMNS + OPTIONAL:
            row.values.setdefault(column, "")
        debtor_id = row.values["debtor_id"]
        try:
            account = _parse_account(row)
        except RowError as err:
            out.rejections.append(reject(table, row.line, err, debtor_id))
            out.bad_ids.add(debtor_id)
            continue
        if debtor_id not in by_debtor:
            order.append(debtor_id)
        by_debtor[debtor_id].append(account)
    for debtor_id in order:
        accounts = by_debtor[debtor_id]
        if debtor_id in out.bad_ids:
            for a in accounts:
                out.rejections.append(Rejection(table.path, a.line, "debtor_id", table.column_index("debtor_id"),
                                                tr("another account row of this debtor is invalid; the debtor is "
                                                   "not planned"), debtor_id))
            continue
        try:
            out.debtors.append(merge_accounts(debtor_id, accounts))
        except RowError as err:
            out.bad_ids.add(debtor_id)
            out.rejections.append(reject(table, accounts[0].line, err, debtor_id))
    return out
