"""plan --workers: the day cut into parts that share no capacity (exact), or whose shared
channel limits are coordinated by prices (a plan that keeps every limit, with a proven bound)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.config import load_config
from contactplan.generate import write_portfolio
from contactplan.model import Channel, Config, Destination, LineType, Pool
from contactplan.planner import build_plan, load_inputs
from contactplan.solver import parts
from contactplan.solver.driver import TimeLimitReached, optimise
from contactplan.solver.flow import Coupling, SolveStatus
from contactplan.solver.options import OptionBlock, Options, ShapeBook

N_SLOTS = 6
WINDOW = (dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 12, 30, tzinfo=dt.UTC))
DEST = Destination("+5511987654321", LineType.MOBILE, True)


def _portfolios(seed: int, groups: int = 3, debtors: int = 60, free: int = 20) -> tuple[Options, list[Pool]]:
    """``groups`` portfolios, each with two pools of its own (a debtor may be called by one or
    both), automated channels for everyone, and ``free`` debtors with e-mail and SMS only."""
    rng = random.Random(seed)
    book = ShapeBook()
    pools = [Pool(f"g{g}{x}", frozenset({"*"}), frozenset(), tuple(rng.randint(0, 4) for _ in range(N_SLOTS)))
             for g in range(groups) for x in "ab"]

    def shape(channel: Channel, cost: float):
        slots = sorted(rng.sample(range(N_SLOTS), rng.randint(1, 4)))
        return book.add(channel, [(s, WINDOW, rng.choice((0.7, 0.85, 1.0))) for s in slots],
                        {Channel.VOICE: 1.0, Channel.IVR: 0.35, Channel.SMS: 0.2, Channel.WHATSAPP: 0.3,
                         Channel.EMAIL: 0.1}[channel], cost)

    blocks, d = [], 0
    for g in range(groups):
        for _ in range(debtors):
            value = round(rng.uniform(5, 500), 2)
            served = rng.choice(((f"g{g}a",), (f"g{g}b",), (f"g{g}a", f"g{g}b")))
            blocks.append(OptionBlock(d, Channel.VOICE, DEST, served, (), shape(Channel.VOICE, 2.0), value))
            for channel, cost in ((Channel.IVR, 0.3), (Channel.WHATSAPP, 0.05), (Channel.SMS, 0.08)):
                if rng.random() < 0.7:
                    blocks.append(OptionBlock(d, channel, DEST, (), (), shape(channel, cost), value))
            d += 1
    for _ in range(free):
        value = round(rng.uniform(5, 500), 2)
        blocks.append(OptionBlock(d, Channel.EMAIL, DEST, (), (), shape(Channel.EMAIL, 0.01), value))
        blocks.append(OptionBlock(d, Channel.SMS, DEST, (), (), shape(Channel.SMS, 0.08), value))
        d += 1
    return Options(blocks=blocks, shapes=book.shapes), pools


def _limited(**limits: tuple[int | None, int | None]) -> Config:
    """Config with (per_slot, per_day) limits on the named channels."""
    channels = dict(Config().channels)
    for name, (per_slot, per_day) in limits.items():
        channels[Channel(name)] = dataclasses.replace(channels[Channel(name)], per_slot=per_slot, per_day=per_day)
    return Config(channels=channels, max_gap=0.0)


def _keeps_capacity(solution, opts: Options, pools: list[Pool], config: Config) -> None:
    """One contact per debtor; calls within their pool's seats; channels within their limits."""
    blocks = opts.blocks
    assert len({blocks[b].debtor for b, _ in solution.chosen}) == len(solution.chosen)
    seats = Counter((solution.pool_of[(b, k)], blocks[b].shape.slots[k]) for b, k in solution.chosen
                    if blocks[b].pools)
    capacity = {(p.name, s): c for p in pools for s, c in enumerate(p.capacity)}
    assert all(n <= capacity[key] for key, n in seats.items())
    per_slot = Counter((blocks[b].channel, blocks[b].shape.slots[k]) for b, k in solution.chosen)
    per_day = Counter(blocks[b].channel for b, _ in solution.chosen)
    for channel, cc in config.channels.items():
        if cc.per_slot is not None:
            assert all(per_slot[(channel, s)] <= cc.per_slot for s in range(N_SLOTS))
        if cc.per_day is not None:
            assert per_day[channel] <= cc.per_day


def _value(solution, opts: Options) -> float:
    return sum(round(opts.blocks[b].option(k).value, 2) for b, k in solution.chosen)


@pytest.mark.parametrize("seed", range(6))
def test_parts_without_shared_capacity_are_exact(seed):
    opts, pools = _portfolios(seed)
    config = Config(max_gap=0.0)
    cut = parts.split(opts, config, 2)
    assert len(cut.parts) == 2 and not cut.shared
    # No pool is in two parts, and every debtor is in one part with all its options.
    pools_of = [{p for i in part for p in opts.blocks[i].pools} for part in cut.parts]
    assert not pools_of[0] & pools_of[1]
    debtors_of = [{opts.blocks[i].debtor for i in part} for part in cut.parts]
    assert not debtors_of[0] & debtors_of[1]
    assert sorted(i for part in cut.parts for i in part.tolist()) == list(range(len(opts.blocks)))
    whole = optimise(opts, N_SLOTS, pools, config)
    for workers in (2, 3):
        split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, workers)
        assert split.status is SolveStatus.OPTIMAL
        assert split.objective == pytest.approx(whole.objective, abs=1e-6) == pytest.approx(split.bound, abs=1e-6)
        assert "exact decomposition" in split.note
        _keeps_capacity(split, opts, pools, config)
        assert split.objective == pytest.approx(_value(split, opts), abs=0.005 * len(split.chosen))


def test_a_channel_limit_used_by_one_part_only_keeps_the_parts_exact():
    opts, pools = _portfolios(1, free=0)
    # E-mail is limited but only the free debtors use it, and there are none: nothing is shared.
    cut = parts.split(opts, _limited(email=(1, 1)), 2)
    assert len(cut.parts) == 2 and not cut.shared


@pytest.mark.parametrize("seed", range(8))
def test_shared_channel_limits_are_priced_and_the_plan_keeps_them(seed):
    opts, pools = _portfolios(seed, groups=2)
    config = dataclasses.replace(_limited(whatsapp=(None, 15), ivr=(4, None), sms=(3, 25)), max_gap=0.01)
    cut = parts.split(opts, config, 2)
    # The limits join everything; cut by pools, the two portfolios share three channels.
    assert len(cut.parts) == 2 and set(cut.shared) == {Channel.WHATSAPP, Channel.IVR, Channel.SMS}
    optimum = optimise(opts, N_SLOTS, pools, dataclasses.replace(config, max_gap=0.0)).objective
    split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, 2)
    _keeps_capacity(split, opts, pools, config)
    assert split.objective == pytest.approx(_value(split, opts), abs=0.005 * len(split.chosen))
    assert split.objective <= optimum + 1e-6 <= split.bound + 2e-6
    assert split.gap <= config.max_gap
    assert "coordinated by prices" in split.note or "solved as one network" in split.note


def test_coordination_that_misses_the_gap_solves_the_day_as_one(monkeypatch):
    opts, pools = _portfolios(3, groups=2)
    config = dataclasses.replace(_limited(whatsapp=(None, 5), sms=(1, 4)), max_gap=0.0001)
    monkeypatch.setattr(parts, "ROUNDS", 1)
    split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, 2)
    assert "did not reach the gap" in split.note  # the case under test really happens
    whole = optimise(opts, N_SLOTS, pools, config)
    assert split.objective == pytest.approx(whole.objective, abs=1e-6) and split.gap <= config.max_gap
    _keeps_capacity(split, opts, pools, config)


def test_a_proven_optimum_is_not_left_to_prices():
    opts, pools = _portfolios(3, groups=2)
    config = _limited(whatsapp=(None, 5), sms=(1, 4))  # max_gap 0
    split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, 2)
    assert "proven optimum was asked" in split.note and split.status is SolveStatus.OPTIMAL
    assert split.objective == pytest.approx(optimise(opts, N_SLOTS, pools, config).objective, abs=1e-6)


def test_time_running_out_mid_coordination_keeps_the_plan_in_hand(monkeypatch):
    """A later round's parts start after the deadline (TimeLimitReached in the workers): the
    best coordinated plan so far is the answer, with its own gap stated, not exit 3."""
    real = parts.optimise

    def late(opts, n_slots, pools, config, deadline=None, coupling=None):
        priced = coupling is not None and (any(coupling.day_price.values())
                                           or any(p.any() for p in coupling.slot_price.values()))
        if priced:  # rounds after the first are priced: by then the time is up
            raise TimeLimitReached("the time limit was reached before optimising")
        return real(opts, n_slots, pools, config, deadline, coupling)

    monkeypatch.setattr(parts, "optimise", late)
    opts, pools = _portfolios(3, groups=2)
    config = dataclasses.replace(_limited(whatsapp=(None, 5), sms=(1, 4)), max_gap=0.0001)
    split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, 2)
    assert "time limit reached" in split.note and "coordinated by prices in 1 round(s)" in split.note
    assert split.gap > config.max_gap and split.objective <= split.bound  # stated, not hidden
    _keeps_capacity(split, opts, pools, config)
    optimum = real(opts, N_SLOTS, pools, dataclasses.replace(config, max_gap=0.0)).objective
    assert split.objective <= optimum + 1e-6 <= split.bound + 2e-6


def test_more_workers_than_books_still_cut_by_books():
    opts, pools = _portfolios(1, groups=2)
    config = dataclasses.replace(_limited(whatsapp=(None, 15)), max_gap=0.01)
    for workers in (2, 4, 8):
        cut = parts.split(opts, config, workers)
        assert len(cut.parts) == 2 and set(cut.shared) == {Channel.WHATSAPP}


def test_priced_bound_holds_for_any_prices():
    """Weak duality, checked directly: whatever the prices, the parts' priced bounds plus price x
    limit are at least the day's optimum."""
    opts, pools = _portfolios(5, groups=2)
    config = _limited(whatsapp=(None, 10), sms=(2, None))
    optimum = optimise(opts, N_SLOTS, pools, config).objective
    cut = parts.split(opts, config, 2)
    rng = random.Random(9)
    for _ in range(5):
        slot_price = {Channel.SMS: np.array([rng.randint(0, 300) for _ in range(N_SLOTS)])}
        day_price = {Channel.WHATSAPP: rng.randint(0, 2000)}
        coupling = Coupling(slot_price=slot_price, day_price=day_price,
                            slot_limit={Channel.SMS: np.full(N_SLOTS, 10**9)}, day_limit={Channel.WHATSAPP: None})
        bound = 0.0
        for part in cut.parts:
            mine = dataclasses.replace(opts, blocks=[opts.blocks[i] for i in part])
            solution, usage = parts.solve_part(mine, N_SLOTS, pools, config, None, coupling)
            # The plan's own value (prices added back), and its use of each channel per slot.
            assert solution.objective == pytest.approx(_value(solution, mine), abs=0.005 * len(solution.chosen))
            assert usage.sum() == len(solution.chosen)
            assert usage[parts.CHANNELS.index(Channel.SMS)].tolist() == [
                sum(1 for b, k in solution.chosen if mine.blocks[b].channel is Channel.SMS
                    and mine.blocks[b].shape.slots[k] == s) for s in range(N_SLOTS)]
            bound += solution.bound
        dual = (int(slot_price[Channel.SMS].sum()) * 2 + day_price[Channel.WHATSAPP] * 10) / 100
        assert bound + dual >= optimum - 1e-6


def test_one_worker_or_one_component_is_the_whole_day():
    opts, pools = _portfolios(2, groups=1, free=0)
    config = Config(max_gap=0.0)
    assert len(parts.split(opts, config, 1).parts) == 1
    assert len(parts.split(opts, config, 4).parts) == 1  # one portfolio: its debtors share the pools
    split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, 4)
    assert "one part" in split.note
    assert split.objective == pytest.approx(optimise(opts, N_SLOTS, pools, config).objective, abs=1e-6)


def test_free_debtors_even_out_the_parts():
    opts, pools = _portfolios(4, groups=2, debtors=30, free=200)
    cut = parts.split(opts, Config(), 2)
    weight = [sum(len(opts.blocks[i].shape.slots) for i in part) for part in cut.parts]
    assert len(cut.parts) == 2 and max(weight) <= parts.BALANCE * sum(weight) / 2
    # Free debtors alone are not a part: with one component they stay with it.
    opts, pools = _portfolios(4, groups=1, debtors=30, free=200)
    assert len(parts.split(opts, Config(), 2).parts) == 1


# --- through the planner and the CLI ---------------------------------------------------------
DAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def two_books(tmp_path_factory):
    """A generated portfolio whose pools serve two books apart (cards and loans; telecom and
    retail), as agencies staff one team per creditor: two components joined only by the
    channel limits of the Brazilian example."""
    inputs = load_inputs(*write_portfolio(tmp_path_factory.mktemp("books"), 2000, seed=21))
    books = {"early": {"cards", "personal_loan"}, "specialists": {"cards", "personal_loan"},
             "late": {"telecom", "retail"}, "weekend": {"telecom", "retail"}}
    agents = [dataclasses.replace(a, segments=frozenset(books[a.pool])) for a in inputs.agents]
    return dataclasses.replace(inputs, agents=agents)


def test_plan_with_workers_is_audited_and_within_the_gap_of_the_whole(two_books):
    config = dataclasses.replace(load_config("examples/br/contactplan.toml"), max_gap=0.005)
    whole = build_plan(two_books, DAY, dataclasses.replace(config, max_gap=0.0))
    for limits in (config, Config(max_gap=0.005)):  # the example's channel limits, then none
        plan = build_plan(two_books, DAY, dataclasses.replace(limits, workers=2))
        assert not plan.violations and plan.provenance["workers"] == "2"
        assert "--workers 2" in plan.solver_note
        assert plan.objective <= plan.bound and plan.gap <= 0.005
        if limits is config:
            assert plan.objective >= whole.objective * (1 - 0.005) - 1e-6
            assert plan.plan_id != build_plan(two_books, DAY, config).plan_id


def test_cli_workers_with_a_horizon_exits_2_before_planning(tmp_path):
    debtors, agents = write_portfolio(tmp_path, 50, seed=3)
    out = tmp_path / "plan.csv"
    r = CliRunner().invoke(app, ["plan", "-d", str(debtors), "-a", str(agents), "--date", "2026-11-24",
                                 "--no-store", "--workers", "2", "--horizon", "3", "-o", str(out)])
    assert r.exit_code == 2 and "--workers" in r.stderr and not out.exists()


def _dying(k, coupling):
    os._exit(3)  # a worker killed (out of memory, say) in the middle of a round


def test_a_worker_that_dies_leaves_the_day_to_one_network(monkeypatch):
    opts, pools = _portfolios(0)
    config = Config(max_gap=0.0)
    monkeypatch.setattr(parts, "_solve_part", _dying)
    split = parts.optimise_in_parts(opts, N_SLOTS, pools, config, None, 2)
    assert "worker process died" in split.note
    assert split.objective == pytest.approx(optimise(opts, N_SLOTS, pools, config).objective, abs=1e-6)


def test_workers_under_a_time_limit_plan_within_it(two_books):
    plan = build_plan(two_books, DAY, Config(max_gap=0.0, workers=2), time_limit=300)
    assert not plan.violations and "--workers 2" in plan.solver_note
    assert plan.objective == pytest.approx(build_plan(two_books, DAY, Config(max_gap=0.0)).objective, abs=1e-6)
