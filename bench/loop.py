"""Benchmark the outcome loop's readers on the command line: `history import` of M attempts into
a fresh SQLite store, then `report --by channel,hour` and `learn --by channel,hour,segment` over
the whole period, as a manager runs them (seeded; the log is bench/audit_log.py's).

    python bench/loop.py                    # 100,000 debtors, 1,000,000 attempts
    python bench/loop.py 20000 200000

Prints wall and CPU seconds and the peak RSS of each command.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_log import CLI, SEED, write_log  # noqa: E402


def timed(label: str, *args: str, said: bool = False) -> None:
    """Run one contactplan command in a process of its own and print its wall and CPU seconds and
    the peak RSS (of the largest child so far); ``said``: also what the command printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([*CLI, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{label} failed ({r.returncode}): {r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = "; " + " ".join((r.stdout + r.stderr).split()) if said else ""
    print(f"{label}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {after.ru_maxrss / 1024:.0f} MB{output}", flush=True)


def main(argv: list[str]) -> None:
    n_debtors = int(argv[0]) if argv else 100_000
    n_attempts = int(argv[1]) if len(argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([*CLI, "generate", "-n", str(n_debtors), "-s", str(SEED), "-o", tmp], check=True,
                       capture_output=True)
        write_log(root / "debtors.csv", root / "log.csv", n_attempts)
        db = f"sqlite:///{root / 'store.db'}"
        print(f"{n_attempts:,} attempts of {n_debtors:,} debtors over 30 days")
        timed("history import", "history", "import", str(root / "log.csv"), "--db", db)
        timed("report --by channel,hour", "report", "--from", "2026-10-26", "--to", "2026-11-24", "--by",
              "channel,hour", "--db", db, "-f", "csv", "-o", str(root / "report.csv"))
        timed("report --by date --html", "report", "--from", "2026-10-26", "--to", "2026-11-24", "--by", "date",
              "--db", db, "-f", "csv", "-o", str(root / "r2.csv"), "--html", str(root / "r.html"))
        timed("learn --by channel,hour,segment", "learn", "--from", "2026-10-26", "--to", "2026-11-24", "--by",
              "channel,hour,segment", "--debtors", str(root / "debtors.csv"), "--db", db, "-o",
              str(root / "model.toml"))


if __name__ == "__main__":
    main(sys.argv[1:])
