"""history import in columns (io.history_log, Store.import_log): the vectorised read must be the
row path's attempts, stored as the row path's Attempts would be, on SQLite and PostgreSQL; a
re-used attempt id with other content is refused at its line and first differing column, and
nothing of the file is imported."""

from __future__ import annotations

import csv
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.errors import InputError
from contactplan.io.history import read_history
from contactplan.io.history_log import attempts_frame, frame_attempt, read_history_log
from contactplan.store import open_store
from tests.test_log_stream import HEADER, NOW, _clean_row, _odd_row, _row, _write


def _row_path(path):
    try:
        attempts, sha, unknown = read_history(str(path), now=NOW)
    except InputError as exc:
        return ("error", str(exc))
    return ("ok", attempts_frame(attempts).drop("line").rows(), sha, unknown)


def _columns(path):
    try:
        log = read_history_log(str(path), now=NOW)
    except InputError as exc:
        return ("error", str(exc))
    return ("ok", log.frame.drop("line").rows(), log.sha256, log.unknown)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), n=st.integers(0, 40), mode=st.sampled_from(["clean", "odd", "hostile"]),
       delimiter=st.sampled_from([",", ";"]), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_the_columns_are_the_row_paths_attempts(tmp_path_factory, seed, n, mode, delimiter, newline, bom):
    """Any mix of good and bad rows: the same attempts in the same order, each column as the store
    keeps it (UTC text, offset minutes), or the same first error."""
    rng = random.Random(seed)
    ids: list[str] = []
    make = {"clean": lambda k: _clean_row(rng, k), "odd": lambda k: _odd_row(rng, k, ids),
            "hostile": lambda k: _row(rng, k, ids)}[mode]
    rows = [make(k) for k in range(n)]
    path = _write(tmp_path_factory.mktemp("log") / "log.csv", rows, delimiter=delimiter, newline=newline, bom=bom)
    assert _columns(path) == _row_path(path)


def test_a_file_the_vectorised_reader_refuses_is_read_by_the_row_path(tmp_path):
    """cp1252 and quoted newlines: not plain text, read whole by the row path, same columns."""
    rows = [_clean_row(random.Random(3), k) for k in range(5)]
    rows[2][6] = "Agente São Paulo"
    path = tmp_path / "cp.csv"
    path.write_bytes(("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n").encode("cp1252"))
    assert _columns(path) == _row_path(path)
    quoted = tmp_path / "q.csv"
    rows[3][6] = "two\nlines"
    with quoted.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    found = read_history_log(str(quoted), now=NOW)
    assert found.frame.height == 5 and _columns(quoted) == _row_path(quoted)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), n=st.integers(1, 30))
def test_a_row_back_from_the_columns_is_the_attempt(tmp_path_factory, seed, n):
    rng = random.Random(seed)
    rows = [_odd_row(rng, k, []) if rng.random() < 0.5 else _clean_row(rng, k) for k in range(n)]
    path = _write(tmp_path_factory.mktemp("log") / "log.csv", [r for r in rows if r[0]], newline="\n")
    try:
        attempts, _, _ = read_history(str(path), now=NOW)
    except InputError:
        return
    frame = read_history_log(str(path), now=NOW).frame
    assert [frame_attempt(r) for r in frame.iter_rows(named=True)] == attempts


def test_the_store_keeps_what_the_row_path_read(db_url, tmp_path):
    """Odd instants (offsets, fractions, Z, week dates), callbacks and directions stored through the
    columns read back as the row path's Attempts, on both stores."""
    rng = random.Random(7)
    rows = [_odd_row(rng, k, []) for k in range(300)]
    rows = [r for r in rows if r[0]]
    path = _write(tmp_path / "log.csv", rows)
    try:
        attempts, _, _ = read_history(str(path), now=NOW)
    except InputError:  # _odd_row's few refused rows: drop them and read again
        rows = [r for r in rows if _accepted(tmp_path, r)]
        path = _write(tmp_path / "log.csv", rows)
        attempts, _, _ = read_history(str(path), now=NOW)
    log = read_history_log(str(path), now=NOW)
    store = open_store(db_url)
    rows_read, added, suppressed = store.import_log(log.frame, sha256=log.sha256, source="log.csv", now=NOW)
    assert (rows_read, added) == (len(attempts),) * 2
    assert suppressed == len(store.suppressions()) > 0  # the opt-outs among them, each destination once
    stored = sorted((a for d in {a.debtor_id for a in attempts} for a in store.history(d)), key=lambda a: a.attempt_id)
    assert stored == sorted(attempts, key=lambda a: a.attempt_id)
    # The same attempts in another file: nothing added, no conflict (equal instants written alike).
    again = _write(tmp_path / "again.csv", rows, delimiter=";")
    log = read_history_log(str(again), now=NOW)
    assert store.import_log(log.frame, sha256=log.sha256, source="again.csv", now=NOW) == (len(attempts), 0, 0)


def _accepted(tmp_path, row) -> bool:
    try:
        read_history(str(_write(tmp_path / "one.csv", [row])), now=NOW)
    except InputError:
        return False
    return True


BASE = ["A1", "D1", "voice", "+5511987654321", "2026-11-20T10:00:00-03:00", "callback_requested", "AG1", "",
        "2026-11-20T15:00:00-03:00"]


@pytest.mark.parametrize(("index", "value", "column"), [
    (1, "D9", "debtor_id"),
    (2, "ivr", "channel"),
    (3, "+5511987650000", "destination"),
    (4, "2026-11-20T10:00:01-03:00", "attempted_at"),
    (4, "2026-11-20T14:00:00+01:00", "attempted_at"),  # the same instant written with another offset
    (6, "AG2", "agent_id"),
    (7, "inbound", "direction"),
    (8, "2026-11-20T16:00:00-03:00", "callback_at"),
])
def test_a_reused_id_with_other_content_is_refused_at_its_line_and_column(db_url, tmp_path, index, value, column):
    first = write_csv(tmp_path / "a.csv", [["A0", "D1", "sms", "+5511987654321", "2026-11-19T10:00:00-03:00",
                                            "delivered", "", "", ""], BASE])
    assert CliRunner().invoke(app, ["history", "import", str(first), "--db", db_url]).exit_code == 0
    changed = list(BASE)
    changed[index] = value
    second = write_csv(tmp_path / "b.csv", [["A7", "D1", "sms", "+5511987654321", "2026-11-21T10:00:00-03:00",
                                             "opt_out", "", "", ""],
                                            ["A0", "D1", "sms", "+5511987654321", "2026-11-19T10:00:00-03:00",
                                             "delivered", "", "", ""], changed])
    r = CliRunner().invoke(app, ["history", "import", str(second), "--db", db_url])
    assert r.exit_code == 2, r.output
    message = " ".join(r.output.split())
    assert f"b.csv:4:{HEADER.index(column) + 1}: {column}: this attempt_id is already stored with another {column}" \
        in message, message
    store = open_store(db_url)
    assert [a.attempt_id for a in store.history("D1")] == ["A0", "A1"]  # A7 not imported
    assert store.suppressions() == []  # nor its opt-out


def test_the_same_content_written_otherwise_is_no_conflict(db_url, tmp_path):
    """Same instant and offset in another ISO form, the phone in another notation, channel in
    capitals: the same attempt, skipped."""
    first = write_csv(tmp_path / "a.csv", [BASE])
    assert CliRunner().invoke(app, ["history", "import", str(first), "--db", db_url]).exit_code == 0
    same = list(BASE)
    same[2], same[3], same[4], same[8] = "VOICE", "(11) 98765-4321", "2026-11-20T10:00:00.000-03:00", \
        "2026-11-20T15:00-03:00"
    r = CliRunner().invoke(app, ["history", "import", str(write_csv(tmp_path / "b.csv", [same])), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "1 attempts read, 0 added" in " ".join(r.output.split())


def test_opt_outs_of_attempts_already_stored_add_no_second_suppression(db_url, tmp_path):
    opt_out = ["A2", "D1", "sms", "+5511987654321", "2026-11-20T11:00:00-03:00", "opt_out", "", "", ""]
    assert CliRunner().invoke(app, ["history", "import", str(write_csv(tmp_path / "a.csv", [opt_out])),
                                    "--db", db_url]).exit_code == 0
    later = ["A3", "D1", "whatsapp", "+5511987654321", "2026-11-21T11:00:00-03:00", "opt_out", "", "", ""]
    r = CliRunner().invoke(app, ["history", "import", str(write_csv(tmp_path / "b.csv", [opt_out, later])),
                                 "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "1 added" in r.output and "1 opt-out(s) recorded" in " ".join(r.output.split())
    found = sorted((s.channel.value, s.reason) for s in open_store(db_url).suppressions())
    assert found == [("sms", "opt_out outcome, attempt A2"), ("whatsapp", "opt_out outcome, attempt A3")]


def test_a_file_imported_already_is_known_by_its_bytes(db_url, tmp_path):
    """The same bytes again are answered from the store's record of the import, without reading
    the file, and add nothing (the count is the first import's)."""
    first = write_csv(tmp_path / "a.csv", [BASE, ["A2", "D1", "sms", "+5511987654321", "2026-11-20T11:00:00-03:00",
                                                  "opt_out", "", "", ""]])
    assert CliRunner().invoke(app, ["history", "import", str(first), "--db", db_url]).exit_code == 0
    r = CliRunner().invoke(app, ["history", "import", str(first), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "2 attempts read, 0 added, 2 already in" in " ".join(r.output.split())
    assert "opt-out" not in r.output
    assert len(open_store(db_url).suppressions()) == 1


def test_a_refused_file_creates_no_embedded_store(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [["A1", "D1", "pigeon", "+5511987654321", "2026-11-20T10:00:00-03:00",
                                            "delivered", "", "", ""]])
    r = CliRunner().invoke(app, ["history", "import", str(bad), "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert r.exit_code == 2, r.output
    assert "bad.csv:2:3" in " ".join(r.output.split())
    assert not (tmp_path / "new.db").exists()


def test_a_refused_file_leaves_an_empty_server_database_empty(postgres_url, tmp_path):
    """PostgreSQL's side of test_a_refused_file_creates_no_embedded_store: no tables made."""
    import sqlalchemy

    db_url = _fresh_database(postgres_url, "refused")
    bad = write_csv(tmp_path / "bad.csv", [["A1", "D1", "pigeon", "+5511987654321", "2026-11-20T10:00:00-03:00",
                                            "delivered", "", "", ""]])
    r = CliRunner().invoke(app, ["history", "import", str(bad), "--db", db_url])
    assert r.exit_code == 2, r.output
    engine = sqlalchemy.create_engine(db_url)
    try:
        assert sqlalchemy.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_an_id_stored_by_a_concurrent_import_is_a_conflict_not_skipped(postgres_url, tmp_path):
    """PostgreSQL: imports take turns on the attempts table, so one that waited compares its rows
    with what the other committed (a re-used id with other content is refused, not skipped)."""
    import threading

    import psycopg

    url = _fresh_database(postgres_url, "concurrent")
    store = open_store(url)
    other = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    other.execute("LOCK TABLE attempts IN SHARE ROW EXCLUSIVE MODE")  # another import under way
    outcome = {}

    def second_import():
        try:
            log = read_history_log(str(write_csv(tmp_path / "b.csv", [BASE])), now=NOW)
            outcome["result"] = store.import_log(log.frame, sha256=log.sha256, source="b.csv", now=NOW)
        except Exception as exc:  # noqa: BLE001 -- the test reports what happened
            outcome["error"] = exc

    waiting = threading.Thread(target=second_import)
    waiting.start()
    waiting.join(timeout=2)
    assert waiting.is_alive(), outcome  # it waits for the other import
    other.execute("INSERT INTO attempts (attempt_id, debtor_id, account_id, channel, destination, attempted_at, "
                  "utc_offset_minutes, outcome, agent_id, direction) VALUES ('A1', 'D1', '', 'voice', "
                  "'+5511987654321', '2026-11-20 13:00:00', -180, 'no_answer', '', 'outbound')")
    other.commit()
    other.close()
    waiting.join(timeout=60)
    assert type(outcome.get("error")).__name__ == "AttemptConflict", outcome
    assert [a.outcome.value for a in store.history("D1")] == ["no_answer"]


@pytest.mark.parametrize("stored_before", [0, 6])
def test_a_large_import_builds_the_lookup_indexes_again(db_url, tmp_path, monkeypatch, stored_before):
    """Many attempts beside those stored go in without the lookup indexes, which are built again
    in the same transaction: afterwards they exist, and the store reads back the row path's
    attempts (its lookups by debtor and by time use them)."""
    import sqlalchemy

    import contactplan.store as store_module

    rng = random.Random(11)
    rows = [_clean_row(rng, k) for k in range(40)]
    store = open_store(db_url)
    if stored_before:
        early = read_history_log(str(_write(tmp_path / "early.csv", rows[:stored_before])), now=NOW)
        store.import_log(early.frame, sha256=early.sha256, source="early.csv", now=NOW)
    monkeypatch.setattr(store_module, "_BULK_MIN", 10)
    path = _write(tmp_path / "log.csv", rows)
    log = read_history_log(str(path), now=NOW)
    assert store.import_log(log.frame, sha256=log.sha256, source="log.csv", now=NOW)[:2] == \
        (len(rows), len(rows) - stored_before)
    names = {ix["name"] for ix in sqlalchemy.inspect(store.engine).get_indexes("attempts")}
    assert {"ix_attempts_debtor_time", "ix_attempts_time"} <= names
    attempts, _, _ = read_history(str(path), now=NOW)
    for debtor in {a.debtor_id for a in attempts}:
        assert store.history(debtor) == sorted((a for a in attempts if a.debtor_id == debtor),
                                               key=lambda a: (a.attempted_at, a.attempt_id))


def _fresh_database(postgres_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path
