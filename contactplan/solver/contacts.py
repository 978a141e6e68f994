"""The chosen options as the plan's contacts, in the order dialers take them."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal

import numpy as np

from contactplan.io.frozen import constructor
from contactplan.model import Channel, Debtor, PlannedContact, Pool
from contactplan.solver.flow import chosen_values

# Contract order of channels in the plan (their names' order, as the file was always sorted).
_CHANNEL_ORDER = {c: r for r, c in enumerate(sorted(Channel, key=lambda c: c.value))}

# A million planned contacts: a frozen dataclass's __init__ would be a third of this phase.
_new_contact = constructor(PlannedContact, "debtor_id", "channel", "destination", "window_start", "window_end",
                           "timezone", "pool", "rank", "expected_value", "rules", "slot", "allowed")


def planned_contacts(debtors: list[Debtor], blocks, chosen: list[tuple[int, int]],
                     pool_of: dict[tuple[int, int], str]) -> list[PlannedContact]:
    """Planned contacts in dialer order: by window start, channel and pool, then value (highest
    first) and debtor id; rank 1 is the most valuable contact of its (window start, channel,
    pool) queue. Sorted with numpy keys: a million contacts in Python tuples took seconds."""
    if not chosen:
        return []
    n = len(chosen)
    picked = [blocks[b] for b, _ in chosen]
    ks = [k for _, k in chosen]
    shapes = [block.shape for block in picked]
    starts = [shape.windows[k][0] for shape, k in zip(shapes, ks, strict=True)]
    start_key = np.fromiter((t.timestamp() for t in starts), dtype=np.float64, count=n)
    channel_key = np.fromiter((_CHANNEL_ORDER[block.channel] for block in picked), dtype=np.int64, count=n)
    pools = [pool_of.get(pair, "") for pair in chosen]
    pool_names = sorted(set(pools))
    pool_rank = {name: r for r, name in enumerate(pool_names)}
    pool_key = np.fromiter((pool_rank[p] for p in pools), dtype=np.int64, count=n)
    value = chosen_values(blocks, chosen)
    ids = [debtors[block.debtor].debtor_id for block in picked]
    id_key = np.argsort(np.argsort(np.array(ids), kind="stable"), kind="stable")
    order = np.lexsort((id_key, -value, pool_key, channel_key, start_key))
    # Rank within each (start, channel, pool) queue: 1 at every change of queue.
    queue = np.stack((start_key, channel_key, pool_key))[:, order]
    new_queue = np.r_[True, np.any(queue[:, 1:] != queue[:, :-1], axis=0)]
    first = np.maximum.accumulate(np.where(new_queue, np.arange(n), 0))
    rank = (np.arange(n) - first + 1).tolist()
    values = value[order].tolist()
    out: list[PlannedContact] = []
    for i, r, v in zip(order.tolist(), rank, values, strict=True):
        block, k = picked[i], ks[i]
        window = block.shape.windows[k]
        out.append(_new_contact(ids[i], block.channel, block.destination.address, window[0], window[1],
                                debtors[block.debtor].primary_zone, pools[i], r, Decimal(f"{v:.2f}"), block.rules,
                                block.shape.slots[k], _span(block.allowed, window)))
    return out


def _span(allowed: tuple, window) -> tuple | None:
    """The allowed interval that holds the window (the shape's windows are cut out of them)."""
    return next((i for i in allowed if i[0] <= window[0] and window[1] <= i[1]), None)


def without(opts, booked: set[int], ids: set[str]):
    """The options without the debtors a call back is booked for (one contact a day)."""
    return dataclasses.replace(opts, blocks=[b for b in opts.blocks if b.debtor not in booked],
                               exclusions=[e for e in opts.exclusions if e.debtor_id not in ids],
                               daily_limit={i: n for i, n in opts.daily_limit.items() if i not in booked})


def with_seats(pools: list[Pool], booked: list[PlannedContact]) -> list[Pool]:
    """The pools with the seats the booked calls back took given back (the audit counts them)."""
    taken: dict[tuple[str, int], int] = defaultdict(int)
    for c in booked:
        taken[(c.pool, c.slot)] += 1
    return [dataclasses.replace(p, capacity=tuple(n + taken.get((p.name, s), 0) for s, n in enumerate(p.capacity)))
            for p in pools]


def ranked(contacts: list[PlannedContact]) -> list[PlannedContact]:
    """Contacts in dialer order (window start, channel, pool, value highest first, debtor id),
    ranked 1.. within each (window start, channel, pool) queue, as planned_contacts orders them."""
    def key(c: PlannedContact) -> tuple:
        return (c.window_start.timestamp(), _CHANNEL_ORDER[c.channel], c.pool, -c.expected_value, c.debtor_id)

    out: list[PlannedContact] = []
    queue, rank = None, 0
    for c in sorted(contacts, key=key):
        here = (c.window_start.timestamp(), c.channel, c.pool)
        rank = rank + 1 if here == queue else 1
        queue = here
        out.append(dataclasses.replace(c, rank=rank))
    return out
