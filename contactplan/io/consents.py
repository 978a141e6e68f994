"""Dated consent records for ``contactplan consent import``: opt-ins and revocations per channel.

Columns: ``debtor_id``, ``channel``, ``destination`` (blank: every destination of the debtor on
that channel), exactly one of ``granted_at`` and ``revoked_at`` (ISO 8601 with its UTC offset),
``source`` (where it came from: "SMS reply STOP", "call recording", "web form"), ``evidence_id``
(the record's id in the user's own systems: the audit and explain cite it, never the content).
The file is all or nothing: one bad row rejects the whole import with file:line:column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from contactplan.errors import InputError
from contactplan.i18n import N_, tr
from contactplan.io.csvfile import read_csv
from contactplan.io.history import FUTURE_SLACK, _instant
from contactplan.io.phones import PhoneError, destination_address
from contactplan.model import Channel, ConsentRecord

REQUIRED = ("debtor_id", "channel", "evidence_id")
KNOWN = (*REQUIRED, "destination", "granted_at", "revoked_at", "source")


def read_consents(path: str | Path, default_country: str = "BR", now: dt.datetime | None = None
                  ) -> tuple[list[ConsentRecord], list[str], Callable[[int, str, str], InputError]]:
    """The records, the file's unknown columns, and ``error(i, column, message)`` for the i-th
    record (the store's checks report with it)."""
    table, unknown = read_csv(path, REQUIRED, KNOWN)
    out: list[ConsentRecord] = []
    lines: list[int] = []
    for row in table.checked_rows(REQUIRED, "evidence_id", N_("evidence ids (the records' ids)")):
        v = row.values
        try:
            channel = Channel(v["channel"].lower())
        except ValueError:
            raise table.error(row.line, "channel", tr("must be voice, ivr, sms, whatsapp or email")) from None
        granted, revoked = v.get("granted_at", ""), v.get("revoked_at", "")
        if bool(granted) == bool(revoked):
            raise table.error(row.line, "granted_at", tr("give exactly one of granted_at and revoked_at"))
        column = "granted_at" if granted else "revoked_at"
        at = _instant(table, row.line, column, granted or revoked)
        if now is not None and at > now + FUTURE_SLACK:
            raise table.error(row.line, column, tr("is in the future (later than now); a record says what was "
                                                   "already given or withdrawn"))
        destination = ""
        if v.get("destination"):
            try:
                destination = destination_address(v["destination"], default_country, email=channel is Channel.EMAIL)
            except PhoneError as exc:
                raise table.error(row.line, "destination", str(exc)) from None
        out.append(ConsentRecord(v["evidence_id"], v["debtor_id"], channel, destination, bool(granted), at,
                                 v.get("source", "")))
        lines.append(row.line)

    def error(i: int, column: str, message: str) -> InputError:
        return table.error(lines[i], column, message)

    return out, unknown, error
