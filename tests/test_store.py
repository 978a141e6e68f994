"""The store against SQLite and a real PostgreSQL server: idempotent, transactional, zones preserved."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.errors import InputError
from contactplan.io.history import read_history
from contactplan.model import Channel, Outcome, Suppression
from contactplan.store import open_store

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
HEADER = ["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"]
ROWS = [
    ["A1", "D1", "voice", "+5511987654321", "2026-11-20T19:58:00-03:00", "no_answer", "AG1"],
    ["A2", "D1", "sms", "(11) 98765-4321", "2026-11-21T10:00:00-03:00", "opt_out", ""],
    ["A3", "D2", "voice", "+5568999123456", "2026-11-21T08:00:00-05:00", "conversation", "AG2"],
    ["A4", "D2", "email", "X@Example.com", "2026-11-22T13:00:00Z", "delivered", ""],
]


def write_history(path, rows=ROWS):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def test_import_is_idempotent_and_keeps_the_offset(db_url, tmp_path):
    store = open_store(db_url)
    attempts, sha, _ = read_history(write_history(tmp_path / "h.csv"))
    assert store.import_attempts(attempts, sha256=sha, source="h.csv", now=NOW) == (4, 4)
    assert store.import_attempts(attempts, sha256=sha, source="h.csv", now=NOW) == (4, 0)
    # A different file repeating some attempt ids adds only the new ones.
    more, sha2, _ = read_history(write_history(tmp_path / "h2.csv", ROWS[2:] + [
        ["A5", "D2", "voice", "+5568999123456", "2026-11-22T09:00:00-05:00", "busy", "AG2"]]))
    assert store.import_attempts(more, sha256=sha2, source="h2.csv", now=NOW) == (3, 1)
    d1 = store.history("D1")
    assert [a.attempt_id for a in d1] == ["A1", "A2"]
    assert d1[0].attempted_at.isoformat() == "2026-11-20T19:58:00-03:00"
    assert d1[1].destination == "+5511987654321" and d1[1].outcome is Outcome.OPT_OUT
    assert store.history("D2")[0].attempted_at.utcoffset() == dt.timedelta(hours=-5)
    assert store.history("D2")[1].destination == "x@example.com"


def test_opt_out_creates_a_suppression(db_url, tmp_path):
    store = open_store(db_url)
    attempts, sha, _ = read_history(write_history(tmp_path / "h.csv"))
    store.import_attempts(attempts, sha256=sha, source="h.csv", now=NOW)
    (s,) = store.suppressions()
    assert (s.debtor_id, s.destination, s.channel, s.source) == ("D1", "+5511987654321", Channel.SMS, "history")


@pytest.mark.parametrize(("row", "column", "message"), [
    (["A9", "D1", "fax", "+5511987654321", "2026-11-20T10:00:00-03:00", "no_answer", ""], 3, "channel"),
    (["A9", "D1", "voice", "+5511987654321", "2026-11-20T10:00:00", "no_answer", ""], 5, "UTC offset"),
    (["A9", "D1", "voice", "+5511987654321", "yesterday", "no_answer", ""], 5, "ISO 8601"),
    (["A9", "D1", "voice", "+5511987654321", "2026-11-20T10:00:00-03:00", "hung_up", ""], 6, "outcome"),
    (["A9", "D1", "voice", "12", "2026-11-20T10:00:00-03:00", "no_answer", ""], 4, "phone number"),
    (["A1", "D1", "voice", "+5511987654321", "2026-11-20T10:00:00-03:00", "no_answer", ""], 1, "repeats line 2"),
])
def test_a_bad_row_rejects_the_whole_file(db_url, tmp_path, row, column, message):
    path = write_history(tmp_path / "h.csv", ROWS + [row])
    with pytest.raises(InputError) as info:
        read_history(path)
    assert f"h.csv:6:{column}:" in str(info.value) and message in str(info.value)
    assert "987654321" not in str(info.value)  # no phone numbers in errors


def test_cli_import_bad_file_imports_nothing(db_url, tmp_path):
    path = write_history(tmp_path / "h.csv", ROWS + [["A9", "D1", "voice", "+5511987654321", "x", "busy", ""]])
    r = CliRunner().invoke(app, ["history", "import", str(path), "--db", db_url])
    assert r.exit_code == 2 and "h.csv:6:5: attempted_at:" in r.stderr
    assert open_store(db_url).history("D1") == []


def test_suppressions_dedupe_and_expire(db_url):
    store = open_store(db_url)
    entries = [Suppression("D1", "", None, "asked", "call centre"),
               Suppression("", "+5511987654321", Channel.SMS, "STOP", "sms gateway", dt.date(2026, 12, 1)),
               Suppression("D2", "", Channel.VOICE, "lawyer", "legal", dt.date(2026, 11, 24))]
    assert store.add_suppressions(entries, NOW) == 3
    assert store.add_suppressions(entries, NOW) == 0
    data = store.load_for_plan({"D1", "D2"}, {"+5511987654321"}, dt.date(2026, 11, 24))
    by_debtor, by_dest = data.suppressed, data.suppressed_destinations
    assert set(by_debtor) == {"D1"}  # D2's entry ended on 2026-11-24
    assert by_dest["+5511987654321"][0].channel is Channel.SMS
    by_debtor = store.load_for_plan({"D2"}, set(), dt.date(2026, 11, 23)).suppressed
    assert set(by_debtor) == {"D2"}


def test_a_plan_reads_the_history_of_its_own_debtors_only(db_url, tmp_path):
    """A store holds every portfolio's history: a plan of D1 gets D1's attempts, all of them
    within the lookback and as the store reads them back, and nothing of D2's."""
    store = open_store(db_url)
    attempts, sha, _ = read_history(write_history(tmp_path / "h.csv"))
    store.import_attempts(attempts, sha256=sha, source="h.csv", now=NOW)
    history = store.load_for_plan({"D1"}, set(), dt.date(2026, 11, 24)).history
    assert set(history) == {"D1"}
    assert sorted(history["D1"], key=lambda a: a.attempted_at) == store.history("D1")
    assert set(store.load_for_plan({"D1", "D2", "D9"}, set(), dt.date(2026, 11, 24)).history) == {"D1", "D2"}


@pytest.mark.parametrize("old", [1, 9])
def test_a_plan_reads_the_same_history_by_the_time_index_or_by_scanning(db_url, tmp_path, old):
    """SQLite reads a lookback holding half the attempts or more by scanning the table (faster
    than its time index then): with 1 attempt out of the lookback per debtor the range holds
    most rows, with 9 it holds few; either way the plan gets exactly the attempts in the
    lookback, with their own offsets to the microsecond."""
    rows = [*ROWS, ["A5", "D1", "voice", "+5511987654321", "2026-11-22T09:30:00.250000-03:00",
                    "no_answer", "AG1"]]
    for k in range(old):  # before the 35-day lookback of a plan on 2026-11-24
        rows += [[f"O{k}-{d}", d, "voice", "+5511987654321", f"2026-09-{10 + k:02d}T10:00:00-03:00", "no_answer", ""]
                 for d in ("D1", "D2")]
    store = open_store(db_url)
    attempts, sha, _ = read_history(write_history(tmp_path / "h.csv", rows))
    store.import_attempts(attempts, sha256=sha, source="h.csv", now=NOW)
    history = store.load_for_plan({"D1", "D2"}, set(), dt.date(2026, 11, 24)).history
    for debtor in ("D1", "D2"):
        assert sorted(history[debtor], key=lambda a: (a.attempted_at, a.attempt_id)) == [
            a for a in store.history(debtor) if not a.attempt_id.startswith("O")]
    d1 = sorted(history["D1"], key=lambda a: a.attempted_at)
    assert [a.attempted_at.isoformat() for a in d1] == [
        "2026-11-20T19:58:00-03:00", "2026-11-21T10:00:00-03:00", "2026-11-22T09:30:00.250000-03:00"]


def test_purge_keeps_suppressions(db_url, tmp_path):
    store = open_store(db_url)
    attempts, sha, _ = read_history(write_history(tmp_path / "h.csv"))
    store.import_attempts(attempts, sha256=sha, source="h.csv", now=NOW)
    assert store.purge(dt.date(2026, 11, 21), dry_run=True) == {"attempts": 1, "plans": 0}
    assert [a.attempt_id for a in store.history("D1")] == ["A1", "A2"]
    store.purge(dt.date(2026, 11, 21))
    assert [a.attempt_id for a in store.history("D1")] == ["A2"]
    assert len(store.suppressions()) == 1


def test_plan_reads_history_and_archives(db_url, tmp_path):
    from contactplan.generate import write_portfolio

    debtors, agents = write_portfolio(tmp_path, 60, seed=11)
    first = next(csv.DictReader(debtors.open(encoding="utf-8")))
    runner = CliRunner()
    # Suppress the first debtor entirely: the plan must exclude it with the suppression rule.
    r = runner.invoke(app, ["suppress", "add", "--debtor", first["debtor_id"], "--reason", "asked", "--db", db_url])
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "plan.csv"
    args = ["plan", "--debtors", str(debtors), "--agents", str(agents), "--date", "2026-11-24", "-o", str(out),
            "--db", db_url]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.stderr
    assert first["debtor_id"] not in out.read_text()
    assert "br.lgpd.suppression_list" in r.stderr
    store = open_store(db_url)
    (plan,) = store.plans()
    archived = store.planned_contacts(plan["plan_id"])
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(archived) == len(rows) and plan["provenance"]["debtors_sha256"]
    assert [c.window_start.isoformat() for c in archived] == [row["window_start"] for row in rows]
    # Planning again archives the same plan id once; a dry run archives nothing new.
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args[:-4], "--date", "2026-11-25", "--dry-run", "--db", db_url]).exit_code == 0
    assert len(open_store(db_url).plans()) == 1


def test_history_show_masks_destinations(db_url, tmp_path):
    path = write_history(tmp_path / "h.csv")
    runner = CliRunner()
    assert runner.invoke(app, ["history", "import", str(path), "--db", db_url]).exit_code == 0
    r = runner.invoke(app, ["history", "show", "D1", "--db", db_url], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "A1" in r.stdout and "987654321" not in r.stdout
    r = runner.invoke(app, ["history", "show", "D1", "--db", db_url, "--show-destinations"], env={"COLUMNS": "200"})
    assert "+5511987654321" in r.stdout and "outbound" in r.stdout


def test_suppress_import_all_or_nothing(db_url, tmp_path):
    good = tmp_path / "s.csv"
    good.write_text("debtor_id,destination,channel,reason,source,expires_on\n"
                    "D1,,,asked,crm,\n,+5511987654321,sms,STOP,gateway,2027-01-01\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("debtor_id,destination,channel,reason,source,expires_on\nD3,,,x,crm,\nD4,,fax,x,crm,\n",
                   encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["suppress", "import", str(bad), "--db", db_url])
    assert r.exit_code == 2 and "bad.csv:3:3: channel:" in r.stderr
    assert open_store(db_url).suppressions() == []
    r = runner.invoke(app, ["suppress", "import", str(good), "--db", db_url])
    assert r.exit_code == 0 and "2 added" in r.stderr
    r = runner.invoke(app, ["suppress", "list", "--db", db_url])
    assert r.exit_code == 0 and "987654321" not in r.stdout and "2027-01-01" in r.stdout


def test_dry_run_creates_no_database(tmp_path):
    from contactplan.generate import write_portfolio

    debtors, agents = write_portfolio(tmp_path, 20, seed=2)
    db = tmp_path / "fresh.db"
    r = CliRunner().invoke(app, ["plan", "--debtors", str(debtors), "--agents", str(agents), "--date", "2026-11-24",
                                 "--dry-run", "--db", f"sqlite:///{db}"])
    assert r.exit_code == 0 and not db.exists()


def test_unreachable_database_is_exit_2(tmp_path):
    r = CliRunner().invoke(app, ["suppress", "list", "--db", "postgresql://nobody:secret@127.0.0.1:1/none"])
    assert r.exit_code == 2 and "secret" not in r.stderr and "Traceback" not in r.stderr


def test_direction_callbacks_and_consents_round_trip(db_url, tmp_path):
    """Migration 0004 on SQLite and PostgreSQL: who made an attempt, the call back asked for (with
    its own offset), and dated consent records read back as written."""
    from contactplan.io.consents import read_consents
    from contactplan.model import Direction

    history = tmp_path / "h.csv"
    history.write_text("attempt_id,debtor_id,channel,destination,attempted_at,outcome,direction,callback_at\n"
                       "A1,D1,voice,+5511987654321,2026-11-20T10:00:00-03:00,callback_requested,outbound,"
                       "2026-11-21T15:00:00-05:00\n"
                       "A2,D1,sms,+5511987654321,2026-11-20T11:00:00-03:00,delivered,inbound,\n", encoding="utf-8")
    store = open_store(db_url)
    attempts, sha, _ = read_history(history)
    assert store.import_attempts(attempts, sha256=sha, source="h.csv", now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)) \
        == (2, 2)
    a1, a2 = store.history("D1")
    assert (a1.direction, a2.direction) == (Direction.OUTBOUND, Direction.INBOUND)
    assert a1.callback_at.isoformat() == "2026-11-21T15:00:00-05:00" and a2.callback_at is None
    consents = tmp_path / "c.csv"
    consents.write_text("debtor_id,channel,destination,granted_at,revoked_at,source,evidence_id\n"
                        "D1,whatsapp,(11) 98765-4321,2026-11-01T09:00:00-03:00,,form,EV-1\n"
                        "D1,whatsapp,,,2026-11-10T09:00:00-03:00,STOP reply,EV-2\n", encoding="utf-8")
    records, _, _ = read_consents(consents, now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    assert store.import_consents(records, now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)) == (2, 2)
    assert store.import_consents(records, now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC)) == (2, 0)
    data = store.load_for_plan({"D1"}, set(), dt.date(2026, 11, 24))
    ev1, ev2 = data.consents["D1"]
    assert (ev1.record_id, ev1.granted, ev1.destination, ev2.granted, ev2.destination) == (
        "EV-1", True, "+5511987654321", False, "")
    assert ev2.at.isoformat() == "2026-11-10T09:00:00-03:00"


def test_upgrading_a_store_of_revision_0003_keeps_its_attempts(tmp_path):
    """An existing store made before directions existed: its attempts read back as outbound."""
    import sqlite3

    from alembic import command
    from alembic.config import Config as AlembicConfig
    from importlib import resources

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url, migrate=False)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("contactplan") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with sqlite3.connect(tmp_path / "old.db") as raw:
        raw.execute("INSERT INTO attempts (attempt_id, debtor_id, account_id, channel, destination, attempted_at, "
                    "utc_offset_minutes, outcome, agent_id) VALUES ('OLD1', 'D1', '', 'voice', '+5511987654321', "
                    "'2026-11-20 13:00:00.000000', -180, 'no_answer', '')")
    (old,) = open_store(url).history("D1")  # upgrades to the head
    assert old.direction.value == "outbound" and old.attempted_at.isoformat() == "2026-11-20T10:00:00-03:00"


def test_the_outcome_loop_reads_the_store(db_url, tmp_path):
    """report and learn read attempts by the attempts' local dates and join the archived plan's
    pool and arm, on both backends."""
    from contactplan.outcomes.holdout import CHALLENGER, CHAMPION

    runner = CliRunner()
    debtors = tmp_path / "d.csv"
    debtors.write_text("debtor_id,country,region,municipality_code,phone_mobile,balance,p_pay\n"
                       "D1,BR,SP,3550308,+5511987654321,900,0.3\nD2,BR,AC,1200401,+5568999123456,800,0.3\n",
                       encoding="utf-8")
    agents = tmp_path / "a.csv"
    agents.write_text("agent_id,pool,shift_start,shift_end,timezone,contacts_per_hour,days\n"
                      "A1,br,07:00,22:00,America/Sao_Paulo,20,Mon-Sun\n", encoding="utf-8")
    plan = tmp_path / "p.csv"
    r = runner.invoke(app, ["plan", "-d", str(debtors), "-a", str(agents), "--date", "2026-11-24", "--db", db_url,
                            "--holdout", "50", "--holdout-seed", "3", "-o", str(plan)])
    assert r.exit_code == 0, r.output
    planned = {row["debtor_id"]: row for row in csv.DictReader(plan.open(encoding="utf-8"))}
    rows = [[f"R{k}", d, row["channel"], row["destination"], row["window_start"], "promise_to_pay", ""]
            for k, (d, row) in enumerate(planned.items())]
    # Rio Branco 23:50 on the 23rd is 04:50 UTC on the 24th: not a day of the report.
    rows.append(["R9", "D2", "voice", "+5568999123456", "2026-11-23T23:50:00-05:00", "no_answer", ""])
    assert runner.invoke(app, ["history", "import", str(write_history(tmp_path / "h.csv", rows)), "--db", db_url]
                         ).exit_code == 0
    r = runner.invoke(app, ["report", "--from", "2026-11-24", "--to", "2026-11-24", "--by", "arm,pool", "--db",
                            db_url, "-f", "csv"])
    assert r.exit_code == 0, r.output
    got = {(row["arm"], row["pool"]): int(row["attempts"]) for row in csv.DictReader(r.stdout.splitlines())}
    want: dict = {}
    for row in planned.values():
        key = (row["arm"], row["pool"] or "(no pool)")
        want[key] = want.get(key, 0) + 1
    assert got == want and {arm for arm, _ in got} <= {CHAMPION, CHALLENGER}
    store = open_store(db_url)
    assert sum(1 for _ in store.attempts_between(dt.date(2026, 11, 24), dt.date(2026, 11, 24))) == len(rows)
    [archived] = store.plans()
    assert sum(archived["counts"]["arms"].values()) == 2
