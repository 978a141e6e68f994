"""``plan --holdout``: the optimiser and the greedy challenger side by side, each on its share of
every capacity, so that the indicators can prove the optimiser's lift (outcomes/holdout.py
assigns the debtors)."""

from __future__ import annotations

import dataclasses

from contactplan.i18n import tr
from contactplan.model import Config, Pool, SolveStatus
from contactplan.outcomes.holdout import CHALLENGER, CHAMPION
from contactplan.solver.flow import Solution
from contactplan.solver.greedy import greedy_plan
from contactplan.solver.parts import optimise_in_parts


def with_holdout(opts, challengers: set[int], n_slots: int, pools: list[Pool], config: Config,
                 deadline: float | None) -> tuple[Solution, list, dict[str, float]]:
    """The optimiser on the champion's debtors and capacity, the greedy challenger on its own:
    the challenger gets the share of every pool's seats per slot and of every channel limit that
    it has of the debtors with options (rounded down), the champion the rest, so the two arms
    never share a seat and their sum is what the operation has."""
    with_options = {b.debtor for b in opts.blocks}
    share = len(with_options & challengers) / len(with_options) if with_options else 0.0
    mine = [b for b in opts.blocks if b.debtor not in challengers]
    theirs = [b for b in opts.blocks if b.debtor in challengers]
    held = [dataclasses.replace(p, capacity=tuple(int(c * share) for c in p.capacity)) for p in pools]
    rest = [dataclasses.replace(p, capacity=tuple(c - h for c, h in zip(p.capacity, q.capacity, strict=True)))
            for p, q in zip(pools, held, strict=True)]

    def limits(part) -> Config:
        return dataclasses.replace(config, channels={
            c: dataclasses.replace(cc, per_day=None if cc.per_day is None else part(cc.per_day),
                                   per_slot=None if cc.per_slot is None else part(cc.per_slot))
            for c, cc in config.channels.items()})

    champion_config = limits(lambda n: n - int(n * share))
    challenger_config = limits(lambda n: int(n * share))
    champion = optimise_in_parts(dataclasses.replace(opts, blocks=mine), n_slots, rest, champion_config, deadline,
                                 config.workers)
    if champion.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return champion, opts.blocks, {}
    chosen, pool_of, value = greedy_plan(theirs, held, challenger_config)
    offset = len(mine)
    merged = dataclasses.replace(
        champion, chosen=champion.chosen + [(b + offset, k) for b, k in chosen],
        pool_of={**champion.pool_of, **{(b + offset, k): p for (b, k), p in pool_of.items()}},
        objective=champion.objective + value, bound=champion.bound + value,
        note=(champion.note + "; " if champion.note else "") + tr(
            "holdout: challenger (greedy) planned {n:,} contacts on {share:.2%} of the capacity", n=len(chosen),
            share=share))
    return merged, mine + theirs, {CHAMPION: champion.objective, CHALLENGER: value}
