"""debtors.csv: one row per account; rows sharing debtor_id are one person.

``read_debtors`` reads it by the vectorised path (io.debtors_fast) or row by row
(io.debtor_rows, which holds the per-value checks both share); the two give the same
DebtorFile. Every row ends up either in a Debtor or in a Rejection with file:line:column and a
reason; messages never quote names, phones, e-mails or documents.
"""

from __future__ import annotations

from pathlib import Path

from contactplan.i18n import tr
from contactplan.io.csvfile import parse_csv, read_bytes
from contactplan.io.debtor_rows import (ANSWER_COLUMNS, CONTACT_COLUMNS, DEBTOR_COLUMNS_FOR_FUZZ, KNOWN, MAX_BALANCE,
                                        REQUIRED, DebtorFile, build, has_contact_column)

__all__ = ["ANSWER_COLUMNS", "CONTACT_COLUMNS", "DEBTOR_COLUMNS_FOR_FUZZ", "KNOWN", "MAX_BALANCE", "REQUIRED",
           "DebtorFile", "FAST_PATH_MIN_BYTES", "has_contact_column", "read_debtors"]


# Below this size the row path is as quick as loading polars (~0.3 s) and the fast path's set-up.
FAST_PATH_MIN_BYTES = 2_000_000


def read_debtors(path: str | Path, *, strategy: str = "auto") -> DebtorFile:
    """Read debtors.csv into debtors and rejections.

    ``strategy``: "auto" takes the vectorised fast path (``debtors_fast``) for files of
    FAST_PATH_MIN_BYTES or more; "fast" tries it whatever the size; "rows" reads row by row.
    Both give the same DebtorFile: the fast path hands to the row path whatever it is not sure of.
    """
    if strategy not in ("auto", "fast", "rows"):
        raise ValueError(f"strategy must be auto, fast or rows, not {strategy!r}")
    name = str(path)
    raw = read_bytes(path)
    if strategy == "fast" or (strategy == "auto" and len(raw) >= FAST_PATH_MIN_BYTES):
        from contactplan.io import debtors_fast  # polars: loaded only for a file worth it

        result = debtors_fast.read(name, raw)
        if result is not None:
            return result
    table, unknown = parse_csv(name, raw, REQUIRED, KNOWN)
    if not has_contact_column(table.header):
        from contactplan.errors import InputError

        raise InputError(table.path, tr("no contact column; the header needs at least one of {columns}",
                                        columns=", ".join(CONTACT_COLUMNS)), line=1)
    return build(table, unknown)


