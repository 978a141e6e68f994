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
from zoneinfo import ZoneInfo

from contactplan.audit import audit_plan, contract_violations, debtor_problem, judging, verdicts
from contactplan.calendars import HOLIDAYS_VERSION, Calendars
from contactplan.config import Config
from contactplan.errors import InputError
from contactplan.i18n import tr
from contactplan.io.debtors import DebtorFile
from contactplan.io.frozen import paused_gc
from contactplan.io.history_fast import SpilledLog
from contactplan.model import (Agent, Attempt, Debtor, Direction, Outcome, PlannedContact, Pool, Slot, StoreData,
                               Rejection, opt_out_suppression, plan_date_problem)
from contactplan.planner import attach_store_data
from contactplan.report import HourlyUsage, hourly_usage
from contactplan.rules.base import Context, Rule, Severity, Violation
from contactplan.rules.packs import PackSet
from contactplan.solver.capacity import build_pools, slot_grid

JSON_SCHEMA_VERSION = 1


@dataclass
class ViolationCounts:
    """What a report's summary counts of its violations. Violations of different debtors never
    share a contact, so the counts of parts holding different debtors add up (a log's buckets)."""

    violations: int = 0
    contacts: int = 0  # distinct (debtor, channel, instant) with a violation
    by_rule: Counter = field(default_factory=Counter)
    by_severity: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, violations: Iterable[Violation]) -> ViolationCounts:
        violations = list(violations)
        return cls(len(violations), len({(v.debtor_id, v.channel, v.at) for v in violations if v.at}),
                   Counter(v.rule_id for v in violations), Counter(str(v.severity) for v in violations))

    def __add__(self, other: ViolationCounts) -> ViolationCounts:
        return ViolationCounts(self.violations + other.violations, self.contacts + other.contacts,
                               self.by_rule + other.by_rule, self.by_severity + other.by_severity)


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


def _unverifiable(contacts: list[PlannedContact], rejection: Rejection) -> list[Violation]:
    """Contacts of a debtor whose rows were rejected cannot be checked: that is a finding too."""
    message = tr("the debtor's rows are invalid ({path}:{line}); the contact cannot be verified",
                 path=rejection.path, line=rejection.line)
    return [Violation("audit.debtor_rejected", Severity.POLICY, "contactplan input contract (README)", c.debtor_id,
                      message, c.channel, c.window_start)
            for c in contacts]


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
    violations = [v for c in contacts if c.debtor_id in rejected for v in _unverifiable([c], rejected[c.debtor_id])]
    violations += audit_plan(
        known, debtors, packs, plan_date, pools=pools if agents is not None else None,
        slots=slots if agents is not None else None, config=config, calendars=calendars, not_before=not_before)
    return AuditReport(source, "plan", [plan_date], len(contacts), len({c.debtor_id for c in contacts}),
                       _sorted(violations), _provenance(debtor_file, packs, calendars),
                       hourly_usage(contacts, slots, pools, config.report_timezone), config.report_timezone)


def _as_contact(a: Attempt, debtor: Debtor | None) -> PlannedContact:
    """A logged attempt as the contact it was, in the debtor's primary zone. An attempt is an
    instant (attempted_at); the one-minute window only stands for it in messages and capacity
    (the hours rules check the minute it started)."""
    zone = debtor.primary_zone if debtor else "UTC"
    start = a.attempted_at.astimezone(ZoneInfo(zone))
    return PlannedContact(a.debtor_id, a.channel, a.destination, start, start + dt.timedelta(minutes=1), zone,
                          pool=a.agent_id, attempted_at=a.attempted_at, attempt=a)


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
    part = _judge_log(log, {d.debtor_id: d for d in debtor_file.debtors},
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
            part = _judge_log(log.debtor_groups(b), files, rejected, data, packs, calendars, config.report_timezone)
            parts.append(spill_bucket(log, b, part) if len(log.buckets) > 1 else part)  # as a worker would
    else:
        parts = judge_buckets(log, debtor_file, data, packs, calendars, config.report_timezone, workers)
    return _log_report(log.path, parts, debtor_file, packs, calendars, config)


@dataclass
class LogPart:
    """What judging some debtors' logged attempts found (a bucket's, or the whole log's)."""

    contacts: int
    debtors: int
    dates: set[dt.date]
    used: dict[dt.datetime, Counter]  # HourlyUsage.used
    violations: list[Violation]  # in report order (_sorted)
    counts: ViolationCounts = field(default_factory=ViolationCounts)  # of the violations
    spilled: str | None = None  # the file holding the violations instead (review_workers.spill_violations)


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
        return sources[0] if len(sources) == 1 else heapq.merge(*sources, key=_report_order)


def _judge_log(log: Iterable[Sequence[Attempt]], files: dict[str, Debtor], rejected: dict[str, Rejection],
               data: StoreData, packs: PackSet, calendars: Calendars, report_timezone: str) -> LogPart:
    usage = HourlyUsage(report_timezone)
    dates: set[dt.date] = set()
    violations: list[Violation] = []
    contacts = debtors = 0
    contexts: dict[dt.date, Context] = {}
    with paused_gc():  # a log of millions builds millions of short-lived contacts and copies
        for mine in log:
            debtor = files.get(mine[0].debtor_id)
            judged = [_as_contact(a, debtor) for a in mine if a.direction is not Direction.INBOUND]
            if not judged:
                continue
            debtor_id = mine[0].debtor_id
            contacts += len(judged)
            debtors += 1
            for c in judged:
                dates.add(c.window_start.date())
                usage.add(c)
            if debtor_id in rejected:
                violations += _unverifiable(judged, rejected[debtor_id])
                continue
            violations += _judge(debtor, debtor_id, mine, judged, data, packs, contexts, calendars)
    return LogPart(contacts, debtors, dates, dict(usage.used), _sorted(violations), ViolationCounts.of(violations))


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


def _judge(debtor: Debtor | None, debtor_id: str, mine: Sequence[Attempt], judged: list[PlannedContact],
           data: StoreData, packs: PackSet, contexts: dict[dt.date, Context], calendars: Calendars) -> list[Violation]:
    """One debtor's logged contacts, all at once. Every attempt known -- the store's (the log's
    own, if already imported, not counted twice) and the log's -- is the debtor's history; what a
    rule counts against a contact is only what may come before it, never the contact's own
    attempt (PlannedContact.may_follow). So each contact is judged exactly as if alone, against
    its own past (tests/test_log_bulk.py holds the two to each other), in one call of each rule
    rather than one per attempt."""
    problem = debtor_problem(debtor_id, debtor, packs)
    if problem:
        return [problem for _ in judged]  # one finding per contact that cannot be judged
    logged = {a.attempt_id for a in mine}
    known = [*(a for a in data.history.get(debtor_id, ()) if a.attempt_id not in logged), *mine]
    suppressed = [*data.suppressed.get(debtor_id, ()),
                  *(opt_out_suppression(a, "log") for a in mine if a.outcome is Outcome.OPT_OUT)]
    attached = attach_store_data([debtor], StoreData({debtor_id: known}, {debtor_id: suppressed},
                                                     data.suppressed_destinations, data.consents))[0]
    out: list[Violation] = []
    by_day: dict[dt.date, list[PlannedContact]] = {}
    for c in judged:
        by_day.setdefault(c.window_start.date(), []).append(c)
    for contacts in by_day.values():  # the plan contract, each contact on its own local day
        out += contract_violations(debtor_id, attached, contacts, _context(contexts, contacts[0], calendars))
    # Each rule is given, in log order, the contacts of the days it is in force on (most logs:
    # one set of rules on every day). A rule's check reads the plan date only for a planned
    # contact, never for a logged one, so one context stands for all these days.
    by_rules: dict[int, tuple[tuple[Rule, ...], list[PlannedContact]]] = {}
    for c in judged:
        rules = packs.rules_for(attached, c.window_start.date())
        found = by_rules.get(id(rules))
        if found is None:
            found = by_rules[id(rules)] = (rules, [])
        found[1].append(c)
    for rules, contacts in by_rules.values():
        ctx = _context(contexts, contacts[0], calendars)
        for rule in judging(rules, frozenset(c.channel for c in contacts)):
            found_here = verdicts(rule, attached, contacts, ctx)
            if found_here:
                out += found_here
    return out


def _context(contexts: dict[dt.date, Context], c: PlannedContact, calendars: Calendars) -> Context:
    day = c.window_start.date()
    return contexts.get(day) or contexts.setdefault(day, Context(day, calendars))


_FLOOR = dt.datetime.min.replace(tzinfo=dt.UTC)


def _report_order(v: Violation) -> tuple:
    return (v.debtor_id, v.at or _FLOOR, v.rule_id)


def _sorted(violations: list[Violation]) -> list[Violation]:
    return sorted(violations, key=_report_order)


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
