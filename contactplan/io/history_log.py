"""A history file as the store imports it: one column per stored field, one row per attempt in
file order (``contactplan history import`` of a million attempts without an object per row).

The file is read by the same two readers as ``audit --log``: plain text by polars in pieces
(``history_fast``: every row it cannot vouch for goes through the row path's own checks), anything
else by the row path (``history.read_history_lines``). Either way the rows become the columns the
store writes (``LOG_SCHEMA``), computed here once: instants in UTC as the store keeps them, the
offset each was written with in minutes. ``attempts_frame`` makes the same columns from Attempts
(the row path, and callers that hold Attempts); tests/test_history_log.py holds the two to each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from contactplan.errors import InputError
from contactplan.io.history import DIRECTION_OF, read_history_lines
from contactplan.model import Attempt, Channel, Direction, Outcome

UTC = dt.timezone.utc
# The stored columns. attempted_at and callback_at: naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff",
# the form SQLite keeps a UTC datetime in (SQLAlchemy's, and Store._time_value's) and PostgreSQL
# reads into a timestamp.
LOG_SCHEMA = {"line": pl.Int64, "attempt_id": pl.String, "debtor_id": pl.String, "account_id": pl.String,
              "channel": pl.String, "destination": pl.String, "attempted_at": pl.String,
              "utc_offset_minutes": pl.Int32, "outcome": pl.String, "agent_id": pl.String, "direction": pl.String,
              "callback_at": pl.String, "callback_offset_minutes": pl.Int32}
_STORED_TIME = "%Y-%m-%d %H:%M:%S%.6f"


@dataclass
class HistoryLog:
    """A history file's attempts as columns, its sha256, its unknown columns, and ``error(i,
    column, message)``: the file:line:column error about the i-th attempt's column (the store's
    checks against stored attempts report with it)."""

    frame: pl.DataFrame
    sha256: str
    unknown: list[str]
    error: Callable[[int, str, str], InputError]


def read_history_log(path: str | Path, default_country: str = "BR", now: dt.datetime | None = None) -> HistoryLog:
    """The file at ``path`` as the store imports it; raises the row path's InputError on its
    first bad row (all or nothing, as ``read_history``). ``now``: an attempt later than now (an
    hour's slack for clocks) is a bad row."""
    from contactplan.io.history_fast import read_checked_log

    name = str(path)
    read = read_checked_log(name, default_country=default_country, now=now)
    if read is None:  # not plain text: the row path holds the whole file
        attempts, sha, unknown, error = read_history_lines(name, default_country, now)
        return HistoryLog(attempts_frame(attempts), sha, unknown, error)
    frame, sha, unknown, table = read
    frame = checked_frame(frame)
    lines = frame.get_column("line")

    def error(i: int, column: str, message: str) -> InputError:
        return table.error(int(lines[i]), column, message)

    return HistoryLog(frame, sha, unknown, error)


def checked_frame(checked: pl.DataFrame) -> pl.DataFrame:
    """history_fast's checked rows (channel, outcome and direction as codes, instants as the
    file's text) as LOG_SCHEMA."""
    from contactplan.io.history_fast import CHANNEL_LIST, DIRECTION_LIST, OUTCOME_LIST

    def named(column: str, values: list) -> pl.Expr:
        return pl.col(column).replace_strict(list(range(len(values))), [v.value for v in values],
                                             return_dtype=pl.String)

    at, offset = stored_instants(checked.get_column("attempted_at"))
    callback_text = checked.get_column("callback_at")
    callback, callback_offset = stored_instants(callback_text)
    frame = checked.with_columns(named("channel", CHANNEL_LIST), named("outcome", OUTCOME_LIST),
                                 named("direction", DIRECTION_LIST), at.alias("attempted_at"),
                                 offset.alias("utc_offset_minutes"), callback.alias("callback_at"),
                                 callback_offset.alias("callback_offset_minutes"))
    return frame.select([pl.col(c).cast(t) for c, t in LOG_SCHEMA.items()])


def stored_instants(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """ISO 8601 instants the readers accepted (blank: none) as the store keeps them: UTC text and
    the offset in minutes (``offset_minutes``). The plain shape (what dialers write and
    datetime.isoformat gives) is converted in bulk; any other form by parse_instant, the readers'
    own parser."""
    from contactplan.io.history_fast import plain_instant_fields

    f = plain_instant_fields(text)
    days = f.date.str.to_date("%Y-%m-%d", strict=False).cast(pl.Int64)
    seconds = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - f.offset
    utc = pl.select(pl.from_epoch(seconds * 1_000_000 + f.fraction, time_unit="us").dt.strftime(_STORED_TIME)
                    ).to_series()
    minutes = (f.offset // 60).cast(pl.Int32)
    odd = (utc.is_null() & (text.fill_null("") != "")).arg_true()
    if len(odd):  # rare: offsets with seconds, week dates, a space for the T ...
        from contactplan.io.values import parse_instant

        utc, minutes = utc.to_list(), minutes.to_list()
        for i in odd.to_list():
            when = parse_instant(text[i])
            utc[i], minutes[i] = stored_time(when), offset_minutes(when)
        utc, minutes = pl.Series(utc, dtype=pl.String), pl.Series(minutes, dtype=pl.Int32)
    return utc, minutes


def stored_time(when: dt.datetime) -> str:
    """An aware instant as the store keeps it (naive UTC text)."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def offset_minutes(when: dt.datetime) -> int:
    return int(when.utcoffset().total_seconds() // 60)


def attempts_frame(attempts: Sequence[Attempt], lines: Sequence[int] | None = None) -> pl.DataFrame:
    """Attempts as LOG_SCHEMA (``lines``: where each was read; 0 when not from a file)."""
    columns: dict[str, list] = {c: [] for c in LOG_SCHEMA}
    for k, a in enumerate(attempts):
        columns["line"].append(lines[k] if lines is not None else 0)
        columns["attempt_id"].append(a.attempt_id)
        columns["debtor_id"].append(a.debtor_id)
        columns["account_id"].append(a.account_id)
        columns["channel"].append(a.channel.value)
        columns["destination"].append(a.destination)
        columns["attempted_at"].append(stored_time(a.attempted_at))
        columns["utc_offset_minutes"].append(offset_minutes(a.attempted_at))
        columns["outcome"].append(a.outcome.value)
        columns["agent_id"].append(a.agent_id)
        columns["direction"].append(a.direction.value)
        columns["callback_at"].append(stored_time(a.callback_at) if a.callback_at else None)
        columns["callback_offset_minutes"].append(offset_minutes(a.callback_at) if a.callback_at else None)
    return pl.DataFrame(columns, schema=LOG_SCHEMA)


def frame_attempt(row: dict) -> Attempt:
    """One LOG_SCHEMA row (``iter_rows(named=True)``) as the Attempt it records."""
    def instant(text: str | None, minutes: int | None) -> dt.datetime | None:
        if text is None:
            return None
        zone = dt.timezone(dt.timedelta(minutes=minutes or 0))
        return dt.datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone(zone)

    return Attempt(row["attempt_id"], row["debtor_id"], Channel(row["channel"]), row["destination"],
                   instant(row["attempted_at"], row["utc_offset_minutes"]), Outcome(row["outcome"]),
                   row["account_id"], row["agent_id"], DIRECTION_OF.get(row["direction"], Direction.OUTBOUND),
                   instant(row["callback_at"], row["callback_offset_minutes"]))
