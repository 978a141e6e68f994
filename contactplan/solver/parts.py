"""``plan --workers N``: the day's network cut where its debtors share no capacity, the parts
solved side by side in N processes.

Two debtors' choices meet only in capacity they share: a pool's seats in a slot (through every
pool class that holds the pool) and a channel's per-slot or per-day limit. So the debtors fall
into components: a debtor whose calls may go to pools A or B joins A and B; a debtor whose
options use a limited channel joins that channel. Components share nothing, so solving them
apart and adding up is the day's optimum exactly (sum of optima, sum of bounds). Debtors whose
options touch no pool and no limited channel are free: each takes its own best option in any
part. Components are packed into at most N parts, the largest first into the lightest part, and
the free debtors even out the parts' loads (with one component only, there is one part).

A limited channel usually joins everything (one WhatsApp tier, one IVR trunk group). When the
exact components are one and the parts cut by pools only are even (within BALANCE of an even
split among them), the limits those parts share are coordinated by prices (Lagrangian
relaxation; not when a proven optimum is asked, --max-gap 0, which prices cannot promise):

- priced round: each part solves with the shared limits lifted and a price per contact on them.
  For any prices >= 0, the parts' bounds plus price x limit bound the day's optimum (weak
  duality: a plan that keeps the limits pays no more than price x limit);
- share round: each shared limit is divided among the parts in proportion to their use in the
  priced round (rounded down), and each part solves again within its share. The plans together
  keep every limit by construction; their value is the plan in hand;
- prices move along the subgradient (use - limit) by Polyak's step towards the best plan.

Rounds stop when (best bound - best plan) / best bound is within ``max_gap``. If ROUNDS rounds
do not get there, or the gap stops closing, the day is solved as one network, so --workers never
hands out a plan farther from the optimum than asked (docs/scaling.md). Under a time limit the
best coordinated plan is kept, with its stated gap, when the time runs out first.

The parts run in forked processes: they read the day's options from the memory they inherit, and
only their choices come back. Without fork (not POSIX) the parts run one after another here.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from contactplan.i18n import tr
from contactplan.model import Channel, Config, Pool, SolveStatus
from contactplan.solver.driver import TimeLimitReached, optimise
from contactplan.solver.flow import SCALE, UNLIMITED, Coupling, Solution, top_value, value_scale
from contactplan.solver.options import Options

ROUNDS = 8  # price rounds before giving up on coordination and solving the day as one network
# Exact components are used when the heaviest part carries at most this much more than an even
# share of the options; otherwise the parts are cut by pools and the shared limits priced.
BALANCE = 1.25
CHANNELS = list(Channel)
_ROW = {c: r for r, c in enumerate(CHANNELS)}


@dataclass(frozen=True)
class Split:
    parts: list[np.ndarray]  # block indices of each part, in block order
    shared: dict[Channel, tuple[int | None, int | None]]  # channel -> (per_slot, per_day) that parts share


def limited(config: Config) -> dict[Channel, tuple[int | None, int | None]]:
    """Channels with a limit of their own: (per_slot, per_day)."""
    return {c: (cc.per_slot, cc.per_day) for c, cc in config.channels.items()
            if cc.per_slot is not None or cc.per_day is not None}


def split(opts: Options, config: Config, workers: int) -> Split:
    """The day's options in at most ``workers`` parts (see the module text)."""
    blocks = opts.blocks
    if workers <= 1 or not blocks:
        return Split([np.arange(len(blocks), dtype=np.int64)], {})
    caps = limited(config)
    debtor = np.fromiter((b.debtor for b in blocks), dtype=np.int64, count=len(blocks))
    weight = np.fromiter((len(b.shape.slots) for b in blocks), dtype=np.int64, count=len(blocks))
    heads = sorted({b.pools or b.channel for b in blocks}, key=str)
    head_id = {h: k for k, h in enumerate(heads)}
    block_head = np.fromiter((head_id[b.pools or b.channel] for b in blocks), dtype=np.int64, count=len(blocks))
    exact = _parts(debtor, weight, block_head, heads, caps, workers)
    if len(exact) > 1 or not caps:
        return Split(exact, {})  # parts that share nothing cost nothing to coordinate, even or not
    # Pricing costs a second solve per round: worth it only if the parts cut by pools even out.
    by_pools = _parts(debtor, weight, block_head, heads, {}, workers)
    if len(by_pools) < 2 or not _balanced(by_pools, weight):
        return Split(exact, {})
    channels_of_part = [{c for b in np.unique(block_head[part]).tolist() for c in _channels_of(heads[b])}
                        for part in by_pools]
    return Split(by_pools, {c: limit for c, limit in caps.items()
                            if sum(c in used for used in channels_of_part) > 1})


def _channels_of(head) -> tuple[Channel, ...]:
    return (Channel.VOICE,) if isinstance(head, tuple) else (head,)


def _parts(debtor: np.ndarray, weight: np.ndarray, block_head: np.ndarray, heads: list, caps: dict,
           workers: int) -> list[np.ndarray]:
    """Components of debtors joined by the pools and the channels in ``caps`` their options use,
    packed into at most ``workers`` parts by options (largest first into the lightest)."""
    # Nodes of the union-find: the heads (pool classes, channels), then the pools.
    pools = sorted({p for h in heads if isinstance(h, tuple) for p in h})
    pool_node = {p: len(heads) + k for k, p in enumerate(pools)}
    parent = list(range(len(heads) + len(pools)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    voice = heads.index(Channel.VOICE) if Channel.VOICE in heads else None
    bound_heads = np.zeros(len(heads), dtype=bool)  # heads that tie a debtor to others
    for k, h in enumerate(heads):
        if isinstance(h, tuple):
            bound_heads[k] = True
            for p in h:
                union(k, pool_node[p])
            if Channel.VOICE in caps:
                if voice is None:  # agent calls share the voice limit even if no block is a voice head
                    voice = len(parent)
                    parent.append(voice)
                union(k, voice)
        elif h in caps:
            bound_heads[k] = True
    # A debtor joins the heads of its options: link each to the debtor's first.
    tied = bound_heads[block_head]
    pairs = np.unique(np.stack([debtor[tied], block_head[tied]], axis=1), axis=0) if tied.any() else \
        np.zeros((0, 2), dtype=np.int64)
    if len(pairs):
        first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
        lead = pairs[np.repeat(np.flatnonzero(first), np.diff(np.r_[np.flatnonzero(first), len(pairs)])), 1]
        for a, b in np.unique(np.stack([lead, pairs[:, 1]], axis=1), axis=0).tolist():
            union(a, b)
    # Each debtor's component: the root of its first tying head; -1 for free debtors.
    debtors = np.unique(debtor)
    component = np.full(len(debtors), -1, dtype=np.int64)
    if len(pairs):
        component[np.searchsorted(debtors, pairs[first, 0])] = [find(h) for h in pairs[first, 1].tolist()]
    debtor_pos = np.searchsorted(debtors, debtor)
    block_component = component[debtor_pos]
    # Pack the components, heaviest first, each into the lightest part.
    block_part = np.full(len(debtor), -1, dtype=np.int64)
    tied_blocks = block_component >= 0
    roots, root_of_block = np.unique(block_component[tied_blocks], return_inverse=True)
    if len(roots) <= 1:
        # Free debtors alone do not pay for a part: measured at 100,000 debtors, splitting them
        # off the one component cost more (fork, choices sent back) than the second core saved.
        return [np.arange(len(debtor), dtype=np.int64)]
    workers = min(workers, len(roots))  # so no part is made of free debtors alone
    load = np.zeros(workers, dtype=np.int64)
    root_weight = np.bincount(root_of_block, weights=weight[tied_blocks], minlength=len(roots)).astype(np.int64)
    part_of_root = np.zeros(len(roots), dtype=np.int64)
    for r in np.argsort(-root_weight, kind="stable").tolist():
        part_of_root[r] = k = int(np.argmin(load))
        load[k] += root_weight[r]
    block_part[tied_blocks] = part_of_root[root_of_block]
    # The free debtors in debtor order, cut where they even out the parts' loads.
    free = np.flatnonzero(component < 0)
    if len(free):
        free_weight = np.bincount(debtor_pos, weights=weight, minlength=len(debtors))[free]
        room = np.maximum((load.sum() + free_weight.sum()) / workers - load, 0)
        edges = np.searchsorted(np.cumsum(free_weight), np.cumsum(room)[:-1], side="right")
        free_part = np.full(len(debtors), -1, dtype=np.int64)
        free_part[free] = np.searchsorted(edges, np.arange(len(free)), side="right")
        block_part[~tied_blocks] = free_part[debtor_pos[~tied_blocks]]
    return [idx for k in range(workers) if len(idx := np.flatnonzero(block_part == k))]


def _balanced(parts: list[np.ndarray], weight: np.ndarray) -> bool:
    """The heaviest part within BALANCE of an even split among the parts there are."""
    return max(int(weight[p].sum()) for p in parts) <= BALANCE * int(weight.sum()) / len(parts)


# The day being solved, for the forked workers to read (they inherit it; nothing is pickled in).
_DAY: tuple | None = None


def _solve_part(k: int, coupling: Coupling | None) -> tuple[Solution, np.ndarray]:
    """Part ``k`` solved (in a worker); its choices in the day's block numbers."""
    opts, split_, n_slots, pools, config, deadline = _DAY
    part = split_.parts[k]
    solution, usage = solve_part(dataclasses.replace(opts, blocks=[opts.blocks[i] for i in part.tolist()]),
                                 n_slots, pools, config, deadline, coupling)
    chosen = [(int(part[b]), pos) for b, pos in solution.chosen]
    pool_of = {(int(part[b]), pos): name for (b, pos), name in solution.pool_of.items()}
    return dataclasses.replace(solution, chosen=chosen, pool_of=pool_of), usage


def solve_part(opts: Options, n_slots: int, pools: list[Pool], config: Config, deadline: float | None,
               coupling: Coupling | None) -> tuple[Solution, np.ndarray]:
    """One part's plan and its contacts per channel and slot. The objective is the plan's value
    (what a priced solve pays for the shared limits is added back); the bound stays that of the
    priced network, which is what the Lagrangian bound adds up."""
    solution = optimise(opts, n_slots, pools, config, deadline, coupling)
    usage = np.zeros((len(CHANNELS), n_slots), dtype=np.int64)
    for b, pos in solution.chosen:
        block = opts.blocks[b]
        usage[_ROW[block.channel], block.shape.slots[pos]] += 1
    if coupling is not None:
        paid = sum(int(price @ usage[_ROW[c]]) for c, price in coupling.slot_price.items()) + sum(
            price * int(usage[_ROW[c]].sum()) for c, price in coupling.day_price.items())
        solution = dataclasses.replace(solution, objective=solution.objective + paid / SCALE)
    return solution, usage


class _Runner:
    """The parts solved side by side in forked workers (or here, one after another)."""

    def __init__(self, day: tuple, workers: int):
        global _DAY
        _DAY = day
        self.executor = None
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))

    def run(self, couplings: list[Coupling | None]) -> list[tuple[Solution, np.ndarray]]:
        if self.executor is None:
            return [_solve_part(k, c) for k, c in enumerate(couplings)]
        futures = [self.executor.submit(_solve_part, k, c) for k, c in enumerate(couplings)]
        return [f.result() for f in futures]

    def close(self) -> None:
        global _DAY
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)
        _DAY = None


def optimise_in_parts(opts: Options, n_slots: int, pools: list[Pool], config: Config, deadline: float | None,
                      workers: int) -> Solution:
    """The day's plan from its parts solved by ``workers`` processes (see the module text)."""
    if workers <= 1:
        return optimise(opts, n_slots, pools, config, deadline)
    started = time.perf_counter()
    cut = split(opts, config, workers)
    if len(cut.parts) <= 1:
        solution = optimise(opts, n_slots, pools, config, deadline)
        return _noted(solution, tr("--workers {n}: the day's debtors share capacity throughout (one part); solved "
                                   "as one network", n=workers))
    if cut.shared and config.max_gap <= 0:
        return _noted(optimise(opts, n_slots, pools, config, deadline),
                      tr("--workers {n}: a proven optimum was asked and the parts share channel limits; solved as "
                         "one network", n=workers))
    if cut.shared and value_scale(top_value(opts.blocks), len(opts.blocks), opts.count + len(opts.blocks)) != SCALE:
        return _noted(optimise(opts, n_slots, pools, config, deadline),
                      tr("--workers {n}: values too large to price in cents; solved as one network", n=workers))
    runner = _Runner((opts, cut, n_slots, pools, config, deadline), min(workers, len(cut.parts)))
    try:
        if not cut.shared:
            results = runner.run([None] * len(cut.parts))
            return _merged(results, started, tr("--workers {n}: {parts} independent parts (no capacity shared), "
                                                "exact decomposition", n=workers, parts=len(cut.parts)))
        found = _coordinate(runner, cut, n_slots, config, deadline)
    except BrokenProcessPool:  # a worker died (out of memory, killed): the day in this process
        solution = optimise(opts, n_slots, pools, config, deadline)
        return _noted(dataclasses.replace(solution, seconds=time.perf_counter() - started),
                      tr("--workers {n}: a worker process died; solved as one network", n=workers))
    finally:
        runner.close()
    coordinated = None
    if found.plan is not None:
        note = tr("--workers {n}: {parts} parts; the channel limits they share ({channels}) coordinated by prices in "
                  "{rounds} round(s)", n=workers, parts=len(cut.parts),
                  channels=", ".join(sorted(c.value for c in cut.shared)), rounds=found.rounds)
        if not found.reached:
            note += tr("; time limit reached before the gap was within --max-gap")
        merged = _merged(found.plan, started, note, part_notes=False)
        coordinated = dataclasses.replace(merged, objective=found.value, bound=found.bound,
                                          status=SolveStatus.OPTIMAL if found.value >= found.bound
                                          else SolveStatus.FEASIBLE)
        if found.reached or found.timed_out:
            return coordinated
    try:
        solution = optimise(opts, n_slots, pools, config, deadline)
    except TimeLimitReached:
        if coordinated is None:
            raise
        return coordinated  # the time ran out: the coordinated plan in hand, with its gap
    return _noted(dataclasses.replace(solution, seconds=time.perf_counter() - started),
                  tr("--workers {n}: price coordination of the shared channel limits did not reach the gap in "
                     "{rounds} rounds; solved as one network", n=workers, rounds=found.rounds))


@dataclass(frozen=True)
class _Coordinated:
    plan: list[tuple[Solution, np.ndarray]] | None  # the best plan in hand (None: none yet)
    value: float
    bound: float
    rounds: int
    reached: bool  # within max_gap
    timed_out: bool  # stopped by the time limit


def _coordinate(runner: _Runner, cut: Split, n_slots: int, config: Config, deadline: float | None) -> _Coordinated:
    """Price rounds (see the module text) until the gap is within max_gap, the time limit, the
    gap stops closing or ROUNDS rounds: the best plan in hand and the best bound."""
    rows = {c: CHANNELS.index(c) for c in cut.shared}
    slot_limit = {c: s for c, (s, _) in cut.shared.items() if s is not None}
    day_limit = {c: d for c, (_, d) in cut.shared.items() if d is not None}
    slot_price = {c: np.zeros(n_slots) for c in slot_limit}  # currency per contact
    day_price = {c: 0.0 for c in day_limit}
    lifted = np.full(n_slots, UNLIMITED, dtype=np.int64)
    best_plan, best_value, best_bound = None, -np.inf, np.inf
    parts = len(cut.parts)
    theta = 2.0  # Polyak's step factor, halved when a round does not lower the bound
    gaps: list[float] = []

    def found(rounds: int, reached: bool = False, timed_out: bool = False) -> _Coordinated:
        return _Coordinated(best_plan, best_value, max(best_bound, best_value), rounds, reached, timed_out)

    for rounds in range(1, ROUNDS + 1):
        cents_slot = {c: np.rint(p * SCALE).astype(np.int64) for c, p in slot_price.items()}
        cents_day = {c: int(round(p * SCALE)) for c, p in day_price.items()}
        priced = Coupling(slot_price=cents_slot, day_price=cents_day, slot_limit={c: lifted for c in slot_limit},
                          day_limit={c: None for c in day_limit})
        try:
            results = runner.run([priced] * parts)
        except TimeLimitReached:  # a part started after the deadline
            if best_plan is None:
                raise
            return found(rounds - 1, timed_out=True)
        if any(s.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) for s, _ in results):
            return found(rounds - 1)
        use = [u for _, u in results]
        total = sum(use)
        # What the prices cost at the limits, in currency: the dual term of the bound.
        dual = (sum(int(cents_slot[c].sum()) * limit for c, limit in slot_limit.items())
                + sum(cents_day[c] * limit for c, limit in day_limit.items())) / SCALE
        bound = sum(s.bound for s, _ in results) + dual
        if bound >= best_bound:
            theta /= 2
        best_bound = min(best_bound, bound)
        keeps = (all((total[rows[c]] <= limit).all() for c, limit in slot_limit.items())
                 and all(total[rows[c]].sum() <= limit for c, limit in day_limit.items()))
        plan = None
        if keeps:  # the priced plans keep the limits: a plan in hand (values, not priced values)
            plan = results
        else:
            slot_shares = {c: _shares(use, rows[c], limit) for c, limit in slot_limit.items()}
            day_shares = {c: _shares([u[rows[c]].sum(keepdims=True)[None] for u in use], 0, limit)[:, 0]
                          for c, limit in day_limit.items()}
            shares = [Coupling(slot_limit={c: v[k] for c, v in slot_shares.items()},
                               day_limit={c: int(v[k]) for c, v in day_shares.items()}) for k in range(parts)]
            try:
                plan = runner.run(shares)
            except TimeLimitReached:
                if best_plan is None:
                    raise
                return found(rounds, timed_out=True)
            if any(s.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) for s, _ in plan):
                plan = None
        if plan is not None and (value := sum(s.objective for s, _ in plan)) > best_value:
            best_plan, best_value = plan, value
        gap = (best_bound - best_value) / best_bound if best_bound > 0 else 0.0
        if best_plan is not None and gap <= config.max_gap:
            return found(rounds, reached=True)
        if deadline is not None and time.perf_counter() >= deadline and best_plan is not None:
            return found(rounds, timed_out=True)
        gaps.append(gap)
        if len(gaps) >= 3 and gaps[-1] > 0.9 * gaps[-3]:
            return found(rounds)  # the gap has stopped closing: the day as one network does better
        # Polyak's step towards the best plan: prices rise where the parts used more than the limit.
        grads = {("s", c): total[rows[c]] - limit for c, limit in slot_limit.items()}
        grads.update({("d", c): np.array([total[rows[c]].sum() - limit]) for c, limit in day_limit.items()})
        norm = sum(float((g.astype(np.float64) ** 2).sum()) for g in grads.values())
        if norm == 0 or best_plan is None:
            return found(rounds)
        step = theta * (bound - best_value) / norm
        for c in slot_limit:
            slot_price[c] = np.maximum(0.0, slot_price[c] + step * grads[("s", c)])
        for c in day_limit:
            day_price[c] = max(0.0, day_price[c] + step * float(grads[("d", c)][0]))
    return found(ROUNDS)


def _shares(use: list[np.ndarray], row: int, limit: int) -> np.ndarray:
    """Each part's share of a shared limit (parts x columns: slots, or one column for a day
    limit): in proportion to its use in the priced round (evenly where no part used it), by
    largest remainders, so the shares add up to the limit exactly and never beyond it."""
    mine = np.stack([u[row] for u in use]).astype(np.float64)  # parts x columns
    total = mine.sum(axis=0)
    quota = np.where(total > 0, limit * mine / np.maximum(total, 1), limit / len(use))
    share = np.floor(quota + 1e-9).astype(np.int64)
    left = limit - share.sum(axis=0)  # units the rounding left over, per column
    ranks = np.argsort(np.argsort(-(quota - share), axis=0, kind="stable"), axis=0, kind="stable")
    return share + (ranks < left).astype(np.int64)


def _merged(results: list[tuple[Solution, np.ndarray]], started: float, note: str, *,
            part_notes: bool = True) -> Solution:
    """The parts' plans as the day's. A part's own note (its own gap, say) is kept for parts
    solved apart; a priced part's note speaks of its priced network, not the plan's."""
    solutions = [s for s, _ in results]
    chosen = sorted(c for s in solutions for c in s.chosen)
    pool_of = {key: name for s in solutions for key, name in s.pool_of.items()}
    statuses = {s.status for s in solutions}
    status = next((s for s in (SolveStatus.FAILED, SolveStatus.INFEASIBLE, SolveStatus.FEASIBLE) if s in statuses),
                  SolveStatus.OPTIMAL)
    notes = [n for n in dict.fromkeys(s.note for s in solutions) if n] if part_notes else []
    return Solution(status, chosen, pool_of, sum(s.objective for s in solutions), sum(s.bound for s in solutions),
                    time.perf_counter() - started, sum(s.arcs for s in solutions), sum(s.groups for s in solutions),
                    "; ".join([note, *notes]))


def _noted(solution: Solution, note: str) -> Solution:
    return dataclasses.replace(solution, note="; ".join(n for n in (note, solution.note) if n))
