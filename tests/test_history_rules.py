"""Rules that read the contact history and the suppression list: both sides of every boundary."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contactplan import build_plan
from contactplan.audit import audit_plan
from contactplan.model import Channel, Suppression
from contactplan.rules.packs import default_packs
from factories import CALENDARS, TUESDAY, attempts, contact, local, make_agent, make_debtor, make_inputs

PACKS = default_packs()
LA = "America/Los_Angeles"


def us_debtor(**kw):
    return make_debtor(**{"country": "US", "region": "CA", "mobile": "+14155550123", "email": "x@example.com", **kw})


def ids(debtor, contacts, day=TUESDAY):
    found = audit_plan(contacts, {debtor.debtor_id: debtor}, PACKS, day, calendars=CALENDARS)
    return sorted({v.rule_id for v in found})


def call(debtor, day=TUESDAY):
    return contact(debtor, Channel.VOICE, local(day, "10:00", debtor.primary_zone))


# --- Reg F 7-in-7: the 7th call is allowed, the 8th is not -------------------------------------------
@pytest.mark.parametrize(("past", "violates"), [(6, False), (7, True)])
def test_reg_f_seven_calls_in_seven_days(past, violates):
    debtor = us_debtor()
    debtor = dataclasses.replace(debtor, history=attempts(debtor, list(range(past)), at="08:30"))
    assert ("us.regf.7in7" in ids(debtor, [call(debtor)])) is violates


def test_reg_f_window_rolls_after_seven_days():
    debtor = us_debtor()
    # Seven calls on days -7..-1: the one 7 days ago has left the window [D-6, D].
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [7, 6, 5, 4, 3, 2, 1]))
    assert "us.regf.7in7" not in ids(debtor, [call(debtor)])
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [6, 6, 5, 4, 3, 2, 1]))
    assert "us.regf.7in7" in ids(debtor, [call(debtor)])


def test_busy_signals_do_not_count():
    debtor = us_debtor()
    # Seven busy calls in the window (two yesterday, none today: today's would count against
    # the one-contact-a-day policy, which counts every attempt).
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [1, 1, 2, 3, 4, 5, 6], outcome="busy"))
    assert ids(debtor, [call(debtor)]) == []


def test_texts_do_not_count_towards_calls():
    debtor = us_debtor()
    debtor = dataclasses.replace(debtor, history=attempts(debtor, list(range(7)), channel=Channel.EMAIL,
                                                          outcome="delivered"))
    assert "us.regf.7in7" not in ids(debtor, [call(debtor)])


# --- Reg F conversation cooldown: conversation on D blocks D..D+6, D+7 is free ----------------------
@pytest.mark.parametrize(("days_ago", "violates"), [(0, True), (1, True), (6, True), (7, False)])
def test_conversation_cooldown(days_ago, violates):
    debtor = us_debtor()
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [days_ago], outcome="conversation", at="08:00"))
    assert ("us.regf.conversation_cooldown" in ids(debtor, [call(debtor)])) is violates


def test_cooldown_excludes_calls_with_next_eligible_date():
    debtor = us_debtor(email=None)
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [2], outcome="promise_to_pay"))
    plan = build_plan(make_inputs([debtor], [make_agent(timezone=LA)]), TUESDAY, packs=PACKS)
    # Calls are blocked; an SMS is still possible (TCPA consent given in the factory).
    assert all(c.channel not in (Channel.VOICE, Channel.IVR) for c in plan.contacts)
    home = us_debtor(mobile=None, home="+13105550123", email=None)
    home = dataclasses.replace(home, history=attempts(home, [2], outcome="promise_to_pay"))
    plan = build_plan(make_inputs([home], [make_agent(timezone=LA)]), TUESDAY, packs=PACKS)
    (ex,) = plan.exclusions
    assert ex.rule_id == "us.regf.conversation_cooldown"
    assert ex.next_eligible == TUESDAY + dt.timedelta(days=5)  # conversation D = today-2, free on D+7


# --- Brazil: 10 attempts in 7 days, all channels (policy) ------------------------------------------
@pytest.mark.parametrize(("past", "excluded"), [(9, False), (10, True)])
def test_br_seven_day_budget(past, excluded):
    debtor = make_debtor()
    # Days 1..6 before the plan day: inside the 7-day window, none today (the daily cap's).
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [k % 6 + 1 for k in range(past)]))
    plan = build_plan(make_inputs([debtor], [make_agent()]), TUESDAY, packs=PACKS)
    assert (plan.contacts == ()) is excluded
    if excluded:
        (ex,) = plan.exclusions
        assert ex.rule_id == "br.policy.attempts_7_days" and ex.next_eligible is not None
        assert "CDC" in ex.citation


def test_plan_never_exceeds_the_budget_counting_history():
    debtors = []
    for i in range(20):
        d = make_debtor(f"D{i}")
        debtors.append(dataclasses.replace(d, history=attempts(d, [k % 6 + 1 for k in range(i % 12)])))
    plan = build_plan(make_inputs(debtors, [make_agent()]), TUESDAY, packs=PACKS)
    planned = {c.debtor_id for c in plan.contacts}
    assert planned == {f"D{i}" for i in range(20) if i % 12 < 10}


# --- suppression list: debtor-wide, channel, destination, expiry ------------------------------------
def sup(debtor_id="D1", destination="", channel=None, expires_on=None):
    return Suppression(debtor_id, destination, channel, "asked to stop", "test", expires_on)


def test_debtor_wide_suppression_excludes():
    debtor = dataclasses.replace(make_debtor(), suppressions=(sup(),))
    plan = build_plan(make_inputs([debtor], [make_agent()]), TUESDAY, packs=PACKS)
    assert plan.contacts == () and plan.exclusions[0].rule_id == "br.lgpd.suppression_list"
    assert ids(debtor, [call(debtor)]) == ["br.lgpd.suppression_list"]


def test_destination_suppression_blocks_only_that_number():
    debtor = make_debtor(mobile="+5511987654321", home="+551133334444", email=None)
    debtor = dataclasses.replace(debtor, suppressions=(sup(destination="+5511987654321"),))
    at = local(TUESDAY, "10:00", "America/Sao_Paulo")
    assert ids(debtor, [contact(debtor, Channel.VOICE, at, destination="+5511987654321")]) == [
        "br.lgpd.suppression_list"]
    assert ids(debtor, [contact(debtor, Channel.VOICE, at, destination="+551133334444")]) == []
    plan = build_plan(make_inputs([debtor], [make_agent()]), TUESDAY, packs=PACKS)
    assert [c.destination for c in plan.contacts] == ["+551133334444"]


@pytest.mark.parametrize(("expires", "active"), [(TUESDAY, False), (TUESDAY + dt.timedelta(days=1), True)])
def test_suppression_expiry(expires, active):
    debtor = dataclasses.replace(make_debtor(), suppressions=(sup(channel=Channel.VOICE, expires_on=expires),))
    assert ("br.lgpd.suppression_list" in ids(debtor, [call(debtor)])) is active


# --- US state caps: MA 2 in 7, WA 3 in 7 --------------------------------------------------------
@pytest.mark.parametrize(("state", "past", "violates"), [("MA", 1, False), ("MA", 2, True),
                                                         ("WA", 2, False), ("WA", 3, True)])
def test_us_state_caps(state, past, violates):
    debtor = us_debtor(region=state)
    debtor = dataclasses.replace(debtor, history=attempts(debtor, list(range(1, past + 1))))
    rule = {"MA": "us.ma.two_in_seven", "WA": "us.wa.three_per_week"}[state]
    zone = debtor.primary_zone
    found = ids(debtor, [contact(debtor, Channel.VOICE, local(TUESDAY, "10:00", zone))])
    assert (rule in found) is violates


# --- US daylight saving time: the window follows the debtor's clock on the transition days --------
@pytest.mark.parametrize(("day", "first_utc"), [
    (dt.date(2027, 3, 13), dt.datetime(2027, 3, 13, 16, 0, tzinfo=dt.UTC)),  # PST, UTC-8
    (dt.date(2027, 3, 14), dt.datetime(2027, 3, 14, 15, 0, tzinfo=dt.UTC)),  # spring forward: PDT, UTC-7
    (dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 16, 0, tzinfo=dt.UTC)),  # fall back: PST again
])
def test_dst_transition_days(day, first_utc):
    debtors = [us_debtor(debtor_id=f"D{i}", email=None, balance=str(1000 + i)) for i in range(40)]
    agent = make_agent(timezone=LA, start="00:00", end="24:00", per_hour=2, days=range(7))
    plan = build_plan(make_inputs(debtors, [agent]), day, packs=PACKS)
    assert plan.contacts
    assert min(c.window_start for c in plan.contacts) == first_utc
    for c in plan.contacts:
        start = c.window_start.astimezone(ZoneInfo(LA))
        end = c.window_end.astimezone(ZoneInfo(LA))
        assert start.date() == day and dt.time(8, 0) <= start.time() and end.time() <= dt.time(20, 55)


# --- min_gap: 2 hours after the last call; preferred window -------------------------------------------
@pytest.mark.parametrize(("start", "violates"), [("09:59", True), ("10:00", False)])
def test_min_gap_two_hours_after_the_last_call(start, violates):
    debtor = make_debtor()
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [0], at="08:00"))
    c = contact(debtor, Channel.VOICE, local(TUESDAY, start, "America/Sao_Paulo"))
    assert ("br.policy.min_gap_calls" in ids(debtor, [c])) is violates
    # A text is not a call: no gap needed.
    sms = contact(debtor, Channel.SMS, local(TUESDAY, "08:30", "America/Sao_Paulo"))
    assert "br.policy.min_gap_calls" not in ids(debtor, [sms])


def test_planner_respects_min_gap():
    debtor = make_debtor(email=None)
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [0], at="12:10"))
    plan = build_plan(make_inputs([debtor], [make_agent(start="08:00", end="15:00", per_hour=10)]), TUESDAY,
                      packs=PACKS)
    calls = [c for c in plan.contacts if c.channel is Channel.VOICE]
    assert all(c.window_start >= local(TUESDAY, "14:10", "America/Sao_Paulo") for c in calls)


@pytest.mark.parametrize(("start", "minutes", "violates"), [("13:59", 15, True), ("14:00", 15, False),
                                                            ("15:45", 15, False), ("15:46", 15, True)])
def test_preferred_window(start, minutes, violates):
    debtor = dataclasses.replace(make_debtor(), preferred_window=(dt.time(14, 0), dt.time(16, 0)))
    c = contact(debtor, Channel.EMAIL, local(TUESDAY, start, "America/Sao_Paulo"), minutes)
    assert ("br.cdc.preferred_window" in ids(debtor, [c])) is violates


def test_planner_keeps_to_the_preferred_window():
    debtors = [dataclasses.replace(make_debtor(f"D{i}"), preferred_window=(dt.time(18, 0), dt.time(19, 0)))
               for i in range(5)]
    plan = build_plan(make_inputs(debtors, [make_agent()]), TUESDAY, packs=PACKS)
    assert len(plan.contacts) == 5
    for c in plan.contacts:
        assert local(TUESDAY, "18:00", "America/Sao_Paulo") <= c.window_start
        assert c.window_end <= local(TUESDAY, "19:00", "America/Sao_Paulo")


@pytest.mark.parametrize(("today", "blocked"), [(1, False), (2, True)])
def test_washington_cell_cap_is_per_number(today, blocked):
    debtor = us_debtor(region="WA", mobile="+12065550123", home="+12065550199", email=None)
    debtor = dataclasses.replace(debtor, history=attempts(debtor, [0] * today, at="08:00", channel=Channel.SMS))
    at = local(TUESDAY, "11:00", debtor.primary_zone)
    to_cell = contact(debtor, Channel.VOICE, at, destination="+12065550123")
    to_home = contact(debtor, Channel.VOICE, at, destination="+12065550199")
    assert ("us.wa.cell_two_per_day" in ids(debtor, [to_cell])) is blocked
    assert "us.wa.cell_two_per_day" not in ids(debtor, [to_home])
    plan = build_plan(make_inputs([debtor], [make_agent(timezone=LA)]), TUESDAY, packs=PACKS)
    if blocked:
        assert all(c.destination != "+12065550123" for c in plan.contacts)
