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
from collections import defaultdict
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from contactplan.audit import audit_plan
from contactplan.calendars import HOLIDAYS_VERSION, Calendars
from contactplan.errors import Infeasible, InputError, PlanRejected
from contactplan.i18n import N_, tr
from contactplan.io.agents import read_agents
from contactplan.io.debtors import read_debtors
from contactplan.model import (Config, Counts, Debtor, Exclusion, Holdout, Inputs, Plan, PlannedContact, SolveStatus,
                               attach_store_data, plan_date_problem, with_history)
from contactplan.outcomes.holdout import CHALLENGER, CHAMPION, in_challenger
from contactplan.rules.base import Context
from contactplan.rules.packs import PackSet, load_packs
from contactplan.solver.callbacks import book_callbacks
from contactplan.solver.capacity import build_pools, slot_grid
from contactplan.solver.contacts import planned_contacts, ranked, with_seats, without
from contactplan.solver.parts import optimise_in_parts
from contactplan.solver.greedy import greedy_value
from contactplan.solver.holdout import with_holdout
from contactplan.solver.horizon import within_horizon
from contactplan.solver.options import build_options, learned_options

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
    deadline = None if time_limit is None else started + time_limit
    problem = plan_date_problem(plan_date)
    if problem:
        raise InputError(tr("plan date"), f"{plan_date} {problem}")
    config = config or Config()
    if config.workers > 1 and config.horizon_days > 1:  # before the rules run, not after
        raise InputError("--workers", tr("a horizon is solved as one network: use --workers with horizon_days 1"))
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
        opts = without(opts, booking.debtors, {debtors[i].debtor_id for i in booking.debtors})
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
        solution, blocks, arm_values = with_holdout(opts, challengers, len(slots), pools, config, deadline)
        opts = dataclasses.replace(opts, blocks=blocks)
    elif config.horizon_days > 1:
        progress(tr("optimising {n:,} options today within {days} days", n=opts.count, days=config.horizon_days))
        solution, later = within_horizon(inputs.agents, inputs.agents_path, debtors, opts, slots, pools, packs,
                                         calendars, plan_date, config, zones, timings, deadline)
    else:
        progress(tr("optimising {n:,} options", n=opts.count))
        solution = optimise_in_parts(opts, len(slots), pools, config, deadline, config.workers)
    greedy = None
    if baseline:
        t0 = time.perf_counter()
        greedy = greedy_value(opts.blocks, pools, config)
        timings["greedy"] = time.perf_counter() - t0
    timings["solve"] = solution.seconds
    if solution.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise Infeasible(tr("the solver returned {status} for {n} options", status=solution.status, n=opts.count))

    t0 = time.perf_counter()
    contacts = planned_contacts(debtors, opts.blocks, solution.chosen, solution.pool_of)
    if holdout is not None:
        held_out = {debtors[i].debtor_id for i in challengers}

        def armed(planned: list[PlannedContact]) -> list[PlannedContact]:
            return [dataclasses.replace(c, arm=CHALLENGER if c.debtor_id in held_out else CHAMPION) for c in planned]

        contacts = armed(contacts)
        booking = dataclasses.replace(booking, contacts=armed(booking.contacts))
    if booking.contacts:
        contacts = ranked(contacts + booking.contacts)
        pools = with_seats(pools, booking.contacts)
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
    violations = audit_plan(contacts, by_id, packs, plan_date, pools=pools, slots=slots, config=config, ctx=ctx)
    timings["audit"] = time.perf_counter() - t0
    if violations:
        first = "; ".join(tr("{rule} debtor {debtor}: {message}", rule=v.rule_id, debtor=v.debtor_id,
                             message=v.message) for v in violations[:3])
        raise PlanRejected(tr("the independent audit found {n} violation(s) in the optimiser's plan; nothing was "
                              "written. First: {first}", n=len(violations), first=first))

    df = inputs.debtors
    counts = Counts(read=len(df.read_ids), planned=len(planned_ids), excluded=len(exclusions),
                    rejected=df.rejected_debtors, rows=df.rows, rejected_rows=len(df.rejections))
    arms = {CHAMPION: len(debtors) - len(challengers), CHALLENGER: len(challengers)} if holdout is not None else {}
    sources, notes = _zone_counts(debtors)
    return Plan(_plan_id(inputs, plan_date, packs, config, calendars, not_before, holdout), plan_date,
                tuple(contacts), tuple(sorted(exclusions, key=lambda e: e.debtor_id)), tuple(df.rejections), counts,
                solution.status, solution.objective, opts.count, tuple(pools), tuple(slots), config,
                _provenance(inputs, packs, config, calendars, not_before, holdout), timings, tuple(violations),
                sources, notes, greedy, solution.bound, solution.note, len(booking.contacts), tuple(booking.refused),
                holdout, arms, arm_values, learned_options(debtors, opts, config) if config.model is not None else None)


def _provenance(inputs: Inputs, packs: PackSet, config: Config, calendars: Calendars,
                not_before: dt.datetime | None, holdout: Holdout | None) -> dict[str, str]:
    """What the plan was made from and with, for the archive and the summary."""
    provenance = {
        "contactplan": _version("contactplan"), "ortools": _version("ortools"), "holidays": HOLIDAYS_VERSION,
        "debtors_sha256": inputs.debtors.sha256, "agents_sha256": inputs.agents_sha256, "packs_sha256": packs.sha256,
        "config": config.source, "packs": ",".join(p.id for p in packs.packs),
        "municipal_holidays": calendars.municipal_source,
        "not_before": not_before.isoformat() if not_before else "",
    }
    if config.workers > 1:
        provenance.update(workers=str(config.workers))
    if holdout is not None:
        provenance.update(holdout_percent=f"{holdout.percent:g}", holdout_seed=str(holdout.seed),
                          challenger="greedy by value, same rules, its share of every capacity")
    if config.model is not None:
        provenance.update(model=config.model.source, model_sha256=config.model.sha256)
    return provenance


def _plan_id(inputs: Inputs, plan_date: dt.date, packs: PackSet, config: Config, calendars: Calendars,
             not_before: dt.datetime | None, holdout: Holdout | None) -> str:
    """The plan's id, from everything that decides the plan: the files, the packs, the config,
    the calendars and what the store told it."""
    config_key = repr((config.slot_minutes, config.min_window_minutes, config.default_p_pay,
                       sorted(config.channels.items()), sorted(config.hour_effectiveness.items()),
                       config.max_gap, config.horizon_days, config.horizon_discount,
                       *((config.model.sha256,) if config.model is not None else ()),
                       # Parts solved apart may pick other contacts of equal worth: another plan.
                       *((f"workers={config.workers}",) if config.workers > 1 else ())))
    parts = (inputs.debtors.sha256, inputs.agents_sha256, packs.sha256, config_key, calendars.sha256,
             *((store,) if (store := _store_digest(inputs.debtors.debtors)) else ()))
    # A re-plan is another plan of the same day; a plan of the whole day keeps its id.
    return plan_id_for(plan_date, *parts, *((f"not_before={not_before.isoformat()}",) if not_before else ()),
                       *((f"holdout={holdout.percent:g}/{holdout.seed}",) if holdout else ()))


def _zone_counts(debtors: list[Debtor]) -> tuple[dict[str, int], dict[str, int]]:
    """How many debtors' zones came from each source, and how many carry each note worth a
    planner's attention: several candidate zones (contact only where all allow) or a zone taken
    from the phone's area code because the address did not give one."""
    sources: dict[str, int] = defaultdict(int)
    notes: dict[str, int] = defaultdict(int)
    for d in debtors:
        sources[d.zone_source] += 1
        if len(d.zones) > 1 or d.zone_source == "area_code":
            notes[d.zone_note] += 1
    return dict(sources), dict(notes)


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
