"""The outcome loop through the command line: indicators (report), learned effectiveness (learn,
plan --model) and the champion/challenger holdout (plan --holdout, report --by arm).

Every figure asserted here is computed by hand from the history written in the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.io.plan_csv import read_plan
from contactplan.outcomes.holdout import CHALLENGER, CHAMPION, Lift, arm_of, in_challenger
from contactplan.outcomes.learned import read_model

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "br"
HISTORY = ("attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "direction")


def cli(*args: str):
    return runner.invoke(app, list(args))


def write_history(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HISTORY)
        for k, row in enumerate(rows):
            w.writerow([f"T{k:04d}", *row, *([""] * (len(HISTORY) - 1 - len(row)))])
    return path


# A morning in Rio Branco (UTC-5) and São Paulo (UTC-3), every outcome class once or more.
ROWS = [
    ("D1", "voice", "+5511987650001", "2026-11-24T09:10:00-03:00", "no_answer"),
    ("D1", "voice", "+5511987650001", "2026-11-24T09:40:00-03:00", "conversation"),
    ("D2", "voice", "+5511987650002", "2026-11-24T10:05:00-03:00", "promise_to_pay"),
    ("D3", "voice", "+5511987650003", "2026-11-24T10:20:00-03:00", "wrong_party"),
    ("D4", "voice", "+5511987650004", "2026-11-24T10:30:00-03:00", "refused"),
    ("D5", "voice", "+5511987650005", "2026-11-24T10:50:00-03:00", "opt_out"),
    ("D6", "voice", "+5511987650006", "2026-11-24T10:55:00-03:00", "voicemail"),
    ("D2", "sms", "+5511987650002", "2026-11-24T11:00:00-03:00", "delivered"),
    # 23:30 in Rio Branco is the 24th there (00:30 on the 25th in Brasília): hour 23, a Tuesday.
    ("D7", "voice", "+5568999990007", "2026-11-24T23:30:00-05:00", "busy"),
    # The debtor called in: history for the rules, not an attempt of the operation.
    ("D7", "voice", "+5568999990007", "2026-11-25T08:30:00-05:00", "promise_to_pay", "inbound"),
    ("D8", "whatsapp", "+5511987650008", "2026-11-25T18:00:00-03:00", "promise_to_pay"),
]


@pytest.fixture
def store(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = cli("history", "import", str(write_history(tmp_path / "h.csv", ROWS)), "--db", db)
    assert result.exit_code == 0, result.output
    return db


def report_csv(db: str, *args: str) -> list[dict]:
    result = cli("report", "--from", "2026-11-24", "--to", "2026-11-25", "--db", db, "-f", "csv", *args)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    start = next(k for k, line in enumerate(lines) if line.startswith(args[1] if args and args[0] == "--by"
                                                                      else "channel"))
    return list(csv.DictReader(lines[start:]))


def test_indicators_by_channel_follow_the_definitions(store):
    rows = {r["channel"]: r for r in report_csv(store)}
    # voice: 8 outbound attempts; connects = conversation, promise, wrong party, refused, opt-out (5);
    # rpc = the same less the wrong party (4); one promise.
    assert rows["voice"] == {"channel": "voice", "attempts": "8", "connects": "5", "rpc": "4", "promises": "1",
                             "connect_rate": "0.6250", "rpc_rate": "0.5000", "ptp_rate": "0.1250", "thin": "true"}
    assert rows["sms"]["attempts"] == "1" and rows["sms"]["connects"] == "0" and rows["sms"]["ptp_rate"] == "0.0000"
    assert rows["whatsapp"]["promises"] == "1" and rows["whatsapp"]["rpc_rate"] == "1.0000"
    assert sum(int(r["attempts"]) for r in rows.values()) == 10  # the inbound call is not an attempt


def test_hour_weekday_and_date_are_local_to_the_attempt(store):
    by_hour = {(r["channel"], r["hour"]): r for r in report_csv(store, "--by", "channel,hour")}
    assert by_hour[("voice", "23")]["attempts"] == "1"  # Rio Branco's 23:30, not Brasília's 01:30
    assert by_hour[("voice", "10")]["attempts"] == "5"
    by_day = {r["date"]: r for r in report_csv(store, "--by", "date")}
    assert by_day["2026-11-24"]["attempts"] == "9" and by_day["2026-11-25"]["attempts"] == "1"
    by_weekday = {r["weekday"]: r for r in report_csv(store, "--by", "weekday")}
    assert set(by_weekday) == {"Tue", "Wed"} and by_weekday["Tue"]["attempts"] == "9"


def test_a_day_outside_the_period_is_not_counted(store):
    result = cli("report", "--from", "2026-11-25", "--to", "2026-11-25", "--db", store, "-f", "json")
    data = json.loads(result.stdout)
    assert data["total"]["attempts"] == 1 and data["inbound_not_counted"] == 1 and data["callbacks_requested"] == 0
    assert data["rows"] == [{"channel": "whatsapp", "attempts": 1, "connects": 1, "rpc": 1, "promises": 1,
                             "connect_rate": 1.0, "rpc_rate": 1.0, "ptp_rate": 1.0, "thin": True}]


def test_thin_rows_are_flagged_not_hidden(store):
    rows = report_csv(store, "--min-attempts", "2")
    assert {r["channel"]: r["thin"] for r in rows} == {"sms": "true", "voice": "false", "whatsapp": "true"}


def test_segment_and_region_come_from_the_debtors_file(store, tmp_path):
    assert cli("report", "--from", "2026-11-24", "--to", "2026-11-25", "--db", store, "--by", "segment"
               ).exit_code == 2
    debtors = tmp_path / "d.csv"
    debtors.write_text("debtor_id,country,region,phone_mobile,balance,segment\n"
                       "D1,BR,SP,+5511987650001,100,cards\nD2,BR,SP,+5511987650002,100,retail\n", encoding="utf-8")
    rows = {r["segment"]: r for r in report_csv(store, "--by", "segment,region", "--debtors", str(debtors))}
    assert rows["cards"]["attempts"] == "2" and rows["cards"]["region"] == "SP"
    assert rows["retail"]["attempts"] == "2"
    assert rows["(unknown)"]["attempts"] == "6"  # not in the file: counted, and said so


@pytest.mark.parametrize("args", [("--by", "colour"), ("--by", "channel,channel"), ("--from", "2026-13-01"),
                                  ("--to", "2026-11-01")])
def test_bad_report_options_exit_2(store, args):
    base = {"--from": "2026-11-24", "--to": "2026-11-25", "--by": "channel"}
    base.update(dict([args]))
    result = cli("report", *[x for kv in base.items() for x in kv], "--db", store)
    assert result.exit_code == 2


def test_the_html_page_draws_both_charts(store, tmp_path):
    page = tmp_path / "r.html"
    result = cli("report", "--from", "2026-11-24", "--to", "2026-11-25", "--db", store, "--html", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert 'id="rate-by-hour"' in html and 'id="trend-by-date"' in html
    assert html.count('class="point"') >= 4
    assert "+55" not in html  # no destination (nor any debtor) on the page


def test_an_empty_store_reports_nothing_and_a_missing_one_is_an_error(tmp_path):
    from contactplan.store import open_store

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(empty)  # created, with its schema, and no attempt
    result = cli("report", "--from", "2026-11-24", "--to", "2026-11-25", "--db", empty, "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"] == []
    # A --db that names no store is a typo far more often than an empty operation.
    missing = cli("report", "--from", "2026-11-24", "--to", "2026-11-25", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert missing.exit_code == 2 and "no store there" in missing.output
    assert not (tmp_path / "x.db").exists()


# --- learn -------------------------------------------------------------------------------------

def test_learn_shrinks_each_cell_toward_its_channel(store, tmp_path):
    model = tmp_path / "m.toml"
    result = cli("learn", "--from", "2026-11-24", "--to", "2026-11-25", "--db", store, "-o", str(model),
                 "--prior-strength", "4")
    assert result.exit_code == 0, result.output
    m = read_model(model)
    # All outbound: 10 attempts, 5 rpc, 2 promises: p_all = 0.5, q_all = 0.4.
    # voice: 8 attempts, 4 rpc, 1 promise -> p_voice = (4 + 4*0.5)/(8 + 4) = 0.5, q_voice = (1 + 4*0.4)/(4 + 4) = 0.325
    # voice 10h: 5 attempts (promise, wrong party, refused, opt-out, voicemail) -> 3 rpc, 1 promise.
    cell = m.cells[(m.reference_channel, 10, None)]
    assert (cell.attempts, cell.rpc, cell.promises) == (5, 3, 1)
    assert math.isclose(cell.p_rpc, (3 + 4 * 0.5) / (5 + 4))
    assert math.isclose(cell.p_promise_given_rpc, (1 + 4 * 0.325) / (3 + 4))
    assert m.reference_promise_rate == 1 / 8
    # sms recorded no promise at all: left to the config rather than learned as worthless.
    assert "sms" in m.left_to_config and not any(k[0].value == "sms" for k in m.cells)


def test_learn_with_nothing_to_learn_writes_nothing(tmp_path):
    from contactplan.store import open_store

    model = tmp_path / "m.toml"
    for db in (f"sqlite:///{tmp_path / 'x.db'}", f"sqlite:///{tmp_path / 'empty.db'}"):
        if "empty" in db:
            open_store(db)
        result = cli("learn", "--from", "2026-11-24", "--to", "2026-11-25", "--db", db, "-o", str(model))
        assert result.exit_code == 2 and not model.exists()


def _model_text(cells: str) -> str:
    return ('schema = 1\nby = ["channel", "hour"]\nfrom = "2026-11-01"\nto = "2026-11-30"\ndata_sha256 = "x"\n'
            'prior_strength = 20.0\nreference_channel = "voice"\nreference_promise_rate = 0.05\n' + cells)


GOOD_CELL = ('[[cell]]\nchannel = "whatsapp"\nhour = 10\nattempts = 500\nrpc = 200\npromises = 150\n'
             'p_rpc = 0.4\np_promise_given_rpc = 0.75\n')


@pytest.mark.parametrize("broken, where", [
    (GOOD_CELL.replace("hour = 10", "hour = 24"), "cell 1.hour"),
    (GOOD_CELL.replace("p_rpc = 0.4", "p_rpc = 1.4"), "cell 1.p_rpc"),
    (GOOD_CELL.replace("promises = 150", "promises = 250"), "cell 1.promises"),
    (GOOD_CELL.replace('"whatsapp"', '"fax"'), "cell 1.channel"),
    (GOOD_CELL + "colour = 1\n", "cell 1.colour"),
    (GOOD_CELL + "\n" + GOOD_CELL, "cell 2"),
    (GOOD_CELL.replace("p_rpc = 0.4", 'p_rpc = "0.4"'), "cell 1.p_rpc"),
    # Posterior means the counts and the prior cannot give (a hand-edited cell steering on nothing).
    (GOOD_CELL.replace("p_rpc = 0.4", "p_rpc = 1.0"), "cell 1.p_rpc"),
    (GOOD_CELL.replace("p_promise_given_rpc = 0.75", "p_promise_given_rpc = 0.1"), "cell 1.p_promise_given_rpc"),
    (GOOD_CELL.replace("attempts = 500", "attempts = -5"), "cell 1.attempts"),
    (GOOD_CELL.replace("p_rpc = 0.4", "p_rpc = nan"), "cell 1.p_rpc"),
    ("", "no [[cell]]"),
])
def test_a_broken_model_file_is_refused_with_its_key(tmp_path, broken, where):
    model = tmp_path / "m.toml"
    model.write_text(_model_text(broken), encoding="utf-8")
    result = cli("plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "--date",
                 "2026-11-24", "--no-store", "--model", str(model), "-o", str(tmp_path / "p.csv"))
    assert result.exit_code == 2
    assert str(model) in result.output and where in result.output
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("header, where", [
    ('to = "2026-11-30"', 'to = "2026-10-01"'), ("reference_promise_rate = 0.05", "reference_promise_rate = 0"),
    ("reference_promise_rate = 0.05", "reference_promise_rate = 1e-300"),
])
def test_a_model_header_that_cannot_be_is_refused(tmp_path, header, where):
    model = tmp_path / "m.toml"
    model.write_text(_model_text(GOOD_CELL).replace(header, where), encoding="utf-8")
    result = cli("plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "--date",
                 "2026-11-24", "--no-store", "--model", str(model), "--dry-run")
    assert result.exit_code == 2 and where.split(" =")[0] in result.output


def test_a_deeply_nested_or_device_model_is_exit_2(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    for model in (deep, Path("/dev/zero"), tmp_path):
        result = cli("plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "--date",
                     "2026-11-24", "--no-store", "--model", str(model), "--dry-run")
        assert result.exit_code == 2, (model, result.output)


def test_a_model_moves_the_plan_and_says_how_much_it_decided(tmp_path):
    model = tmp_path / "m.toml"
    # WhatsApp at 10h is worth 0.3 promises per attempt against voice's 0.05 overall: six times voice.
    model.write_text(_model_text(GOOD_CELL), encoding="utf-8")
    base = ["plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "-c",
            str(EXAMPLES / "contactplan.toml"), "--date", "2026-11-24", "--no-store"]
    plain = cli(*base, "-o", str(tmp_path / "a.csv"))
    learned = cli(*base, "--model", str(model), "-o", str(tmp_path / "b.csv"))
    assert plain.exit_code == learned.exit_code == 0, learned.output
    assert "options valued by its learned cells" in learned.output
    _, a = read_plan(tmp_path / "a.csv")
    _, b = read_plan(tmp_path / "b.csv")

    def whatsapp_at_10(contacts):
        return sum(1 for c in contacts if c.channel.value == "whatsapp" and c.window_start.hour == 10)

    assert whatsapp_at_10(b) > whatsapp_at_10(a)
    audit = cli("audit", str(tmp_path / "b.csv"), "-d", str(EXAMPLES / "debtors.csv"), "-a",
                str(EXAMPLES / "agents.csv"), "-c", str(EXAMPLES / "contactplan.toml"), "--no-store")
    assert audit.exit_code == 0, audit.output


# --- holdout -----------------------------------------------------------------------------------

def test_the_arm_is_stable_seeded_and_near_its_share():
    ids = [f"D{k:06d}" for k in range(20_000)]
    held = sum(in_challenger(i, 7, 10) for i in ids)
    assert 1800 < held < 2200  # 10 % +- 3 standard deviations
    assert [arm_of(i, 7, 10) for i in ids[:50]] == [arm_of(i, 7, 10) for i in ids[:50]]
    assert sum(arm_of(i, 7, 10) != arm_of(i, 8, 10) for i in ids) > 1000  # another seed, another draw
    # Raising the share only moves debtors into the challenger, never out of it.
    assert all(in_challenger(i, 7, 20) for i in ids if in_challenger(i, 7, 10))
    assert not any(in_challenger(i, 7, 0) for i in ids) and all(in_challenger(i, 7, 100) for i in ids)


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80, method 10.
    lo, hi = Lift(70, 56, 80, 48).interval()
    assert round(lo, 4) == 0.0524 and round(hi, 4) == 0.3339


def _plan_with_holdout(tmp_path: Path, db: str, day: str, percent: str = "30") -> Path:
    out = tmp_path / f"plan-{day}.csv"
    result = cli("plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "-c",
                 str(EXAMPLES / "contactplan.toml"), "--date", day, "--db", db, "--holdout", percent,
                 "--holdout-seed", "11", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Holdout 30 % (seed 11)" in result.output
    return out


def test_holdout_plans_both_arms_within_capacity_and_reports_the_lift(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    plan = _plan_with_holdout(tmp_path, db, "2026-11-24")
    rows = list(csv.DictReader(plan.open(encoding="utf-8")))
    assert list(rows[0])[-1] == "arm"
    assert {r["arm"] for r in rows} == {CHAMPION, CHALLENGER}
    assert all(r["arm"] == arm_of(r["debtor_id"], 11, 30) for r in rows)
    audit = cli("audit", str(plan), "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "-c",
                str(EXAMPLES / "contactplan.toml"), "--db", db)
    assert audit.exit_code == 0, audit.output  # the two arms together never exceed a pool's seats
    # Outcomes: every champion contact promises, no challenger contact does.
    results = [(r["debtor_id"], r["channel"], r["destination"], r["window_start"],
                "promise_to_pay" if r["arm"] == CHAMPION else "no_answer") for r in rows]
    assert cli("history", "import", str(write_history(tmp_path / "out.csv", results)), "--db", db).exit_code == 0
    result = cli("report", "--from", "2026-11-24", "--to", "2026-11-24", "--by", "arm", "--db", db, "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_arm = {r["arm"]: r for r in data["rows"]}
    champions = sum(1 for r in rows if r["arm"] == CHAMPION)
    assert by_arm[CHAMPION]["attempts"] == champions and by_arm[CHAMPION]["ptp_rate"] == 1.0
    assert by_arm[CHALLENGER]["promises"] == 0
    lift = data["lift"]
    # Intention to treat: every debtor of the portfolio assigned to an arm is in its denominator.
    with (EXAMPLES / "debtors.csv").open(encoding="utf-8") as f:
        portfolio = {r["debtor_id"] for r in csv.DictReader(f)}
    assert lift["champion"]["debtors"] + lift["challenger"]["debtors"] <= len(portfolio)
    assert lift["champion"]["promised"] == champions and lift["challenger"]["promised"] == 0
    assert lift["ci95"][0] > 0 and lift["difference"] == pytest.approx(champions / lift["champion"]["debtors"],
                                                                       abs=1e-6)


def test_holdout_with_a_horizon_is_refused(tmp_path):
    result = cli("plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "--date",
                 "2026-11-24", "--no-store", "--holdout", "10", "--horizon", "3", "-o", str(tmp_path / "p.csv"))
    assert result.exit_code == 2 and not (tmp_path / "p.csv").exists()


def test_the_archive_keeps_the_arm(tmp_path):
    from contactplan.store import open_store

    db = f"sqlite:///{tmp_path / 'store.db'}"
    plan = _plan_with_holdout(tmp_path, db, "2026-11-24")
    rows = list(csv.DictReader(plan.open(encoding="utf-8")))
    store = open_store(db)
    [archived] = store.plans()
    assert set(archived["counts"]["arms"]) == {CHAMPION, CHALLENGER}
    contacts = store.planned_contacts(archived["plan_id"])
    assert sorted((c.debtor_id, c.arm) for c in contacts) == sorted((r["debtor_id"], r["arm"]) for r in rows)
    assert dt.date.fromisoformat(rows[0]["plan_date"]) == archived["plan_date"]


def test_a_call_back_asked_for_is_a_right_party_contact_and_is_counted(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    h = tmp_path / "cb.csv"
    h.write_text("attempt_id,debtor_id,channel,destination,attempted_at,outcome,direction,callback_at\n"
                 "C1,D1,voice,+5511987650001,2026-11-24T09:00:00-03:00,callback_requested,outbound,"
                 "2026-11-24T15:00:00-03:00\n"
                 "C2,D2,voice,+5511987650002,2026-11-24T09:30:00-03:00,callback_requested,inbound,"
                 "2026-11-24T16:00:00-03:00\n", encoding="utf-8")
    assert cli("history", "import", str(h), "--db", db).exit_code == 0
    result = cli("report", "--from", "2026-11-24", "--to", "2026-11-24", "--db", db, "-f", "json")
    data = json.loads(result.stdout)
    assert data["callbacks_requested"] == 2 and data["inbound_not_counted"] == 1
    assert data["rows"][0] == {"channel": "voice", "attempts": 1, "connects": 1, "rpc": 1, "promises": 0,
                                    "connect_rate": 1.0, "rpc_rate": 1.0, "ptp_rate": 0.0, "thin": True}


# --- the bundled examples' logs ------------------------------------------------------------------

@pytest.mark.parametrize("example, planted", [
    ("br", {"br.policy.one_contact_per_day": 4, "br.default.call_hours": 2, "br.default.holidays": 1,
            "br.sp.holidays": 1, "br.sp.calling_hours": 1, "br.mt.two_contacts_per_day": 1,
            "br.lgpd.suppression_list": 1, "br.lgpd.sms_opt_out": 1}),
    ("us", {"us.policy.one_contact_per_day": 2, "us.regf.call_hours": 1, "us.tcpa.sms_consent": 1,
            "us.regf.conversation_cooldown": 1, "us.ma.two_in_seven": 1}),
])
def test_the_examples_logs_audit_as_documented(example, planted):
    """results.csv (simulated outcomes of the example's own plans) is clean; dialer-log.csv (a
    dialer that ignored the rules) has exactly the violations planted in it."""
    here = Path(__file__).resolve().parents[1] / "examples" / example
    base = ["audit", "-d", str(here / "debtors.csv"), "-c", str(here / "contactplan.toml"), "--no-store"]
    clean = cli(*base, "--log", str(here / "results.csv"))
    assert clean.exit_code == 0, clean.output
    dirty = cli(*base, "--log", str(here / "dialer-log.csv"), "-f", "json")
    assert dirty.exit_code == 1
    assert json.loads(dirty.stdout)["summary"]["by_rule"] == planted


def test_the_calendars_ends_as_a_period_are_no_fault(store, tmp_path):
    wide = cli("report", "--from", "0001-01-01", "--to", "9999-12-31", "--db", store, "-f", "json",
               "--html", str(tmp_path / "r.html"))
    assert wide.exit_code == 0, wide.output
    narrow = cli("report", "--from", "2026-11-24", "--to", "2026-11-25", "--db", store, "-f", "json")
    assert json.loads(wide.stdout)["rows"] == json.loads(narrow.stdout)["rows"]
    learned = cli("learn", "--from", "0001-01-01", "--to", "9999-12-31", "--db", store, "-o", str(tmp_path / "m.toml"))
    assert learned.exit_code == 0, learned.output


def test_replanning_after_the_outcomes_keeps_the_plan_the_dialer_was_given(tmp_path):
    """The store is an input: a re-plan of the day after its outcomes were imported is another
    plan (another id); the archived plan that was dialled stays, and the report still joins to it."""
    from contactplan.store import open_store

    db = f"sqlite:///{tmp_path / 'store.db'}"
    base = ["plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "-c",
            str(EXAMPLES / "contactplan.toml"), "--date", "2026-11-24", "--db", db]
    assert cli(*base, "-o", str(tmp_path / "morning.csv")).exit_code == 0
    rows = list(csv.DictReader((tmp_path / "morning.csv").open(encoding="utf-8")))
    results = [(r["debtor_id"], r["channel"], r["destination"], r["window_start"], "no_answer") for r in rows]
    assert cli("history", "import", str(write_history(tmp_path / "r.csv", results)), "--db", db).exit_code == 0
    assert cli(*base, "-o", str(tmp_path / "again.csv")).exit_code == 0
    plans = open_store(db).plans()
    assert len(plans) == 2 and rows[0]["plan_id"] in {p["plan_id"] for p in plans}
    kept = open_store(db).planned_contacts(rows[0]["plan_id"])
    assert len(kept) == len(rows)
    report = json.loads(cli("report", "--from", "2026-11-24", "--to", "2026-11-24", "--by", "pool", "--db", db,
                            "-f", "json").stdout)
    assert not any(r["pool"] == "(unplanned)" for r in report["rows"])
