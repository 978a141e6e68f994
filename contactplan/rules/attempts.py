"""What the kinds that count recorded attempts share (frequency_cap, daily_cap,
conversation_cooldown): which attempts count -- by outcome, direction, line type and whether a
call back the debtor asked for is taken out -- and how a pack's parameters say so.
"""

from __future__ import annotations

import functools

from contactplan.i18n import tr
from contactplan.model import Destination, Direction, LineType, Outcome
from contactplan.rules.base import ParamError, take

# Line types a cap may be limited to. "mobile" also matches a number that may be wireless
# (Destination.maybe_mobile): a cap on cell phones must hold for every number that may be one.
LINE_TYPES = ("mobile", "home", "work", "email")


def outcomes(params: dict, key: str, default: list[str]) -> frozenset[Outcome]:
    names = take(params, key, list, default)
    try:
        return frozenset(Outcome(n) for n in names)
    except ValueError:
        raise ParamError(key, tr("must list outcomes among {names}", names=", ".join(o.value for o in Outcome))) \
            from None


def directions(params: dict, default: list[str]) -> frozenset[Direction]:
    names = take(params, "directions", list, default)
    try:
        found = frozenset(Direction(n) for n in names)
    except ValueError:
        raise ParamError("directions", tr("must list outbound (made by the collector) and/or inbound (by the "
                                          "debtor)")) from None
    if not found:
        raise ParamError("directions", tr("must list at least one direction"))
    return found


def consented_callbacks(params: dict, choices: tuple[str, str]) -> str:
    value = take(params, "consented_callbacks", str, choices[0])
    if value not in choices:
        raise ParamError("consented_callbacks", tr("must be {first} or {second}", first=choices[0],
                                                   second=choices[1]))
    return value


def line_types(params: dict) -> frozenset[LineType] | None:
    names = take(params, "line_types", list, [])
    if not names:
        return None
    if any(n not in LINE_TYPES for n in names):
        raise ParamError("line_types", tr("must list line types among {names}", names=", ".join(LINE_TYPES)))
    return frozenset(LineType(n) for n in names)


def matches_line_types(dest: Destination, types: frozenset[LineType] | None) -> bool:
    """Whether a destination is of one of the cap's line types (no types: every destination)."""
    if types is None:
        return True
    return dest.line_type in types or (LineType.MOBILE in types and dest.maybe_mobile)


def joined(names: list[str]) -> str:
    """``a and b`` (``a and b and c``) in the reader's language; the names are kept as they are."""
    return functools.reduce(lambda a, b: tr("{first} and {second}", first=a, second=b), names)


def counts_text(counted: frozenset[Direction], not_counted: frozenset[Outcome]) -> str:
    """Which attempts a cap counts, in words (``rules show``)."""
    who = joined(sorted(d.value for d in counted))
    if not_counted:
        return tr("counts {directions} attempts except {outcomes}", directions=who,
                  outcomes=", ".join(sorted(o.value for o in not_counted)))
    return tr("counts {directions} attempts", directions=who)
