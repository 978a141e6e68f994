"""Each rule kind is one module that states the rule: a ``References:`` docstring citing the law
texts and a plain ``check`` that is the specification. What makes the audit fast lies outside
``check`` and is held to it here:

* ``judge``, a kind's faster way to check()'s verdicts (bisection over a long history), must
  give exactly check()'s violations, for planned contacts and for a log's contacts judged at
  once;
* ``memo_key``: the audit remembers a contact-wise kind's verdict on a contact for every debtor
  with the same key (audit.verdicts), so the key must hold everything check() reads of the
  debtor and the context.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contactplan import audit
from contactplan.model import Channel, PlannedContact, StoreData, attach_store_data, opt_out_suppression
from contactplan.log_judge import as_contact
from contactplan.rules.attempts import matches_line_types
from contactplan.rules.base import Context, Rule, intersect
from contactplan.rules.packs import KINDS, PackSet, parse_pack
from contactplan.solver.options import local_day
from factories import make_debtor
from test_audit_fast import DATES, PACKS, _calendars, _world
from test_log_bulk import CALENDARS, START, _attempts, _pack
from test_property import PACKS as PROPERTY_PACKS


def test_every_kind_is_a_module_of_its_own_with_references_and_a_check():
    for kind, cls in KINDS.items():
        module = importlib.import_module(cls.__module__)
        assert cls.__module__ == f"contactplan.rules.{kind}", kind
        assert "References:" in (module.__doc__ or ""), kind
        assert module.__doc__.startswith(f'{kind}:'), kind  # the docstring says what the kind forbids
        assert cls.check is not Rule.check, kind


def test_only_the_consent_kind_reads_the_files_consent_flags():
    """The option builder keys a channel's options by the consent flags that the consent rules
    covering the channel read (Rule.consent_field); a kind that read Debtor.consents some other
    way would be keyed without the flag it reads."""
    for kind, cls in KINDS.items():
        source = inspect.getsource(importlib.import_module(cls.__module__))
        if kind == "consent":
            assert cls.consent_field is not Rule.consent_field
        else:
            assert "consents" not in source and "consent_refusal" not in source, kind
            assert cls.consent_field is None, kind


def test_the_agreement_property_test_uses_every_kind():
    """tests/test_property.py (every plan the solver returns passes the audit) ties generation to
    the specification only for the kinds its packs use: all of them."""
    assert {r.kind for p in PROPERTY_PACKS.packs for r in p.rules} == set(KINDS)


def _generated(rng: random.Random):
    """Generated packs of the history kinds for BR and US (test_log_bulk._pack), and debtors in
    one zone (SP), in several (AM) and in a state split by zones (TN, IN or ND)."""
    packs = [parse_pack(_pack(rng, "BR"), "br.toml"), parse_pack(_pack(rng, "US"), "us.toml")]
    debtors = [make_debtor("D1", region="SP", home="+551135550101"), make_debtor("D2", region="AM"),
               make_debtor("D3", country="US", region=rng.choice(["TN", "IN", "ND"]), mobile="+16155550100",
                           home="+16155550101", email="d3@example.com")]
    return packs, debtors


def _judge_kinds() -> set[str]:
    return {kind for kind, cls in KINDS.items() if cls.judge is not Rule.judge}


def test_the_kinds_with_a_judge_are_the_ones_generated_below():
    assert _judge_kinds() == {"frequency_cap", "daily_cap", "conversation_cooldown", "min_gap"}


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_judge_gives_what_check_gives(seed):
    """Generated packs of every history kind with random parameters, debtors with stored
    attempts full of ties, exact gaps and call backs; contacts planned for a day (some at the
    same instant as an attempt) and a log's contacts judged at once (log_judge.judge_debtor)."""
    rng = random.Random(seed)
    packs, debtors = _generated(rng)
    packs = PackSet(packs)
    for debtor in debtors:
        history = _attempts(rng, debtor, rng.randint(0, 30), "S")
        suppressed = [opt_out_suppression(a, "log") for a in history if a.outcome.value == "opt_out"]
        attached = attach_store_data([debtor], StoreData({debtor.debtor_id: history},
                                                         {debtor.debtor_id: suppressed}))[0]
        day = (START + dt.timedelta(days=rng.randrange(11))).date()
        planned = []
        for k in range(rng.randint(1, 6)):
            at = START + dt.timedelta(minutes=30 * rng.randrange(11 * 48))
            channel = rng.choice([ch for ch in Channel if debtor.destinations_for(ch)])
            dest = rng.choice(debtor.destinations_for(channel))
            planned.append(PlannedContact(debtor.debtor_id, channel, dest.address, at,
                                          at + dt.timedelta(minutes=rng.choice([1, 15, 30])), debtor.primary_zone))
        logged = [as_contact(a, attached) for a in sorted(history, key=lambda a: a.attempted_at)]
        for contacts in (planned, logged):
            ctx = Context(day, CALENDARS)
            for rule in (r for p in packs.packs for r in p.rules if r.kind in _judge_kinds()):
                if packs.covers(debtor.country) and rule in packs.rules_for(attached, day):
                    expected = rule.check(attached, contacts, ctx)
                    assert rule.judge(attached, contacts, ctx) == expected, (rule.id, seed)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_the_caps_generation_counts_what_their_specification_counts(seed):
    """The caps' generation answers (gate, destination_ok, horizon_budget, eligible_again) count
    only the attempts within a window's instants (FrequencyCap._count); that must be the count
    of the window that check() reads (_in_window), for every day around the attempts, debtors
    in one zone, in several (AM) and in states split by zones (TN, IN, ND), attempts on a
    half-hour grid that lands on their midnights."""
    rng = random.Random(seed)
    packs, debtors = _generated(rng)
    for debtor in debtors:
        attached = attach_store_data([debtor], StoreData({debtor.debtor_id: _attempts(rng, debtor,
                                                                                      rng.randint(0, 30), "S")}))[0]
        caps = [r for p in packs if p.country == debtor.country for r in p.rules
                if r.kind in ("frequency_cap", "daily_cap")]
        for rule in caps:
            for ahead in range(-2, 14):
                day = START.date() + dt.timedelta(days=ahead)
                for dest in (None, *(d.address for d in debtor.destinations)):
                    assert rule._count(attached, day, dest) == len(rule._in_window(attached, day, dest)), \
                        (rule.id, day, dest, seed)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_the_history_kinds_generation_answers_are_their_definitions(seed):
    """The generation answers skip work where the history cannot matter: a cap with fewer
    attempts in all than its maximum blocks nothing, a window or gap that begins after the
    latest attempt (Debtor.latest_attempt_at) holds none. Here the answers are computed from
    the definitions instead -- a cap blocks when the window check() reads holds ``max`` counted
    attempts, a gap allows from the last covered attempt on -- for every day around the
    attempts (on a half-hour grid that lands on midnights and exact gaps), zones split by
    states, and debtors with no history."""
    rng = random.Random(seed)
    packs, debtors = _generated(rng)
    for debtor in debtors:
        attempts = _attempts(rng, debtor, rng.choice([0, 1, 2, 3, rng.randint(0, 30)]), "S")
        attached = attach_store_data([debtor], StoreData({debtor.debtor_id: attempts}))[0]
        rules = [r for p in packs if p.country == debtor.country for r in p.rules]
        for ahead in range(-2, 13):
            day = START.date() + dt.timedelta(days=ahead)
            ctx = Context(day, CALENDARS)
            whole_day = local_day(attached, day)
            for rule in rules:
                if rule.kind in ("frequency_cap", "daily_cap"):
                    cap = rule.params["max"]
                    blocked = not rule.by_line_type and len(rule._in_window(attached, day)) >= cap
                    assert bool(rule.gate(attached, ctx)) == blocked, (rule.id, day, seed)
                    for channel in Channel:
                        for dest in attached.destinations_for(channel):
                            refused = (rule.by_line_type and rule.covers(channel)
                                       and matches_line_types(dest, rule.params["line_types"])
                                       and len(rule._in_window(attached, day, dest.address if rule.per_destination
                                                               else None)) >= cap)
                            assert bool(rule.destination_ok(attached, channel, dest, ctx)) == refused, \
                                (rule.id, day, channel, seed)
                elif rule.kind == "min_gap":
                    for channel in Channel:
                        last = rule._last(attached) if rule.covers(channel) else None
                        expected = (whole_day if last is None
                                    else intersect(whole_day, [(last + rule.params["gap"], dt.datetime.max.replace(
                                        tzinfo=dt.UTC))]))
                        limit = rule.allowed(attached, channel, ctx)
                        found = whole_day if limit is None else intersect(whole_day, limit)
                        assert found == expected, (rule.id, day, channel, seed)


def _answers(rule, debtor, ctx) -> tuple:
    """Every generation answer of a rule for a debtor today, the allowed time clipped to the day."""
    day = local_day(debtor, ctx.plan_date)
    out = [rule.excludes(debtor, ctx)]
    for channel in Channel:
        limit = rule.allowed(debtor, channel, ctx)
        out += [rule.channel_blocked(debtor, channel, ctx),
                None if limit is None else tuple(intersect(day, limit)),
                *(rule.destination_ok(debtor, channel, d, ctx) for d in debtor.destinations_for(channel))]
    return tuple(out)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_a_rule_quiet_about_the_store_data_answers_as_without_it(seed):
    """Rule.store_quiet lets the option builder build a debtor's options as if the store knew
    nothing of it: each kind's answers must then be those for the debtor without history,
    suppressions and consent records (whole-day limits read as none), for generated packs of
    every history kind and the shipped packs, every day around the attempts."""
    rng = random.Random(seed)
    packs, debtors = _generated(rng)
    generated = PackSet(packs)
    quiet = 0
    for debtor in debtors:
        attempts = _attempts(rng, debtor, rng.choice([1, 2, 3, rng.randint(1, 30)]), "S")
        suppressed = [opt_out_suppression(a, "log") for a in attempts if a.outcome.value == "opt_out"]
        attached = attach_store_data([debtor], StoreData({debtor.debtor_id: attempts},
                                                         {debtor.debtor_id: suppressed}))[0]
        for ahead in range(-2, 13):
            ctx = Context(START.date() + dt.timedelta(days=ahead), CALENDARS)
            whole_day = tuple(local_day(debtor, ctx.plan_date))
            for rule in (r for packs in (generated, PACKS) for p in packs.packs for r in p.rules
                         if p.country == debtor.country):
                if not rule.store_quiet(attached, ctx):
                    continue
                quiet += 1
                found, expected = (tuple(None if a == whole_day else a for a in _answers(rule, d, ctx))
                                   for d in (attached, debtor))
                assert found == expected, (rule.id, ctx.plan_date, seed)
    assert quiet


def test_judge_finds_violations_to_compare():
    """The generated cases above are not all empty answers: over a few seeds, judge and check
    agree on hundreds of violations."""
    found = 0
    for seed in range(12):
        rng = random.Random(seed)
        packs = PackSet([parse_pack(_pack(rng, "BR"), "br.toml")])
        debtor = make_debtor("D1", region="SP", home="+551135550101")
        history = _attempts(rng, debtor, 40, "S")
        attached = attach_store_data([debtor], StoreData({"D1": history}))[0]
        logged = [as_contact(a, attached) for a in history]
        for rule in (r for r in packs.packs[0].rules if r.kind in _judge_kinds()):
            ctx = Context(START.date(), CALENDARS)
            expected = rule.check(attached, logged, ctx)
            assert rule.judge(attached, logged, ctx) == expected
            found += len(expected)
    assert found > 100


def _memo_kinds() -> list[Rule]:
    return [r for p in PACKS.packs for r in p.rules if r.contact_wise and type(r).memo_key is not Rule.memo_key]


def test_a_memo_key_holds_everything_check_reads():
    """For each rule with a memo_key: a debtor of the random worlds and another made from a
    different debtor that takes, field by field, the first one's zones, place or preferred window
    or keeps its own. Whenever the two share the key, check() must say the same of the same
    contact to either, and to another contact of the same channel and window (its destination,
    pool, value and attempt are not in the audit's key: audit.verdicts)."""
    assert {r.kind for r in _memo_kinds()} == {"calling_hours", "preferred_window", "holidays"}
    memo_kinds = _memo_kinds()
    rng = random.Random(3)
    compared = differing = 0
    for seed, day in ((21, DATES[0]), (22, DATES[1]), (23, DATES[6])):
        contacts, by_id, _, _ = _world(seed, day)
        calendars = _calendars(day, True)
        ctx = Context(day, calendars)
        debtors = list(by_id.values())
        for c in contacts[:400]:
            first = by_id.get(c.debtor_id)
            if first is None or not PACKS.covers(first.country):
                continue
            donor = rng.choice(debtors)
            fields = {f: getattr(first if rng.random() < 0.7 else donor, f)
                      for f in ("zones", "country", "region", "municipality_code", "preferred_window")}
            second = dataclasses.replace(donor, debtor_id=first.debtor_id, **fields)
            for rule in (r for r in PACKS.rules_for(first, day) if r in memo_kinds):
                if rule.memo_key(first, ctx) != rule.memo_key(second, ctx):
                    continue
                said = [v.message for v in rule.check(first, [c], ctx)]
                assert [v.message for v in rule.check(second, [c], ctx)] == said, rule.id
                other = dataclasses.replace(c, debtor_id=second.debtor_id, pool=rng.choice(["", "late", "p9"]),
                                            destination=rng.choice([d.address for d in second.destinations]
                                                                   or ["+5511900000000"]),
                                            rank=rng.randint(1, 9), expected_value=Decimal(rng.randint(0, 99)),
                                            attempted_at=rng.choice([None, c.window_start]))
                assert [v.message for v in rule.check(second, [other], ctx)] == said, rule.id
                compared += 1
                differing += second != first
    assert compared > 1000 and differing > 500


def test_the_audit_remembers_verdicts_only_through_memo_key():
    """audit.verdicts gives what check() gives, for a contact-wise kind with a memo key (asked
    twice: the second answer comes from the memo) and for any other (judge)."""
    day = DATES[0]
    contacts, by_id, _, _ = _world(5, day)
    ctx = Context(day, _calendars(day, True))
    by_debtor: dict[str, list[PlannedContact]] = {}
    for c in contacts:
        by_debtor.setdefault(c.debtor_id, []).append(c)
    for debtor_id, planned in by_debtor.items():
        debtor = by_id.get(debtor_id)
        if debtor is None or not PACKS.covers(debtor.country):
            continue
        for rule in PACKS.rules_for(debtor, day):
            expected = rule.check(debtor, planned, ctx)
            assert audit.verdicts(rule, debtor, planned, ctx) == expected
            assert audit.verdicts(rule, debtor, planned, ctx) == expected
