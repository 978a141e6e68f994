"""``contactplan audit`` and ``contactplan explain``: evidence for compliance officers."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import itertools
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contactplan.cli_common import (
    ConfigOption,
    DbOption,
    MunicipalOption,
    NoStoreOption,
    NotBeforeOption,
    PolicyOption,
    check_outputs,
    err,
    fail,
    now,
    parse_date,
    parse_not_before,
    rule_context,
    store_for,
)
from contactplan.errors import ContactplanError, ExitCode
from contactplan.i18n import N_, tr
from contactplan.plan_run import store_data_for

# What an audit judged (report.kind, a JSON value), as a person reads it.
KINDS = {"plan": N_("plan"), "log": N_("log")}
TABLE_ROWS = 200  # a table on a terminal; the json and csv reports hold every violation


def _builtin(name: str) -> bool:
    from contactplan.rules.packs import BUILTIN

    return name in BUILTIN


class AuditFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def audit(
    plan_file: Annotated[Optional[Path], typer.Argument(help="Plan CSV to check (ours or another system's)")] = None,
    debtors: Annotated[Path, typer.Option("--debtors", "-d", help="debtors.csv the plan was made from")] = ...,
    agents: Annotated[Optional[Path], typer.Option("--agents", "-a", help="agents.csv: also check pool "
                                                   "capacities")] = None,
    log: Annotated[Optional[Path], typer.Option("--log", help="Check a dialer log (history format) instead of a "
                                                "plan: what was actually dialled or sent")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="Plan date, when the plan has no plan_date")] = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="table (stderr summary + table), json "
                                             "(docs/audit.md schema) or csv")] = AuditFormat.table,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the json/csv report here "
                                                   "(default stdout)")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write an HTML report")] = None,
    config: ConfigOption = None,
    policy: PolicyOption = None,
    municipal_holidays: MunicipalOption = None,
    db: DbOption = None,
    no_store: NoStoreOption = False,
    not_before: NotBeforeOption = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes judging a --log (0: one per CPU "
                                         "this run may use); the report is the same for any number")] = 0,
) -> None:
    """Check a plan or a dialer log against the rules, the history and the capacities.

    Exit 0 clean, 1 violations found, 2 bad input. Read-only: never writes to the database."""
    from contactplan.io.agents import read_agents
    from contactplan.io.debtors import read_debtors
    from contactplan.io.files import write_stdout_text
    from contactplan.io.plan_csv import read_plan, write_atomic, write_chunks_atomic
    from contactplan.review import csv_chunks, json_chunks, plan_date_of, review_plan

    if as_json:
        fmt = AuditFormat.json
    if (plan_file is None) == (log is None):
        raise typer.BadParameter(tr("give a plan file or --log ATTEMPTS.csv (one of them)"), param_hint="PLAN_FILE")
    check_outputs([plan_file, debtors, agents, log, config, municipal_holidays,
                   *(p for p in policy or () if not _builtin(p))],
                  [("--output", output if fmt is not AuditFormat.table and output is not None
                    and str(output) != "-" else None), ("--html", html)], db=db, config=config)
    if log is not None and not_before is not None:
        raise typer.BadParameter(tr("judges a re-plan; a log is judged attempt by attempt against what came before"),
                                 param_hint="--not-before")
    # A log's buckets and the violations its workers found stay in a temporary directory until
    # the report is written (removed after, whatever happens).
    with contextlib.ExitStack() as scratch:
        try:
            cfg, packs, calendars = rule_context(config, policy, municipal_holidays)
            debtor_file = read_debtors(str(debtors))
            store = store_for(db, cfg, create=False, no_store=no_store)
            if log is not None:
                workdir = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="contactplan-log-")))
                report = _review_log(log, debtor_file, packs, store, cfg, calendars, workers, workdir)
            else:
                file_date, contacts = read_plan(str(plan_file))
                _warn_about_rules_not_loaded(contacts, packs)
                day = plan_date_of(file_date, parse_date(date, "--date") if date else None, str(plan_file))
                agent_list = read_agents(str(agents))[0] if agents else None
                report = review_plan(contacts, day, debtor_file, packs, source=str(plan_file), agents=agent_list,
                                     agents_path=str(agents),
                                     store_data=store_data_for(store, debtor_file.debtors, day, packs),
                                     config=cfg, calendars=calendars,
                                     not_before=parse_not_before(not_before, day, cfg.report_timezone))
            if fmt is not AuditFormat.table:
                # Written a few thousand violations at a time: a report is never held whole as text.
                chunks = json_chunks(report) if fmt is AuditFormat.json else csv_chunks(report)
                if output is None or str(output) == "-":
                    write_stdout_text(chunks)  # all of it, or the closed pipe is an error
                else:
                    write_chunks_atomic(output, (c.encode("utf-8") for c in chunks))
            if html is not None:
                write_atomic(html, _audit_html(report))
        except ContactplanError as exc:
            fail(exc)
        _print_summary(report, show_table=fmt is AuditFormat.table)
    raise typer.Exit(int(ExitCode.OK if report.clean else ExitCode.VIOLATIONS))


def _warn_about_rules_not_loaded(contacts, packs) -> None:
    """A plan's rules column names the rules it was made under. One this audit does not know was
    in a pack the audit was not given (a --policy left out): the plan is judged without it, so
    say so rather than let "clean" stand for it."""
    loaded = {r.id for p in packs.packs for r in p.rules}
    missing = sorted({rule for c in contacts for rule in c.rules} - loaded)
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        err.print(tr("[yellow]warning:[/yellow] the plan names {n} rule(s) this audit did not load ({rules}); "
                     "they are not checked. Give the audit the packs the plan was made with (--policy, or the "
                     "config's packs).", n=len(missing), rules=escape(shown)), highlight=False)


def _review_log(log: Path, debtor_file, packs, store, cfg, calendars, workers: int, workdir: Path):
    """The log read in pieces into buckets by debtor in ``workdir``, and judged bucket by bucket:
    memory holds a bucket, not the log (nor, with workers, every violation found)."""
    from contactplan.io.history_fast import read_log
    from contactplan.review import review_spilled_log

    workers = workers or _usable_cpus()
    spilled = read_log(str(log), workdir, now=now(), workers=workers)
    data = store_data_for(store, debtor_file.debtors, spilled.first_date or dt.date.min, packs)
    return review_spilled_log(spilled, debtor_file, packs, store_data=data, config=cfg, calendars=calendars,
                              workers=workers)


def _usable_cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _print_summary(report, show_table: bool) -> None:
    s = report.summary()
    status = tr("[green]clean[/green]") if report.clean else tr("[red]{n} violation(s)[/red]", n=s["violations"])
    err.print(tr("Audit of {kind} {source} ({dates}): {contacts} contacts, {debtors} debtors: {status}",
                 kind=_kind(report.kind), source=escape(report.source),
                 dates=", ".join(map(str, report.dates)) or tr("no contacts"), contacts=s["contacts"],
                 debtors=s["debtors"], status=status), highlight=False)
    for rule_id, n in s["by_rule"].items():
        err.print(f"  {escape(rule_id)}: {n}", highlight=False)
    if show_table and report.violations:
        table = Table(title=tr("Violations"))
        for col in (N_("rule"), N_("severity"), N_("debtor"), N_("contact"), N_("what is wrong"), N_("citation")):
            table.add_column(tr(col), overflow="fold")
        for v in itertools.islice(report.violations, TABLE_ROWS):
            contact = f"{v.channel or ''} {v.at.isoformat() if v.at else ''}".strip()
            table.add_row(*(escape(x) for x in (v.rule_id, str(v.severity), v.debtor_id, contact, v.message,
                                                v.citation)))
        Console(stderr=True).print(table)
        if s["violations"] > TABLE_ROWS:
            err.print(tr("(the first {shown} of {n} violations; --format csv or json lists them all)",
                         shown=TABLE_ROWS, n=s["violations"]), highlight=False)


def _kind(kind: str) -> str:
    return tr(KINDS[kind]) if kind in KINDS else kind


def _audit_html(report) -> str:
    from contactplan.html import render_html

    s = report.summary()
    summary = [(tr("source"), report.source), (tr("kind"), _kind(report.kind)),
               (tr("dates"), ", ".join(map(str, report.dates))), (tr("contacts"), str(s["contacts"])),
               (tr("debtors"), str(s["debtors"])), (tr("violations"), str(s["violations"])),
               (tr("packs"), report.provenance.get("packs", "")),
               (tr("holidays data"), report.provenance.get("holidays", ""))]
    return render_html(tr("contactplan audit of {name}", name=Path(report.source).name), summary, report.violations, [],
                       report.hourly,
                       report.report_timezone)


def explain(
    debtor_id: Annotated[str, typer.Argument(help="The debtor to explain")],
    debtors: Annotated[Path, typer.Option("--debtors", "-d", help="debtors.csv")],
    agents: Annotated[Path, typer.Option("--agents", "-a", help="agents.csv")],
    date: Annotated[str, typer.Option("--date", help="Plan date YYYY-MM-DD")],
    config: ConfigOption = None,
    policy: PolicyOption = None,
    municipal_holidays: MunicipalOption = None,
    db: DbOption = None,
    no_store: NoStoreOption = False,
    model: Annotated[Optional[Path], typer.Option("--model", help="The model the plan is made with (plan "
                                                  "--model), so the explanation is of that plan")] = None,
) -> None:
    """Why a debtor is (not) planned: zones, every rule's effect, allowed windows, next eligible date."""
    from contactplan.explain import explain as explain_debtor
    from contactplan.explain import render
    from contactplan.model import with_history
    from contactplan.planner import build_plan, load_inputs
    from contactplan.rules.base import Context

    day = parse_date(date, "--date")
    try:
        cfg, packs, calendars = rule_context(config, policy, municipal_holidays)
        if model is not None:
            import dataclasses

            from contactplan.outcomes.learned import read_model

            cfg = dataclasses.replace(cfg, model=read_model(model))
        inputs = load_inputs(str(debtors), str(agents))
        store = store_for(db, cfg, create=False, no_store=no_store)
        inputs = with_history(inputs, store_data_for(store, inputs.debtors.debtors, day, packs))
        debtor = next((d for d in inputs.debtors.debtors if d.debtor_id == debtor_id), None)
        if debtor is None:
            rejected = [r for r in inputs.debtors.rejections if r.debtor_id == debtor_id]
            if rejected:
                for r in rejected:
                    err.print(tr("rejected: {row}", row=escape(str(r))), highlight=False)
                raise typer.Exit(int(ExitCode.INVALID))
            err.print(tr("error: debtor {debtor} is not in {path}", debtor=escape(debtor_id), path=escape(str(debtors))))
            raise typer.Exit(int(ExitCode.INVALID))
        plan = build_plan(inputs, day, cfg, packs, calendars=calendars)
        render(explain_debtor(debtor, plan, packs, Context(day, calendars)), Console())
    except ContactplanError as exc:
        fail(exc)
