"""A dialer log is judged debtor by debtor, each rule once over all the debtor's logged contacts
(log_judge.judge_debtor), with every known attempt in the history. The definition it must meet: each
logged contact judged *alone*, against only the other attempts known up to its own instant
(the store's and the log's), by every rule in force on its local day. This file holds that
definition as an oracle and ties the two together on generated debtors, packs of every history
kind with random parameters, stored history and logs full of ties (same instants, exact gaps,
own callbacks, conversations and opt-outs on the contact itself)."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import json
import pickle
import random
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from contactplan.audit import contract_violations, debtor_problem
from contactplan.calendars import Calendars
from contactplan.io.history import by_debtor
from contactplan.model import Attempt, Channel, Direction, Outcome, StoreData, Suppression, opt_out_suppression
from contactplan.planner import attach_store_data
from contactplan.log_judge import as_contact, in_report_order, judge_log
from contactplan.review import violation_dict, violation_lines
from contactplan.rules.base import Context, Severity, Violation
from contactplan.rules.packs import PackSet, parse_pack
from factories import make_debtor

CALENDARS = Calendars()
START = dt.datetime(2026, 11, 16, 11, 0, tzinfo=dt.UTC)  # 08:00 in Sao Paulo, a Monday
CHANNELS = [c.value for c in Channel]
DIRECTION_SETS = ['["outbound"]', '["outbound", "inbound"]']
OUTCOMES = ["no_answer", "busy", "conversation", "promise_to_pay", "callback_requested", "opt_out", "delivered",
            "failed", "refused"]


def _pack(rng: random.Random, country: str) -> str:
    """A pack of the history kinds (and one contact-wise kind) with random parameters."""
    def channels() -> str:
        return "[" + ", ".join(f'"{c}"' for c in rng.sample(CHANNELS, rng.randint(1, len(CHANNELS)))) + "]"

    def outcomes() -> str:
        return "[" + ", ".join(f'"{o}"' for o in rng.sample(OUTCOMES, rng.randint(0, 3))) + "]"

    rules = [
        ("frequency_cap", f"max = {rng.randint(0, 4)}, window_days = {rng.choice([1, 2, 7, 30])}, "
                          f'scope = "{rng.choice(["debtor", "destination"])}", not_counted = {outcomes()}, '
                          f"directions = {rng.choice(DIRECTION_SETS)}, "
                          f'consented_callbacks = "{rng.choice(["counted", "not_counted"])}"'
                          + (', line_types = ["mobile", "home"]' if rng.random() < 0.3 else "")),
        ("daily_cap", f"max = {rng.randint(0, 3)}, not_counted = {outcomes()}"),
        ("conversation_cooldown", f"days = {rng.randint(1, 8)}, conversation_channels = {channels()}, "
                                  f'consented_callbacks = "{rng.choice(["blocked", "allowed"])}"'),
        ("min_gap", f"hours = {rng.choice([0.5, 1, 2, 4, 26])}"),
        ("suppression", ""),
        ("calling_hours", 'windows = { "mon-fri" = "08:00-20:00", "sat" = "08:00-14:00" }'),
    ]
    text = f'[pack]\nid = "g{country}"\ntitle = "generated"\ncountry = "{country}"\n'
    for k, (kind, params) in enumerate(rules):
        text += (f'\n[[rule]]\nid = "g{country}.{kind}.{k}"\nkind = "{kind}"\ntitle = "{kind}"\ncitation = "test"\n'
                 f'severity = "policy"\nchannels = {channels()}\nparams = {{ {params} }}\n')
    return text


_PACK_SOURCE = inspect.getsource(_pack)


def _attempts(rng: random.Random, debtor, n: int, prefix: str) -> list[Attempt]:
    """Attempts on a half-hour grid over ten days (many share an instant, or lie an exact gap
    apart), to the debtor's destinations and now and then to another."""
    out = []
    addresses = [d.address for d in debtor.destinations] + ["+5511900000000"]
    for k in range(n):
        at = START + dt.timedelta(minutes=30 * rng.randrange(10 * 48))
        outcome = Outcome(rng.choice(OUTCOMES))
        # A call back asked for at the very instant of the request: its own attempt never consents it.
        callback = (at + dt.timedelta(minutes=rng.choice([0, 0, 2, 30, 90, 24 * 60]))
                    if outcome is Outcome.CALLBACK_REQUESTED else None)
        channel = Channel.VOICE if rng.random() < 0.4 else Channel(rng.choice(CHANNELS))
        out.append(Attempt(f"{prefix}{k}", debtor.debtor_id, channel, rng.choice(addresses), at,
                           outcome, direction=Direction.INBOUND if rng.random() < 0.15 else Direction.OUTBOUND,
                           callback_at=callback))
    return out


def _judge_each_attempt(debtors, log: list[Attempt], data: StoreData, packs: PackSet) -> list:
    """The definition: each logged contact alone (its own attempt left out of its history),
    against every other attempt known up to its instant, on its local day, by each rule's
    check() (the specification)."""
    files = {d.debtor_id: d for d in debtors}
    out = []
    for mine in by_debtor(log):
        debtor_id = mine[0].debtor_id
        debtor = files.get(debtor_id)
        logged = {a.attempt_id for a in mine}
        known = [*(a for a in data.history.get(debtor_id, ()) if a.attempt_id not in logged), *mine]
        suppressed = [*data.suppressed.get(debtor_id, ()),
                      *(opt_out_suppression(a, "log") for a in mine if a.outcome is Outcome.OPT_OUT)]
        for a in mine:
            if a.direction is Direction.INBOUND:
                continue
            c = as_contact(a, debtor)
            c = type(c)(**{**c.__dict__, "attempt": None})  # a contact that knows nothing of its attempt
            before = [b for b in known if b is not a and b.attempted_at <= a.attempted_at]
            attached = attach_store_data([debtor], StoreData({debtor_id: before}, {debtor_id: suppressed},
                                                             data.suppressed_destinations))[0] if debtor else None
            out += _by_the_specification(debtor_id, attached, [c], packs, Context(c.window_start.date(), CALENDARS))
    return in_report_order(out)


def _by_the_specification(debtor_id, debtor, planned, packs: PackSet, ctx: Context) -> list:
    """audit.audit_debtor with every rule's check() itself: nothing remembered, no judge()."""
    problem = debtor_problem(debtor_id, debtor, packs)
    if problem:
        return [problem]
    out = contract_violations(debtor_id, debtor, planned, ctx)
    for rule in packs.rules_for(debtor, ctx.plan_date):
        out += rule.check(debtor, planned, ctx)
    return out


HISTORY_KINDS = ("frequency_cap", "daily_cap", "conversation_cooldown", "min_gap", "suppression")


def test_every_kind_judged_at_once_is_contact_wise_or_generated_here():
    """A new kind is judged all at once in a log too: it says it is contact-wise (and
    tests/test_audit_fast.py holds it to that) or the packs generated here use it."""
    from contactplan.rules.packs import KINDS

    assert {k for k, cls in KINDS.items() if not cls.contact_wise} <= set(HISTORY_KINDS)
    assert all(f'("{kind}",' in _PACK_SOURCE for kind in HISTORY_KINDS)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_a_log_judged_at_once_is_each_attempt_judged_alone(seed):
    rng = random.Random(seed)
    # Now and then no pack for the US debtor: each of its contacts is then a finding of its own.
    packs = PackSet([parse_pack(_pack(rng, "BR"), "br.toml"),
                     *([parse_pack(_pack(rng, "US"), "us.toml")] if rng.random() < 0.8 else [])])
    debtors = [make_debtor("D1", region="SP", home="+551135550101"),
               make_debtor("D2", region="AM", municipality_code=rng.choice(["", "1301654"])),
               make_debtor("D3", country="US", region=rng.choice(["TN", "IN", "ND"]), mobile="+16155550100",
                           home="+16155550101", email="d3@example.com")]
    log, history = [], {}
    for d in [*debtors, make_debtor("D9")]:  # D9 is in no debtor file
        log += _attempts(rng, d, rng.randint(0, 14), f"{d.debtor_id}-L")
        stored = _attempts(rng, d, rng.randint(0, 6), f"{d.debtor_id}-S")
        # Some stored attempts are the log's own, already imported: never counted twice.
        stored += [a for a in log if a.debtor_id == d.debtor_id and rng.random() < 0.3]
        history[d.debtor_id] = stored
    rng.shuffle(log)
    # Stored do-not-contact entries that lapse during the log: each contact by its own day.
    suppressed = {d.debtor_id: [Suppression(d.debtor_id, rng.choice(["", d.destinations[0].address]),
                                            rng.choice([None, Channel.VOICE, Channel.SMS]), "test", "store",
                                            expires_on=START.date() + dt.timedelta(days=rng.randrange(12)))
                                for _ in range(rng.randint(0, 2))] for d in debtors}
    data = StoreData(history, suppressed)
    part = judge_log(by_debtor(log), {d.debtor_id: d for d in debtors}, {}, data, packs, CALENDARS,
                     "America/Sao_Paulo")
    assert part.violations == _judge_each_attempt(debtors, log, data, packs)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(rule_id=_TEXT, citation=_TEXT, debtor_id=_TEXT, message=_TEXT,
       severity=st.sampled_from(list(Severity)), channel=st.none() | st.sampled_from(list(Channel)),
       at=st.none() | st.datetimes(timezones=st.sampled_from([dt.UTC, ZoneInfo("America/Sao_Paulo"),
                                                              ZoneInfo("America/New_York")])))
def test_a_violations_json_line_is_what_the_json_module_writes(rule_id, citation, debtor_id, message, severity,
                                                               channel, at):
    """to_json writes each violation by hand (review.violation_lines), quotes, backslashes,
    control characters and any script included: exactly json.dumps of violation_dict."""
    v = Violation(rule_id, severity, citation, debtor_id, message, channel, at)
    assert list(violation_lines([v, v])) == [json.dumps(violation_dict(v), ensure_ascii=False)] * 2


def test_violations_cross_processes_as_they_were():
    """What a worker sends back (Violation.__reduce__) is the same violation."""
    at = dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    for v in (Violation("r", Severity.LAW, "c", "D1", "m", Channel.SMS, at),
              Violation("r", Severity.POLICY, "", "", "")):
        back = pickle.loads(pickle.dumps(v))
        assert back == v and type(back.severity) is Severity and (back.at is None or back.at.fold == 1)


def test_a_report_is_written_in_chunks_as_one_document(tmp_path):
    """More violations than a chunk holds, some parts spilled to disk by 'workers' and some held:
    the JSON is one document with every violation, in report order, one a line; the CSV a row each."""
    from contactplan.review import CHUNK, AuditReport, LogPart, ReportViolations, ViolationCounts, to_csv, to_json
    from contactplan.review_workers import spill_violations

    at = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    found = [Violation("r.x", Severity.LAW, "cite", f"D{k:05d}", f'msg "{k}"\n', Channel.SMS,
                       at + dt.timedelta(minutes=k % 7)) for k in range(2 * CHUNK + 5)]
    parts = [LogPart(0, 0, set(), {}, in_report_order(found[k::3]), ViolationCounts.of(found[k::3])) for k in range(3)]
    parts[1] = spill_violations(parts[1], tmp_path / "v.pickle")
    assert parts[1].violations == [] and (tmp_path / "v.pickle").stat().st_size > 0
    merged = ReportViolations(parts)
    report = AuditReport("log.csv", "log", [at.date()], 9, 9, merged, counts=sum((p.counts for p in parts),
                                                                                 ViolationCounts()))
    assert len(merged) == len(found) and list(merged) == in_report_order(found) and list(merged) == list(merged)
    text = to_json(report)
    document = json.loads(text)
    assert document["violations"] == [violation_dict(v) for v in in_report_order(found)]
    assert document["summary"]["violations"] == len(found) and document["status"] == "violations"
    lines = text.splitlines()
    first = lines.index('  "violations": [') + 1
    assert lines[first + len(found)] == "  ],"
    assert all(line.startswith('    {"rule_id": "r.x"') for line in lines[first:first + len(found)])
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert len(rows) == len(found) + 1 and rows[1][2] == in_report_order(found)[0].debtor_id


def test_a_debtors_long_log_costs_look_ups_not_comparisons_of_every_pair(monkeypatch):
    """2,000 logged calls of one debtor (a dialer stuck on one number), Brazilian and US packs
    (caps, cooldown, gaps, call backs): the rules ask whether an attempt may come before a
    contact a few times a contact, not once for every pair (4,000,000): work that grows with
    the log, not with its square."""
    from contactplan.model import PlannedContact
    from contactplan.rules.packs import load_packs

    asked = []
    may_follow = PlannedContact.may_follow
    monkeypatch.setattr(PlannedContact, "may_follow", lambda self, a: asked.append(1) or may_follow(self, a))
    rng = random.Random(5)
    for debtor in (make_debtor("D1", region="SP"),
                   make_debtor("D1", country="US", region="TN", mobile="+16155550100", email="")):
        log = []
        for k in range(2000):
            at = START + dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
            outcome = Outcome(rng.choice(["no_answer", "conversation", "busy", "callback_requested"]))
            log.append(Attempt(f"L{k}", "D1", Channel.VOICE, debtor.destinations[0].address, at, outcome,
                               callback_at=at + dt.timedelta(hours=1) if outcome is Outcome.CALLBACK_REQUESTED
                               else None))
        asked.clear()
        part = judge_log(by_debtor(log), {"D1": debtor}, {}, StoreData(), load_packs(["br", "us"]), CALENDARS,
                         "America/Sao_Paulo")
        assert part.contacts == 2000 and part.violations
        assert len(asked) < 20 * 2000


def test_the_html_report_lists_the_first_violations_and_says_where_the_rest_is():
    from contactplan.html import HTML_ROWS, render_html

    found = [Violation("r.x", Severity.LAW, "cite", f"D{k:06d}", "<late>", Channel.SMS, None)
             for k in range(HTML_ROWS + 5)]
    page = render_html("audit", [("kind", "log")], found, [], [], "UTC")
    assert page.count('class="violation"') == HTML_ROWS and "&lt;late&gt;" in page and "<late>" not in page
    assert f"(the first {HTML_ROWS} of {HTML_ROWS + 5} violations; --format csv or json lists them all)" in page
    assert f"{HTML_ROWS + 5} violation(s)." in page
