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
