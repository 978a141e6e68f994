"""Horizon: today's plan chosen within several days, so a weekly attempt budget is spent where
it is worth most (RCW 19.16.250(13)(a): 3 communications in 7 days in Washington)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections import Counter

import pytest

from contactplan import audit_plan, build_plan
from contactplan.config import ChannelConfig, Config, DEFAULT_CHANNELS
from contactplan.model import Channel, Destination, LineType, Pool
from contactplan.rules.packs import default_packs
from contactplan.solver.horizon import Day, solve_horizon
from contactplan.solver.options import OptionBlock, Options, ShapeBook
from factories import CALENDARS, attempts, make_agent, make_debtor, make_inputs

PACKS = default_packs()
THURSDAY = dt.date(2027, 7, 8)  # Friday 2027-07-09 is a São Paulo state holiday (Revolução Constitucionalista)
VOICE_ONE_A_DAY = Config(channels={c: (ChannelConfig(cost=2.0, per_day=1) if c is Channel.VOICE
                                       else dataclasses.replace(cc, enabled=False))
                                   for c, cc in DEFAULT_CHANNELS.items()})


def _scenario():
    # A (Washington) has used 2 of its 3 attempts this week: one left for today and tomorrow.
    a = make_debtor("A", country="US", region="WA", mobile="+12065550100", email=None, balance="10000")
    a = dataclasses.replace(a, history=attempts(a, [1, 2], plan_day=THURSDAY))
    # B (São Paulo) is worth a little less and cannot be called tomorrow (state holiday).
    b = make_debtor("B", region="SP", email=None, balance="9000")
    agent = make_agent(start="08:00", end="24:00", per_hour=10)
    return make_inputs([a, b], [agent])


def test_one_day_plan_spends_the_budget_today():
    plan = build_plan(_scenario(), THURSDAY, VOICE_ONE_A_DAY, PACKS)
    assert [c.debtor_id for c in plan.contacts] == ["A"]


def test_horizon_calls_b_today_and_keeps_a_s_last_attempt_for_tomorrow():
    config = dataclasses.replace(VOICE_ONE_A_DAY, horizon_days=2)
    plan = build_plan(_scenario(), THURSDAY, config, PACKS)
    assert [c.debtor_id for c in plan.contacts] == ["B"]
    (later,) = [e for e in plan.exclusions if e.debtor_id == "A"]
    assert later.rule_id == "horizon.planned_later" and later.next_eligible == THURSDAY + dt.timedelta(days=1)
    assert "horizon 2 days" in plan.solver_note and "1 contacts on later days" in plan.solver_note
    assert plan.counts.add_up


def test_horizon_plan_passes_the_audit_and_never_plans_more_than_today_allows():
    inputs = _scenario()
    config = dataclasses.replace(VOICE_ONE_A_DAY, horizon_days=3,
                                 channels={**VOICE_ONE_A_DAY.channels, Channel.VOICE: ChannelConfig(cost=2.0)})
    plan = build_plan(inputs, THURSDAY, config, PACKS)
    by_id = {d.debtor_id: d for d in inputs.debtors.debtors}
    assert audit_plan(plan.contacts, by_id, PACKS, THURSDAY, pools=list(plan.pools), slots=list(plan.slots),
                      config=config, calendars=CALENDARS) == []
    assert sorted(c.debtor_id for c in plan.contacts) == ["A", "B"]  # capacity for both: no reason to wait


# --- the horizon flow is optimal: brute force on tiny instances --------------------------------
def _tiny(seed: int, horizon: int):
    rng = random.Random(seed)
    window = (dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 12, 30, tzinfo=dt.UTC))
    dest = Destination("+5511987654321", LineType.MOBILE, True)
    days = []
    for _ in range(horizon):
        pools = [Pool("p", frozenset({"*"}), frozenset(), (rng.randint(0, 1), rng.randint(0, 1)))]
        book, blocks = ShapeBook(), []
        for d in range(3):
            for channel in rng.sample([Channel.VOICE, Channel.SMS], rng.randint(0, 2)):
                slots = rng.choice(((0,), (1,), (0, 1)))
                shape = book.add(channel, [(s, window, rng.choice((0.8, 1.0))) for s in slots], 1.0,
                                 2.0 if channel is Channel.VOICE else 0.1)
                blocks.append(OptionBlock(d, channel, dest, ("p",) if channel is Channel.VOICE else (), (), shape,
                                          round(rng.uniform(5, 50), 2)))
        days.append(Day(Options(blocks=blocks, shapes=book.shapes), 2, pools))
    budgets = {d: sorted(rng.randint(0, horizon) for _ in range(horizon)) for d in range(3) if rng.random() < 0.7}
    return days, budgets


def _brute(days, budgets, discount):
    horizon = len(days)
    per = []  # per (debtor, day): None or (block index, position)
    for d in range(3):
        for j, day in enumerate(days):
            per.append([None, *((b, k) for b, blk in enumerate(day.options.blocks) if blk.debtor == d
                                for k in range(len(blk.shape.slots)))])
    best = 0.0
    for pick in itertools.product(*per):
        ok, value, seats = True, 0.0, Counter()
        for d in range(3):
            made = [pick[d * horizon + j] is not None for j in range(horizon)]
            limit = budgets.get(d, list(range(1, horizon + 1)))
            if any(sum(made[:j + 1]) > limit[j] for j in range(horizon)):
                ok = False
                break
            for j in range(horizon):
                choice = pick[d * horizon + j]
                if choice is None:
                    continue
                blk = days[j].options.blocks[choice[0]]
                value += round(blk.option(choice[1]).value * 100 * discount ** j) / 100
                if blk.pools:
                    seats[(j, blk.shape.slots[choice[1]])] += 1
        if ok and all(n <= days[j].pools[0].capacity[s] for (j, s), n in seats.items()):
            best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_horizon_flow_matches_brute_force(seed):
    days, budgets = _tiny(seed, 2 if seed % 2 else 3)
    found = solve_horizon(days, budgets, Config(), 0.9)
    assert found.objective == pytest.approx(_brute(days, budgets, 0.9), abs=0.011 * 9)
    # Today: at most one contact per debtor, and within the pool's seats.
    assert len({days[0].options.blocks[b].debtor for b, _ in found.chosen}) == len(found.chosen)
    use = Counter(days[0].options.blocks[b].shape.slots[k] for b, k in found.chosen if days[0].options.blocks[b].pools)
    assert all(n <= days[0].pools[0].capacity[s] for s, n in use.items())


def test_config_horizon_keys(tmp_path):
    from contactplan.config import load_config
    from contactplan.errors import InputError

    path = tmp_path / "contactplan.toml"
    path.write_text("horizon_days = 5\nhorizon_discount = 0.8\n")
    cfg = load_config(path)
    assert (cfg.horizon_days, cfg.horizon_discount) == (5, 0.8)
    path.write_text("horizon_days = 8\n")
    with pytest.raises(InputError, match="horizon_days"):
        load_config(path)


def test_cli_horizon(tmp_path):
    from typer.testing import CliRunner

    from contactplan.cli import app
    from contactplan.generate import write_portfolio

    debtors, agents = write_portfolio(tmp_path, 120, seed=4, country="US")
    r = CliRunner().invoke(app, ["plan", "-d", str(debtors), "-a", str(agents), "--date", "2026-11-24",
                                 "--no-store", "--horizon", "3", "-o", str(tmp_path / "plan.csv")])
    assert r.exit_code == 0, r.stderr
    assert "horizon 3 days" in r.stderr and (tmp_path / "plan.csv").exists()


def test_horizon_under_a_time_limit_that_suffices_gives_the_same_plan():
    config = dataclasses.replace(VOICE_ONE_A_DAY, horizon_days=2)
    plan = build_plan(_scenario(), THURSDAY, config, PACKS, time_limit=120)
    assert [c.debtor_id for c in plan.contacts] == ["B"] and "horizon 2 days" in plan.solver_note


def test_horizon_past_the_time_limit_keeps_today_planned_on_its_own(monkeypatch):
    import time

    import contactplan.solver.horizon as horizon

    def slow(*args, **kwargs):
        time.sleep(60)  # in the forked child, stopped at the deadline

    monkeypatch.setattr(horizon, "solve_horizon", slow)
    config = dataclasses.replace(VOICE_ONE_A_DAY, horizon_days=2)
    started = time.perf_counter()
    plan = build_plan(_scenario(), THURSDAY, config, PACKS, time_limit=2)
    assert time.perf_counter() - started < 20
    assert [c.debtor_id for c in plan.contacts] == ["A"]  # the one-day choice
    assert "time limit reached" in plan.solver_note and "today planned on its own" in plan.solver_note
