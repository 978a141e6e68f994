"""Reading CSV files as users really export them.

Accepted without options: UTF-8 with or without BOM, and Windows-1252 (what Brazilian Excel
writes) when the bytes are not valid UTF-8; comma, semicolon or tab delimiters, detected from
the header line; quoted fields with embedded newlines; trailing blank lines. Every row keeps the
physical line number where it starts, so errors can point at ``file:line:column``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from contactplan.errors import InputError, quoted
from contactplan.i18n import os_reason, tr

_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


@dataclass
class CsvTable:
    path: str
    header: list[str]
    encoding: str
    delimiter: str
    rows: list[Row]
    sha256: str = ""

    def column_index(self, name: str) -> int:
        """1-based position of a column, for file:line:column messages."""
        return self.header.index(name) + 1 if name in self.header else 0

    def error(self, line: int, column: str, message: str) -> InputError:
        """The file:line:column error for a bad value (the value itself is never quoted here)."""
        return InputError(self.path, message, line=line, column=column, column_index=self.column_index(column))

    def checked_rows(self, required: tuple[str, ...], unique: str, what: str) -> Iterator[Row]:
        """The rows of an all-or-nothing file, each with every required column filled and the
        ``unique`` column not repeated (``what`` names it in the message, e.g. N_("attempt ids"):
        marked for the catalogue by the caller, translated here)."""
        seen: dict[str, int] = {}
        for row in self.rows:
            v = row.values
            for column in required:
                if not v.get(column):
                    raise self.error(row.line, column, tr("is blank"))
            key = v[unique]
            if key in seen:
                raise self.error(row.line, unique, tr("repeats line {line}; {what} must be unique", line=seen[key],
                                                      what=tr(what)))
            seen[key] = row.line
            yield row


def _decode(path: str, raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            # A UTF-8 byte order mark promises UTF-8: say where the promise breaks.
            raise InputError(path, tr("starts with a UTF-8 byte order mark but is not UTF-8 "
                                      "(byte offset {offset}); save it again as UTF-8", offset=exc.start + 3)) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Excel in Brazil saves "CSV (separado por vírgulas)" as cp1252; every byte decodes there
        # except five unassigned ones, which we report rather than guess.
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise InputError(path, tr("not UTF-8 and not Windows-1252 text (byte offset {offset})",
                                      offset=exc.start)) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of a text whose first line is the header (what ``read_csv`` uses)."""
    return _sniff_delimiter(text.splitlines()[0])


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: str | Path, required: tuple[str, ...], known: tuple[str, ...]) -> tuple[CsvTable, list[str]]:
    """Read a whole CSV file. Returns the table and the names of columns we do not know.

    Raises InputError for problems with the file as a whole: unreadable, empty, a missing
    required column, a duplicated or blank header name.
    """
    return parse_csv(str(path), read_bytes(path), required, known)


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes (``-`` is stdin, which can be read only once: read it here, then parse);
    for a workbook (.xlsx, .ods, ...), its sheet as CSV (io.spreadsheet)."""
    name = str(path)
    from contactplan.io.spreadsheet import is_workbook, workbook_csv

    if is_workbook(name):
        return workbook_csv(name)
    if name != "-":
        from contactplan.io.files import check_readable

        check_readable(name)
    try:
        return Path(path).read_bytes() if name != "-" else _stdin_bytes()
    except OSError as exc:
        raise InputError(name, tr("cannot read file: {reason}", reason=os_reason(exc))) from None


def parse_csv(name: str, raw: bytes, required: tuple[str, ...], known: tuple[str, ...]) -> tuple[CsvTable, list[str]]:
    """``read_csv`` on bytes already read; ``name`` is the path used in messages."""
    text, encoding = _decode(name, raw)
    if "\x00" in text:
        # NUL never occurs in a real export; it means a binary or corrupted file.
        raise InputError(name, tr("contains a NUL byte: binary or corrupted file, not CSV text"),
                         line=text.count("\n", 0, text.index("\x00")) + 1)
    if not text.strip():
        raise InputError(name, tr("file is empty; expected a header row and data rows"))
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputError(name, tr("malformed header: {error}", error=exc), line=1) from None
    check_header(name, header, required, tuple(known))
    unknown = [h for h in header if h not in known]
    rows: list[Row] = []
    width = len(header)
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not record or all(not v.strip() for v in record):
                continue  # blank lines (often trailing ones from Excel) carry no data
            if len(record) > len(header):
                extra = record[len(header):]
                if any(v.strip() for v in extra):
                    raise InputError(name, tr("row has {fields} fields but the header has {columns}; "
                                              "check the delimiter and quoting", fields=len(record),
                                              columns=len(header)), line=start)
            if len(record) >= width:  # the usual row: one value per column (extras are blank, above)
                values = dict(zip(header, map(str.strip, record)))
            else:
                values = {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header)}
            rows.append(Row(start, values))
    except csv.Error as exc:
        raise InputError(name, tr("malformed CSV: {error}", error=exc), line=reader.line_num) from None
    return CsvTable(name, header, encoding, delimiter, rows, hashlib.sha256(raw).hexdigest()), unknown


# OWASP "CSV injection": a cell that begins with one of these is run as a formula by Excel,
# LibreOffice and Google Sheets (=HYPERLINK(...), +cmd|...). A plain number (a phone in E.164,
# -5.00) is read as a number and stays as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")


def spreadsheet_safe(value: str) -> str:
    """A cell as a spreadsheet may open it: one that would start a formula, or that starts with
    the apostrophe this rule adds, gets a leading apostrophe (spreadsheets then show the text as
    it is); ``from_spreadsheet`` takes it off again, so the round trip gives the value back."""
    if value and (value[0] == "'" or (value[0] in _FORMULA_START and not _PLAIN_NUMBER.match(value))):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list[str]:
    """spreadsheet_safe of each cell (as text), asked only of the cells that may need it (a
    million-row export has millions of cells)."""
    return [spreadsheet_safe(cell) if cell and (cell[0] == "'" or cell[0] in _FORMULA_START) else cell
            for cell in map(str, row)]


def from_spreadsheet(value: str) -> str:
    """The value ``spreadsheet_safe`` was given (a cell other systems wrote is left as it is
    unless it has that exact shape)."""
    if len(value) > 1 and value[0] == "'" and (value[1] == "'" or value[1] in _FORMULA_START):
        return value[1:]
    return value


_COLUMN_LIKE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def unknown_columns(names: list[str], shown: int = 12, width: int = 40) -> str:
    """The unknown columns of a header for a warning, bounded: a file with a million columns gets
    a line, not megabytes. A header cell is named only when it reads like a column name (lower
    case, digits, underscores: the contract's own style, so a typo such as "balnce" is shown);
    anything else may be a name, a phone or an e-mail of a first row taken for a header, and is
    counted by its position instead (``--show-values`` names them all)."""
    from contactplan.errors import values_shown

    named = [n for n in names if values_shown() or _COLUMN_LIKE.fullmatch(n)]
    hidden = [k for k, n in enumerate(names) if not (values_shown() or _COLUMN_LIKE.fullmatch(n))]
    listed = ", ".join(n if len(n) <= width else n[:width] + "…" for n in named[:shown])
    if len(named) > shown:
        listed = tr("{columns} and {n} more", columns=listed, n=len(named) - shown)
    if hidden:
        personal = tr("{n} column(s) whose header may be personal data (not shown; --show-values shows them)",
                      n=len(hidden))
        listed = tr("{columns}, and {personal}", columns=listed, personal=personal) if listed else personal
    return listed


def _stdin_bytes() -> bytes:
    import sys

    return sys.stdin.buffer.read()


def check_header(path: str, header: list[str], required: tuple[str, ...], known: tuple[str, ...] = ()) -> None:
    if known and required and not any(h in known for h in header):
        raise InputError(path, tr("missing required column(s): {columns}; the first line has none of the known "
                                  "columns: is the header row missing?", columns=", ".join(required)), line=1)
    seen: dict[str, int] = {}
    for i, h in enumerate(header, start=1):
        if not h:
            raise InputError(path, tr("blank column name in the header"), line=1, column_index=i)
        if h in seen:
            raise InputError(path, tr("column {name}appears twice in the header (columns {first} and {second})",
                                      name=_name(h, known), first=seen[h], second=i), line=1, column_index=i)
        seen[h] = i
    missing = [r for r in required if r not in seen]
    if missing:
        # Only names this reader knows are repeated back: a file without a header has data in
        # its first line (a name, a phone), which must not reach a message.
        ours = [h for h in header if h in known]
        others = len(header) - len(ours)
        fields = {"columns": ", ".join(missing), "has": ", ".join(ours), "others": others}
        if ours and others:
            message = tr("missing required column(s): {columns}; the header has {has} and {others} other column(s)",
                         **fields)
        elif ours:
            message = tr("missing required column(s): {columns}; the header has {has}", **fields)
        elif others:
            message = tr("missing required column(s): {columns}; the header has none of the known columns and "
                         "{others} other column(s); is the header row missing?", **fields)
        else:
            message = tr("missing required column(s): {columns}; the header has none of the known columns; "
                         "is the header row missing?", **fields)
        raise InputError(path, message, line=1)


def _name(header: str, known: tuple[str, ...] | frozenset[str]) -> str:
    """A header name for a message: known column names as they are, any other only with
    --show-values (in a file without a header row it is a value)."""
    if header in known:
        return f"'{header}' "
    shown = quoted(header).strip()
    return f"{shown} " if shown else ""


def iter_lines(table: CsvTable) -> Iterator[Row]:
    yield from table.rows
