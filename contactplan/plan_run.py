"""One planning run as ``contactplan plan`` makes it: read the files, attach what the store knows,
plan, archive, write, each phase timed.

The command builds a ``PlanRun`` from its options and calls ``run_plan``; this module never reads
the clock (the plan date and ``started`` are given) and never prints. What a person reads goes
through the caller's ``RunView``: what is running (``status``), the planner's phases
(``phases``) and notes (``note``), so that --quiet and the terminal are the command's business.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gc
import io
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from contactplan.calendars import Calendars
from contactplan.errors import RowErrors
from contactplan.i18n import tr
from contactplan.io.csvfile import spreadsheet_safe
from contactplan.io.files import write_stdout
from contactplan.io.plan_csv import write_atomic, write_bytes_atomic, write_plan
from contactplan.model import Config, Holdout, Inputs, Plan, with_history
from contactplan.planner import build_plan, load_inputs
from contactplan.rules.packs import PackSet

REJECT_COLUMNS = ("file", "line", "column_index", "column", "debtor_id", "message")


class RunView(Protocol):
    """How a run is shown. ``status`` and ``phases`` are context managers; ``phases`` yields the
    callback the planner tells each phase to. Notes are rich markup, their values escaped."""

    def status(self, text: str) -> AbstractContextManager[Any]: ...

    def phases(self) -> AbstractContextManager[Callable[[str], None]]: ...

    def note(self, text: str) -> None: ...


@dataclass(frozen=True)
class Output:
    """Where the plan goes: plan.csv (``fmt`` csv; ``target`` None for stdout) or a dialer's files
    in the ``target`` directory, and the other files asked for."""

    fmt: str = "csv"
    target: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    export: dict = field(default_factory=dict)  # dialers.ExportOptions' fields besides encoding and delimiter
    rejects: Path | None = None
    html: Path | None = None
    protect: tuple[Path | str, ...] = ()  # the run's input files: an export never writes over them


@dataclass(frozen=True)
class PlanRun:
    debtors: Path
    agents: Path
    plan_date: dt.date
    config: Config
    packs: PackSet
    calendars: Calendars
    # The store, opened once the files are read (a bad input never creates a database): None
    # without one.
    open_store: Callable[[], Any]
    output: Output | None  # None: a dry run, nothing written and nothing archived
    started: float  # time.perf_counter() when the command started: --time-limit counts from it
    clock: Callable[[], dt.datetime]  # the archive's timestamp (the command reads the clock, not the run)
    reject_rows: bool = True  # False (--on-error fail): a bad debtor row stops the run, exit 2
    not_before: dt.datetime | None = None
    holdout: Holdout | None = None
    time_limit: float | None = None


def run_plan(run: PlanRun, view: RunView) -> tuple[Plan, Inputs]:
    """The plan, with every phase of the run in its timings, and the inputs it was made from."""
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    with view.status(tr("reading the debtor and agent files")):
        inputs = load_inputs(str(run.debtors), str(run.agents))
    phases["read"] = time.perf_counter() - t0
    # The debtors live until the command ends: keep full collections from walking millions of
    # objects again (here, in the run, not in the library, which must not freeze its caller's heap).
    # So too the store's history and the debtors it is attached to, and the plan: each left to
    # the collector cost it seconds later (100k debtors with history: store 9.1 s -> 5.6 s,
    # archive 3.1 s -> 1.1 s with the collector off).
    gc.freeze()
    if inputs.debtors.rejections and not run.reject_rows:
        raise RowErrors(inputs.debtors.rejections)
    t0 = time.perf_counter()
    store = run.open_store()
    if store is not None:
        with view.status(tr("reading the history, suppressions and consents from the store")):
            data = store_data_for(store, inputs.debtors.debtors, run.plan_date, run.packs)
            gc.freeze()
            inputs = with_history(inputs, data)
            del data
            gc.freeze()
        if run.not_before is None:
            _warn_about_today(inputs, run.plan_date, run.config.report_timezone, view)
    phases["store"] = time.perf_counter() - t0
    with view.phases() as progress:
        plan = build_plan(inputs, run.plan_date, run.config, run.packs, calendars=run.calendars, progress=progress,
                          time_limit=None if run.time_limit is None
                          else run.time_limit - (time.perf_counter() - run.started),
                          not_before=run.not_before, holdout=run.holdout)
    gc.freeze()
    out = run.output
    if out is not None:
        t0 = time.perf_counter()
        if store is not None:
            with view.status(tr("archiving {n:,} contacts in the store", n=len(plan.contacts))):
                store.archive_plan(plan, run.clock())
        phases["archive"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if out.rejects is not None:
            write_atomic(out.rejects, rejects_csv(plan.rejections))
        with view.status(tr("writing {n:,} contacts", n=len(plan.contacts))):
            write_output(plan, inputs, out, store, view)
        if out.html is not None:
            write_atomic(out.html, plan_html(plan, inputs, store))
        phases["write"] = time.perf_counter() - t0
    # Every phase in the timings line, the run's own (read, store, archive, write) too.
    timings = {"read": phases["read"], "store": phases["store"], **plan.timings,
               **{k: phases[k] for k in ("archive", "write") if k in phases},
               "total": time.perf_counter() - run.started}
    return dataclasses.replace(plan, timings=timings), inputs


def store_data_for(store, debtors, day: dt.date, packs: PackSet):
    """What the store knows of the debtors (history, suppressions, consent records), as far back
    as the rules read (PackSet.history_days)."""
    from contactplan.model import StoreData

    if store is None:
        return StoreData()
    ids = {d.debtor_id for d in debtors}
    dests = {x.address for d in debtors for x in d.destinations}
    return store.load_for_plan(ids, dests, day, lookback_days=packs.history_days)


def write_output(plan: Plan, inputs: Inputs, out: Output, store, view: RunView) -> None:
    """plan.csv (the fast writer; another encoding or delimiter as asked) or the dialer files."""
    from rich.markup import escape

    from contactplan.io import dialers

    target, encoding, delimiter = out.target, out.encoding, out.delimiter
    if out.fmt == "csv" and (encoding, delimiter) == ("utf-8", ","):
        write_plan(target, plan.plan_id, plan.plan_date, plan.contacts, arm=bool(plan.arms))
    elif out.fmt == "csv" and target is not None and not Path(target).is_dir():
        write_bytes_atomic(target, dialers.encode_text(target, dialers.plan_csv_text(plan, delimiter), encoding))
    elif out.fmt == "csv" and target is None:
        write_stdout(dialers.plan_csv_text(plan, delimiter))  # all of it, or the closed pipe is an error
    else:
        numbers = dialers.sorted_numbers if store is None else (lambda keys: store.list_numbers("vicidial", keys))
        options = dialers.ExportOptions(encoding=encoding, delimiter=delimiter, **out.export)
        done = dialers.export_plan(out.fmt, plan, inputs.debtors.debtors, target, options, list_numbers=numbers,
                                   protect=list(out.protect))
        if out.fmt in ("vicidial", "genesys"):
            view.note(tr("Wrote {lists} list(s) in {files} {format} file(s) to {target}", lists=done.lists,
                         files=len(done.files), format=out.fmt, target=escape(str(target))))
        else:
            view.note(tr("Wrote {files} {format} file(s) to {target}", files=len(done.files), format=out.fmt,
                         target=escape(str(target))))
        if out.fmt in ("vicidial", "genesys") and (encoding, delimiter) != ("utf-8", ","):
            view.note(tr("note: {format} lead/contact files are always UTF-8 and the target's own delimiter; "
                         "--encoding and --delimiter apply to the manifest", format=out.fmt))
        for note in done.notes:
            view.note(tr("note: {note}", note=escape(note)))
        if done.refused:
            view.note(tr("[yellow]warning:[/yellow] {n} contact(s) not exported to {format} "
                         "(listed in {format}_{day:%Y%m%d}_refused.csv):", n=len(done.refused), format=out.fmt,
                         day=plan.plan_date))
            for why, n in Counter(why for _, why in done.refused).most_common():
                view.note(f"  {n}: {escape(why)}")


def rejects_csv(rejections) -> str:
    """--rejects: every rejected row, with where it is and why."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REJECT_COLUMNS)
    for r in rejections:
        w.writerow([spreadsheet_safe(str(x)) for x in (r.path, r.line, r.column_index, r.column, r.debtor_id,
                                                       r.message)])
    return buf.getvalue()


def plan_html(plan: Plan, inputs: Inputs, store) -> str:
    """--html: the plan's page for compliance review, beside the previous archived plan."""
    from contactplan.plan_page import render_plan_page
    from contactplan.report import learning_lines, solver_line

    c = plan.counts
    summary = [(tr("plan"), plan.plan_id), (tr("date"), str(plan.plan_date)), (tr("debtors read"), str(c.read)),
               (tr("planned"), str(c.planned)), (tr("excluded"), str(c.excluded)), (tr("rejected"), str(c.rejected)),
               (tr("solver"), solver_line(plan)),
               (tr("packs"), plan.provenance.get("packs", "")),
               (tr("holidays data"), plan.provenance.get("holidays", "")),
               *((tr("outcome loop"), line) for line in learning_lines(plan))]
    regions = {d.debtor_id: f"{d.country}-{d.region or '?'}" for d in inputs.debtors.debtors}
    return render_plan_page(plan, summary, regions, _previous_plan(store, plan))


def _previous_plan(store, plan: Plan):
    """The latest archived plan made before this one (an earlier day, or an earlier plan of the day)."""
    if store is None:
        return None
    earlier = [p for p in store.plans() if p["plan_id"] != plan.plan_id and p["plan_date"] <= plan.plan_date]
    if not earlier:
        return None
    last = max(earlier, key=lambda p: (p["plan_date"], p["created_at"]))
    return last["plan_id"], last["plan_date"], store.planned_contacts(last["plan_id"])


def _warn_about_today(inputs: Inputs, plan_date: dt.date, zone: str, view: RunView) -> None:
    """Attempts already made on the plan date count against today's caps; a plan of the whole day
    may still offer windows that have passed. Say so, and how to re-plan the rest of the day."""
    site = ZoneInfo(zone)
    # The plan date in the site's zone as instants: comparing aware times costs no conversion
    # (a month of history is millions of attempts).
    start = dt.datetime.combine(plan_date, dt.time(0), site)
    end = dt.datetime.combine(plan_date + dt.timedelta(days=1), dt.time(0), site)
    today = [a.attempted_at for d in inputs.debtors.debtors if d.history and d.latest_attempt_at >= start
             for a in d.history if start <= a.attempted_at < end]
    if today:
        latest = max(today).astimezone(site)
        view.note(tr("[yellow]note:[/yellow] {n} attempt(s) in the history were made on {day} (the latest "
                     "at {latest:%H:%M} {zone}); they count against today's caps. To plan the rest of the day only, "
                     "use --not-before HH:MM.", n=len(today), day=plan_date, latest=latest, zone=zone))
