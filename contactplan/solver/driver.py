"""How the planner asks for a plan within the gap and the time it is given.

Binned first: debtors with the same options in value bins of half the allowed gap, far fewer
supply nodes, and a proven bound. If its gap is over ``max_gap`` (or the user asked for a proven
optimum, ``max_gap`` 0), the exact flow follows. SimpleMinCostFlow cannot be interrupted and
holds the interpreter while it runs, so under a time limit the exact flow runs in a forked child
process that is stopped at the deadline; the binned plan, with its stated gap, is then the answer.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable
from typing import TypeVar

from contactplan.errors import Infeasible
from contactplan.i18n import tr
from contactplan.model import Config, Pool
from contactplan.solver.flow import Coupling, Solution, SolveStatus, solve
from contactplan.solver.options import Options

T = TypeVar("T")

# Bin width used to have a plan in hand when the exact flow was asked for under a time limit.
FALLBACK_BIN_WIDTH = 0.0005


class TimeLimitReached(Infeasible):
    """No plan within the time limit (exit 3, like any run that ends without a plan)."""


def optimise(opts: Options, n_slots: int, pools: list[Pool], config: Config,
             deadline: float | None = None, coupling: Coupling | None = None) -> Solution:
    """``deadline`` is a ``time.perf_counter()`` instant, or None for no time limit. ``coupling``:
    see flow.solve (one part of a decomposed day)."""
    if config.max_gap <= 0 and deadline is None:
        return solve(opts.blocks, opts.shapes, n_slots, pools, config, coupling=coupling)
    if deadline is not None and time.perf_counter() >= deadline:
        raise TimeLimitReached(tr("the time limit was reached before optimising; no plan was written "
                                  "(raise --time-limit)"))
    width = config.max_gap / 2 if config.max_gap > 0 else FALLBACK_BIN_WIDTH
    binned = solve(opts.blocks, opts.shapes, n_slots, pools, config, bin_width=width, coupling=coupling)
    if binned.status is not SolveStatus.FEASIBLE or binned.gap <= config.max_gap:
        return binned
    if deadline is None:
        exact = solve(opts.blocks, opts.shapes, n_slots, pools, config, coupling=coupling)
    else:
        exact = run_until(lambda: solve(opts.blocks, opts.shapes, n_slots, pools, config, coupling=coupling),
                          deadline)
        if exact is None:
            return dataclasses.replace(binned, note=tr("time limit reached before the exact flow finished; plan "
                                                       "within {gap:.4%} of the optimum", gap=binned.gap))
    return dataclasses.replace(exact, seconds=binned.seconds + exact.seconds)


def run_until(compute: Callable[[], T], deadline: float) -> T | None:
    """``compute()`` in a forked child, or None if its result is not back by the deadline (the
    child is then stopped). Without fork (not POSIX) it runs here and the deadline is not kept."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return compute()
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(receive, send, compute), daemon=True)
    child.start()
    send.close()
    try:
        if receive.poll(max(0.0, deadline - time.perf_counter())):
            try:
                return receive.recv()
            except EOFError:  # the child died (e.g. out of memory): no result
                return None
        return None
    finally:
        child.kill()
        child.join()
        receive.close()


def _child(receive, send, compute: Callable[[], object]) -> None:
    receive.close()  # so that a dead parent means a broken pipe here, not a child waiting forever
    try:
        send.send(compute())
    except BrokenPipeError:
        pass
    send.close()
