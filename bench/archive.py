"""Benchmark the plan archive: what `plan` does after writing plan.csv (Store.archive_plan), and
what reads archived plans back (the HTML page's comparison with the previous plan, `report` and
`learn` joining each attempt's pool and holdout arm).

    python bench/archive.py                         # 1,000,000 contacts, SQLite (the default store)
    python bench/archive.py 100000 1000000 --postgresql   # chosen sizes, also a throw-away PostgreSQL server

The plan is N seeded contacts as the planner makes them: debtors in Brazil's four zones, 24
half-hour windows from 08:00 local, every channel, 50 pools for agent calls, two-decimal values,
the contacts of one window sharing its datetime objects and rule list (as the planner's options
do). For each store, in this process: archive into the empty store, archive the same plan id
again (a re-plan of the same inputs replaces it), read its contacts back, read the archived
(channel, pool, arm) of every debtor-day, and the size of the store. Wall and CPU seconds (CPU
includes polars' threads; the PostgreSQL server's own CPU is another process, not counted).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import types
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_import import PostgresServer  # noqa: E402

from contactplan.model import Channel, PlannedContact  # noqa: E402
from contactplan.store import open_store  # noqa: E402

SEED = 20261124
DAY = dt.date(2026, 11, 24)
ZONES = ["America/Sao_Paulo", "America/Manaus", "America/Rio_Branco", "America/Noronha"]
RULES = {c: tuple(f"br.{c.value}.{k}" for k in range(12)) for c in Channel}


def contacts(n: int) -> list[PlannedContact]:
    rng = random.Random(SEED)
    windows: dict[tuple[str, int], tuple[dt.datetime, dt.datetime]] = {}
    out = []
    for i in range(n):
        zone = rng.choice(ZONES)
        slot = rng.randrange(24)
        window = windows.get((zone, slot))
        if window is None:
            start = dt.datetime.combine(DAY, dt.time(8), ZoneInfo(zone)) + dt.timedelta(minutes=30 * slot)
            window = windows[(zone, slot)] = (start, start + dt.timedelta(minutes=25))
        channel = rng.choice(list(Channel))
        phone = f"+55{rng.randrange(11, 99)}9{rng.randrange(10**8):08d}"
        destination = f"d{i}@example.com" if channel is Channel.EMAIL else phone
        out.append(PlannedContact(
            f"D{i:09d}", channel, destination, window[0], window[1], zone,
            f"pool-{rng.randrange(50):02d}" if channel is Channel.VOICE else "", rng.randrange(1, 5000),
            Decimal(rng.randrange(1, 10**6)).scaleb(-2), RULES[channel]))
    return out


def timed(label: str, call):
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    print(f"  {label}: {time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU", flush=True)
    return result


def run(label: str, url: str, planned: list[PlannedContact], size=None) -> None:
    print(label, flush=True)
    n = len(planned)
    counts = types.SimpleNamespace(read=n, planned=n, excluded=0, rejected=0, rows=n, rejected_rows=0)
    plan = types.SimpleNamespace(plan_id=f"CP-{DAY:%Y%m%d}-bench", plan_date=DAY, status="optimal", objective=1.0,
                                 options=n, counts=counts, provenance={}, contacts=planned, arms=None)
    store = open_store(url)
    now = dt.datetime.combine(DAY, dt.time(6), dt.timezone.utc)
    timed("archive into the empty store", lambda: store.archive_plan(plan, now))
    timed("archive the same plan id again", lambda: store.archive_plan(plan, now))
    back = timed("read its contacts back", lambda: store.planned_contacts(plan.plan_id))
    assert back == planned, "the archive must give back the plan"
    joined = timed("archived (channel, pool, arm) by debtor-day", lambda: store.archived_contacts(DAY, DAY))
    assert len(joined) == n
    if size:
        print(f"  store size: {size() / 1e6:.1f} MB")


def main(argv: list[str]) -> None:
    postgresql = "--postgresql" in argv
    sizes = [int(a) for a in argv if not a.startswith("--")] or [1_000_000]
    for n in sizes:
        planned = contacts(n)
        print(f"{n:,} contacts")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            db = root / "store.db"
            run("SQLite (the default store)", f"sqlite:///{db}", planned, lambda: os.path.getsize(db))
            if postgresql:
                server = PostgresServer(root)
                try:
                    run("PostgreSQL", server.url, planned)
                finally:
                    server.stop()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main(sys.argv[1:])
