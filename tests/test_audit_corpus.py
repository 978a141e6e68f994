"""A corpus of planted violations (every rule kind, both sides of each boundary) that the audit
must find, and clean contacts it must pass — through the `contactplan audit` command, on files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.io.plan_csv import COLUMNS

runner = CliRunner()
DEBTOR_HEADER = ["debtor_id", "country", "region", "municipality_code", "phone_mobile", "phone_home", "phone_work",
                 "email", "balance", "days_past_due", "preferred_window", "whatsapp_consent", "sms_consent",
                 "do_not_contact", "no_work_calls", "cease_and_desist", "deceased"]
# Each debtor is built for the rule it exercises; most others fields blank.
DEBTORS = [
    dict(debtor_id="SP", region="SP", phone_mobile="+5511987650001", email="sp@example.com"),
    dict(debtor_id="AC", region="AC", phone_mobile="+5568999120002"),
    dict(debtor_id="MAO", region="AM", municipality_code="1302603", phone_mobile="+5592991230003"),
    dict(debtor_id="RJ", region="RJ", phone_mobile="+5521987650004"),
    dict(debtor_id="NOWA", region="SP", phone_mobile="+5511987650005", whatsapp_consent="false"),
    dict(debtor_id="WA", region="SP", phone_mobile="+5511987650006", whatsapp_consent="true"),
    dict(debtor_id="DNC", region="SP", phone_mobile="+5511987650007", do_not_contact="true"),
    dict(debtor_id="CEASE", region="SP", phone_mobile="+5511987650008", cease_and_desist="true"),
    dict(debtor_id="WORK", region="SP", phone_home="+551133330009", phone_work="+551155550009", no_work_calls="true"),
    dict(debtor_id="OLD", region="SP", phone_mobile="+5511987650010", days_past_due="1826"),
    dict(debtor_id="OK1825", region="SP", phone_mobile="+5511987650011", days_past_due="1825"),
    dict(debtor_id="PREF", region="SP", phone_mobile="+5511987650012", preferred_window="14:00-16:00"),
    dict(debtor_id="HIST", region="SP", phone_mobile="+5511987650013"),
    dict(debtor_id="SMSNO", region="SP", phone_mobile="+5511987650014", sms_consent="false"),
    dict(debtor_id="US", country="US", region="CA", phone_mobile="+14155550015"),
]
TUE = "2026-11-24"
# (debtor, channel, destination, local start, local end, zone offset, expected rule ids or [] for clean)
CASES = [
    ("SP", "voice", "+5511987650001", "08:00", "08:15", "-03:00", []),
    ("SP", "voice", "+5511987650001", "07:59", "08:14", "-03:00", ["br.default.call_hours", "br.sp.calling_hours"]),
    ("SP", "voice", "+5511987650001", "19:40", "19:55", "-03:00", []),
    ("SP", "voice", "+5511987650001", "19:45", "20:00", "-03:00", ["br.default.call_hours"]),
    ("AC", "voice", "+5568999120002", "08:00", "08:15", "-05:00", []),
    ("AC", "voice", "+5568999120002", "06:00", "06:15", "-05:00", ["br.default.call_hours"]),
    ("MAO", "voice", "+5592991230003", "17:45", "18:00", "-04:00", []),
    ("MAO", "voice", "+5592991230003", "20:15", "20:30", "-04:00", ["br.am.calling_hours", "br.default.call_hours"]),
    ("RJ", "voice", "+5521987650004", "09:00", "09:15", "-03:00", []),
    ("RJ", "voice", "+5521987650004", "08:45", "09:00", "-03:00", ["br.rj.calling_hours"]),
    ("NOWA", "whatsapp", "+5511987650005", "10:00", "10:15", "-03:00", ["br.meta.whatsapp_opt_in"]),
    ("WA", "whatsapp", "+5511987650006", "10:00", "10:15", "-03:00", []),
    ("WA", "whatsapp", "+5511987650006", "19:45", "20:00", "-03:00", ["br.default.message_hours"]),
    ("DNC", "sms", "+5511987650007", "10:00", "10:15", "-03:00", ["br.lgpd.do_not_contact"]),
    ("CEASE", "voice", "+5511987650008", "10:00", "10:15", "-03:00", ["br.cdc.cease_and_desist"]),
    ("WORK", "voice", "+551133330009", "10:00", "10:15", "-03:00", []),
    ("WORK", "voice", "+551155550009", "11:00", "11:15", "-03:00", ["br.cdc.no_work_calls",
                                                                    "br.policy.one_contact_per_day"]),
    ("OLD", "voice", "+5511987650010", "10:00", "10:15", "-03:00", ["br.stj.prescribed_debt"]),
    ("OK1825", "voice", "+5511987650011", "10:00", "10:15", "-03:00", []),
    ("PREF", "voice", "+5511987650012", "14:00", "14:15", "-03:00", []),
    ("PREF", "voice", "+5511987650012", "16:00", "16:15", "-03:00", ["br.cdc.preferred_window",
                                                                     "br.policy.one_contact_per_day"]),
    ("SMSNO", "sms", "+5511987650014", "10:00", "10:15", "-03:00", ["br.lgpd.sms_opt_out"]),
    ("SP", "sms", "+5521999999999", "10:00", "10:15", "-03:00", ["audit.destination",
                                                                 "br.policy.one_contact_per_day"]),
    ("GHOST", "voice", "+5511987659999", "10:00", "10:15", "-03:00", ["audit.unknown_debtor"]),
    ("US", "voice", "+14155550015", "08:00", "08:15", "-08:00", []),
    ("US", "voice", "+14155550015", "20:50", "21:05", "-08:00", ["us.regf.call_hours",
                                                                 "us.policy.one_contact_per_day"]),
    ("HIST", "voice", "+5511987650013", "10:00", "10:15", "-03:00", []),
    ("HIST", "voice", "+5511987650013", "11:59", "12:14", "-03:00", ["br.policy.min_gap_calls",
                                                                     "br.policy.one_contact_per_day"]),
]


def _files(tmp_path: Path):
    debtors = tmp_path / "debtors.csv"
    with debtors.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, DEBTOR_HEADER)
        w.writeheader()
        for d in DEBTORS:
            w.writerow({"country": "BR", "balance": "500", **d})
    return debtors


def _plan(tmp_path: Path, cases, name="plan.csv", day=TUE) -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for debtor, channel, dest, start, end, offset, _ in cases:
            w.writerow(["CP-TEST", day, debtor, channel, dest, f"{day}T{start}:00{offset}", f"{day}T{end}:00{offset}",
                        "", "", "", "", 1, "1.00", ""])
    return path


def _found(tmp_path, plan, *extra):
    r = runner.invoke(app, ["audit", str(plan), "--debtors", str(_files(tmp_path)), "--format", "json", *extra])
    assert r.exit_code in (0, 1), r.stderr
    report = json.loads(r.stdout)
    by_contact: dict[tuple, set] = {}
    for v in report["violations"]:
        by_contact.setdefault((v["debtor_id"], v["at"]), set()).add(v["rule_id"])
    return r.exit_code, report, by_contact


def test_every_planted_violation_is_found_and_clean_contacts_pass(tmp_path):
    code, report, found = _found(tmp_path, _plan(tmp_path, CASES))
    assert code == 1 and report["status"] == "violations"
    for debtor, _, _, start, _, offset, expected in CASES:
        got = found.get((debtor, f"{TUE}T{start}:00{offset}"), set())
        # A contact's own findings; one-contact-a-day and min-gap also land on the debtor's other contact.
        assert set(expected) <= got | {r for (d, _), rs in found.items() if d == debtor for r in rs}, (debtor, start)
        if not expected:
            assert not got - {"br.policy.one_contact_per_day", "br.policy.min_gap_calls", "us.regf.min_gap_calls",
                              "us.policy.one_contact_per_day"}, (debtor, start, got)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "GHOST"], ids=lambda c: f"{c[0]}-{c[1]}-{c[3]}")
def test_each_case_alone(tmp_path, case):
    """Alone (no second contact that day), a case breaks exactly its own rules."""
    code, report, found = _found(tmp_path, _plan(tmp_path, [case]))
    alone = {r for r in case[6] if r not in ("br.policy.one_contact_per_day", "us.policy.one_contact_per_day",
                                                 "br.policy.min_gap_calls", "us.regf.min_gap_calls")}
    assert set(report["summary"]["by_rule"]) == alone
    assert code == (1 if alone else 0)


@pytest.mark.parametrize(("day", "rule"), [("2026-11-29", "br.default.call_hours"),  # Sunday
                                           ("2026-11-20", "br.default.holidays"),  # Black Awareness Day
                                           ("2026-07-09", "br.sp.holidays")])  # SP only
def test_sunday_and_holidays_are_found(tmp_path, day, rule):
    plan = _plan(tmp_path, [("SP", "voice", "+5511987650001", "10:00", "10:15", "-03:00", [])], day=day)
    code, report, _ = _found(tmp_path, plan)
    assert code == 1 and rule in report["summary"]["by_rule"]


def test_history_rules_use_the_database(tmp_path):
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    history = tmp_path / "history.csv"
    rows = [[f"H{k}", "HIST", "voice", "+5511987650013", f"2026-11-{18 + k % 6:02d}T10:0{k % 10}:00-03:00",
             "no_answer", ""] for k in range(10)]
    with history.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"])
        w.writerows(rows)
    assert runner.invoke(app, ["history", "import", str(history), "--db", db]).exit_code == 0
    plan = _plan(tmp_path, [("HIST", "voice", "+5511987650013", "10:00", "10:15", "-03:00", [])])
    code, report, _ = _found(tmp_path, plan, "--db", db)
    assert code == 1 and "br.policy.attempts_7_days" in report["summary"]["by_rule"]
    code, report, _ = _found(tmp_path, plan, "--no-store")
    assert code == 0
    # A suppression recorded later is found too.
    assert runner.invoke(app, ["suppress", "add", "--debtor", "SP", "--reason", "asked", "--db", db]).exit_code == 0
    plan = _plan(tmp_path, [CASES[0]])
    code, report, _ = _found(tmp_path, plan, "--db", db)
    assert code == 1 and "br.lgpd.suppression_list" in report["summary"]["by_rule"]


def test_capacity_is_checked_with_agents(tmp_path):
    agents = tmp_path / "agents.csv"
    agents.write_text("agent_id,pool,shift_start,shift_end,timezone,contacts_per_hour\n"
                      "A1,p,09:00,10:00,America/Sao_Paulo,4\n", encoding="utf-8")
    cases = [(f"{d}", "voice", dest, "09:00", "09:15", "-03:00", []) for d, dest in
             (("SP", "+5511987650001"), ("RJ", "+5521987650004"), ("WA", "+5511987650006"))]
    path = _plan(tmp_path, cases)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    for row in rows[1:]:
        row[COLUMNS.index("pool")] = "p"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    code, report, _ = _found(tmp_path, path, "--agents", str(agents))
    assert code == 1 and report["summary"]["by_rule"] == {"audit.capacity": 1}  # 3 calls, capacity 2 a half hour


def test_retro_audit_of_a_dialer_log(tmp_path):
    log = tmp_path / "dialed.csv"
    log.write_text("attempt_id,debtor_id,channel,destination,attempted_at,outcome\n"
                   "L1,MAO,voice,+5592991230003,2026-11-24T20:15:00-04:00,no_answer\n"
                   "L2,SP,voice,+5511987650001,2026-11-24T10:00:00-03:00,conversation\n", encoding="utf-8")
    r = runner.invoke(app, ["audit", "--log", str(log), "--debtors", str(_files(tmp_path)), "--format", "json"])
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert report["kind"] == "log"
    (mao,) = {v["message"] for v in report["violations"] if v["rule_id"] == "br.am.calling_hours"}
    assert "20:15-20:16 local America/Manaus" in mao
    assert {v["debtor_id"] for v in report["violations"]} == {"MAO"}


def test_bad_plan_file_is_exit_2(tmp_path):
    bad = tmp_path / "plan.csv"
    bad.write_text("debtor_id,channel,destination,window_start,window_end\nSP,voice,+5511987650001,10:00,11:00\n",
                   encoding="utf-8")
    r = runner.invoke(app, ["audit", str(bad), "--debtors", str(_files(tmp_path)), "--date", TUE])
    assert r.exit_code == 2 and "plan.csv:2:4: window_start:" in r.stderr


def test_the_terminal_table_is_capped_and_says_where_the_rest_is(tmp_path):
    """A log of a million violations does not become a million-row table on stderr: the first
    TABLE_ROWS, a line saying how many there are and which format lists them all."""
    from contactplan.cli_review import TABLE_ROWS

    late = ("SP", "voice", "+5511987650001", "21:00", "21:15", "-03:00", [])
    plan = _plan(tmp_path, [(*late[:3], f"21:{m:02d}", f"21:{m + 1:02d}", *late[5:]) for m in range(0, 30)] * 10)
    r = runner.invoke(app, ["audit", str(plan), "--debtors", str(_files(tmp_path)), "--no-store"])
    n = len(json.loads(runner.invoke(app, ["audit", str(plan), "--debtors", str(_files(tmp_path)), "--no-store",
                                           "--format", "json"]).stdout)["violations"])
    assert r.exit_code == 1 and n > TABLE_ROWS
    assert f"(the first {TABLE_ROWS} of {n} violations; --format csv or json lists them all)" in " ".join(
        r.stderr.split())
