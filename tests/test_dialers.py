"""Dialer and messaging exports (issue 7), on a plan made by the real planner.

Round trips are checked three ways: our reader, a plain csv/pipe parser that follows the target's
documented layout (peers.md §3.1-3.2 for VICIdial), and the plan itself.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import re
import stat
from collections import Counter
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from contactplan.config import DEFAULT_CHANNELS, Config
from contactplan.generate import write_portfolio
from contactplan.io.dialers import (
    GENESYS_COLUMNS,
    PHONE_COLUMNS,
    VICIDIAL_COLUMNS,
    ExportError,
    export_plan,
    parse_comments,
    read_csv_export,
    read_vicidial,
)
from contactplan.io.plan_csv import read_plan
from contactplan.model import Channel
from contactplan.planner import build_plan, load_inputs

DAY = dt.date(2026, 11, 24)  # a Tuesday, no national or state holiday
ACCENTED_POOL = "cobrança São Paulo"
EXTRA = [  # debtors we need to see in the plan: Acre (UTC-5), São Paulo (UTC-3), California
    {"debtor_id": "X-ACRE", "country": "BR", "region": "AC", "city": "Rio Branco", "municipality_code": "1200401",
     "phone_mobile": "+55 68 99912-3456", "balance": "90000.00", "p_pay": "0.9", "language": "pt"},
    {"debtor_id": "X-SP", "country": "BR", "region": "SP", "city": "São Paulo", "municipality_code": "3550308",
     "phone_mobile": "+55 11 98765-4321", "balance": "90000.00", "p_pay": "0.9", "language": "pt"},
    {"debtor_id": "X-US", "country": "US", "region": "CA", "city": "San Francisco",
     "phone_home": "+1 415 200 3000", "balance": "90000.00", "p_pay": "0.9"},
]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """A 300-debtor Brazilian portfolio plus EXTRA, planned with capped voice so every channel occurs."""
    d = tmp_path_factory.mktemp("portfolio")
    debtors_csv, agents_csv = write_portfolio(d, 300, 1)
    with open(debtors_csv, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with open(debtors_csv, "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, header, restval="").writerows(EXTRA)
    agents = agents_csv.read_text(encoding="utf-8").replace(",weekend,", f",{ACCENTED_POOL},")
    agents_csv.write_text(agents, encoding="utf-8")
    channels = dict(DEFAULT_CHANNELS)
    for channel, per_day in ((Channel.VOICE, 60), (Channel.IVR, 40), (Channel.SMS, 40), (Channel.WHATSAPP, 40)):
        channels[channel] = dataclasses.replace(channels[channel], per_day=per_day)
    inputs = load_inputs(debtors_csv, agents_csv)
    plan = build_plan(inputs, DAY, Config(channels=channels))
    debtors = {x.debtor_id: x for x in inputs.debtors.debtors}
    by_channel = Counter(c.channel for c in plan.contacts)
    assert all(by_channel[ch] for ch in Channel), by_channel  # the fixture exercises every channel
    assert {c.debtor_id: c.channel for c in plan.contacts if c.debtor_id.startswith("X-")} == {
        "X-ACRE": Channel.VOICE, "X-SP": Channel.VOICE, "X-US": Channel.VOICE}
    assert any(c.pool == ACCENTED_POOL for c in plan.contacts)
    return plan, debtors


def dialer_contacts(plan):
    return {c.debtor_id: c for c in plan.contacts if c.channel in (Channel.VOICE, Channel.IVR)}


def lead_files(paths):
    return [p for p in paths if p.suffix == ".txt"]


def loader_parse(line: str, forcegmt: bool = False) -> dict[str, str]:
    """VICIdial's own reading of a standard lead line (peers.md §3.1, §3.2): TABs become pipes,
    double quotes are dropped, fields split on "|", phone fields keep digits only (empty code -> 1),
    list_id must be >= 100 and the phone 5-18 digits; with --forcegmt column 23 is the GMT offset
    and, digits only, also called_count."""
    fields = line.rstrip("\r\n").replace("\t", "|").replace('"', "").split("|")
    lead = dict(zip(VICIDIAL_COLUMNS, fields, strict=False))
    for key in ("phone_code", "phone_number", "alt_phone"):
        lead[key] = re.sub(r"\D", "", lead[key])
    lead["phone_code"] = lead["phone_code"] or "1"
    assert lead["list_id"].isdigit() and int(lead["list_id"]) >= 100
    assert 5 <= len(lead["phone_number"]) <= 18
    if forcegmt:
        lead["gmt_offset"] = fields[23]
        lead["called_count"] = re.sub(r"\D", "", fields[23]) or "0"
    return lead


def local_offset(c) -> dt.timedelta:
    return c.window_start.astimezone(ZoneInfo(c.timezone)).utcoffset()


# --- VICIdial -----------------------------------------------------------------------------------


def test_vicidial_has_every_dialer_contact_once_with_phone_state_and_window(planned, tmp_path):
    plan, debtors = planned
    paths = export_plan("vicidial", plan, debtors, tmp_path)
    manifest = {r["file"]: r for r in read_csv_export(tmp_path / "vicidial_20261124_lists.csv")}
    assert set(manifest) == {p.name for p in lead_files(paths)}
    expected = dialer_contacts(plan)
    seen = Counter()
    for path in lead_files(paths):
        listed = manifest[path.name]
        leads = read_vicidial(path)
        assert int(listed["leads"]) == len(leads)
        for lead in leads:
            c = expected[lead["vendor_lead_code"]]
            d = debtors[c.debtor_id]
            seen[c.debtor_id] += 1
            number = phonenumbers.parse(f"+{lead['phone_code']}{lead['phone_number']}")
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == c.destination
            assert lead["phone_code"] == {"BR": "55", "US": "1"}[d.country]
            assert lead["state"] == d.region and lead["country_code"] == {"BR": "BRA", "US": "USA"}[d.country]
            assert lead["list_id"] == listed["list_id"] and lead["source_id"] == plan.plan_id
            # The list's offset is the debtor's offset during the window (peers.md §3.4).
            assert local_offset(c) == dt.timedelta(hours=float(listed["gmt_offset"]))
            assert listed["utc_offset"] == c.window_start.astimezone(ZoneInfo(c.timezone)).strftime("%z")[:3] + ":00"
            meta = parse_comments(lead["comments"])
            assert dt.datetime.fromisoformat(meta["window_start"]) == c.window_start
            assert dt.datetime.fromisoformat(meta["window_end"]) == c.window_end
            assert (int(meta["rank"]), meta["channel"], meta["pool"]) == (c.rank, c.channel.value, c.pool)
            assert meta["channel"] == listed["channel"] and meta["pool"] == listed["pool"]
            # Nothing personal beyond what dialling needs: no names, address, alternate phones.
            for key in ("first_name", "last_name", "address1", "city", "alt_phone", "email", "address3"):
                assert lead[key] == ""
    assert seen == Counter(list(expected))  # every voice/IVR contact exactly once, nothing else


def test_vicidial_lead_files_follow_the_standard_layout(planned, tmp_path):
    plan, debtors = planned
    for path in lead_files(export_plan("vicidial", plan, debtors, tmp_path)):
        lines = path.read_text(encoding="utf-8").splitlines()
        ours = read_vicidial(path)
        assert len(lines) == len(ours) > 0
        for line, lead in zip(lines, ours, strict=True):
            assert line.count("|") == 22  # 23 fields, pipe-delimited
            assert "\t" not in line and '"' not in line and ";" not in line
            assert loader_parse(line) == lead  # VICIdial reads what our reader reads
        assert lines[0].split("|")[0] in debtors  # no header row: the first line is a lead
        # --forcelistfilename takes the list id from the last "_" field of the name (§3.2).
        assert path.stem.rsplit("_", 1)[1] == ours[0]["list_id"]


def test_acre_and_sao_paulo_go_to_lists_of_their_own_offset(planned, tmp_path):
    plan, debtors = planned
    paths = export_plan("vicidial", plan, debtors, tmp_path)
    where = {lead["vendor_lead_code"]: path.name for path in lead_files(paths) for lead in read_vicidial(path)}
    assert "_55_utc-0500_" in where["X-ACRE"]
    assert "_55_utc-0300_" in where["X-SP"]
    assert "_1_utc-0800_" in where["X-US"]  # California in November: PST
    assert len({where["X-ACRE"], where["X-SP"], where["X-US"]}) == 3
    assert all(c.timezone == "America/Rio_Branco" for c in plan.contacts if c.debtor_id == "X-ACRE")
    # One offset per list: every lead of a file shares it.
    manifest = read_csv_export(tmp_path / "vicidial_20261124_lists.csv")
    keys = [(r["channel"], r["pool"], r["phone_code"], r["utc_offset"]) for r in manifest]
    assert len(keys) == len(set(keys))
    assert [int(r["list_id"]) for r in manifest] == list(range(1000, 1000 + len(manifest)))


def test_forcegmt_variant_adds_the_offset_as_column_23(planned, tmp_path):
    plan, debtors = planned
    paths = lead_files(export_plan("vicidial", plan, debtors, tmp_path, vicidial_variant="forcegmt"))
    gmt = {}
    for path in paths:
        for line, lead in zip(path.read_text(encoding="utf-8").splitlines(), read_vicidial(path), strict=True):
            assert line.count("|") == 23
            assert loader_parse(line, forcegmt=True) == {**lead, "called_count": re.sub(r"\D", "", lead["gmt_offset"])}
            gmt[lead["vendor_lead_code"]] = lead["gmt_offset"]
    assert (gmt["X-ACRE"], gmt["X-SP"], gmt["X-US"]) == ("-5", "-3", "-8")
    for debtor_id, c in dialer_contacts(plan).items():
        assert dt.timedelta(hours=float(gmt[debtor_id])) == local_offset(c)


def test_vicidial_list_id_base(planned, tmp_path):
    plan, debtors = planned
    paths = lead_files(export_plan("vicidial", plan, debtors, tmp_path, list_id_base=5000))
    assert min(int(lead["list_id"]) for p in paths for lead in read_vicidial(p)) == 5000
    with pytest.raises(ExportError, match="100 or more"):
        export_plan("vicidial", plan, debtors, tmp_path / "x", list_id_base=99)


@pytest.mark.parametrize("bad_id", ["D;1", "D|1", "D" * 21])
def test_vicidial_refuses_ids_it_would_mangle(planned, tmp_path, bad_id):
    plan, debtors = planned
    first = next(c for c in plan.contacts if c.channel is Channel.VOICE)
    contacts = tuple(dataclasses.replace(c, debtor_id=bad_id) if c is first else c for c in plan.contacts)
    moved = {**debtors, bad_id: debtors[first.debtor_id]}
    with pytest.raises(ExportError, match="vendor_lead_code"):
        export_plan("vicidial", dataclasses.replace(plan, contacts=contacts), moved, tmp_path)
    assert not any(tmp_path.iterdir())


# --- Genesys Cloud ------------------------------------------------------------------------------


def test_genesys_has_a_zone_column_per_phone_column_and_the_windows(planned, tmp_path):
    plan, debtors = planned
    (path,) = export_plan("genesys", plan, debtors, tmp_path)
    rows = read_csv_export(path)
    assert tuple(rows[0]) == GENESYS_COLUMNS
    for phone in PHONE_COLUMNS:
        assert f"{phone}_timezone" in GENESYS_COLUMNS
    expected = dialer_contacts(plan)
    assert Counter(r["debtor_id"] for r in rows) == Counter(list(expected))
    for r in rows:
        c = expected[r["debtor_id"]]
        assert (r["phone"], r["phone_timezone"], r["channel"], r["pool"], int(r["rank"])) == (
            c.destination, c.timezone, c.channel.value, c.pool, c.rank)
        ZoneInfo(r["phone_timezone"])  # an IANA name
        for end in ("start", "end"):
            utc = dt.datetime.fromisoformat(r[f"window_{end}_utc"].replace("Z", "+00:00"))
            local = dt.datetime.fromisoformat(r[f"window_{end}_local"])
            assert utc == local == getattr(c, f"window_{end}")
            assert utc.utcoffset() == dt.timedelta(0) and local.utcoffset() == local_offset(c)
        assert (r["state"], r["country"]) == (debtors[c.debtor_id].region, debtors[c.debtor_id].country)


# --- message batches ----------------------------------------------------------------------------


def test_batches_hold_only_their_channel_with_utc_and_local_windows(planned, tmp_path):
    plan, debtors = planned
    paths = export_plan("batches", plan, debtors, tmp_path)
    assert [p.name for p in paths] == ["sms_20261124.csv", "whatsapp_20261124.csv", "email_20261124.csv"]
    for path, channel in zip(paths, (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL), strict=True):
        rows = read_csv_export(path)
        expected = {c.debtor_id: c for c in plan.contacts if c.channel is channel}
        assert Counter(r["debtor_id"] for r in rows) == Counter(list(expected))
        for r in rows:
            c = expected[r["debtor_id"]]
            assert (r["channel"], r["destination"], r["timezone"], int(r["rank"])) == (
                channel.value, c.destination, c.timezone, c.rank)
            for end in ("start", "end"):
                utc = dt.datetime.fromisoformat(r[f"window_{end}_utc"].replace("Z", "+00:00"))
                local = dt.datetime.fromisoformat(r[f"window_{end}_local"])
                assert utc == local == getattr(c, f"window_{end}")
                assert local.utcoffset() == local_offset(c)


def test_whatsapp_batch_carries_template_and_parameters(planned, tmp_path):
    plan, debtors = planned
    path = export_plan("batches", plan, debtors, tmp_path, whatsapp_template="lembrete_pagamento")[1]
    rows = read_csv_export(path)
    assert rows
    for r in rows:
        d = debtors[r["debtor_id"]]
        assert d.consents["whatsapp_consent"] is True
        assert (r["template_name"], r["template_language"]) == ("lembrete_pagamento", "pt_BR")
        assert r["template_param_1"] == d.debtor_id
        reais, cents = r["template_param_2"].removeprefix("R$ ").split(",")
        assert f"{reais.replace('.', '')}.{cents}" == f"{d.balance:.2f}"
    only_id = export_plan("batches", plan, debtors, tmp_path / "b", whatsapp_params=("debtor_id",))[1]
    assert "template_param_2" not in read_csv_export(only_id)[0]


@pytest.mark.parametrize("consent", [None, False])
def test_whatsapp_without_opt_in_is_an_error_not_a_silent_drop(planned, tmp_path, consent):
    plan, debtors = planned
    wa = next(c for c in plan.contacts if c.channel is Channel.WHATSAPP)
    d = debtors[wa.debtor_id]
    changed = {**debtors, wa.debtor_id: dataclasses.replace(d, consents={**d.consents, "whatsapp_consent": consent})}
    with pytest.raises(ExportError, match=f"debtor {wa.debtor_id}: WhatsApp contact without a recorded opt-in"):
        export_plan("batches", plan, changed, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # not even the SMS batch was written


def test_bad_whatsapp_template_name_or_parameter(planned, tmp_path):
    plan, debtors = planned
    with pytest.raises(ExportError, match="template name"):
        export_plan("batches", plan, debtors, tmp_path, whatsapp_template="Lembrete Pagamento")
    with pytest.raises(ExportError, match="parameter"):
        export_plan("batches", plan, debtors, tmp_path, whatsapp_params=("name",))


# --- encodings, delimiters, atomic writes -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["genesys", "batches", "vicidial", "csv"])
def test_semicolon_cp1252_round_trip_is_identical(planned, tmp_path, fmt):
    plan, debtors = planned
    excel = export_plan(fmt, plan, debtors, tmp_path / "excel", encoding="cp1252", delimiter=";")
    plain = export_plan(fmt, plan, debtors, tmp_path / "plain")
    assert [p.name for p in excel] == [p.name for p in plain]
    accents = False
    for e, p in zip(excel, plain, strict=True):
        if e.suffix == ".txt":
            assert read_vicidial(e, encoding="cp1252") == read_vicidial(p)
            accents |= ACCENTED_POOL.encode("cp1252") in e.read_bytes()
            continue
        with open(e, encoding="cp1252", newline="") as f:
            back = list(csv.reader(f, delimiter=";"))
        with open(p, encoding="utf-8", newline="") as f:
            assert back == list(csv.reader(f))
        accents |= ACCENTED_POOL.encode("cp1252") in e.read_bytes()
    if fmt != "batches":  # the pool name travels with calls only
        assert accents
    if fmt == "csv":  # and our own plan reader (delimiter and encoding sniffed) gives the plan back
        plan_date, contacts = read_plan(excel[0])
        assert plan_date == DAY
        assert [(c.debtor_id, c.channel, c.destination, c.window_start, c.window_end, c.timezone, c.pool, c.rank,
                 c.expected_value, c.rules) for c in contacts] == [
            (c.debtor_id, c.channel, c.destination, c.window_start, c.window_end, c.timezone, c.pool, c.rank,
             c.expected_value, c.rules) for c in plan.contacts]


def test_a_character_the_encoding_lacks_fails_before_anything_is_written(planned, tmp_path):
    plan, debtors = planned
    contacts = tuple(dataclasses.replace(c, pool="Łódź") if c.pool else c for c in plan.contacts)
    with pytest.raises(ExportError, match=r"genesys_20261124\.csv:\d+: .*cp1252"):
        export_plan("genesys", dataclasses.replace(plan, contacts=contacts), debtors, tmp_path, encoding="cp1252")
    assert not any(tmp_path.iterdir())


def test_failed_write_leaves_the_previous_file_intact(planned, tmp_path, monkeypatch):
    plan, debtors = planned
    (path,) = export_plan("genesys", plan, debtors, tmp_path)
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ExportError, match=r"genesys_20261124.csv: not written \(disk full\); the previous file is "
                                          "unchanged"):
        export_plan("genesys", plan, debtors, tmp_path, delimiter=";")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_a_failure_mid_export_says_how_many_files_were_replaced(planned, tmp_path, monkeypatch):
    plan, debtors = planned
    real_replace, calls = os.replace, []

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(ExportError, match=r"not written \(disk full\); the previous file is unchanged "
                                          r"\(1 of 3 files were written before\)"):
        export_plan("batches", plan, debtors, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sms_20261124.csv"]


def test_files_are_readable_by_the_owner_only(planned, tmp_path):
    plan, debtors = planned
    for fmt in ("vicidial", "genesys", "batches", "csv"):
        for path in export_plan(fmt, plan, debtors, tmp_path):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"fmt": "five9"}, "unknown export format"),
    ({"delimiter": ":"}, "delimiter"),
    ({"encoding": "klingon"}, "unknown encoding"),
    ({"fmt": "vicidial", "vicidial_variant": "web"}, "unknown VICIdial variant"),
])
def test_bad_options(planned, tmp_path, kwargs, message):
    plan, debtors = planned
    fmt = kwargs.pop("fmt", "genesys")
    with pytest.raises(ExportError, match=message):
        export_plan(fmt, plan, debtors, tmp_path, **kwargs)


def test_a_contact_whose_debtor_is_missing_is_an_error(planned, tmp_path):
    plan, debtors = planned
    missing = {k: v for k, v in debtors.items() if k != "X-SP"}
    with pytest.raises(ExportError, match="debtor X-SP is in the plan but not among the debtors"):
        export_plan("genesys", plan, missing, tmp_path)


def test_output_must_be_a_directory(planned, tmp_path):
    plan, debtors = planned
    file = tmp_path / "plan.csv"
    file.write_text("x")
    with pytest.raises(ExportError, match="directory"):
        export_plan("genesys", plan, debtors, file)


def test_debtors_may_be_given_as_a_list(planned, tmp_path):
    plan, debtors = planned
    a = export_plan("genesys", plan, list(debtors.values()), tmp_path / "a")
    b = export_plan("genesys", plan, debtors, tmp_path / "b")
    assert a[0].read_bytes() == b[0].read_bytes()


def test_loader_parse_helper_matches_the_documented_example():
    # peers.md §3.2: the CLI loader's own help example, columns 0-22.
    line = ("3857822|31022|105|01144|1625551212|MRS|B||BURTON|249 MUNDON ROAD|MALDON|ESSEX||||CM9 6PW|UK||||||"
            "COMMENTS")
    lead = loader_parse(line)
    assert (lead["vendor_lead_code"], lead["list_id"], lead["phone_code"], lead["phone_number"],
            lead["postal_code"], lead["country_code"], lead["comments"]) == (
        "3857822", "105", "01144", "1625551212", "CM9 6PW", "UK", "COMMENTS")
