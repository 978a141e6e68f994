"""Golden files of the resolved packs: any change to a shipped rule (window, citation, scope)
shows up as a reviewed diff in tests/golden/, never silently."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from contactplan.cli import app


@pytest.mark.parametrize("pack", ["br", "us", "br-febraban"])
def test_pack_golden(pack, golden):
    r = CliRunner(env={"COLUMNS": "240"}).invoke(app, ["rules", "show", pack])
    assert r.exit_code == 0
    text = "\n".join(line.rstrip() for line in r.stdout.splitlines()) + "\n"
    # The pack's sha256 changes with any byte of the file; the golden is about the rules.
    text = "\n".join(line if not line.startswith(pack) else line.split(", sha256")[0] for line in text.splitlines())
    golden(f"pack_{pack}.txt", text + "\n")
