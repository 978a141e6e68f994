"""Simulate a day of many portfolios on this machine by partitions, as docs/scaling.md describes:

    python bench/scaling.py                          # 100 partitions of 100,000 debtors: 10M
    python bench/scaling.py --template 20000 --partitions 5 --workers 2

An agency (or a bureau) plans many portfolios, each with its own agent pools (a team per
creditor), that share the operation's channel limits: one WhatsApp Business tier, one IVR trunk
group, one SMS contract. That is the decomposition of solver.parts at scale: each portfolio is a
part, and the shared limits are coordinated by prices.

What runs (seeded, so every run is the same work):

1. ``contactplan generate`` writes one portfolio of ``--template`` debtors (50 pools), and the
   planner's rules give its options under the Brazilian example's config, once (not timed);
2. partition j is that portfolio with each debtor's value base multiplied by a seeded
   lognormal factor (sigma 0.5): other balances, other probabilities of payment, the same rules;
3. the shared limits are the example's limits scaled to the whole book, read as limits for
   100,000 debtors (the agency's contracts grow with its book), and every partition is solved
   in ``--workers`` forked processes per round of solver.parts' coordination until the gap is
   within ``--max-gap``.

A partition is rebuilt from the template in the worker each time it is solved, so memory stays
that of one partition per worker however many partitions there are. Printed: per round the
bound, the plan in hand and the gap; wall and CPU seconds (this process and its workers) and
peak RSS. Figures are for the machine it runs on; say so when it was busy.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contactplan.calendars import Calendars  # noqa: E402
from contactplan.config import load_config  # noqa: E402
from contactplan.generate import write_portfolio  # noqa: E402
from contactplan.planner import load_inputs  # noqa: E402
from contactplan.rules.base import Context  # noqa: E402
from contactplan.rules.packs import load_packs  # noqa: E402
from contactplan.solver import parts  # noqa: E402
from contactplan.solver.capacity import build_pools, slot_grid  # noqa: E402
from contactplan.solver.driver import optimise  # noqa: E402
from contactplan.solver.options import build_options  # noqa: E402

SEED = 20261124
PLAN_DATE = dt.date(2026, 11, 24)
CONFIG = Path(__file__).resolve().parents[1] / "examples" / "br" / "contactplan.toml"
LIMITS_FOR = 100_000  # debtors the example's channel limits are read for

_TEMPLATE: tuple | None = None  # (options, n_slots, pools, config), inherited by the forked workers


def _partition(j: int):
    opts = _TEMPLATE[0]
    n_debtors = max(b.debtor for b in opts.blocks) + 1
    factor = np.random.default_rng((SEED, j)).lognormal(0.0, 0.5, n_debtors)
    return dataclasses.replace(opts, blocks=[dataclasses.replace(b, value_base=b.value_base * float(factor[b.debtor]))
                                             for b in opts.blocks])


def _solve(j: int, coupling):
    """Partition j solved with its coupling: the values and the channel use, not the plan."""
    opts, n_slots, pools, config = _TEMPLATE
    solution, usage = parts.solve_part(_partition(j), n_slots, pools, config, None, coupling)
    return dataclasses.replace(solution, chosen=[], pool_of={}), usage


class _Partitions:
    """solver.parts' runner, for partitions built in the workers."""

    def __init__(self, n: int, workers: int):
        self.n, self.rounds = n, []
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))

    def run(self, couplings):
        t0 = time.perf_counter()
        out = list(self.executor.map(_solve, range(self.n), couplings))
        self.rounds.append(time.perf_counter() - t0)
        return out


def main(argv: list[str]) -> None:
    global _TEMPLATE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--template", type=int, default=100_000, help="debtors per partition")
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--max-gap", type=float, default=0.1, help="percent, as plan --max-gap")
    ap.add_argument("--no-limits", action="store_true", help="no channel limits: the partitions share nothing "
                    "and the decomposition is exact (one pass)")
    ap.add_argument("--whole", action="store_true", help="also solve all partitions as one network in this "
                    "process (for a comparison; holds every partition in memory)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        debtors, agents = write_portfolio(Path(tmp), args.template, seed=SEED, pools=50)
        inputs = load_inputs(debtors, agents)
    base = load_config(CONFIG)
    if args.no_limits:
        base = dataclasses.replace(base, channels={c: dataclasses.replace(cc, per_slot=None, per_day=None)
                                                   for c, cc in base.channels.items()})
    config = dataclasses.replace(base, max_gap=args.max_gap / 100)
    packs = load_packs(config.packs)
    people = inputs.debtors.debtors
    slots = slot_grid(PLAN_DATE, {z for d in people for z in d.zones}, config.slot_minutes)
    pools = build_pools(inputs.agents, slots, inputs.agents_path)
    t0 = time.perf_counter()
    opts = build_options(people, packs, Context(PLAN_DATE, Calendars(), None), slots, pools, config)
    print(f"template: {args.template:,} debtors, {opts.count:,} options, {len(pools)} pools, rules "
          f"{time.perf_counter() - t0:.1f} s (not timed below)")
    del inputs, people
    _TEMPLATE = (opts, len(slots), pools, config)
    scale = args.partitions * args.template / LIMITS_FOR
    shared = {c: (None if s is None else max(1, round(s * scale)), None if d is None else max(1, round(d * scale)))
              for c, (s, d) in parts.limited(config).items()}
    print(f"partitions: {args.partitions} x {args.template:,} = {args.partitions * args.template:,} debtors; "
          f"shared limits: " + ", ".join(f"{c.value} per_slot={s} per_day={d}" for c, (s, d) in shared.items()))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}; workers {args.workers}")

    cut = parts.Split([np.zeros(0, dtype=np.int64)] * args.partitions, shared)
    runner = _Partitions(args.partitions, args.workers)
    wall, cpu = time.perf_counter(), time.process_time()
    found = parts._coordinate(runner, cut, len(slots), config, None)
    runner.executor.shutdown()
    wall = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children.ru_maxrss) / 1024
    print("passes (a priced round, then a share round when the priced plans break a limit): "
          + ", ".join(f"{s:.1f} s" for s in runner.rounds))
    if not found.reached:
        print(f"not within {args.max_gap} % in {found.rounds} rounds: the planner would solve the day as one network")
    else:
        value, bound = found.value, found.bound
        contacts = int(sum(u.sum() for _, u in found.plan))
        print(f"rounds {found.rounds}: plan {value:,.2f}, bound {bound:,.2f}, gap {(bound - value) / bound:.5%}, "
              f"{contacts:,} contacts")
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (this process and its workers), peak RSS {peak:,.0f} MB "
          f"(the largest process)")
    if args.whole:
        _whole(args.partitions, shared)


def _whole(partitions: int, shared: dict) -> None:
    """Every partition in one network, with the shared limits as the config's: the optimum the
    coordination is measured against, and the time one process takes for it."""
    opts, n_slots, pools, config = _TEMPLATE
    n_debtors = max(b.debtor for b in opts.blocks) + 1
    blocks = []
    for j in range(partitions):
        # Each partition with pools of its own, as in the coordinated run.
        blocks.extend(dataclasses.replace(b, debtor=b.debtor + j * n_debtors,
                                          pools=tuple(f"{p}#{j}" for p in b.pools))
                      for b in _partition(j).blocks)
    everyone = dataclasses.replace(opts, blocks=blocks)
    all_pools = [dataclasses.replace(p, name=f"{p.name}#{j}") for j in range(partitions) for p in pools]
    channels = {}
    for c, cc in config.channels.items():
        per_slot, per_day = shared.get(c, (cc.per_slot, cc.per_day))
        channels[c] = dataclasses.replace(cc, per_slot=per_slot, per_day=per_day)
    limits = dataclasses.replace(config, channels=channels)
    wall, cpu = time.perf_counter(), time.process_time()
    solution = optimise(everyone, n_slots, all_pools, limits)
    print(f"as one network: plan {solution.objective:,.2f}, bound {solution.bound:,.2f}, gap {solution.gap:.5%}; "
          f"wall {time.perf_counter() - wall:.1f} s, CPU {time.process_time() - cpu:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
