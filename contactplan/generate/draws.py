"""The random draws the generator's parts share. Every one takes the one ``numpy`` generator of
the portfolio, so the output depends on the seed alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

_BOOL = ("false", "true")
_T = TypeVar("_T")


def allocate(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    """Regions for ``n`` debtors in proportion to ``weights``, in random order.

    Counts are fixed by largest remainder rather than sampled, with one debtor reserved per
    region once ``n`` allows it: small states (RR, AP, AC; WY, VT) carry their own rules and
    time zones and must not vanish from a 500-debtor sample by bad luck.
    """
    names = list(weights)
    share = np.array([weights[k] for k in names], dtype=float)
    share /= share.sum()
    reserved = 1 if n >= len(names) else 0
    rest = n - reserved * len(names)
    counts = np.floor(share * rest).astype(np.int64)
    short = rest - int(counts.sum())
    counts[np.argsort(-(share * rest - counts), kind="stable")[:short]] += 1
    regions = np.repeat(np.arange(len(names)), counts + reserved)
    return take(names, rng.permutation(regions).tolist())


def choice(
    rng: np.random.Generator, values: Sequence[str], weights: Sequence[float], n: int
) -> list[str]:
    # Indexing a tuple of constants keeps one shared str object per value, which matters for
    # memory at a million rows.
    p = np.asarray(weights, dtype=float)
    return take(values, rng.choice(len(values), size=n, p=p / p.sum()).tolist())


def flags(rng: np.random.Generator, share: float, n: int) -> list[str]:
    return take(_BOOL, (rng.random(n) < share).astype(np.int64).tolist())


def take(values: Sequence[str], idx: list[int]) -> list[str]:
    return [values[i] for i in idx]


def pick(values: Sequence[_T], u: float) -> _T:
    """The element a uniform draw ``u`` in [0, 1) lands on."""
    return values[int(u * len(values))]
