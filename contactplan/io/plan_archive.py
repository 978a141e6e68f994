"""An archived plan's contacts as one compressed columnar file (Parquet, zstd).

The store keeps each archived plan's contacts as one such file, named by its sha256
(``plan_files``), instead of a table row per contact: a million-contact plan was 27 s to insert
and 36 s to read back as rows on SQLite, and 490 MB; as a file it is a few seconds and some
tens of MB. The file holds the contacts in the plan's order, so reading it back gives the plan.

Columns (FORMAT names this layout; a later layout gets a new name and this one stays readable):
debtor_id, channel, destination, timezone, pool, rules (ids joined by ";"), arm: text;
expected_value: the Decimal's own text (exact); window_start, window_end: UTC instants
(microseconds); rank: integer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from contactplan.io.frozen import constructor, paused_gc
from contactplan.model import Channel, PlannedContact

FORMAT = "contactplan-plan-1.parquet"
UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_US = dt.timedelta(microseconds=1)
# A million contacts read back: a frozen dataclass's __init__ would be most of the time.
_new_contact = constructor(PlannedContact, "debtor_id", "channel", "destination", "window_start", "window_end",
                           "timezone", "pool", "rank", "expected_value", "rules", "arm")
_TEXT = ("debtor_id", "channel", "destination", "timezone", "pool", "expected_value", "rules", "arm")


def encode(contacts: Sequence[PlannedContact]) -> tuple[bytes, str]:
    """The file of these contacts and its sha256 (hex)."""
    channel_text = {c: c.value for c in Channel}  # Enum.value is a slow descriptor, a million times
    frame = pl.DataFrame({
        "debtor_id": [c.debtor_id for c in contacts],
        "channel": [channel_text[c.channel] for c in contacts],
        "destination": [c.destination for c in contacts],
        "window_start": _each_once([c.window_start for c in contacts], _micros, pl.Int64),
        "window_end": _each_once([c.window_end for c in contacts], _micros, pl.Int64),
        "timezone": [c.timezone for c in contacts],
        "pool": [c.pool for c in contacts],
        "rank": pl.Series([c.rank for c in contacts], dtype=pl.Int64),
        "expected_value": [str(c.expected_value) for c in contacts],
        "rules": _each_once([c.rules for c in contacts], ";".join, pl.String),
        "arm": [c.arm for c in contacts],
    }, schema_overrides={name: pl.String for name in _TEXT})
    frame = frame.with_columns(pl.col("window_start", "window_end").cast(pl.Datetime("us", "UTC")))
    buffer = io.BytesIO()
    # No statistics: nothing looks inside the file by them, and they would only make it larger.
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    content = buffer.getvalue()
    return content, hashlib.sha256(content).hexdigest()


def _micros(t: dt.datetime) -> int:
    return (t - _EPOCH) // _US


def _each_once(objects: list, convert: Callable, dtype) -> pl.Series:
    """``convert`` of each object, computed once per distinct object: a plan's contacts share a
    few dozen window and rule-list objects, and hashing an aware datetime asks its zone for the
    offset (a million times a second or two), so they are told apart by identity."""
    ids = np.fromiter(map(id, objects), dtype=np.uint64, count=len(objects))
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    return pl.Series([convert(objects[i]) for i in first.tolist()], dtype=dtype).gather(inverse)


def columns(content: bytes, names: Sequence[str]) -> pl.DataFrame:
    """Some columns of a file, in the plan's order (window times as UTC instants)."""
    return pl.read_parquet(io.BytesIO(content), columns=list(names))


def decode(content: bytes) -> list[PlannedContact]:
    """The contacts of a file, as the plan held them (windows in the debtor's zone)."""
    frame = columns(content, ["debtor_id", "channel", "destination", "window_start", "window_end", "timezone",
                              "pool", "rank", "expected_value", "rules", "arm"])
    names = frame["timezone"].unique().to_list()
    zones = [ZoneInfo(z) for z in names]
    zone_codes = frame["timezone"].replace_strict(names, range(len(names)), return_dtype=pl.Int64).to_numpy()

    def local(column: str) -> list[dt.datetime]:
        # One datetime per distinct (instant, zone), shared by the contacts that have it.
        us = frame[column].dt.epoch("us").to_numpy()
        key = us * len(zones) + zone_codes
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        made = [(_EPOCH + int(us[i]) * _US).astimezone(zones[zone_codes[i]]) for i in first.tolist()]
        return list(map(made.__getitem__, inverse.tolist()))

    rules = frame["rules"].unique().to_list()
    rule_ids = {text: tuple(r for r in text.split(";") if r) for text in rules}
    channels = {c.value: c for c in Channel}
    with paused_gc():
        return [_new_contact(debtor_id, channels[channel], destination, start, end, zone, pool, rank, Decimal(value),
                             rule_ids[rule_text], arm)
                for debtor_id, channel, destination, start, end, zone, pool, rank, value, rule_text, arm
                in zip(frame["debtor_id"].to_list(), frame["channel"].to_list(), frame["destination"].to_list(),
                       local("window_start"), local("window_end"), frame["timezone"].to_list(),
                       frame["pool"].to_list(), frame["rank"].to_list(), frame["expected_value"].to_list(),
                       frame["rules"].to_list(), frame["arm"].to_list(), strict=True)]
