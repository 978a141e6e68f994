"""Benchmark `contactplan history import` on the command line, as a planner runs it after the
dialer's day: M seeded attempts of N generated debtors (bench/audit_log.py's log: 30 days, every
channel and outcome, opt-outs included) into a fresh store.

    python bench/history_import.py                          # 100,000 debtors, 1,000,000 attempts, SQLite
    python bench/history_import.py 100000 1000000 --postgresql   # also a throw-away PostgreSQL server

For each store it times, each in a process of its own:
1. the import of the log into the empty store;
2. the import of the same attempts from another file (the log with LF line ends instead of
   CRLF, so another file hash): every attempt is compared with the stored one and none is added;
3. the import of the first file again (known by its hash: nothing read twice).

The PostgreSQL server is started here (initdb + pg_ctl on localhost, default settings: fsync on),
as the tests start theirs. Prints wall and CPU seconds and the peak RSS (of the largest process so far); CPU of
the server process is not counted (it is another process tree).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_log import CLI, SEED, write_log  # noqa: E402
from loop import timed  # noqa: E402


def _pg_bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    candidates = [shutil.which(name), *(str(p / name) for p in versions)]
    found = next((c for c in candidates if c and Path(c).exists()), None)
    if not found:
        sys.exit(f"{name} not found: install the PostgreSQL server to run --postgresql")
    return found


class PostgresServer:
    """A throw-away server in a temporary directory (as root, run as the 'postgres' user)."""

    def __init__(self, root: Path) -> None:
        self.data = root / "pg"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.data.mkdir()
        if self.as_user:
            shutil.chown(root, "postgres")
            shutil.chown(self.data, "postgres")
        subprocess.run([*self.as_user, _pg_bin("initdb"), "-D", str(self.data), "-U", "contactplan",
                        "--auth=trust", "-E", "UTF8", "--no-locale"], check=True, capture_output=True)
        subprocess.run([*self.as_user, _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(root / "pg.log"), "-w",
                        "-o", f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)
        self.url = f"postgresql+psycopg://contactplan@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run([*self.as_user, _pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                       capture_output=True)


def run(label: str, db: str, log: Path, other: Path) -> None:
    print(label, flush=True)
    timed("  import into the empty store", "history", "import", str(log), "--db", db, said=True)
    timed("  the same attempts from another file", "history", "import", str(other), "--db", db, said=True)
    timed("  the first file again", "history", "import", str(log), "--db", db, said=True)


def main(argv: list[str]) -> None:
    postgresql = "--postgresql" in argv
    sizes = [a for a in argv if not a.startswith("--")]
    n_debtors = int(sizes[0]) if sizes else 100_000
    n_attempts = int(sizes[1]) if len(sizes) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([*CLI, "generate", "-n", str(n_debtors), "-s", str(SEED), "-o", tmp], check=True,
                       capture_output=True)
        log = root / "log.csv"
        write_log(root / "debtors.csv", log, n_attempts)
        other = root / "log-lf.csv"
        other.write_bytes(log.read_bytes().replace(b"\r\n", b"\n"))
        print(f"{n_attempts:,} attempts of {n_debtors:,} debtors ({log.stat().st_size / 1e6:.0f} MB)")
        run("SQLite (the default store)", f"sqlite:///{root / 'store.db'}", log, other)
        if postgresql:
            server = PostgresServer(root)
            try:
                run("PostgreSQL (COPY)", server.url, log, other)
            finally:
                server.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
