"""Benchmark the dialer and messaging exports of a large plan: `plan --format vicidial`,
`genesys` and `batches` without the planning before them.

    python bench/exports.py                  # 100,000 debtors planned, the plan copied 10 times: ~1M contacts
    python bench/exports.py 100000 1         # that plan alone

A seeded portfolio from `contactplan generate` (N debtors, 50 pools) is planned for 2026-11-24 by
the real planner (not timed); its contacts are then copied K times under new debtor ids (each
copy's debtor the same as the original's), so the export sees K x the contacts with the windows,
allowed spans, numbers and zones a real plan has. Each format is exported into a fresh directory
by ``export_plan`` as `plan --format` calls it (no store: lists numbered in order), in this process;
wall and CPU seconds, files written, contacts refused. (bench/cli.py --exports times the same
through the command line, planning included.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contactplan.io.dialers import export_plan
from contactplan.planner import build_plan, load_inputs

SEED = 20261124
DAY = dt.date(2026, 11, 24)
CLI = [sys.executable, "-m", "contactplan"]


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 100_000
    copies = int(argv[1]) if len(argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([*CLI, "generate", "-n", str(n), "-s", str(SEED), "--pools", "50", "-o", tmp], check=True,
                       capture_output=True)
        inputs = load_inputs(root / "debtors.csv", root / "agents.csv")
        plan = build_plan(inputs, DAY)
        debtors = {d.debtor_id: d for d in inputs.debtors.debtors}
        contacts = list(plan.contacts)
        for k in range(1, copies):
            for c in plan.contacts:
                copy = f"{c.debtor_id}-{k}"
                debtors[copy] = debtors[c.debtor_id]
                contacts.append(dataclasses.replace(c, debtor_id=copy))
        big = dataclasses.replace(plan, contacts=tuple(contacts))
        print(f"{len(contacts):,} contacts ({n:,} debtors planned, x{copies})", flush=True)
        for fmt in ("vicidial", "genesys", "batches"):
            out = root / f"out-{fmt}"
            wall, cpu = time.perf_counter(), time.process_time()
            done = export_plan(fmt, big, debtors, out)
            print(f"  {fmt}: {time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
                  f"{len(done.files)} files, {len(done.refused)} refused", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main(sys.argv[1:])
