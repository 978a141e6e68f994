"""Fuzzing the readers, the rule-pack and config loaders: any input either works or raises the
documented InputError (exit 2) - never another exception, never personal data in the message."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactplan.config import load_config
from contactplan.errors import ContactplanError
from contactplan.io.agents import read_agents
from contactplan.io.debtors import DEBTOR_COLUMNS_FOR_FUZZ, read_debtors
from contactplan.io.history import read_history
from contactplan.io.plan_csv import read_plan
from contactplan.rules.packs import parse_pack
from suite import examples

SETTINGS = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "SP", "BR", "US", "XX", "1.234,56", "1,234", "-5", "abc", "sim", "não", "2026-02-30",
                     "08:00-20:00", "25:00", "+5511987654321", "(11) 98765-4321", "0xx11 98765-4321", "ab@cd.ef",
                     "1302603", "99999999", "America/Sao_Paulo", "Mars/Base", "\x00", '"', "\n", ";", "0.5", "2",
                     "voice", "fax", "no_answer", "2026-11-24T10:00:00-03:00", "2026-11-24T10:00:00"]),
)


def _write(rows: list[list[str]], header: list[str], encoding: str, delimiter: str) -> Path:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    path = Path(tempfile.mkdtemp()) / "input.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path


def _survives(reader, table) -> None:
    """The reader either returns or raises the documented exit-2 error."""
    header, rows, encoding, delimiter = table
    try:
        reader(_write(rows, header, encoding, delimiter))
    except ContactplanError:
        pass


def _table(columns):
    return st.tuples(
        st.lists(st.sampled_from(columns), min_size=1, max_size=len(columns), unique=True),
        st.lists(st.lists(cell, min_size=0, max_size=len(columns) + 1), max_size=6),
        st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]), st.sampled_from([",", ";", "\t"]))


PERSONAL = ("name", "phone_mobile", "phone_home", "phone_work", "email", "cpf", "document", "city", "postal_code")


@SETTINGS
@given(_table(DEBTOR_COLUMNS_FOR_FUZZ), st.booleans())
def test_debtor_reader_never_crashes_nor_echoes_personal_data(table, mark):
    header, rows, encoding, delimiter = table
    if mark:  # personal values carry a marker that must never reach a message
        rows = [[f"PII{v}" if i < len(header) and header[i] in PERSONAL else v for i, v in enumerate(row)]
                for row in rows]
    try:
        result = read_debtors(_write(rows, header, encoding, delimiter))
    except ContactplanError as exc:
        assert "PII" not in str(exc)
        return
    for r in result.rejections:
        assert r.line >= 2 and "PII" not in str(r)


@SETTINGS
@given(_table(["agent_id", "pool", "shift_start", "shift_end", "timezone", "contacts_per_hour", "break_start",
               "break_end", "segments", "languages", "days"]))
def test_agent_reader_never_crashes(table):
    _survives(read_agents, table)


@SETTINGS
@given(_table(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"]))
def test_history_reader_never_crashes(table):
    _survives(read_history, table)


@SETTINGS
@given(_table(["plan_id", "plan_date", "debtor_id", "channel", "destination", "window_start", "window_end",
               "timezone", "pool", "rank", "expected_value", "rules"]))
def test_plan_reader_never_crashes(table):
    _survives(read_plan, table)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    path = Path(tempfile.mkdtemp()) / "input.csv"
    path.write_bytes(data)
    for reader in (read_debtors, read_history, read_plan):
        try:
            reader(path)
        except ContactplanError:
            pass


toml_value = st.recursive(
    st.one_of(st.integers(-5, 3000), st.booleans(), st.text(string.ascii_letters + ":-0123456789 ", max_size=15),
              st.sampled_from(["08:00-20:00", "mon-fri", "voice", "opt_in", "public", "do_not_contact"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(["windows", "mon-fri", "sat", "max", "window_days",
                                                                "field", "mode", "flag", "hours", "scope",
                                                                "categories", "x"]), children, max_size=3)),
    max_leaves=6)


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "").replace('"', "") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return "{ " + ", ".join(f'"{k}" = {_toml(x)}' for k, x in v.items()) + " }"


@SETTINGS
@given(kind=st.sampled_from(["calling_hours", "holidays", "consent", "work_number", "exclusion", "daily_cap",
                             "frequency_cap", "conversation_cooldown", "suppression", "debt_age", "min_gap",
                             "preferred_window", "nope"]),
       params=st.dictionaries(st.sampled_from(["windows", "end_margin_minutes", "max", "window_days", "not_counted",
                                               "scope", "field", "mode", "line_types", "flag", "days", "outcomes",
                                               "subdivision", "categories", "municipal", "hours",
                                               "max_days_past_due", "zzz"]), toml_value, max_size=4),
       channels=st.lists(st.sampled_from(["voice", "sms", "fax"]), max_size=2))
def test_pack_loader_never_crashes(kind, params, channels):
    text = (f'[pack]\nid = "f"\ntitle = "f"\ncountry = "BR"\n\n[[rule]]\nid = "f.r"\nkind = "{kind}"\ntitle = "t"\n'
            f'citation = "c"\nseverity = "policy"\nchannels = {_toml(channels)}\nparams = {_toml(params)}\n')
    try:
        parse_pack(text, "fuzz.toml")
    except ContactplanError as exc:
        assert str(exc).startswith("fuzz.toml")


@SETTINGS
@given(st.dictionaries(st.sampled_from(["slot_minutes", "min_window_minutes", "default_p_pay", "report_timezone",
                                        "packs", "database_url", "municipal_holidays", "hours", "channels", "x"]),
                       toml_value, max_size=4))
def test_config_loader_never_crashes(data):
    text = "\n".join(f"{k} = {_toml(v)}" for k, v in data.items())
    path = Path(tempfile.mkdtemp()) / "contactplan.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except ContactplanError:
        pass
