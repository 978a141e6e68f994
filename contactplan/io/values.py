"""Parsing cell values. Each parser raises ValueError with a message fit for a user.

Messages may quote the offending value only for non-personal columns; the readers decide.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from contactplan.i18n import N_, tr

_TRUE = {"true", "1", "yes", "y", "sim", "s", "t", "verdadeiro"}
_FALSE = {"false", "0", "no", "n", "não", "nao", "f", "falso"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Control characters (C0 and DEL): a line break or a tab inside an id would split or shift a row
# of plan.csv or of a dialer file downstream (csv.writer does not quote a carriage return).
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f]"
_CONTROL = re.compile(CONTROL_CHARACTERS)


def control_character_problem(text: str) -> str | None:
    """Why an identifier cannot be used as it is, or None (the value itself is never quoted)."""
    if _CONTROL.search(text):
        return tr("contains a control character (a line break, a tab or the like); remove it")
    return None


_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
# Numbers are written with the ASCII digits 0-9 only: Python would also read "1_000", Arabic-
# Indic or full-width digits, which no spreadsheet writes and which hide a mistyped cell.
_AMOUNT = re.compile(r"^[+-]?[0-9.,]+$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def parse_bool(text: str) -> bool | None:
    """true/false/1/0/yes/no/sim/não; blank is None (unknown)."""
    t = text.strip().lower()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(tr("expected true/false, 1/0, yes/no or sim/não"))


def parse_money(text: str) -> Decimal:
    """Decimal with a dot or a comma as the decimal separator ("1.234,56", "1234.56", "1234,56").

    A single separator followed by exactly three digits ("1,234" or "1.234") is ambiguous between a
    thousands separator and a decimal one, so it is refused rather than guessed.
    """
    t = text.strip().replace(" ", "").replace("R$", "").replace("$", "")
    if not t:
        raise ValueError(tr("is blank; expected an amount such as 1234.56"))
    if not _AMOUNT.match(t):
        raise ValueError(tr("is not an amount; expected the digits 0-9 with a dot or comma for cents"))
    if "," in t and "." in t:
        dec = "," if t.rfind(",") > t.rfind(".") else "."
        thousands = "." if dec == "," else ","
        t = t.replace(thousands, "").replace(dec, ".")
    elif t.count(",") == 1 or t.count(".") == 1:
        sep = "," if "," in t else "."
        whole, frac = t.split(sep)
        digits = whole.lstrip("-")
        if len(frac) == 3 and digits.isdigit() and 1 <= len(digits) <= 3 and digits != "0":
            raise ValueError(tr("is ambiguous (thousands or decimal separator?); write it as 1234.00 or 1234,00"))
        t = t.replace(",", ".")
    elif t.count(",") > 1 or t.count(".") > 1:
        t = t.replace(",", "").replace(".", "")  # only thousands separators: 1.234.567
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise ValueError(tr("is not an amount; expected digits with a dot or comma for cents")) from None
    if not value.is_finite():
        raise ValueError(tr("is not a finite amount"))
    return value


def parse_probability(text: str) -> float | None:
    t = text.strip().replace(",", ".")
    if not t:
        return None
    if not _NUMBER.match(t):
        raise ValueError(tr("is not a number between 0 and 1 (digits 0-9 and a dot or comma)"))
    try:
        p = float(t)
    except ValueError:
        raise ValueError(tr("is not a number between 0 and 1")) from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(tr("must be between 0 and 1"))
    return p


def parse_int(text: str, *, minimum: int | None = None) -> int | None:
    t = text.strip()
    if not t:
        return None
    if not _INTEGER.match(t):
        raise ValueError(tr("is not a whole number (digits 0-9)"))
    try:
        n = int(t)
    except ValueError:
        raise ValueError(tr("is not a whole number")) from None
    if minimum is not None and n < minimum:
        raise ValueError(tr("must be at least {minimum}", minimum=minimum))
    return n


def parse_time(text: str) -> dt.time:
    """HH:MM, 24-hour clock. 24:00 is accepted as the end of the day."""
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(tr("expected a time as HH:MM (24-hour clock)"))
    h, mi = int(m.group(1)), int(m.group(2))
    if h == 24 and mi == 0:
        return dt.time.max
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        raise ValueError(tr("is not a valid time of day"))
    return dt.time(h, mi)


def parse_window(text: str) -> tuple[dt.time, dt.time] | None:
    """"HH:MM-HH:MM" local time; blank is None."""
    t = text.strip()
    if not t:
        return None
    parts = t.split("-")
    if len(parts) != 2:
        raise ValueError(tr("expected a window as HH:MM-HH:MM"))
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if end <= start:
        raise ValueError(tr("window must end after it starts"))
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """Weekdays as ranges or lists: "Mon-Fri", "Mon-Sat", "Mon,Wed,Fri", "Sat". Monday is 0."""
    t = text.strip().lower()
    if not t:
        return frozenset(range(5))
    days: set[int] = set()
    for part in re.split(r"[,;]", t):
        part = part.strip()
        if "-" in part:
            a, b = (p.strip()[:3] for p in part.split("-", 1))
            if a not in _WEEKDAYS or b not in _WEEKDAYS:
                raise ValueError(tr("expected weekdays such as Mon-Fri or Mon,Wed,Fri"))
            i, j = _WEEKDAYS.index(a), _WEEKDAYS.index(b)
            if j < i:
                raise ValueError(tr("weekday range must go forward, e.g. Mon-Sat"))
            days.update(range(i, j + 1))
        else:
            if part[:3] not in _WEEKDAYS:
                raise ValueError(tr("expected weekdays such as Mon-Fri or Mon,Wed,Fri"))
            days.add(_WEEKDAYS.index(part[:3]))
    return frozenset(days)


def parse_list(text: str) -> frozenset[str]:
    """A list inside one cell, separated by ';' or '|' (',' is often the file delimiter)."""
    return frozenset(p.strip() for p in re.split(r"[;|]", text) if p.strip())


WEEKDAY_NAMES = _WEEKDAYS
# The weekdays as people read them, Monday first (WEEKDAY_NAMES are what files and packs say).
_SHOWN_WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def weekday_shown(weekday: int) -> str:
    """A weekday (0 = Monday) as people read it in their language: Mon, or seg."""
    return tr(_SHOWN_WEEKDAYS[weekday])


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD, or DD/MM/YYYY as Brazilian spreadsheets write it. Blank -> None."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii():
        raise ValueError(tr("is not a date; use YYYY-MM-DD or DD/MM/YYYY (digits 0-9)"))
    try:
        if "/" in text:
            day, month, year = text.split("/")
            if len(year) != 4:
                raise ValueError
            return dt.date(int(year), int(month), int(day))
        return dt.date.fromisoformat(text)
    except (ValueError, OverflowError):  # OverflowError: a day or month too large for a C int
        raise ValueError(tr("is not a date; use YYYY-MM-DD or DD/MM/YYYY")) from None


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 instant with its UTC offset (``Z`` for UTC), inside the dates contactplan works
    with: a local time without an offset is ambiguous across Brazil's and the USA's zones."""
    from contactplan.model import FIRST_PLAN_DATE, LAST_PLAN_DATE

    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(tr("is not an ISO 8601 date-time such as 2026-11-23T14:05:00-03:00")) from None
    if when.tzinfo is None:
        raise ValueError(tr("needs its UTC offset (e.g. -03:00): local times are ambiguous"))
    if not FIRST_PLAN_DATE.year - 1 <= when.year <= LAST_PLAN_DATE.year:
        raise ValueError(tr("is outside the dates contactplan works with ({first} to {last})",
                            first=FIRST_PLAN_DATE, last=LAST_PLAN_DATE))
    return when
