"""Evidence that the outcome loop works: a hidden ground truth, N simulated days of
plan -> outcomes -> history import -> learn -> plan, all through the command line as a user runs it.

    python bench/simulate.py                  # 20,000 debtors, 10 days
    python bench/simulate.py 5000 5           # smaller
    python bench/simulate.py --example        # rewrite examples/br/results.csv and examples/us/results.csv

Three operations plan the same portfolio every day, each with its own store (so its own history
and caps): (a) the config's constants, (b) the model learned from its own outcomes so far
(`learn --by channel,hour,segment`, then `plan --model`; day 1 has no data and uses the
constants), (c) greedy by value (`plan --holdout 100`: every debtor in the challenger arm). The
world answers from contactplan.outcomes.simulate.Truth (seeded), which the planner never sees.

Printed per day and strategy: promises, promised value (balances of the debtors who promised),
expected value under the truth (the same without the luck of the draw), and for (b) the model's
error against the truth (attempt-weighted mean absolute error of P(promise) per cell).
"""

from __future__ import annotations

import csv
import os
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contactplan.io.plan_csv import read_plan  # noqa: E402
from contactplan.outcomes.simulate import history_csv, make_truth, simulate_day  # noqa: E402

SEED = 20261202
START = dt.date(2026, 11, 9)  # a Monday; the days must lie in the past (history import refuses future attempts)
CLI = [sys.executable, "-m", "contactplan"]
STRATEGIES = ("constants", "learned", "greedy")


def run(*args: str) -> None:
    r = subprocess.run([*CLI, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"contactplan {' '.join(args[:1])} failed ({r.returncode}): {r.stderr[-1500:]}")


def portfolio(debtors_csv: Path) -> dict[str, tuple[str, float]]:
    out: dict[str, list] = {}
    with debtors_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            seg, bal = out.get(row["debtor_id"], (row.get("segment", ""), 0.0))
            out[row["debtor_id"]] = (seg, bal + float(row["balance"].replace(",", ".")))
    return {k: tuple(v) for k, v in out.items()}


def model_error(model_path: Path, truths: dict[tuple, list[float]]) -> float:
    """Attempt-weighted mean |learned P(promise) - true P(promise)| over the model's cells, the truth
    of a cell being the mean true P(promise) of the attempts it was learned from."""
    data = tomllib.loads(model_path.read_text(encoding="utf-8"))
    total = weight = 0.0
    for cell in data.get("cell", []):
        key = (cell["channel"], cell["hour"], cell.get("segment"))
        seen = truths.get(key)
        if not seen:
            continue
        learned = cell["p_rpc"] * cell["p_promise_given_rpc"]
        total += abs(learned - sum(seen) / len(seen)) * len(seen)
        weight += len(seen)
    return total / weight if weight else float("nan")


def example(name: str) -> None:
    """examples/NAME/results.csv: the bundled example planned Monday to Friday of the week before its
    README date, each day's simulated outcomes imported before the next day is planned."""
    here = Path(__file__).resolve().parents[1] / "examples" / name
    out = here / "results.csv"
    truth = make_truth(SEED)
    people = portfolio(here / "debtors.csv")
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'store.db'}"
        for d in range(5):
            day = dt.date(2026, 11, 16) + dt.timedelta(days=d)
            plan_csv = Path(tmp) / f"plan-{day}.csv"
            run("plan", "-d", str(here / "debtors.csv"), "-a", str(here / "agents.csv"), "-c",
                str(here / "contactplan.toml"), "--date", str(day), "--db", db, "-o", str(plan_csv))
            _, contacts = read_plan(str(plan_csv))
            sim = simulate_day(contacts, truth, people, seed=SEED + d, prefix=f"R{day:%Y%m%d}-")
            log = Path(tmp) / f"results-{day}.csv"
            log.write_text(history_csv(sim.rows), encoding="utf-8")
            run("history", "import", str(log), "--db", db)
            rows.extend(sim.rows)
    out.write_text(history_csv(rows), encoding="utf-8")
    print(f"{out}: {len(rows):,} attempts")


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--example":
        for name in argv[1:] or ("br", "us"):
            example(name)
        return
    n = int(argv[0]) if argv else 20_000
    days = int(argv[1]) if len(argv) > 1 else 10
    truth = make_truth(SEED)
    started = time.perf_counter()
    keep = os.environ.get("SIMULATE_DIR")  # keep the files (plans, results, models) for a look
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        run("generate", "-n", str(n), "-s", str(SEED), "-o", str(root))
        debtors, agents = root / "debtors.csv", root / "agents.csv"
        people = portfolio(debtors)
        totals = {s: [0, 0.0, 0.0] for s in STRATEGIES}
        truths: dict[tuple, list[float]] = defaultdict(list)  # (channel, hour, segment) -> true P(promise) seen
        print(f"{n:,} debtors, {days} days from {START}; truth seed {SEED}")
        print(f"{'day':10} {'strategy':10} {'contacts':>9} {'promises':>9} {'promised value':>15} "
              f"{'expected value':>15} {'model error':>12}")
        for d in range(days):
            day = START + dt.timedelta(days=d)
            for strategy in STRATEGIES:
                db = f"sqlite:///{root / (strategy + '.db')}"
                plan_csv = root / f"{strategy}-{day}.csv"
                model = root / f"{strategy}-model.toml"
                extra: list[str] = []
                if strategy == "learned" and model.exists():
                    extra = ["--model", str(model)]
                if strategy == "greedy":
                    extra = ["--holdout", "100"]
                run("plan", "-d", str(debtors), "-a", str(agents), "--date", str(day), "--db", db,
                    "-o", str(plan_csv), *extra)
                _, contacts = read_plan(str(plan_csv))
                sim = simulate_day(contacts, truth, people, seed=SEED + 100 * d + STRATEGIES.index(strategy),
                                   prefix=f"{strategy[0].upper()}{d:03d}-")
                if strategy == "learned":
                    for row in sim.rows:
                        at = dt.datetime.fromisoformat(row[4])
                        truths[(row[2], at.hour, people[row[1]][0])].append(sim.truth_of[row[0]][1])
                log = root / f"{strategy}-{day}-results.csv"
                log.write_text(history_csv(sim.rows), encoding="utf-8")
                run("history", "import", str(log), "--db", db)
                error = ""
                if strategy == "learned":
                    run("learn", "--from", str(START), "--to", str(day), "--by", "channel,hour,segment",
                        "--debtors", str(debtors), "--db", db, "-o", str(model))
                    error = f"{model_error(model, truths):.4f}"
                t = totals[strategy]
                t[0] += sim.promises
                t[1] += sim.promised_value
                t[2] += sim.expected_value
                print(f"{day!s:10} {strategy:10} {len(contacts):>9,} {sim.promises:>9,} {sim.promised_value:>15,.2f} "
                      f"{sim.expected_value:>15,.2f} {error:>12}", flush=True)
        print("totals:")
        base = totals["constants"][2]
        for strategy, (promises, promised, expected) in totals.items():
            print(f"  {strategy:10} promises {promises:,}, promised value {promised:,.2f}, expected value "
                  f"{expected:,.2f} ({(expected / base - 1) * 100:+.1f} % against the constants)")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {time.perf_counter() - started:.0f} s, CPU of the CLI runs {usage.ru_utime + usage.ru_stime:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
