"""Dialer and messaging outcomes (history files) for ``contactplan history import``.

Columns (DESIGN.md): attempt_id, debtor_id, channel, destination, attempted_at (ISO 8601 with
its UTC offset), outcome; optional agent_id, account_id, direction (outbound, the default, or
inbound: a call the debtor placed, a message the debtor sent) and callback_at (for outcome
callback_requested: when the debtor asked to be called). The file is all or nothing: one bad row
rejects the whole import with file:line:column and what to fix, so history is never half-known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from contactplan.errors import InputError
from contactplan.i18n import N_, tr
from contactplan.io.csvfile import CsvTable, Row, read_csv
from contactplan.io.frozen import constructor, paused_gc
from contactplan.io.phones import PhoneError, destination_address
from contactplan.io.values import parse_instant
from contactplan.model import Attempt, Channel, Direction, Outcome

REQUIRED = ("attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome")
KNOWN = (*REQUIRED, "agent_id", "account_id", "direction", "callback_at")
# Each value a history file may write, and what it stands for (the readers and the store share them).
DIRECTION_OF = {d.value: d for d in Direction}
# How far ahead a debtor may ask to be called back (a request for next month is a note for a
# person, not a booking).
CALLBACK_HORIZON = dt.timedelta(days=30)
CHANNEL_OF = {c.value: c for c in Channel}
OUTCOME_OF = {o.value: o for o in Outcome}
FUTURE_SLACK = dt.timedelta(hours=1)
new_attempt = constructor(Attempt)  # Attempt(...), without a setattr per field: a log has millions


def _instant(table, line: int, column: str, text: str) -> dt.datetime:
    """An ISO 8601 instant with its UTC offset, inside the dates contactplan works with."""
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise table.error(line, column, str(exc)) from None


def read_history(path: str | Path, default_country: str = "BR", now: dt.datetime | None = None
                 ) -> tuple[list[Attempt], str, list[str]]:
    """Attempts, the file's sha256 and its unknown columns. Raises InputError on the first bad row.
    Destinations are normalised as the debtor reader does (E.164, e-mail in lower case). With
    ``now``, an attempt made later than now (an hour's slack for clocks) is a bad row."""
    attempts, sha, unknown, _ = read_history_lines(path, default_country, now)
    return attempts, sha, unknown


def by_debtor(attempts: Iterable[Attempt]) -> list[list[Attempt]]:
    """A log's attempts grouped per debtor, in the order the debtors first appear."""
    groups: dict[str, list[Attempt]] = {}
    for a in attempts:
        groups.setdefault(a.debtor_id, []).append(a)
    return list(groups.values())


def read_history_lines(path: str | Path, default_country: str = "BR", now: dt.datetime | None = None
                       ) -> tuple[list[Attempt], str, list[str], Callable[[int, str, str], InputError]]:
    """read_history, and ``error(i, column, message)``: the file:line:column error about the
    i-th attempt's column (the store's checks against stored attempts report with it)."""
    with paused_gc():
        return _read(path, default_country, now)


def _read(path: str | Path, default_country: str, now: dt.datetime | None
          ) -> tuple[list[Attempt], str, list[str], Callable[[int, str, str], InputError]]:
    table, unknown = read_csv(path, REQUIRED, KNOWN)
    out: list[Attempt] = []
    lines: list[int] = []
    addresses: dict[tuple[str, bool], str] = {}
    for row in table.checked_rows(REQUIRED, "attempt_id", N_("attempt ids")):
        out.append(row_attempt(table, row, default_country, now, addresses))
        lines.append(row.line)

    def error(i: int, column: str, message: str) -> InputError:
        return table.error(lines[i], column, message)

    return out, table.sha256, unknown, error


def row_attempt(table: CsvTable, row: Row, default_country: str, now: dt.datetime | None,
                addresses: dict[tuple[str, bool], str]) -> Attempt:
    """One row (required columns filled, id not repeated: ``checked_rows``) as the Attempt it
    records, or the file:line:column error of its first bad value. ``addresses`` remembers the
    normalised destinations (a log names each destination many times)."""
    v = row.values
    channel = CHANNEL_OF.get(v["channel"].lower())
    if channel is None:
        raise table.error(row.line, "channel", tr("must be voice, ivr, sms, whatsapp or email"))
    outcome = OUTCOME_OF.get(v["outcome"].lower())
    if outcome is None:
        raise table.error(row.line, "outcome", tr("must be one of {outcomes}", outcomes=", ".join(OUTCOME_OF)))
    when = _instant(table, row.line, "attempted_at", v["attempted_at"])
    if now is not None and when > now + FUTURE_SLACK:
        # A dialer log records what was done: an attempt after now is a clock or export error,
        # and stored it would hold caps and cooldowns for days that have not come.
        raise table.error(row.line, "attempted_at", tr("is in the future (later than now); a result file "
                                                       "records attempts already made"))
    typed = (v["destination"], channel is Channel.EMAIL)
    destination = addresses.get(typed)
    if destination is None:
        try:
            destination = addresses[typed] = destination_address(typed[0], default_country, email=typed[1],
                                                                 possible=True)
        except PhoneError as exc:
            raise table.error(row.line, "destination", str(exc)) from None
    direction = DIRECTION_OF.get((v.get("direction") or "outbound").lower())
    if direction is None:
        raise table.error(row.line, "direction", tr("must be outbound (made by the collector) or inbound (by "
                                                    "the debtor), or blank for outbound"))
    callback = None
    if v.get("callback_at"):
        if outcome is not Outcome.CALLBACK_REQUESTED:
            raise table.error(row.line, "callback_at", tr("is only for outcome callback_requested"))
        callback = _instant(table, row.line, "callback_at", v["callback_at"])
        if not when <= callback <= when + CALLBACK_HORIZON:
            raise table.error(row.line, "callback_at", tr("must be after attempted_at and at most 30 days later"))
    elif outcome is Outcome.CALLBACK_REQUESTED:
        raise table.error(row.line, "callback_at", tr("is blank; outcome callback_requested needs the time the "
                                                      "debtor asked to be called (ISO 8601 with its offset)"))
    return new_attempt(v["attempt_id"], v["debtor_id"], channel, destination, when, outcome,
                       v.get("account_id", ""), v.get("agent_id", ""), direction, callback)
