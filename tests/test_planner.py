"""build_plan end to end on small, hand-made portfolios."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from contactplan import audit_plan, build_plan
from contactplan.config import ChannelConfig, Config
from contactplan.errors import PlanRejected
from contactplan.model import Channel, Slot
from contactplan.rules.packs import default_packs
from contactplan.solver import flow
from contactplan.solver.capacity import agent_contacts_in, build_pools, slot_grid
from contactplan.solver.options import OptionBlock
from factories import CALENDARS, SUNDAY, TUESDAY, make_agent, make_debtor, make_inputs

PACKS = default_packs()
UTC = dt.UTC
VOICE_ONLY = Config(channels={**Config().channels, **{ch: ChannelConfig(enabled=False)
                                                      for ch in (Channel.IVR, Channel.SMS, Channel.WHATSAPP,
                                                                 Channel.EMAIL)}})


def test_acre_and_sao_paulo_get_windows_in_their_own_local_time():
    sp = make_debtor("SP1", region="SP", email=None)
    ac = make_debtor("AC1", region="AC", mobile="+5568999123456", email=None)
    plan = build_plan(make_inputs([sp, ac], [make_agent(per_hour=10)]), TUESDAY, packs=PACKS)
    by_id = {c.debtor_id: c for c in plan.contacts}
    assert set(by_id) == {"SP1", "AC1"}
    for debtor, zone in ((sp, "America/Sao_Paulo"), (ac, "America/Rio_Branco")):
        c = by_id[debtor.debtor_id]
        assert c.timezone == zone
        local_start, local_end = c.window_start.astimezone(ZoneInfo(zone)), c.window_end.astimezone(ZoneInfo(zone))
        assert local_start.time() >= dt.time(8, 0)
        assert local_end.time() <= dt.time(19, 55)
    # The agents sit in Sao Paulo (08:00-20:00 there = 11:00-23:00 UTC); Acre opens at 13:00 UTC.
    assert by_id["AC1"].window_start >= dt.datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("day", "sp_planned"), [
    (dt.date(2026, 7, 8), True), (dt.date(2026, 7, 9), False), (dt.date(2026, 7, 10), True)])
def test_sao_paulo_holiday_excludes_sp_not_rj(day, sp_planned):
    sp = make_debtor("SP1", region="SP")
    rj = make_debtor("RJ1", region="RJ", mobile="+5521987654321")
    plan = build_plan(make_inputs([sp, rj], [make_agent()]), day, packs=PACKS)
    planned = {c.debtor_id for c in plan.contacts}
    assert "RJ1" in planned
    assert ("SP1" in planned) is sp_planned
    if not sp_planned:
        (ex,) = plan.exclusions
        assert ex.debtor_id == "SP1"
        assert ex.rule_id in ("br.default.holidays", "br.sp.holidays")
        assert "Lei" in ex.citation or "CDC" in ex.citation
        assert ex.next_eligible == dt.date(2026, 7, 10)


def test_sunday_excludes_everyone_until_monday():
    debtors = [make_debtor("SP1"), make_debtor("AC1", region="AC", mobile="+5568999123456")]
    plan = build_plan(make_inputs(debtors, [make_agent(days=range(7))]), SUNDAY, packs=PACKS)
    assert plan.contacts == ()
    assert {e.next_eligible for e in plan.exclusions} == {SUNDAY + dt.timedelta(days=1)}
    assert plan.counts.add_up and plan.counts.excluded == 2


def test_flags_exclude_with_rule_and_citation():
    debtors = [make_debtor(f"D{flag}", flags=frozenset({flag}))
               for flag in ("do_not_contact", "cease_and_desist", "deceased", "bankruptcy", "disputed")]
    plan = build_plan(make_inputs(debtors, [make_agent()]), TUESDAY, packs=PACKS)
    assert plan.contacts == ()
    assert len(plan.exclusions) == 5
    assert all(e.rule_id.startswith("br.") and e.citation and e.next_eligible is None for e in plan.exclusions)


def test_capacity_is_never_exceeded_and_the_rest_are_accounted_for():
    debtors = [make_debtor(f"D{i:03d}", balance=str(100 + i), email=None) for i in range(60)]
    agent = make_agent(start="09:00", end="11:00", per_hour=4)  # 8 calls, 2 per half hour
    plan = build_plan(make_inputs(debtors, [agent]), TUESDAY, VOICE_ONLY, PACKS)
    per_slot = Counter(c.window_start for c in plan.contacts)
    assert len(plan.contacts) == 8 and set(per_slot.values()) == {2}
    assert plan.counts.planned == 8 and plan.counts.excluded == 52 and plan.counts.add_up
    # The optimiser keeps the most valuable debtors (largest balances at equal p_pay).
    assert {c.debtor_id for c in plan.contacts} == {f"D{i:03d}" for i in range(52, 60)}
    assert Counter(e.rule_id for e in plan.exclusions) == {"capacity.not_selected": 52}


def test_channel_daily_limit_from_config():
    debtors = [make_debtor(f"D{i}", mobile=None) for i in range(10)]
    config = Config(channels={**Config().channels, Channel.EMAIL: ChannelConfig(cost=0.01, effectiveness=0.08,
                                                                              per_day=3)})
    plan = build_plan(make_inputs(debtors, []), TUESDAY, config, PACKS)
    assert len(plan.contacts) == 3 and {c.channel for c in plan.contacts} == {Channel.EMAIL}


def test_agent_capacity_honours_break_and_site_zone():
    agent = make_agent(timezone="America/Manaus", start="08:00", end="12:00", per_hour=10,
                       break_start="10:00", break_end="10:30")
    slots = slot_grid(TUESDAY, {"America/Sao_Paulo", "America/Manaus"}, 30)
    by_start = {s.start: s for s in slots}

    def at(h, m):
        return agent_contacts_in(agent, by_start[dt.datetime(2026, 11, 24, h, m, tzinfo=UTC)])
    assert at(11, 30) == 0  # 07:30 Manaus, before the shift
    assert at(12, 0) == 5  # 08:00 Manaus
    assert at(14, 0) == 0  # 10:00 Manaus, break
    assert at(14, 30) == 5
    assert at(16, 0) == 0  # 12:00 Manaus, shift over
    (pool,) = build_pools([agent], slots)
    assert sum(pool.capacity) == 35


def test_self_audit_refuses_an_illegal_plan(monkeypatch):
    """If option generation were wrong, the independent audit stops the plan: nothing to write."""
    import contactplan.planner as planner

    real = planner.build_options

    def broken(*args, **kwargs):
        opts = real(*args, **kwargs)
        for b in opts.blocks:
            b.shape = dataclasses.replace(b.shape, windows=tuple((s + dt.timedelta(hours=12), e + dt.timedelta(hours=12))
                                                                 for s, e in b.shape.windows))
        return opts

    monkeypatch.setattr(planner, "build_options", broken)
    with pytest.raises(PlanRejected, match="violation"):
        build_plan(make_inputs([make_debtor()], [make_agent()]), TUESDAY, packs=PACKS)


def test_plan_is_deterministic():
    debtors = [make_debtor(f"D{i}", balance=str(500 + 7 * i)) for i in range(30)]
    a = build_plan(make_inputs(debtors, [make_agent()]), TUESDAY, packs=PACKS)
    b = build_plan(make_inputs(debtors, [make_agent()]), TUESDAY, packs=PACKS)
    assert a.plan_id == b.plan_id and a.contacts == b.contacts
    c = build_plan(make_inputs(debtors, [make_agent()]), TUESDAY + dt.timedelta(days=1), packs=PACKS)
    assert c.plan_id != a.plan_id


def test_rank_orders_each_queue_by_value():
    debtors = [make_debtor(f"D{i}", balance=str(100 * (i + 1)), email=None) for i in range(6)]
    plan = build_plan(make_inputs(debtors, [make_agent(start="09:00", end="09:30", per_hour=12)]), TUESDAY,
                      packs=PACKS)
    queue = [c for c in plan.contacts if c.channel is Channel.VOICE]
    assert [c.rank for c in queue] == list(range(1, 7))
    assert [c.expected_value for c in queue] == sorted((c.expected_value for c in queue), reverse=True)


# --- the flow model is optimal: compare with brute force on tiny instances --------------------
def _brute_force(options, debtors, capacity):
    """Best value over every choice of at most one (option, pool) per debtor within capacity."""
    alternatives = {d: [None] for d in range(debtors)}
    for k, o in enumerate(options):
        for pool in o.pools or ("",):
            alternatives[o.debtor].append((k, pool))
    best = 0.0
    for pick in itertools.product(*alternatives.values()):
        chosen = [p for p in pick if p is not None]
        use = Counter((pool, options[k].slot) for k, pool in chosen if pool)
        if all(n <= capacity[key] for key, n in use.items()):
            best = max(best, sum(options[k].value for k, _ in chosen))
    return best


def _random_blocks(seed: int, debtors: int, values: tuple[float, float]):
    """Tiny instances: each debtor gets one to three blocks cut from a few shared shapes (so that
    debtors have identical options and binning can group them) and its own value base."""
    import random

    from contactplan.model import Destination, LineType, Pool
    from contactplan.solver.options import ShapeBook

    rng = random.Random(seed)
    n_slots = 2
    pools = [Pool("p", frozenset({"*"}), frozenset(), (1, 1)), Pool("q", frozenset({"*"}), frozenset(), (1, 0))]
    dest = Destination("+5511987654321", LineType.MOBILE, True)
    book = ShapeBook()
    window = (dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 12, 30, tzinfo=dt.UTC))
    templates = []
    for channel, cost in ((Channel.VOICE, 2.0), (Channel.SMS, 0.1)):
        for slots in ((0,), (1,), (0, 1)):
            shape = book.add(channel, [(s, window, rng.choice((0.8, 1.0))) for s in slots], 1.0, cost)
            for served in ((("p",), ("q",), ("p", "q")) if channel is Channel.VOICE else ((),)):
                templates.append((shape, served))
    blocks = []
    for d in range(debtors):
        value_base = round(rng.uniform(*values), 2)
        for shape, served in rng.sample(templates, rng.randint(1, 3)):
            blocks.append(OptionBlock(d, shape.channel, dest, served, (), shape, value_base))
    capacity = {(p.name, s): c for p in pools for s, c in enumerate(p.capacity)}
    options = [(b, k) for b, blk in enumerate(blocks) for k in range(len(blk.shape.slots))]
    return blocks, book.shapes, pools, n_slots, capacity, options


def _check_solution(solution, blocks, capacity):
    """At most one contact per debtor; every agent call has a pool of its class within capacity."""
    assert len({blocks[b].debtor for b, _ in solution.chosen}) == len(solution.chosen)
    calls = [(b, k) for b, k in solution.chosen if blocks[b].pools]
    assert sorted(solution.pool_of) == sorted(calls)
    assert all(solution.pool_of[(b, k)] in blocks[b].pools for b, k in calls)
    use = Counter((solution.pool_of[(b, k)], blocks[b].shape.slots[k]) for b, k in calls)
    assert all(n <= capacity[key] for key, n in use.items())


@pytest.mark.parametrize("seed", range(12))
def test_flow_matches_brute_force(seed):
    blocks, shapes, pools, n_slots, capacity, pairs = _random_blocks(seed, 4, (0.5, 50))
    options = [blocks[b].option(k) for b, k in pairs]
    solution = flow.solve(blocks, shapes, n_slots, pools, Config())
    assert solution.status is flow.SolveStatus.OPTIMAL and solution.bound == solution.objective
    assert solution.objective == pytest.approx(_brute_force(options, 4, capacity), abs=0.005 * 4)
    _check_solution(solution, blocks, capacity)


@pytest.mark.parametrize("seed", range(12))
def test_binned_flow_is_within_its_proven_bound(seed):
    """Debtors with close value bases share a node: the plan is still valid, worth at most the true
    optimum, and the bound it states is at least the true optimum."""
    blocks, shapes, pools, n_slots, capacity, pairs = _random_blocks(seed, 6, (20, 24))
    options = [blocks[b].option(k) for b, k in pairs]
    best = _brute_force(options, 6, capacity)
    solution = flow.solve(blocks, shapes, n_slots, pools, Config(), bin_width=0.3)
    assert solution.objective <= best + 0.005 * 6
    assert solution.bound >= best - 0.005 * 6
    assert solution.gap == pytest.approx((solution.bound - solution.objective) / solution.bound)
    assert solution.status is (flow.SolveStatus.OPTIMAL if solution.bound == solution.objective
                               else flow.SolveStatus.FEASIBLE)
    _check_solution(solution, blocks, capacity)


def test_binned_flow_gives_a_group_s_units_to_its_most_valuable_debtors():
    from contactplan.model import Destination, LineType, Pool
    from contactplan.solver.options import ShapeBook

    window = (dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 12, 30, tzinfo=dt.UTC))
    book = ShapeBook()
    shape = book.add(Channel.VOICE, [(0, window, 1.0), (1, window, 0.8)], 1.0, 0.0)
    pools = [Pool("p", frozenset({"*"}), frozenset(), (1, 1))]
    dest = Destination("+5511987654321", LineType.MOBILE, True)
    blocks = [OptionBlock(d, Channel.VOICE, dest, ("p",), (), shape, v) for d, v in enumerate((100.0, 103.0, 101.0))]
    solution = flow.solve(blocks, book.shapes, 2, pools, Config(), bin_width=0.05)
    assert solution.groups == 1
    # Two seats: the 103 debtor in the better slot (factor 1.0), the 101 debtor in the other.
    assert sorted(solution.chosen) == [(1, 0), (2, 1)]
    assert solution.objective == pytest.approx(103 + 101 * 0.8)
    assert solution.bound == pytest.approx(103 + 103 * 0.8)


def test_solver_refuses_a_debtor_split_over_runs():
    """Binning relies on a debtor's blocks being consecutive (the option builder's order)."""
    blocks, shapes, pools, n_slots, _, _ = _random_blocks(1, 3, (1, 2))
    shuffled = [*blocks[1:], blocks[0]] if blocks[0].debtor == blocks[1].debtor else [*blocks, blocks[0]]
    with pytest.raises(ValueError, match="consecutive"):
        flow.solve(shuffled, shapes, n_slots, pools, Config())


def test_audit_catches_overbooked_pool():
    debtors = [make_debtor(f"D{i}", email=None) for i in range(3)]
    plan = build_plan(make_inputs(debtors, [make_agent(start="09:00", end="09:30", per_hour=4)]), TUESDAY,
                      VOICE_ONLY, PACKS)
    assert len(plan.contacts) == 2
    (left_out,) = {"D0", "D1", "D2"} - {c.debtor_id for c in plan.contacts}
    extra = dataclasses.replace(plan.contacts[0], debtor_id=left_out)
    found = audit_plan([*plan.contacts, extra], {d.debtor_id: d for d in debtors}, PACKS, TUESDAY,
                       pools=list(plan.pools), slots=list(plan.slots), config=plan.config, calendars=CALENDARS)
    assert [v.rule_id for v in found] == ["audit.capacity"]


def test_slot_grid_covers_every_local_day():
    slots = slot_grid(TUESDAY, {"America/Noronha", "America/Rio_Branco"}, 30)
    assert slots[0].start == dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # midnight UTC-2
    assert slots[-1].end == dt.datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # midnight UTC-5
    assert all(isinstance(s, Slot) and s.end - s.start == dt.timedelta(minutes=30) for s in slots)


# --- municipal holidays from the user's file: day before / of / after, one city and not the next ----
@pytest.mark.parametrize(("day", "capital_planned"), [
    (dt.date(2027, 1, 22), True), (dt.date(2027, 1, 25), False), (dt.date(2027, 1, 26), True)])
def test_municipal_holiday_in_one_city_only(tmp_path, day, capital_planned):
    from contactplan.calendars import read_municipal_holidays

    path = tmp_path / "municipal.csv"
    path.write_text("municipality_code,date,name\n3550308,2027-01-25,Aniversário de São Paulo\n", encoding="utf-8")
    calendars = read_municipal_holidays(str(path))
    capital = make_debtor("SAO", region="SP", municipality_code="3550308")
    campinas = make_debtor("CPS", region="SP", municipality_code="3509502")
    plan = build_plan(make_inputs([capital, campinas], [make_agent()]), day, packs=PACKS, calendars=calendars)
    planned = {c.debtor_id for c in plan.contacts}
    assert "CPS" in planned and ("SAO" in planned) is capital_planned
    if not capital_planned:
        (ex,) = plan.exclusions
        assert ex.rule_id in ("br.default.holidays", "br.sp.holidays") and ex.next_eligible == dt.date(2027, 1, 26)
        found = audit_plan([dataclasses.replace(plan.contacts[0], debtor_id="SAO")], {"SAO": capital}, PACKS, day,
                           calendars=calendars)
        assert any("municipality 3550308" in v.message for v in found)


def test_bad_municipal_file_names_line_and_column(tmp_path):
    from contactplan.calendars import read_municipal_holidays
    from contactplan.errors import InputError

    path = tmp_path / "municipal.csv"
    path.write_text("municipality_code,date,name\n3550308,2027-01-25,ok\n355030,2027-01-25,short\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"municipal.csv:3:1: municipality_code:"):
        read_municipal_holidays(str(path))


@pytest.mark.parametrize(("start", "end", "brk"), [("08:00", "14:00", None), ("22:00", "06:00", ("02:00", "02:30")),
                                                   ("00:00", "24:00", ("12:00", "13:00")),
                                                   ("13:00", "21:00", ("17:00", "17:15"))])
@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "America/Manaus", "America/Los_Angeles"])
@pytest.mark.parametrize("day", [TUESDAY, SUNDAY, dt.date(2027, 3, 14)])
def test_pool_capacity_matches_per_slot_reference(start, end, brk, zone, day):
    from contactplan.solver.capacity import _agent_capacity

    agent = make_agent(start=start, end=end, timezone=zone, days=range(0, 7, 2), per_hour=7,
                       break_start=brk[0] if brk else None, break_end=brk[1] if brk else None)
    slots = slot_grid(day, {"America/Noronha", "America/Rio_Branco", zone}, 30)
    assert _agent_capacity(agent, slots) == pytest.approx([agent_contacts_in(agent, s) for s in slots])


def test_plan_is_in_dialer_order_with_ranks_per_queue(tmp_path):
    from itertools import groupby

    from contactplan.generate import write_portfolio
    from contactplan.planner import load_inputs

    plan = build_plan(load_inputs(*write_portfolio(tmp_path, 3000, seed=2, pools=20)), TUESDAY)
    queues = [(c.window_start, c.channel.value, c.pool) for c in plan.contacts]
    assert queues == sorted(queues) and len(set(queues)) > 50
    for _, group in groupby(plan.contacts, key=lambda c: (c.window_start, c.channel, c.pool)):
        group = list(group)
        assert [c.rank for c in group] == list(range(1, len(group) + 1))
        # Most valuable first (values are rounded to cents here, ties were broken on the exact ones).
        assert [c.expected_value for c in group] == sorted((c.expected_value for c in group), reverse=True)
