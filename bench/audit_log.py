"""Benchmark `contactplan audit --log` on the command line: a dialer log of M attempts against a
portfolio of N debtors (seeded), as a user runs it.

    python bench/audit_log.py                 # 100,000 debtors, 1,000,000 attempts
    python bench/audit_log.py 20000 200000
    python bench/audit_log.py 100000 1000000 --mostly-compliant

The portfolio comes from `contactplan generate` and the log from its debtors' own phones and
e-mails, both written before the timed run. By default the log is the worst case: 30 days,
every channel and outcome, any time from 08:00 to 20:00 in -03:00, Sundays and holidays
included, so that most attempts break some rule. ``--mostly-compliant`` writes what a dialer
run by contactplan's plans would: at most one attempt a debtor a day, on working days, 10:00
to 16:00 in -03:00, by voice, SMS or e-mail (what is left: flags, consents, preferred windows,
prescribed debts). Prints wall and CPU seconds and the peak RSS of the audit process, and the
violations it found.
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


# 2026-10-26 .. 2026-11-24 without weekends and the national holidays in it (All Souls' Day, the
# Republic's, Black Awareness Day).
WORKING_DAYS = [d for d in (dt.date(2026, 10, 26) + dt.timedelta(days=k) for k in range(30))
                if d.weekday() < 5 and d not in (dt.date(2026, 11, 2), dt.date(2026, 11, 20))]


def write_log(debtors_csv: Path, path: Path, n: int, mostly_compliant: bool = False) -> None:
    rng = random.Random(SEED)
    people = []
    with debtors_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            phones = [row[c] for c in ("phone_mobile", "phone_home", "phone_work") if row[c]]
            people.append((row["debtor_id"], phones, row["email"]))
    start = dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    if mostly_compliant:
        return _write_compliant(debtors_csv, path, n, rng)
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


def _write_compliant(debtors_csv: Path, path: Path, n: int, rng: random.Random) -> None:
    """``n`` attempts, each debtor's on distinct working days, by a dialer that honours the
    debtor file: no flagged debtor, SMS to mobiles, calls in the preferred window, where given."""
    flags = ("do_not_contact", "cease_and_desist", "disputed", "bankruptcy", "deceased", "attorney_represented")
    people = {}
    with debtors_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["debtor_id"] in people or any(row[c] == "true" for c in flags) or int(row["days_past_due"]) > 1800:
                continue
            window = (10 * 60, 16 * 60)
            if row["preferred_window"]:
                start, end = (int(t[:2]) * 60 + int(t[3:]) for t in row["preferred_window"].split("-"))
                window = (max(start, 9 * 60), min(end, 17 * 60) - 15)
            people[row["debtor_id"]] = (row["phone_mobile"], row["phone_home"] or row["phone_mobile"], row["email"],
                                        window, row["sms_consent"] != "false")
    offset = dt.timezone(dt.timedelta(hours=-3))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id"])
        k = 0
        each = n / len(people)  # attempts a debtor, on average: as many days (repeated when more)
        low, high = max(1, round(each) - 3), min(len(WORKING_DAYS), round(each) + 5)
        while k < n:
            for debtor_id, (mobile, phone, email, window, sms_ok) in people.items():
                if window[1] <= window[0]:
                    continue
                for day in rng.sample(WORKING_DAYS, min(n - k, rng.randint(low, max(low, high)))):
                    channel = rng.choice(["voice", "voice", "sms", "email"])
                    if channel == "sms" and not (mobile and sms_ok) or channel == "email" and not email:
                        channel = "voice"
                    dest = {"email": email, "sms": mobile}.get(channel) or phone
                    if not dest:
                        continue
                    when = dt.datetime.combine(day, dt.time(0), offset) + dt.timedelta(
                        minutes=rng.randrange(*window))
                    outcome = "delivered" if channel in ("sms", "email") else rng.choice(OUTCOMES[:5])
                    w.writerow([f"L{k:09d}", debtor_id, channel, dest, when.isoformat(), outcome,
                                f"AG{rng.randrange(99):02d}"])
                    k += 1
                if k >= n:
                    return


def main(argv: list[str]) -> None:
    mostly_compliant = "--mostly-compliant" in argv
    argv = [a for a in argv if a != "--mostly-compliant"]
    n_debtors = int(argv[0]) if argv else 100_000
    n_attempts = int(argv[1]) if len(argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*CLI, "generate", "-n", str(n_debtors), "-s", str(SEED), "-o", tmp], check=True,
                       capture_output=True)
        debtors = Path(tmp) / "debtors.csv"
        log = Path(tmp) / "log.csv"
        write_log(debtors, log, n_attempts, mostly_compliant)
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
        kind = "mostly compliant" if mostly_compliant else "worst case"
        print(f"audit --log ({kind}): {n_attempts:,} attempts, {n_debtors:,} debtors: wall {wall:.1f} s, CPU {cpu:.1f} s, "
              f"peak RSS {after.ru_maxrss / 1024:.0f} MB; {report['summary']['violations']:,} violations "
              f"({', '.join(f'{k} {v}' for k, v in list(report['summary']['by_rule'].items())[:5])})")


if __name__ == "__main__":
    main(sys.argv[1:])
