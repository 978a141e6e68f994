"""How much of the suite runs: the fast default (README) or everything (CI).

`python -m pytest` runs the fast suite: slow fault and scale tests are deselected and the property
and fuzz tests draw a fifth of their examples. CONTACTPLAN_FULL_TESTS=1 (set by .ci/run) runs every
test with every example.
"""

from __future__ import annotations

import os

FULL = os.environ.get("CONTACTPLAN_FULL_TESTS") == "1"


def examples(n: int) -> int:
    """Hypothesis examples for a property drawing `n` in the full suite."""
    return n if FULL else max(10, n // 5)
