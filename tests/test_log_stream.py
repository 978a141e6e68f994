"""audit --log in bounded memory: the log read in pieces and spilled by debtor (io.history_fast)
must be exactly the row path (read_history): the same attempts, or the same error at the same
line and column; and a spilled log judged in buckets, in worker processes, must give the report
review_log gives of the whole log."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactplan.errors import InputError
from contactplan.io.debtors import read_debtors
from contactplan.io.history import by_debtor, read_history
from contactplan.io.history_fast import read_log, spill_log
from contactplan.review import review_log, review_spilled_log, to_json
from contactplan.rules.packs import load_packs

HEADER = ["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id", "direction",
          "callback_at"]
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

# Values a dialer writes, and values a careless export or an attacker writes.
CHANNELS = ["voice", "VOICE", " sms ", "whatsapp", "email", "ivr", "fax", ""]
PHONES = ["+55 11 98765-4321", "11987654321", "+5511987654321", "(21) 3555-0101", "011 98765-4321",
          "+1 212 555 0100", "12", "abc", "+55 11 1234", "١١٩٨٧٦٥٤٣٢١", ""]
EMAILS = ["ana@example.com", "ANA@Example.COM", "no-at-sign", "ç@exemplo.com.br", "a@b", ""]
INSTANTS = ["2026-11-20T10:00:00-03:00", "2026-11-20T10:00:00Z", "2026-11-20T13:00:00.5+00:00",
            "2026-11-20T10:00:00.123456-03:00", "2026-11-20T10:00-03:00", "2026-11-20 10:00:00-03:00",
            "2026-11-20T10:00:00", "2026-02-30T10:00:00-03:00", "2026-11-20T24:00:00-03:00",
            "2026-11-20T10:00:60-03:00", "2026-11-20T10:00:00-24:00", "2026-11-20T10:00:00+23:59",
            "1999-01-01T10:00:00-03:00", "2099-01-01T10:00:00-03:00", "2026-11-24T13:00:00Z",
            "2026-11-24T13:00:01Z", "2026-11-19T08:00:00-05:00", "tomorrow", ""]
OUTCOMES = ["no_answer", "conversation", "Promise_To_Pay", "opt_out", "delivered", "callback_requested", "lost", ""]
DIRECTIONS = ["", "outbound", "Inbound", "sideways"]
CALLBACKS = ["", "", "", "2026-11-20T15:00:00-03:00", "2026-12-31T15:00:00-03:00", "soon"]


def _row(rng: random.Random, k: int, ids: list[str]) -> list[str]:
    channel = rng.choice(CHANNELS)
    destination = rng.choice(EMAILS if "email" in channel else PHONES)
    attempt_id = rng.choice(ids) if ids and rng.random() < 0.02 else f"A{k}"
    ids.append(attempt_id)
    return [attempt_id, rng.choice(["D1", "D2", "D3", "D4", "D5", " D6 ", ""]), channel, destination,
            rng.choice(INSTANTS), rng.choice(OUTCOMES), rng.choice(["", "AG1"]), rng.choice(DIRECTIONS),
            rng.choice(CALLBACKS)]


def _clean_row(rng: random.Random, k: int) -> list[str]:
    outcome = rng.choice(["no_answer", "conversation", "opt_out", "callback_requested", "busy"])
    when = dt.datetime(2026, 11, 16, 8, tzinfo=dt.timezone(dt.timedelta(hours=-3))) + dt.timedelta(
        minutes=rng.randrange(8 * 24 * 60))
    callback = (when + dt.timedelta(hours=rng.randrange(1, 6))).isoformat() if outcome == "callback_requested" else ""
    channel = rng.choice(["voice", "voice", "sms", "whatsapp", "email", "ivr"])
    return [f"A{k}", f"D{rng.randrange(1, 6)}", channel,
            "d1@example.com" if channel == "email" else rng.choice(["+55 11 98765-4321", "+55 11 3555-0101"]),
            when.isoformat(), outcome, "AG1", rng.choice(["", "", "inbound"]), callback]


ODD_BUT_VALID_INSTANTS = ["2026-11-20T10:00-03:00", "2026-11-20 10:00:00-03:00", "2026-11-20T10:00:00+0300",
                          "2026-11-20T10:00:00.1234567-03:00", "20261120T100000-0300", "2026-11-20T10:00:00,5-03:00",
                          "2026-11-20T10:00:00Z", "2026-11-20T10:00:00.5+05:30"]


def _odd_row(rng: random.Random, k: int, ids: list[str]) -> list[str]:
    """Mostly rows the row path accepts though the vectorised checks leave them to it (other ISO
    forms, other phone shapes, upper case, callbacks), now and then one it refuses."""
    if rng.random() < 0.05:
        return _row(rng, k, ids)
    row = _clean_row(rng, k)
    if rng.random() < 0.4:
        row[4] = rng.choice(ODD_BUT_VALID_INSTANTS)
        if row[5] == "callback_requested":
            row[5] = "no_answer"
            row[8] = ""
    if rng.random() < 0.3 and row[2] != "email":
        row[3] = rng.choice(["011 98765-4321", "(11) 98765-4321", "+55 11 2345-678", "11 3555 0101"])
    if rng.random() < 0.2:
        row[2] = row[2].upper()
        row[5] = " " + row[5].title() + " "
    ids.append(row[0])
    return row


def _write(path: Path, rows: list[list[str]], *, delimiter: str = ",", newline: str = "\n", bom: bool = False,
           header: list[str] = HEADER) -> Path:
    text = newline.join(delimiter.join(r) for r in [header, *rows]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _row_path(path: Path):
    try:
        attempts, sha, unknown = read_history(str(path), now=NOW)
    except InputError as exc:
        return ("error", str(exc))
    first = min((a.attempted_at.date() for a in attempts), default=None)
    return ("ok", sorted((g[0].debtor_id, g) for g in by_debtor(attempts)), sha, unknown, first)


def _spilled(path: Path, workdir: Path, piece_bytes: int):
    try:
        log = read_log(str(path), workdir, now=NOW, piece_bytes=piece_bytes)
    except InputError as exc:
        return ("error", str(exc))
    groups = [g for b in range(len(log.buckets)) for g in log.debtor_groups(b)]
    return ("ok", sorted((g[0].debtor_id, g) for g in groups), log.sha256, log.unknown, log.first_date)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), n=st.integers(0, 40), mode=st.sampled_from(["clean", "odd", "hostile"]),
       piece=st.sampled_from([64, 300, 4096]),
       delimiter=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_spilled_log_is_the_row_paths_read(tmp_path_factory, seed, n, mode, piece, delimiter, newline, bom):
    """Any mix of good and bad rows, in any layout, cut into pieces of any size: the same
    attempts, or the same first error (file, line, column, message)."""
    rng = random.Random(seed)
    ids: list[str] = []
    make = {"clean": lambda k: _clean_row(rng, k), "odd": lambda k: _odd_row(rng, k, ids),
            "hostile": lambda k: _row(rng, k, ids)}[mode]
    rows = [make(k) for k in range(n)]
    if rng.random() < 0.3 and rows:
        rows.insert(rng.randrange(len(rows)), [""] * len(HEADER))  # a blank row the csv reader skips
    tmp = tmp_path_factory.mktemp("log")
    path = _write(tmp / "log.csv", rows, delimiter=delimiter, newline=newline, bom=bom)
    found = _spilled(path, tmp, piece)
    assert found == _row_path(path)
    if mode == "clean":
        assert found[0] == "ok" and spill_log(str(path), tmp, now=NOW) is not None  # read by the fast path


def test_files_the_vectorised_reader_leaves_to_the_row_path(tmp_path):
    """cp1252 text, a quoted newline, a missing column, a headerless file: the row path's answer."""
    rows = [_clean_row(random.Random(1), k) for k in range(5)]
    cases = {
        "cp1252.csv": ("\n".join(",".join(r) for r in [HEADER, *rows]) + "\nA99,Dç,voice,+55 11 98765-4321,"
                       "2026-11-20T10:00:00-03:00,no_answer,,,\n").encode("cp1252"),
        "quoted.csv": ("\n".join(",".join(r) for r in [HEADER, *rows]) + '\nA98,"D\n1",voice,+55 11 98765-4321,'
                       "2026-11-20T10:00:00-03:00,no_answer,,,\n").encode(),
        "missing.csv": "attempt_id,debtor_id,channel\nA1,D1,voice\n".encode(),
        "headerless.csv": "\n".join(",".join(r) for r in rows).encode(),
        "empty.csv": b"",
        "header_only.csv": (",".join(HEADER) + "\n").encode(),
    }
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        assert _spilled(path, tmp_path, 64) == _row_path(path), name


def test_a_repeated_attempt_id_across_pieces_names_its_first_line(tmp_path):
    rows = [_clean_row(random.Random(2), k) for k in range(30)]
    rows[25][0] = rows[3][0]
    path = _write(tmp_path / "log.csv", rows)
    found = _spilled(path, tmp_path, 128)
    assert found == _row_path(path)
    assert found[0] == "error" and "repeats line 5" in found[1] and ":27:" in found[1]


def test_memory_holds_a_bucket_not_the_log(tmp_path):
    """A debtor's attempts all land in one bucket, and the buckets share the log between them."""
    rng = random.Random(3)
    rows = [_clean_row(rng, k) for k in range(2000)]
    for k, r in enumerate(rows):
        r[1] = f"D{k % 300}"
    path = _write(tmp_path / "log.csv", rows)
    log = spill_log(str(path), tmp_path, now=NOW, piece_bytes=16 << 10)
    assert log is not None and len(log.buckets) > 4
    sizes = []
    seen: set[str] = set()
    for b in range(len(log.buckets)):
        ids = {g[0].debtor_id for g in log.debtor_groups(b)}
        assert not ids & seen  # one bucket per debtor
        seen |= ids
        sizes.append(sum(len(g) for g in log.debtor_groups(b)))
    assert sum(sizes) == 2000 and max(sizes) < 2000 / 2


def _portfolio(tmp_path: Path) -> Path:
    import csv

    from contactplan.generate import DEBTOR_COLUMNS, generate_portfolio

    debtors, _ = generate_portfolio(300, seed=7)
    path = tmp_path / "debtors.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, DEBTOR_COLUMNS)
        w.writeheader()
        w.writerows(debtors)
    return path


def _generated_log(debtors_csv: Path, path: Path, n: int, seed: int) -> Path:
    import csv

    rng = random.Random(seed)
    people = []
    with debtors_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            phones = [row[c] for c in ("phone_mobile", "phone_home", "phone_work") if row[c]]
            people.append((row["debtor_id"], phones, row["email"]))
    rows = []
    start = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    for k in range(n):
        debtor_id, phones, email = rng.choice(people)
        channel = rng.choice(["voice", "voice", "ivr", "sms", "whatsapp", "email"])
        if channel == "email" and not email or channel != "email" and not phones:
            channel = "email" if email else "voice"
        when = start + dt.timedelta(days=rng.randrange(20), minutes=rng.randrange(15 * 60))
        outcome = rng.choice(["no_answer", "busy", "conversation", "promise_to_pay", "opt_out", "callback_requested"])
        callback = (when + dt.timedelta(hours=2)).isoformat() if outcome == "callback_requested" else ""
        rows.append([f"L{k}", debtor_id if rng.random() > 0.01 else "NOBODY", channel,
                     email if channel == "email" else rng.choice(phones), when.isoformat(), outcome, "AG1",
                     rng.choice(["", "", "", "inbound"]), callback])
    return _write(path, rows)


@pytest.mark.slow
def test_buckets_and_workers_give_the_whole_logs_report(tmp_path):
    """The report of a log judged whole (review_log) and judged in buckets by two spawned worker
    processes, byte for byte, in both languages."""
    from contactplan.calendars import Calendars
    from contactplan.i18n import use_language

    debtors_csv = _portfolio(tmp_path)
    log_csv = _generated_log(debtors_csv, tmp_path / "log.csv", 3000, seed=11)
    debtor_file = read_debtors(str(debtors_csv))
    packs = load_packs(["br", "us"])
    for language in ("en", "pt-BR"):
        use_language(language)
        try:
            attempts, _, _ = read_history(str(log_csv), now=NOW)
            whole = to_json(review_log(by_debtor(attempts), debtor_file, packs, source=str(log_csv),
                                       calendars=Calendars()))
            for workers in (1, 2):
                work = tmp_path / f"w{workers}{language}"
                work.mkdir()
                log = read_log(str(log_csv), work, now=NOW, piece_bytes=8 << 10)
                assert len(log.buckets) > 2
                report = review_spilled_log(log, debtor_file, packs, calendars=Calendars(), workers=workers)
                assert to_json(report) == whole
        finally:
            use_language("en")
    assert '"violations": [\n' in whole  # the log breaks rules: the comparison is not of empty reports


def test_a_full_temporary_directory_is_said_so_not_blamed_on_the_log(tmp_path, monkeypatch):
    """No room to spill the buckets, or a worker's violations: an output error naming the
    temporary directory and what to do (exit 2), never "cannot read" the log."""
    import errno

    import polars as pl

    from contactplan.errors import OutputError
    from contactplan.review import LogPart
    from contactplan.review_workers import spill_violations
    from contactplan.rules.base import Severity, Violation

    path = _write(tmp_path / "log.csv", [_clean_row(random.Random(1), k) for k in range(20)])

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(pl.DataFrame, "write_ipc", full)
        with pytest.raises(OutputError, match="cannot spill the log to the temporary directory .*set TMPDIR"):
            read_log(str(path), tmp_path / "work", now=NOW)
    part = LogPart(1, 1, set(), {}, [Violation("r", Severity.LAW, "c", "D1", "m")])
    with pytest.raises(OutputError, match="cannot spill the log to the temporary directory"):
        spill_violations(part, tmp_path / "gone" / "v.pickle")
