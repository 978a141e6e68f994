"""A dialer log's contacts judged debtor by debtor, each rule once over all of a debtor's logged
contacts (``contactplan audit --log``): what review.review_log runs in one process and
review_workers in several, each on some debtors.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from contactplan.audit import contract_violations, debtor_problem, judging, verdicts
from contactplan.calendars import Calendars
from contactplan.i18n import tr
from contactplan.io.frozen import paused_gc
from contactplan.model import (Attempt, Debtor, Direction, Outcome, PlannedContact, Rejection, Severity, StoreData,
                               Violation, attach_store_data, opt_out_suppression)
from contactplan.report import HourlyUsage
from contactplan.rules.base import Context, Rule
from contactplan.rules.packs import PackSet


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


_FLOOR = dt.datetime.min.replace(tzinfo=dt.UTC)


def report_order(v: Violation) -> tuple:
    return (v.debtor_id, v.at or _FLOOR, v.rule_id)


def in_report_order(violations: list[Violation]) -> list[Violation]:
    return sorted(violations, key=report_order)


def unverifiable(contacts: list[PlannedContact], rejection: Rejection) -> list[Violation]:
    """Contacts of a debtor whose rows were rejected cannot be checked: that is a finding too."""
    message = tr("the debtor's rows are invalid ({path}:{line}); the contact cannot be verified",
                 path=rejection.path, line=rejection.line)
    return [Violation("audit.debtor_rejected", Severity.POLICY, "contactplan input contract (README)", c.debtor_id,
                      message, c.channel, c.window_start)
            for c in contacts]


def as_contact(a: Attempt, debtor: Debtor | None) -> PlannedContact:
    """A logged attempt as the contact it was, in the debtor's primary zone. An attempt is an
    instant (attempted_at); the one-minute window only stands for it in messages and capacity
    (the hours rules check the minute it started)."""
    zone = debtor.primary_zone if debtor else "UTC"
    start = a.attempted_at.astimezone(ZoneInfo(zone))
    return PlannedContact(a.debtor_id, a.channel, a.destination, start, start + dt.timedelta(minutes=1), zone,
                          pool=a.agent_id, attempted_at=a.attempted_at, attempt=a)


def judge_log(log: Iterable[Sequence[Attempt]], files: dict[str, Debtor], rejected: dict[str, Rejection],
              data: StoreData, packs: PackSet, calendars: Calendars, report_timezone: str) -> LogPart:
    """What the logged contacts of these debtors (each debtor's attempts together) break."""
    usage = HourlyUsage(report_timezone)
    dates: set[dt.date] = set()
    violations: list[Violation] = []
    contacts = debtors = 0
    contexts: dict[dt.date, Context] = {}
    with paused_gc():  # a log of millions builds millions of short-lived contacts and copies
        for mine in log:
            debtor = files.get(mine[0].debtor_id)
            judged = [as_contact(a, debtor) for a in mine if a.direction is not Direction.INBOUND]
            if not judged:
                continue
            debtor_id = mine[0].debtor_id
            contacts += len(judged)
            debtors += 1
            for c in judged:
                dates.add(c.window_start.date())
                usage.add(c)
            if debtor_id in rejected:
                violations += unverifiable(judged, rejected[debtor_id])
                continue
            violations += judge_debtor(debtor, debtor_id, mine, judged, data, packs, contexts, calendars)
    return LogPart(contacts, debtors, dates, dict(usage.used), in_report_order(violations),
                   ViolationCounts.of(violations))


def judge_debtor(debtor: Debtor | None, debtor_id: str, mine: Sequence[Attempt], judged: list[PlannedContact],
                 data: StoreData, packs: PackSet, contexts: dict[dt.date, Context], calendars: Calendars
                 ) -> list[Violation]:
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
