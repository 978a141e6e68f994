"""Compliance review of any plan file or dialer log: ``contactplan audit``.

This module only gathers inputs and shapes the result; the verdict comes from ``audit_plan``,
which never looks at the solver. A plan file is checked for its one day; a log (what was actually
dialled or sent) is checked per debtor-local day, against the history known before it.
"""

from __future__ import annotations

import heapq
import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from contactplan.audit import audit_plan
from contactplan.calendars import HOLIDAYS_VERSION, Calendars
from contactplan.errors import InputError
from contactplan.i18n import tr
from contactplan.io.debtors import DebtorFile
from contactplan.io.history_fast import SpilledLog
from contactplan.model import (Agent, Attempt, Config, Debtor, PlannedContact, Pool, Slot, StoreData, attach_store_data,
                               plan_date_problem)
from contactplan.report import HourlyUsage, hourly_usage
from contactplan.rules.base import Violation
from contactplan.log_judge import (LogPart, ViolationCounts, in_report_order, judge_log, report_order,
                                   unverifiable)
from contactplan.rules.packs import PackSet
from contactplan.solver.capacity import build_pools, slot_grid

JSON_SCHEMA_VERSION = 1


def _most_first(counts: Counter) -> dict[str, int]:
    """Most frequent first, ties by name: the same order however the violations were counted."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass
class AuditReport:
    source: str
    kind: str  # "plan" or "log"
    dates: list[dt.date]
    contacts: int  # contacts judged (a log's inbound rows are history, not contacts)
    debtors: int  # distinct debtors among them
    violations: list[Violation] | ReportViolations
    provenance: dict[str, str] = field(default_factory=dict)
    hourly: list[tuple[dt.datetime, Counter, int]] = field(default_factory=list)  # report.hourly_usage rows
    report_timezone: str = "America/Sao_Paulo"
    counts: ViolationCounts | None = None  # of ``violations``, when known already (a log's workers count)

    @property
    def clean(self) -> bool:
        return not self.violations

    def summary(self) -> dict:
        if self.counts is None:
            self.counts = ViolationCounts.of(self.violations)
        counts = self.counts
        return {
            "contacts": self.contacts,
            "debtors": self.debtors,
            "violations": counts.violations,
            "contacts_with_violations": counts.contacts,
            "by_rule": _most_first(counts.by_rule),
            "by_severity": _most_first(counts.by_severity),
        }


def _attach(debtors: list[Debtor], data: StoreData, before: dt.datetime | None) -> dict[str, Debtor]:
    """Debtors by id with the history known *before* the reviewed contacts (so a plan whose
    attempts were imported afterwards is not counted twice), the suppressions in force and the
    consent records."""
    return {d.debtor_id: d for d in attach_store_data(debtors, data, before=before)}


def review_plan(contacts: list[PlannedContact], plan_date: dt.date, debtor_file: DebtorFile, packs: PackSet, *,
                source: str, agents: list[Agent] | None = None, agents_path: str = "agents.csv",
                store_data: StoreData | None = None, config: Config | None = None,
                calendars: Calendars | None = None, not_before: dt.datetime | None = None) -> AuditReport:
    """A plan checked for its one day. History: what was done before the plan's first window, or
    for an intra-day re-plan before ``not_before`` (the morning's log), whose earlier contacts
    count against every cap; a window starting before ``not_before`` is itself a violation."""
    config = config or Config()
    calendars = calendars or Calendars()
    before = not_before or min((c.window_start for c in contacts), default=None)
    debtors = _attach(debtor_file.debtors, store_data or StoreData(), before)
    pools: list[Pool] = []
    slots: list[Slot] = []
    if agents is not None:
        slots = slot_grid(plan_date, {z for d in debtors.values() for z in d.zones}, config.slot_minutes)
        pools = build_pools(agents, slots, agents_path)
    rejected = {r.debtor_id: r for r in debtor_file.rejections}
    known = [c for c in contacts if c.debtor_id not in rejected]
    violations = [v for c in contacts if c.debtor_id in rejected for v in unverifiable([c], rejected[c.debtor_id])]
    violations += audit_plan(
        known, debtors, packs, plan_date, pools=pools if agents is not None else None,
        slots=slots if agents is not None else None, config=config, calendars=calendars, not_before=not_before)
    return AuditReport(source, "plan", [plan_date], len(contacts), len({c.debtor_id for c in contacts}),
                       in_report_order(violations), _provenance(debtor_file, packs, calendars),
                       hourly_usage(contacts, slots, pools, config.report_timezone), config.report_timezone)


def review_log(log: Iterable[Sequence[Attempt]], debtor_file: DebtorFile, packs: PackSet, *, source: str,
               store_data: StoreData | None = None, config: Config | None = None,
               calendars: Calendars | None = None) -> AuditReport:
    """What was actually dialled or sent, each attempt checked in the debtor's local time
    against every other attempt known to have come before it.

    ``log`` holds each debtor's attempts together (``by_debtor``, or a spilled log's buckets:
    ``review_spilled_log``). What came before an attempt: the store's history (the log's own
    attempts, if already imported, are not counted twice) and the log's other attempts, those of
    the same day included -- a conversation at 10:00 holds the 11:00 call (12 CFR
    1006.14(b)(2)(i)(B): the conversation's day is day one), a call back asked for at 10:00
    consents the 15:00 call. An opt-out in the log suppresses that destination and channel from
    its own time on, as importing it would. The debtor's own calls and messages (direction
    inbound) are history for the others, not contacts to judge."""
    config = config or Config()
    calendars = calendars or Calendars()
    part = judge_log(log, {d.debtor_id: d for d in debtor_file.debtors},
                     {r.debtor_id: r for r in debtor_file.rejections}, store_data or StoreData(), packs, calendars,
                     config.report_timezone)
    return _log_report(source, [part], debtor_file, packs, calendars, config)


def review_spilled_log(log: SpilledLog, debtor_file: DebtorFile, packs: PackSet, *, store_data: StoreData | None = None,
                       config: Config | None = None, calendars: Calendars | None = None,
                       workers: int = 1) -> AuditReport:
    """``review_log`` of a log spilled to disk by debtor (``io.history_fast.read_log``): bucket by
    bucket, each holding only its own attempts, in up to ``workers`` processes. A debtor's
    attempts are all in one bucket, so the report is the one ``review_log`` gives, whatever the
    number of buckets and workers."""
    config = config or Config()
    calendars = calendars or Calendars()
    data = store_data or StoreData()
    from contactplan.review_workers import judge_buckets, spill_bucket

    if len(log.buckets) == 1 or workers <= 1:
        files = {d.debtor_id: d for d in debtor_file.debtors}
        rejected = {r.debtor_id: r for r in debtor_file.rejections}
        parts = []
        for b in range(len(log.buckets)):
            part = judge_log(log.debtor_groups(b), files, rejected, data, packs, calendars, config.report_timezone)
            parts.append(spill_bucket(log, b, part) if len(log.buckets) > 1 else part)  # as a worker would
    else:
        parts = judge_buckets(log, debtor_file, data, packs, calendars, config.report_timezone, workers)
    return _log_report(log.path, parts, debtor_file, packs, calendars, config)


class ReportViolations:
    """A log report's violations, kept in its parts (in memory, or in the files a log's workers
    spilled them to) and merged in report order each time they are read: a debtor is in one part
    only. The parent's memory so holds a chunk per part, not every violation found."""

    def __init__(self, parts: list[LogPart]):
        self.parts = parts
        self.total = sum(p.counts.violations for p in parts)

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Violation]:
        from contactplan.review_workers import read_spilled

        sources = [iter(p.violations) if p.spilled is None else read_spilled(p.spilled) for p in self.parts]
        return sources[0] if len(sources) == 1 else heapq.merge(*sources, key=report_order)


def _log_report(source: str, parts: list[LogPart], debtor_file: DebtorFile, packs: PackSet, calendars: Calendars,
                config: Config) -> AuditReport:
    """One report of the parts: a debtor is in one part only, so their violations merge in order."""
    usage = HourlyUsage(config.report_timezone)
    for part in parts:
        for hour, channels in part.used.items():
            usage.used[hour].update(channels)
    violations = parts[0].violations if len(parts) == 1 and parts[0].spilled is None else ReportViolations(parts)
    return AuditReport(source, "log", sorted(set().union(*(p.dates for p in parts))), sum(p.contacts for p in parts),
                       sum(p.debtors for p in parts), violations, _provenance(debtor_file, packs, calendars),
                       usage.rows(), config.report_timezone, sum((p.counts for p in parts), ViolationCounts()))


def _provenance(debtor_file: DebtorFile, packs: PackSet, calendars: Calendars) -> dict[str, str]:
    return {"debtors_sha256": debtor_file.sha256, "packs": ",".join(p.id for p in packs.packs),
            "packs_sha256": packs.sha256, "holidays": HOLIDAYS_VERSION,
            "municipal_holidays": calendars.municipal_source}


def plan_date_of(file_date: dt.date | None, given: dt.date | None, path: str) -> dt.date:
    if given and file_date and given != file_date:
        raise InputError(path, tr("--date {given} differs from the plan's plan_date {file_date}", given=given,
                                  file_date=file_date))
    day = given or file_date
    if day is None:
        raise InputError(path, tr("the plan has no plan_date column; pass --date YYYY-MM-DD"))
    problem = plan_date_problem(day)
    if problem:
        raise InputError(path, f"plan_date {day} {problem}")
    return day


# --- machine-readable forms -------------------------------------------------------------------
def violation_dict(v: Violation) -> dict:
    return {"rule_id": v.rule_id, "severity": str(v.severity), "citation": v.citation, "debtor_id": v.debtor_id,
            "channel": str(v.channel) if v.channel else None, "at": v.at.isoformat() if v.at else None,
            "message": v.message}


def to_json(report: AuditReport) -> str:
    return "".join(json_chunks(report))


def json_chunks(report: AuditReport) -> Iterator[str]:
    """Schema (version 1), documented in docs/audit.md, a few thousand violations at a time.
    Indented, one violation a line: the standard library writes a list of a million objects ten
    times faster without indentation."""
    head = json.dumps({
        "schema": JSON_SCHEMA_VERSION,
        "status": "clean" if report.clean else "violations",
        "kind": report.kind,
        "source": report.source,
        "dates": [d.isoformat() for d in report.dates],
        "summary": report.summary(),
        "violations": [],
        "provenance": report.provenance,
    }, ensure_ascii=False, indent=2)
    if not report.violations:
        yield head + "\n"
        return
    # The one '"violations": []' outside a string: a quote inside one is escaped.
    before, after = head.split('"violations": []', 1)
    yield before + '"violations": [\n    '
    lines = violation_lines(report.violations)
    separator = ""
    for batch in iter(lambda: list(itertools.islice(lines, CHUNK)), []):
        yield separator + ",\n    ".join(batch)
        separator = ",\n    "
    yield "\n  ]" + after + "\n"


CHUNK = 4096  # violations a chunk of a written report holds


def violation_lines(violations: Iterable[Violation]) -> Iterator[str]:
    """Each violation as ``json.dumps(violation_dict(v), ensure_ascii=False)`` writes it (a test
    holds the two together), a few times faster: the rule's part is encoded once per rule and
    the rest by the json module's own string encoder."""
    text = json.encoder.encode_basestring  # what the encoder writes a str with, ensure_ascii=False
    heads: dict[tuple, str] = {}
    for v in violations:
        key = (v.rule_id, v.severity, v.citation)
        head = heads.get(key)
        if head is None:
            head = heads[key] = (f'{{"rule_id": {text(v.rule_id)}, "severity": {text(str(v.severity))}, '
                                 f'"citation": {text(v.citation)}, "debtor_id": ')
        yield (head + text(v.debtor_id) + ', "channel": ' + (text(str(v.channel)) if v.channel else "null")
               + ', "at": ' + (f'"{v.at.isoformat()}"' if v.at else "null") + ', "message": ' + text(v.message)
               + "}")


CSV_COLUMNS = ("rule_id", "severity", "debtor_id", "channel", "at", "message", "citation")


def to_csv(report: AuditReport) -> str:
    return "".join(csv_chunks(report))


def csv_chunks(report: AuditReport) -> Iterator[str]:
    import csv
    import io

    from contactplan.io.csvfile import spreadsheet_safe

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    violations = iter(report.violations)
    for batch in iter(lambda: list(itertools.islice(violations, CHUNK)), []):
        for v in batch:
            d = violation_dict(v)
            w.writerow([spreadsheet_safe(str(d[c] or "")) for c in CSV_COLUMNS])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()
