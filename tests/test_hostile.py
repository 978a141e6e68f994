"""Hostile input and faults through the command line, by class (issue: hostile input, round 2).

1. Nothing personal in any message: a name, a phone, an e-mail or a CPF put in *any* column of
   *any* input a command reads never reaches stderr, stdout messages or the rejects file.
2. No traceback: dates at the ends of the calendar, unreadable configs and databases, outputs
   that cannot be written: exit 2 with a message; what no command expected: exit 4, no traceback.
3. Outputs never destroy an input, a device or a previous export.
4. Cells a spreadsheet would run as formulas are neutralised in every CSV a person may open.
5. One bad row never sinks the plan (huge amounts, odd digits).
6. Capacity from shifts is never overstated by a break outside the shift.
"""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from contactplan.cli import app
from suite import examples

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-11-24"

# What a careless export puts in the wrong column. None of these may ever be echoed.
PERSONAL = ["Ana Beatriz Silva", "123.456.789-09", "12345678909", "+55 11 99999-8888", "(11) 99999-8888",
            "ana.silva@example.com", "Rua das Flores 123", "5511999998888"]
DEBTORS = ["debtor_id", "account_id", "name", "country", "region", "city", "municipality_code", "phone_mobile",
           "email", "balance", "p_pay", "due_date", "days_past_due", "preferred_window", "sms_consent", "segment"]
GOOD_DEBTOR = ["D1", "A1", "Maria", "BR", "SP", "São Paulo", "3550308", "(11) 98765-4321", "d1@example.com",
               "1000,00", "0.2", "2025-01-10", "90", "", "true", "cards"]
AGENTS = ["agent_id", "pool", "shift_start", "shift_end", "timezone", "contacts_per_hour", "break_start",
          "break_end", "days", "segments"]
GOOD_AGENT = ["A1", "main", "08:00", "20:00", "America/Sao_Paulo", "10", "", "", "Mon-Sat", "*"]
HISTORY = ["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"]
GOOD_ATTEMPT = ["H1", "D1", "voice", "+5511987654321", "2026-11-20T10:00:00-03:00", "no_answer", "A1"]
SUPPRESSIONS = ["debtor_id", "destination", "channel", "reason", "source", "expires_on"]
GOOD_SUPPRESSION = ["D1", "+5511987654321", "sms", "asked", "phone", ""]
MUNICIPAL = ["municipality_code", "date", "name"]
GOOD_HOLIDAY = ["3550308", "2026-01-25", "Aniversário"]
PLAN = ["plan_date", "debtor_id", "channel", "destination", "window_start", "window_end", "pool"]
GOOD_PLAN = [DAY, "D1", "voice", "+5511987654321", f"{DAY}T10:00:00-03:00", f"{DAY}T10:30:00-03:00", "main"]


# The columns that name a row: messages identify rows by them, so their values are shown.
IDENTIFIERS = {"debtor_id", "attempt_id", "agent_id"}


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


def _files(tmp: Path) -> dict[str, Path]:
    return {"debtors": _csv(tmp / "debtors.csv", DEBTORS, [GOOD_DEBTOR]),
            "agents": _csv(tmp / "agents.csv", AGENTS, [GOOD_AGENT])}


def _leaks(*texts: str) -> list[str]:
    joined = "\n".join(texts)
    return [p for p in PERSONAL if p in joined]


def _run(args: list[str]):
    return runner.invoke(app, args, env={"COLUMNS": "200"})


# --- 1. nothing personal in any message ------------------------------------------------------------

READERS = {  # reader -> (header, good row, the command that reads it)
    "debtors": (DEBTORS, GOOD_DEBTOR),
    "agents": (AGENTS, GOOD_AGENT),
    "history": (HISTORY, GOOD_ATTEMPT),
    "suppressions": (SUPPRESSIONS, GOOD_SUPPRESSION),
    "municipal": (MUNICIPAL, GOOD_HOLIDAY),
    "plan": (PLAN, GOOD_PLAN),
}


def _command(reader: str, path: Path, tmp: Path) -> tuple[list[str], Path | None]:
    files = _files(tmp)
    db = f"sqlite:///{tmp / 'store.db'}"
    rejects = tmp / "rejects.csv"
    base = ["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--db", db,
            "-o", str(tmp / "plan.csv"), "--rejects", str(rejects)]
    if reader == "debtors":
        base[2] = str(path)
        return base, rejects
    if reader == "agents":
        base[4] = str(path)
        return base, rejects
    if reader == "municipal":
        return [*base, "--municipal-holidays", str(path)], rejects
    if reader == "history":
        return ["history", "import", str(path), "--db", db], None
    if reader == "suppressions":
        return ["suppress", "import", str(path), "--db", db], None
    return ["audit", str(path), "-d", str(files["debtors"]), "--db", db, "--format", "json"], None


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(reader=st.sampled_from(sorted(READERS)), personal=st.sampled_from(PERSONAL), data=st.data())
def test_no_cell_value_reaches_a_message(tmp_path_factory, reader, personal, data):
    """Put a personal value in any column of any reader's file: whatever the command says (an
    error, a rejected row, a warning), it never says the value."""
    tmp = tmp_path_factory.mktemp(reader)
    header, good = READERS[reader]
    column = data.draw(st.integers(0, len(header) - 1), label="column")
    row = list(good)
    row[column] = personal
    path = _csv(tmp / f"{reader}-input.csv", header, [list(good), row])
    args, rejects = _command(reader, path, tmp)
    r = _run(args)
    assert r.exit_code in (0, 1, 2), r.stderr
    if header[column] in IDENTIFIERS:
        return  # ids are how rows are named in messages and reports (README): a name there is shown
    written = rejects.read_text(encoding="utf-8") if rejects and rejects.exists() else ""
    messages = r.stdout if reader == "plan" else ""  # the audit's JSON: its messages
    assert _leaks(r.stderr, written, messages) == [], (reader, header[column])


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_without_header_does_not_echo_its_first_row(tmp_path, reader):
    header, good = READERS[reader]
    row = list(good)
    row[0] = PERSONAL[0]
    row[-1] = PERSONAL[3]
    path = _csv(tmp_path / f"{reader}-input.csv", [], [row, list(good)])
    args, _ = _command(reader, path, tmp_path)
    r = _run(args)
    assert r.exit_code == 2 and "missing required column" in " ".join(r.stderr.split())
    assert _leaks(r.stderr) == []


def test_show_values_opts_in(tmp_path):
    files = _files(tmp_path)
    bad = _csv(tmp_path / "bad.csv", DEBTORS, [[*GOOD_DEBTOR[:4], "Ana Beatriz", *GOOD_DEBTOR[5:]]])
    r = _run(["plan", "-d", str(bad), "-a", str(files["agents"]), "--date", DAY, "--no-store", "--dry-run"])
    assert "Ana Beatriz" not in r.stderr
    r = _run(["--show-values", "plan", "-d", str(bad), "-a", str(files["agents"]), "--date", DAY, "--no-store",
              "--dry-run"])
    assert "('ANA BEATRIZ')" in r.stderr  # the region cell, as read (upper case)


def test_database_errors_never_carry_parameters(tmp_path, monkeypatch):
    """A failing statement's parameters (a phone among them) stay out of the message."""
    from sqlalchemy.exc import DBAPIError

    from contactplan.store import StoreError, open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")

    class Boom(Exception):
        def __str__(self):
            return 'duplicate key value violates unique constraint\nDETAIL:  Key (destination)=(+5511999998888)'

    with pytest.raises(StoreError) as info, store.transaction() as conn:
        raise DBAPIError("INSERT ... VALUES (?)", ("+5511999998888",), Boom())
    assert "5511999998888" not in str(info.value) and "duplicate key" in str(info.value)
    assert conn is not None


# --- 2. no traceback; exit 1 only for violations ------------------------------------------------------

@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_dates_outside_the_calendar_are_usage_errors(tmp_path, date):
    files = _files(tmp_path)
    for args in (["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", date, "--no-store"],
                 ["explain", "D1", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", date,
                  "--no-store"]):
        r = _run(args)
        assert r.exit_code == 2 and "2000-01-01 to 2099-12-31" in " ".join(r.stderr.split()), r.stderr


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00+00:00", "2099-06-01T10:00:00-03:00"])
def test_attempts_out_of_range_or_in_the_future_are_refused_by_line(tmp_path, when):
    path = _csv(tmp_path / "h.csv", HISTORY, [GOOD_ATTEMPT, ["H2", "D1", "sms", "+5511987654321", when, "delivered",
                                                               ""]])
    r = _run(["history", "import", str(path), "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert r.exit_code == 2 and "h.csv:3:5: attempted_at:" in r.stderr and "Traceback" not in r.stderr
    r = _run(["audit", "--log", str(path), "-d", str(_files(tmp_path)["debtors"]), "--no-store"])
    assert r.exit_code == 2 and "attempted_at" in r.stderr


@pytest.mark.parametrize("content", [b"packs = [\"br\"]\nreport_timezone = \"Am\xe9rica\"\n", b"\xff\xfe\x00x",
                                     b"[[[", b"slot_minutes = 7\n"])
def test_configs_that_cannot_be_used(tmp_path, content):
    config = tmp_path / "contactplan.toml"
    config.write_bytes(content)
    files = _files(tmp_path)
    for option in ("--config", "--policy"):
        r = _run(["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--no-store",
                  option, str(config)])
        assert r.exit_code == 2 and "contactplan.toml" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("content", [b"garbage, not a database", b"SQLite format 3\x00" + b"\x00" * 50, b""])
def test_databases_that_cannot_be_used(tmp_path, content):
    db = tmp_path / "bad.db"
    db.write_bytes(content)
    files = _files(tmp_path)
    url = f"sqlite:///{db}"
    commands = [["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--db", url,
                 "-o", str(tmp_path / "p.csv")],
                ["history", "show", "D1", "--db", url], ["suppress", "list", "--db", url],
                ["audit", "--log", str(_csv(tmp_path / "h.csv", HISTORY, [GOOD_ATTEMPT])), "-d",
                 str(files["debtors"]), "--db", url]]
    for args in commands:
        r = _run(args)
        if content == b"":  # an empty file is an empty SQLite database: it just works
            assert r.exit_code in (0, 1), r.stderr
            continue
        assert r.exit_code == 2 and "database" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert (tmp_path / "p.csv").exists() is (content == b"")


def test_generate_into_a_file_is_a_usage_error(tmp_path):
    target = tmp_path / "afile"
    target.write_text("keep me")
    r = _run(["generate", "-n", "3", "-o", str(target)])
    assert r.exit_code == 2 and target.read_text() == "keep me"


def test_an_unexpected_fault_is_exit_4_without_traceback(tmp_path, monkeypatch):
    from contactplan import planner

    def broken(*args, **kwargs):
        raise KeyError("+5511999998888")  # a fault whose message would hold a phone

    monkeypatch.setattr(planner, "_build_plan", broken)
    files = _files(tmp_path)
    r = _run(["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--no-store",
              "-o", str(tmp_path / "p.csv")])
    assert r.exit_code == 4 and "internal error: KeyError" in r.stderr
    assert "Traceback" not in r.stderr and "5511999998888" not in r.stderr and not (tmp_path / "p.csv").exists()


def test_the_console_script_maps_faults_too(tmp_path):
    """The same handler runs when contactplan is run as a program (not only through the test runner)."""
    files = _files(tmp_path)
    r = subprocess.run([sys.executable, "-m", "contactplan", "plan", "-d", str(files["debtors"]), "-a",
                        str(files["agents"]), "--date", "0001-01-01", "--no-store"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


# --- 3. outputs never destroy anything ------------------------------------------------------------------

@pytest.mark.parametrize("output", ["debtors", "agents", "config"])
def test_an_output_that_is_an_input_is_refused(tmp_path, output):
    files = _files(tmp_path)
    config = tmp_path / "contactplan.toml"
    config.write_text('packs = ["br"]\n', encoding="utf-8")
    files["config"] = config
    before = files[output].read_bytes()
    for option in ("-o", "--rejects", "--html"):
        r = _run(["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "-c", str(config), "--date", DAY,
                  "--no-store", option, str(files[output])])
        assert r.exit_code == 2 and "also an input of this run" in " ".join(r.stderr.split())
        assert files[output].read_bytes() == before


def test_two_outputs_on_one_file_are_refused(tmp_path):
    files = _files(tmp_path)
    r = _run(["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--no-store",
              "-o", str(tmp_path / "x"), "--html", str(tmp_path / "x")])
    assert r.exit_code == 2 and not (tmp_path / "x").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_device_is_written_to_not_replaced(tmp_path):
    files = _files(tmp_path)
    for device in ("/dev/full", "/dev/null"):
        before = os.stat(device)
        r = _run(["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--no-store",
                  "-o", device])
        after = os.stat(device)
        assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
        assert r.exit_code == (2 if device == "/dev/full" else 0), r.stderr


def test_a_fifo_gets_the_plan(tmp_path):
    files = _files(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    r = _run(["plan", "-d", str(files["debtors"]), "-a", str(files["agents"]), "--date", DAY, "--no-store",
              "-o", str(fifo)])
    out, _ = reader.communicate(timeout=30)
    assert r.exit_code == 0 and out.startswith(b"plan_id,") and stat.S_ISFIFO(os.stat(fifo).st_mode)


# --- 4. spreadsheet formula injection ----------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\")", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "'quoted"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_formulas_are_neutralised_in_every_spreadsheet_file(tmp_path, formula):
    """A debtor id or a pool that begins like a formula is written with a leading ' in plan.csv,
    the Excel export, Genesys and the batches, and our own reader gives the value back."""
    from contactplan.io.plan_csv import read_plan

    debtors = _csv(tmp_path / "d.csv", DEBTORS, [[formula, *GOOD_DEBTOR[1:]]])
    agents = _csv(tmp_path / "a.csv", AGENTS, [["A1", formula, *GOOD_AGENT[2:]]])
    base = ["plan", "-d", str(debtors), "-a", str(agents), "--date", DAY, "--no-store"]
    r = _run([*base, "-o", str(tmp_path / "plan.csv")])
    assert r.exit_code == 0, r.stderr
    text = (tmp_path / "plan.csv").read_text(encoding="utf-8")
    cells = [c for row in csv.reader(text.splitlines()) for c in row]
    assert all(not c.startswith(("=", "+", "@", "\t", "\r")) or _plain_number(c) for c in cells)
    value = formula.strip()  # the readers strip a cell's blanks (a TAB or CR in front goes)
    assert (f"'{value}" if value[0] in "=+-@'" else value) in cells
    _, contacts = read_plan(tmp_path / "plan.csv")
    assert {c.debtor_id for c in contacts} == {value} and {c.pool for c in contacts} <= {value, ""}
    for fmt, options in (("csv", ["--encoding", "cp1252", "--delimiter", ";"]), ("genesys", []), ("batches", [])):
        out = tmp_path / fmt
        r = _run([*base, "--format", fmt, "-o", str(out) if fmt != "csv" else str(out.with_suffix(".csv")), *options])
        assert r.exit_code == 0, r.stderr
        for path in ([out.with_suffix(".csv")] if fmt == "csv" else out.glob("*.csv")):
            for row in csv.reader(path.read_text(encoding="cp1252" if fmt == "csv" else "utf-8").splitlines(),
                                  delimiter=";" if fmt == "csv" else ","):
                assert all(not c.startswith(("=", "+", "@", "\t", "\r", "-")) or _plain_number(c) or c.startswith("'")
                           for c in row), (fmt, row)


def _plain_number(cell: str) -> bool:
    import re

    return re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?", cell) is not None


# --- 5. one bad row never sinks the plan ---------------------------------------------------------------------

@pytest.mark.parametrize("balance", ["1e16", "10000000000000000", "999999999999999,99", "1_000", "１０００",
                                     "١٠٠٠", "NaN", "Infinity"])
def test_a_bad_amount_is_one_rejected_row(tmp_path, balance):
    rows = [GOOD_DEBTOR, ["D2", *GOOD_DEBTOR[1:9], balance, *GOOD_DEBTOR[10:]]]
    debtors = _csv(tmp_path / "d.csv", DEBTORS, rows)
    agents = _csv(tmp_path / "a.csv", AGENTS, [GOOD_AGENT])
    r = _run(["plan", "-d", str(debtors), "-a", str(agents), "--date", DAY, "--no-store", "-o",
              str(tmp_path / "p.csv"), "--rejects", str(tmp_path / "r.csv")])
    assert r.exit_code == 0, r.stderr
    rejected = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert [(x["debtor_id"], x["column"]) for x in rejected] == [("D2", "balance")]
    assert "D1" in (tmp_path / "p.csv").read_text(encoding="utf-8")


def test_the_largest_accepted_balances_still_plan_exactly(tmp_path):
    """Every accepted value fits the solver's integers: a portfolio of maximal balances with the
    largest effectiveness the config allows is planned, audited and its objective stated."""
    rows = [[f"D{k}", f"A{k}", "x", "BR", "SP", "", "3550308", f"(11) 9876{k:01d}-43{k:02d}", "", "999999999999,99",
             "1", "", "", "", "", ""] for k in range(1, 8)]
    debtors = _csv(tmp_path / "d.csv", DEBTORS, rows)
    agents = _csv(tmp_path / "a.csv", AGENTS, [GOOD_AGENT])
    config = tmp_path / "c.toml"
    config.write_text('[channels.voice]\neffectiveness = 100\n[hours]\n"10" = 100\n', encoding="utf-8")
    r = _run(["plan", "-d", str(debtors), "-a", str(agents), "-c", str(config), "--date", DAY, "--no-store",
              "-o", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.stderr
    assert len(list(csv.DictReader((tmp_path / "p.csv").open()))) == 7


# --- 6. capacity from shifts is never overstated -------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "message"), [("07:59", "12:00", "break"), ("19:00", "20:30", "break"),
                                                       ("21:00", "22:00", "break"), ("12:00", "11:00", "break")])
def test_a_break_outside_the_shift_is_an_error(tmp_path, start, end, message):
    agents = _csv(tmp_path / "a.csv", AGENTS, [["A1", "main", "08:00", "20:00", "America/Sao_Paulo", "10", start, end,
                                               "Mon-Sat", "*"]])
    debtors = _csv(tmp_path / "d.csv", DEBTORS, [GOOD_DEBTOR])
    r = _run(["plan", "-d", str(debtors), "-a", str(agents), "--date", DAY, "--no-store", "-o", str(tmp_path / "p")])
    assert r.exit_code == 2 and "a.csv:2:" in r.stderr and message in r.stderr and not (tmp_path / "p").exists()


# --- 7. bounded work on absurd files ---------------------------------------------------------------------------

def test_a_header_of_a_million_columns_is_answered_in_a_line(tmp_path):
    """A warning of a few lines (not 8.9 MB), and the row reader, whose work is the cells there
    are, rather than the vectorised one, whose work is an expression a column (minutes here)."""
    header = DEBTORS + [f"x{k}" for k in range(1_000_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(header) + "\n" + ",".join(GOOD_DEBTOR + [""] * 1_000_000) + "\n", encoding="utf-8")
    files = _files(tmp_path)
    r = _run(["plan", "-d", str(path), "-a", str(files["agents"]), "--date", DAY, "--no-store", "--dry-run"])
    assert r.exit_code == 0 and len(r.stderr) < 20_000 and "and 999988 more" in r.stderr


@pytest.mark.parametrize("command", [
    ["report", "--from", "2026-11-16", "--to", "2026-11-20", "--html", "{db}"],
    ["report", "--from", "2026-11-16", "--to", "2026-11-20", "-f", "csv", "-o", "{db}"],
    ["learn", "--from", "2026-11-16", "--to", "2026-11-20", "-o", "{db}"],
    ["learn", "--from", "2026-11-16", "--to", "2026-11-20", "-o", "{db}-wal"],
    ["plan", "-d", "{ex}/debtors.csv", "-a", "{ex}/agents.csv", "--date", "2026-11-24", "-o", "{db}"],
    ["plan", "-d", "{ex}/debtors.csv", "-a", "{ex}/agents.csv", "--date", "2026-11-24", "-o", "{tmp}/p.csv",
     "--html", "{db}"],
    ["plan", "-d", "{ex}/debtors.csv", "-a", "{ex}/agents.csv", "--date", "2026-11-24", "-o", "{tmp}/p.csv",
     "--rejects", "{db}"],
    ["audit", "--log", "{ex}/results.csv", "-d", "{ex}/debtors.csv", "--html", "{db}"],
])
def test_no_output_is_written_over_the_store(tmp_path, command):
    """The database is an input of every command that reads it: an output on it (or on its
    journal) would wipe the history, the opt-out suppressions and the plan archive."""
    ex = Path(__file__).resolve().parents[1] / "examples" / "br"
    db = tmp_path / "store.db"
    assert runner.invoke(app, ["history", "import", str(ex / "results.csv"), "--db", f"sqlite:///{db}"]).exit_code == 0
    before = db.read_bytes()
    args = [a.format(db=db, ex=ex, tmp=tmp_path) for a in command]
    r = runner.invoke(app, [*args, "--db", f"sqlite:///{db}"])
    assert r.exit_code == 2 and "store's database" in r.output
    assert db.read_bytes() == before


PERSONAL_HEADERS = ["Maria da Silva", "maria.silva@gmail.com", "123.456.789-09", "(11) 98765-4321", "Rua Augusta 1500"]


def test_unknown_header_cells_that_may_be_personal_data_are_not_echoed(tmp_path):
    """A first row of data taken for a header puts names, e-mails, CPFs and phones in the header:
    the unknown-column warning names only cells that read like column names."""
    ex = Path(__file__).resolve().parents[1] / "examples" / "br"
    debtors = tmp_path / "d.csv"
    debtors.write_text(",".join(["debtor_id", "country", "region", "phone_mobile", "balance", *PERSONAL_HEADERS,
                                 "balnce"]) + "\nD1,BR,SP,+5511987654321,100,a,b,c,d,e,1\n", encoding="utf-8")
    history = tmp_path / "h.csv"
    history.write_text(",".join(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome",
                                 *PERSONAL_HEADERS]) + "\nA1,D1,voice,+5511987654321,2026-11-20T10:00:00-03:00,"
                                                       "no_answer,a,b,c,d,e\n", encoding="utf-8")
    runs = [runner.invoke(app, ["plan", "-d", str(debtors), "-a", str(ex / "agents.csv"), "--date", "2026-11-24",
                                "--no-store", "--dry-run"]),
            runner.invoke(app, ["history", "import", str(history), "--db", f"sqlite:///{tmp_path / 's.db'}"])]
    for r in runs:
        assert r.exit_code == 0, r.output
        assert not any(h in r.output for h in PERSONAL_HEADERS), r.output
        assert "personal data" in r.output
    assert "balnce" in runs[0].output  # a typo of a column name is still shown
