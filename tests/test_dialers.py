"""Dialer and messaging exports (issue 7), on a plan made by the real planner.

Round trips are checked three ways: our reader, VICIdial as its code behaves (tests/vicidial_oracle.py:
the CLI loader, the nightly time-zone job, the hopper's call-time check), and the plan itself; and
every instant a dialer may dial a contact is checked against the independent audit.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import stat
from collections import Counter
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from contactplan.config import DEFAULT_CHANNELS, Config
from contactplan.generate import write_portfolio
from contactplan.audit import audit_plan
from contactplan.io.dialers import (
    GENESYS_COLUMNS,
    ExportError,
    export_plan,
    parse_comments,
    read_csv_export,
    read_vicidial,
)
from contactplan.io.plan_csv import read_plan
from contactplan.model import Channel
from contactplan.planner import build_plan, load_inputs
from contactplan.rules.packs import default_packs
from contactplan.store import open_store
from suite import examples
from vicidial_oracle import STANDARD, STDRANKOWNER, WEB_STANDARD, Vicidial

PACKS = default_packs()

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


def lead_files(export):
    return [p for p in export.files if p.suffix == ".txt"]


def local_offset(c) -> dt.timedelta:
    return c.window_start.astimezone(ZoneInfo(c.timezone)).utcoffset()


def legal_at(debtors, c, when: dt.datetime) -> bool:
    """Whether a one-minute contact at ``when`` passes the independent audit for this debtor."""
    probe = dataclasses.replace(c, window_start=when, window_end=when + dt.timedelta(minutes=1))
    return audit_plan([probe], {c.debtor_id: debtors[c.debtor_id]}, PACKS, DAY) == []


def minutes(start: dt.datetime, end: dt.datetime, step: int = 5):
    t = start
    while t < end:
        yield t
        t += dt.timedelta(minutes=step)


# --- VICIdial -----------------------------------------------------------------------------------


def test_vicidial_has_every_dialer_contact_once_with_phone_state_and_window(planned, tmp_path):
    plan, debtors = planned
    export = export_plan("vicidial", plan, debtors, tmp_path)
    manifest = {r["file"]: r for r in read_csv_export(tmp_path / "vicidial_20261124_lists.csv")}
    assert set(manifest) == {str(p.relative_to(tmp_path)) for p in lead_files(export)}
    expected = dialer_contacts(plan)
    seen = Counter()
    for path in lead_files(export):
        listed = manifest[str(path.relative_to(tmp_path))]
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
            assert lead["owner"] == listed["time_zone_code"] and lead["rank"] == str(c.rank)
            meta = parse_comments(lead["comments"])
            assert dt.datetime.fromisoformat(meta["window_start"]) == c.window_start
            assert dt.datetime.fromisoformat(meta["window_end"]) == c.window_end
            assert (int(meta["rank"]), meta["channel"], meta["pool"]) == (c.rank, c.channel.value, c.pool)
            assert meta["calltime"] == f"{listed['call_time_start']}-{listed['call_time_end']}"
            # Nothing personal beyond what dialling needs: no names, address, alternate phones.
            for key in ("first_name", "last_name", "address1", "city", "alt_phone", "email", "address3"):
                assert lead[key] == ""
    assert seen == Counter(list(expected))  # every voice/IVR contact exactly once, nothing else
    assert export.refused == []


@pytest.mark.parametrize("variant", ["owner-tz", "owner-tz-web", "standard"])
def test_every_lead_is_dialable_only_when_every_rule_allows_it(planned, tmp_path, variant):
    """Load the files as VICIdial's CLI loader does, run its nightly time-zone job, and ask its
    hopper at every 5 minutes of the day whether it would dial: each time it would, the
    independent audit must find the contact legal (every rule, every candidate zone)."""
    plan, debtors = planned
    export = export_plan("vicidial", plan, debtors, tmp_path, vicidial_variant=variant)
    vici = Vicidial()
    layout = {"owner-tz": STDRANKOWNER, "owner-tz-web": WEB_STANDARD, "standard": STANDARD}[variant]
    for path in lead_files(export):
        vici.load(path, layout, DAY, tz_code_gmt=variant != "standard")
    expected = dialer_contacts(plan)
    # Loaded, not yet set up: the day's lists do not exist, nothing is dialled.
    noon = dt.datetime.combine(DAY, dt.time(15), dt.UTC)
    assert not any(vici.dialable(lead, noon) for lead in vici.leads)
    vici.run_setup((tmp_path / "vicidial_20261124_setup.sql").read_text(encoding="utf-8"))
    assert len(vici.leads) + len(export.refused) == len(expected)
    day_start = dt.datetime.combine(DAY, dt.time(0), dt.UTC) - dt.timedelta(hours=3)
    for run_nightly in (False, True):
        if run_nightly:
            vici.nightly(DAY)
        for lead in vici.leads:
            c = expected[lead["vendor_lead_code"]]
            dialable = [t for t in minutes(day_start, day_start + dt.timedelta(hours=30)) if vici.dialable(lead, t)]
            assert dialable, lead["vendor_lead_code"]  # the lead can still be called
            assert all(legal_at(debtors, c, t) for t in dialable[::6] + dialable[-1:]), (variant, c.debtor_id)
            if variant != "standard":
                # The plan's own window is dialable: the call time holds it.
                assert vici.dialable(lead, c.window_start) and vici.dialable(lead, c.window_end - dt.timedelta(
                    minutes=1))


def test_acre_and_sao_paulo_keep_their_offsets_after_the_nightly_job(planned, tmp_path):
    plan, debtors = planned
    export = export_plan("vicidial", plan, debtors, tmp_path)
    vici = Vicidial()
    for path in lead_files(export):
        vici.load(path, STDRANKOWNER, DAY, tz_code_gmt=False)  # the loader's flag forgotten
    vici.run_setup((tmp_path / "vicidial_20261124_setup.sql").read_text(encoding="utf-8"))
    offsets = {lead["vendor_lead_code"]: lead["gmt_offset_now"] for lead in vici.leads}
    assert (offsets["X-ACRE"], offsets["X-SP"], offsets["X-US"]) == (-5, -3, -8)  # set by the SQL
    vici.nightly(DAY)
    offsets = {lead["vendor_lead_code"]: lead["gmt_offset_now"] for lead in vici.leads}
    assert (offsets["X-ACRE"], offsets["X-SP"], offsets["X-US"]) == (-5, -3, -8)
    owner = {lead["vendor_lead_code"]: lead["owner"] for lead in vici.leads}
    assert (owner["X-ACRE"], owner["X-SP"], owner["X-US"]) == ("BR-5", "BR-3", "USP")
    # Without the owner time zone (the stock job on a list set to COUNTRY_AND_AREA_CODE), Acre
    # would be at -2 (Brazil's abolished DST in VICIdial's +55 row): what the set-up prevents.
    for row in vici.lists.values():
        row.time_zone_setting = "COUNTRY_AND_AREA_CODE"
    vici.nightly(DAY)
    assert {lead["gmt_offset_now"] for lead in vici.leads if lead["phone_code"] == "55"} == {-2}


def test_lists_share_channel_pool_phone_code_clock_and_call_time(planned, tmp_path):
    plan, debtors = planned
    export_plan("vicidial", plan, debtors, tmp_path)
    manifest = read_csv_export(tmp_path / "vicidial_20261124_lists.csv")
    keys = [(r["channel"], r["pool"], r["phone_code"], r["time_zone_code"], r["call_time_start"], r["call_time_end"])
            for r in manifest]
    assert len(keys) == len(set(keys))
    block = 26112400000000  # 2026-11-24, the whole-day plan
    assert [int(r["list_id"]) for r in manifest] == [block + k for k in range(1, len(manifest) + 1)]
    assert {r["weekday"] for r in manifest} == {"Tuesday"}


def test_list_numbers_are_kept_from_day_to_day(planned, tmp_path):
    plan, debtors = planned
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    numbers = lambda keys: store.list_numbers("vicidial", keys)  # noqa: E731
    export_plan("vicidial", plan, debtors, tmp_path / "a", list_numbers=numbers)
    first = {r["call_time_start"] + r["time_zone_code"] + r["pool"]: r["list_id"][-4:]
             for r in read_csv_export(tmp_path / "a" / "vicidial_20261124_lists.csv")}
    later = dataclasses.replace(plan, contacts=tuple(reversed(plan.contacts)))
    export_plan("vicidial", later, debtors, tmp_path / "b", list_numbers=numbers)
    again = {r["call_time_start"] + r["time_zone_code"] + r["pool"]: r["list_id"][-4:]
             for r in read_csv_export(tmp_path / "b" / "vicidial_20261124_lists.csv")}
    assert again == first


def test_replans_get_lists_of_their_own(planned, tmp_path):
    plan, debtors = planned
    replan = dataclasses.replace(plan, provenance={**plan.provenance, "not_before": "2026-11-24T14:00:00-03:00"})
    export_plan("vicidial", replan, debtors, tmp_path)
    ids = {int(r["list_id"]) // 10_000 for r in read_csv_export(tmp_path / "vicidial_20261124_lists.csv")}
    assert ids == {2611241400}
    sql = (tmp_path / "vicidial_20261124_setup.sql").read_text(encoding="utf-8")
    assert "UPDATE vicidial_lists SET active = 'N' WHERE list_description LIKE 'contactplan %'" in sql


def test_vicidial_list_id_base(planned, tmp_path):
    plan, debtors = planned
    export = export_plan("vicidial", plan, debtors, tmp_path, list_id_base=5000)
    assert min(int(lead["list_id"]) for p in lead_files(export) for lead in read_vicidial(p)) == 5001
    with pytest.raises(ExportError, match="100 or more"):
        export_plan("vicidial", plan, debtors, tmp_path / "x", list_id_base=99)


def test_forcegmt_is_refused_with_the_reason(planned, tmp_path):
    plan, debtors = planned
    with pytest.raises(ExportError, match="overwrites forced offsets"):
        export_plan("vicidial", plan, debtors, tmp_path, vicidial_variant="forcegmt")


@pytest.mark.parametrize("bad_id", ["D;1", "D|1", "D" * 21])
def test_vicidial_refuses_ids_it_would_mangle(planned, tmp_path, bad_id):
    plan, debtors = planned
    first = next(c for c in plan.contacts if c.channel is Channel.VOICE)
    contacts = tuple(dataclasses.replace(c, debtor_id=bad_id) if c is first else c for c in plan.contacts)
    moved = {**debtors, bad_id: debtors[first.debtor_id]}
    export = export_plan("vicidial", dataclasses.replace(plan, contacts=contacts), moved, tmp_path)
    assert [(c.debtor_id, "vendor_lead_code" in why) for c, why in export.refused] == [(bad_id, True)]
    refused = read_csv_export(tmp_path / "vicidial_20261124_refused.csv")
    assert [r["debtor_id"] for r in refused] == [bad_id]
    assert all(bad_id not in p.read_text(encoding="utf-8") for p in lead_files(export))


def test_short_numbers_are_refused_not_loaded(planned, tmp_path):
    plan, debtors = planned
    first = next(c for c in plan.contacts if c.channel is Channel.VOICE and c.destination.startswith("+55"))
    contacts = tuple(dataclasses.replace(c, destination="+55119876") if c is first else c for c in plan.contacts)
    export = export_plan("vicidial", dataclasses.replace(plan, contacts=contacts), debtors, tmp_path)
    assert [c.debtor_id for c, _ in export.refused] == [first.debtor_id]
    assert "7-18 digit" in export.refused[0][1]


def test_a_debtor_with_two_candidate_zones_is_dialable_only_where_both_allow(tmp_path):
    """A Florida debtor with no postal code may be on Eastern or Central time: the call time must
    hold in both (US-F-02), whatever single offset VICIdial holds for the lead."""
    from factories import make_agent, make_debtor, make_inputs

    fl = make_debtor("FL1", country="US", region="FL", mobile="+18505550123", email=None)
    assert set(fl.zones) == {"America/New_York", "America/Chicago"}
    plan = build_plan(make_inputs([fl], [make_agent(timezone="America/New_York", start="07:00", end="23:00")]), DAY)
    (c,) = plan.contacts
    export = export_plan("vicidial", plan, {"FL1": fl}, tmp_path)
    vici = Vicidial()
    for path in lead_files(export):
        vici.load(path, STDRANKOWNER, DAY)
    vici.run_setup((tmp_path / "vicidial_20261124_setup.sql").read_text(encoding="utf-8"))
    vici.nightly(DAY)
    (lead,) = vici.leads
    dialable = [t for t in minutes(c.window_start - dt.timedelta(hours=14), c.window_start + dt.timedelta(hours=14), 1)
                if vici.dialable(lead, t)]
    first, last = dialable[0], dialable[-1]
    # 08:00 Eastern is 07:00 Central; 21:00 Central is 22:00 Eastern: both must hold.
    assert first.astimezone(ZoneInfo("America/Chicago")).time() >= dt.time(8, 0)
    assert (last + dt.timedelta(minutes=1)).astimezone(ZoneInfo("America/New_York")).time() <= dt.time(20, 55)


# --- Genesys Cloud ------------------------------------------------------------------------------


def test_genesys_lists_carry_zone_and_window_and_every_contact_once(planned, tmp_path):
    plan, debtors = planned
    export = export_plan("genesys", plan, debtors, tmp_path)
    manifest = {r["file"]: r for r in read_csv_export(tmp_path / "genesys_20261124_lists.csv")}
    expected = dialer_contacts(plan)
    seen = Counter()
    for path in export.files:
        if path.name not in manifest:
            continue
        listed = manifest[path.name]
        rows = read_csv_export(path)
        assert tuple(rows[0]) == GENESYS_COLUMNS and int(listed["contacts"]) == len(rows)
        for r in rows:
            c = expected[r["debtor_id"]]
            seen[c.debtor_id] += 1
            assert (r["phone"], r["phone_timezone"], r["channel"], r["pool"], int(r["rank"])) == (
                c.destination, c.timezone, c.channel.value, c.pool, c.rank)
            assert r["phone_timezone"] == listed["time_zone"]
            for end in ("start", "end"):
                utc = dt.datetime.fromisoformat(r[f"window_{end}_utc"].replace("Z", "+00:00"))
                local = dt.datetime.fromisoformat(r[f"window_{end}_local"])
                assert utc == local == getattr(c, f"window_{end}")
            assert (r["state"], r["country"]) == (debtors[c.debtor_id].region, debtors[c.debtor_id].country)
    assert seen == Counter(list(expected))


def test_genesys_contactable_times_hold_every_rule(planned, tmp_path):
    """Genesys dials a list's contacts while the wall clock of their zone is inside the
    campaign's contactable window; every such instant must pass the audit."""
    plan, debtors = planned
    export_plan("genesys", plan, debtors, tmp_path)
    expected = dialer_contacts(plan)
    for listed in read_csv_export(tmp_path / "genesys_20261124_lists.csv"):
        zone = ZoneInfo(listed["time_zone"])
        start = dt.datetime.combine(DAY, dt.time.fromisoformat(listed["contactable_from"]), zone)
        until = listed["contactable_until"]
        end = (dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(0), zone) if until == "24:00"
               else dt.datetime.combine(DAY, dt.time.fromisoformat(until), zone))
        for r in read_csv_export(tmp_path / listed["file"]):
            c = expected[r["debtor_id"]]
            assert start <= c.window_start and c.window_end <= end
            for t in (start, end - dt.timedelta(minutes=1)):
                assert legal_at(debtors, c, t.astimezone(dt.UTC)), (listed["file"], c.debtor_id)


def test_genesys_lists_are_comma_separated_utf8_whatever_the_options(planned, tmp_path):
    plan, debtors = planned
    export = export_plan("genesys", plan, debtors, tmp_path, encoding="cp1252", delimiter=";")
    lists = [p for p in export.files if p.name.startswith("genesys-")]
    assert lists and all(p.read_text(encoding="utf-8").splitlines()[0] == ",".join(GENESYS_COLUMNS) for p in lists)
    manifest = tmp_path / "genesys_20261124_lists.csv"
    assert manifest.read_text(encoding="cp1252").splitlines()[0].count(";") == 9


# --- message batches ----------------------------------------------------------------------------


def test_batches_hold_only_their_channel_with_utc_and_local_windows(planned, tmp_path):
    plan, debtors = planned
    export = export_plan("batches", plan, debtors, tmp_path)
    assert [p.name for p in export.files] == ["sms_20261124.csv", "whatsapp_20261124.csv", "email_20261124.csv"]
    for path, channel in zip(export.files, (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL), strict=True):
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
    path = export_plan("batches", plan, debtors, tmp_path, whatsapp_template="lembrete_pagamento").files[1]
    rows = read_csv_export(path)
    assert rows
    for r in rows:
        d = debtors[r["debtor_id"]]
        assert d.consents["whatsapp_consent"] is True
        assert (r["template_name"], r["template_language"]) == ("lembrete_pagamento", "pt_BR")
        assert r["template_param_1"] == d.debtor_id
        reais, cents = r["template_param_2"].removeprefix("R$ ").split(",")
        assert f"{reais.replace('.', '')}.{cents}" == f"{d.balance:.2f}"
    only_id = export_plan("batches", plan, debtors, tmp_path / "b", whatsapp_params=("debtor_id",)).files[1]
    assert "template_param_2" not in read_csv_export(only_id)[0]


def test_sms_batch_carries_the_rendered_message(planned, tmp_path):
    plan, debtors = planned
    text = "Ref {debtor_id}: R$ em aberto {balance}. Responda SAIR para não receber mais."
    sms = export_plan("batches", plan, debtors, tmp_path, sms_template=text).files[0]
    rows = read_csv_export(sms)
    assert rows
    for r in rows:
        d = debtors[r["debtor_id"]]
        assert r["message"].startswith(f"Ref {d.debtor_id}: ") and "{" not in r["message"]
        assert int(r["sms_parts"]) == (1 if len(r["message"]) <= 70 else 2)  # "ã" makes it UCS-2
    assert "name" not in rows[0] and "destination" in rows[0]


def test_email_batch_carries_template_id_and_subject(planned, tmp_path):
    plan, debtors = planned
    email = export_plan("batches", plan, debtors, tmp_path, email_template_id="cobranca-v2",
                        email_subject="Ref {debtor_id}: {balance}").files[2]
    rows = read_csv_export(email)
    assert rows and all(r["template_id"] == "cobranca-v2" and r["subject"].startswith(f"Ref {r['debtor_id']}: ")
                        for r in rows)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sms_template": "Olá {name}"}, r"unknown placeholder \{name\}"),
    ({"email_subject": "{cpf}"}, r"unknown placeholder \{cpf\}"),
    ({"sms_template": "unbalanced {"}, "literal brace"),
    ({"email_template_id": "bad id!"}, "template id"),
])
def test_bad_templates_are_refused_before_writing(planned, tmp_path, kwargs, message):
    plan, debtors = planned
    with pytest.raises(ExportError, match=message):
        export_plan("batches", plan, debtors, tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


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
    excel = export_plan(fmt, plan, debtors, tmp_path / "excel", encoding="cp1252", delimiter=";").files
    plain = export_plan(fmt, plan, debtors, tmp_path / "plain").files
    assert [p.relative_to(tmp_path / "excel") for p in excel] == [p.relative_to(tmp_path / "plain") for p in plain]
    accents = False
    for e, p in zip(excel, plain, strict=True):
        if e.suffix in (".txt", ".sql") or e.name.startswith("genesys-"):
            # Dialer files are UTF-8 in the target's own layout whatever the CSV options.
            assert e.read_bytes() == p.read_bytes()
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
    with pytest.raises(ExportError, match=r"genesys_20261124_lists\.csv:\d+: .*cp1252"):
        export_plan("genesys", dataclasses.replace(plan, contacts=contacts), debtors, tmp_path, encoding="cp1252")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("fmt", ["vicidial", "genesys", "batches"])
def test_a_failed_write_leaves_the_previous_set_intact(planned, tmp_path, monkeypatch, fmt):
    """Disk full in the middle of a set: nothing of the new set is in place, the old one is."""
    plan, debtors = planned
    export_plan(fmt, plan, debtors, tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    real_fdopen, calls = os.fdopen, []

    def full(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 2:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", full)
    later = dataclasses.replace(plan, contacts=plan.contacts[: len(plan.contacts) // 2])
    with pytest.raises(ExportError, match=r"No space left on device\); nothing was written, the previous files "
                                          "are unchanged"):
        export_plan(fmt, later, debtors, tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # and no staging left


def test_files_are_readable_by_the_owner_only(planned, tmp_path):
    plan, debtors = planned
    for fmt in ("vicidial", "genesys", "batches", "csv"):
        for path in export_plan(fmt, plan, debtors, tmp_path).files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE((tmp_path / "vicidial_20261124_leads").stat().st_mode) == 0o700


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
    a = export_plan("genesys", plan, list(debtors.values()), tmp_path / "a").files
    b = export_plan("genesys", plan, debtors, tmp_path / "b").files
    assert [x.read_bytes() for x in a] == [x.read_bytes() for x in b]


def test_oracle_reads_the_loaders_documented_example(tmp_path):
    # The CLI loader's own help example (peers.md §3.2), columns 0-22, into list 105.
    path = tmp_path / "leads_105.txt"
    path.write_text("3857822|31022|105|01144|1625551212|MRS|B||BURTON|249 MUNDON ROAD|MALDON|ESSEX||||CM9 6PW|UK||||||"
                    "COMMENTS\n", encoding="utf-8")
    vici = Vicidial()
    assert vici.load(path, STANDARD, DAY, tz_code_gmt=False) == 1
    (lead,) = vici.leads
    assert (lead["vendor_lead_code"], lead["list_id"], lead["phone_code"], lead["phone_number"],
            lead["postal_code"], lead["country"], lead["comments"]) == (
        "3857822", 105, "01144", "1625551212", "CM9 6PW", "UK", "COMMENTS")


@settings(max_examples=examples(3000), deadline=None)
@given(code=st.sampled_from(["1", "55", "55", "39", "7", "261", "44"]), digits=st.text("0123456789", min_size=6,
                                                                                        max_size=13))
def test_vicidial_phone_split_agrees_with_phonenumbers(code, digits):
    """The export's shortcut for E.164 numbers gives what phonenumbers' parser gives, for any number."""
    from contactplan.io.vicidial import _e164

    number = f"+{code}{digits}"
    try:
        parsed = phonenumbers.parse(number)
        expected = (parsed.country_code, phonenumbers.national_significant_number(parsed))
    except phonenumbers.NumberParseException:
        expected = None
    assert _e164(number) == expected


def _lead_row_reference(lead, plan_id, list_id, variant):
    """lead_row as first written, column by column over the whole layout: the specification its
    faster form (blank columns skipped, shared values judged once) must keep."""
    import re

    from contactplan.io.vicidial import _ISO3, COLUMNS, TAIL, WIDTHS, VicidialRefusal

    stripped = re.compile(r"[\"`\\;|\t\r\n]")
    c, d = lead.contact, lead.debtor
    values = dict.fromkeys(COLUMNS, "")
    zone = ZoneInfo(c.timezone)
    values.update(vendor_lead_code=c.debtor_id, source_id=plan_id, list_id=str(list_id), phone_code=lead.phone_code,
                  phone_number=lead.national, state=d.region, country_code=_ISO3.get(d.country, ""),
                  comments=f"window={c.window_start.astimezone(zone).isoformat()}/"
                           f"{c.window_end.astimezone(zone).isoformat()} rank={c.rank} channel={c.channel.value} "
                           f"pool={c.pool} calltime={lead.call.text}")
    tail = {"called_count": "0", "status": "NEW", "entry_date": "", "rank": str(min(c.rank, 32767)),
            "owner": lead.clock if variant != "standard" else ""}
    for column in (*COLUMNS, *TAIL[variant]):
        value = values.get(column, tail.get(column, ""))
        if column == "comments":
            value = values[column] = stripped.sub(" ", value)
        elif value and stripped.search(value):
            raise VicidialRefusal(f"{column} holds a character VICIdial strips or splits on")
        if len(value) > WIDTHS.get(column, 100):
            raise VicidialRefusal(f"{column} is longer than VICIdial's {WIDTHS.get(column, 100)} characters")
    return [values[k] for k in COLUMNS] + [tail[k] for k in TAIL[variant]]


_VALUE = st.text(st.sampled_from("aZ09-_ ;|\t\"`\\\r\nçã"), max_size=24)


@settings(max_examples=examples(1500), deadline=None)
@given(variant=st.sampled_from(["owner-tz", "owner-tz-web", "standard"]), debtor_id=_VALUE, plan_id=_VALUE,
       list_id=st.integers(100, 10**12), phone_code=st.sampled_from(["1", "55", "5;5"]), national=_VALUE,
       region=_VALUE, country=st.sampled_from(["BR", "US", "PT"]), pool=_VALUE, clock=_VALUE,
       rank=st.integers(0, 10**6), repeat=st.booleans())
def test_vicidial_lead_rows_are_the_specifications(variant, debtor_id, plan_id, list_id, phone_code, national, region,
                                                   country, pool, clock, rank, repeat):
    """Any values, good or bad for VICIdial: the same row, or the same refusal (the first column
    in layout order), also when the same values come again (judged once, remembered)."""
    import types

    from contactplan.io.calltimes import CallTime
    from contactplan.io.vicidial import Lead, VicidialRefusal, lead_row
    from contactplan.model import PlannedContact

    zone = ZoneInfo("America/Sao_Paulo")
    start = dt.datetime(2026, 11, 24, 9, tzinfo=zone)
    contact = PlannedContact(debtor_id, Channel.VOICE, "+5511987654321", start, start + dt.timedelta(minutes=30),
                             "America/Sao_Paulo", pool, rank)
    lead = Lead(contact, types.SimpleNamespace(region=region, country=country), phone_code, national, clock, (-180,),
                CallTime(DAY, 540, 600))

    def outcome(row_of):
        try:
            return row_of(lead, plan_id, list_id, variant)
        except VicidialRefusal as exc:
            return str(exc)

    for _ in range(2 if repeat else 1):
        assert outcome(lead_row) == outcome(_lead_row_reference)
