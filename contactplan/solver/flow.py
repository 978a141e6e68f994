"""The one-day assignment as a min-cost flow (OR-Tools SimpleMinCostFlow).

Network, one unit of flow per planned contact:

    group --(option: cap = group size, cost -value)--> class/slot --(pool capacity)--> pool/slot --> channel/slot
    group --(option: cap = group size, cost -value)-----------------------------------------> channel/slot
    channel/slot --(per-slot limit)--> channel/day --(per-day limit)--> sink
    group --(cap = its debtors' daily limits, cost 0)--> sink          (not contacted today)

A "class" is the set of pools that may call a debtor (same segments and languages served), so
an agent call is one arc per debtor and slot instead of one per pool and slot; the flow through
class/slot -> pool/slot says how many of that class's calls each pool takes, and any split of
the debtors arriving there is valid because every pool of the class serves all of them.

A "group" is one debtor in exact mode. In binned mode it is every debtor with the same options
(same shapes and pool classes, so the same arcs) whose value base (balance x probability of
payment) falls in the same narrow geometric bin. Any integral flow out of a group is a valid
plan: its units go to distinct debtors of the group, because they all have every option. The
arcs carry the value of the group's most valuable debtor, and rounding to cents never decreases
a value, so the binned optimum is a proven upper bound on the exact optimum; the plan takes the
group's most valuable debtors and pairs them with its most effective options (rearrangement
inequality), and its true value is reported next to that bound, with the gap.

The network is totally unimodular, so the integral optimum is the optimum of the assignment:
min-cost flow proves optimality (measured with bench/run.py, 50 pools: exact 100k debtors in
5.5 s and 1M in 126 s, binned 1.4 s and 8.7 s; a boolean-per-option CP-SAT model needed 98 s
at 10k). Values are scaled to integer cents.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from contactplan.i18n import tr
from contactplan.model import Channel, Config, Pool, SolveStatus
from contactplan.solver.options import OptionBlock, Shape

SCALE = 100  # cents, unless the values are too large for the solver's integers (value_scale)
UNLIMITED = 10**9
# OR-Tools' min-cost flow keeps costs and their sums in 64-bit integers and scales costs by the
# number of nodes while it solves: every cost times (nodes + 1), and every sum of costs over the
# units of flow, must stay below this (a quarter of the int64 range, for the sums' headroom).
_INT_LIMIT = 2**61


def value_scale(top_value: float, units: int, nodes: int) -> float:
    """Integer units per currency unit for option values up to ``top_value`` (in currency) in a
    network of ``nodes`` nodes carrying ``units`` units of flow: cents (100) whenever they fit,
    else the largest power of ten that keeps top_value x scale x max(nodes + 1, units) under
    2^61. So no accepted value can overflow the solver: a larger value only rounds coarser."""
    scale = float(SCALE)
    room = _INT_LIMIT / max(nodes + 1, units, 1)
    while top_value * scale > room and scale > 1e-12:
        scale /= 10
    return scale


@dataclass(frozen=True)
class Solution:
    status: SolveStatus
    chosen: list[tuple[int, int]]  # (block index, position in the block's shape)
    pool_of: dict[tuple[int, int], str]  # chosen agent call -> the pool that takes it
    objective: float  # expected recovery net of channel cost, in currency (sum of cent-rounded values)
    bound: float  # proven upper bound on the optimum of the same model
    seconds: float
    arcs: int
    groups: int  # supply nodes: debtors (exact) or bins of debtors
    note: str = ""  # e.g. why a plan is not proven optimal

    @property
    def gap(self) -> float:
        return (self.bound - self.objective) / self.bound if self.bound > 0 else 0.0


@dataclass(frozen=True)
class _Arrays:
    """The option list in columns: the per-block scalars and the shapes flattened."""

    run_start: np.ndarray  # first block of each debtor that has blocks
    run_debtor: np.ndarray
    run_value: np.ndarray  # value base per run (debtor)
    block_shape: np.ndarray
    block_head: np.ndarray  # first node of the block's 'slot row' (class/slot or channel/slot)
    shape_start: np.ndarray
    shape_len: np.ndarray
    shape_eff: np.ndarray
    shape_cost: np.ndarray
    flat_slot: np.ndarray
    flat_factor: np.ndarray


def option_values(value_base: np.ndarray, eff: np.ndarray, factor: np.ndarray, cost: np.ndarray,
                  scale: float = SCALE) -> np.ndarray:
    """Option values in whole cents (or ``scale`` units), computed as ``OptionBlock.option`` does
    (same float operations)."""
    return to_cents(value_base * eff * factor - cost, scale)


def to_cents(values: np.ndarray, scale: float = SCALE) -> np.ndarray:
    return np.rint(values * scale).astype(np.int64)


def top_value(blocks: list[OptionBlock]) -> float:
    """An upper bound on the size of any option value of these blocks, in currency."""
    if not blocks:
        return 0.0
    return (max(abs(b.value_base) for b in blocks) * max(b.shape.effectiveness for b in blocks)
            * max((b.shape.levels[-1] for b in blocks if b.shape.levels), default=0.0)
            + max(b.shape.cost for b in blocks))


def chosen_values(blocks: list[OptionBlock], chosen: list[tuple[int, int]]) -> np.ndarray:
    """The exact values of (block, position) pairs, as ``OptionBlock.option`` computes them."""
    n = len(chosen)
    picked = [blocks[b] for b, _ in chosen]
    shapes = [block.shape for block in picked]
    return (np.fromiter((block.value_base for block in picked), dtype=np.float64, count=n)
            * np.fromiter((shape.effectiveness for shape in shapes), dtype=np.float64, count=n)
            * np.fromiter((shape.factors[k] for shape, (_, k) in zip(shapes, chosen, strict=True)), dtype=np.float64,
                          count=n)
            - np.fromiter((shape.cost for shape in shapes), dtype=np.float64, count=n))


@dataclass(frozen=True)
class FlatOptions:
    """Every option of a block list in columns, block by block."""

    block: np.ndarray  # the option's block
    position: np.ndarray  # its position in the block's shape
    slot: np.ndarray
    cents: np.ndarray  # its value in whole cents (units of 1/scale)
    scale: float = SCALE


def flat_options(blocks: list[OptionBlock], scale: float | None = None) -> FlatOptions:
    """The options in columns; values in units of 1/``scale`` (default: value_scale for a
    network of this many options)."""
    lengths = np.fromiter((len(b.shape.slots) for b in blocks), dtype=np.int64, count=len(blocks))
    n = int(lengths.sum())
    block = np.repeat(np.arange(len(blocks), dtype=np.int64), lengths)
    if scale is None:
        scale = value_scale(top_value(blocks), len(blocks), n + len(blocks))

    def per_block(attr) -> np.ndarray:
        return np.fromiter((attr(b) for b in blocks), dtype=np.float64, count=len(blocks))[block]

    return FlatOptions(
        block=block, position=np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths),
        slot=np.fromiter((s for b in blocks for s in b.shape.slots), dtype=np.int64, count=n),
        cents=option_values(per_block(lambda b: b.value_base), per_block(lambda b: b.shape.effectiveness),
                            np.fromiter((f for b in blocks for f in b.shape.factors), dtype=np.float64, count=n),
                            per_block(lambda b: b.shape.cost), scale), scale=scale)


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ranges [start, start + length) for each pair, without a Python loop."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _arrays(blocks: list[OptionBlock], shapes: list[Shape], head_of: dict) -> _Arrays:
    nb = len(blocks)
    debtor = np.fromiter((b.debtor for b in blocks), dtype=np.int64, count=nb)
    starts = np.flatnonzero(np.r_[True, debtor[1:] != debtor[:-1]]) if nb else np.zeros(0, dtype=np.int64)
    if np.any(np.diff(debtor[starts]) <= 0):
        # One debtor in two runs would be two supply nodes: two contacts for one person.
        raise ValueError("option blocks must list each debtor's blocks consecutively, in debtor order")
    shape_len = np.fromiter((len(s.slots) for s in shapes), dtype=np.int64, count=len(shapes))
    return _Arrays(
        run_start=starts, run_debtor=debtor[starts],
        run_value=np.fromiter((blocks[k].value_base for k in starts), dtype=np.float64, count=len(starts)),
        block_shape=np.fromiter((b.shape.id for b in blocks), dtype=np.int64, count=nb),
        block_head=np.fromiter((head_of[b.pools or b.channel] for b in blocks), dtype=np.int64, count=nb),
        shape_start=np.cumsum(shape_len) - shape_len, shape_len=shape_len,
        shape_eff=np.fromiter((s.effectiveness for s in shapes), dtype=np.float64, count=len(shapes)),
        shape_cost=np.fromiter((s.cost for s in shapes), dtype=np.float64, count=len(shapes)),
        flat_slot=np.fromiter((x for s in shapes for x in s.slots), dtype=np.int64, count=int(shape_len.sum())),
        flat_factor=np.fromiter((x for s in shapes for x in s.factors), dtype=np.float64,
                                count=int(shape_len.sum())),
    )


def _groups(blocks: list[OptionBlock], a: _Arrays, bin_width: float) -> np.ndarray:
    """Group number of each run (debtor with options): itself in exact mode, else its bin."""
    runs = len(a.run_start)
    if bin_width <= 0 or runs == 0:
        return np.arange(runs, dtype=np.int64)
    # A run's signature: its blocks' (shape, head) pairs in order, one row per run (padded with
    # -1), the rows compared as raw bytes -- the same options exactly when the rows are equal.
    lengths = np.diff(np.r_[a.run_start, len(blocks)])
    code = a.block_shape * (int(a.block_head.max()) + 1) + a.block_head
    rows = np.full((runs, int(lengths.max())), -1, dtype=np.int64)
    rows[np.repeat(np.arange(runs), lengths), np.arange(len(blocks)) - np.repeat(a.run_start, lengths)] = code
    raw = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, sig = np.unique(raw, return_inverse=True)
    sig = sig.astype(np.int64).ravel()
    # Geometric bins: debtors in one bin differ by less than bin_width in value base.
    value_bin = np.floor(np.log(np.maximum(a.run_value, 1e-9)) / math.log1p(bin_width)).astype(np.int64)
    value_bin -= value_bin.min()
    _, group = np.unique(sig * (int(value_bin.max()) + 1) + value_bin, return_inverse=True)
    return group.astype(np.int64)


@dataclass(frozen=True)
class Coupling:
    """What one part of a decomposed day (solver.parts) pays for, or may use of, the channel
    limits it shares with the other parts. Prices are in the network's integer units (cents) per
    contact, on a channel's slot or on its day; a priced limit is lifted in the part (the price
    stands in for it). Limits are the part's share of a per-slot or per-day limit: the shares of
    all parts add up to at most the limit, so the parts' plans together keep it."""

    slot_price: dict[Channel, np.ndarray] = dataclasses.field(default_factory=dict)
    day_price: dict[Channel, int] = dataclasses.field(default_factory=dict)
    slot_limit: dict[Channel, np.ndarray] = dataclasses.field(default_factory=dict)
    day_limit: dict[Channel, int | None] = dataclasses.field(default_factory=dict)


class DayNetwork:
    """One day's capacity side of the network, numbered from ``first``: class-slots, pool-slots,
    channel-slots, channel-days (see the module text). ``head_of`` gives, for a block's pool class
    or channel, the node of slot 0 of its row."""

    def __init__(self, blocks: list[OptionBlock], n_slots: int, pools: list[Pool], config: Config, first: int):
        self.n_slots, self.pools, self.config = n_slots, pools, config
        self.channels = list(Channel)
        self.classes = sorted({b.pools for b in blocks if b.pools})
        self.place(first)

    def place(self, first: int) -> None:
        """Number this day's nodes from ``first`` (again, when what comes before changed size)."""
        n_slots, pools = self.n_slots, self.pools
        self.class_slot0 = first
        self.pool_slot0 = self.class_slot0 + len(self.classes) * n_slots
        self.chan_slot0 = self.pool_slot0 + len(pools) * n_slots
        self.chan_day0 = self.chan_slot0 + len(self.channels) * n_slots
        self.end = self.chan_day0 + len(self.channels)  # first node after this day's
        self.head_of: dict = {members: self.class_slot0 + k * n_slots for k, members in enumerate(self.classes)}
        self.head_of.update({c: self.chan_slot0 + k * n_slots for k, c in enumerate(self.channels)})

    def arcs(self, heads: np.ndarray, sink: int, coupling: Coupling | None = None
             ) -> tuple[list[int], list[int], list[int], list[tuple[int, int, str]], list[int]]:
        """Structural arcs as tails, heads, capacities, the class -> pool arcs as (offset among
        them, class-slot node, pool) for splitting calls over pools, and unit costs: 0, except the
        prices a part of a decomposed day pays for the channel limits it shares (``coupling``)."""
        n_slots, pools = self.n_slots, self.pools
        coupling = coupling or Coupling()
        pool_index = {p.name: k for k, p in enumerate(pools)}
        t2, h2, c2 = [], [], []
        class_arcs: list[tuple[int, int, str]] = []
        used = np.unique(heads[(heads >= self.class_slot0) & (heads < self.pool_slot0)])
        for node in used.tolist():
            members, s = self.classes[(node - self.class_slot0) // n_slots], (node - self.class_slot0) % n_slots
            for name in members:
                cap = pools[pool_index[name]].capacity[s]
                if cap > 0:
                    class_arcs.append((len(t2), node, name))
                    t2.append(node)
                    h2.append(self.pool_slot0 + pool_index[name] * n_slots + s)
                    c2.append(cap)
        voice = self.head_of[Channel.VOICE]
        for p, pool in enumerate(pools):
            for s in range(n_slots):
                if pool.capacity[s] > 0:
                    t2.append(self.pool_slot0 + p * n_slots + s)
                    h2.append(voice + s)
                    c2.append(pool.capacity[s])
        cost2 = [0] * len(t2)
        for c, channel in enumerate(self.channels):
            cc = self.config.channels[channel]
            slot_limit, slot_price = coupling.slot_limit.get(channel), coupling.slot_price.get(channel)
            for s in range(n_slots):
                t2.append(self.chan_slot0 + c * n_slots + s)
                h2.append(self.chan_day0 + c)
                if slot_limit is not None:
                    c2.append(int(slot_limit[s]))
                else:
                    c2.append(cc.per_slot if cc.per_slot is not None else UNLIMITED)
                cost2.append(int(slot_price[s]) if slot_price is not None else 0)
            t2.append(self.chan_day0 + c)
            h2.append(sink)
            day_limit = coupling.day_limit.get(channel, cc.per_day)
            c2.append(day_limit if day_limit is not None else UNLIMITED)
            cost2.append(int(coupling.day_price.get(channel, 0)))
        return t2, h2, c2, class_arcs, cost2

    @staticmethod
    def seats(mcf, first_arc: int, class_arcs: list[tuple[int, int, str]]) -> dict[int, list[str]]:
        """For each class/slot node, one pool name per call it sends on (by the class -> pool
        flows): any split of the calls there is valid, every pool of the class serves them all."""
        seats: dict[int, list[str]] = {}
        if class_arcs:
            flows = mcf.flows(np.array([first_arc + off for off, _, _ in class_arcs], dtype=np.int64))
            for (_, node, name), f in zip(class_arcs, flows, strict=True):
                seats.setdefault(node, []).extend([name] * int(f))
        return seats


def solve(blocks: list[OptionBlock], shapes: list[Shape], n_slots: int, pools: list[Pool], config: Config, *,
          bin_width: float = 0.0, coupling: Coupling | None = None) -> Solution:
    """Choose at most one option per debtor (the planner's daily limit). ``bin_width`` 0 is exact;
    above 0, debtors with the same options whose value bases differ by less than that fraction
    share one supply node (see the module text). With ``coupling`` (one part of a decomposed
    day), objective and bound are those of the priced network: values less the prices paid."""
    started = time.perf_counter()
    if not blocks:
        return Solution(SolveStatus.OPTIMAL, [], {}, 0.0, 0.0, time.perf_counter() - started, 0, 0)
    # Node numbering: groups, then the day's capacity network, then the sink. The group count
    # is known only after grouping, so the day's nodes are first numbered from 0 and moved after.
    day = DayNetwork(blocks, n_slots, pools, config, first=0)
    a = _arrays(blocks, shapes, day.head_of)
    group_of_run = _groups(blocks, a, bin_width)
    n_groups = int(group_of_run.max()) + 1
    day.place(n_groups)
    a = dataclasses.replace(a, block_head=a.block_head + n_groups)
    sink = day.end

    # Each group's template: the blocks of its first run (all its runs have the same shapes and heads).
    size = np.bincount(group_of_run, minlength=n_groups).astype(np.int64)
    order = np.lexsort((-a.run_value, group_of_run))  # runs by group, most valuable first
    first_of_group = np.flatnonzero(np.r_[True, group_of_run[order][1:] != group_of_run[order][:-1]])
    template = order[first_of_group]  # the most valuable run of each group: its value is the group's
    group_value = a.run_value[template]
    run_ends = np.r_[a.run_start[1:], len(blocks)]
    t_len = run_ends[template] - a.run_start[template]
    t_blocks = _expand(a.run_start[template], t_len)
    t_group = np.repeat(np.arange(n_groups, dtype=np.int64), t_len)
    shape = a.block_shape[t_blocks]
    o_len = a.shape_len[shape]
    flat = _expand(a.shape_start[shape], o_len)
    arc_block = np.repeat(t_blocks, o_len)
    arc_group = np.repeat(t_group, o_len)
    arc_shape = np.repeat(shape, o_len)
    arc_pos = flat - a.shape_start[arc_shape]
    slot = a.flat_slot[flat]
    heads = a.block_head[arc_block] + slot
    n = len(heads)
    t2, h2, c2, class_arcs, cost2 = day.arcs(heads, sink, coupling)
    top = (float(np.abs(a.run_value).max()) * float(a.shape_eff.max()) * float(a.flat_factor.max())
           + float(a.shape_cost.max()))
    scale = value_scale(top, int(size.sum()), sink + 1)
    if any(cost2) and scale != SCALE:
        raise ValueError("prices are in cents: a priced part must count its values in cents")
    costs = -option_values(group_value[arc_group], a.shape_eff[arc_shape], a.flat_factor[flat], a.shape_cost[arc_shape],
                           scale)

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(arc_group.astype(np.int32), heads.astype(np.int32), size[arc_group],
                                             costs)
    mcf.add_arcs_with_capacity_and_unit_cost(np.array(t2, dtype=np.int32), np.array(h2, dtype=np.int32),
                                             np.array(c2, dtype=np.int64), np.array(cost2, dtype=np.int64))
    groups = np.arange(n_groups, dtype=np.int32)
    mcf.add_arcs_with_capacity_and_unit_cost(groups, np.full(n_groups, sink, dtype=np.int32), size,
                                             np.zeros(n_groups, dtype=np.int64))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_groups] = size
    supplies[sink] = -int(size.sum())
    mcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = mcf.solve()
    arcs = n + len(t2) + n_groups
    if status != mcf.OPTIMAL:
        mapped = SolveStatus.INFEASIBLE if status == mcf.INFEASIBLE else SolveStatus.FAILED
        return Solution(mapped, [], {}, 0.0, 0.0, time.perf_counter() - started, arcs, n_groups)
    flows = mcf.flows(np.arange(n, dtype=np.int32))
    chosen, chosen_nodes = _members(a, order, first_of_group, flows, arc_group, arc_block, arc_pos,
                                    a.shape_eff[arc_shape] * a.flat_factor[flat], heads)
    seats = day.seats(mcf, n, class_arcs)
    pool_of: dict[tuple[int, int], str] = {}
    calls = np.flatnonzero((chosen_nodes >= day.class_slot0) & (chosen_nodes < day.pool_slot0))
    for i, node in zip(calls.tolist(), chosen_nodes[calls].tolist(), strict=True):
        pool_of[chosen[i]] = seats[node].pop()
    cents, bound = _cents_of(blocks, chosen, scale), -mcf.optimal_cost()
    priced = cents
    if any(cost2):  # what the plan pays for shared limits is in the flow's cost, not in its value
        priced -= int(mcf.flows(np.arange(n, n + len(t2), dtype=np.int32)) @ np.array(cost2, dtype=np.int64))
    # Exact mode: the plan is the flow, so its value is the optimum. Binned: the flow's value is
    # the bound and the plan is worth at most that.
    if priced > bound or (bin_width <= 0 and priced != bound):
        raise RuntimeError(f"solver bookkeeping error: plan worth {priced} cents, flow {bound} cents")
    note = "" if scale == SCALE else tr("values are counted in units of {unit:g} (not cents) to fit the solver's "
                                        "64-bit integers", unit=1 / scale)
    return Solution(SolveStatus.OPTIMAL if priced == bound else SolveStatus.FEASIBLE, chosen, pool_of,
                    priced / scale, bound / scale, time.perf_counter() - started, arcs, n_groups, note)


def _members(a: _Arrays, order: np.ndarray, first_of_group: np.ndarray, flows: np.ndarray, arc_group: np.ndarray,
             arc_block: np.ndarray, arc_pos: np.ndarray, arc_rate: np.ndarray,
             heads: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Turn flow per group arc into (block, position) per debtor: a group's units go to its most
    valuable debtors, the most valuable debtor to the most effective option. Also the node each
    chosen option enters (the same for every debtor of a group)."""
    used = np.flatnonzero(flows)
    # Arcs of one group together, best rate first; one entry per unit of flow.
    used = used[np.lexsort((-arc_rate[used], arc_group[used]))]
    units = np.repeat(used, flows[used])
    unit_group = arc_group[units]
    # The i-th unit of a group goes to the group's i-th most valuable run.
    group_start = np.flatnonzero(np.r_[True, unit_group[1:] != unit_group[:-1]])
    rank = np.arange(len(units)) - np.repeat(group_start, np.diff(np.r_[group_start, len(units)]))
    run = order[first_of_group[unit_group] + rank]
    template_run_start = a.run_start[order[first_of_group[unit_group]]]
    block = a.run_start[run] + (arc_block[units] - template_run_start)
    # In block order: whoever reads the chosen blocks next walks memory forwards, not at random.
    by_block = np.argsort(block, kind="stable")
    return (list(zip(block[by_block].tolist(), arc_pos[units][by_block].tolist(), strict=True)),
            heads[units][by_block])


def _cents_of(blocks: list[OptionBlock], chosen: list[tuple[int, int]], scale: float = SCALE) -> int:
    """The plan's value in whole cents (units of 1/scale), from each debtor's own value base."""
    return int(to_cents(chosen_values(blocks, chosen), scale).sum()) if chosen else 0
