"""Phone numbers: random but valid for the country (the readers reject invalid ones), in the
mixed formats real exports carry. Valid numbers may belong to real subscribers: generated files
must never reach a live dialer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import phonenumbers

from contactplan.generate.country import Country
from contactplan.i18n import tr

_MAX_PHONE_ATTEMPTS = 100


def phone_column(
    rng: np.random.Generator, spec: Country, area: np.ndarray, mask: np.ndarray, kind: str
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
    rng: np.random.Generator, spec: Country, area: np.ndarray, kind: str
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


def _is_valid(spec: Country, numbers: np.ndarray) -> np.ndarray:
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


def draw_br_numbers(rng: np.random.Generator, ddd: np.ndarray, kind: str) -> np.ndarray:
    size = len(ddd)
    if kind == "mobile":
        # 9 + 8 digits; live mobile ranges start 9 6..9 after the leading 9.
        subscriber = 900_000_000 + rng.integers(60_000_000, 100_000_000, size)
        return ddd * 1_000_000_000 + subscriber
    # Landlines: 8 digits starting 2..5.
    return ddd * 100_000_000 + rng.integers(20_000_000, 60_000_000, size)


def draw_us_numbers(rng: np.random.Generator, npa: np.ndarray, _kind: str) -> np.ndarray:
    size = len(npa)
    exchange = rng.integers(200, 1000, size)
    # N11 are service codes and 555 is mostly fictional or directory assistance.
    special = (exchange % 100 == 11) | (exchange == 555)
    exchange = np.where(special, exchange - 1, exchange)
    return npa * 10_000_000 + exchange * 10_000 + rng.integers(0, 10_000, size)


def br_formats() -> tuple[Callable[[str], str], ...]:
    def dashed(local: str) -> str:
        return f"{local[:-4]}-{local[-4:]}"

    return (
        lambda s: f"+55 {s[:2]} {dashed(s[2:])}",
        lambda s: f"({s[:2]}) {dashed(s[2:])}",
        lambda s: s,
        lambda s: f"+55{s}",
    )


def us_formats() -> tuple[Callable[[str], str], ...]:
    return (
        lambda s: f"+1 {s[:3]}-{s[3:6]}-{s[6:]}",
        lambda s: f"({s[:3]}) {s[3:6]}-{s[6:]}",
        lambda s: s,
        lambda s: f"+1{s}",
        lambda s: f"{s[:3]}-{s[3:6]}-{s[6:]}",
    )
