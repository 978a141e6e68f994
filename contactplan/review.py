"""Compliance review of any plan file or dialer log: ``contactplan audit``.

This module only gathers inputs and shapes the result; the verdict comes from ``audit_plan``,
which never looks at the solver. A plan file is checked for its one day; a log (what was actually
dialled or sent) is checked per debtor-local day, against the history known before it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from contactplan.audit import audit_plan
from contactplan.calendars import HOLIDAYS_VERSION, Calendars
from contactplan.config import Config
from contactplan.errors import InputError
from contactplan.io.debtors import DebtorFile
from contactplan.model import (Agent, Attempt, Debtor, Direction, Outcome, PlannedContact, Pool, Slot, StoreData,
                               opt_out_suppression, plan_date_problem)
from contactplan.planner import attach_store_data
from contactplan.rules.base import Severity, Violation
from contactplan.rules.packs import PackSet
from contactplan.solver.capacity import build_pools, slot_grid

JSON_SCHEMA_VERSION = 1


@dataclass
class AuditReport:
    source: str
    kind: str  # "plan" or "log"
    dates: list[dt.date]
    contacts: list[PlannedContact]
    violations: list[Violation]
    provenance: dict[str, str] = field(default_factory=dict)
    pools: list[Pool] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    report_timezone: str = "America/Sao_Paulo"

    @property
    def clean(self) -> bool:
        return not self.violations

    def summary(self) -> dict:
        return {
            "contacts": len(self.contacts),
            "debtors": len({c.debtor_id for c in self.contacts}),
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


def _unverifiable(contacts: list[PlannedContact], debtor_file: DebtorFile) -> list[Violation]:
    """Contacts of debtors whose rows were rejected cannot be checked: that is a finding too."""
    bad = {r.debtor_id: r for r in debtor_file.rejections}
    return [Violation("audit.debtor_rejected", Severity.POLICY, "contactplan input contract (README)", c.debtor_id,
                      f"the debtor's rows are invalid ({bad[c.debtor_id].path}:{bad[c.debtor_id].line}); "
                      "the contact cannot be verified", c.channel, c.window_start)
            for c in contacts if c.debtor_id in bad]


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
    rejected = {r.debtor_id for r in debtor_file.rejections}
    known = [c for c in contacts if c.debtor_id not in rejected]
    violations = _unverifiable(contacts, debtor_file) + audit_plan(
        known, debtors, packs, plan_date, pools=pools if agents is not None else None,
        slots=slots if agents is not None else None, config=config, calendars=calendars, not_before=not_before)
    return AuditReport(source, "plan", [plan_date], contacts, _sorted(violations),
                       _provenance(debtor_file, packs, calendars), pools, slots, config.report_timezone)


def review_log(attempts: list[Attempt], debtor_file: DebtorFile, packs: PackSet, *, source: str,
               store_data: StoreData | None = None, config: Config | None = None,
               calendars: Calendars | None = None) -> AuditReport:
    """What was actually dialled or sent, checked day by day in each debtor's local time.

    Each attempt the collector made is checked against every other attempt known to have come
    before it: the store's history (the log's own attempts, if already imported, are not counted
    twice) and the log's attempts of other days; an opt-out in the log suppresses that
    destination and channel from its own time on, as importing it would. The debtor's own calls
    and messages (direction inbound) are history for the others, not contacts to judge."""
    config = config or Config()
    calendars = calendars or Calendars()
    data = store_data or StoreData()
    logged = {a.attempt_id for a in attempts}
    stored = {k: [a for a in v if a.attempt_id not in logged] for k, v in data.history.items()}
    suppressed = {k: list(v) for k, v in data.suppressed.items()}
    for a in attempts:
        if a.outcome is Outcome.OPT_OUT:
            suppressed.setdefault(a.debtor_id, []).append(opt_out_suppression(a, "log"))
    files = {d.debtor_id: d for d in debtor_file.debtors}
    by_day: dict[dt.date, list[tuple[Attempt, PlannedContact]]] = defaultdict(list)
    contacts = []
    for a in attempts:
        if a.direction is Direction.INBOUND:
            continue  # the debtor's own call or message: history for the others, not a contact made
        debtor = files.get(a.debtor_id)
        zone = debtor.primary_zone if debtor else "UTC"
        start = a.attempted_at.astimezone(ZoneInfo(zone))
        # An attempt is an instant (attempted_at); the one-minute window only stands for it in
        # messages and capacity (the hours rules check the minute it started).
        c = PlannedContact(a.debtor_id, a.channel, a.destination, start, start + dt.timedelta(minutes=1), zone,
                           pool=a.agent_id, attempted_at=a.attempted_at)
        contacts.append(c)
        by_day[start.date()].append((a, c))
    violations = _unverifiable(contacts, debtor_file)
    rejected = {r.debtor_id for r in debtor_file.rejections}
    logged_by_debtor: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        logged_by_debtor[a.debtor_id].append(a)
    for day, group in sorted(by_day.items()):
        ids = {a.debtor_id for a, _ in group}
        in_group = {a.attempt_id for a, _ in group}
        known = {i: stored.get(i, []) + [a for a in logged_by_debtor[i] if a.attempt_id not in in_group] for i in ids}
        debtors = _attach([files[i] for i in ids if i in files],
                          StoreData(known, suppressed, data.suppressed_destinations, data.consents), None)
        violations += audit_plan([c for _, c in group if c.debtor_id not in rejected], debtors, packs, day,
                                 calendars=calendars)
    return AuditReport(source, "log", sorted(by_day), contacts, _sorted(violations),
                       _provenance(debtor_file, packs, calendars), report_timezone=config.report_timezone)


def _sorted(violations: list[Violation]) -> list[Violation]:
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(violations, key=lambda v: (v.debtor_id, v.at or floor, v.rule_id))


def _provenance(debtor_file: DebtorFile, packs: PackSet, calendars: Calendars) -> dict[str, str]:
    return {"debtors_sha256": debtor_file.sha256, "packs": ",".join(p.id for p in packs.packs),
            "packs_sha256": packs.sha256, "holidays": HOLIDAYS_VERSION,
            "municipal_holidays": calendars.municipal_source}


def plan_date_of(file_date: dt.date | None, given: dt.date | None, path: str) -> dt.date:
    if given and file_date and given != file_date:
        raise InputError(path, f"--date {given} differs from the plan's plan_date {file_date}")
    day = given or file_date
    if day is None:
        raise InputError(path, "the plan has no plan_date column; pass --date YYYY-MM-DD")
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
    """Schema (version 1), documented in docs/audit.md."""
    return json.dumps({
        "schema": JSON_SCHEMA_VERSION,
        "status": "clean" if report.clean else "violations",
        "kind": report.kind,
        "source": report.source,
        "dates": [d.isoformat() for d in report.dates],
        "summary": report.summary(),
        "violations": [violation_dict(v) for v in report.violations],
        "provenance": report.provenance,
    }, ensure_ascii=False, indent=2) + "\n"


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
