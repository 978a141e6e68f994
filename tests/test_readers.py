"""Input contracts: bad rows are rejected with file:line:column and a reason, never with personal data."""

from __future__ import annotations

import pytest

from contactplan.config import load_config
from contactplan.errors import InputError
from contactplan.io.agents import read_agents
from contactplan.io.debtors import read_debtors
from contactplan.rules.packs import load_pack, parse_pack
from factories import MINIMAL_PACK

HEADER = "debtor_id,account_id,name,country,region,phone_mobile,email,balance,do_not_contact\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_accounts_merge_into_one_debtor(tmp_path):
    path = write(tmp_path, "d.csv", HEADER + "D1,A1,Ana Silva,BR,SP,(11) 98765-4321,,100.50,false\n"
                                             'D1,A2,Ana Silva,BR,SP,,ana@example.com,"1.234,56",sim\n')
    f = read_debtors(path)
    (d,) = f.debtors
    assert str(d.balance) == "1335.06"
    assert d.flags == {"do_not_contact"}  # a flag on any account holds for the person
    assert [x.address for x in d.destinations] == ["+5511987654321", "ana@example.com"]
    assert d.zones == ("America/Sao_Paulo",)
    assert d.account_ids == ("A1", "A2")
    assert f.rejections == []


BAD_ROWS = [
    ("D2,A3,Bruno Lima,BR,XX,11987654321,,10,no", 5, "region", "unknown Brazilian UF; expected one of"),
    ("D3,A4,Carla Dias,BR,RJ,12345,,10,no", 6, "phone_mobile", "not a valid phone number"),
    ("D4,A5,Davi Reis,BR,RJ,21987654321,,abc,no", 8, "balance", "is not an amount"),
    ("D5,A6,Eva Souza,BR,RJ,21987654321,,-5,no", 8, "balance", "must not be negative"),
    ("D6,A7,Fabio Melo,BR,RJ,21987654321,,10,talvez", 9, "do_not_contact", "true/false"),
    ("D7,A8,Gil Rocha,ZZ,RJ,21987654321,,10,no", 4, "country", "country"),
    ("D8,A9,Hugo Alves,BR,RJ,,,10,no", 6, "phone_mobile", "no contact method"),
]


@pytest.mark.parametrize(("row", "column_index", "column", "message"), BAD_ROWS)
def test_bad_row_is_rejected_with_line_column_and_reason(tmp_path, row, column_index, column, message):
    path = write(tmp_path, "d.csv", HEADER + "D1,A1,Ana Silva,BR,SP,11987654321,,1,no\n" + row + "\n")
    f = read_debtors(path)
    assert [d.debtor_id for d in f.debtors] == ["D1"]
    (r,) = f.rejections
    assert (r.line, r.column, r.column_index) == (3, column, column_index)
    assert str(r).startswith(f"{path}:3:{column_index}: {column}:")
    assert message.lower() in r.message.lower()
    # Personal data never appears in the message: no name, no phone digits, no e-mail.
    name = row.split(",")[2]
    assert name not in str(r) and "987654321" not in str(r) and "12345" not in str(r)
    assert f.rejected_debtors == 1 and f.read_ids == {"D1", row.split(",")[0]}


@pytest.mark.parametrize("strategy", ["fast", "rows"])
@pytest.mark.parametrize(("column", "value"), [("debtor_id", "D\r2"), ("debtor_id", "D\n2"),
                                               ("debtor_id", "D\t2"), ("debtor_id", "D\x1b2"),
                                               ("account_id", "A\r1"), ("account_id", "A\x7f")])
def test_an_id_with_a_control_character_is_rejected(tmp_path, strategy, column, value):
    """A carriage return inside a debtor id would reach plan.csv unquoted (csv.writer quotes only
    the line terminator) and split the dialer's row: the row is rejected, naming the column."""
    row = {"debtor_id": "D2", "account_id": "A2"}
    row[column] = value
    text = (HEADER + "D1,A1,Ana,BR,SP,+5511987654321,,100,\n"
            + f'"{row["debtor_id"]}","{row["account_id"]}",Bia,BR,SP,+5511987654322,,100,\n')
    result = read_debtors(write(tmp_path, "d.csv", text), strategy=strategy)
    assert [d.debtor_id for d in result.debtors] == ["D1"]
    (rejection,) = result.rejections
    assert (rejection.line, rejection.column) == (3, column)
    assert rejection.message == "contains a control character (a line break, a tab or the like); remove it"
    assert value not in str(rejection)


def test_one_bad_account_rejects_the_whole_debtor(tmp_path):
    path = write(tmp_path, "d.csv", HEADER + "D5,A6,Eva,BR,RJ,21987654321,,10,no\nD5,A7,Eva,BR,RJ,21987654321,,x,no\n")
    f = read_debtors(path)
    assert f.debtors == []
    assert [(r.line, r.column) for r in f.rejections] == [(2, "debtor_id"), (3, "balance")]


def test_accounts_disagreeing_on_state_are_rejected(tmp_path):
    path = write(tmp_path, "d.csv", HEADER + "D5,A6,Eva,BR,RJ,21987654321,,10,no\nD5,A7,Eva,BR,SP,21987654321,,1,no\n")
    f = read_debtors(path)
    assert f.debtors == [] and f.rejected_debtors == 1
    assert "region" in str(f.rejections[0])


def test_brazilian_excel_export_semicolon_cp1252_decimal_comma(tmp_path):
    text = "debtor_id;balance;country;region;phone_mobile;city;legacy_code\nD1;1234,56;BR;SP;11987654321;São Paulo;x\n"
    f = read_debtors(write(tmp_path, "d.csv", text, "cp1252"))
    assert (f.encoding, f.delimiter, str(f.debtors[0].balance)) == ("cp1252", ";", "1234.56")
    assert f.unknown_columns == ["legacy_code"]


def test_utf8_bom_is_accepted(tmp_path):
    text = "\ufeffdebtor_id,balance,country,region,email\nD1,10,BR,SP,a@example.com\n"
    assert read_debtors(write(tmp_path, "d.csv", text)).debtors[0].debtor_id == "D1"


def test_utf8_bom_before_invalid_utf8_is_an_input_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbfdebtor_id,balance,country,region,email\nD1,10,BR,SP,caf\xe9@example.com\n")
    with pytest.raises(InputError, match=r"d.csv: starts with a UTF-8 byte order mark but is not UTF-8 \(byte offset"):
        read_debtors(str(path))


@pytest.mark.parametrize("due", ["99999999999999999999/01/2026", "01/99999999999999999999/2026"])
def test_absurd_date_numbers_are_a_row_error_not_a_crash(tmp_path, due):
    text = f"debtor_id,balance,country,region,email,due_date\nD1,10,BR,SP,a@example.com,{due}\n"
    found = read_debtors(write(tmp_path, "d.csv", text))
    (rejection,) = found.rejections
    assert rejection.column == "due_date" and "is not a date" in rejection.message


@pytest.mark.parametrize(("text", "message"), [
    ("", "file is empty"),
    ("debtor_id,balance,country\nD1,1,BR\n", "missing required column(s): region"),
    ("debtor_id,balance,country,region,email,email\n", "appears twice"),
    ("debtor_id,balance,country,region\nD1,1,BR,SP\n", "no contact column"),
])
def test_unusable_debtor_file_is_an_input_error(tmp_path, text, message):
    with pytest.raises(InputError, match="d.csv") as info:
        read_debtors(write(tmp_path, "d.csv", text))
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nope.csv"):
        read_debtors(tmp_path / "nope.csv")


AGENTS = "agent_id,pool,shift_start,shift_end,timezone,contacts_per_hour\n"


@pytest.mark.parametrize(("row", "where"), [
    ("A2,p,25:00,14:00,America/Sao_Paulo,10", ":3:3: shift_start:"),
    ("A2,p,08:00,14:00,Mars/Olympus,10", ":3:5: timezone:"),
    ("A2,p,08:00,14:00,America/Sao_Paulo,-1", ":3:6: contacts_per_hour:"),
    ("A1,p,08:00,14:00,America/Sao_Paulo,10", ":3:1: agent_id:"),  # duplicate agent
    ('"A\r2",p,08:00,14:00,America/Sao_Paulo,10', ":3:1: agent_id: contains a control character"),
    ('A2,"late\nshift",08:00,14:00,America/Sao_Paulo,10', ":3:2: pool: contains a control character"),
    ("A2,p\tq,08:00,14:00,America/Sao_Paulo,10", ":3:2: pool: contains a control character"),
])
def test_bad_agent_row_fails_the_file(tmp_path, row, where):
    path = write(tmp_path, "a.csv", AGENTS + "A1,p,08:00,14:00,America/Sao_Paulo,10\n" + row + "\n")
    with pytest.raises(InputError) as info:
        read_agents(path)
    assert where in str(info.value)


def test_agents_with_breaks_and_days(tmp_path):
    text = AGENTS.strip() + ",break_start,break_end,days,segments\nA1,p,08:00,17:00,America/Manaus,12,12:00,13:00,Mon-Sat,cards;retail\n"
    (agent,), unknown, _ = read_agents(write(tmp_path, "a.csv", text))
    assert agent.days == frozenset(range(6)) and agent.segments == {"cards", "retail"} and unknown == []


# --- rule packs and config are validated strictly, with the key path -------------------------
PACK = MINIMAL_PACK


@pytest.mark.parametrize(("change", "message"), [
    (("severity = \"policy\"", "severity = \"hard\""), "rule[0] (t.hours).severity: must be law"),
    (("kind = \"calling_hours\"", "kind = \"calling_hour\""), "rule[0] (t.hours).kind: unknown kind"),
    (("citation = \"test\"", "citation = \"test\"\ncolour = \"red\""), "rule[0].colour: unknown key"),
    (("\"mon-fri\"", "\"mon-fry\""), "rule[0] (t.hours).params.windows.mon-fry: day key"),
    (("08:00-20:00", "20:00-08:00"), "rule[0] (t.hours).params.windows.mon-fri"),
    (("citation = \"test\"\n", ""), "rule[0].citation: is required"),
    (('id = "t.hours"', 'id = "t;hours"'), "rule[0].id: must be letters, digits"),
    (('id = "t.hours"', 'id = "t hours"'), "rule[0].id: must be letters, digits"),
    (('id = "t.hours"', 'id = "t\\rhours"'), "rule[0].id: must be letters, digits"),
    (('id = "t"', 'id = "t,u"'), "pack.id: must be letters, digits"),
    (('citation = "test"', 'citation = "test"\nregions = [41]'), "rule[0] (t.hours).regions: must list state codes"),
    (('citation = "test"', 'citation = "test"\nregions = ["PRR"]'), "rule[0] (t.hours).regions: PRR is not a state"),
    (('citation = "test"', 'citation = "test"\nregions = [""]'), "rule[0] (t.hours).regions: must list state codes"),
])
def test_pack_errors_name_the_key_path(change, message):
    with pytest.raises(InputError) as info:
        parse_pack(PACK.replace(*change), "t.toml")
    assert str(info.value).startswith("t.toml: ") and message in str(info.value)


def test_duplicate_rule_id_is_an_error():
    rule = PACK[PACK.index("[[rule]]"):]
    with pytest.raises(InputError, match="duplicate rule id"):
        parse_pack(PACK + "\n" + rule, "t.toml")


def test_builtin_packs_load_and_every_rule_cites_a_source():
    for name in ("br", "us"):
        pack = load_pack(name)
        assert pack.rules and all(r.meta.citation and r.meta.title for r in pack.rules)
        assert len({r.id for r in pack.rules}) == len(pack.rules)


@pytest.mark.parametrize(("text", "message"), [
    ("slot_minute = 30", "slot_minute: unknown key"),
    ("slot_minutes = 7", "slot_minutes: must divide a day"),
    ("[channels.fax]\ncost = 1", "channels.fax: unknown channel"),
    ("[channels.sms]\nprice = 1", "channels.sms.price: unknown key"),
    ("[channels.sms]\nper_day = -1", "channels.sms.per_day"),
    ("report_timezone = \"Mars/Base\"", "report_timezone"),
    ("slot_minutes = ", "invalid TOML"),
    # A wrong type is a mistake, never coerced ("30" is not 30, true is not 1).
    ('slot_minutes = "30"', "slot_minutes: must be a whole number between 5 and 240"),
    ("default_p_pay = true", "default_p_pay: must be a number between 0 and 1"),
    ('[channels.sms]\nenabled = "yes"', "channels.sms.enabled: must be true or false"),
    ("packs = [1]", "packs: must be a list of built-in pack names or pack file paths"),
    ("[channels.voice]\ncost = nan", "channels.voice.cost: must be a number between 0 and 1000000"),
    ('hours = {"8" = -1}', "hours.8: must be a number between 0 and 100"),
    ("min_window_minutes = 45", "min_window_minutes: must be a whole number between 1 and 30"),
])
def test_config_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(InputError) as info:
        load_config(write(tmp_path, "contactplan.toml", text))
    assert message in str(info.value) and "contactplan.toml" in str(info.value)


def test_config_values(tmp_path):
    cfg = load_config(write(tmp_path, "c.toml", "slot_minutes = 15\n[channels.voice]\nper_slot = 40\n"
                                                "[channels.email]\nenabled = false\n"))
    assert cfg.slot_minutes == 15 and cfg.channels["voice"].per_slot == 40 and not cfg.channels["email"].enabled


def test_blank_region_is_taken_from_ibge_code_or_area_code(tmp_path):
    text = ("debtor_id,country,region,municipality_code,phone_mobile,balance\n"
            "D1,BR,,,(92) 99123-4567,10\n"  # DDD 92: Amazonas
            "D2,BR,,1200401,,10\n"  # IBGE 12...: Acre
            "D3,BR,,,(11) 99123-4567,10\n"
            "D3,BR,,,(21) 99123-4567,10\n")  # two UFs: unknown
    text = text.replace(",1200401,,10", ",1200401,(68) 99912-3456,10")
    f = read_debtors(write(tmp_path, "d.csv", text))
    assert {d.debtor_id: (d.region, d.zones) for d in f.debtors} == {
        "D1": ("AM", ("America/Manaus",)), "D2": ("AC", ("America/Rio_Branco",)),
        "D3": ("", ("America/Sao_Paulo",))}
    assert {d.debtor_id: d.zone_source for d in f.debtors} == {"D1": "area_code", "D2": "municipality",
                                                                "D3": "area_code"}


def test_phone_area_code_in_another_zone_adds_that_zone(tmp_path):
    text = ("debtor_id,country,region,municipality_code,phone_mobile,balance\n"
            "D1,BR,SP,,(68) 99912-3456,10\n"  # lives in SP, Acre mobile (UTC-5)
            "D2,BR,PE,2611606,(81) 99912-3456,10\n"  # Recife, DDD 81 (Recife or Noronha): agrees
            "D3,BR,BA,,(11) 99912-3456,10\n"  # Bahia and SP keep the same clock: nothing to add
            "D4,BR,AC,,(68) 99912-3456,10\n")  # Acre address, Acre mobile
    f = read_debtors(write(tmp_path, "d.csv", text))
    zones = {d.debtor_id: d.zones for d in f.debtors}
    assert zones == {"D1": ("America/Sao_Paulo", "America/Rio_Branco"), "D2": ("America/Recife",),
                     "D3": ("America/Bahia",), "D4": ("America/Rio_Branco",)}
    d1 = next(d for d in f.debtors if d.debtor_id == "D1")
    assert "America/Rio_Branco" in d1.zone_note and "every zone" in d1.zone_note
    assert "99912" not in d1.zone_note


def test_explicit_time_zone_is_not_second_guessed_by_the_phone(tmp_path):
    text = "debtor_id,country,region,timezone,phone_mobile,balance\nD1,BR,SP,America/Sao_Paulo,(68) 99912-3456,10\n"
    (d,) = read_debtors(write(tmp_path, "d.csv", text)).debtors
    assert d.zones == ("America/Sao_Paulo",) and d.zone_source == "override"
