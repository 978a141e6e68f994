"""Workbooks as inputs: a debtors or agents sheet typed the way Excel types it (phones and
balances as numbers, dates and times as dates and times) reads as its CSV would, with the same
validation and the sheet's row numbers in messages."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.io.agents import read_agents
from contactplan.io.debtors import read_debtors

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "br"


def _typed(header: str, text: str):
    """The cell as Excel would hold it after a user typed the CSV's text."""
    if text == "":
        return None
    if header in ("balance", "p_pay", "days_past_due", "contacts_per_hour") or header.startswith("phone_") and \
            text.isdigit():
        try:
            number = float(text.replace(",", "."))
            return int(number) if number.is_integer() else number
        except ValueError:
            return text
    if header == "due_date":
        return dt.date.fromisoformat(text)
    if header in ("shift_start", "shift_end", "break_start", "break_end"):
        return dt.time.fromisoformat(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def workbook_of(csv_path: Path, out: Path, *, sheet: str = "Carteira", before: list[str] | None = None) -> Path:
    book = Workbook()
    if before:
        for name in before:
            book.create_sheet(name)
        del book["Sheet"]
        ws = book.create_sheet(sheet)
    else:
        ws = book.active
        ws.title = sheet
    with csv_path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    ws.append(header)
    for row in rows[1:]:
        ws.append([_typed(h, v) for h, v in zip(header, row)])
    book.save(out)
    return out


def test_a_typed_debtor_sheet_reads_as_its_csv(tmp_path):
    book = workbook_of(EXAMPLES / "debtors.csv", tmp_path / "debtors.xlsx")
    from_csv, from_book = read_debtors(EXAMPLES / "debtors.csv"), read_debtors(book)
    assert len(from_book.debtors) == len(from_csv.debtors) == 2000
    assert not from_book.rejections
    fields = ("debtor_id", "balance", "zones", "destinations", "flags", "consents", "p_pay", "days_past_due",
              "segment", "preferred_channel", "preferred_window", "account_ids", "lines")
    for a, b in zip(from_csv.debtors, from_book.debtors):
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]


def test_agents_with_times_typed_as_times(tmp_path):
    book = workbook_of(EXAMPLES / "agents.csv", tmp_path / "agents.xlsx")
    assert read_agents(book)[0] == read_agents(EXAMPLES / "agents.csv")[0]


def test_plan_from_workbooks_equals_plan_from_csv(tmp_path):
    debtors = workbook_of(EXAMPLES / "debtors.csv", tmp_path / "d.xlsx")
    agents = workbook_of(EXAMPLES / "agents.csv", tmp_path / "a.xlsx")
    base = ["plan", "--date", "2026-11-24", "--no-store", "-c", str(EXAMPLES / "contactplan.toml")]
    r1 = runner.invoke(app, [*base, "-d", str(EXAMPLES / "debtors.csv"), "-a", str(EXAMPLES / "agents.csv"), "-o",
                             str(tmp_path / "csv.csv")])
    r2 = runner.invoke(app, [*base, "-d", str(debtors), "-a", str(agents), "-o", str(tmp_path / "book.csv")])
    assert r1.exit_code == r2.exit_code == 0, r2.output

    def body(path):  # the plan id hashes the input bytes; everything else is the same plan
        return [line.split(",", 1)[1] for line in path.read_text(encoding="utf-8").splitlines()[1:]]

    assert body(tmp_path / "csv.csv") == body(tmp_path / "book.csv")


def test_a_bad_cell_is_reported_at_its_sheet_row(tmp_path):
    book = Workbook()
    ws = book.active
    ws.append(["debtor_id", "country", "region", "phone_mobile", "balance", "p_pay"])
    ws.append(["D1", "BR", "SP", 11987654321, 100, 0.2])
    ws.append(["D2", "BR", "SP", 11987654322, 100, 1.7])  # p_pay above 1, row 3
    book.save(tmp_path / "d.xlsx")
    df = read_debtors(tmp_path / "d.xlsx")
    [bad] = df.rejections
    assert (bad.line, bad.column, bad.debtor_id) == (3, "p_pay", "D2")
    assert [d.debtor_id for d in df.debtors] == ["D1"]
    assert df.debtors[0].destinations[0].address == "+5511987654321"  # a phone typed as a number


def test_the_sheet_is_chosen_by_name_and_a_missing_one_is_named(tmp_path):
    book = workbook_of(EXAMPLES / "agents.csv", tmp_path / "a.xlsx", sheet="Agentes", before=["Notas"])
    r = runner.invoke(app, ["--sheet", "Agentes", "plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(book),
                            "--date", "2026-11-24", "--no-store", "--dry-run"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--sheet", "Agents", "plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(book),
                            "--date", "2026-11-24", "--no-store", "--dry-run"])
    assert r.exit_code == 2 and "'Notas', 'Agentes'" in r.output
    # Without --sheet the first sheet (an empty "Notas") is read: a clear error, not a traceback.
    r = runner.invoke(app, ["plan", "-d", str(EXAMPLES / "debtors.csv"), "-a", str(book), "--date", "2026-11-24",
                            "--no-store", "--dry-run"])
    assert r.exit_code == 2 and "a.xlsx" in r.output


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"", b"\x00" * 64])
def test_a_broken_workbook_is_exit_2_not_a_traceback(tmp_path, content):
    bad = tmp_path / "d.xlsx"
    bad.write_bytes(content)
    r = runner.invoke(app, ["plan", "-d", str(bad), "-a", str(EXAMPLES / "agents.csv"), "--date", "2026-11-24",
                            "--no-store", "--dry-run"])
    assert r.exit_code == 2 and "d.xlsx" in r.output and "Traceback" not in r.output
