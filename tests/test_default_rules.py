"""Boundary tests of the default packs, through the audit (the specification), on both sides of each edge."""

from __future__ import annotations

import datetime as dt

import pytest

from contactplan.audit import audit_plan
from contactplan.model import Channel
from contactplan.rules.base import RuleMeta, Severity
from contactplan.rules.calling_hours import CallingHours
from contactplan.rules.packs import default_packs
from contactplan.timezones import UF_ZONES
from factories import CALENDARS, SATURDAY, SUNDAY, TUESDAY, contact, ctx, local, make_debtor

PACKS = default_packs()


def violations(debtor, contacts, day):
    return audit_plan(contacts, {debtor.debtor_id: debtor}, PACKS, day, calendars=CALENDARS)


def ids(vs):
    return sorted({v.rule_id for v in vs})


def sp_model(margin: int = 0) -> CallingHours:
    meta = RuleMeta("test.hours", "calling_hours", "SP model", "SP Lei 15.426/2014", Severity.LAW, "test")
    return CallingHours.build(meta, {"windows": {"mon-fri": "08:00-20:00", "sat": "08:00-14:00"},
                                     "end_margin_minutes": margin})


# --- the calling_hours kind itself, margin 0: the law's clock, half-open [08:00, 20:00) -------------
@pytest.mark.parametrize(("day", "start", "minutes", "ok"), [
    (TUESDAY, "07:59", 1, False), (TUESDAY, "08:00", 1, True),
    (TUESDAY, "19:59", 1, True), (TUESDAY, "20:00", 1, False),
    (TUESDAY, "19:45", 15, True), (TUESDAY, "19:46", 15, False),
    (SATURDAY, "13:59", 1, True), (SATURDAY, "14:00", 1, False),
    (SATURDAY, "08:00", 15, True), (SATURDAY, "07:59", 15, False),
    (SUNDAY, "10:00", 15, False),
])
def test_calling_hours_kind_boundaries(day, start, minutes, ok):
    debtor = make_debtor(region="SP")
    c = contact(debtor, Channel.VOICE, local(day, start, "America/Sao_Paulo"), minutes)
    assert (sp_model().check(debtor, [c], ctx(day)) == []) is ok


def test_calling_hours_allowed_matches_the_window_in_utc():
    debtor = make_debtor(region="SP")
    assert sp_model(5).allowed(debtor, Channel.VOICE, ctx(TUESDAY)) == [
        (dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 22, 55, tzinfo=dt.UTC))]
    assert sp_model().allowed(debtor, Channel.VOICE, ctx(SUNDAY)) == []
    assert sp_model().allowed(debtor, Channel.EMAIL, ctx(TUESDAY)) == [
        (dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC))]


# --- the shipped Brazilian pack: voice ends 5 minutes early (policy), the SP law at 20:00 ----------
@pytest.mark.parametrize(("day", "start", "minutes", "expected"), [
    (TUESDAY, "07:59", 15, ["br.default.call_hours", "br.sp.calling_hours"]),
    (TUESDAY, "08:00", 15, []),
    (TUESDAY, "19:40", 15, []),  # ends 19:55
    (TUESDAY, "19:41", 15, ["br.default.call_hours"]),  # ends 19:56: inside the law, outside the margin
    (TUESDAY, "19:46", 15, ["br.default.call_hours", "br.sp.calling_hours"]),  # ends 20:01
    (SATURDAY, "13:40", 15, []),
    (SATURDAY, "13:45", 15, ["br.default.call_hours"]),
    (SATURDAY, "13:59", 15, ["br.default.call_hours", "br.sp.calling_hours"]),
    (SUNDAY, "10:00", 15, ["br.default.call_hours", "br.sp.calling_hours"]),
])
def test_br_pack_voice_window_in_sao_paulo(day, start, minutes, expected):
    debtor = make_debtor(region="SP")
    c = contact(debtor, Channel.VOICE, local(day, start, "America/Sao_Paulo"), minutes)
    assert ids(violations(debtor, [c], day)) == expected


@pytest.mark.parametrize(("channel", "start", "expected"), [
    (Channel.SMS, "19:35", []), (Channel.SMS, "19:36", ["br.default.message_hours"]),
    (Channel.WHATSAPP, "07:59", ["br.default.message_hours"]), (Channel.WHATSAPP, "08:00", []),
    (Channel.EMAIL, "19:45", []), (Channel.EMAIL, "19:46", ["br.default.email_hours"]),
])
def test_br_pack_message_windows(channel, start, expected):
    debtor = make_debtor(region="RJ", mobile="+5521987654321")
    c = contact(debtor, channel, local(TUESDAY, start, "America/Sao_Paulo"), 15)
    assert ids(violations(debtor, [c], TUESDAY)) == expected


ZONES_BY_UF = sorted((uf, zones[0]) for uf, zones in UF_ZONES.items() if len(zones) == 1)


@pytest.mark.parametrize(("uf", "zone"), ZONES_BY_UF)
def test_every_single_zone_uf_uses_its_own_local_clock(uf, zone):
    debtor = make_debtor(region=uf, mobile=None)
    ok = contact(debtor, Channel.EMAIL, local(TUESDAY, "08:00", zone))
    early = contact(debtor, Channel.EMAIL, local(TUESDAY, "07:59", zone))
    assert violations(debtor, [ok], TUESDAY) == []
    assert ids(violations(debtor, [early], TUESDAY)) == ["br.default.email_hours"]


# UFs with two zones are pinned by the IBGE municipality code.
@pytest.mark.parametrize(("uf", "code", "zone"), [
    ("AM", "1302603", "America/Manaus"), ("AM", "1301407", "America/Eirunepe"),
    ("PE", "2611606", "America/Recife"), ("PE", "2605459", "America/Noronha")])
def test_two_zone_ufs_by_municipality(uf, code, zone):
    debtor = make_debtor(region=uf, municipality_code=code, mobile=None)
    assert debtor.zones == (zone,)
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(TUESDAY, "08:00", zone))], TUESDAY) == []
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(TUESDAY, "07:59", zone))], TUESDAY)


def test_para_without_municipality_fits_both_zones():
    debtor = make_debtor(region="PA", mobile=None)
    assert set(debtor.zones) == {"America/Belem", "America/Santarem"}  # both UTC-3 since 2008
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(TUESDAY, "08:00", "America/Santarem"))],
                      TUESDAY) == []
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(TUESDAY, "07:59", "America/Santarem"))], TUESDAY)


def test_every_brazilian_zone_is_tested():
    tested = {z for _, z in ZONES_BY_UF} | {"America/Manaus", "America/Eirunepe", "America/Recife", "America/Noronha",
                                            "America/Belem", "America/Santarem"}
    assert tested == {z for zones in UF_ZONES.values() for z in zones}


def test_acre_and_sao_paulo_at_the_same_utc_instant():
    instant = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)  # 08:00 in SP, 06:00 in Acre
    sp = make_debtor("SP1", region="SP")
    ac = make_debtor("AC1", region="AC", mobile="+5568999123456")
    assert violations(sp, [contact(sp, Channel.VOICE, instant)], TUESDAY) == []
    found = violations(ac, [contact(ac, Channel.VOICE, instant)], TUESDAY)
    assert ids(found) == ["br.default.call_hours"]
    assert "06:00-06:15 local America/Rio_Branco" in found[0].message
    later = instant + dt.timedelta(hours=2)  # 08:00 in Acre
    assert violations(ac, [contact(ac, Channel.VOICE, later)], TUESDAY) == []


def test_western_amazonas_is_utc_minus_5():
    west = make_debtor(region="AM", municipality_code="1300201", mobile="+5597991234567")  # Atalaia do Norte
    manaus_eight = local(TUESDAY, "08:00", "America/Manaus")  # 07:00 in Atalaia do Norte
    assert west.zones == ("America/Eirunepe",)
    assert ids(violations(west, [contact(west, Channel.VOICE, manaus_eight)], TUESDAY)) == [
        "br.am.calling_hours", "br.default.call_hours"]
    at_eight = local(TUESDAY, "08:00", "America/Eirunepe")
    assert violations(west, [contact(west, Channel.VOICE, at_eight)], TUESDAY) == []


def test_amazonas_without_municipality_must_fit_both_zones():
    am = make_debtor(region="AM", mobile="+5592991234567")
    assert set(am.zones) == {"America/Manaus", "America/Eirunepe"}
    # 08:00 Manaus is 07:00 in the west: only allowed from 08:00 west = 09:00 Manaus.
    assert violations(am, [contact(am, Channel.VOICE, local(TUESDAY, "08:30", "America/Manaus"))], TUESDAY)
    assert violations(am, [contact(am, Channel.VOICE, local(TUESDAY, "09:00", "America/Manaus"))], TUESDAY) == []


# --- holidays: a state holiday in one UF and not another, day before / of / after ----------------
@pytest.mark.parametrize(("day", "sp_expected"), [
    (dt.date(2026, 7, 8), []),
    (dt.date(2026, 7, 9), ["br.default.holidays", "br.sp.holidays"]),  # Revolução Constitucionalista (SP only)
    (dt.date(2026, 7, 10), []),
])
def test_sao_paulo_state_holiday_not_in_rio(day, sp_expected):
    sp = make_debtor("SP1", region="SP")
    rj = make_debtor("RJ1", region="RJ", mobile="+5521987654321")
    start = local(day, "10:00", "America/Sao_Paulo")
    assert ids(violations(sp, [contact(sp, Channel.VOICE, start)], day)) == sp_expected
    assert violations(rj, [contact(rj, Channel.VOICE, start)], day) == []


@pytest.mark.parametrize(("day", "holiday"), [
    (dt.date(2026, 11, 19), False), (dt.date(2026, 11, 20), True), (dt.date(2026, 11, 21), False)])
def test_national_holiday_black_awareness_day(day, holiday):
    ac = make_debtor(region="AC", mobile="+5568999123456")
    found = violations(ac, [contact(ac, Channel.SMS, local(day, "10:00", "America/Rio_Branco"))], day)
    assert (ids(found) == ["br.default.holidays"]) is holiday
    assert bool(found) is holiday


# --- consent, exclusions, one contact per day ------------------------------------------------
@pytest.mark.parametrize("flag", ["do_not_contact", "cease_and_desist", "deceased", "bankruptcy", "disputed"])
def test_exclusion_flags_forbid_every_channel(flag):
    debtor = make_debtor(flags=frozenset({flag}))
    for channel in (Channel.VOICE, Channel.SMS, Channel.EMAIL):
        assert violations(debtor, [contact(debtor, channel, local(TUESDAY, "10:00", "America/Sao_Paulo"))],
                          TUESDAY), (flag, channel)


@pytest.mark.parametrize(("consent", "violates"), [(True, False), (None, True), (False, True)])
def test_whatsapp_needs_opt_in(consent, violates):
    debtor = make_debtor(consents={"whatsapp_consent": consent})
    found = violations(debtor, [contact(debtor, Channel.WHATSAPP, local(TUESDAY, "10:00", "America/Sao_Paulo"))],
                       TUESDAY)
    assert ("br.meta.whatsapp_opt_in" in ids(found)) is violates


@pytest.mark.parametrize(("consent", "violates"), [(True, False), (None, False), (False, True)])
def test_sms_opt_out(consent, violates):
    debtor = make_debtor(consents={"sms_consent": consent})
    found = violations(debtor, [contact(debtor, Channel.SMS, local(TUESDAY, "10:00", "America/Sao_Paulo"))], TUESDAY)
    assert bool(found) is violates


def test_second_contact_in_a_day_breaks_the_daily_cap():
    debtor = make_debtor()
    first = contact(debtor, Channel.EMAIL, local(TUESDAY, "10:00", "America/Sao_Paulo"))
    second = contact(debtor, Channel.SMS, local(TUESDAY, "15:00", "America/Sao_Paulo"))
    assert violations(debtor, [first], TUESDAY) == []
    assert ids(violations(debtor, [first, second], TUESDAY)) == ["br.policy.one_contact_per_day"]


def test_no_work_calls_flag_forbids_the_work_number_only():
    debtor = make_debtor(mobile=None, home="+551133334444", work="+551155556666",
                         flags=frozenset({"no_work_calls"}))
    at = local(TUESDAY, "10:00", "America/Sao_Paulo")
    assert violations(debtor, [contact(debtor, Channel.VOICE, at, destination="+551133334444")], TUESDAY) == []
    assert ids(violations(debtor, [contact(debtor, Channel.VOICE, at, destination="+551155556666")], TUESDAY)) == [
        "br.cdc.no_work_calls"]


# --- USA: Reg F 8-21 local (messages end 10 minutes early); the strictest zone of a multi-zone state ---------------------------
@pytest.mark.parametrize(("start", "ok"), [("07:59", False), ("08:00", True), ("20:35", True), ("20:36", False)])
def test_us_reg_f_hours_in_the_debtors_zone(start, ok):
    debtor = make_debtor(country="US", region="CA", mobile="+14155550123", email="x@example.com")
    at = local(TUESDAY, start, "America/Los_Angeles")
    assert (violations(debtor, [contact(debtor, Channel.EMAIL, at)], TUESDAY) == []) is ok


def test_unknown_state_counts_a_holiday_in_any_state():
    """Region unknown (phones from two UFs, explicit zone): the strictest reading of state holidays."""
    debtor = make_debtor(region="", timezone="America/Sao_Paulo")
    day = dt.date(2026, 7, 9)  # São Paulo only
    found = violations(debtor, [contact(debtor, Channel.EMAIL, local(day, "10:00", "America/Sao_Paulo"))], day)
    assert ids(found) == ["br.default.holidays"] and "(SP)" in found[0].message
    plain = dt.date(2026, 7, 7)
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(plain, "10:00", "America/Sao_Paulo"))],
                      plain) == []


# --- state laws: both sides of each state's edges ----------------------------------------------
@pytest.mark.parametrize(("uf", "zone", "day", "start", "minutes", "expected"), [
    ("RJ", "America/Sao_Paulo", TUESDAY, "08:59", 15, ["br.rj.calling_hours"]),
    ("RJ", "America/Sao_Paulo", TUESDAY, "09:00", 15, []),
    ("RJ", "America/Sao_Paulo", TUESDAY, "18:45", 15, []),
    ("RJ", "America/Sao_Paulo", TUESDAY, "18:46", 15, ["br.rj.calling_hours"]),
    ("RJ", "America/Sao_Paulo", SATURDAY, "10:00", 15, ["br.rj.calling_hours"]),
    ("ES", "America/Sao_Paulo", TUESDAY, "18:45", 15, []),
    ("ES", "America/Sao_Paulo", TUESDAY, "18:46", 15, ["br.es.calling_hours"]),
    ("ES", "America/Sao_Paulo", SATURDAY, "10:00", 15, ["br.es.calling_hours"]),
    ("AM", "America/Manaus", TUESDAY, "17:45", 15, []),
    ("AM", "America/Manaus", TUESDAY, "17:46", 15, ["br.am.calling_hours"]),
    ("AM", "America/Manaus", SATURDAY, "10:00", 15, ["br.am.calling_hours"]),
    ("MG", "America/Sao_Paulo", SATURDAY, "10:00", 15, []),  # no state law: the default allows Saturday
])
def test_state_call_windows(uf, zone, day, start, minutes, expected):
    code = {"AM": "1302603"}.get(uf, "")
    debtor = make_debtor(region=uf, municipality_code=code, mobile=None, home="+552133334444")
    c = contact(debtor, Channel.VOICE, local(day, start, zone), minutes)
    assert ids(violations(debtor, [c], day)) == expected


@pytest.mark.parametrize(("channel", "start", "expected"), [
    (Channel.SMS, "07:59", ["br.al.calling_hours", "br.default.message_hours"]),
    (Channel.SMS, "08:00", []),
    (Channel.WHATSAPP, "19:50", ["br.default.message_hours"]),  # AL law ends 20:00; the policy 10 min earlier
])
def test_alagoas_covers_text_messages(channel, start, expected):
    debtor = make_debtor(region="AL", mobile="+5582987654321")
    c = contact(debtor, channel, local(TUESDAY, start, "America/Maceio"), 10)
    assert ids(violations(debtor, [c], TUESDAY)) == expected


@pytest.mark.parametrize(("dpd", "violates"), [(None, False), (1825, False), (1826, True)])
def test_prescribed_debt(dpd, violates):
    import dataclasses

    debtor = dataclasses.replace(make_debtor(), days_past_due=dpd)
    c = contact(debtor, Channel.EMAIL, local(TUESDAY, "10:00", "America/Sao_Paulo"))
    assert (ids(violations(debtor, [c], TUESDAY)) == ["br.stj.prescribed_debt"]) is violates


@pytest.mark.parametrize(("start", "expected"), [
    ("07:29", ["us.regf.message_hours", "us.wa.residence_hours"]), ("07:59", ["us.regf.message_hours"]),
    ("08:00", [])])
def test_washington_residence_hours(start, expected):
    debtor = make_debtor(country="US", region="WA", mobile="+12065550123", email="x@example.com")
    c = contact(debtor, Channel.EMAIL, local(TUESDAY, start, "America/Los_Angeles"), 1)
    assert ids(violations(debtor, [c], TUESDAY)) == expected


def test_address_and_phone_zones_disagree_window_fits_both():
    import dataclasses

    debtor = dataclasses.replace(make_debtor(region="SP"), zones=("America/Sao_Paulo", "America/Rio_Branco"))
    # 08:00 in Acre is 10:00 in Sao Paulo: earlier is forbidden, from then on it fits both.
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(TUESDAY, "09:59", "America/Sao_Paulo"), 1)],
                      TUESDAY)
    assert violations(debtor, [contact(debtor, Channel.EMAIL, local(TUESDAY, "10:00", "America/Sao_Paulo"), 1)],
                      TUESDAY) == []
