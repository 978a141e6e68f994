"""A dialer log read in pieces and spilled to disk by debtor: ``audit --log`` of millions of
attempts in bounded memory.

The row path (``read_history``) holds the whole file and an Attempt per row. Here the file is read
a piece at a time (a few megabytes, cut at line ends), each piece checked by polars, and its rows
written to one of several *buckets* on disk chosen by debtor: every attempt of a debtor lands in
the same bucket, so a bucket can be judged on its own, by another process, holding only its
own rows. How this stays exactly the row path:

* The file. Only plain text comes here (``contactplan.io.plain_csv``): UTF-8, one record per line.
  Anything else (cp1252, quoted newlines, odd quoting, a bad header) answers None and the caller
  reads the file with the row path, which says what it says about it.
* The rows. A row is *clean* when this module can tell that the row path accepts it as it is:
  every required value present; channel, outcome and direction checked by the row path's own
  tables once per distinct value; attempted_at in the plain shape ``YYYY-MM-DDTHH:MM:SS[.f](Z|±HH:MM)``
  with a real date in contactplan's years and not in the future; the destination normalised by
  the row path's own function once per distinct value (the phones' vectorised twin first); no
  callback; the attempt id not seen before. Every other row goes through the row path's own
  checks (``checked_rows``'s and ``row_attempt``), in file order, so the first bad row of the file
  raises the row path's error, at its line and column, and there is one copy of every rule.
* The attempts. A bucket's rows become Attempts as the row path builds them (the instant parsed
  by the same function from the same text), debtor by debtor in file order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import polars as pl

from contactplan.errors import InputError, OutputError
from contactplan.i18n import tr
from contactplan.io.csvfile import CsvTable, Row, read_bytes
from contactplan.io.frozen import paused_gc
from contactplan.io.history import (FUTURE_SLACK, KNOWN, REQUIRED, CHANNEL_OF, DIRECTION_OF, OUTCOME_OF, by_debtor,
                                    new_attempt, read_history, row_attempt)
from contactplan.io.phones import PhoneError, destination_address, fast_e164_frame
from contactplan.io.plain_csv import BOM, PY_WHITESPACE, blank_rows, is_utf8, layout, load, plain_bytes
from contactplan.model import FIRST_PLAN_DATE, LAST_PLAN_DATE, Attempt, Channel, Outcome

PIECE_BYTES = 8 << 20  # read at a time; a bucket holds about this much of the file
MAX_BUCKETS = 256
_EPOCH = dt.date(1970, 1, 1)
_SECOND = 1_000_000  # microseconds
T = TypeVar("T")
# The plain shape of an instant (what dialers write); any other ISO 8601 form takes the row path.
_PLAIN_INSTANT = (r"^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
                  r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))$")
# The spilled columns' codes of channel, outcome and direction (history_log names them again).
CHANNEL_LIST = list(Channel)
OUTCOME_LIST = list(Outcome)
DIRECTION_LIST = list(DIRECTION_OF.values())
_COLUMNS = ("line", "attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "account_id",
            "agent_id", "direction", "callback_at")
_SCHEMA = {"line": pl.Int64, "attempt_id": pl.String, "debtor_id": pl.String, "channel": pl.UInt8,
           "destination": pl.String, "attempted_at": pl.String, "outcome": pl.UInt8, "account_id": pl.String,
           "agent_id": pl.String, "direction": pl.UInt8, "callback_at": pl.String}


@dataclass
class SpilledLog:
    """A log's attempts on disk, in buckets by debtor (``bucket_of``), and what the row path tells
    of the file besides its attempts."""

    path: str
    sha256: str
    unknown: list[str]
    buckets: list[list[Path]]  # the files of each bucket, in file order
    attempts: int = 0
    first_date: dt.date | None = None  # the earliest attempt's date, in its own offset
    seed: int = 0
    _in_memory: list[list[Attempt]] | None = field(default=None, repr=False)  # the row path's read
    workdir: Path | None = None  # where the buckets are (None: read whole, in memory)

    def debtor_groups(self, bucket: int) -> Iterator[list[Attempt]]:
        """The bucket's attempts, one debtor at a time, each debtor's in file order."""
        if self._in_memory is not None:
            yield from self._in_memory
            return
        files = self.buckets[bucket]
        if not files:
            return
        frame = pl.concat([pl.read_ipc(f) for f in files]).sort("debtor_id", "line")
        yield from _groups(frame)


def scratch_error(workdir: Path, exc: OSError) -> OutputError:
    """A log's buckets (or its violations) could not be written to the temporary directory: not
    the log's fault, nor the report's (nothing is written)."""
    from contactplan.i18n import os_reason

    return OutputError(tr("cannot spill the log to the temporary directory {path}: {problem}; set TMPDIR to a "
                          "directory with room (about twice the log's size)", path=workdir.parent,
                          problem=os_reason(exc)))


def bucket_of(debtor_ids: pl.Series, buckets: int, seed: int) -> pl.Series:
    """Which bucket each debtor's attempts go to (the same for every piece of one run)."""
    return (debtor_ids.hash(seed) % buckets).cast(pl.UInt32)


def read_log(path: str, workdir: Path, *, default_country: str = "BR", now: dt.datetime | None = None,
             piece_bytes: int = PIECE_BYTES, seed: int = 0, workers: int = 1) -> SpilledLog:
    """The log at ``path``, spilled into ``workdir`` in buckets when it is plain text, else read
    whole by the row path (and held in memory: cp1252, quoted newlines, ...). Raises the row
    path's InputError on the first bad row. ``now``: an attempt after it is a bad row. A log of
    several buckets has a multiple of ``workers`` of them, so that as many workers share them evenly."""
    spilled = spill_log(path, workdir, default_country=default_country, now=now, piece_bytes=piece_bytes, seed=seed,
                        workers=workers)
    if spilled is not None:
        return spilled
    attempts, sha, unknown = read_history(path, default_country, now)
    first = min((a.attempted_at.date() for a in attempts), default=None)
    return SpilledLog(str(path), sha, unknown, [[]], len(attempts), first, seed, _in_memory=by_debtor(attempts))


def spill_log(path: str, workdir: Path, *, default_country: str = "BR", now: dt.datetime | None = None,
              piece_bytes: int = PIECE_BYTES, seed: int = 0, workers: int = 1) -> SpilledLog | None:
    """The log at ``path`` spilled into ``workdir`` in buckets, or None when the file is not plain
    (the caller then reads it with the row path). Raises the row path's InputError on the first bad row."""
    name = str(path)
    return _over_pieces(name, piece_bytes, lambda pieces, size: _Spiller(
        name, workdir, _bucket_count(size, piece_bytes, workers), default_country, now, seed).run(pieces))


def read_checked_log(path: str, *, default_country: str = "BR", now: dt.datetime | None = None,
                     piece_bytes: int = PIECE_BYTES) -> tuple[pl.DataFrame, str, list[str], CsvTable] | None:
    """The log at ``path`` checked as spill_log checks it but held in memory, one frame in file
    order (the spilled columns and each row's line), with its sha256, its unknown columns and the
    table that words its errors; None when the file is not plain (the caller reads it with the row
    path). Raises the row path's InputError on the first bad row."""
    name = str(path)
    return _over_pieces(name, piece_bytes, lambda pieces, _size: _Collector(name, default_country, now).collect(pieces))


def _over_pieces(name: str, piece_bytes: int, run: Callable[[Iterator[bytes], int], T]) -> T:
    """``run(pieces, size)`` over the file in pieces that end at line ends: read as it goes from
    a plain file, from its bytes for standard input or a special file."""
    if name == "-" or not _is_plain_file(name):
        raw = read_bytes(name)
        return run(_rejoined(raw[i:i + piece_bytes] for i in range(0, len(raw), piece_bytes)), len(raw))
    from contactplan.io.files import check_readable

    check_readable(name)
    try:
        size = os.path.getsize(name)
        with open(name, "rb") as f:
            return run(_pieces(f, piece_bytes), size)
    except OSError as exc:
        from contactplan.i18n import os_reason

        raise InputError(name, tr("cannot read file: {reason}", reason=os_reason(exc))) from None


@dataclass(frozen=True)
class PlainInstantFields:
    """The fields of instants written in the plain shape (_PLAIN_INSTANT), null where a text has
    another shape: the date's text, the clock's numbers, the fraction in microseconds (0 when
    absent), whether it is Z, the offset's hours and minutes as written and the offset in seconds
    east of UTC. What they make an instant, and whether they make one at all, is the caller's."""

    date: pl.Series
    hour: pl.Series
    minute: pl.Series
    second: pl.Series
    fraction: pl.Series
    zulu: pl.Series
    offset_hours: pl.Series
    offset_minutes: pl.Series
    offset: pl.Series


def plain_instant_fields(text: pl.Series) -> PlainInstantFields:
    parts = text.str.extract_groups(_PLAIN_INSTANT).struct.unnest()
    hour, minute, second, off_h, off_m = (parts.get_column(name).cast(pl.Int64, strict=False)
                                          for name in ("2", "3", "4", "8", "9"))
    zulu = parts.get_column("6").is_not_null()
    sign = pl.select(pl.when(parts.get_column("7") == "-").then(-1).otherwise(1)).to_series()
    offset = pl.select(pl.when(zulu).then(0).otherwise(sign * (off_h * 3600 + off_m * 60))).to_series()
    fraction = parts.get_column("5").str.pad_end(6, "0").cast(pl.Int64, strict=False).fill_null(0)
    return PlainInstantFields(parts.get_column("1"), hour, minute, second, fraction, zulu, off_h, off_m, offset)


def _is_plain_file(name: str) -> bool:
    from contactplan.io.spreadsheet import is_workbook

    return not is_workbook(name) and os.path.isfile(name)


def _bucket_count(size: int, piece_bytes: int, workers: int = 1) -> int:
    """About a piece's worth of the file a bucket; one bucket for a small file (judged in
    process), else a multiple of ``workers`` (so none of them waits while another judges a
    last bucket alone)."""
    n = max(1, min(MAX_BUCKETS, math.ceil(size / piece_bytes)))
    if n == 1 or workers <= 1:
        return n
    return min(MAX_BUCKETS, -(-n // workers) * workers)


def _pieces(f, piece_bytes: int) -> Iterator[bytes]:
    return _rejoined(iter(lambda: f.read(piece_bytes), b""))


def _rejoined(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Pieces that end at a line end (the last one may not): no record is cut in two."""
    rest = b""
    for chunk in chunks:
        chunk = rest + chunk
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            rest = chunk
            continue
        rest = chunk[end:]
        yield chunk[:end]
    if rest:
        yield rest


class _NotPlain(Exception):
    """The file is not plain text after all (found in a later piece): the row path reads it."""


class _Spiller:
    def __init__(self, name: str, workdir: Path, buckets: int, default_country: str, now: dt.datetime | None,
                 seed: int):
        self.name, self.workdir, self.n_buckets, self.country, self.now = name, workdir, buckets, default_country, now
        self.seed = seed
        self.sha = hashlib.sha256()
        self.table: CsvTable | None = None
        self.next_line = 1
        self.seen = pl.DataFrame(schema={"attempt_id": pl.String, "line": pl.Int64})  # first line of each id
        self.addresses: dict[tuple[str, bool], str] = {}
        self.row_addresses: dict[tuple[str, bool], str] = {}  # row_attempt's own memo
        self.files: list[list[Path]] = [[] for _ in range(buckets)]
        self.attempts = 0
        self.first_date: dt.date | None = None
        self.dates: dict[str, int | None] = {}  # date part -> days since 1970, None when not a date

    def run(self, pieces: Iterator[bytes]) -> SpilledLog | None:
        with paused_gc():
            try:
                for k, piece in enumerate(pieces):
                    self.sha.update(piece)
                    self._piece(k, piece)
            except _NotPlain:
                return None
        if self.table is None:
            return None  # empty: the row path says so
        header = self.table.header
        return SpilledLog(self.name, self.sha.hexdigest(), [h for h in header if h not in KNOWN], self.files,
                          self.attempts, self.first_date, self.seed, workdir=self.workdir)

    # -- one piece ----------------------------------------------------------------------------

    def _piece(self, k: int, piece: bytes) -> None:
        if not plain_bytes(piece):
            raise _NotPlain
        if k == 0:
            encoding = "utf-8-sig" if piece.startswith(BOM) else "utf-8"
            body = piece[3:] if encoding == "utf-8-sig" else piece
            if not is_utf8(body):
                raise _NotPlain
            shape = layout(self.name, body, encoding, REQUIRED, KNOWN)
            if shape is None:
                raise _NotPlain
            self.table = CsvTable(self.name, shape.header, encoding, shape.delimiter, [])
            end = body.find(b"\n")
            body = b"" if end < 0 else body[end + 1:]
            self.next_line = 2
        else:
            body = piece
            if not is_utf8(body):
                raise _NotPlain
        if not body:
            return
        lines = body.count(b"\n") + (not body.endswith(b"\n"))
        frame = load(body, self.table.delimiter, len(self.table.header))
        if frame is None or frame.height != lines:
            raise _NotPlain
        first_line = self.next_line
        self.next_line += lines
        self._rows(k, frame, first_line)

    def _rows(self, k: int, raw: pl.DataFrame, first_line: int) -> None:
        header = self.table.header
        values = raw.select(pl.int_range(first_line, first_line + raw.height, dtype=pl.Int64).alias("line"),
                            *(self._value(raw, header, name) for name in KNOWN))
        values = values.filter(~blank_rows(raw))
        if values.is_empty():
            return
        repeated = self._repeated(values.get_column("attempt_id"))
        checked = self._checked(values, repeated)
        clean = checked.get_column("clean")
        slow_rows = values.filter(~clean)
        fast = checked.filter(clean).select(_COLUMNS)
        slow = self._slow(slow_rows, values) if slow_rows.height else None
        self.seen = pl.concat([self.seen, values.select("attempt_id", "line").filter(~repeated)], rechunk=False)
        out = fast if slow is None else pl.concat([fast, slow])
        self.attempts += out.height
        self._emit(k, out)

    def _emit(self, k: int, out: pl.DataFrame) -> None:
        """A piece's checked rows to their buckets' files."""
        for bucket, part in out.with_columns(bucket_of(out.get_column("debtor_id"), self.n_buckets, self.seed)
                                             .alias("bucket")).partition_by("bucket", as_dict=True).items():
            target = self.workdir / f"b{bucket[0]:03d}-{k:06d}.arrow"
            try:
                part.drop("bucket").write_ipc(target, compression="uncompressed")
            except OSError as exc:
                raise scratch_error(self.workdir, exc) from None
            self.files[bucket[0]].append(target)

    @staticmethod
    def _value(raw: pl.DataFrame, header: list[str], name: str) -> pl.Expr:
        """The column as the row path reads it: stripped, "" when missing (or the header lacks it)."""
        if name not in header:
            return pl.lit("", dtype=pl.String).alias(name)
        return pl.col(f"c{header.index(name)}").fill_null("").str.strip_chars(PY_WHITESPACE).alias(name)

    def _repeated(self, ids: pl.Series) -> pl.Series:
        """Whether each id came before: earlier in the file or earlier in this piece."""
        return ~ids.is_first_distinct() | ids.is_in(self.seen.get_column("attempt_id").implode())

    def _checked(self, v: pl.DataFrame, repeated: pl.Series) -> pl.DataFrame:
        """The spilled columns of every row, and whether the row is clean (``repeated``: its id came before)."""
        channel = _codes(v.get_column("channel"), lambda t: CHANNEL_OF.get(t.lower()), CHANNEL_LIST)
        outcome = _codes(v.get_column("outcome"), lambda t: OUTCOME_OF.get(t.lower()), OUTCOME_LIST)
        direction = _codes(v.get_column("direction"), lambda t: DIRECTION_OF.get((t or "outbound").lower()),
                           DIRECTION_LIST)
        email = channel == CHANNEL_LIST.index(Channel.EMAIL)
        filled = v.select(pl.all_horizontal(pl.col(c) != "" for c in REQUIRED)).to_series()
        frame = v.with_columns(channel.alias("channel"), outcome.alias("outcome"), direction.alias("direction"),
                               self._destinations(v.get_column("destination"), email).alias("destination"),
                               self._instants_ok(v.get_column("attempted_at")).alias("instant_ok"))
        clean = pl.all_horizontal(
            pl.lit(filled), pl.col("channel").is_not_null(), pl.col("outcome").is_not_null(),
            pl.col("outcome") != OUTCOME_LIST.index(Outcome.CALLBACK_REQUESTED), pl.col("callback_at") == "",
            pl.col("direction").is_not_null(), pl.col("destination").is_not_null(), pl.col("instant_ok"),
            pl.lit(~repeated))
        return frame.with_columns(clean.fill_null(False).alias("clean"))

    def _destinations(self, text: pl.Series, email: pl.Series) -> pl.Series:
        """The normalised destination, as destination_address gives it; null where it raises."""
        out = pl.Series("destination", [None] * len(text), dtype=pl.String)
        is_email = email.fill_null(False)
        plain_email = text.str.contains(r"^[!-~]+$") & text.str.contains(r"^[^@,;]+@[^@,;]+\.[^@,;]+$")
        out = pl.select(pl.when(is_email & plain_email).then(text.str.to_lowercase()).otherwise(out)).to_series()
        phones = fast_e164_frame(text, self.country)
        if phones is not None:
            out = pl.select(pl.when(~is_email & phones.get_column("e164").is_not_null())
                            .then(phones.get_column("e164")).otherwise(out)).to_series()
        missing = out.is_null() & (text != "")
        if missing.any():
            keyed = pl.DataFrame({"text": text, "email": is_email}).filter(missing).unique(maintain_order=True)
            found = []
            for value, mail in keyed.iter_rows():
                key = (value, mail)
                if key not in self.addresses:
                    try:
                        self.addresses[key] = destination_address(value, self.country, email=mail, possible=True)
                    except PhoneError:
                        self.addresses[key] = None
                found.append(self.addresses[key])
            table = keyed.with_columns(pl.Series("found", found, dtype=pl.String))
            looked = pl.DataFrame({"text": text, "email": is_email}).join(table, on=["text", "email"], how="left",
                                                                          maintain_order="left")
            out = pl.select(pl.coalesce(out, looked.get_column("found"))).to_series()
        return out.alias("destination")

    def _instants_ok(self, text: pl.Series) -> pl.Series:
        """Whether parse_instant accepts the text as it is and the instant is not in the future."""
        f = plain_instant_fields(text)
        dates = f.date
        for value in dates.unique().to_list():
            if value is not None and value not in self.dates:
                self.dates[value] = _days(value)
        days = dates.replace_strict(list(self.dates), list(self.dates.values()), default=None,
                                    return_dtype=pl.Int64)
        hour, minute, second, off_h, off_m = f.hour, f.minute, f.second, f.offset_hours, f.offset_minutes
        zulu, offset, fraction = f.zulu, f.offset, f.fraction
        ok = (days.is_not_null() & (hour < 24) & (minute < 60) & (second < 60)
              & (zulu | ((off_h < 24) & (off_m < 60))))
        if self.now is not None:
            seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
            limit = self.now + FUTURE_SLACK
            limit_us = (limit - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
            ok = ok & (seconds * _SECOND + fraction <= limit_us)
        ok = ok.fill_null(False)
        good_days = days.filter(ok)
        if len(good_days):
            first = _EPOCH + dt.timedelta(days=int(good_days.min()))
            self.first_date = first if self.first_date is None else min(self.first_date, first)
        return ok

    # -- rows that are not clean: the row path ---------------------------------------------------

    def _slow(self, rows: pl.DataFrame, values: pl.DataFrame) -> pl.DataFrame:
        """The row path on these rows, in file order (``values``: the whole piece, for repeated ids)."""
        table = self.table
        wanted = rows.get_column("attempt_id").unique().implode()
        first_of = dict(self.seen.filter(pl.col("attempt_id").is_in(wanted)).iter_rows())
        firsts = values.filter(pl.col("attempt_id").is_in(wanted)).select("attempt_id", "line")
        for attempt_id, line in firsts.iter_rows():
            first_of.setdefault(attempt_id, line)
        out = []
        for record in rows.iter_rows(named=True):
            line = record.pop("line")
            row = Row(line, record)
            for column in REQUIRED:
                if not record.get(column):
                    raise table.error(line, column, tr("is blank"))
            first = first_of.get(record["attempt_id"])
            if first is not None and first < line:
                raise table.error(line, "attempt_id", tr("repeats line {line}; {what} must be unique", line=first,
                                                         what=tr("attempt ids")))
            a = row_attempt(table, row, self.country, self.now, self.row_addresses)
            day = a.attempted_at.date()
            self.first_date = day if self.first_date is None else min(self.first_date, day)
            out.append((line, a.attempt_id, a.debtor_id, CHANNEL_LIST.index(a.channel), a.destination,
                        a.attempted_at.isoformat(), OUTCOME_LIST.index(a.outcome), a.account_id, a.agent_id,
                        DIRECTION_LIST.index(a.direction), a.callback_at.isoformat() if a.callback_at else ""))
        return pl.DataFrame(out, schema=_SCHEMA, orient="row")


class _Collector(_Spiller):
    """The spiller's checks, its rows kept in memory in file order instead of spilled."""

    def __init__(self, name: str, default_country: str, now: dt.datetime | None):
        super().__init__(name, Path(), 1, default_country, now, 0)
        self.frames: list[pl.DataFrame] = []

    def _emit(self, k: int, out: pl.DataFrame) -> None:
        self.frames.append(out)

    def collect(self, pieces: Iterator[bytes]) -> tuple[pl.DataFrame, str, list[str], CsvTable] | None:
        log = self.run(pieces)
        if log is None:
            return None
        frame = pl.concat(self.frames) if self.frames else pl.DataFrame(schema=_SCHEMA)
        return frame.sort("line"), log.sha256, log.unknown, self.table


def _days(text: str) -> int | None:
    """Days since 1970 of a YYYY-MM-DD that parse_instant accepts (a real date in its years)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_PLAN_DATE.year - 1 <= day.year <= LAST_PLAN_DATE.year:
        return None
    return (day - _EPOCH).days


def _codes(text: pl.Series, parse, values: list) -> pl.Series:
    """Index into ``values`` of what ``parse`` makes of each distinct text; null where it gives None."""
    keys, codes = [], []
    for value in text.unique(maintain_order=True).to_list():
        found = parse(value)
        if found is not None:
            keys.append(value)
            codes.append(values.index(found))
    return text.replace_strict(keys, codes, default=None, return_dtype=pl.UInt8)


def _groups(frame: pl.DataFrame) -> Iterator[list[Attempt]]:
    """Attempts of a frame sorted by debtor, one debtor's list at a time."""
    instant = _instant_reader()
    channels, outcomes, directions = CHANNEL_LIST, OUTCOME_LIST, DIRECTION_LIST
    columns = [frame.get_column(c).to_list() for c in _COLUMNS[1:]]
    mine: list[Attempt] = []
    current = None
    for attempt_id, debtor_id, channel, destination, at, outcome, account_id, agent_id, direction, callback in zip(
            *columns):
        if debtor_id != current:
            if mine:
                yield mine
            mine, current = [], debtor_id
        mine.append(new_attempt(attempt_id, debtor_id, channels[channel], destination, instant(at),
                                outcomes[outcome], account_id, agent_id, directions[direction],
                                instant(callback) if callback else None))
    if mine:
        yield mine


def _instant_reader():
    """parse_instant on text it has accepted before: the same conversion, without its checks."""
    fromiso = dt.datetime.fromisoformat
    return lambda text: fromiso(text.replace("Z", "+00:00"))
