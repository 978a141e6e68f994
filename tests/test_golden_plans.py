"""Golden plans of the bundled examples: any change to what the planner chooses for them (a rule,
the option generation, the objective, the solver, the writer) shows up as a reviewed diff in
tests/golden/, never silently. The plan id is left out: it hashes the library versions too."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("example", ["br", "us"])
def test_example_plan_golden(example, golden, tmp_path):
    out = tmp_path / "plan.csv"
    d = EXAMPLES / example
    r = CliRunner().invoke(app, ["plan", "-d", str(d / "debtors.csv"), "-a", str(d / "agents.csv"), "-c",
                                 str(d / "contactplan.toml"), "--date", "2026-11-24", "--no-store", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0][0] == "plan_id" and len(rows) > 100
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(row[1:] for row in rows)
    golden(f"plan_{example}.csv", text.getvalue())
