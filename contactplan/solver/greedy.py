"""The greedy baseline the optimiser is measured against (DESIGN.md: 1.3-1.8 % below optimum;
bench/run.py measures about 1 % on the synthetic portfolios): take options from the most valuable
down, keep each one that still fits (debtor not yet contacted, a pool of its class with a free
seat in that slot, channel limits)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from contactplan.model import Config, Pool
from contactplan.solver.flow import flat_options
from contactplan.solver.options import OptionBlock


def greedy_value(blocks: list[OptionBlock], pools: list[Pool], config: Config) -> float:
    """Value of the greedy plan (at most one contact per debtor, as the optimiser plans)."""
    return greedy_plan(blocks, pools, config)[2]


def greedy_plan(blocks: list[OptionBlock], pools: list[Pool], config: Config
                ) -> tuple[list[tuple[int, int]], dict[tuple[int, int], str], float]:
    """The greedy plan: (chosen (block, position) pairs, the pool of each chosen agent call, its
    value). The challenger strategy of ``plan --holdout``, and the optimiser's baseline."""
    # In whole cents, as the flow counts them, so the two values compare exactly.
    flat = flat_options(blocks)
    cents = flat.cents
    seats = {(p.name, s): c for p in pools for s, c in enumerate(p.capacity) if c}
    per_slot: Counter = Counter()
    per_day: Counter = Counter()
    contacted: set[int] = set()
    total = 0
    chosen: list[tuple[int, int]] = []
    pool_of: dict[tuple[int, int], str] = {}
    owner, slots, positions = flat.block, flat.slot, flat.position
    for k in np.argsort(-cents, kind="stable").tolist():
        block = blocks[owner[k]]
        if block.debtor in contacted:
            continue
        slot = int(slots[k])
        cc = config.channels[block.channel]
        if (cc.per_slot is not None and per_slot[(block.channel, slot)] >= cc.per_slot) or \
                (cc.per_day is not None and per_day[block.channel] >= cc.per_day):
            continue
        pair = (int(owner[k]), int(positions[k]))
        if block.pools:
            free = [name for name in block.pools if seats.get((name, slot), 0) > 0]
            if not free:
                continue
            pool = max(free, key=lambda n: seats[(n, slot)])
            seats[(pool, slot)] -= 1
            pool_of[pair] = pool
        per_slot[(block.channel, slot)] += 1
        per_day[block.channel] += 1
        contacted.add(block.debtor)
        chosen.append(pair)
        total += int(cents[k])
    return chosen, pool_of, total / flat.scale
