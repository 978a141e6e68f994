"""debtors.csv: one row per account; rows sharing debtor_id are one person.

Every row ends up either in a Debtor or in a Rejection with file:line:column and a reason.
When one account row of a person is bad, the whole person is rejected: planning on a partial
balance or on the flags of only some accounts could contact someone who must not be contacted.
Messages never quote names, phones, e-mails or documents.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers

from contactplan.io import values
from contactplan.io.phones import PhoneError, to_e164
from contactplan.io.csvfile import CsvTable, Row, read_csv
from contactplan.model import Channel, Debtor, Destination, LineType, Rejection
from contactplan.timezones import DDD_TO_UF, DDD_ZONES, IBGE_STATE_PREFIX, UnknownRegion, phone_zones, resolve_zones

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
_QUOTABLE = {"balance", "country", "region", "municipality_code", "timezone", "days_past_due", "due_date", "p_pay",
             "segment", "language", "preferred_channel", "preferred_window", *FLAG_COLUMNS, *CONSENT_COLUMNS}
_PHONE_LINE = {"phone_mobile": LineType.MOBILE, "phone_home": LineType.HOME, "phone_work": LineType.WORK}
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


@dataclass
class DebtorFile:
    path: str
    debtors: list[Debtor]
    rejections: list[Rejection]
    rows: int
    rejected_debtors: int
    unknown_columns: list[str]
    encoding: str
    delimiter: str
    sha256: str = ""
    read_ids: set[str] = field(default_factory=set)


@dataclass
class _Account:
    line: int
    row: dict[str, str]
    balance: Decimal
    destinations: list[Destination]
    area_codes: list[str]
    answers: dict[str, bool | None]  # flags and consents, parsed once


class _RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _quoted(column: str, raw: str) -> str:
    return f" ('{raw[:40]}')" if column in _QUOTABLE and raw else ""


def _parse_phone(column: str, raw: str, country: str) -> tuple[Destination, str]:
    try:
        e164, mobile, nsn = to_e164(raw, country)
    except PhoneError as exc:
        if str(exc) == "not valid":
            raise _RowError(column, f"is not a valid phone number for country {country}"
                                    + ("; include the area code (DDD), e.g. (11) 98765-4321" if country == "BR"
                                       else ""))
        raise _RowError(column, f"is not a phone number (for country {country}); use E.164 such as "
                                "+55 11 98765 4321")
    area = nsn[:2] if e164.startswith("+55") else nsn[:3] if e164.startswith("+1") else ""
    maybe_mobile = column == "phone_mobile" or mobile
    return Destination(e164, _PHONE_LINE[column], maybe_mobile=maybe_mobile, column=column), area


def _parse_account(row: Row) -> _Account:
    v = row.values
    if not v["debtor_id"]:
        raise _RowError("debtor_id", "is blank")
    country = v["country"].upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise _RowError("country", f"must be an ISO 3166 alpha-2 code such as BR or US{_quoted('country', v['country'])}")
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise _RowError("country", f"is not a known country code; use ISO 3166 alpha-2 such as BR or US"
                                   f"{_quoted('country', v['country'])}")
    try:
        balance = values.parse_money(v["balance"])
    except ValueError as exc:
        raise _RowError("balance", f"{exc}{_quoted('balance', v['balance'])}")
    if balance < 0:
        raise _RowError("balance", "must not be negative (a credit balance is not collected)")
    destinations: list[Destination] = []
    area_codes: list[str] = []
    for column in _PHONE_LINE:
        raw = v.get(column, "")
        if raw:
            dest, area = _parse_phone(column, raw, country)
            destinations.append(dest)
            if area:
                area_codes.append(area)
    email = v.get("email", "")
    if email:
        if not _EMAIL.match(email):
            raise _RowError("email", "is not an e-mail address")
        destinations.append(Destination(email.lower(), LineType.EMAIL, column="email"))
    if not destinations:
        raise _RowError("phone_mobile", "no contact method: fill at least one of phone_mobile, phone_home, phone_work, "
                                        "email")
    for column, parse in (("p_pay", values.parse_probability), ("days_past_due", values.parse_int),
                          ("preferred_window", values.parse_window), ("due_date", values.parse_date)):
        try:
            parse(v.get(column, ""))
        except ValueError as exc:
            raise _RowError(column, f"{exc}{_quoted(column, v.get(column, ''))}")
    answers: dict[str, bool | None] = {}
    for column in (*FLAG_COLUMNS, *CONSENT_COLUMNS):
        raw = v.get(column, "")
        if not raw:
            answers[column] = None
            continue
        try:
            answers[column] = values.parse_bool(raw)
        except ValueError as exc:
            raise _RowError(column, f"{exc}{_quoted(column, raw)}")
    pc = v.get("preferred_channel", "").lower()
    if pc and pc not in {c.value for c in Channel}:
        raise _RowError("preferred_channel", f"must be one of voice, ivr, sms, whatsapp, email{_quoted('preferred_channel', pc)}")
    muni = v.get("municipality_code", "")
    if muni and not re.fullmatch(r"\d{7}", muni):
        raise _RowError("municipality_code", f"must be the 7-digit IBGE code{_quoted('municipality_code', muni)}")
    return _Account(row.line, v, balance, destinations, area_codes, answers)


def _merge(debtor_id: str, accounts: list[_Account]) -> Debtor:
    """One person from their account rows. Restrictions combine conservatively."""
    first = accounts[0].row
    for column in ("country", "region", "municipality_code", "timezone"):
        seen = {a.row.get(column, "").upper() for a in accounts}
        if len(seen) > 1:
            lines = ", ".join(str(a.line) for a in accounts)
            raise _RowError(column, f"account rows of the same debtor_id disagree (lines {lines}); make them equal")
    country = first["country"].upper()
    region = first["region"].upper()
    try:
        zr = resolve_zones(country, region or None, municipality_code=first.get("municipality_code") or None,
                           timezone=first.get("timezone") or None,
                           area_codes=tuple(dict.fromkeys(c for a in accounts for c in a.area_codes)))
    except UnknownRegion as exc:
        column = "timezone" if first.get("timezone") else "municipality_code" if first.get("municipality_code") \
            else "region"
        raise _RowError(column, str(exc))
    zones, note = zr.zones, zr.note
    if zr.source in ("municipality", "region"):
        zones, note = _with_phone_zones(zr.zones, zr.note, [d for a in accounts for d in a.destinations])
    if not region and country == "BR":
        region = _uf_without_region(first.get("municipality_code", ""),
                                    {c for a in accounts for c in a.area_codes})
    destinations = tuple(dict.fromkeys(d for a in accounts for d in a.destinations))
    flags = frozenset(c for c in FLAG_COLUMNS if any(a.answers[c] for a in accounts))
    consents: dict[str, bool | None] = {}
    for column in CONSENT_COLUMNS:
        answers = [a.answers[column] for a in accounts]
        # A refusal on any account is a refusal by the person (LGPD art. 18 §2; TCPA revocation).
        consents[column] = False if False in answers else True if True in answers else None
    balance = sum((a.balance for a in accounts), Decimal("0"))
    p_values = [(values.parse_probability(a.row.get("p_pay", "")), a.balance) for a in accounts]
    p_known = [(p, b) for p, b in p_values if p is not None]
    p_pay = None
    if p_known:
        weight = sum(b for _, b in p_known)
        p_pay = float(sum(Decimal(str(p)) * b for p, b in p_known) / weight) if weight else max(p for p, _ in p_known)
    dpd = [values.parse_int(a.row.get("days_past_due", "")) for a in accounts]
    dpd_known = [d for d in dpd if d is not None]
    pc = next((a.row.get("preferred_channel", "").lower() for a in accounts if a.row.get("preferred_channel")), "")
    pw = next((values.parse_window(a.row["preferred_window"]) for a in accounts if a.row.get("preferred_window")), None)
    return Debtor(
        debtor_id=debtor_id, country=country, region=region, balance=balance,
        zones=zones, zone_source=zr.source, zone_note=note, destinations=destinations,
        flags=flags, consents=consents, municipality_code=first.get("municipality_code", ""),
        p_pay=p_pay, days_past_due=max(dpd_known) if dpd_known else None,
        segment=first.get("segment", ""), language=first.get("language", "").lower(),
        preferred_channel=Channel(pc) if pc else None, preferred_window=pw,
        account_ids=tuple(a.row.get("account_id", "") for a in accounts if a.row.get("account_id")),
        lines=tuple(a.line for a in accounts),
    )


_REFERENCE_INSTANTS = (dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC))


@lru_cache(maxsize=1024)
def _clock(zone: str) -> tuple[dt.timedelta, ...]:
    """A zone's UTC offsets in January and July: zones with equal clocks cannot disagree on a window."""
    return tuple(t.astimezone(ZoneInfo(zone)).utcoffset() for t in _REFERENCE_INSTANTS)


@lru_cache(maxsize=65536)
def _prefix_zones(prefix: str, e164: str) -> tuple[str, ...]:
    return phone_zones(e164)


def _zones_of_phone(e164: str) -> tuple[str, ...]:
    if e164.startswith("+55"):
        return DDD_ZONES.get(e164[3:5], ())
    if e164.startswith("+1"):
        return _prefix_zones(e164[:8], e164)  # NANP zones are per area code and exchange
    return ()


def _with_phone_zones(zones: tuple[str, ...], note: str, destinations) -> tuple[tuple[str, ...], str]:
    """Add the zones of the debtor's phone area codes when their clocks differ from the address's:
    the contact must then be allowed in every candidate zone (Reg F 1006.6(b)(1)(i) commentary;
    the same caution in Brazil, where people keep their DDD when they move)."""
    address_clocks = {_clock(z) for z in zones}
    clocks = set(address_clocks)
    extra: list[str] = []
    for d in destinations:
        if d.line_type is LineType.EMAIL:
            continue
        candidates = _zones_of_phone(d.address)
        # An area code that may be the address's own place agrees with it (DDD 81 is Recife or Noronha).
        if any(_clock(z) in address_clocks for z in candidates):
            continue
        for z in candidates:
            if _clock(z) not in clocks:
                extra.append(z)
                clocks.add(_clock(z))
    if not extra:
        return zones, note
    return (*zones, *extra), (f"{note}; a phone's area code points to {', '.join(extra)}: "
                              "contacted only when allowed in every zone")


def _uf_without_region(municipality_code: str, area_codes: set[str]) -> str:
    """The UF when the row left region blank: from the IBGE code's state prefix, else from the area
    codes when they all belong to one UF. State holidays and state laws need it; when it stays
    unknown the holiday rule treats a holiday in any UF as a holiday for the debtor."""
    if municipality_code[:2] in IBGE_STATE_PREFIX:
        return IBGE_STATE_PREFIX[municipality_code[:2]]
    ufs = {DDD_TO_UF[c] for c in area_codes if c in DDD_TO_UF}
    return ufs.pop() if len(ufs) == 1 else ""


def read_debtors(path: str | Path) -> DebtorFile:
    table, unknown = read_csv(path, REQUIRED, KNOWN)
    if not any(c in table.header for c in CONTACT_COLUMNS):
        from contactplan.errors import InputError

        raise InputError(table.path, f"no contact column; the header needs at least one of {', '.join(CONTACT_COLUMNS)}",
                         line=1)
    return _build(table, unknown)


def _reject(table: CsvTable, line: int, err: _RowError, debtor_id: str) -> Rejection:
    return Rejection(table.path, line, err.column, table.column_index(err.column), err.message, debtor_id)


def _build(table: CsvTable, unknown: list[str]) -> DebtorFile:
    by_debtor: dict[str, list[_Account]] = defaultdict(list)
    rejections: list[Rejection] = []
    bad_ids: set[str] = set()
    order: list[str] = []
    for row in table.rows:
        for column in CONTACT_COLUMNS + OPTIONAL:
            row.values.setdefault(column, "")
        debtor_id = row.values["debtor_id"]
        try:
            account = _parse_account(row)
        except _RowError as err:
            rejections.append(_reject(table, row.line, err, debtor_id))
            bad_ids.add(debtor_id)
            continue
        if debtor_id not in by_debtor:
            order.append(debtor_id)
        by_debtor[debtor_id].append(account)
    debtors: list[Debtor] = []
    for debtor_id in order:
        accounts = by_debtor[debtor_id]
        if debtor_id in bad_ids:
            for a in accounts:
                rejections.append(Rejection(table.path, a.line, "debtor_id", table.column_index("debtor_id"),
                                            "another account row of this debtor is invalid; the debtor is not planned",
                                            debtor_id))
            continue
        try:
            debtors.append(_merge(debtor_id, accounts))
        except _RowError as err:
            bad_ids.add(debtor_id)
            rejections.append(_reject(table, accounts[0].line, err, debtor_id))
    rejections.sort(key=lambda r: r.line)
    all_ids = {r.values["debtor_id"] for r in table.rows}
    return DebtorFile(table.path, debtors, rejections, len(table.rows), len(bad_ids), unknown, table.encoding,
                      table.delimiter, sha256=table.sha256, read_ids=all_ids)
