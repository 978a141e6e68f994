"""End-to-end benchmark: generate a seeded portfolio, plan it, print phase times and peak memory.

    python bench/run.py                  # 10k and 100k debtors
    python bench/run.py 10000 1000000    # chosen sizes
    python bench/run.py --max-gap 0 100000   # exact mode (proven optimum) instead of the default 0.1 %
    python bench/run.py --history 60 100000  # 60 % of the debtors with recent attempts (store data)

Each size runs in its own process so the peak memory (ru_maxrss) is that size's own. ``polars_read_s``
is the floor of the read phase: polars reading the same debtors.csv as text in the same run, nothing
validated; ``read_vs_polars`` how many times that the read phase takes. Inputs are
generated with ``contactplan generate`` logic (seed 20261124, 50 agent pools) into a temporary directory;
the plan date is fixed (Tuesday 2026-11-24). Figures are for the machine it runs on. The peak
memory includes the greedy baseline's arrays (computed inside the run, on the same options).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261124
PLAN_DATE = dt.date(2026, 11, 24)
POOLS = 50  # the scale: 24 half-hour slots x 5 channels x 50 agent pools


def _history(inputs, share: float) -> dict:
    """Seeded recent attempts for ``share`` of the debtors, as the store would load them: one to
    five attempts in the ten days before the plan date, any channel and outcome."""
    import random

    from contactplan.model import Attempt, Channel, Outcome

    rng = random.Random(SEED)
    history = {}
    for d in inputs.debtors.debtors:
        if rng.random() < share and d.destinations:
            history[d.debtor_id] = [
                Attempt(f"{d.debtor_id}-{k}", d.debtor_id, rng.choice(list(Channel)), rng.choice(d.destinations).address,
                        dt.datetime.combine(PLAN_DATE - dt.timedelta(days=rng.randrange(1, 11)),
                                            dt.time(rng.randrange(11, 23), rng.randrange(60)), dt.UTC),
                        rng.choice(list(Outcome)))
                for k in range(rng.randrange(1, 6))]
    return history


def one(n: int, max_gap_pct: float, history_pct: float = 0.0) -> dict:
    from contactplan.config import Config
    from contactplan.io.plan_csv import write_plan
    from contactplan.model import StoreData
    from contactplan.planner import build_plan, load_inputs, with_history

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        # Generated in another process, so this one starts as a planning run does (and its peak
        # memory is the run's, not the generator's).
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                        "from contactplan.generate import write_portfolio; "
                        "write_portfolio(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), pools=int(sys.argv[4]))",
                        tmp, str(n), str(SEED), str(POOLS)], check=True)
        debtors, agents = Path(tmp) / "debtors.csv", Path(tmp) / "agents.csv"
        generate = time.perf_counter() - t
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        inputs = load_inputs(debtors, agents)
        read = time.perf_counter() - t0
        made_up = 0.0  # making up the history is not part of a run; attaching it is (store_s)
        store = 0.0
        if history_pct:
            t = time.perf_counter()
            history = _history(inputs, history_pct / 100)
            made_up = time.perf_counter() - t
            t = time.perf_counter()
            inputs = with_history(inputs, StoreData(history))
            store = time.perf_counter() - t
        plan = build_plan(inputs, PLAN_DATE, Config(max_gap=max_gap_pct / 100), baseline=True)
        t = time.perf_counter()
        write_plan(Path(tmp) / "plan.csv", plan.plan_id, plan.plan_date, plan.contacts)
        write = time.perf_counter() - t
        # The baseline is not part of a run.
        total = time.perf_counter() - t0 - plan.timings.get("greedy", 0.0) - made_up
        # The floor of the read phase: polars reading the same file as text columns, nothing
        # validated, in the same run (after the plan, so both find the file in the page cache).
        import polars as pl

        t = time.perf_counter()
        pl.read_csv(debtors, infer_schema=False)
        floor = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "generate_s": generate, "read_s": read, "store_s": store, **{f"{k}_s": v for k, v in plan.timings.items()},
            "write_s": write, "total_s": total, "polars_read_s": floor,
            "read_vs_polars": read / floor if floor else 0.0, "peak_mb": peak / 1024, "before_plan_mb": base / 1024,
            "options": plan.options, "planned": plan.counts.planned, "objective": plan.objective,
            "status": str(plan.status), "bound": plan.bound, "gap_pct": 100 * plan.gap, "greedy": plan.greedy,
            "vs_greedy_pct": 100 * (plan.objective - plan.greedy) / plan.greedy if plan.greedy else 0.0}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(one(int(argv[1]), float(argv[2]), float(argv[3]))))
        return
    max_gap, history = 0.1, 0.0
    while argv[:1] in (["--max-gap"], ["--history"]):
        if argv[0] == "--max-gap":
            max_gap = float(argv[1])
        else:
            history = float(argv[1])
        argv = argv[2:]
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, plan date {PLAN_DATE}, seed {SEED}, {POOLS} pools, max gap {max_gap}%, history for {history}% of debtors")
    cols = ("n", "read_s", "polars_read_s", "read_vs_polars", "store_s", "capacity_s", "rules_s", "solve_s",
            "extract_s", "audit_s", "write_s", "total_s", "peak_mb", "options", "planned", "objective", "bound", "gap_pct", "greedy", "vs_greedy_pct", "status")
    print(" | ".join(cols))
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), str(max_gap), str(history)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(" | ".join(f"{r[c]:.4f}" if c == "gap_pct" else f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c])
                         for c in cols), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
