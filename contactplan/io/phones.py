"""Phone numbers to E.164: a fast path for the common shapes, the full phonenumbers parser for the rest.

Parsing with phonenumbers costs about 50 µs a number, most of a large file's reading time. The
fast path strips punctuation and matches the national number against phonenumbers' *own*
metadata patterns for mobile and fixed lines (so validity still comes from the library, not from
rules written here); anything else - letters, carrier codes, other countries, unusual lengths -
goes to ``phonenumbers.parse``. A property test checks that both paths agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from contactplan.i18n import tr

_PUNCTUATION = re.compile(r"[\s().\-/]")
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER,
                PhoneNumberType.UNKNOWN}


@lru_cache(maxsize=8)
def _patterns(region: str):
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.mobile is None or meta.fixed_line is None:
        return None
    mobile = meta.mobile.national_number_pattern
    fixed = meta.fixed_line.national_number_pattern
    if not mobile or not fixed:
        return None
    return str(meta.country_code), re.compile(mobile), re.compile(fixed), mobile == fixed


class PhoneError(ValueError):
    """Not a phone number, or not a valid one for the country.

    ``to_e164`` raises it with a key callers compare ("not a phone number", "not valid"), never
    shown; ``email_address`` and ``destination_address`` with a message for the reader (tr)."""


def to_e164(raw: str, region: str) -> tuple[str, bool, str]:
    """(E.164, may be a mobile, national significant number). Raises PhoneError."""
    fast = _fast(raw, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise PhoneError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not valid")
    nsn = phonenumbers.national_significant_number(number)
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.number_type(number) in MOBILE_TYPES, nsn if number.country_code in (1, 55) else "")


# An e-mail address as the readers accept it: one "@", a dot in the domain, no blanks or list
# separators. Addresses are compared in lower case everywhere (readers, history, suppressions).
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def email_address(raw: str) -> str:
    """The address in the form every reader stores it. Raises PhoneError when it is not one."""
    text = raw.strip()
    if not EMAIL.match(text):
        raise PhoneError(tr("not an e-mail address"))
    return text.lower()


def destination_address(raw: str, region: str, *, email: bool | None = None, possible: bool = False) -> str:
    """A phone number (E.164) or e-mail address typed any way a user types it, normalised as the
    debtor reader does, so that history, suppressions and debtors name a destination alike.

    ``email`` True/False says which it must be (None: an "@" makes it an e-mail). ``possible``
    accepts a phone number phonenumbers finds possible though not valid (a dialer log records
    what was dialled, even a number since withdrawn). Raises PhoneError with what is wrong."""
    text = raw.strip()
    if email or (email is None and "@" in text):
        return email_address(text)
    try:
        return to_e164(text, region)[0]
    except PhoneError as exc:
        if not possible or str(exc) != "not valid":
            if str(exc) == "not valid":
                raise PhoneError(tr("is not a valid phone number for country {country}", country=region)) from None
            raise PhoneError(tr("is not a phone number (for country {country}); use E.164 such as "
                                "+55 11 98765 4321", country=region)) from None
    number = phonenumbers.parse(text, region)
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(tr("is not a possible phone number for country {country}", country=region))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _fast(raw: str, region: str) -> tuple[str, bool, str] | None:
    if region not in ("BR", "US"):
        return None
    patterns = _patterns(region)
    if patterns is None:
        return None
    code, mobile, fixed, same = patterns
    digits = _PUNCTUATION.sub("", raw)
    if not digits.isascii():
        return None  # other scripts' digits: phonenumbers normalises them (the full parser)
    if digits.startswith("+"):
        if not digits[1:].isdigit() or not digits[1:].startswith(code):
            return None
        nsn = digits[1 + len(code):]
    elif digits.isdigit():
        nsn = digits
        if region == "BR" and len(nsn) in (11, 12) and nsn[0] == "0" and nsn[1] != "0":
            nsn = nsn[1:]  # trunk prefix: "011 98765-4321" (carrier codes go to the full parser)
        elif region == "US" and len(nsn) == 11 and nsn[0] == "1":
            nsn = nsn[1:]
    else:
        return None
    if len(nsn) not in ((10, 11) if region == "BR" else (10,)):
        return None
    if mobile.fullmatch(nsn):
        return f"+{code}{nsn}", True, nsn
    if fixed.fullmatch(nsn):
        return f"+{code}{nsn}", same, nsn
    return None


# Characters a value may have for the vectorised fast path below: digits and the punctuation
# _fast strips (ASCII only, so polars' regexes and Python's agree on every character).
FAST_PHONE_VALUE = r"^[0-9+ ().\-/]+$"
# _fast's three ways to the national significant number once punctuation is gone, as one regex
# per region; the first alternative that matches wins, as in _fast. The lengths are _fast's.
_NSN = {
    # "+55" then the number | trunk "0" before a DDD (not "00") | the number as it is
    "BR": r"^(?:\+55([0-9]{10,11})|0([1-9][0-9]{9,10})|([0-9]{10,11}))$",
    # "+1" then the number | "1" before the 10 digits | the 10 digits
    "US": r"^(?:\+1([0-9]{10})|1([0-9]{10})|([0-9]{10}))$",
}


def fast_e164_frame(text, region: str):
    """``_fast`` on a whole polars string Series, for the vectorised debtor reader (debtors_fast).

    Returns a DataFrame with the columns ``e164``, ``maybe_mobile`` and ``nsn``: null where ``_fast``
    returns None or the value has a character outside FAST_PHONE_VALUE, otherwise exactly
    ``_fast``'s answer (tests/test_reader_fast.py checks that they agree). None when the region
    has no fast path.
    """
    import polars as pl

    if region not in _NSN or _patterns(region) is None:
        return None
    code, mobile, fixed, same = _patterns(region)
    digits = text.str.replace_all(r"[ ().\-/]", "").set(~text.str.contains(FAST_PHONE_VALUE), None)
    nsn = pl.select(pl.coalesce(digits.str.extract_groups(_NSN[region]).struct.unnest())).to_series()
    is_mobile = nsn.str.contains(f"^(?:{mobile.pattern})$")
    nsn = nsn.set(~(is_mobile | nsn.str.contains(f"^(?:{fixed.pattern})$")), None)
    return pl.DataFrame({"e164": ("+" + code) + nsn, "maybe_mobile": is_mobile | same, "nsn": nsn})
