"""Judging a spilled log's buckets in worker processes (``audit --log --workers N``).

Each bucket holds every attempt of its debtors (io.history_fast), so a worker needs only those
debtors, their stored history and the rules: it reads its bucket from disk and returns what it
found (log_judge.LogPart), its violations written beside the bucket (so that the parent never holds
them all: it reads them back, merged, as it writes the report). Workers are *spawned*, not
forked: polars and OR-Tools run thread pools, and a forked child of a threaded process may
deadlock on a lock another thread held. The reader's language and --show-values go with them,
so messages read as the parent's would.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from contactplan.calendars import Calendars
from contactplan.errors import show_values, values_shown
from contactplan.i18n import current_language, use_language
from contactplan.io.debtors import DebtorFile
from contactplan.io.history_fast import SpilledLog, bucket_of, scratch_error
from contactplan.log_judge import judge_log
from contactplan.model import Debtor, Rejection, StoreData
from contactplan.rules.packs import PackSet

_SHARED: dict = {}  # in a worker: what every bucket is judged with (set once, by _start)


def judge_buckets(log: SpilledLog, debtor_file: DebtorFile, data: StoreData, packs: PackSet, calendars: Calendars,
                  report_timezone: str, workers: int) -> list:
    """log_judge.LogPart of every bucket, in bucket order, judged by up to ``workers`` processes."""
    n = len(log.buckets)
    debtors = _by_bucket(debtor_file.debtors, lambda d: d.debtor_id, log, n)
    rejections = _by_bucket(debtor_file.rejections, lambda r: r.debtor_id, log, n)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(min(workers, n), mp_context=context, initializer=_start,
                                                initargs=(packs, calendars, report_timezone, current_language(),
                                                          values_shown())) as pool:
        jobs = [pool.submit(_judge_bucket, log, b, debtors[b], rejections[b], _store_part(data, debtors[b]))
                for b in range(n)]
        return [job.result() for job in jobs]


SPILL_CHUNK = 10_000  # violations a pickle of the spill file holds


def spill_bucket(log: SpilledLog, bucket: int, part):
    """The bucket's part with its violations spilled beside the bucket's files (when the log is on disk)."""
    if log.workdir is None or not part.violations:
        return part
    return spill_violations(part, log.workdir / f"violations-{bucket:04d}.pickle")


def spill_violations(part, path: Path):
    """The part with its violations written to ``path`` (in report order, in chunks) instead of
    held: the parent reads them back as it writes the report (review.ReportViolations)."""
    try:
        with path.open("wb") as f:
            for k in range(0, len(part.violations), SPILL_CHUNK):
                pickle.dump(part.violations[k:k + SPILL_CHUNK], f, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        raise scratch_error(path.parent, exc) from None
    return dataclasses.replace(part, violations=[], spilled=str(path))


def read_spilled(path: str) -> Iterator:
    """The violations ``spill_violations`` wrote, in their order. The file is this run's own, in
    its private temporary directory."""
    with open(path, "rb") as f:
        while True:
            try:
                chunk = pickle.load(f)
            except EOFError:
                return
            yield from chunk


def _by_bucket(items: Iterable, key, log: SpilledLog, n: int) -> list[list]:
    items = list(items)
    out: list[list] = [[] for _ in range(n)]
    if not items:
        return out
    for item, b in zip(items, bucket_of(pl.Series([key(i) for i in items], dtype=pl.String), n, log.seed).to_list()):
        out[b].append(item)
    return out


def _store_part(data: StoreData, debtors: list[Debtor]) -> StoreData:
    """The store's data about these debtors (a destination's suppressions go whole: any debtor may have it)."""
    ids = [d.debtor_id for d in debtors]
    return StoreData({i: data.history[i] for i in ids if i in data.history},
                     {i: data.suppressed[i] for i in ids if i in data.suppressed},
                     data.suppressed_destinations,
                     {i: data.consents[i] for i in ids if i in data.consents})


def _start(packs: PackSet, calendars: Calendars, report_timezone: str, language: str, shown: bool) -> None:
    use_language(language)
    show_values(shown)
    _SHARED.update(packs=packs, calendars=calendars, report_timezone=report_timezone)


def _judge_bucket(log: SpilledLog, bucket: int, debtors: list[Debtor], rejections: list[Rejection],
                  data: StoreData):
    part = judge_log(log.debtor_groups(bucket), {d.debtor_id: d for d in debtors},
                     {r.debtor_id: r for r in rejections}, data, _SHARED["packs"], _SHARED["calendars"],
                     _SHARED["report_timezone"])
    return spill_bucket(log, bucket, part)
