"""Several days at once, so today's plan spends the weekly attempt budget where it is worth most.

A cap such as "3 communications in any 7 days" (RCW 19.16.250(13)(a)) or "2 in 7 days" (940 CMR
7.04(1)(f)) makes a debtor's attempts this week a scarce resource: contacting a debtor today may
use the last attempt that a better day (a free seat, a better hour) would have used. With a
horizon of N days (N at most the cap's window) the planner solves today and the next N - 1 days
together and writes today's plan only; tomorrow it plans again with tomorrow's history.

Per debtor the network is a chain, exact for nested prefix budgets:

    debtor --(b[N-1])--> Q[N-1] --(b[N-2])--> ... --> Q[0]
                          |                            |
                     (cap 1) day N-1              (cap 1) day 0  --(options of that day)--> day's network

where ``b[j]`` is what the cap leaves for days 0..j after the history in the window ending on day
j (Rule.horizon_budget): the flow into Q[j] is the number of contacts on days 0..j. A cap that
covers only some channels is modelled for a debtor only when every option it has in the horizon
is on those channels; otherwise it is left out of the chain. That can only make the later days of
the model more generous, never today's plan illegal: today's options come from today's rules
(caps counted on the history) and the plan is audited as always.

Later days' values are discounted (``discount ** j``): a payment sooner is worth more, and a
later day's contact is a forecast. The min-cost flow is exact (no bins) and proves the optimum of
this model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from contactplan.calendars import Calendars
from contactplan.i18n import tr
from contactplan.model import Agent, Config, Debtor, Pool
from contactplan.rules.base import Context
from contactplan.rules.packs import PackSet
from contactplan.solver.capacity import build_pools, slot_grid
from contactplan.solver.driver import optimise, run_until
from contactplan.solver.flow import DayNetwork, Solution, SolveStatus, flat_options, top_value, value_scale
from contactplan.solver.options import Options, build_options


@dataclass(frozen=True)
class Day:
    options: Options
    n_slots: int
    pools: list[Pool]


@dataclass(frozen=True)
class HorizonSolution:
    status: SolveStatus
    chosen: list[tuple[int, int]]  # today's (block index, position) in days[0].options
    pool_of: dict[tuple[int, int], str]
    today: float  # value of today's plan, in currency (cent-rounded values)
    objective: float  # value of the whole horizon plan, later days discounted
    later: dict[int, int]  # debtor index -> first later day (offset) planned, for debtors not planned today
    later_contacts: int
    seconds: float
    arcs: int


def solve_horizon(days: list[Day], budgets: dict[int, list[int]], config: Config,
                  discount: float) -> HorizonSolution:
    """``budgets[debtor]`` are b[0..N-1] for debtors with a modelled cap (others: one a day)."""
    started = time.perf_counter()
    horizon = len(days)
    debtors = sorted({b.debtor for day in days for b in day.options.blocks})
    if not debtors:
        return HorizonSolution(SolveStatus.OPTIMAL, [], {}, 0.0, 0.0, {}, 0, time.perf_counter() - started, 0)
    node_of = {d: k for k, d in enumerate(debtors)}
    n_d = len(debtors)
    # Nodes: sources [0, n_d), chain Q[d, j] and day Y[d, j], then each day's network, then the sink.
    q0, y0 = n_d, n_d + n_d * horizon
    first = y0 + n_d * horizon
    networks = []
    for day in days:
        net = DayNetwork(day.options.blocks, day.n_slots, day.pools, config, first)
        networks.append(net)
        first = net.end
    sink = first

    limits = np.array([budgets.get(d, list(range(1, horizon + 1))) for d in debtors], dtype=np.int64)
    limits = np.minimum(np.maximum(limits, 0), np.arange(1, horizon + 1))  # at most one a day
    src = np.arange(n_d, dtype=np.int64)
    tails = [src, *(q0 + src * horizon + j for j in range(1, horizon)), *(q0 + src * horizon + j
                                                                       for j in range(horizon))]
    heads = [q0 + src * horizon + horizon - 1, *(q0 + src * horizon + j - 1 for j in range(1, horizon)),
             *(y0 + src * horizon + j for j in range(horizon))]
    caps = [limits[:, horizon - 1], *(limits[:, j - 1] for j in range(1, horizon)),
            *(np.ones(n_d, dtype=np.int64) for _ in range(horizon))]
    tails.append(src)  # contacts not made at all
    heads.append(np.full(n_d, sink, dtype=np.int64))
    caps.append(np.full(n_d, horizon, dtype=np.int64))
    chain_tails, chain_heads, chain_caps = (np.concatenate(x) for x in (tails, heads, caps))

    option_arcs = []  # per day: (block, position, tail, head, cost)
    scale = value_scale(max(top_value(day.options.blocks) for day in days), horizon * n_d, sink + 1)
    for j, (day, net) in enumerate(zip(days, networks, strict=True)):
        blocks = day.options.blocks
        flat = flat_options(blocks, scale)
        block, position, slot, cents = flat.block, flat.position, flat.slot, flat.cents
        debtor_node = np.fromiter((node_of[b.debtor] for b in blocks), dtype=np.int64, count=len(blocks))[block]
        head = np.fromiter((net.head_of[b.pools or b.channel] for b in blocks), dtype=np.int64,
                           count=len(blocks))[block] + slot
        option_arcs.append((block, position, y0 + debtor_node * horizon + j, head,
                            -np.rint(cents * discount ** j).astype(np.int64), cents))

    mcf = min_cost_flow.SimpleMinCostFlow()
    starts = []
    for _, _, tail, head, cost, _ in option_arcs:
        starts.append(mcf.num_arcs())
        if len(tail):
            mcf.add_arcs_with_capacity_and_unit_cost(tail.astype(np.int32), head.astype(np.int32),
                                                     np.ones(len(tail), dtype=np.int64), cost)
    mcf.add_arcs_with_capacity_and_unit_cost(chain_tails.astype(np.int32), chain_heads.astype(np.int32), chain_caps,
                                             np.zeros(len(chain_tails), dtype=np.int64))
    structure = []
    for j, net in enumerate(networks):
        t2, h2, c2, class_arcs, _ = net.arcs(option_arcs[j][3], sink)
        first_arc = mcf.num_arcs()
        if t2:
            mcf.add_arcs_with_capacity_and_unit_cost(np.array(t2, dtype=np.int32), np.array(h2, dtype=np.int32),
                                                     np.array(c2, dtype=np.int64), np.zeros(len(t2), dtype=np.int64))
        structure.append((first_arc, class_arcs))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_d] = horizon
    supplies[sink] = -horizon * n_d
    mcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = mcf.solve()
    arcs = mcf.num_arcs()
    if status != mcf.OPTIMAL:
        mapped = SolveStatus.INFEASIBLE if status == mcf.INFEASIBLE else SolveStatus.FAILED
        return HorizonSolution(mapped, [], {}, 0.0, 0.0, {}, 0, time.perf_counter() - started, arcs)

    chosen: list[tuple[int, int]] = []
    pool_of: dict[tuple[int, int], str] = {}
    later: dict[int, int] = {}
    later_contacts, today_cents = 0, 0
    for j, (block, position, _, head, _, cents) in enumerate(option_arcs):
        if not len(block):
            continue
        picked = np.flatnonzero(mcf.flows(np.arange(starts[j], starts[j] + len(block), dtype=np.int32)))
        if j == 0:
            chosen = list(zip(block[picked].tolist(), position[picked].tolist(), strict=True))
            today_cents = int(cents[picked].sum())
            seats = DayNetwork.seats(mcf, structure[0][0], structure[0][1])
            for (b, k), node in zip(chosen, head[picked].tolist(), strict=True):
                if node in seats:
                    pool_of[(b, k)] = seats[node].pop()
        else:
            later_contacts += len(picked)
            for b in block[picked].tolist():
                later.setdefault(days[j].options.blocks[b].debtor, j)
    today_debtors = {days[0].options.blocks[b].debtor for b, _ in chosen}
    later = {d: j for d, j in later.items() if d not in today_debtors}
    return HorizonSolution(SolveStatus.OPTIMAL, chosen, pool_of, today_cents / scale, -mcf.optimal_cost() / scale,
                           later, later_contacts, time.perf_counter() - started, arcs)


def within_horizon(agents: list[Agent], agents_path: str, debtors: list[Debtor], today, slots, pools,
                   packs: PackSet, calendars: Calendars, plan_date: dt.date, config: Config, zones: set[str],
                   timings: dict[str, float], deadline: float | None) -> tuple[Solution, dict[int, int]]:
    """Today's choice from a plan of the whole horizon (solve_horizon); later days are
    planned only to weigh today's choice and are not written. Under a time limit, today's own
    plan is made first, and kept if the horizon's is not done by the deadline."""
    today_alone = optimise(today, len(slots), pools, config, deadline) if deadline is not None else None
    t0 = time.perf_counter()
    days = [Day(today, len(slots), pools)]
    for ahead in range(1, config.horizon_days):
        if deadline is not None and time.perf_counter() >= deadline:
            return dataclasses.replace(today_alone, note=tr("time limit reached while preparing the {days}-day "
                                                            "horizon; today planned on its own",
                                                            days=config.horizon_days)), {}
        day = plan_date + dt.timedelta(days=ahead)
        day_slots = slot_grid(day, zones, config.slot_minutes)
        day_pools = build_pools(agents, day_slots, agents_path)
        days.append(Day(build_options(debtors, packs, Context(day, calendars), day_slots, day_pools, config),
                        len(day_slots), day_pools))
    budgets = horizon_budgets(debtors, days, packs, plan_date, config.horizon_days)
    timings["horizon_rules"] = time.perf_counter() - t0
    if today_alone is not None:
        found = run_until(lambda: solve_horizon(days, budgets, config, config.horizon_discount), deadline)
        if found is None:
            return dataclasses.replace(today_alone, note=tr("time limit reached before the {days}-day horizon was "
                                                            "solved; today planned on its own",
                                                            days=config.horizon_days)), {}
    else:
        found = solve_horizon(days, budgets, config, config.horizon_discount)
    note = tr("horizon {days} days: {later:,} contacts on later days (not written; value of the horizon "
              "{value:,.2f}, later days discounted {discount:g} a day)", days=config.horizon_days,
              later=found.later_contacts, value=found.objective, discount=config.horizon_discount)
    return Solution(found.status, found.chosen, found.pool_of, found.today, found.today, found.seconds, found.arcs,
                    len(budgets), note), found.later


def horizon_budgets(debtors: list[Debtor], days: list[Day], packs: PackSet, plan_date: dt.date,
                    horizon: int) -> dict[int, list[int]]:
    """Per debtor, the tightest nested budget of the caps that cover every channel it has an
    option on in the horizon (a cap on fewer channels cannot be carried by the chain for it)."""
    channels: dict[int, set] = defaultdict(set)
    for day in days:
        for b in day.options.blocks:
            channels[b.debtor].add(b.channel)
    out: dict[int, list[int]] = {}
    for i, used in channels.items():
        for rule in packs.rules_for(debtors[i], plan_date):
            if not used <= set(rule.meta.channels):
                continue
            budget = rule.horizon_budget(debtors[i], plan_date, horizon)
            if budget is not None:
                out[i] = [min(a, b) for a, b in zip(out.get(i, budget), budget, strict=True)]
    return out
