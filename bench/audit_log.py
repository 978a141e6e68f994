"""Benchmark `contactplan audit --log` on the command line: a dialer log of M attempts against a
portfolio of N debtors (seeded), as a user runs it.

    python bench/audit_log.py                 # 100,000 debtors, 1,000,000 attempts
    python bench/audit_log.py 20000 200000

The portfolio comes from `contactplan generate` and the log from its debtors' own phones and
e-mails (30 days, every channel and outcome), both written before the timed run. Prints wall
and CPU seconds and the peak RSS of the audit process, and the violations it found.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261124
OUTCOMES = ["no_answer", "no_answer", "busy", "voicemail", "conversation", "promise_to_pay", "delivered", "failed"]
CLI = [sys.executable, "-m", "contactplan"]


def write_log(debtors_csv: Path, path: Path, n: int) -> None:
    rng = random.Random(SEED)
    people = []
    with debtors_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            phones = [row[c] for c in ("phone_mobile", "phone_home", "phone_work") if row[c]]
            people.append((row["debtor_id"], phones, row["email"]))
    start = dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"])
        for k in range(n):
            debtor_id, phones, email = people[rng.randrange(len(people))]
            channel = rng.choice(["voice", "voice", "ivr", "sms", "whatsapp", "email"])
            if channel == "email" and not email or channel != "email" and not phones:
                channel = "email" if email else "voice"
            dest = email if channel == "email" else rng.choice(phones)
            when = start + dt.timedelta(days=rng.randrange(30), minutes=rng.randrange(12 * 60))
            outcome = "delivered" if channel in ("sms", "whatsapp", "email") else rng.choice(OUTCOMES)
            w.writerow([f"L{k:09d}", debtor_id, channel, dest, when.isoformat(), outcome, f"AG{rng.randrange(99):02d}"])


def main(argv: list[str]) -> None:
    n_debtors = int(argv[0]) if argv else 100_000
    n_attempts = int(argv[1]) if len(argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*CLI, "generate", "-n", str(n_debtors), "-s", str(SEED), "-o", tmp], check=True,
                       capture_output=True)
        debtors = Path(tmp) / "debtors.csv"
        log = Path(tmp) / "log.csv"
        write_log(debtors, log, n_attempts)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run([*CLI, "audit", "--log", str(log), "-d", str(debtors), "--no-store", "--format", "json",
                            "-o", str(Path(tmp) / "report.json")], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode not in (0, 1):
            sys.exit(f"audit failed ({r.returncode}): {r.stderr[-2000:]}")
        report = json.loads((Path(tmp) / "report.json").read_text(encoding="utf-8"))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"audit --log: {n_attempts:,} attempts, {n_debtors:,} debtors: wall {wall:.1f} s, CPU {cpu:.1f} s, "
              f"peak RSS {after.ru_maxrss / 1024:.0f} MB; {report['summary']['violations']:,} violations "
              f"({', '.join(f'{k} {v}' for k, v in list(report['summary']['by_rule'].items())[:5])})")


if __name__ == "__main__":
    main(sys.argv[1:])
