"""Solver modes: exact, binned within a stated gap, and the time limit."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.config import Config
from contactplan.errors import ExitCode
from contactplan.generate import write_portfolio
from contactplan.planner import build_plan, load_inputs
from contactplan.solver import driver, flow

runner = CliRunner()
DAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return load_inputs(*write_portfolio(tmp_path_factory.mktemp("modes"), 1500, seed=11))


def test_binned_plan_states_a_gap_within_the_limit_and_brackets_the_optimum(inputs):
    exact = build_plan(inputs, DAY, Config(max_gap=0.0))
    assert exact.status is flow.SolveStatus.OPTIMAL and exact.bound == exact.objective and exact.gap == 0
    binned = build_plan(inputs, DAY, Config(max_gap=0.001))
    assert binned.objective <= exact.objective <= binned.bound
    assert 0 <= binned.gap <= 0.001


def test_a_gap_over_the_limit_falls_back_to_the_exact_flow(inputs, monkeypatch):
    # Bins a hundred times wider than asked: their gap is over the limit, so the exact flow runs.
    real, widths = driver.solve, []

    def wide(*args, bin_width=0.0, **kwargs):
        widths.append(bin_width)
        solution = real(*args, bin_width=bin_width * 100, **kwargs)
        assert bin_width == 0 or solution.gap > 0.0001  # the case under test really happens
        return solution

    monkeypatch.setattr(driver, "solve", wide)
    plan = build_plan(inputs, DAY, Config(max_gap=0.0001))
    assert widths == [0.00005, 0.0]
    assert plan.status is flow.SolveStatus.OPTIMAL and plan.gap == 0
    assert plan.objective == build_plan(inputs, DAY, Config(max_gap=0.0)).objective


def test_exact_flow_under_a_time_limit_runs_apart_and_comes_back(inputs):
    plan = build_plan(inputs, DAY, Config(max_gap=0.0), time_limit=120)
    assert plan.status is flow.SolveStatus.OPTIMAL
    assert plan.objective == build_plan(inputs, DAY, Config(max_gap=0.0)).objective


def test_time_limit_stops_the_exact_flow_and_keeps_the_binned_plan(inputs, monkeypatch):
    real = driver.solve

    def slow_exact(*args, bin_width=0.0, **kwargs):
        if bin_width == 0:
            time.sleep(60)  # in the forked child: it is stopped at the deadline
        return real(*args, bin_width=bin_width, **kwargs)

    monkeypatch.setattr(driver, "solve", slow_exact)
    started = time.perf_counter()
    plan = build_plan(inputs, DAY, Config(max_gap=0.0), time_limit=3)
    assert time.perf_counter() - started < 20
    assert plan.status in (flow.SolveStatus.FEASIBLE, flow.SolveStatus.OPTIMAL)
    assert "time limit" in plan.solver_note and plan.objective <= plan.bound
    assert plan.gap <= driver.FALLBACK_BIN_WIDTH * 4  # stated, and small


def test_cli_time_limit_without_a_plan_exits_3_and_writes_nothing(tmp_path):
    debtors, agents = write_portfolio(tmp_path, 50, seed=3)
    out = tmp_path / "plan.csv"
    r = runner.invoke(app, ["plan", "-d", str(debtors), "-a", str(agents), "--date", "2026-11-24", "--no-store",
                            "--time-limit", "0", "-o", str(out)])
    assert r.exit_code == ExitCode.INFEASIBLE and "time limit" in r.stderr
    assert not out.exists()


def test_cli_max_gap_zero_proves_optimality(tmp_path):
    debtors, agents = write_portfolio(tmp_path, 80, seed=5)
    r = runner.invoke(app, ["plan", "-d", str(debtors), "-a", str(agents), "--date", "2026-11-24", "--no-store",
                            "--max-gap", "0", "-o", str(tmp_path / "plan.csv")])
    assert r.exit_code == 0, r.stderr
    assert "proven optimal" in r.stderr and "bound" in r.stderr


def test_config_max_gap_percent(tmp_path):
    from contactplan.config import load_config
    from contactplan.errors import InputError

    path = tmp_path / "contactplan.toml"
    path.write_text("max_gap_percent = 0.5\n")
    assert load_config(path).max_gap == pytest.approx(0.005)
    path.write_text("max_gap_percent = 50\n")
    with pytest.raises(InputError, match="max_gap_percent"):
        load_config(path)


def test_a_child_whose_parent_was_killed_does_not_linger(tmp_path):
    """kill -9 of a plan must not leave the forked solver waiting forever on a full pipe."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    marker = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import os, time
        from contactplan.solver.driver import run_until
        def work():
            open({str(marker)!r}, "w").write(str(os.getpid()))
            return b"x" * (8 << 20)  # more than a pipe holds: the send blocks until read
        run_until(work, time.perf_counter() + 60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    for _ in range(200):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    child = int(marker.read_text())
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{child}/status") as status:  # exited but not yet reaped by init
            if "State:\tZ" in status.read():
                return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the solver child outlived its killed parent")


def test_run_until_returns_the_result_or_none_at_the_deadline():
    assert driver.run_until(lambda: 42, time.perf_counter() + 30) == 42
    started = time.perf_counter()
    assert driver.run_until(lambda: time.sleep(30), time.perf_counter() + 0.5) is None
    assert time.perf_counter() - started < 10
