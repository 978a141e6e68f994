"""Benchmark the user's own path on the command line, as a planner runs it each morning:

    python bench/cli.py                  # 100,000 debtors
    python bench/cli.py 100000 1000000   # chosen sizes
    python bench/cli.py --exports 100000 # also the VICIdial and Genesys exports (a plan each)
    python bench/cli.py --workers 2      # also plan --workers 2, on these pools and on two books

For each size, in a fresh temporary directory (seeded, so every run is the same work):

1. ``contactplan generate`` writes the portfolio (50 agent pools), not timed;
2. a 30-day dialer log is written for 80 % of the debtors, 1 to 10 attempts each on distinct
   days before the plan date (2026-11-24), to their own phones and e-mails, 09:00-18:00 -03:00,
   any outcome (so some debtors had a conversation yesterday), not timed;
3. ``history import`` of that log into a fresh SQLite store (the default store), timed;
4. ``plan`` with that store: debtors.csv and agents.csv in, history from the store, plan.csv and
   the archive out, timed, with the phases of its own Timings line;
5. ``audit`` of that plan.csv with the same store, timed;
6. with ``--exports``: ``plan --format vicidial`` and ``--format genesys`` (each a whole run;
   the export's own cost is its ``write`` phase);
7. with ``--workers N``: ``plan --workers N`` on the same files (its pools serve every segment:
   one part), then ``plan`` and ``plan --workers N`` with the agents in two books (the pools that
   serve every segment serve cards and loans, or telecom and retail, in turns: two teams that
   share no pool), so the decomposition's gain is measured where it applies.

Each command runs in its own process; wall and CPU seconds and the peak RSS are that process's
(CPU is user + system of the child, so the solver's and the workers' threads count). Figures
are for the machine it runs on; say so when it was busy.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261124
PLAN_DATE = dt.date(2026, 11, 24)
POOLS = 50
CLI = [sys.executable, "-m", "contactplan"]
OUTCOMES = ["no_answer", "no_answer", "busy", "voicemail", "conversation", "promise_to_pay", "wrong_party"]
DAYS = [PLAN_DATE - dt.timedelta(days=k) for k in range(1, 31)]


def write_history(debtors_csv: Path, path: Path) -> int:
    """The log of step 2; returns how many attempts it holds."""
    rng = random.Random(SEED)
    offset = dt.timezone(dt.timedelta(hours=-3))
    k = 0
    with debtors_csv.open(encoding="utf-8") as f, path.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"])
        seen = set()
        for row in csv.DictReader(f):
            if row["debtor_id"] in seen or rng.random() >= 0.8:
                continue
            seen.add(row["debtor_id"])
            phones = [row[c] for c in ("phone_mobile", "phone_home", "phone_work") if row[c]]
            email = row["email"]
            if not phones and not email:
                continue
            for day in rng.sample(DAYS, rng.randint(1, 10)):
                channel = rng.choice(["voice", "voice", "voice", "ivr", "sms", "whatsapp", "email"])
                if channel == "email" and not email or channel != "email" and not phones:
                    channel = "email" if email else "voice"
                dest = email if channel == "email" else rng.choice(phones)
                when = dt.datetime.combine(day, dt.time(9), offset) + dt.timedelta(minutes=rng.randrange(9 * 60))
                outcome = "delivered" if channel in ("sms", "whatsapp", "email") else rng.choice(OUTCOMES)
                w.writerow([f"H{k:09d}", row["debtor_id"], channel, dest, when.isoformat(), outcome,
                            f"AG{rng.randrange(99):02d}"])
                k += 1
    return k


def timed(label: str, *args: str, ok=(0,)) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # The peak RSS of this one child: a fresh interpreter that runs the command and reports it.
    # A wide console, so that rich keeps the Timings line on one line.
    r = subprocess.run([sys.executable, "-c", _RUN_ONE, *args], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "1000"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in ok:
        sys.exit(f"{label} failed ({r.returncode}): {r.stderr[-3000:]}")
    peak = re.findall(r"^PEAK_KB (\d+)$", r.stderr, re.M)
    phases = {}
    found = re.search(r"Timings: (.*)", r.stderr)
    if found:
        for part in found.group(1).split(","):
            m = re.match(r"\s*([a-z ]+?)\s+([\d.]+)\s*s", part)
            if m:
                phases[m.group(1)] = float(m.group(2))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"label": label, "wall": wall, "cpu": cpu,
            "peak_mb": int(peak[-1]) / 1024 if peak else 0.0, "phases": phases, "stderr": r.stderr}


# Runs the CLI in this process and prints its own peak RSS (largest of itself and its children:
# the audit's workers) on stderr, whatever the exit code.
_RUN_ONE = """
import resource, sys
from contactplan.cli import main
sys.argv = ["contactplan", *sys.argv[1:]]
try:
    main()
except SystemExit as e:
    code = e.code
else:
    code = 0
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(f"PEAK_KB {peak}", file=sys.stderr)
sys.exit(code)
"""


def two_books(agents: Path, out: Path) -> None:
    """The roster of step 7: every pool that served all segments serves one of two books."""
    books = ("cards;personal_loan", "telecom;retail")
    with agents.open(encoding="utf-8", newline="") as f, out.open("w", encoding="utf-8", newline="") as g:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(g, fieldnames=reader.fieldnames)
        writer.writeheader()
        turn = {}
        for row in reader:
            if row["segments"] == "*":
                row["segments"] = books[turn.setdefault(row["pool"], len(turn) % 2)]
            writer.writerow(row)


def one(n: int, exports: bool, workers: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([*CLI, "generate", "-n", str(n), "-s", str(SEED), "--pools", str(POOLS), "-o", tmp],
                       check=True, capture_output=True)
        attempts = write_history(root / "debtors.csv", root / "history.csv")
        db = f"sqlite:///{root / 'store.db'}"
        common = ["-d", str(root / "debtors.csv"), "-a", str(root / "agents.csv"), "--date", str(PLAN_DATE),
                  "--db", db]
        runs = [timed(f"history import ({attempts:,} attempts)", "history", "import", str(root / "history.csv"),
                      "--db", db),
                timed("plan", "plan", *common, "-o", str(root / "plan.csv")),
                timed("audit plan.csv", "audit", str(root / "plan.csv"), *common[:-2], "--db", db, ok=(0, 1))]
        if exports:
            for fmt in ("vicidial", "genesys"):
                out = root / fmt
                out.mkdir()
                runs.append(timed(f"plan --format {fmt}", "plan", *common, "--format", fmt, "-o", str(out)))
        if workers > 1:
            runs.append(timed(f"plan --workers {workers}", "plan", *common, "--workers", str(workers), "-o",
                              str(root / "plan-w.csv")))
            two_books(root / "agents.csv", root / "agents-books.csv")
            books = [*common[:2], "-a", str(root / "agents-books.csv"), *common[4:]]
            runs.append(timed("plan (two books)", "plan", *books, "-o", str(root / "plan-b.csv")))
            runs.append(timed(f"plan --workers {workers} (two books)", "plan", *books, "--workers", str(workers),
                              "-o", str(root / "plan-bw.csv")))
            for r in runs[-3:]:
                found = re.search(r"Solver: (.*?)(?:, [\d,]+ options|$)", r["stderr"], re.M)
                r["label"] += f" [{found.group(1)[:160]}]" if found else ""
        for r in runs:
            r["n"] = n
        return runs


def main(argv: list[str]) -> None:
    exports = "--exports" in argv
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    sizes = [int(a) for k, a in enumerate(argv) if a.isdigit() and (k == 0 or argv[k - 1] != "--workers")] \
        or [100_000]
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, load {load:.2f} at start; plan date {PLAN_DATE}, seed {SEED}, {POOLS} pools, "
          f"80 % of debtors with 1-10 attempts in 30 days, SQLite store", flush=True)
    for n in sizes:
        for r in one(n, exports, workers):
            phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
            print(f"{r['n']:,} debtors | {r['label']}: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s, "
                  f"peak {r['peak_mb']:.0f} MB" + (f" | {phases}" if phases else ""), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
