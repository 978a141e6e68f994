"""plan.csv, the output contract: one row per planned contact.

Columns (fixed order): plan_id, plan_date, debtor_id, channel, destination, window_start,
window_end, timezone, window_start_utc, window_end_utc, pool, rank, expected_value, rules.
Windows are half-open: the dialer may start an attempt at window_start and must not start one at
or after window_end. Written atomically (temporary file, then rename) and readable by the owner only.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from contactplan.io.files import write_stdout, write_stdout_bytes
from contactplan.errors import OutputError
from contactplan.i18n import os_reason, tr
from contactplan.io.csvfile import from_spreadsheet, spreadsheet_safe
from contactplan.io.values import parse_instant
from contactplan.model import Channel, PlannedContact

COLUMNS = ("plan_id", "plan_date", "debtor_id", "channel", "destination", "window_start", "window_end", "timezone",
           "window_start_utc", "window_end_utc", "pool", "rank", "expected_value", "rules")


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(text: str, delimiter: str = ",") -> bool:
    """No character that csv.writer (QUOTE_MINIMAL, the delimiter and '"') would quote or escape:
    such a field is written exactly as it is."""
    return not (delimiter in text or '"' in text or "\n" in text or "\r" in text)


def _window(timezone: str, start: dt.datetime, end: dt.datetime, delimiter: str
            ) -> tuple[tuple[str, ...], str | None]:
    """The fields window_start, window_end (with the zone's offset), timezone, window_start_utc and
    window_end_utc, and the same joined by the delimiter when every one is plain (else None)."""
    zone = ZoneInfo(timezone)
    fields = (start.astimezone(zone).isoformat(), end.astimezone(zone).isoformat(), timezone, _utc(start), _utc(end))
    joined = delimiter.join(fields) if all(type(f) is str and _plain(f, delimiter) for f in fields) else None
    return fields, joined


_CHANNEL_TEXT = {ch: ch.value for ch in Channel}
_RISKY = frozenset("=+-@\t\r'")  # first characters spreadsheet_safe may change


def render(plan_id: str, plan_date: dt.date, contacts: Iterable[PlannedContact], *, arm: bool = False,
           delimiter: str = ",") -> str:
    """plan.csv as text: csv.writer's output (QUOTE_MINIMAL, "\n" line ends), row for row; with
    another ``delimiter`` (``--delimiter ";"`` for Excel users) the same file so delimited."""
    return "".join(_lines(plan_id, plan_date, contacts, arm, delimiter))


def _lines(plan_id: str, plan_date: dt.date, contacts: Iterable[PlannedContact], arm: bool = False,
           delimiter: str = ",") -> Iterator[str]:
    """With ``arm`` (a plan made with a holdout), every row ends with its arm column."""
    if arm:
        for line in _lines(plan_id, plan_date, contacts_with_arm := _Remember(contacts), delimiter=delimiter):
            if contacts_with_arm.last is None:
                yield f"{line[:-1]}{delimiter}arm\n"
            else:
                yield f"{line[:-1]}{delimiter}{contacts_with_arm.last.arm}\n"
        return

    """plan.csv line by line, header first, each exactly as csv.writer writes it.

    A million rows through csv.writer cost seconds, most of it formatting each window in the
    debtor's zone and in UTC and checking every field for quoting. A plan has a few dozen
    distinct (zone, window) pairs, so each is formatted once; and a row whose fields are all
    plain text (no comma, quote or line break: every row of our own plans) is exactly its fields
    joined by commas, so it is joined directly. Any other row still goes through csv.writer.
    """
    written: list[str] = []
    # csv.writer calls write() once per row: each row it writes is the last item of `written`.
    writer = csv.writer(_Lines(written), delimiter=delimiter, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield written.pop()
    day = plan_date.isoformat()
    d = delimiter
    head = f"{plan_id}{d}{day}{d}" if type(plan_id) is str and _plain(plan_id, d) else None
    # (timezone, window) -> its fields; the key keeps fold so that equal keys are the same
    # instants (window keys, see contactplan.rules.base).
    windows: dict[tuple, tuple[tuple[str, ...], str | None]] = {}
    for c in contacts:
        start, end, timezone = c.window_start, c.window_end, c.timezone
        key = (timezone, start, start.fold, end, end.fold)
        window = windows.get(key)
        if window is None:
            window = windows[key] = _window(timezone, start, end, d)
        fields, joined = window
        debtor_id, destination, pool, rank = c.debtor_id, c.destination, c.pool, c.rank
        # The cells that come from the user's files, neutralised where a spreadsheet would run
        # them as formulas (csvfile.spreadsheet_safe); everything else is ours.
        if type(debtor_id) is str and debtor_id[:1] in _RISKY:
            debtor_id = spreadsheet_safe(debtor_id)
        if type(pool) is str and pool[:1] in _RISKY:
            pool = spreadsheet_safe(pool)
        if type(destination) is str and destination[:1] in _RISKY:
            destination = spreadsheet_safe(destination)
        value = f"{c.expected_value:.2f}"
        rules = ";".join(c.rules)
        channel = _CHANNEL_TEXT.get(c.channel)
        if (head is not None and joined is not None and channel is not None and type(debtor_id) is str
                and type(destination) is str and type(pool) is str and type(rank) is int
                and _plain(debtor_id + destination + pool + value + rules, d)):
            yield f"{head}{debtor_id}{d}{channel}{d}{destination}{d}{joined}{d}{pool}{d}{rank}{d}{value}{d}{rules}\n"
        else:
            writer.writerow([plan_id, day, debtor_id, c.channel.value, destination, *fields, pool, rank, value, rules])
            yield written.pop()


class _Remember:
    """The contacts, remembering the one last handed out (its line is the next one written)."""

    def __init__(self, contacts: Iterable[PlannedContact]):
        self._it, self.last = iter(contacts), None

    def __iter__(self):
        for c in self._it:
            self.last = c
            yield c


class _Lines:
    """A file for csv.writer that appends each row it writes to a list."""

    def __init__(self, lines: list[str]):
        self.write = lines.append


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write the whole file or nothing (mode 0600): an interrupted or failed run (kill -9, disk
    full) leaves the previous file intact, and no temporary file behind when it can clean up."""
    write_chunks_atomic(path, (data,))


def write_chunks_atomic(path: str | Path, chunks: Iterable[bytes]) -> None:
    """write_bytes_atomic for data that comes in pieces (made as they are written, so a large
    file is never held whole in memory). If making a piece fails, nothing is written either.

    ``-`` is standard output. A device, pipe or socket (``-o /dev/stdout``, a FIFO) is written
    to as it is: replacing it by a file would destroy it. A symbolic link is followed, so the
    file it names is replaced and the link stays."""
    if str(path) == "-":
        write_stdout_bytes(chunks)
        return
    target = Path(path)
    try:
        if target.is_symlink():
            target = target.resolve()
        mode = target.stat().st_mode if target.exists() else None
    except OSError as exc:
        raise OutputError(tr("{path}: cannot write here: {problem}", path=path, problem=os_reason(exc))) from None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise OutputError(tr("{path}: is a directory; give a file name", path=path))
        _write_special(target, chunks)
        return
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)  # created 0600
    except OSError as exc:
        raise OutputError(tr("{path}: cannot write here: {problem}", path=target, problem=os_reason(exc))) \
            from None
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(tr("{path}: not written ({problem}); the previous file is unchanged", path=target,
                             problem=os_reason(exc))) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_special(target: Path, chunks: Iterable[bytes]) -> None:
    """Write into a device, pipe or socket that is already there (it is never replaced)."""
    try:
        with open(target, "wb", buffering=0) as f:
            for chunk in chunks:
                f.write(chunk)
    except OSError as exc:
        raise OutputError(tr("{path}: not written ({problem})", path=target, problem=os_reason(exc))) from None


def write_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_plan(path: str | Path | None, plan_id: str, plan_date: dt.date, contacts: Iterable[PlannedContact],
               *, arm: bool = False, delimiter: str = ",") -> None:
    """``arm``: the plan was made with a holdout; a last column ``arm`` (champion, challenger)."""
    if path is None or str(path) == "-":
        # All of it, or the closed pipe is an error.
        write_stdout(render(plan_id, plan_date, contacts, arm=arm, delimiter=delimiter))
    else:
        # Encoded and written some thousand lines at a time: a million-row plan (~0.5 GB) is
        # never held whole as text and again as bytes, which costs more than the writing.
        lines = _lines(plan_id, plan_date, contacts, arm, delimiter)
        batches = iter(lambda: list(islice(lines, 4096)), [])
        write_chunks_atomic(path, ("".join(batch).encode("utf-8") for batch in batches))


def _when(table, line: int, column: str, v: dict, seen: dict[str, dt.datetime]) -> dt.datetime:
    # A plan's windows are a few dozen distinct texts over a million rows: each is parsed once
    # (the first row holding a bad one is the one named in the error, as before).
    text = v[column]
    found = seen.get(text)
    if found is None:
        try:
            found = seen[text] = parse_instant(text)
        except ValueError as exc:
            raise table.error(line, column, str(exc)) from None
    return found


def _int(table, line: int, column: str, v: dict) -> int:
    try:
        return int(v.get(column) or 0)
    except ValueError:
        raise table.error(line, column, tr("is not a whole number")) from None


def _decimal(table, line: int, column: str, v: dict) -> Decimal:
    try:
        return Decimal(v.get(column) or "0")
    except ArithmeticError:
        raise table.error(line, column, tr("is not a number")) from None


def read_plan(path: str | Path) -> tuple[dt.date | None, list[PlannedContact]]:
    """Read a plan.csv back (ours or another system's in the same layout)."""
    from contactplan.io.csvfile import read_csv

    required = ("debtor_id", "channel", "destination", "window_start", "window_end")
    table, _ = read_csv(path, required, COLUMNS)
    contacts, plan_date, plan_text = [], None, None
    instants: dict[str, dt.datetime] = {}
    channels = {c.value: c for c in Channel}
    for row in table.rows:
        v = row.values
        channel = channels.get(v["channel"]) or channels.get(v["channel"].lower())
        if channel is None:
            raise table.error(row.line, "channel", tr("must be voice, ivr, sms, whatsapp or email"))
        if v.get("plan_date") and v["plan_date"] != plan_text:
            try:
                day = dt.date.fromisoformat(v["plan_date"])
            except ValueError:
                raise table.error(row.line, "plan_date", tr("is not a date (YYYY-MM-DD)")) from None
            if plan_date is not None and day != plan_date:
                raise table.error(row.line, "plan_date",
                                  tr("plan_date {day} differs from {earlier} on earlier rows; a plan covers one day",
                                     day=day, earlier=plan_date))
            plan_date, plan_text = day, v["plan_date"]
        contacts.append(PlannedContact(
            debtor_id=from_spreadsheet(v["debtor_id"]), channel=channel, destination=from_spreadsheet(v["destination"]),
            window_start=_when(table, row.line, "window_start", v, instants),
            window_end=_when(table, row.line, "window_end", v, instants),
            timezone=v.get("timezone") or "UTC", pool=from_spreadsheet(v.get("pool", "")),
            rank=_int(table, row.line, "rank", v),
            expected_value=_decimal(table, row.line, "expected_value", v),
            rules=tuple(r for r in v.get("rules", "").split(";") if r)))
    return plan_date, contacts
