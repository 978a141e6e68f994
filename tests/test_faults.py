"""Faults: kill -9 mid-import and mid-write, disk full, two runs at once on one database."""

from __future__ import annotations

import csv
import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.generate import write_portfolio
from contactplan.io.plan_csv import read_plan
from contactplan.store import open_store

CLI = [sys.executable, "-m", "contactplan"]


def _history(path: Path, n: int, start: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome"])
        for k in range(start, start + n):
            w.writerow([f"A{k:08d}", f"D{k % 5000:05d}", "voice", f"+55119{k % 10**8:08d}",
                        f"2026-11-{1 + k % 20:02d}T10:{k % 60:02d}:00-03:00", "no_answer"])
    return path


def _count(url: str) -> int:
    store = open_store(url)
    with store.transaction() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM attempts").scalar_one()


@pytest.mark.slow
def test_two_imports_at_once_do_not_double_count(db_url, tmp_path):
    open_store(db_url)  # schema first, so both runs race on data, not on migrations
    same = _history(tmp_path / "a.csv", 20_000)
    overlap = _history(tmp_path / "b.csv", 20_000, start=10_000)
    runs = [subprocess.Popen([*CLI, "history", "import", str(p), "--db", db_url], stderr=subprocess.PIPE, text=True)
            for p in (same, same, overlap)]
    for r in runs:
        assert r.wait(timeout=300) == 0, r.stderr.read()
    assert _count(db_url) == 30_000


@pytest.mark.slow
def test_first_runs_on_an_empty_database_do_not_race(db_url, tmp_path):
    """Four commands at once on a database nobody has opened: the schema is created once
    (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), every run succeeds."""
    history = _history(tmp_path / "h.csv", 200)
    runs = [subprocess.Popen([*CLI, "history", "import", str(history), "--db", db_url], stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    runs += [subprocess.Popen([*CLI, "suppress", "list", "--db", db_url], stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True) for _ in range(2)]
    for r in runs:
        assert r.wait(timeout=300) == 0, r.stderr.read()
    assert _count(db_url) == 200


@pytest.mark.slow
def test_two_plans_at_once_archive_one_plan(db_url, tmp_path):
    open_store(db_url)
    debtors, agents = write_portfolio(tmp_path, 400, seed=3)
    outs = [tmp_path / f"plan{k}.csv" for k in range(2)]
    runs = [subprocess.Popen([*CLI, "plan", "--debtors", str(debtors), "--agents", str(agents), "--date",
                              "2026-11-24", "-o", str(o), "--db", db_url], stderr=subprocess.PIPE, text=True)
            for o in outs]
    for r in runs:
        assert r.wait(timeout=300) == 0, r.stderr.read()
    store = open_store(db_url)
    (plan,) = store.plans()
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert len(store.planned_contacts(plan["plan_id"])) == len(outs[0].read_text().splitlines()) - 1


@pytest.mark.slow
def test_kill_9_during_import_leaves_nothing_half_imported(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    open_store(url)
    path = _history(tmp_path / "big.csv", 300_000)
    proc = subprocess.Popen([*CLI, "history", "import", str(path), "--db", url], stderr=subprocess.DEVNULL)
    time.sleep(6)  # validation takes ~4 s here: the kill lands while rows are being inserted
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _count(url) in (0, 300_000)
    with sqlite3.connect(tmp_path / "kill.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # And the import can simply be run again.
    assert subprocess.run([*CLI, "history", "import", str(path), "--db", url], capture_output=True).returncode == 0
    assert _count(url) == 300_000


@pytest.mark.slow
def test_kill_9_during_plan_keeps_a_whole_file(tmp_path):
    debtors, agents = write_portfolio(tmp_path, 20_000, seed=9)
    out = tmp_path / "plan.csv"
    out.write_text("plan_id,plan_date,debtor_id,channel,destination,window_start,window_end\n", encoding="utf-8")
    previous = out.read_bytes()
    for delay in (1.0, 3.0, 5.0):
        proc = subprocess.Popen([*CLI, "plan", "--debtors", str(debtors), "--agents", str(agents), "--date",
                                 "2026-11-24", "-o", str(out), "--no-store"], stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = out.read_bytes()
        assert data == previous or read_plan(out)[1]  # the old file, or a complete new one
        previous = data


def test_disk_full_leaves_the_previous_plan(tmp_path, monkeypatch):
    debtors, agents = write_portfolio(tmp_path, 50, seed=1)
    out = tmp_path / "plan.csv"
    out.write_text("yesterday\n", encoding="utf-8")

    def full(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    r = CliRunner().invoke(app, ["plan", "--debtors", str(debtors), "--agents", str(agents), "--date", "2026-11-24",
                                 "-o", str(out), "--no-store"])
    assert r.exit_code == 2 and "No space left on device" in r.stderr and "previous file is unchanged" in r.stderr
    assert out.read_text(encoding="utf-8") == "yesterday\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.csv")] == []


def test_database_file_is_private(tmp_path):
    open_store(f"sqlite:///{tmp_path / 'private.db'}")
    assert (tmp_path / "private.db").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("command", [["rules", "show", "nope"], ["history", "show", "D1", "--db", "mysql://x"],
                                     ["plan", "--debtors", "/dev/null", "--agents", "/dev/null", "--date",
                                      "2026-11-24"]])
def test_no_traceback_on_bad_invocations(command):
    r = CliRunner().invoke(app, command)
    assert r.exit_code == 2 and "Traceback" not in (r.stderr or "") + (r.stdout or "")


def test_every_output_file_is_owner_only(tmp_path):
    debtors, agents = write_portfolio(tmp_path, 60, seed=4)
    out = {name: tmp_path / name for name in ("plan.csv", "rejects.csv", "plan.html", "audit.json", "audit.html")}
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "--debtors", str(debtors), "--agents", str(agents), "--date", "2026-11-24",
                               "-o", str(out["plan.csv"]), "--rejects", str(out["rejects.csv"]), "--html",
                               str(out["plan.html"]), "--no-store"]).exit_code == 0
    r = runner.invoke(app, ["audit", str(out["plan.csv"]), "--debtors", str(debtors), "--json", "-o",
                            str(out["audit.json"]), "--html", str(out["audit.html"]), "--no-store"])
    assert r.exit_code == 0, r.stderr
    assert "+55" not in out["audit.json"].read_text(encoding="utf-8")
    for name, path in out.items():
        assert path.stat().st_mode & 0o077 == 0, name
    for path in (debtors, agents):
        assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("extra", [[], ["-o", "-"]])
def test_a_reader_that_closes_early_is_an_error_not_a_written_plan(tmp_path, extra):
    """The dialer import that reads a plan from a pipe dies after a line: contactplan must not say
    the plan was written (exit 2 and a message), even with PYTHONUNBUFFERED set, under which
    sys.stdout silently drops what the pipe did not take."""
    import os
    import subprocess

    ex = Path(__file__).resolve().parents[1] / "examples" / "br"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "contactplan", "plan", "-d", str(ex / "debtors.csv"), "-a",
                          str(ex / "agents.csv"), "--date", "2026-11-24", "--no-store", "-q", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert len(p.stdout.read(100)) == 100
    p.stdout.close()
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2 and b"closed before the whole output was written" in err
    assert b"written to stdout" not in err
