"""``contactplan history ...`` and ``contactplan suppress ...``: the store's commands."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contactplan.cli_common import DbOption, err, fail, mask, now, parse_date
from contactplan.errors import ContactplanError
from contactplan.i18n import N_, ntr, tr
from contactplan.io.csvfile import read_csv, unknown_columns
from contactplan.io.history_log import read_history_log
from contactplan.io.phones import PhoneError, destination_address
from contactplan.model import Channel, Suppression
from contactplan.store import AttemptConflict, StoreError, open_store, redact, resolve_url

history_app = typer.Typer(no_args_is_help=True, help="Contact history: import dialer outcomes, show, purge.")
suppress_app = typer.Typer(no_args_is_help=True, help="The do-not-contact list.")
consent_app = typer.Typer(no_args_is_help=True, help="Dated opt-ins and revocations per channel and destination.")
ShowDestinations = Annotated[bool, typer.Option("--show-destinations", help="Print full phone numbers and e-mails "
                                                "(personal data; masked by default)")]
DefaultCountry = Annotated[str, typer.Option("--default-country", help="Country of phone numbers not written in "
                                             "E.164 (ISO alpha-2)")]


@history_app.command("import")
def history_import(
    file: Annotated[Path, typer.Argument(help="Outcomes CSV: attempt_id, debtor_id, channel, destination, "
                                         "attempted_at, outcome[, agent_id, account_id]")],
    db: DbOption = None,
    default_country: DefaultCountry = "BR",
) -> None:
    """Import outcomes: all or nothing, and re-importing the same attempts adds nothing."""
    try:
        moment = now()
        url = resolve_url(db)
        rows, added, opt_outs, unknown = _import_history(url, file, default_country.upper(), moment)
    except ContactplanError as exc:
        fail(exc)
    if unknown:
        _warn_unknown(file, unknown)
    line = tr("{path}: {rows} attempts read, {added} added, {present} already in {store}", path=escape(str(file)),
              rows=rows, added=added, present=rows - added, store=redact(url))
    if opt_outs:
        line += tr("; {n} opt-out(s) recorded as suppressions", n=opt_outs)
    err.print(line)


def _import_history(url: str, file: Path, default_country: str, moment: dt.datetime
                    ) -> tuple[int, int, int, list[str]]:
    """(rows, added, suppressions added, unknown columns) of importing the file into the store."""
    known = _imported_rows(url, file)
    if known is not None:  # these very bytes are imported: nothing to read, nothing to add
        return known, 0, 0, []
    log = read_history_log(str(file), default_country, moment)
    try:
        rows, added, opt_outs = open_store(url).import_log(log.frame, sha256=log.sha256, source=str(file),
                                                           now=moment)
    except AttemptConflict as exc:
        raise log.error(exc.index, exc.column, tr("this attempt_id is already stored with another {column}; "
                                                  "nothing was imported (give the attempt a new id, or correct "
                                                  "the row)", column=exc.column)) from None
    return rows, added, opt_outs, log.unknown


def _imported_rows(url: str, file: Path) -> int | None:
    """The rows of this file's earlier import (by its bytes' sha256), if any. A file that cannot be
    read is left to the reader, whose error names it. The store is neither created nor upgraded
    for the question (a refused file must leave nothing behind): one without the record yet has
    no earlier import to answer from."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    try:
        with file.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None
    try:
        return open_store(url, migrate=False).imported_rows(digest)
    except StoreError:  # no schema yet, or the server is down: the import itself will say so
        return None


def _warn_unknown(file: Path, unknown) -> None:
    err.print(tr("[yellow]warning:[/yellow] {path}: ignored unknown column(s): {columns}", path=escape(str(file)),
                 columns=escape(unknown_columns(unknown))))


@history_app.command("show")
def history_show(debtor_id: Annotated[str, typer.Argument(help="The debtor's id")], db: DbOption = None,
                 show_destinations: ShowDestinations = False) -> None:
    """Every stored attempt of one debtor, in the time zone it was made in."""
    try:
        attempts = open_store(resolve_url(db)).history(debtor_id)
    except ContactplanError as exc:
        fail(exc)
    table = Table(title=tr("History of {debtor} ({n} attempts)", debtor=debtor_id, n=len(attempts)))
    # attempted_at and attempt_id are the outcomes file's own columns: the same in every language
    for col in ("attempted_at", tr("direction"), tr("channel"), tr("destination"), tr("outcome"), tr("callback at"),
                "attempt_id", tr("agent")):
        table.add_column(col)
    for a in attempts:
        table.add_row(*(escape(x) for x in (a.attempted_at.isoformat(), a.direction.value, a.channel.value,
                                            a.destination if show_destinations else mask(a.destination),
                                            a.outcome.value, a.callback_at.isoformat() if a.callback_at else "",
                                            a.attempt_id, a.agent_id)))
    Console().print(table)


@history_app.command("purge")
def history_purge(
    before: Annotated[str, typer.Option("--before", help="Delete attempts and archived plans before this date "
                                        "(YYYY-MM-DD, UTC)")],
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be deleted")] = False,
) -> None:
    """Retention (LGPD art. 15-16): delete old attempts and archived plans. Suppressions are kept."""
    day = parse_date(before, "--before", plan=False)
    try:
        counts = open_store(resolve_url(db)).purge(day, dry_run=dry_run)
    except ContactplanError as exc:
        fail(exc)
    if dry_run:
        err.print(tr("would delete {attempts} attempts and {plans} archived plans before {day}",
                     attempts=counts["attempts"], plans=counts["plans"], day=day))
    else:
        err.print(tr("deleted {attempts} attempts and {plans} archived plans before {day}",
                     attempts=counts["attempts"], plans=counts["plans"], day=day))


def _address(text: str, channel: Channel | None, country: str) -> str:
    """A typed destination as the readers store it: an e-mail for the e-mail channel, a phone
    for the others, either when no channel is named. Raises PhoneError."""
    email = None if channel is None else channel is Channel.EMAIL
    return destination_address(text, country.upper(), email=email)


def _channel(text: str | None, option: str) -> Channel | None:
    if not text:
        return None
    try:
        return Channel(text.lower())
    except ValueError:
        raise typer.BadParameter(tr("must be voice, ivr, sms, whatsapp or email"), param_hint=option) from None


@suppress_app.command("add")
def suppress_add(
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the entry)")],
    debtor: Annotated[Optional[str], typer.Option("--debtor", help="Debtor id")] = None,
    destination: Annotated[Optional[str], typer.Option("--destination", help="Phone (E.164) or e-mail")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="Only this channel (default all)")] = None,
    source: Annotated[str, typer.Option("--source", help="Who asked / where it came from")] = "manual",
    expires: Annotated[Optional[str], typer.Option("--expires", help="First day contact is allowed again "
                                                   "(YYYY-MM-DD); default never")] = None,
    db: DbOption = None,
    default_country: DefaultCountry = "BR",
) -> None:
    """Add one do-not-contact entry for a debtor, a destination, or both.

    The destination is normalised as the debtor file's are (E.164, e-mail in lower case), so
    "(85) 98891-8567" suppresses +5585988918567; what cannot be read is refused."""
    if not debtor and not destination:
        raise typer.BadParameter(tr("give --debtor, --destination or both"), param_hint="--debtor")
    kind = _channel(channel, "--channel")
    address = ""
    if destination:
        try:
            address = _address(destination, kind, default_country)
        except PhoneError as exc:
            raise typer.BadParameter(str(exc), param_hint="--destination") from None
    entry = Suppression(debtor or "", address, kind, reason, source,
                        parse_date(expires, "--expires", plan=False) if expires else None)
    try:
        added = open_store(resolve_url(db)).add_suppressions([entry], now())
    except ContactplanError as exc:
        fail(exc)
    err.print(tr("added 1 suppression") if added else tr("already present (same debtor, destination, channel, "
                                                         "source)"))


SUPPRESS_COLUMNS = ("debtor_id", "destination", "channel", "reason", "source", "expires_on")


@suppress_app.command("import")
def suppress_import(file: Annotated[Path, typer.Argument(help="CSV with debtor_id, destination, channel, reason, "
                                                          "source, expires_on")], db: DbOption = None,
                    default_country: DefaultCountry = "BR") -> None:
    """Import do-not-contact entries: all or nothing; entries already present are kept."""
    try:
        table, unknown = read_csv(str(file), ("reason",), SUPPRESS_COLUMNS)
        entries = []
        for row in table.rows:
            v = row.values
            if not v.get("debtor_id") and not v.get("destination"):
                raise table.error(row.line, "debtor_id", tr("needs a debtor_id, a destination or both"))
            try:
                channel = Channel(v["channel"].lower()) if v.get("channel") else None
            except ValueError:
                raise table.error(row.line, "channel", tr("must be voice, ivr, sms, whatsapp, email or blank "
                                                          "(all)")) from None
            try:
                expires = dt.date.fromisoformat(v["expires_on"]) if v.get("expires_on") else None
            except ValueError:
                raise table.error(row.line, "expires_on", tr("is not a date (YYYY-MM-DD)")) from None
            if not v["reason"]:
                raise table.error(row.line, "reason", tr("is blank"))
            address = ""
            if v.get("destination"):
                try:
                    address = _address(v["destination"], channel, default_country)
                except PhoneError as exc:
                    raise table.error(row.line, "destination", str(exc)) from None
            entries.append(Suppression(v.get("debtor_id", ""), address, channel, v["reason"],
                                       v.get("source") or Path(file).name, expires))
        added = open_store(resolve_url(db)).add_suppressions(entries, now())
    except ContactplanError as exc:
        fail(exc)
    if unknown:
        _warn_unknown(file, unknown)
    err.print(tr("{path}: {n} entries read, {added} added", path=escape(str(file)), n=len(entries), added=added))


@suppress_app.command("list")
def suppress_list(debtor: Annotated[Optional[str], typer.Option("--debtor", help="Only this debtor")] = None,
                  db: DbOption = None, show_destinations: ShowDestinations = False) -> None:
    """The do-not-contact list."""
    try:
        entries = open_store(resolve_url(db)).suppressions(debtor_id=debtor)
    except ContactplanError as exc:
        fail(exc)
    table = Table(title=tr("Suppressions ({n})", n=len(entries)))
    # expires_on is the suppressions file's own column: the same in every language
    for col in (tr("debtor"), tr("destination"), tr("channel"), tr("in force since"), "expires_on", tr("source"),
                tr("reason")):
        table.add_column(col, overflow="fold")
    unreadable = 0
    for s in entries:
        dest = s.destination if show_destinations or not s.destination else mask(s.destination)
        if s.destination and not _normalised(s.destination):
            unreadable += 1
            dest += tr(" (unreadable)")
        table.add_row(*(escape(x) for x in (s.debtor_id or "*", dest or "*", s.channel.value if s.channel else "*",
                                            s.since.isoformat(timespec="seconds") if s.since else "",
                                            str(s.expires_on or tr("never")), s.source, s.reason)))
    Console().print(table)
    if unreadable:
        err.print(ntr("[yellow]warning:[/yellow] {n} entry name a destination "
                      "that is neither a phone number nor an e-mail address contactplan can read, so they match no "
                      "debtor: add them again with `contactplan suppress add --destination ...`",
                      "[yellow]warning:[/yellow] {n} entries name a destination "
                      "that is neither a phone number nor an e-mail address contactplan can read, so they match no "
                      "debtor: add them again with `contactplan suppress add --destination ...`", unreadable))


def _normalised(destination: str) -> bool:
    try:
        return destination_address(destination, "BR", possible=True) == destination
    except PhoneError:
        return False


@consent_app.command("import")
def consent_import(
    file: Annotated[Path, typer.Argument(help="CSV: debtor_id, channel, destination, granted_at or revoked_at, "
                                         "source, evidence_id")],
    db: DbOption = None,
    default_country: DefaultCountry = "BR",
) -> None:
    """Import dated opt-ins and revocations: all or nothing; re-importing the same records adds nothing.

    The latest record of a destination and channel decides: a revocation wins over a file flag
    saying yes, an opt-in lets a debtor whose flag is blank be messaged (a flag saying no still
    wins). The audit and explain cite records by evidence id and date, never their content."""
    from contactplan.io.consents import read_consents

    try:
        moment = now()
        records, unknown, error = read_consents(str(file), default_country.upper(), moment)
        url = resolve_url(db)
        try:
            rows, added = open_store(url).import_consents(records, now=moment)
        except AttemptConflict as exc:
            raise error(exc.index, exc.column, tr("this evidence_id is already stored with another {column}; "
                                                  "nothing was imported", column=exc.column)) from None
    except ContactplanError as exc:
        fail(exc)
    if unknown:
        _warn_unknown(file, unknown)
    err.print(tr("{path}: {rows} consent records read, {added} added, {present} already in {store}",
                 path=escape(str(file)), rows=rows, added=added, present=rows - added, store=redact(url)))


@consent_app.command("list")
def consent_list(debtor: Annotated[Optional[str], typer.Option("--debtor", help="Only this debtor")] = None,
                 db: DbOption = None, show_destinations: ShowDestinations = False) -> None:
    """The consent records, oldest first (destinations masked unless asked)."""
    try:
        records = open_store(resolve_url(db)).consents(debtor_id=debtor)
    except ContactplanError as exc:
        fail(exc)
    table = Table(title=tr("Consent records ({n})", n=len(records)))
    for col in (N_("debtor"), N_("channel"), N_("destination"), N_("granted"), N_("at"), N_("source"),
                N_("evidence id")):
        table.add_column(tr(col), overflow="fold")
    for r in records:
        dest = r.destination if show_destinations or not r.destination else mask(r.destination)
        table.add_row(*(escape(x) for x in (r.debtor_id, r.channel.value, dest or "*",
                                            tr("yes") if r.granted else tr("revoked"),
                                            r.at.isoformat(timespec="seconds"), r.source, r.record_id)))
    Console().print(table)
