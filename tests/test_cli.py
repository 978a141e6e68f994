"""The command line: exit codes per failure path, streams, nothing half-written."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.generate import write_portfolio
from contactplan.io.plan_csv import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    directory = tmp_path_factory.mktemp("portfolio")
    debtors, agents = write_portfolio(directory, 150, seed=7)
    return debtors, agents


def plan_args(debtors, agents, *extra):
    return ["plan", "--debtors", str(debtors), "--agents", str(agents), "--date", "2026-11-24", *extra]


def test_plan_writes_the_contract_and_a_summary(portfolio, tmp_path):
    out = tmp_path / "plan.csv"
    r = runner.invoke(app, plan_args(*portfolio, "-o", str(out)))
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert tuple(rows[0]) == COLUMNS and rows
    assert {row["plan_date"] for row in rows} == {"2026-11-24"}
    assert all(row["destination"].startswith("+55") or "@" in row["destination"] for row in rows)
    assert "counts add up" in r.stderr and "OPTIMAL" in r.stderr
    assert r.stdout == ""  # data goes to the file; people read stderr
    assert out.stat().st_mode & 0o077 == 0  # readable by the owner only


def test_plan_to_stdout(portfolio):
    r = runner.invoke(app, plan_args(*portfolio))
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == ",".join(COLUMNS)


def test_dry_run_writes_nothing(portfolio, tmp_path):
    out = tmp_path / "plan.csv"
    r = runner.invoke(app, plan_args(*portfolio, "-o", str(out), "--dry-run"))
    assert r.exit_code == 0 and not out.exists() and r.stdout == ""
    assert "dry run" in r.stderr


@pytest.mark.parametrize(("change", "message"), [
    (["--date", "2026-02-30"], "not a date"),
    (["--config", "missing.toml"], "cannot read config"),
])
def test_usage_errors_exit_2(portfolio, tmp_path, change, message):
    out = tmp_path / "plan.csv"
    args = ["plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]), "-o", str(out), *change]
    r = runner.invoke(app, args if "--date" in change else [*args, "--date", "2026-11-24"])
    assert r.exit_code == 2 and message in r.stderr and not out.exists()
    assert "Traceback" not in r.stderr


def test_missing_input_exits_2_and_writes_nothing(portfolio, tmp_path):
    out = tmp_path / "plan.csv"
    r = runner.invoke(app, plan_args(tmp_path / "nope.csv", portfolio[1], "-o", str(out)))
    assert r.exit_code == 2 and "nope.csv" in r.stderr and not out.exists()


def _with_bad_row(portfolio, tmp_path):
    text = Path(portfolio[0]).read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    bad = text[1].split(",")
    bad[header.index("debtor_id")] = "BAD1"
    bad[header.index("balance")] = "lots"
    path = tmp_path / "debtors.csv"
    path.write_text("\n".join([*text, ",".join(bad)]) + "\n", encoding="utf-8")
    return path, len(text) + 1, header.index("balance") + 1


def test_on_error_fail_exits_2_naming_line_and_column(portfolio, tmp_path):
    debtors, line, col = _with_bad_row(portfolio, tmp_path)
    out = tmp_path / "plan.csv"
    r = runner.invoke(app, plan_args(debtors, portfolio[1], "-o", str(out), "--on-error", "fail"))
    assert r.exit_code == 2 and not out.exists()
    assert f"debtors.csv:{line}:{col}: balance:" in r.stderr


def test_on_error_reject_plans_the_rest_and_writes_rejects(portfolio, tmp_path):
    debtors, line, col = _with_bad_row(portfolio, tmp_path)
    out, rejects = tmp_path / "plan.csv", tmp_path / "rejects.csv"
    r = runner.invoke(app, plan_args(debtors, portfolio[1], "-o", str(out), "--rejects", str(rejects)))
    assert r.exit_code == 0, r.stderr
    (rej,) = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert (rej["line"], rej["column_index"], rej["column"], rej["debtor_id"]) == (str(line), str(col), "balance",
                                                                                  "BAD1")
    assert "rejected 1" in r.stderr and "BAD1" not in out.read_text(encoding="utf-8")


def test_failed_self_audit_exits_1_and_writes_nothing(portfolio, tmp_path, monkeypatch):
    import dataclasses
    import datetime as dt

    import contactplan.planner as planner

    real = planner.build_options

    def broken(*args, **kwargs):
        opts = real(*args, **kwargs)
        for b in opts.blocks:
            b.shape = dataclasses.replace(b.shape, windows=tuple((s - dt.timedelta(hours=9), e - dt.timedelta(hours=9))
                                                                 for s, e in b.shape.windows))
        return opts

    monkeypatch.setattr(planner, "build_options", broken)
    out = tmp_path / "plan.csv"
    out.write_text("yesterday's plan\n")
    r = runner.invoke(app, plan_args(*portfolio, "-o", str(out)))
    assert r.exit_code == 1 and "violation" in r.stderr
    assert out.read_text() == "yesterday's plan\n"  # the previous plan is intact


def test_rules_list_and_show():
    r = runner.invoke(app, ["rules", "list"])
    assert r.exit_code == 0 and "br.sp.calling_hours" in r.stdout and "us.regf.call_hours" in r.stdout
    r = runner.invoke(app, ["rules", "show", "br"])
    assert r.exit_code == 0 and "Lei 15.426/2014" in r.stdout and "Sun: no contact" in r.stdout
    r = runner.invoke(app, ["rules", "show", "xx.toml"])
    assert r.exit_code == 2 and "xx.toml" in r.stderr


def test_generate(tmp_path):
    r = runner.invoke(app, ["generate", "--debtors", "25", "--seed", "3", "-o", str(tmp_path)])
    assert r.exit_code == 0
    assert len((tmp_path / "debtors.csv").read_text().splitlines()) > 25
    r2 = runner.invoke(app, ["generate", "--debtors", "25", "--seed", "3", "-o", str(tmp_path / "again")])
    assert r2.exit_code == 0
    assert (tmp_path / "debtors.csv").read_bytes() == (tmp_path / "again" / "debtors.csv").read_bytes()


def test_bundled_example_plans_cleanly(tmp_path):
    """The README's first command, on the bundled Brazilian example."""
    out = tmp_path / "plan.csv"
    r = runner.invoke(app, plan_args(ROOT / "examples/br/debtors.csv", ROOT / "examples/br/agents.csv",
                                     "-o", str(out), "--config", str(ROOT / "examples/br/contactplan.toml")))
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) > 1000
    assert {"voice", "email"} <= {row["channel"] for row in rows}


def test_python_dash_m_works():
    r = subprocess.run([sys.executable, "-m", "contactplan", "--help"], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "plan" in r.stdout


def test_export_formats_from_the_cli(portfolio, tmp_path):
    r = runner.invoke(app, plan_args(*portfolio, "--format", "vicidial"))
    assert r.exit_code == 2 and "directory" in r.stderr
    out = tmp_path / "vici"
    r = runner.invoke(app, plan_args(*portfolio, "--format", "vicidial", "-o", str(out)))
    assert r.exit_code == 0, r.stderr
    assert any(p.name.endswith("_lists.csv") for p in out.iterdir())
    assert all(len(line.split("|")) == 23 for p in out.glob("vicidial_*.txt") for line in p.read_text().splitlines())


def test_excel_csv_round_trips_through_the_reader(portfolio, tmp_path):
    from contactplan.io.plan_csv import read_plan

    out = tmp_path / "plan.csv"
    r = runner.invoke(app, plan_args(*portfolio, "-o", str(out), "--delimiter", ";", "--encoding", "cp1252"))
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes().splitlines()[0].count(b";") == len(COLUMNS) - 1
    day, contacts = read_plan(out)
    plain = tmp_path / "plain.csv"
    assert runner.invoke(app, plan_args(*portfolio, "-o", str(plain))).exit_code == 0
    assert read_plan(plain) == (day, contacts)


def test_policy_layers_can_only_narrow(portfolio, tmp_path):
    policy = ROOT / "examples/br/policy.toml"
    out = tmp_path / "plan.csv"
    carnival = ["plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]), "--date", "2027-02-08",
                "-o", str(out)]
    r = runner.invoke(app, carnival)
    assert r.exit_code == 0 and len(out.read_text().splitlines()) > 1  # Carnival is not a public holiday
    r = runner.invoke(app, [*carnival, "--policy", str(policy)])
    assert r.exit_code == 0 and len(out.read_text().splitlines()) == 1 and "acme.carnival" in r.stderr
    # Febraban (opt-in) starts Saturday calls at 09:00; the default pack allows 08:00.
    saturday = ["plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]), "--date", "2026-11-28",
                "-o", str(out), "--policy", "br-febraban"]
    assert runner.invoke(app, saturday).exit_code == 0
    calls = [row for row in csv.DictReader(out.open(encoding="utf-8")) if row["channel"] == "voice"]
    assert calls and min(row["window_start"][11:16] for row in calls) >= "09:00"


def test_policy_cannot_redefine_a_law_rule(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[pack]\nid = "x"\ntitle = "x"\ncountry = "BR"\n\n[[rule]]\nid = "br.sp.calling_hours"\n'
                   'kind = "calling_hours"\ntitle = "t"\ncitation = "c"\nseverity = "policy"\n'
                   'params = { windows = { "mon-sun" = "00:00-24:00" } }\n', encoding="utf-8")
    r = runner.invoke(app, ["rules", "list", "--policy", str(bad)])
    assert r.exit_code == 2 and "br.sp.calling_hours is already defined" in r.stderr


def test_explain_planned_and_excluded(tmp_path):
    debtors = tmp_path / "debtors.csv"
    debtors.write_text("debtor_id,country,region,municipality_code,phone_mobile,balance,do_not_contact\n"
                       "OK,BR,AM,1301407,+5597991230001,900,false\n"
                       "NO,BR,SP,,+5511987650002,900,true\n", encoding="utf-8")
    agents = tmp_path / "agents.csv"
    agents.write_text("agent_id,pool,shift_start,shift_end,timezone,contacts_per_hour\n"
                      "A1,p,08:00,20:00,America/Sao_Paulo,10\n", encoding="utf-8")
    base = ["--debtors", str(debtors), "--agents", str(agents), "--date", "2026-11-24", "--no-store"]
    wide = CliRunner(env={"COLUMNS": "250"})
    r = wide.invoke(app, ["explain", "OK", *base])
    assert r.exit_code == 0, r.stderr
    assert "America/Eirunepe" in r.stdout and "west Amazonas" in r.stdout
    assert "br.am.calling_hours" in r.stdout and "Planned" in r.stdout
    r = wide.invoke(app, ["explain", "NO", *base])
    assert r.exit_code == 0 and "Not planned" in r.stdout and "br.lgpd.do_not_contact" in r.stdout
    assert "data change" in r.stdout
    r = wide.invoke(app, ["explain", "NOPE", *base])
    assert r.exit_code == 2


def test_dry_run_previews_without_destinations(portfolio, tmp_path):
    r = CliRunner(env={"COLUMNS": "200"}).invoke(app, plan_args(*portfolio, "--dry-run", "--no-store"))
    assert r.exit_code == 0 and "planned contacts" in r.stderr and "+55" not in r.stderr


def test_the_timings_line_covers_every_phase_and_quiet_says_one_line(portfolio, tmp_path):
    out = tmp_path / "plan.csv"
    db = f"sqlite:///{tmp_path / 's.db'}"
    r = runner.invoke(app, plan_args(*portfolio, "-o", str(out), "--db", db))
    assert r.exit_code == 0, r.stderr
    timings = " ".join(r.stderr[r.stderr.index("Timings:"):].split("\n")[:2])
    for phase in ("read", "store", "capacity", "rules", "solve", "audit", "archive", "write", "total"):
        assert f"{phase} " in timings
    quiet = runner.invoke(app, plan_args(*portfolio, "-o", str(tmp_path / "q.csv"), "--db", db, "--quiet"))
    assert quiet.exit_code == 0 and quiet.stderr.strip().count("\n") == 0
    assert quiet.stderr.startswith(f"{len(list(csv.DictReader(out.open(encoding='utf-8'))))} contacts planned")
    assert (tmp_path / "q.csv").read_bytes() == out.read_bytes()  # the same plan, only less said


def test_an_audit_without_the_plans_policy_says_which_rules_it_did_not_check(portfolio, tmp_path):
    """A plan made under a policy pack, audited without it: the audit says so instead of a bare
    "clean" (the plan's rules column names the rules it was made under)."""
    policy = tmp_path / "policy.toml"
    policy.write_text('[pack]\nid = "acme"\ntitle = "acme"\ncountry = "BR"\n\n[[rule]]\nid = "acme.hours"\n'
                      'kind = "calling_hours"\ntitle = "t"\ncitation = "policy"\nseverity = "policy"\n'
                      'params = { windows = { "mon-fri" = "09:00-18:00" } }\n', encoding="utf-8")
    out = tmp_path / "plan.csv"
    made = runner.invoke(app, plan_args(*portfolio, "-o", str(out), "--policy", str(policy), "--no-store"))
    assert made.exit_code == 0, made.stderr
    without = runner.invoke(app, ["audit", str(out), "--debtors", str(portfolio[0]), "--no-store"])
    assert without.exit_code == 0
    assert "warning:" in without.stderr and "acme.hours" in " ".join(without.stderr.split())
    with_it = runner.invoke(app, ["audit", str(out), "--debtors", str(portfolio[0]), "--no-store",
                                  "--policy", str(policy)])
    assert with_it.exit_code == 0 and "did not load" not in with_it.stderr
