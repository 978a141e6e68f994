"""Excel and OpenDocument workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) read as the CSV they hold.

A planner's portfolio often arrives as a workbook. Its sheet (the first, or the one named with
``contactplan --sheet NAME``) is turned into CSV text and handed to the very readers that read
CSV files, so it gets the same validation, and a row's line number is its row number in the
sheet. Reading is python-calamine's (a Rust reader of every Excel format and ODS); here we only
decide how a typed cell becomes the text the readers expect:

- a whole number stored as a number (a phone, an id, a balance of 1500) is written without
  ".0"; other numbers in Python's shortest round-trip form (1234.56, 0.05);
- a date is ISO 8601 (2026-11-24); a time of day HH:MM (or HH:MM:SS); a date-time ISO 8601
  without an offset, which the history reader refuses (an instant needs its offset: type it as
  text, 2026-11-23T14:05:00-03:00);
- true/false cells are "true"/"false"; errors (#N/A, #REF!) and empty cells are blank, so a
  required column with an error is reported as blank at its row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path

from contactplan.errors import InputError
from contactplan.i18n import os_reason, tr

SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
_sheet: list[str | None] = [None]  # contactplan --sheet NAME (the CLI sets it, like --show-values)


def use_sheet(name: str | None) -> None:
    _sheet[0] = name


def is_workbook(path: str | Path) -> bool:
    return str(path) != "-" and Path(str(path)).suffix.lower() in SUFFIXES


def _text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, dt.timedelta):  # a duration cell (e.g. 08:30 typed as [h]:mm)
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value)


def workbook_csv(path: str | Path) -> bytes:
    """The chosen sheet of the workbook as UTF-8 CSV bytes, one CSV line per sheet row from row 1
    (so line numbers in messages are the sheet's row numbers)."""
    from python_calamine import CalamineWorkbook

    from python_calamine import PasswordError, ZipError

    name = str(path)
    if Path(name).is_dir():
        raise InputError(name, tr("is a directory, not a workbook"))
    from contactplan.io.files import check_readable

    check_readable(name)
    try:
        book = CalamineWorkbook.from_path(name)
    except FileNotFoundError:
        raise InputError(name, tr("cannot read file: No such file or directory")) from None
    except OSError as exc:
        raise InputError(name, tr("cannot read file: {reason}", reason=os_reason(exc))) from None
    except PasswordError:
        raise InputError(name, tr("is protected by a password: save an unprotected copy, or export the sheet as "
                                  "CSV")) from None
    except ZipError:
        raise InputError(name, tr("is not an Excel workbook (not the zip file an .xlsx is: a CSV renamed? then "
                                  "name it .csv)")) from None
    except Exception as exc:  # calamine's other errors (xml, a damaged sheet)
        raise InputError(name, tr("is not a readable workbook ({error}); save it again from the spreadsheet, or "
                                  "export the sheet as CSV", error=type(exc).__name__)) from None
    sheets = list(book.sheet_names)
    wanted = _sheet[0]
    if not sheets:
        raise InputError(name, tr("the workbook has no sheet"))
    if wanted is not None and wanted not in sheets:
        raise InputError(name, tr("has no sheet named {sheet}; its sheets are {sheets} (--sheet NAME)",
                                  sheet=repr(wanted), sheets=", ".join(map(repr, sheets))))
    try:
        rows = book.get_sheet_by_name(wanted or sheets[0]).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputError(name, tr("sheet {sheet} cannot be read ({error})", sheet=repr(wanted or sheets[0]),
                                  error=type(exc).__name__)) from None
    if not any(any(v not in (None, "") for v in row) for row in rows):
        raise InputError(name, tr("sheet {sheet} is empty; the workbook's sheets are {sheets} (choose one with "
                                  "contactplan --sheet NAME)", sheet=repr(wanted or sheets[0]),
                                  sheets=", ".join(map(repr, sheets))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        cells = [_text(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")
