"""Compliance review of any plan file or dialer log: ``contactplan audit``.

This module only gathers inputs and shapes the result; the verdict comes from ``audit_plan``,
which never looks at the solver. A plan file is checked for its one day; a log (what was actually
dialled or sent) is checked per debtor-local day, against the history known before it.
"""

from __future__ import annotations

import bisect
import heapq
import datetime as dt
import json
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from contactplan.audit import audit_debtor, audit_plan, judging
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
_by_time = operator.attrgetter("attempted_at")


@dataclass
class AuditReport:
    source: str
    kind: str  # "plan" or "log"
    dates: list[dt.date]
    contacts: int  # contacts judged (a log's inbound rows are history, not contacts)
    debtors: int  # distinct debtors among them
    violations: list[Violation]
    provenance: dict[str, str] = field(default_factory=dict)
    hourly: list[tuple[dt.datetime, Counter, int]] = field(default_factory=list)  # report.hourly_usage rows
    report_timezone: str = "America/Sao_Paulo"

    @property
    def clean(self) -> bool:
        return not self.violations

    def summary(self) -> dict:
        return {
            "contacts": self.contacts,
            "debtors": self.debtors,
            "violations": len(self.violations),
            "contacts_with_violations": len({(v.debtor_id, v.channel, v.at) for v in self.violations if v.at}),
            "by_rule": dict(Counter(v.rule_id for v in self.violations).most_common()),
            "by_severity": dict(Counter(str(v.severity) for v in self.violations).most_common()),
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
                          pool=a.agent_id, attempted_at=a.attempted_at)


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
    if len(log.buckets) == 1 or workers <= 1:
        files = {d.debtor_id: d for d in debtor_file.debtors}
        rejected = {r.debtor_id: r for r in debtor_file.rejections}
        parts = [_judge_log(log.debtor_groups(b), files, rejected, data, packs, calendars, config.report_timezone)
                 for b in range(len(log.buckets))]
    else:
        from contactplan.review_workers import judge_buckets

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


def _judge_log(log: Iterable[Sequence[Attempt]], files: dict[str, Debtor], rejected: dict[str, Rejection],
               data: StoreData, packs: PackSet, calendars: Calendars, report_timezone: str) -> LogPart:
    usage = HourlyUsage(report_timezone)
    dates: set[dt.date] = set()
    violations: list[Violation] = []
    contacts = debtors = 0
    contexts: dict[dt.date, Context] = {}
    span = dt.timedelta(days=packs.history_days)
    with paused_gc():  # a log of millions builds millions of short-lived contacts and copies
        for mine in log:
            judged = [(a, _as_contact(a, files.get(a.debtor_id))) for a in mine
                      if a.direction is not Direction.INBOUND]
            if not judged:
                continue
            debtor_id = mine[0].debtor_id
            contacts += len(judged)
            debtors += 1
            for _, c in judged:
                dates.add(c.window_start.date())
                usage.add(c)
            if debtor_id in rejected:
                violations += _unverifiable([c for _, c in judged], rejected[debtor_id])
                continue
            violations += _judge(files.get(debtor_id), debtor_id, mine, judged, data, packs, contexts, calendars, span)
    return LogPart(contacts, debtors, dates, dict(usage.used), _sorted(violations))


def _log_report(source: str, parts: list[LogPart], debtor_file: DebtorFile, packs: PackSet, calendars: Calendars,
                config: Config) -> AuditReport:
    """One report of the parts: a debtor is in one part only, so their violations merge in order."""
    usage = HourlyUsage(config.report_timezone)
    for part in parts:
        for hour, channels in part.used.items():
            usage.used[hour].update(channels)
    violations = parts[0].violations if len(parts) == 1 else list(heapq.merge(*(p.violations for p in parts),
                                                                              key=_report_order))
    return AuditReport(source, "log", sorted(set().union(*(p.dates for p in parts))), sum(p.contacts for p in parts),
                       sum(p.debtors for p in parts), violations, _provenance(debtor_file, packs, calendars),
                       usage.rows(), config.report_timezone)


def _judge(debtor: Debtor | None, debtor_id: str, mine: Sequence[Attempt],
           judged: list[tuple[Attempt, PlannedContact]], data: StoreData, packs: PackSet,
           contexts: dict[dt.date, Context], calendars: Calendars, span: dt.timedelta) -> list[Violation]:
    """One debtor's logged contacts, each against what may have come before it."""
    logged = {a.attempt_id for a in mine}
    known = sorted([*(a for a in data.history.get(debtor_id, ()) if a.attempt_id not in logged), *mine],
                   key=_by_time)
    times = [a.attempted_at for a in known]
    suppressed = {debtor_id: [*data.suppressed.get(debtor_id, ()),
                              *(opt_out_suppression(a, "log") for a in mine if a.outcome is Outcome.OPT_OUT)]}
    out: list[Violation] = []
    if debtor is not None and packs.covers(debtor.country):
        # The rules that judge each contact on its own (Rule.contact_wise: hours, holidays,
        # consent, flags) read no history: they judge all the debtor's contacts at once, each
        # by the rules in force on its day.
        alone = attach_store_data([debtor], StoreData({}, suppressed, data.suppressed_destinations,
                                                      data.consents))[0]
        out += _contact_wise(alone, judged, packs, contexts, calendars)
    for a, c in judged:
        # The attempt is the contact judged; every other one is history for it, as far back as
        # the rules read (what the store loads for a plan), up to the attempt's own time (the
        # rules count only what may come before it: PlannedContact.may_follow). A debtor's long
        # log so costs its attempts times a month's, not its attempts squared.
        first = bisect.bisect_left(times, a.attempted_at - span)
        last = bisect.bisect_right(times, a.attempted_at)
        others = {debtor_id: [b for b in known[first:last] if b is not a]}
        attached = attach_store_data([debtor], StoreData(others, suppressed, data.suppressed_destinations,
                                                         data.consents))[0] if debtor else None
        out += audit_debtor(debtor_id, attached, [c], packs, _context(contexts, c, calendars), contact_wise=False)
    return out


def _contact_wise(debtor: Debtor, judged: list[tuple[Attempt, PlannedContact]], packs: PackSet,
                  contexts: dict[dt.date, Context], calendars: Calendars) -> list[Violation]:
    """The contact-wise rules' violations of the debtor's contacts: each rule is given, in log
    order, the contacts of the days it is in force on (its check takes those on its channels),
    which is what judging each contact alone gives."""
    by_rules: dict[int, tuple[tuple[Rule, ...], list[PlannedContact]]] = {}
    for _, c in judged:  # most logs: one set of rules in force on every day
        rules = packs.rules_for(debtor, c.window_start.date())
        found = by_rules.get(id(rules))
        if found is None:
            found = by_rules[id(rules)] = (rules, [])
        found[1].append(c)
    out: list[Violation] = []
    for rules, contacts in by_rules.values():
        ctx = _context(contexts, contacts[0], calendars)  # such a rule reads only its calendars
        for rule in judging(rules, frozenset(c.channel for c in contacts), contact_wise=True):
            found_here = rule.check(debtor, contacts, ctx)
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
    """Schema (version 1), documented in docs/audit.md. Indented, one violation a line: the
    standard library writes a list of a million objects ten times faster without indentation."""
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
        return head + "\n"
    encode = json.JSONEncoder(ensure_ascii=False).encode
    rows = ",\n    ".join(encode(violation_dict(v)) for v in report.violations)
    return head.replace('"violations": []', '"violations": [\n    ' + rows + "\n  ]", 1) + "\n"


CSV_COLUMNS = ("rule_id", "severity", "debtor_id", "channel", "at", "message", "citation")


def to_csv(report: AuditReport) -> str:
    import csv
    import io

    from contactplan.io.csvfile import spreadsheet_safe

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for v in report.violations:
        d = violation_dict(v)
        w.writerow([spreadsheet_safe(str(d[c] or "")) for c in CSV_COLUMNS])
    return buf.getvalue()
