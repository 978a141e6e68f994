"""The champion/challenger holdout: a stable, seeded share of the portfolio is planned by the
challenger strategy, the rest by the optimiser, and the lift is measured on imported outcomes.

Assignment is a hash of the seed and the debtor id, so a debtor stays in its arm day after day
(a strategy's effect builds over days of contacts) and anyone can recompute it. Each arm gets
the share of every capacity (seats per pool and slot, channel limits) that it has of the
debtors, rounded down for the challenger, so the comparison is of strategies, not of resources.

The lift is measured per debtor-day, intention to treat: every debtor the plan assigned to an
arm counts in that arm's denominator, contacted or not, so an arm cannot look better by choosing
whom to contact. Interval: Newcombe's hybrid score interval for a difference of proportions
(Newcombe 1998, method 10), which stays inside [-1, 1] and behaves for small counts, unlike Wald.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

CHAMPION = "champion"
CHALLENGER = "challenger"
ARMS = (CHAMPION, CHALLENGER)
Z95 = 1.959963984540054


def in_challenger(debtor_id: str, seed: int, percent: float) -> bool:
    """Whether the debtor is in the challenger arm: the first 8 bytes of SHA-256(seed, id) as a
    fraction of 2**64, below ``percent`` / 100."""
    digest = hashlib.sha256(f"{seed}\x1f{debtor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < percent / 100 * 2**64


def arm_of(debtor_id: str, seed: int, percent: float) -> str:
    return CHALLENGER if in_challenger(debtor_id, seed, percent) else CHAMPION


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return ((centre - spread) / denominator, (centre + spread) / denominator)


@dataclass(frozen=True)
class Lift:
    champion_debtors: int  # debtor-days assigned to the champion
    champion_promises: int  # debtor-days with at least one promise to pay
    challenger_debtors: int
    challenger_promises: int

    @property
    def champion_rate(self) -> float | None:
        return self.champion_promises / self.champion_debtors if self.champion_debtors else None

    @property
    def challenger_rate(self) -> float | None:
        return self.challenger_promises / self.challenger_debtors if self.challenger_debtors else None

    @property
    def difference(self) -> float | None:
        if self.champion_rate is None or self.challenger_rate is None:
            return None
        return self.champion_rate - self.challenger_rate

    @property
    def relative(self) -> float | None:
        """The difference as a share of the challenger's rate (None when that rate is 0)."""
        d, base = self.difference, self.challenger_rate
        return d / base if d is not None and base else None

    def interval(self) -> tuple[float, float] | None:
        """95 % interval of the difference (Newcombe's hybrid score)."""
        if not self.champion_debtors or not self.challenger_debtors:
            return None
        p1, p2 = self.champion_rate, self.challenger_rate
        l1, u1 = wilson(self.champion_promises, self.champion_debtors)
        l2, u2 = wilson(self.challenger_promises, self.challenger_debtors)
        d = p1 - p2
        return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
