"""The tie between generation and specification: every plan the solver returns passes the audit.

Portfolios come from the generator (every UF, both Amazonas zones, Noronha, flags, consents,
multi-account debtors, US multi-zone states) on random dates, so weekends and holidays occur.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactplan import audit_plan, build_plan, load_inputs
from contactplan.calendars import Calendars
from contactplan.config import Config
from contactplan.generate import AGENT_COLUMNS, DEBTOR_COLUMNS, generate_portfolio
from contactplan.io.plan_csv import read_plan, render
from contactplan.model import Attempt, Channel, ConsentRecord, Direction, Outcome, StoreData, Suppression
from contactplan.planner import with_history
from contactplan.rules.packs import default_packs
from factories import CALENDARS
from suite import examples

PACKS = default_packs()


def _write(directory: Path, name: str, columns, rows) -> Path:
    path = directory / name
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, columns)
        w.writeheader()
        w.writerows(rows)
    return path


def _random_store_data(inputs, day: dt.date, seed: int):
    """Recent attempts (every outcome and direction, some today, calls back asked for today and
    other days), suppressions and dated consent records for a random part of the portfolio."""
    rng = random.Random(seed)
    history, by_debtor, by_destination, consents = {}, {}, {}, {}
    for debtor in inputs.debtors.debtors:
        roll = rng.random()
        if roll < 0.5:
            attempts = []
            for k in range(rng.randrange(1, 14)):
                when = dt.datetime.combine(day - dt.timedelta(days=rng.randrange(0, 12)),
                                           dt.time(rng.randrange(24), rng.randrange(60)), dt.UTC)
                outcome = rng.choice(list(Outcome))
                callback = None
                if outcome is Outcome.CALLBACK_REQUESTED:
                    # Often for the plan day, at any hour (some legal, some not).
                    callback = (dt.datetime.combine(day, dt.time(rng.randrange(24), rng.choice([0, 15, 40])), dt.UTC)
                                if rng.random() < 0.7 else when + dt.timedelta(hours=rng.randrange(1, 48)))
                    callback = max(callback, when)
                attempts.append(Attempt(f"{debtor.debtor_id}-{k}", debtor.debtor_id, rng.choice(list(Channel)),
                                        rng.choice(debtor.destinations).address, when, outcome,
                                        direction=rng.choice(list(Direction)), callback_at=callback))
            history[debtor.debtor_id] = attempts
        elif roll < 0.6:
            by_debtor[debtor.debtor_id] = [Suppression(debtor.debtor_id, "", rng.choice([None, *Channel]), "asked", "t")]
        elif roll < 0.7:
            dest = rng.choice(debtor.destinations).address
            by_destination[dest] = [Suppression("", dest, rng.choice([None, *Channel]), "STOP", "t")]
        if rng.random() < 0.2:
            consents[debtor.debtor_id] = [
                ConsentRecord(f"EV-{debtor.debtor_id}-{k}", debtor.debtor_id, rng.choice(list(Channel)),
                              rng.choice(["", rng.choice(debtor.destinations).address]), rng.random() < 0.5,
                              dt.datetime.combine(day - dt.timedelta(days=rng.randrange(0, 30)), dt.time(9), dt.UTC))
                for k in range(rng.randrange(1, 4))]
    return with_history(inputs, StoreData(history, by_debtor, by_destination, consents))


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 120), seed=st.integers(0, 2**32 - 1), country=st.sampled_from(["BR", "US"]),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), slot=st.sampled_from([15, 30, 60]),
       agent_share=st.floats(0.05, 1.0), with_store=st.booleans(), max_gap=st.sampled_from([0.0, 0.001, 0.05]))
def test_every_solver_plan_passes_the_audit(n, seed, country, day, slot, agent_share, with_store, max_gap):
    debtors, agents = generate_portfolio(n, seed, country)
    agents = agents[:max(1, int(len(agents) * agent_share))]
    with tempfile.TemporaryDirectory() as tmp:
        d = _write(Path(tmp), "debtors.csv", DEBTOR_COLUMNS, debtors)
        a = _write(Path(tmp), "agents.csv", AGENT_COLUMNS, agents)
        inputs = load_inputs(d, a)
    if with_store:
        inputs = _random_store_data(inputs, day, seed)
    config = Config(slot_minutes=slot, min_window_minutes=min(15, slot), max_gap=max_gap)
    plan = build_plan(inputs, day, config, PACKS, baseline=True)  # raises PlanRejected if the self-audit fails
    assert plan.objective <= plan.bound + 1e-9 and plan.gap <= max_gap
    if max_gap == 0:
        assert plan.bound == plan.objective
        assert plan.greedy <= plan.objective + 1e-6  # the optimum is never beaten by the greedy baseline
    else:
        # The stated bound really bounds the optimum (and so the greedy plan too).
        exact = build_plan(inputs, day, dataclasses.replace(config, max_gap=0.0), PACKS)
        assert plan.objective - 1e-6 <= exact.objective <= plan.bound + 1e-6
        assert plan.greedy <= plan.bound + 1e-6
    by_id = {x.debtor_id: x for x in inputs.debtors.debtors}
    if with_store:
        assert any(x.has_store_data for x in by_id.values()) or n < 5
    assert audit_plan(plan.contacts, by_id, PACKS, day, pools=list(plan.pools), slots=list(plan.slots),
                      config=config, calendars=CALENDARS) == []
    assert plan.counts.add_up
    assert plan.counts.read == n
    # The written file, read back, is the same plan and still passes.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.csv"
        path.write_text(render(plan.plan_id, day, plan.contacts), encoding="utf-8")
        plan_date, contacts = read_plan(path)
    assert plan_date in (day, None)
    assert [(c.debtor_id, c.channel, c.destination, c.window_start, c.window_end, c.pool, c.rank, c.rules)
            for c in contacts] == [(c.debtor_id, c.channel, c.destination, c.window_start, c.window_end, c.pool,
                                    c.rank, c.rules) for c in plan.contacts]
    assert audit_plan(contacts, by_id, PACKS, day, calendars=CALENDARS) == []


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 150), seed=st.integers(0, 2**32 - 1), country=st.sampled_from(["BR", "US"]),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), with_store=st.booleans())
def test_shared_recipes_and_windows_change_no_option(n, seed, country, day, with_store):
    """The option builder shares work between debtors with the same rule-relevant facts; the
    options and exclusions must be exactly those of building every debtor on its own."""
    from contactplan.rules.base import Context
    from contactplan.solver import options as options_module
    from contactplan.solver.capacity import build_pools, slot_grid

    debtors, agents = generate_portfolio(n, seed, country)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = load_inputs(_write(Path(tmp), "debtors.csv", DEBTOR_COLUMNS, debtors),
                             _write(Path(tmp), "agents.csv", AGENT_COLUMNS, agents))
    if with_store:
        inputs = _random_store_data(inputs, day, seed)
    found = inputs.debtors.debtors
    config = Config()
    slots = slot_grid(day, {z for d in found for z in d.zones}, config.slot_minutes)
    pools = build_pools(inputs.agents, slots)
    # Municipal holidays today in half the debtors' municipalities (the others share with them).
    codes = sorted({d.municipality_code for d in found if d.municipality_code})
    calendars = Calendars({code: {day: "feriado municipal"}
                           for code in random.Random(seed).sample(codes, len(codes) // 2)})

    def build(share: bool):
        options_module.SHARE_RECIPES = share
        try:
            opts = options_module.build_options(found, PACKS, Context(day, calendars), slots, pools, config)
        finally:
            options_module.SHARE_RECIPES = True
        assert [s.id for s in opts.shapes] == list(range(len(opts.shapes)))
        assert all(opts.shapes[b.shape.id] is b.shape for b in opts.blocks)
        return ([(b.debtor, b.channel, b.destination, b.pools, b.rules, b.shape.slots, b.shape.windows,
                  b.shape.factors, b.value_base) for b in opts.blocks], opts.exclusions, opts.daily_limit,
                opts.rule_index.keys())

    assert build(True) == build(False)


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), country=st.sampled_from(["BR", "US"]),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
def test_rules_skipped_without_store_data_restrict_nothing_without_it(seed, country, day):
    """Rule.only_with_store_data lets the option builder skip a rule for debtors without history
    or suppressions: every generation answer of such a rule must then be 'no restriction'."""
    from contactplan.rules.base import Context
    from contactplan.rules.packs import load_packs

    debtors, agents = generate_portfolio(40, seed, country)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = load_inputs(_write(Path(tmp), "debtors.csv", DEBTOR_COLUMNS, debtors),
                             _write(Path(tmp), "agents.csv", AGENT_COLUMNS, agents))
    ctx = Context(day, CALENDARS)
    packs = load_packs(("br", "us", "br-febraban"))
    skipped = [r for p in packs.packs for r in p.rules if r.only_with_store_data]
    assert {r.kind for r in skipped} >= {"suppression", "min_gap", "conversation_cooldown", "frequency_cap"}
    for debtor in inputs.debtors.debtors:
        assert not debtor.history and not debtor.suppressions
        for rule in skipped:
            assert rule.excludes(debtor, ctx) is None
            for channel in Channel:
                assert rule.channel_blocked(debtor, channel, ctx) is None
                assert rule.allowed(debtor, channel, ctx) is None
                assert all(rule.destination_ok(debtor, channel, d, ctx) is None for d in debtor.destinations)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 100), seed=st.integers(0, 2**32 - 1), country=st.sampled_from(["BR", "US"]),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), hour=st.integers(6, 22),
       minute=st.sampled_from([0, 7, 30, 59]))
def test_an_intra_day_replan_passes_the_audit(n, seed, country, day, hour, minute):
    """An afternoon re-plan (--not-before) after a morning of attempts: no window before it, and
    the audit of the re-plan against the morning's history finds nothing (caps included)."""
    from contactplan.review import review_plan
    from zoneinfo import ZoneInfo

    debtors, agents = generate_portfolio(n, seed, country)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = load_inputs(_write(Path(tmp), "debtors.csv", DEBTOR_COLUMNS, debtors),
                             _write(Path(tmp), "agents.csv", AGENT_COLUMNS, agents))
    site = "America/Sao_Paulo" if country == "BR" else "America/New_York"
    not_before = dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(site))
    rng = random.Random(seed)
    history = {}
    for debtor in inputs.debtors.debtors:
        if rng.random() < 0.6:  # this morning's wave, and some earlier days
            history[debtor.debtor_id] = [
                Attempt(f"{debtor.debtor_id}-{k}", debtor.debtor_id, rng.choice(list(Channel)),
                        rng.choice(debtor.destinations).address,
                        not_before - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * (1 + k % 3))),
                        rng.choice(list(Outcome)))
                for k in range(rng.randrange(1, 6))]
    inputs = with_history(inputs, StoreData(history))
    config = Config(report_timezone=site)
    plan = build_plan(inputs, day, config, PACKS, not_before=not_before)
    assert all(c.window_start >= not_before for c in plan.contacts)
    report = review_plan(list(plan.contacts), day, inputs.debtors, PACKS, source="replan", store_data=StoreData(history),
                         config=config, calendars=CALENDARS, not_before=not_before)
    assert report.violations == []
    assert plan.counts.add_up


def _random_model(rng: random.Random, by_segment: bool):
    """A model file's content: random learned cells for a random part of the channels and hours."""
    from contactplan.outcomes.learned import Cell, Model

    cells = {}
    for channel in Channel:
        for hour in range(24):
            for segment in (("cards", "telecom", "retail", "personal_loan", "") if by_segment else (None,)):
                if rng.random() < 0.4:
                    attempts = rng.randrange(1, 500)
                    rpc = rng.randrange(0, attempts + 1)
                    promises = rng.randrange(0, rpc + 1)
                    cells[(channel, hour, segment)] = Cell(channel, hour, segment, attempts, rpc, promises,
                                                           rng.random(), rng.random())
    by = ("channel", "hour", "segment") if by_segment else ("channel", "hour")
    return Model(by, "2026-01-01", "2026-01-31", "x", 20.0, Channel.VOICE, rng.uniform(0.001, 0.3), cells,
                 sha256=f"{rng.random()}")


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 150), seed=st.integers(0, 2**32 - 1), country=st.sampled_from(["BR", "US"]),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), percent=st.sampled_from([0.5, 10, 33.3, 50, 100]),
       holdout_seed=st.integers(0, 99), agent_share=st.floats(0.05, 1.0), with_model=st.booleans(),
       by_segment=st.booleans(), per_day=st.sampled_from([None, 0, 1, 7, 40]), with_store=st.booleans())
def test_plans_with_a_holdout_or_a_model_pass_the_audit(n, seed, country, day, percent, holdout_seed, agent_share,
                                                        with_model, by_segment, per_day, with_store):
    """The holdout's two arms share the capacity without ever exceeding it, each contact carries
    the arm of its debtor's hash, and a learned model (any cells) changes values, never the rules."""
    from contactplan.config import ChannelConfig
    from contactplan.outcomes.holdout import CHALLENGER, CHAMPION, arm_of
    from contactplan.planner import Holdout

    debtors, agents = generate_portfolio(n, seed, country)
    agents = agents[:max(1, int(len(agents) * agent_share))]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = load_inputs(_write(Path(tmp), "debtors.csv", DEBTOR_COLUMNS, debtors),
                             _write(Path(tmp), "agents.csv", AGENT_COLUMNS, agents))
    if with_store:
        inputs = _random_store_data(inputs, day, seed)
    rng = random.Random(seed)
    channels = dict(Config().channels)
    channels[Channel.WHATSAPP] = ChannelConfig(cost=0.05, effectiveness=0.3, per_day=per_day,
                                               per_slot=None if per_day is None else max(1, per_day // 3))
    config = Config(channels=channels, model=_random_model(rng, by_segment) if with_model else None)
    plan = build_plan(inputs, day, config, PACKS, holdout=Holdout(percent, holdout_seed))  # self-audited
    by_id = {x.debtor_id: x for x in inputs.debtors.debtors}
    assert audit_plan(plan.contacts, by_id, PACKS, day, pools=list(plan.pools), slots=list(plan.slots),
                      config=config, calendars=CALENDARS) == []
    assert all(c.arm == arm_of(c.debtor_id, holdout_seed, percent) for c in plan.contacts)
    assert plan.arms[CHAMPION] + plan.arms[CHALLENGER] == len(inputs.debtors.debtors)
    if per_day is not None:
        assert sum(1 for c in plan.contacts if c.channel is Channel.WHATSAPP) <= per_day
    if with_model:
        learned, fallback = plan.model_options
        assert learned + fallback >= len(plan.contacts) - plan.callbacks_booked
    assert plan.counts.add_up
