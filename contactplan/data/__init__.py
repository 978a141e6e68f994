"""The reference tables the package ships as data: CSV files with their sources.

A table that says where a place is (a UF's time zones, a municipality on UTC-5, a DDD, a US
state's zones) changes when a law, tzdata or a numbering plan does, and that is a data edit here
with a test (tests/test_data_files.py), not a code change. The files of this directory are read
by ``contactplan.timezones`` once at import; the synthetic portfolio generator keeps its own
geography beside it (``contactplan/generate/*.csv``) and reads it the same way.

The format, for every file:

- first, ``#`` comment lines: what the table is, one or more ``# source:`` lines (the law, tzdata
  release, numbering plan or census it was read from, with its date) and why an entry is or is not
  there. Comments are allowed only there, above the header, so a cell never loses its meaning;
- then a CSV header naming the columns and one row per entry (UTF-8, comma, ``"`` quoting);
- a cell holding several values (zones, area codes) separates them by spaces, first the primary.

The loaders take the file's ``text`` or a ``path`` instead of the packaged file, which is how a
test sees a new row take effect without touching the package.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import NamedTuple, TypeVar

__all__ = ["DataFileError", "Table", "read_table"]

_V = TypeVar("_V")


class DataFileError(ValueError):
    """A data file that does not follow its table's format; the message names the file and line."""


class Table(NamedTuple):  # a NamedTuple: a tenth of a frozen dataclass's cost at import
    name: str  # the file's name, for messages
    comments: tuple[str, ...]  # the header comment lines, without the leading "#"
    rows: tuple[dict[str, str], ...]  # column -> cell, in file order
    lines: tuple[int, ...]  # each row's (last) line number in the file

    @property
    def sources(self) -> tuple[str, ...]:
        """The ``# source:`` lines, without the prefix."""
        return tuple(c.split(":", 1)[1].strip() for c in self.comments if c.strip().startswith("source:"))

    def error(self, index: int, message: str) -> DataFileError:
        return DataFileError(f"{self.name} line {self.lines[index]}: {message}")

    def keyed(self, column: str, value: Callable[[int, dict[str, str]], _V], pattern: str = r".+") -> dict[str, _V]:
        """``{row[column]: value(index, row)}`` in file order; a key that does not match ``pattern``
        or comes twice is an error (a second row would silently replace the first)."""
        out: dict[str, _V] = {}
        for index, row in enumerate(self.rows):
            key = row[column]
            if not re.fullmatch(pattern, key):
                raise self.error(index, f"{column} {key!r} does not match {pattern}")
            if key in out:
                raise self.error(index, f"{column} {key} comes twice")
            out[key] = value(index, row)
        return out

    def values(self, index: int, column: str, pattern: str = r"\S+") -> tuple[str, ...]:
        """The space-separated values of one cell, primary first: at least one, each matching
        ``pattern``, none twice."""
        found = tuple(self.rows[index][column].split())
        if not found:
            raise self.error(index, f"{column} is empty")
        for value in found:
            if not re.fullmatch(pattern, value):
                raise self.error(index, f"{column} value {value!r} does not match {pattern}")
        if len(set(found)) != len(found):
            raise self.error(index, f"{column} lists a value twice")
        return found


def read_table(name: str, columns: Sequence[str], *, text: str | None = None, path: Path | None = None,
               package: str = __name__) -> Table:
    """The table of the packaged file ``name`` (in ``package``), or of ``text`` or the file at ``path``
    instead. The header must name exactly ``columns``, in that order, and every row fill them."""
    if text is None:
        source = Path(path) if path is not None else resources.files(package).joinpath(name)
        text = source.read_text(encoding="utf-8")
    text = text.removeprefix("\ufeff")  # an editor's byte order mark is not part of the first line
    lines = list(io.StringIO(text, newline=""))  # lines as csv splits them (not at U+2028 and the like)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    comments = tuple(line[1:].rstrip("\r\n") for line in lines[:skipped])
    reader = csv.reader(lines[skipped:], strict=True)
    try:
        header = next(reader, None)
        if header != list(columns):
            raise DataFileError(f"{name} line {skipped + 1}: header {header}, expected {list(columns)}")
        rows, numbers = [], []
        for cells in reader:
            number = skipped + reader.line_num
            if not cells:
                continue  # a blank line
            if len(cells) != len(columns):
                raise DataFileError(f"{name} line {number}: {len(cells)} cells, expected {len(columns)} "
                                    f"({', '.join(columns)})")
            rows.append(dict(zip(columns, cells, strict=True)))
            numbers.append(number)
    except csv.Error as exc:
        raise DataFileError(f"{name} line {skipped + reader.line_num}: {exc}") from None
    return Table(name, comments, tuple(rows), tuple(numbers))
