"""The daily plan, end to end: inputs -> options -> optimiser -> self-audit -> Plan.

``build_plan`` never writes anything and never reads the clock: the plan date is an input.
Every debtor read ends in exactly one of planned, excluded (rule id, citation, next eligible
date) or rejected (file:line:column), and ``Plan.counts`` proves that they add up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import time
from collections.abc import Callable
from collections import defaultdict
from decimal import Decimal
from importlib import metadata

import numpy as np

from pathlib import Path

from contactplan.audit import audit_plan
from contactplan.calendars import HOLIDAYS_VERSION, Calendars
from contactplan.errors import Infeasible, InputError, PlanRejected
from contactplan.i18n import N_, tr
from contactplan.io.agents import read_agents
from contactplan.io.debtors import read_debtors
from contactplan.io.frozen import constructor
from contactplan.model import (Channel, Config, Counts, Debtor, Exclusion, Holdout, Inputs, Plan, PlannedContact, Pool,
                               attach_store_data, plan_date_problem, with_history)
from contactplan.rules.base import Context
from contactplan.rules.packs import PackSet, load_packs
from contactplan.solver.callbacks import book_callbacks
from contactplan.solver.capacity import build_pools, slot_grid
from contactplan.solver.driver import optimise, run_until
from contactplan.solver.flow import Solution, SolveStatus, chosen_values
from contactplan.solver.horizon import Day, solve_horizon
from contactplan.solver.greedy import greedy_plan, greedy_value
from contactplan.solver.options import build_options, learned_options
from contactplan.outcomes.holdout import CHALLENGER, CHAMPION, in_challenger

# The plan, its inputs and the store's data on debtors live in model.py (io and the reports must
# not import this module for a type); callers that import them from here still may.
__all__ = ["Counts", "Holdout", "Inputs", "Plan", "attach_store_data", "build_plan", "load_inputs", "plan_id_for",
           "with_history"]

# The phases build_plan announces through ``progress``, in order (the CLI draws a bar over them).
PHASES = 4

# A debtor with options whose contact did not fit in today's capacity: the optimiser chose
# debtors with a higher expected recovery. Not a rule of law, so no citation.
NOT_SELECTED = ("capacity.not_selected", N_("Capacity went to debtors with a higher expected recovery"))
# With a horizon: the debtor's attempt budget this week is worth more on a later day.
PLANNED_LATER = ("horizon.planned_later", N_("A later day of the horizon makes better use of the weekly attempt "
                                             "budget"))


def load_inputs(debtors: str | Path, agents: str | Path) -> Inputs:
    """Read and validate both input files. Whole-file problems raise InputError; bad debtor
    rows become rejections in ``Inputs.debtors.rejections``."""
    with _bulk():
        debtor_file = read_debtors(debtors)
    agent_list, unknown, sha = read_agents(agents)
    return Inputs(debtor_file, agent_list, str(agents), sha, unknown)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def _bulk():
    """Millions of small acyclic objects (rows, options): the cyclic GC only re-scans them.
    Measured on 100k debtors it took over a third of the run; reference counting frees them anyway."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_id_for(plan_date: dt.date, *parts: str) -> str:
    """Deterministic: the same inputs, packs, config and date give the same plan id."""
    digest = hashlib.sha256("\x1f".join((plan_date.isoformat(), *parts)).encode()).hexdigest()
    return f"CP-{plan_date:%Y%m%d}-{digest[:8]}"


def build_plan(inputs: Inputs, plan_date: dt.date, config: Config | None = None, packs: PackSet | None = None,
               *, calendars: Calendars | None = None, baseline: bool = False,
               progress: Callable[[str], None] | None = None, time_limit: float | None = None,
               not_before: dt.datetime | None = None, holdout: Holdout | None = None) -> Plan:
    """Plan one day. Raises PlanRejected (exit 1) if the independent audit finds any violation in
    the optimiser's plan, and Infeasible (exit 3) if the solver cannot produce a plan.
    ``progress`` is told the name of each phase as it starts (the CLI shows it). ``time_limit``
    (seconds from this call) bounds the optimiser: past it, the plan in hand (within its stated
    gap) is taken; the self-audit always runs. ``not_before`` (an aware instant) re-plans the
    rest of a day: no window starts before it, and the day's earlier attempts in the debtors'
    history count against every cap. ``holdout``: a seeded share of the debtors is planned by
    the greedy challenger on its share of every capacity, the rest by the optimiser."""
    with _bulk():
        return _build_plan(inputs, plan_date, config, packs, calendars, baseline, progress or (lambda _: None),
                           time_limit, not_before, holdout)


def _build_plan(inputs: Inputs, plan_date: dt.date, config: Config | None, packs: PackSet | None,
                calendars: Calendars | None, baseline: bool, progress: Callable[[str], None],
                time_limit: float | None, not_before: dt.datetime | None, holdout: Holdout | None) -> Plan:
    started = time.perf_counter()
    problem = plan_date_problem(plan_date)
    if problem:
        raise InputError(tr("plan date"), f"{plan_date} {problem}")
    config = config or Config()
    packs = packs or load_packs(config.packs)
    calendars = calendars or Calendars()
    timings: dict[str, float] = {}
    progress(tr("capacity from the agents' shifts"))
    t0 = time.perf_counter()
    debtors = inputs.debtors.debtors
    ctx = Context(plan_date, calendars, not_before)
    zones = {z for d in debtors for z in d.zones}
    slots = slot_grid(plan_date, zones, config.slot_minutes)
    pools = build_pools(inputs.agents, slots, inputs.agents_path)
    timings["capacity"] = time.perf_counter() - t0

    progress(tr("rules for {n:,} debtors", n=len(debtors)))
    t0 = time.perf_counter()
    opts = build_options(debtors, packs, ctx, slots, pools, config)
    # Calls back the debtors asked for go first, on their own seats (if every rule allows them).
    booking = book_callbacks(debtors, packs, ctx, slots, pools, config)
    if booking.contacts:
        opts = _without(opts, booking.debtors, {debtors[i].debtor_id for i in booking.debtors})
        pools = booking.pools
    timings["rules"] = time.perf_counter() - t0

    later: dict[int, int] = {}
    challengers: set[int] = set()
    arm_values: dict[str, float] = {}
    if holdout is not None:
        if config.horizon_days > 1:
            raise InputError("--holdout", tr("a holdout plans one day at a time: use it with horizon_days 1"))
        challengers = {i for i, d in enumerate(debtors) if in_challenger(d.debtor_id, holdout.seed, holdout.percent)}
        # The share is a field with its sign ("10 %"): a "% o" in the template would read as a
        # printf conversion to the catalogue's checks.
        progress(tr("optimising {n:,} options, {share} of the debtors held out", n=opts.count,
                    share=f"{holdout.percent:g} %"))
        solution, blocks, arm_values = _with_holdout(opts, challengers, len(slots), pools, config,
                                                     None if time_limit is None else started + time_limit)
        opts = dataclasses.replace(opts, blocks=blocks)
    elif config.horizon_days > 1:
        progress(tr("optimising {n:,} options today within {days} days", n=opts.count, days=config.horizon_days))
        solution, later = _within_horizon(inputs, debtors, opts, slots, pools, packs, calendars, plan_date, config,
                                          zones, timings, None if time_limit is None else started + time_limit)
    else:
        progress(tr("optimising {n:,} options", n=opts.count))
        solution = optimise(opts, len(slots), pools, config, None if time_limit is None else started + time_limit)
    greedy = None
    if baseline:
        t0 = time.perf_counter()
        greedy = greedy_value(opts.blocks, pools, config)
        timings["greedy"] = time.perf_counter() - t0
    timings["solve"] = solution.seconds
    if solution.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise Infeasible(tr("the solver returned {status} for {n} options", status=solution.status, n=opts.count))

    t0 = time.perf_counter()
    contacts = _contacts(debtors, opts.blocks, solution.chosen, solution.pool_of)
    if holdout is not None:
        held_out = {debtors[i].debtor_id for i in challengers}

        def armed(planned: list[PlannedContact]) -> list[PlannedContact]:
            return [dataclasses.replace(c, arm=CHALLENGER if c.debtor_id in held_out else CHAMPION) for c in planned]

        contacts = armed(contacts)
        booking = dataclasses.replace(booking, contacts=armed(booking.contacts))
    if booking.contacts:
        contacts = _ranked(contacts + booking.contacts)
        pools = _with_seats(pools, booking.contacts)
    planned_ids = {c.debtor_id for c in contacts}
    excluded_ids = {e.debtor_id for e in opts.exclusions}
    exclusions = list(opts.exclusions)
    not_selected, planned_later = tr(NOT_SELECTED[1]), tr(PLANNED_LATER[1])  # once: many debtors may say it
    for i in sorted(opts.daily_limit):
        debtor = debtors[i]
        if debtor.debtor_id in planned_ids or debtor.debtor_id in excluded_ids:
            continue
        if i in later:
            exclusions.append(Exclusion(debtor.debtor_id, PLANNED_LATER[0], "", planned_later,
                                        next_eligible=plan_date + dt.timedelta(days=later[i])))
        else:
            exclusions.append(Exclusion(debtor.debtor_id, NOT_SELECTED[0], "", not_selected,
                                        next_eligible=plan_date + dt.timedelta(days=1)))
    timings["extract"] = time.perf_counter() - t0

    progress(tr("independent audit of {n:,} contacts", n=len(contacts)))
    t0 = time.perf_counter()
    by_id = {d.debtor_id: d for d in debtors}
    violations = audit_plan(contacts, by_id, packs, plan_date, pools=pools, slots=slots, config=config,
                            calendars=calendars, not_before=not_before)
    timings["audit"] = time.perf_counter() - t0
    if violations:
        first = "; ".join(tr("{rule} debtor {debtor}: {message}", rule=v.rule_id, debtor=v.debtor_id,
                             message=v.message) for v in violations[:3])
        raise PlanRejected(tr("the independent audit found {n} violation(s) in the optimiser's plan; nothing was "
                              "written. First: {first}", n=len(violations), first=first))

    df = inputs.debtors
    counts = Counts(read=len(df.read_ids), planned=len(planned_ids), excluded=len(exclusions),
                    rejected=df.rejected_debtors, rows=df.rows, rejected_rows=len(df.rejections))
    provenance = {
        "contactplan": _version("contactplan"), "ortools": _version("ortools"), "holidays": HOLIDAYS_VERSION,
        "debtors_sha256": df.sha256, "agents_sha256": inputs.agents_sha256, "packs_sha256": packs.sha256,
        "config": config.source, "packs": ",".join(p.id for p in packs.packs),
        "municipal_holidays": calendars.municipal_source,
        "not_before": not_before.isoformat() if not_before else "",
    }
    if holdout is not None:
        provenance.update(holdout_percent=f"{holdout.percent:g}", holdout_seed=str(holdout.seed),
                          challenger="greedy by value, same rules, its share of every capacity")
    if config.model is not None:
        provenance.update(model=config.model.source, model_sha256=config.model.sha256)
    config_key = repr((config.slot_minutes, config.min_window_minutes, config.default_p_pay,
                       sorted(config.channels.items()), sorted(config.hour_effectiveness.items()),
                       config.max_gap, config.horizon_days, config.horizon_discount,
                       *((config.model.sha256,) if config.model is not None else ())))
    parts = (df.sha256, inputs.agents_sha256, packs.sha256, config_key, calendars.sha256,
             *((store,) if (store := _store_digest(debtors)) else ()))
    # A re-plan is another plan of the same day; a plan of the whole day keeps its id.
    plan_id = plan_id_for(plan_date, *parts, *((f"not_before={not_before.isoformat()}",) if not_before else ()),
                          *((f"holdout={holdout.percent:g}/{holdout.seed}",) if holdout else ()))
    arms = {}
    if holdout is not None:
        arms = {CHAMPION: len(debtors) - len(challengers), CHALLENGER: len(challengers)}
    sources: dict[str, int] = defaultdict(int)
    notes: dict[str, int] = defaultdict(int)
    for d in debtors:
        sources[d.zone_source] += 1
        # Worth a planner's attention: several candidate zones (contact only where all allow) or
        # a zone taken from the phone's area code because the address did not give one.
        if len(d.zones) > 1 or d.zone_source == "area_code":
            notes[d.zone_note] += 1
    return Plan(plan_id, plan_date, tuple(contacts), tuple(sorted(exclusions, key=lambda e: e.debtor_id)),
                tuple(df.rejections), counts, solution.status, solution.objective, opts.count,
                tuple(pools), tuple(slots), config, provenance, timings, tuple(violations), dict(sources), dict(notes), greedy,
                solution.bound, solution.note, len(booking.contacts), tuple(booking.refused), holdout, arms,
                arm_values, learned_options(debtors, opts, config) if config.model is not None else None)


def _store_digest(debtors: list[Debtor]) -> str:
    """What the store told the plan (attempts, suppressions, consent records), hashed: it is an
    input like the files, so re-planning a day after its outcomes were imported is another plan
    (another id) and the archived plan the dialer was given is kept. Empty without store data, so
    a plan made without the store keeps the id of its files alone."""
    digest = hashlib.sha256()
    told = False
    for d in debtors:
        if not d.has_store_data:
            continue
        told = True
        digest.update("\x1f".join((d.debtor_id, *(a.attempt_id for a in d.history),
                                   *(f"{s.debtor_id}|{s.destination}|{s.channel or ''}|{s.source}|{s.expires_on}"
                                     for s in d.suppressions),
                                   *(r.record_id for r in d.consent_records))).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:16] if told else ""


def _with_holdout(opts, challengers: set[int], n_slots: int, pools: list[Pool], config: Config,
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
    champion = optimise(dataclasses.replace(opts, blocks=mine), n_slots, rest, champion_config, deadline)
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


def _within_horizon(inputs: Inputs, debtors: list[Debtor], today, slots, pools, packs: PackSet,
                    calendars: Calendars, plan_date: dt.date, config: Config, zones: set[str],
                    timings: dict[str, float], deadline: float | None) -> tuple[Solution, dict[int, int]]:
    """Today's choice from a plan of the whole horizon (solver/horizon.py); later days are
    planned only to weigh today's choice and are not written. Under a time limit, today's own
    plan is made first, and kept if the horizon's is not done by the deadline."""
    today_alone = optimise(today, len(slots), pools, config, deadline) if deadline is not None else None
    t0 = time.perf_counter()
    days = [Day(today, len(slots), pools)]
    for ahead in range(1, config.horizon_days):
        if deadline is not None and time.perf_counter() >= deadline:
            return dataclasses.replace(today_alone, note=tr("time limit reached while preparing the {days}-day "
                                                            "horizon; today planned on its own",
                                                            days=config.horizon_days)), {}
        day = plan_date + dt.timedelta(days=ahead)
        day_slots = slot_grid(day, zones, config.slot_minutes)
        day_pools = build_pools(inputs.agents, day_slots, inputs.agents_path)
        days.append(Day(build_options(debtors, packs, Context(day, calendars), day_slots, day_pools, config),
                        len(day_slots), day_pools))
    budgets = _horizon_budgets(debtors, days, packs, plan_date, config.horizon_days)
    timings["horizon_rules"] = time.perf_counter() - t0
    if today_alone is not None:
        found = run_until(lambda: solve_horizon(days, budgets, config, config.horizon_discount), deadline)
        if found is None:
            return dataclasses.replace(today_alone, note=tr("time limit reached before the {days}-day horizon was "
                                                            "solved; today planned on its own",
                                                            days=config.horizon_days)), {}
    else:
        found = solve_horizon(days, budgets, config, config.horizon_discount)
    note = tr("horizon {days} days: {later:,} contacts on later days (not written; value of the horizon "
              "{value:,.2f}, later days discounted {discount:g} a day)", days=config.horizon_days,
              later=found.later_contacts, value=found.objective, discount=config.horizon_discount)
    return Solution(found.status, found.chosen, found.pool_of, found.today, found.today, found.seconds, found.arcs,
                    len(budgets), note), found.later


def _horizon_budgets(debtors: list[Debtor], days: list[Day], packs: PackSet, plan_date: dt.date,
                     horizon: int) -> dict[int, list[int]]:
    """Per debtor, the tightest nested budget of the caps that cover every channel it has an
    option on in the horizon (a cap on fewer channels cannot be carried by the chain for it)."""
    channels: dict[int, set] = defaultdict(set)
    for day in days:
        for b in day.options.blocks:
            channels[b.debtor].add(b.channel)
    out: dict[int, list[int]] = {}
    for i, used in channels.items():
        for rule in packs.rules_for(debtors[i], plan_date):
            if not used <= set(rule.meta.channels):
                continue
            budget = rule.horizon_budget(debtors[i], plan_date, horizon)
            if budget is not None:
                out[i] = [min(a, b) for a, b in zip(out.get(i, budget), budget, strict=True)]
    return out


# A million planned contacts: a frozen dataclass's __init__ would be a third of this phase.
_new_contact = constructor(PlannedContact, "debtor_id", "channel", "destination", "window_start", "window_end",
                           "timezone", "pool", "rank", "expected_value", "rules", "slot", "allowed")


def _contacts(debtors: list[Debtor], blocks, chosen: list[tuple[int, int]],
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


def _without(opts, booked: set[int], ids: set[str]):
    """The options without the debtors a call back is booked for (one contact a day)."""
    return dataclasses.replace(opts, blocks=[b for b in opts.blocks if b.debtor not in booked],
                               exclusions=[e for e in opts.exclusions if e.debtor_id not in ids],
                               daily_limit={i: n for i, n in opts.daily_limit.items() if i not in booked})


def _with_seats(pools: list[Pool], booked: list[PlannedContact]) -> list[Pool]:
    """The pools with the seats the booked calls back took given back (the audit counts them)."""
    taken: dict[tuple[str, int], int] = defaultdict(int)
    for c in booked:
        taken[(c.pool, c.slot)] += 1
    return [dataclasses.replace(p, capacity=tuple(n + taken.get((p.name, s), 0) for s, n in enumerate(p.capacity)))
            for p in pools]


def _ranked(contacts: list[PlannedContact]) -> list[PlannedContact]:
    """Contacts in dialer order (window start, channel, pool, value highest first, debtor id),
    ranked 1.. within each (window start, channel, pool) queue, as _contacts orders them."""
    key = lambda c: (c.window_start.timestamp(), _CHANNEL_ORDER[c.channel], c.pool, -c.expected_value, c.debtor_id)  # noqa: E731
    out: list[PlannedContact] = []
    queue, rank = None, 0
    for c in sorted(contacts, key=key):
        here = (c.window_start.timestamp(), c.channel, c.pool)
        rank = rank + 1 if here == queue else 1
        queue = here
        out.append(dataclasses.replace(c, rank=rank))
    return out


# Contract order of channels in the plan (their names' order, as the file was always sorted).
_CHANNEL_ORDER = {c: r for r, c in enumerate(sorted(Channel, key=lambda c: c.value))}
