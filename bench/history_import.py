"""Benchmark `history import`: N seeded synthetic attempts into a fresh store.

    python bench/history_import.py                     # 1,000,000 attempts into SQLite
    python bench/history_import.py 1000000 postgresql+psycopg://user@127.0.0.1:5432/db

Prints the phase times (read+validate the CSV, insert) and the re-import time (idempotent: adds 0).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from contactplan.io.history import read_history
from contactplan.store import open_store

SEED = 20261124
OUTCOMES = ["no_answer", "busy", "voicemail", "conversation", "promise_to_pay", "delivered", "failed"]
CHANNELS = ["voice", "voice", "voice", "ivr", "sms", "whatsapp", "email"]


def write_attempts(path: Path, n: int) -> None:
    rng = random.Random(SEED)
    start = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"])
        for k in range(n):
            channel = rng.choice(CHANNELS)
            dest = f"d{k % 400_000}@example.com" if channel == "email" else f"+55119{rng.randrange(10**8):08d}"
            when = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 50))
            w.writerow([f"ATT{k:09d}", f"D{k % 400_000:07d}", channel, dest, when.isoformat(), rng.choice(OUTCOMES),
                        f"AG{rng.randrange(200):03d}"])


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        url = argv[1] if len(argv) > 1 else f"sqlite:///{tmp}/bench.db"
        path = Path(tmp) / "attempts.csv"
        write_attempts(path, n)
        store = open_store(url)
        now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        t0 = time.perf_counter()
        attempts, sha, _ = read_history(path)
        t1 = time.perf_counter()
        rows, added = store.import_attempts(attempts, sha256=sha, source=str(path), now=now)
        t2 = time.perf_counter()
        again = store.import_attempts(attempts, sha256=sha[::-1], source=str(path), now=now)
        t3 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        backend = url.split(":", 1)[0]
        print(f"{backend}: {n} attempts: read+validate {t1 - t0:.1f} s, insert {t2 - t1:.1f} s, "
              f"total {t2 - t0:.1f} s; added {added}; re-import of the same attempts {t3 - t2:.1f} s "
              f"added {again[1]}; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
