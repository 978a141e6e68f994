"""History-driven scenarios through the command line, one per frequency rule of the packs.

Each imports a dialer history with ``contactplan history import`` into a fresh store, then plans
and/or audits as a planner would. Every rule is tried on both sides of its boundary: the last
attempt the rule allows and the first it forbids, today's own attempts included, in the debtor's
local day.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app

runner = CliRunner()
DAY = "2026-11-24"  # a Tuesday
DEBTOR_COLUMNS = ("debtor_id", "country", "region", "municipality_code", "phone_mobile", "phone_home", "phone_work",
                  "email", "balance", "p_pay", "sms_consent", "whatsapp_consent", "email_consent", "autodial_consent")
HISTORY_COLUMNS = ("attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome")

# Debtors: (id, country, region, IBGE, mobile, home, work, email)
MT = ("MT1", "BR", "MT", "5103403", "+5565999123456", "", "", "mt1@example.com")  # Cuiabá, UTC-4
SP = ("SP1", "BR", "SP", "3550308", "+5511987650001", "", "", "sp1@example.com")
CA = ("CA1", "US", "CA", "", "+14155550123", "+14155550124", "", "ca1@example.com")
MA = ("MA1", "US", "MA", "", "+16175550123", "+16175550124", "+16175550125", "")
WA = ("WA1", "US", "WA", "", "+12065550123", "+12065550124", "+12065550125", "")


class Store:
    """A fresh store and the files of one scenario."""

    def __init__(self, tmp: Path, debtors: list[tuple], consent: str = "true"):
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'store.db'}"
        self.debtors = tmp / "debtors.csv"
        with self.debtors.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(DEBTOR_COLUMNS)
            for d in debtors:
                # consent "false": no messages (sms, whatsapp, e-mail), so only the call rules decide.
                w.writerow([*d[:8], "5000", "0.3", consent, consent, consent, "true"])
        self.agents = tmp / "agents.csv"
        self.agents.write_text("agent_id,pool,shift_start,shift_end,timezone,contacts_per_hour,days\n"
                               "A1,br,07:00,22:00,America/Sao_Paulo,20,Mon-Sun\n"
                               "A2,us,06:00,23:00,America/Los_Angeles,20,Mon-Sun\n"
                               "A3,east,06:00,23:00,America/New_York,20,Mon-Sun\n", encoding="utf-8")

    def history(self, rows: list[tuple], name: str = "history.csv") -> Path:
        """(debtor, channel, destination, attempted_at, outcome) rows; the attempt id is made of
        the row, so the same attempt in a log and in the store is one attempt."""
        path = self.tmp / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(HISTORY_COLUMNS)
            for row in rows:
                w.writerow([f"{row[0]}-{row[1]}-{row[3]}", *row])
        return path

    def load(self, rows: list[tuple]) -> None:
        r = runner.invoke(app, ["history", "import", str(self.history(rows)), "--db", self.db])
        assert r.exit_code == 0, r.stderr

    def plan(self, *extra: str) -> tuple[list[dict], str]:
        out = self.tmp / "plan.csv"
        r = runner.invoke(app, ["plan", "-d", str(self.debtors), "-a", str(self.agents), "--date", DAY,
                                "-o", str(out), "--db", self.db, "--html", str(self.tmp / "plan.html"), *extra])
        assert r.exit_code == 0, r.stderr
        with out.open(encoding="utf-8") as f:
            return list(csv.DictReader(f)), r.stderr

    def audit(self, contacts: list[tuple], *extra: str) -> dict:
        """(debtor, channel, destination, local start ISO) contacts, 15 minutes each."""
        path = self.tmp / "audited.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(("plan_date", "debtor_id", "channel", "destination", "window_start", "window_end", "pool"))
            for debtor, channel, destination, start in contacts:
                end = start[:14] + f"{int(start[14:16]) + 15:02d}" + start[16:]
                w.writerow((DAY, debtor, channel, destination, start, end, "br" if channel == "voice" else ""))
        r = runner.invoke(app, ["audit", str(path), "-d", str(self.debtors), "--db", self.db, "--json", *extra])
        assert r.exit_code in (0, 1), r.stderr
        return json.loads(r.stdout)

    def audit_log(self, rows: list[tuple]) -> dict:
        r = runner.invoke(app, ["audit", "--log", str(self.history(rows, "log.csv")), "-d", str(self.debtors),
                                "--db", self.db, "--json"])
        assert r.exit_code in (0, 1), r.stderr
        return json.loads(r.stdout)

    def explain(self, debtor: str) -> str:
        r = runner.invoke(app, ["explain", debtor, "-d", str(self.debtors), "-a", str(self.agents), "--date", DAY,
                                "--db", self.db], env={"COLUMNS": "250"})
        assert r.exit_code == 0, r.stderr
        return r.stdout


def rules_of(report: dict) -> set[str]:
    return set(report["summary"]["by_rule"])


def planned(rows: list[dict], debtor: str) -> list[dict]:
    return [r for r in rows if r["debtor_id"] == debtor]


# --- MT Lei 11.792/2022 art. 4: two contacts a day, today's attempts included -------------------

def test_mt_two_contacts_a_day_counts_todays_history(tmp_path):
    store = Store(tmp_path, [MT])
    store.load([("MT1", "voice", MT[4], f"{DAY}T09:00:00-04:00", "no_answer"),
                ("MT1", "whatsapp", MT[4], f"{DAY}T11:00:00-04:00", "delivered")])
    found = rules_of(store.audit([("MT1", "sms", MT[4], f"{DAY}T15:00:00-04:00")]))
    assert {"br.mt.two_contacts_per_day", "br.policy.one_contact_per_day"} <= found
    rows, _ = store.plan()
    assert planned(rows, "MT1") == []
    text = store.explain("MT1")
    assert "br.mt.two_contacts_per_day" in text and "2 counted attempts in the 1 days" in text


def test_mt_one_attempt_today_leaves_one(tmp_path):
    store = Store(tmp_path, [MT])
    store.load([("MT1", "voice", MT[4], f"{DAY}T09:00:00-04:00", "no_answer")])
    found = rules_of(store.audit([("MT1", "sms", MT[4], f"{DAY}T15:00:00-04:00")]))
    # The second contact of the day is within MT's two; the company's one a day is not.
    assert "br.mt.two_contacts_per_day" not in found and "br.policy.one_contact_per_day" in found


def test_the_local_day_is_the_debtors(tmp_path):
    """An attempt logged 23:40 at UTC-5 (Rio Branco) is 00:40 of the next day in Cuiabá (UTC-4)."""
    store = Store(tmp_path, [MT])
    store.load([("MT1", "voice", MT[4], "2026-11-23T23:40:00-05:00", "no_answer")])
    assert "br.policy.one_contact_per_day" in rules_of(store.audit([("MT1", "sms", MT[4], f"{DAY}T15:00:00-04:00")]))
    other = Store(tmp_path / "other", [MT])
    other.load([("MT1", "voice", MT[4], "2026-11-23T22:50:00-05:00", "no_answer")])  # 23:50 the day before
    assert "br.policy.one_contact_per_day" not in rules_of(other.audit([("MT1", "sms", MT[4],
                                                                          f"{DAY}T15:00:00-04:00")]))


# --- Brazil policy: ten attempts in seven days ---------------------------------------------------

@pytest.mark.parametrize(("attempts", "blocked"), [(9, False), (10, True)])
def test_br_ten_in_seven_days(tmp_path, attempts, blocked):
    store = Store(tmp_path, [SP])
    store.load([("SP1", "voice", SP[4], f"2026-11-{18 + k % 6:02d}T{8 + k // 6:02d}:00:00-03:00", "no_answer")
                for k in range(attempts)])
    rows, _ = store.plan()
    assert (planned(rows, "SP1") == []) is blocked


# --- USA: one contact a day (policy), Reg F 7-in-7 and the conversation cooldown -------------------

@pytest.mark.parametrize(("when", "violates"), [(f"{DAY}T09:00:00-08:00", True), ("2026-11-23T20:00:00-08:00", False)])
def test_us_one_contact_a_day(tmp_path, when, violates):
    store = Store(tmp_path, [CA])
    store.load([("CA1", "email", CA[7], when, "delivered")])
    found = rules_of(store.audit([("CA1", "sms", CA[4], f"{DAY}T15:00:00-08:00")]))
    assert ("us.policy.one_contact_per_day" in found) is violates


@pytest.mark.parametrize(("calls", "blocked"), [(6, False), (7, True)])
def test_reg_f_seven_calls_in_seven_days(tmp_path, calls, blocked):
    store = Store(tmp_path, [CA], consent="false")
    # Days -6..-1 (and a seventh on day -1): all inside the window [D-6, D].
    store.load([("CA1", "voice", CA[4], f"2026-11-{18 + min(k, 5):02d}T{10 + k // 6:02d}:00:00-08:00", "no_answer")
                for k in range(calls)])
    rows, _ = store.plan()
    assert (planned(rows, "CA1") == []) is blocked
    found = rules_of(store.audit([("CA1", "voice", CA[4], f"{DAY}T12:00:00-08:00")]))
    assert ("us.regf.7in7" in found) is blocked


@pytest.mark.parametrize(("days_ago", "blocked"), [(6, True), (7, False)])
def test_reg_f_cooldown_after_a_conversation(tmp_path, days_ago, blocked):
    store = Store(tmp_path, [CA])
    store.load([("CA1", "voice", CA[4], f"2026-11-{24 - days_ago:02d}T10:00:00-08:00", "conversation")])
    found = rules_of(store.audit([("CA1", "voice", CA[4], f"{DAY}T12:00:00-08:00")]))
    assert ("us.regf.conversation_cooldown" in found) is blocked


# --- Massachusetts 940 CMR 7.04(1)(f): 2 in 7 days personal, 2 in 30 days elsewhere ---------------

@pytest.mark.parametrize(("calls", "violates"), [(1, False), (2, True)])
def test_ma_two_in_seven_to_personal_numbers(tmp_path, calls, violates):
    store = Store(tmp_path, [MA])
    store.load([("MA1", "voice", MA[4 + k % 2], f"2026-11-{19 + k:02d}T10:00:00-05:00", "no_answer")
                for k in range(calls)])
    found = rules_of(store.audit([("MA1", "voice", MA[5], f"{DAY}T12:00:00-05:00")]))
    assert ("us.ma.two_in_seven" in found) is violates


def test_ma_work_number_two_in_thirty_days(tmp_path):
    store = Store(tmp_path, [MA])
    # Two calls to the work number 9 days apart, both more than 7 days ago.
    store.load([("MA1", "voice", MA[6], "2026-11-06T10:00:00-05:00", "no_answer"),
                ("MA1", "voice", MA[6], "2026-11-15T10:00:00-05:00", "no_answer")])
    found = rules_of(store.audit([("MA1", "voice", MA[6], f"{DAY}T12:00:00-05:00")]))
    assert "us.ma.two_in_thirty_other_numbers" in found and "us.ma.two_in_seven" not in found
    # The personal numbers are not held by the work number's 30 days.
    assert rules_of(store.audit([("MA1", "voice", MA[4], f"{DAY}T12:00:00-05:00")])) == set()
    rows, _ = store.plan()
    assert [r["destination"] for r in planned(rows, "MA1")] in ([MA[4]], [MA[5]], [])


def test_ma_work_number_a_month_ago_has_rolled_off(tmp_path):
    store = Store(tmp_path, [MA])
    store.load([("MA1", "voice", MA[6], "2026-10-25T10:00:00-05:00", "no_answer"),  # 30 days before: outside
                ("MA1", "voice", MA[6], "2026-11-15T10:00:00-05:00", "no_answer")])
    assert "us.ma.two_in_thirty_other_numbers" not in rules_of(
        store.audit([("MA1", "voice", MA[6], f"{DAY}T12:00:00-05:00")]))


# --- Washington RCW 19.16.250 ----------------------------------------------------------------------

@pytest.mark.parametrize(("texts", "violates"), [(1, False), (2, True)])
def test_wa_two_a_day_to_a_cell(tmp_path, texts, violates):
    store = Store(tmp_path, [WA])
    store.load([("WA1", "sms", WA[4], f"{DAY}T0{8 + k}:00:00-08:00", "delivered") for k in range(texts)])
    found = rules_of(store.audit([("WA1", "sms", WA[4], f"{DAY}T15:00:00-08:00")]))
    assert ("us.wa.cell_two_per_day" in found) is violates


@pytest.mark.parametrize(("contacts", "blocked"), [(2, False), (3, True)])
def test_wa_three_a_week(tmp_path, contacts, blocked):
    store = Store(tmp_path, [WA])
    store.load([("WA1", "voice", WA[5], f"2026-11-{19 + k:02d}T10:00:00-08:00", "no_answer") for k in range(contacts)])
    rows, _ = store.plan()
    assert (planned(rows, "WA1") == []) is blocked


@pytest.mark.parametrize(("days_ago", "violates"), [(6, True), (7, False)])
def test_wa_one_a_week_at_work(tmp_path, days_ago, violates):
    store = Store(tmp_path, [WA])
    store.load([("WA1", "voice", WA[6], f"2026-11-{24 - days_ago:02d}T10:00:00-08:00", "no_answer")])
    found = rules_of(store.audit([("WA1", "voice", WA[6], f"{DAY}T12:00:00-08:00")]))
    assert ("us.wa.work_one_per_week" in found) is violates


# --- TCPA: three prerecorded calls in 30 days to a residential line --------------------------------

@pytest.mark.parametrize(("calls", "violates"), [(2, False), (3, True)])
def test_tcpa_prerecorded_calls_to_a_landline(tmp_path, calls, violates):
    store = Store(tmp_path, [CA])
    store.load([("CA1", "ivr", CA[5], f"2026-11-{2 + 9 * k:02d}T10:00:00-08:00", "voicemail") for k in range(calls)])
    found = rules_of(store.audit([("CA1", "ivr", CA[5], f"{DAY}T12:00:00-08:00")]))
    assert ("us.tcpa.prerecorded_landline_3_in_30" in found) is violates


# --- Opt-outs (LGPD art. 18 §2): in force from their own time ------------------------------------------

def test_an_opt_out_is_not_a_contact_while_suppressed(tmp_path):
    store = Store(tmp_path, [SP])
    log = [("SP1", "sms", SP[4], "2026-11-23T10:00:00-03:00", "opt_out")]
    # Neither before nor after importing it is the opt-out itself a violation.
    assert store.audit_log(log)["status"] == "clean"
    store.load(log)
    assert store.audit_log(log)["status"] == "clean"
    later = store.audit_log([*log, ("SP1", "sms", SP[4], "2026-11-23T12:00:00-03:00", "delivered")])
    assert "br.lgpd.suppression_list" in rules_of(later)
    rows, _ = store.plan()
    assert all(r["channel"] != "sms" for r in planned(rows, "SP1"))


def test_a_log_is_judged_against_its_own_earlier_days(tmp_path):
    """Seven calls over six days of one log, then an eighth: Reg F 7-in-7 across the log's days."""
    store = Store(tmp_path, [CA])
    log = [("CA1", "voice", CA[4], f"2026-11-{18 + min(k, 5):02d}T{10 + k // 6:02d}:00:00-08:00", "no_answer")
           for k in range(7)]
    assert "us.regf.7in7" not in rules_of(store.audit_log(log))
    found = store.audit_log([*log, ("CA1", "voice", CA[4], f"{DAY}T12:00:00-08:00", "no_answer")])
    assert [v["at"][:10] for v in found["violations"] if v["rule_id"] == "us.regf.7in7"] == [DAY]


def test_a_conversation_in_a_log_starts_the_cooldown(tmp_path):
    store = Store(tmp_path, [CA])
    found = store.audit_log([("CA1", "voice", CA[4], "2026-11-20T10:00:00-08:00", "conversation"),
                             ("CA1", "voice", CA[4], f"{DAY}T12:00:00-08:00", "no_answer")])
    assert [v["at"][:10] for v in found["violations"] if v["rule_id"] == "us.regf.conversation_cooldown"] == [DAY]



def test_a_conversation_in_a_log_holds_the_rest_of_its_own_day(tmp_path):
    """12 CFR 1006.14(b)(2)(i)(B): the conversation day is day one of the seven; a call an hour
    after the conversation, the same day, is within them."""
    store = Store(tmp_path, [CA])
    found = store.audit_log([("CA1", "voice", CA[4], f"{DAY}T10:00:00-08:00", "conversation"),
                             ("CA1", "voice", CA[4], f"{DAY}T11:00:00-08:00", "no_answer")])
    assert [v["at"] for v in found["violations"] if v["rule_id"] == "us.regf.conversation_cooldown"] == [
        f"{DAY}T11:00:00-08:00"]


def test_a_conversation_later_the_same_day_does_not_hold_an_earlier_call(tmp_path):
    store = Store(tmp_path, [CA])
    found = store.audit_log([("CA1", "voice", CA[4], f"{DAY}T09:00:00-08:00", "no_answer"),
                             ("CA1", "voice", CA[4], f"{DAY}T10:00:00-08:00", "conversation")])
    # Neither call follows a conversation (the 10:00 call is the conversation itself).
    assert "us.regf.conversation_cooldown" not in rules_of(found)


def test_a_call_back_asked_for_in_the_morning_of_the_log_is_consented(tmp_path):
    """A request at 10:00 to be called at 15:00 the same day: the 15:00 call is the consented call
    back (12 CFR 1006.14(b)(3)(i)), so the cooldown the 10:00 conversation started does not hold it."""
    store = Store(tmp_path, [CA])
    rows = [("CA1", "voice", CA[4], f"{DAY}T10:00:00-08:00", "callback_requested"),
            ("CA1", "voice", CA[4], f"{DAY}T15:00:00-08:00", "no_answer")]
    path = store.tmp / "log.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*HISTORY_COLUMNS, "callback_at"])
        for k, row in enumerate(rows):
            w.writerow([f"L{k}", *row, f"{DAY}T15:00:00-08:00" if k == 0 else ""])
    r = runner.invoke(app, ["audit", "--log", str(path), "-d", str(store.debtors), "--db", store.db, "--json"])
    assert r.exit_code in (0, 1), r.stderr
    found = json.loads(r.stdout)
    assert "us.regf.conversation_cooldown" not in rules_of(found)
    # Without the request the same afternoon call is within the cooldown.
    plain = store.audit_log([("CA1", "voice", CA[4], f"{DAY}T10:00:00-08:00", "conversation"),
                             ("CA1", "voice", CA[4], f"{DAY}T15:00:00-08:00", "no_answer")])
    assert "us.regf.conversation_cooldown" in rules_of(plain)

# --- Suppressions as users type them -----------------------------------------------------------------

def test_suppression_typed_in_local_format_applies(tmp_path):
    store = Store(tmp_path, [SP])
    r = runner.invoke(app, ["suppress", "add", "--destination", "(11) 98765-0001", "--reason", "asked",
                            "--db", store.db])
    assert r.exit_code == 0, r.stderr
    rows, _ = store.plan()
    assert all(r["destination"] != SP[4] for r in planned(rows, "SP1"))
    assert "br.lgpd.suppression_list" in rules_of(store.audit([("SP1", "sms", SP[4], f"{DAY}T10:00:00-03:00")]))
    assert "br.lgpd.suppression_list" in store.explain("SP1")


@pytest.mark.parametrize("typed", ["12345", "call me maybe", "ana@", "+55 11 1234"])
def test_suppression_that_cannot_be_read_is_refused(tmp_path, typed):
    store = Store(tmp_path, [SP])
    r = runner.invoke(app, ["suppress", "add", "--destination", typed, "--reason", "asked", "--db", store.db])
    assert r.exit_code == 2 and typed not in r.stderr


def test_suppression_import_normalises_and_refuses_by_line(tmp_path):
    store = Store(tmp_path, [SP])
    good = tmp_path / "s.csv"
    good.write_text("debtor_id,destination,channel,reason\n,(11) 98765-0001,sms,asked\n,SP1@Example.COM,,asked\n",
                    encoding="utf-8")
    assert runner.invoke(app, ["suppress", "import", str(good), "--db", store.db]).exit_code == 0
    rows, _ = store.plan()
    assert all(r["channel"] not in ("sms", "email") for r in planned(rows, "SP1"))
    bad = tmp_path / "bad.csv"
    bad.write_text("debtor_id,destination,channel,reason\n,+5511987650001,,ok\n,123,,typo\n", encoding="utf-8")
    r = runner.invoke(app, ["suppress", "import", str(bad), "--db", store.db])
    assert r.exit_code == 2 and "bad.csv:3:2: destination:" in r.stderr and "123" not in r.stderr.split(":", 4)[-1]


# --- History re-imported with other content ---------------------------------------------------------

def test_reimported_attempt_with_other_content_is_refused(tmp_path):
    store = Store(tmp_path, [SP])
    first = tmp_path / "first.csv"
    first.write_text("attempt_id,debtor_id,channel,destination,attempted_at,outcome\n"
                     f"X1,SP1,sms,{SP[4]},2026-11-23T10:00:00-03:00,delivered\n", encoding="utf-8")
    assert runner.invoke(app, ["history", "import", str(first), "--db", store.db]).exit_code == 0
    second = tmp_path / "second.csv"
    second.write_text("attempt_id,debtor_id,channel,destination,attempted_at,outcome\n"
                      f"X2,SP1,voice,{SP[4]},2026-11-23T11:00:00-03:00,no_answer\n"
                      f"X1,SP1,sms,{SP[4]},2026-11-23T10:00:00-03:00,opt_out\n", encoding="utf-8")
    r = runner.invoke(app, ["history", "import", str(second), "--db", store.db])
    said = " ".join(r.stderr.split())
    assert r.exit_code == 2 and "second.csv:3:6: outcome:" in said and "nothing was imported" in said
    # Nothing of the file was imported, and its opt-out made no suppression.
    listed = runner.invoke(app, ["suppress", "list", "--db", store.db])
    assert "Suppressions (0)" in listed.stdout
    shown = runner.invoke(app, ["history", "show", "SP1", "--db", store.db])
    assert "X2" not in shown.stdout and "X1" in shown.stdout
    # The same content again is a plain re-import.
    again = tmp_path / "again.csv"
    again.write_text(first.read_text(encoding="utf-8") + f"X3,SP1,voice,{SP[4]},2026-11-23T11:00:00-03:00,busy\n",
                     encoding="utf-8")
    r = runner.invoke(app, ["history", "import", str(again), "--db", store.db])
    assert r.exit_code == 0 and "2 attempts read, 1 added" in " ".join(r.stderr.split())


# --- Intra-day re-plan: plan --not-before after the morning's log --------------------------------

MORNING = [("SP1", "voice", SP[4], f"{DAY}T09:10:00-03:00", "no_answer"),
           ("MT1", "sms", MT[4], f"{DAY}T08:30:00-04:00", "delivered")]


def test_afternoon_replan_after_the_morning_log(tmp_path):
    fresh = ("SP2", "BR", "SP", "3550308", "+5511987650002", "", "", "sp2@example.com")
    store = Store(tmp_path, [SP, MT, fresh])
    store.load(MORNING)
    rows, said = store.plan("--not-before", "14:00")
    assert rows and all(r["window_start_utc"] >= f"{DAY}T17:00:00Z" for r in rows)  # 14:00 in São Paulo
    # One contact a day: whoever was reached this morning is not contacted again.
    assert {r["debtor_id"] for r in rows} == {"SP2"}
    plan = tmp_path / "plan.csv"
    r = runner.invoke(app, ["audit", str(plan), "-d", str(store.debtors), "--db", store.db, "--not-before", "14:00",
                            "--json"])
    assert r.exit_code == 0, r.stdout
    # The same afternoon plan judged as a plan of the whole day would not count the morning
    # either way: the morning's attempts are before its first window, so they count too.
    assert runner.invoke(app, ["audit", str(plan), "-d", str(store.debtors), "--db", store.db]).exit_code == 0


def test_replan_windows_before_not_before_are_violations(tmp_path):
    store = Store(tmp_path, [SP])
    found = store.audit([("SP1", "sms", SP[4], f"{DAY}T13:30:00-03:00")], "--not-before", f"{DAY}T14:00:00-03:00")
    assert "audit.not_before" in rules_of(found)
    assert "audit.not_before" not in rules_of(store.audit([("SP1", "sms", SP[4], f"{DAY}T14:00:00-03:00")],
                                                          "--not-before", "14:00"))


def test_replan_keeps_the_gap_after_the_morning_call(tmp_path):
    """Min gap (2 h between calls) under a company's own pack without a daily cap: a call at 13:10
    pushes the next one past 15:10, not just past --not-before 14:00."""
    store = Store(tmp_path, [SP], consent="false")
    (tmp_path / "gap.toml").write_text(
        '[pack]\nid = "gap"\ntitle = "hours and gap"\ncountry = "BR"\n\n'
        '[[rule]]\nid = "co.hours"\nkind = "calling_hours"\ntitle = "hours"\ncitation = "policy"\n'
        'severity = "policy"\nparams = { windows = { "mon-fri" = "08:00-20:00" } }\n\n'
        '[[rule]]\nid = "co.gap"\nkind = "min_gap"\ntitle = "gap"\ncitation = "policy"\nseverity = "policy"\n'
        'channels = ["voice", "ivr"]\nparams = { hours = 2 }\n', encoding="utf-8")
    config = tmp_path / "contactplan.toml"
    config.write_text('packs = ["gap.toml"]\n[channels.sms]\nenabled = false\n[channels.whatsapp]\nenabled = false\n'
                      '[channels.email]\nenabled = false\n', encoding="utf-8")
    store.load([("SP1", "voice", SP[4], f"{DAY}T13:10:00-03:00", "no_answer")])
    rows, _ = store.plan("--not-before", "14:00", "--config", str(config))
    (row,) = planned(rows, "SP1")
    assert row["window_start"] >= f"{DAY}T15:10:00-03:00"
    early = store.audit([("SP1", "voice", SP[4], f"{DAY}T15:00:00-03:00")], "--config", str(config),
                        "--not-before", "14:00")
    assert rules_of(early) == {"co.gap"}


@pytest.mark.parametrize("value", ["25:00", "2026-11-25T10:00:00-03:00", "noon"])
def test_not_before_must_be_a_time_on_the_plan_date(tmp_path, value):
    store = Store(tmp_path, [SP])
    r = runner.invoke(app, ["plan", "-d", str(store.debtors), "-a", str(store.agents), "--date", DAY,
                            "--not-before", value, "--db", store.db, "-o", str(tmp_path / "p.csv")])
    assert r.exit_code == 2 and not (tmp_path / "p.csv").exists() and "--not-before" in r.stderr


def test_replan_after_the_last_allowed_time(tmp_path):
    store = Store(tmp_path, [SP])
    rows, said = store.plan("--not-before", "21:30")
    assert rows == [] and "plan.not_before" in " ".join(said.split())


# --- Who called whom: direction, callbacks, dated consent (12 CFR 1006.14(b)(2)-(3)) -----------

def _history_with(store: Store, rows: list[tuple], name: str = "h2.csv") -> None:
    """(debtor, channel, destination, attempted_at, outcome, direction, callback_at) rows."""
    path = store.tmp / name
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow((*HISTORY_COLUMNS, "direction", "callback_at"))
        for row in rows:
            w.writerow([f"{row[0]}-{row[1]}-{row[3]}-{row[5]}", *row])
    r = runner.invoke(app, ["history", "import", str(path), "--db", store.db])
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize(("seventh", "violates"), [("inbound", False), ("outbound", True)])
def test_an_inbound_call_is_not_a_call_placed_by_the_collector(tmp_path, seventh, violates):
    """Six calls the collector placed and a seventh in the window [D-6, D-1]: a call today is the
    8th placed by the collector only when the seventh was placed by the collector too."""
    store = Store(tmp_path, [CA], consent="false")
    rows = [("CA1", "voice", CA[4], f"2026-11-{18 + k:02d}T10:00:00-08:00", "no_answer", "outbound", "")
            for k in range(6)]
    rows.append(("CA1", "voice", CA[4], "2026-11-23T16:00:00-08:00", "no_answer", seventh, ""))
    _history_with(store, rows)
    found = rules_of(store.audit([("CA1", "voice", CA[4], f"{DAY}T12:00:00-08:00")]))
    assert ("us.regf.7in7" in found) is violates


@pytest.mark.parametrize("direction", ["inbound", "outbound"])
def test_a_conversation_starts_the_cooldown_whoever_dialled(tmp_path, direction):
    store = Store(tmp_path, [CA])
    _history_with(store, [("CA1", "voice", CA[4], "2026-11-21T10:00:00-08:00", "conversation", direction, "")])
    assert "us.regf.conversation_cooldown" in rules_of(store.audit([("CA1", "voice", CA[4], f"{DAY}T12:00:00-08:00")]))
    text = store.explain("CA1")
    assert "1 by the debtor" in text if direction == "inbound" else "1 by the collector" in text


def test_a_message_the_debtor_sent_is_not_a_contact(tmp_path):
    store = Store(tmp_path, [MT])
    # Two replies of the debtor today: MT's two a day and the one a day count the agency's contacts.
    _history_with(store, [("MT1", "whatsapp", MT[4], f"{DAY}T09:00:00-04:00", "delivered", "inbound", ""),
                          ("MT1", "sms", MT[4], f"{DAY}T10:00:00-04:00", "delivered", "inbound", "")])
    found = rules_of(store.audit([("MT1", "sms", MT[4], f"{DAY}T15:00:00-04:00")]))
    assert not found & {"br.mt.two_contacts_per_day", "br.policy.one_contact_per_day"}


def test_a_callback_at_15_is_booked_through_the_cooldown(tmp_path):
    """Reg F: the debtor asked yesterday, in a conversation, to be called today at 15:00. The
    conversation starts a 7-day cooldown, but the call back is placed with the debtor's direct
    prior consent (1006.14(b)(3)(i)): it is booked at 15:00, and passes the audit."""
    store = Store(tmp_path, [CA], consent="false")
    _history_with(store, [("CA1", "voice", CA[4], "2026-11-23T11:00:00-08:00", "callback_requested", "outbound",
                           f"{DAY}T15:00:00-08:00")])
    rows, said = store.plan()
    (row,) = planned(rows, "CA1")
    assert (row["channel"], row["destination"]) == ("voice", CA[4])
    assert row["window_start"] == f"{DAY}T15:00:00-08:00" and row["window_end"] <= f"{DAY}T15:30:00-08:00"
    assert "1 booked" in " ".join(said.split())
    r = runner.invoke(app, ["audit", str(tmp_path / "plan.csv"), "-d", str(store.debtors), "--db", store.db])
    assert r.exit_code == 0, r.stderr
    # Any other call that day is still held by the cooldown.
    assert "us.regf.conversation_cooldown" in rules_of(store.audit([("CA1", "voice", CA[4],
                                                                      f"{DAY}T11:00:00-08:00")]))


def test_a_callback_in_brazil_counts_like_any_call(tmp_path):
    store = Store(tmp_path, [SP], consent="false")
    _history_with(store, [("SP1", "voice", SP[4], "2026-11-23T11:00:00-03:00", "callback_requested", "outbound",
                           f"{DAY}T15:00:00-03:00")])
    rows, _ = store.plan()
    (row,) = planned(rows, "SP1")
    assert row["window_start"] == f"{DAY}T15:00:00-03:00"
    # Asked for today, this morning: one contact a day (policy) already holds, so it is refused.
    other = Store(tmp_path / "today", [SP], consent="false")
    _history_with(other, [("SP1", "voice", SP[4], f"{DAY}T11:00:00-03:00", "callback_requested", "outbound",
                           f"{DAY}T15:00:00-03:00")])
    rows, said = other.plan()
    assert planned(rows, "SP1") == []
    assert "call back not booked SP1" in " ".join(said.split()) and "br.policy.one_contact_per_day" in said


def test_a_callback_at_20_30_is_refused_with_its_rule(tmp_path):
    store = Store(tmp_path, [SP], consent="false")
    _history_with(store, [("SP1", "voice", SP[4], "2026-11-23T11:00:00-03:00", "callback_requested", "outbound",
                           f"{DAY}T20:30:00-03:00")])
    rows, said = store.plan()
    said = " ".join(said.split())
    assert "call back not booked SP1" in said and "br.sp.calling_hours" in said
    assert "next possible day 2026-11-25" in said
    assert "Call back not booked: br.sp.calling_hours" in " ".join(store.explain("SP1").split())


def _consents(store: Store, rows: list[tuple]) -> None:
    """(debtor, channel, destination, granted_at, revoked_at, evidence_id) rows."""
    path = store.tmp / "consents.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("debtor_id", "channel", "destination", "granted_at", "revoked_at", "source", "evidence_id"))
        for debtor, channel, dest, granted, revoked, evidence in rows:
            w.writerow((debtor, channel, dest, granted, revoked, "test", evidence))
    r = runner.invoke(app, ["consent", "import", str(path), "--db", store.db])
    assert r.exit_code == 0, r.stderr


def test_a_revocation_after_an_opt_in_wins_over_the_file(tmp_path):
    store = Store(tmp_path, [SP])  # the file says yes to WhatsApp
    _consents(store, [("SP1", "whatsapp", SP[4], "2026-11-01T10:00:00-03:00", "", "EV1"),
                      ("SP1", "whatsapp", SP[4], "", "2026-11-20T10:00:00-03:00", "EV2")])
    rows, _ = store.plan()
    assert all(r["channel"] != "whatsapp" for r in planned(rows, "SP1"))
    report = store.audit([("SP1", "whatsapp", SP[4], f"{DAY}T10:00:00-03:00")])
    (v,) = [v for v in report["violations"] if v["rule_id"] == "br.meta.whatsapp_opt_in"]
    assert "consent revoked on 2026-11-20 (record EV2)" in v["message"] and SP[4] not in v["message"]
    assert "whatsapp (one destination): revoked 2026-11-20 (record EV2)" in " ".join(store.explain("SP1").split())


@pytest.mark.parametrize(("records", "allowed"), [([], False), ([("2026-11-01T10:00:00-03:00", "")], True),
                                                  ([("2026-11-01T10:00:00-03:00", ""),
                                                    ("", "2026-11-02T10:00:00-03:00")], False)])
def test_an_opt_in_in_the_store_lets_a_blank_flag_be_messaged(tmp_path, records, allowed):
    store = Store(tmp_path, [SP], consent="")  # blank: no opt-in in the file
    if records:
        _consents(store, [("SP1", "whatsapp", "", g, r, f"EV{k}") for k, (g, r) in enumerate(records)])
    found = rules_of(store.audit([("SP1", "whatsapp", SP[4], f"{DAY}T10:00:00-03:00")]))
    assert ("br.meta.whatsapp_opt_in" not in found) is allowed


def test_a_file_no_is_never_overridden_by_an_opt_in(tmp_path):
    store = Store(tmp_path, [SP], consent="false")
    _consents(store, [("SP1", "whatsapp", SP[4], "2026-11-01T10:00:00-03:00", "", "EV1")])
    assert "br.meta.whatsapp_opt_in" in rules_of(store.audit([("SP1", "whatsapp", SP[4], f"{DAY}T10:00:00-03:00")]))


def test_a_logged_message_is_judged_by_the_consent_of_its_time(tmp_path):
    store = Store(tmp_path, [SP], consent="")
    _consents(store, [("SP1", "whatsapp", SP[4], "2026-11-20T10:00:00-03:00", "", "EV1")])
    report = store.audit_log([("SP1", "whatsapp", SP[4], "2026-11-19T10:00:00-03:00", "delivered"),
                              ("SP1", "whatsapp", SP[4], "2026-11-21T10:00:00-03:00", "delivered")])
    bad = [v["at"][:10] for v in report["violations"] if v["rule_id"] == "br.meta.whatsapp_opt_in"]
    assert bad == ["2026-11-19"]  # before the opt-in; the one after it is fine
