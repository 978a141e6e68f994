"""fork_map: results in order, failures reported without the exception's message."""

from __future__ import annotations

import os

import pytest

from contactplan.parallel import fork_map, workers


def test_results_come_back_in_order_and_from_other_processes():
    here = os.getpid()
    results = fork_map(lambda k: (k * k, os.getpid()), [1, 2, 3])
    assert [r[0] for r in results] == [1, 4, 9]
    assert results[-1][1] == here and all(pid != here for _, pid in results[:-1])


def test_a_failing_worker_is_reported_without_its_message():
    def fail(k):
        if k == 0:
            raise ValueError("CPF 123.456.789-09")  # personal data must not travel into messages
        return k

    with pytest.raises(RuntimeError, match="ValueError at test_parallel.py") as info:
        fork_map(fail, [0, 1])
    assert "123.456" not in str(info.value)


def test_one_part_runs_here():
    assert fork_map(lambda k: os.getpid(), [0]) == [os.getpid()]
    assert 1 <= workers() <= 2


def test_a_worker_whose_parent_was_killed_does_not_linger(tmp_path):
    """kill -9 of a plan must not leave a forked worker waiting forever on a full pipe."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    marker = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import os, time
        from contactplan.parallel import fork_map
        def work(k):
            if k == 0:
                open({str(marker)!r}, "w").write(str(os.getpid()))
                return b"x" * (8 << 20)  # more than a pipe holds: the send blocks until read
            time.sleep(60)
        fork_map(work, [0, 1])
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    for _ in range(200):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    time.sleep(0.5)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    child = int(marker.read_text())
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        # An exited child of a dead parent is reaped by init; a zombie still answers kill(0).
        with open(f"/proc/{child}/status") as status:
            if "State:\tZ" in status.read():
                return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the worker outlived its killed parent")
