"""Plain CSV text read by polars exactly as the csv module reads it (the vectorised readers).

A file is *plain* when it is UTF-8 (with or without BOM) or else cp1252 (decoded as read_csv
decodes it), has no NUL, every CR is part of a CRLF, quotes only around whole fields and no field
over the csv module's size limit. In such text every physical line is one record, split and
unquoted exactly as the csv module does it, so polars row i is line i + 1 of what it was given
and line numbers stay physical. Anything else makes these functions answer None, and the caller's
row path reads the file and reports what it reports. tests/test_reader_fast.py holds them to it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import polars as pl

from contactplan.errors import InputError
from contactplan.io.csvfile import check_header, sniff_delimiter

# The characters str.strip() removes (str.isspace()); polars strips exactly these, so a value
# stripped with them is the csv reader's value.strip(). tests/test_reader_fast.py checks the list.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Layout:
    encoding: str  # of the file, as read_csv names it
    delimiter: str
    header: list[str]


def plain_bytes(raw: bytes) -> bool:
    """No NUL and no CR that does not end a line (what the row path alone may say about)."""
    return b"\x00" not in raw and (b"\r" not in raw or raw.count(b"\r") == raw.count(b"\r\n"))


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def layout(name: str, body: bytes, encoding: str, required: tuple[str, ...], known: tuple[str, ...]
           ) -> Layout | None:
    """Delimiter and header of UTF-8 ``body`` (its first line), when the header is one the row
    path accepts as it is."""
    end = body.find(b"\n")
    try:
        first = (body if end < 0 else body[:end]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    first = first.removesuffix("\r")
    delimiter = sniff_delimiter(first + "\n")  # what read_csv sniffs from the decoded text
    try:  # the header as read_csv reads it, when it is the first line
        header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter, strict=True))]
        check_header(name, header, required, known)
    except (csv.Error, InputError):
        return None
    return Layout(encoding, delimiter, header)


# Wider than this, a header is not a portfolio's or a dialer's: its columns cost the vectorised
# path an expression each (a million of them took minutes), the row path only the cells there are.
MAX_FAST_COLUMNS = 1_000


def load(body: bytes, delimiter: str, width: int) -> pl.DataFrame | None:
    """Every line of UTF-8 ``body`` as a row of ``width`` strings (columns c0, c1, ...); None when
    polars or the csv module would read it otherwise, or the header is absurdly wide."""
    if width > MAX_FAST_COLUMNS:
        return None
    columns = [f"c{i}" for i in range(width)]
    quoted = b'"' in body
    if quoted and not one_record_per_line(body, delimiter):
        return None
    try:
        frame = pl.read_csv(body, has_header=False, separator=delimiter, quote_char='"' if quoted else None,
                            schema={c: pl.String for c in columns}, empty_string_is_null=False,
                            truncate_ragged_lines=False, raise_if_empty=True)
    except (pl.exceptions.PolarsError, ValueError):
        return None  # not UTF-8 (the row path tries cp1252), a row wider than the header, ...
    # Bytes, not characters: as many at least, and counted without reading the strings.
    longest = frame.select(pl.max_horizontal(pl.col(c).str.len_bytes().max() for c in columns)).item()
    if longest is not None and longest >= csv.field_size_limit():
        return None  # the csv module may refuse such a field
    return frame


def one_record_per_line(body: bytes, delimiter: str) -> bool:
    """True when every line with a quote is fields either without quotes or wholly quoted ("" for a
    quote inside): then no record spans lines and polars unquotes as the csv module does. Other
    quoting (a quoted newline, a quote inside a bare field, text after a closing quote) is left to
    the row path, which reads it, or refuses it, as it always has."""
    d = delimiter
    field = f'(?:"(?:[^"]|"")*"|[^"{d}]*)'
    try:
        lines = pl.read_csv(body, has_header=False, separator="\x00", quote_char=None,  # no NUL: one column
                            schema={"line": pl.String}, empty_string_is_null=False).get_column("line")
    except (pl.exceptions.PolarsError, ValueError):
        return False  # not UTF-8
    quoted = lines.filter(lines.str.contains('"', literal=True))
    return bool(quoted.str.contains(f"^{field}(?:[{d}]{field})*$").all())


def blank_rows(frame: pl.DataFrame) -> pl.Series:
    """Rows the csv reader skips: every field blank (a missing field counts as blank)."""
    return frame.select(pl.all_horizontal(pl.col(c).fill_null("").str.strip_chars(PY_WHITESPACE) == ""
                                          for c in frame.columns)).to_series()
