"""The greedy baseline the optimiser is measured against (DESIGN.md: 1.3-1.8 % below optimum):
take options from the most valuable down, keep each one that still fits (debtor not yet
contacted, a pool of its class with a free seat in that slot, channel limits)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from contactplan.config import Config
from contactplan.model import Pool
from contactplan.solver.flow import SCALE
from contactplan.solver.options import OptionBlock


def greedy_value(blocks: list[OptionBlock], daily_limit: dict[int, int], pools: list[Pool], config: Config) -> float:
    # In whole cents, as the flow counts them, so the two values compare exactly.
    values = np.rint(np.fromiter((v for b in blocks for v in b.values), dtype=np.float64) * SCALE) / SCALE
    owner = np.repeat(np.arange(len(blocks)), [len(b.slots) for b in blocks])
    offset = np.concatenate(([0], np.cumsum([len(b.slots) for b in blocks])))
    seats = {(p.name, s): c for p in pools for s, c in enumerate(p.capacity) if c}
    per_slot: Counter = Counter()
    per_day: Counter = Counter()
    used: Counter = Counter()
    total = 0.0
    for k in np.argsort(-values, kind="stable"):
        block = blocks[owner[k]]
        if used[block.debtor] >= daily_limit.get(block.debtor, 0):
            continue
        slot = block.slots[k - offset[owner[k]]]
        cc = config.channels[block.channel]
        if (cc.per_slot is not None and per_slot[(block.channel, slot)] >= cc.per_slot) or \
                (cc.per_day is not None and per_day[block.channel] >= cc.per_day):
            continue
        if block.pools:
            free = [name for name in block.pools if seats.get((name, slot), 0) > 0]
            if not free:
                continue
            seats[(max(free, key=lambda n: seats[(n, slot)]), slot)] -= 1
        per_slot[(block.channel, slot)] += 1
        per_day[block.channel] += 1
        used[block.debtor] += 1
        total += float(values[k])
    return total
