"""Debtor files as users really send them (tests/corpus/debtors): each is accepted as documented
or refused with file, line, column and what to fix - through the CLI, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.io.debtors import read_debtors

CORPUS = Path(__file__).parent / "corpus" / "debtors"
ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

ACCEPTED = {  # file -> debtors planned from it (accepted as documented)
    "bom_utf8.csv": 1, "excel_cp1252_semicolon.csv": 2, "trailing_blank_lines.csv": 1, "unknown_columns.csv": 1,
    "header_only.csv": 0, "quoted_newline.csv": 1,
}
REFUSED = {  # file -> what the error says
    "duplicated_header.csv": "duplicated_header.csv:1:6: column 'region' appears twice",
    "missing_required.csv": "missing_required.csv:1: missing required column(s): balance",
    "empty.csv": "empty.csv: file is empty",
    "nul_byte.csv": "nul_byte.csv:2: contains a NUL byte",
    "misaligned.csv": "misaligned.csv:2: row has 11 fields but the header has 9",
    "not_text.csv": "not_text.csv: not UTF-8 and not Windows-1252",
}


def _plan(name: str, *extra: str):
    return runner.invoke(app, ["plan", "--debtors", str(CORPUS / name), "--agents", str(ROOT / "examples/br/agents.csv"),
                               "--date", "2026-11-24", "--no-store", "--dry-run", *extra])


@pytest.mark.parametrize(("name", "debtors"), sorted(ACCEPTED.items()))
def test_accepted_files(name, debtors):
    f = read_debtors(CORPUS / name)
    assert len(f.debtors) == debtors
    r = _plan(name)
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize(("name", "message"), sorted(REFUSED.items()))
def test_refused_files(name, message):
    r = _plan(name)
    assert r.exit_code == 2 and message in " ".join(r.stderr.split()), r.stderr
    assert "Traceback" not in r.stderr


def test_cp1252_values_are_read_right():
    f = read_debtors(CORPUS / "excel_cp1252_semicolon.csv")
    d1, d2 = f.debtors
    assert (str(d1.balance), d1.p_pay, d1.flags, d2.flags) == ("1234.56", 0.1, frozenset(), {"do_not_contact"})


def test_quoted_newline_keeps_line_numbers():
    (r,) = read_debtors(CORPUS / "quoted_newline.csv").rejections
    assert (r.line, r.column) == (4, "balance")  # the quoted name spans lines 2-3


def test_unknown_columns_are_reported():
    r = _plan("unknown_columns.csv")
    assert "ignored unknown column(s): score, legacy_id" in " ".join(r.stderr.split())


BAD_ROWS = [(2, "due_date", "is not a date"), (3, "balance", "must not be negative"),
            (4, "region", "unknown Brazilian UF; expected one of"), (5, "country", "not a known country code"),
            (6, "phone_mobile", "include the area code (DDD)"), (7, "p_pay", ""), (8, "do_not_contact", ""),
            (9, "balance", "ambiguous")]


def test_bad_rows_each_rejected_with_line_and_column(tmp_path):
    f = read_debtors(CORPUS / "bad_rows.csv")
    assert [d.debtor_id for d in f.debtors] == ["D9"]
    got = [(r.line, r.column, r.message) for r in f.rejections]
    assert [(line, col) for line, col, _ in got] == [(line, col) for line, col, _ in BAD_ROWS]
    for (_, _, message), (_, _, expected) in zip(got, BAD_ROWS):
        assert expected in message
    names = ("Ana", "Bia", "Caio", "Davi", "Eva", "Fabi", "Gil", "Hugo")
    assert not any(n in str(r) for r in f.rejections for n in names)
    # --on-error fail: exit 2, the first reasons printed, nothing written; reject: plan the rest + rejects file.
    out, rejects = tmp_path / "plan.csv", tmp_path / "rejects.csv"
    r = runner.invoke(app, ["plan", "--debtors", str(CORPUS / "bad_rows.csv"), "--agents",
                            str(ROOT / "examples/br/agents.csv"), "--date", "2026-11-24", "--no-store", "-o", str(out),
                            "--on-error", "fail"])
    assert r.exit_code == 2 and "8 invalid row(s)" in r.stderr and not out.exists()
    r = runner.invoke(app, ["plan", "--debtors", str(CORPUS / "bad_rows.csv"), "--agents",
                            str(ROOT / "examples/br/agents.csv"), "--date", "2026-11-24", "--no-store", "-o", str(out),
                            "--rejects", str(rejects)])
    assert r.exit_code == 0 and len(rejects.read_text().splitlines()) == 9


def test_text_that_looks_like_terminal_markup_is_printed_as_is(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("debtor_id,country,region,phone_mobile,balance,x[/red]\nD[/bold]1,BR,SP,(11) 98765-4321,abc,1\n"
                    "D2,BR,SP,(11) 98765-4322,10,1\n", encoding="utf-8")
    r = runner.invoke(app, ["plan", "--debtors", str(path), "--agents", str(ROOT / "examples/br/agents.csv"),
                            "--date", "2026-11-24", "--no-store", "--dry-run"])
    assert r.exit_code == 0, r.stderr
    assert "balance" in r.stderr and "may be personal data" in r.stderr and "[/red]" not in r.stderr
    # A header cell that is not column-like is not echoed unless asked; asked, it is printed as is.
    r = runner.invoke(app, ["--show-values", "plan", "--debtors", str(path), "--agents",
                            str(ROOT / "examples/br/agents.csv"), "--date", "2026-11-24", "--no-store", "--dry-run"])
    assert r.exit_code == 0, r.stderr
    assert "x[/red]" in r.stderr and "balance" in r.stderr
