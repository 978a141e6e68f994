"""The ``contactplan`` command: parse arguments, call the library, render, map errors to exit codes.

Data goes to stdout or ``-o FILE``; people read stderr. Exit codes: 0 ok, 1 the audit found
violations (nothing written), 2 usage or invalid input, 3 no feasible plan. The clock is read
here and only here, to default ``--date`` to today in the configured report zone.
"""

from __future__ import annotations

import contextlib
import re
import dataclasses
import datetime as dt
import enum
import sys
import time
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

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
    SafeGroup,
    check_outputs,
    choose_language,
    err,
    fail,
    load_run_config,
    now,
    parse_date,
    parse_not_before,
    rule_context,
    store_for,
)
from contactplan.cli_review import audit, explain
from contactplan.cli_outcomes import learn, report
from contactplan.cli_store import consent_app, history_app, suppress_app
from contactplan.errors import ContactplanError, OutputError
from contactplan.errors import show_values as show_values_in_messages
from contactplan.i18n import N_, os_reason, tr
from contactplan.model import Holdout
from contactplan.plan_run import Output, PlanRun, run_plan
from contactplan.rules.packs import BUILTIN, load_pack, load_packs

app = typer.Typer(no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False, cls=SafeGroup,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Compliant daily contact plans for debt-collection contact centres.")


def _print_version(value: bool) -> None:
    if value:
        from contactplan.planner import _version

        print(f"contactplan {_version('contactplan')} (ortools {_version('ortools')}, holidays {_version('holidays')})")
        raise typer.Exit(0)


def _language(value: Optional[str]) -> Optional[str]:
    from contactplan.i18n import language_code

    code = language_code(value) if value else None
    if value and code is None:
        raise typer.BadParameter(tr("'{value}' is not a language contactplan speaks; use en or pt-BR", value=value))
    choose_language(code)
    return code


@app.callback()
def _options(show_values: Annotated[bool, typer.Option(
        "--show-values", help="Let error messages quote the cell they are about (personal data: for your own "
                              "eyes, never in logs)")] = False,
             version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                   help="Print the version and exit")] = False,
             sheet: Annotated[Optional[str], typer.Option(
                 "--sheet", help="The sheet to read from .xlsx/.xls/.ods inputs (default: the first)")] = None,
             lang: Annotated[Optional[str], typer.Option(
                 "--lang", help="Language of messages and reports: en or pt-BR (default: the config's "
                                "language, else LC_ALL / LC_MESSAGES / LANG)", callback=_language)] = None) -> None:
    from contactplan.io.spreadsheet import use_sheet

    show_values_in_messages(show_values)
    use_sheet(sheet)
rules_app = typer.Typer(no_args_is_help=True, help="Show the rule packs and their legal sources.")
app.add_typer(rules_app, name="rules")
app.add_typer(history_app, name="history")
app.add_typer(suppress_app, name="suppress")
app.add_typer(consent_app, name="consent")
app.command()(audit)
app.command()(explain)
app.command()(report)
app.command()(learn)


class OnError(enum.StrEnum):
    reject = "reject"
    fail = "fail"


def _date(text: str | None, zone: str) -> dt.date:
    if text is None:
        return dt.datetime.now(ZoneInfo(zone)).date()  # the CLI, not the library, reads the clock
    return parse_date(text, "--date")


class ExportFormat(enum.StrEnum):
    csv = "csv"
    vicidial = "vicidial"
    genesys = "genesys"
    batches = "batches"


def _export_options(variant: str, list_id_base: int | None, campaigns: list[str] | None, whatsapp_template: str,
                    whatsapp_params: str, sms_template: Path | None, email_template_id: str,
                    email_subject: str | None) -> dict:
    """The export options of the command line, checked before anything is read."""
    mapping = {}
    for item in campaigns or ():
        pool, sep, campaign = item.partition("=")
        if not sep or not pool or not re.fullmatch(r"[A-Za-z0-9_-]{2,8}", campaign):
            raise typer.BadParameter(tr("must be POOL=CAMPAIGN_ID (a VICIdial campaign id: 2-8 letters, digits, "
                                        "_ -)"), param_hint="--vicidial-campaign")
        mapping[pool] = campaign
    text = None
    if sms_template is not None:
        try:
            text = sms_template.read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(tr("cannot read {path} as UTF-8 text ({reason})", path=sms_template,
                                        reason=os_reason(exc)),
                                     param_hint="--sms-template") from None
    return {"vicidial_variant": variant, "list_id_base": list_id_base, "vicidial_campaigns": mapping,
            "whatsapp_template": whatsapp_template,
            "whatsapp_params": tuple(p.strip() for p in whatsapp_params.split(",") if p.strip()),
            "sms_template": text, "email_template_id": email_template_id, "email_subject": email_subject}


class _View:
    """How a plan run is shown on stderr: a spinner for what is running and a bar over the
    planner's phases, or with --quiet neither (notes and warnings always)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def status(self, text: str):
        return contextlib.nullcontext() if self.quiet else err.status(text)

    def phases(self):
        return contextlib.nullcontext(lambda _phase: None) if self.quiet else _phase_bar()

    def note(self, text: str) -> None:
        err.print(text, highlight=False)


@contextlib.contextmanager
def _phase_bar():
    """A bar over the planner's phases with the one running and the time so far (stderr; gone
    when done, and plain text when stderr is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from contactplan.planner import PHASES

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(tr("planning"), total=PHASES)
        started = [0]

        def progress(phase: str) -> None:
            bar.update(task, description=tr("planning: {phase}", phase=phase), completed=started[0])
            started[0] += 1

        yield progress
        bar.update(task, completed=PHASES)


@app.command()
def plan(
    debtors: Annotated[Path, typer.Option("--debtors", "-d", help="debtors.csv (one row per account; - for stdin)")],
    agents: Annotated[Path, typer.Option("--agents", "-a", help="agents.csv (one row per agent)")],
    date: Annotated[Optional[str], typer.Option("--date", help="Plan date YYYY-MM-DD (default: today in the "
                                                "config's report_timezone)")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Plan CSV to write (default stdout)")] = None,
    config: ConfigOption = None,
    policy: PolicyOption = None,
    municipal_holidays: MunicipalOption = None,
    on_error: Annotated[OnError, typer.Option("--on-error", help="reject: plan without the bad debtor rows and "
                                              "report them; fail: exit 2 and write nothing")] = OnError.reject,
    rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Write every rejected row (file, line, "
                                                    "column, reason) to this CSV")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and print the summary; write nothing "
                                          "(no file, no archive)")] = False,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv: the plan contract (file or stdout); "
                                              "vicidial, genesys, batches: files in the -o directory "
                                              "(docs/exports.md)")] = ExportFormat.csv,
    encoding: Annotated[str, typer.Option("--encoding", help="Output encoding, e.g. cp1252 for Excel")] = "utf-8",
    delimiter: Annotated[str, typer.Option("--delimiter", help="CSV delimiter: , ; tab or |")] = ",",
    vicidial_variant: Annotated[str, typer.Option("--vicidial-variant", help="owner-tz (CLI loader, "
                                                  "--format=stdrankowner --time-zone-code-gmt), owner-tz-web (web "
                                                  "loader) or standard (VICIdial's own offsets); docs/exports.md")
                                ] = "owner-tz",
    list_id_base: Annotated[Optional[int], typer.Option("--list-id-base", min=100, help="First VICIdial list id "
                                                        "(default: the plan date's block, yymmdd x 10000)")] = None,
    vicidial_campaign: Annotated[Optional[list[str]], typer.Option("--vicidial-campaign", help="POOL=CAMPAIGN_ID: "
                                                                   "the VICIdial campaign of a pool ('ivr' for the "
                                                                   "automated calls); repeatable")] = None,
    whatsapp_template: Annotated[str, typer.Option("--whatsapp-template", help="Approved WhatsApp template name "
                                                   "for the batch file")] = "payment_reminder",
    whatsapp_params: Annotated[str, typer.Option("--whatsapp-params", help="The template's parameters in order, "
                                                 "from debtor_id and balance (comma-separated)")
                               ] = "debtor_id,balance",
    sms_template: Annotated[Optional[Path], typer.Option("--sms-template", help="Text file with the SMS message; "
                                                         "{debtor_id}, {balance}, {window_start}, {window_end}, "
                                                         "{plan_date} are filled in")] = None,
    email_template_id: Annotated[str, typer.Option("--email-template-id", help="The e-mail provider's template id "
                                                   "for the e-mail batch")] = "",
    email_subject: Annotated[Optional[str], typer.Option("--email-subject", help="E-mail subject (same "
                                                         "placeholders as --sms-template)")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write an HTML report for compliance "
                                                 "review")] = None,
    db: DbOption = None,
    no_store: NoStoreOption = False,
    max_gap: Annotated[Optional[float], typer.Option("--max-gap", min=0, max=10, help="Largest allowed gap to "
                                                     "the proven optimum, in percent (default: config "
                                                     "max_gap_percent, 0.1); 0 proves optimality")] = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", min=1, max=7, help="Choose today's contacts "
                                                   "within this many days (1-7) so weekly attempt caps are "
                                                   "spent where worth most; only today is written (default: "
                                                   "config horizon_days, 1)")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", min=0, help="Seconds for the whole "
                                                        "run; past it the optimiser keeps the plan in hand "
                                                        "and states its gap (exit 3 if it has none)")] = None,
    not_before: NotBeforeOption = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Effectiveness learned by contactplan learn "
                                                  "(model.toml) in place of the config's constants, where it "
                                                  "has a cell (default: the config's model)")] = None,
    holdout: Annotated[Optional[float], typer.Option("--holdout", min=0, max=100, help="Percent of the debtors "
                                                     "(a stable seeded hash of debtor_id) planned by the challenger "
                                                     "(greedy by value, same rules) on their share of capacity; "
                                                     "plan.csv gains an arm column")] = None,
    holdout_seed: Annotated[int, typer.Option("--holdout-seed", min=0, help="Seed of the holdout assignment (keep "
                                              "it from day to day so debtors stay in their arm)")] = 0,
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="Processes for the optimiser: the day is "
                                         "cut where debtors share no pool or channel limit (exact), or its shared "
                                         "channel limits are priced (within --max-gap); see docs/scaling.md")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary: errors, warnings and "
                                        "one closing line only")] = False,
) -> None:
    """Plan today's contacts: rules in each debtor's local time, OR-Tools within capacity, self-audited.

    History and suppressions come from the database, and the plan is archived there."""
    from contactplan.report import render_summary

    delimiter = "\t" if delimiter in ("tab", "\\t") else delimiter
    if fmt is not ExportFormat.csv and (output is None or str(output) == "-") and not dry_run:
        raise typer.BadParameter(tr("--format {format} writes several files: give a directory with -o",
                                    format=fmt.value), param_hint="--output")
    started = time.perf_counter()
    inputs_of_run = [debtors, agents, config, municipal_holidays, sms_template, model,
                     *(p for p in policy or () if p not in BUILTIN)]
    check_outputs(inputs_of_run, [] if dry_run else [
        ("--output", None if fmt is not ExportFormat.csv else (output or "-")), ("--rejects", rejects),
        ("--html", html)], db=db, config=config)
    export = _export_options(vicidial_variant, list_id_base, vicidial_campaign, whatsapp_template, whatsapp_params,
                             sms_template, email_template_id, email_subject)
    target = None if dry_run else (None if output is None or str(output) == "-" else str(output))
    try:
        cfg, packs, calendars = rule_context(config, policy, municipal_holidays)
        if max_gap is not None:
            cfg = dataclasses.replace(cfg, max_gap=max_gap / 100)
        if horizon is not None:
            cfg = dataclasses.replace(cfg, horizon_days=horizon)
        if workers > 1:
            cfg = dataclasses.replace(cfg, workers=workers)
        if model is not None:
            from contactplan.outcomes.learned import read_model

            cfg = dataclasses.replace(cfg, model=read_model(model))
        plan_date = _date(date, cfg.report_timezone)
        run = PlanRun(
            debtors, agents, plan_date, cfg, packs, calendars,
            open_store=lambda: store_for(db, cfg, create=not dry_run, no_store=no_store),
            output=None if dry_run else Output(fmt.value, target, encoding, delimiter, export, rejects, html,
                                               tuple(p for p in inputs_of_run if p is not None)),
            started=started, clock=now, reject_rows=on_error is OnError.reject,
            not_before=parse_not_before(not_before, plan_date, cfg.report_timezone),
            holdout=Holdout(holdout, holdout_seed) if holdout else None, time_limit=time_limit)
        result, inputs = run_plan(run, _View(quiet))
    except ContactplanError as exc:
        fail(exc)
    # "(dry run, ...)" is read by render_summary (never shown); "stdout" is the stream's name.
    written = target or ("(dry run, nothing written)" if dry_run else "stdout")
    if quiet:
        if dry_run:
            line = tr("{n} contacts planned; nothing written (dry run: no file, no archive)", n=len(result.contacts))
        else:
            line = tr("{n} contacts planned; written to {target}", n=len(result.contacts), target=written)
        err.print(line, highlight=False, soft_wrap=True)
        return
    render_summary(result, err, written_to=written,
                   unknown_columns={inputs.debtors.path: inputs.debtors.unknown_columns,
                                    inputs.agents_path: inputs.agents_unknown})


@app.command()
def generate(
    debtors: Annotated[int, typer.Option("--debtors", "-n", min=0, help="Number of debtors (persons)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for debtors.csv and agents.csv")],
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed; equal inputs give equal files")] = 1,
    country: Annotated[str, typer.Option("--country", help="BR or US")] = "BR",
    pools: Annotated[Optional[int], typer.Option("--pools", min=4, help="Split the agents into this many "
                                                 "pools (teams per shift, some per segment)")] = None,
) -> None:
    """Write a synthetic portfolio (debtors.csv, agents.csv) for demos and benchmarks.

    Phone numbers are random but valid and may belong to real people: never load them in a live dialer."""
    from contactplan.generate import write_portfolio

    if country.upper() not in ("BR", "US"):
        raise typer.BadParameter(tr("must be BR or US"), param_hint="--country")
    if output.exists() and not output.is_dir():
        raise typer.BadParameter(tr("{path} exists and is not a directory; give a directory for debtors.csv and "
                                    "agents.csv", path=output), param_hint="--output")
    started = time.perf_counter()
    try:
        with err.status(tr("generating {n:,} debtors and their agents", n=debtors)):
            d, a = write_portfolio(output, debtors, seed, country.upper(), pools=pools)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pools") from None
    except OSError as exc:
        fail(OutputError(tr("{path}: cannot write the portfolio: {reason}; nothing was written", path=output,
                            reason=os_reason(exc))))
    err.print(tr("Wrote {debtors_file} ({n} debtors) and {agents_file} in {seconds:.1f} s", debtors_file=d, n=debtors,
                 agents_file=a, seconds=time.perf_counter() - started))


@rules_app.command("list")
def rules_list(
    config: ConfigOption = None,
    policy: PolicyOption = None,
    wide: Annotated[bool, typer.Option("--wide", help="Every column (kind, channels, regions, citation), one "
                                       "line per rule")] = False,
) -> None:
    """List the rules in force (country packs, then policy layers): id, severity and title; --wide adds
    kind, channels, regions and citation."""
    from rich import box

    try:
        packs = load_packs((*load_run_config(config).packs, *(policy or ())))
    except ContactplanError as exc:
        fail(exc)
    rows = [(p.id, periods[0].meta, _changes(periods)) for p in packs.packs for periods in p.by_id()]
    if wide:
        table = Table(title=tr("Rules in force"), box=box.SIMPLE_HEAD, title_justify="left")
        for col in (N_("pack"), N_("id"), N_("kind"), N_("severity"), N_("channels"), N_("regions"), N_("citation")):
            table.add_column(tr(col), no_wrap=True)
        for pack_id, m, changes in rows:
            table.add_row(*(escape(x) for x in (pack_id, m.id, m.kind, m.severity.value, ",".join(m.channels),
                                                ",".join(sorted(m.regions)) or tr("all"),
                                                m.shown_citation() + changes)))
        out = Console()
        needed = out.measure(table, options=out.options.update(width=100_000)).maximum
        (Console(width=needed) if needed > out.width else out).print(table)
        return
    table = Table(title=tr("Rules in force (--wide for kind, channels, regions and citation; rules show PACK for "
                           "everything)"), box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    table.add_column(tr("id"), no_wrap=True)
    table.add_column(tr("severity"), no_wrap=True)
    table.add_column(tr("title"), overflow="fold")
    short = {"self_regulation": "self-reg"}  # the 80-column view; --wide and json keep the full name
    for _, m, changes in rows:
        table.add_row(escape(m.id), short.get(m.severity.value, m.severity.value), escape(m.shown_title() + changes))
    Console().print(table)


def _changes(periods) -> str:
    """For a rule whose parameters change by date, when they do (rules show prints each value)."""
    if len(periods) == 1:
        return ""
    return tr(" (values change on {dates}: rules show)", dates=", ".join(str(r.meta.value_from) for r in periods[1:]))


@rules_app.command("show")
def rules_show(pack: Annotated[str, typer.Argument(help=f"Built-in pack ({', '.join(BUILTIN)}) or a pack file")]
               ) -> None:
    """Show one pack: every rule with its parameters, citation, confidence and effective dates."""
    if pack not in BUILTIN and not Path(pack).exists():
        err.print(tr("[red]error:[/red] {pack} is neither a built-in pack nor a pack file; the built-in "
                     "packs are {builtin}", pack=escape(pack), builtin=", ".join(BUILTIN)), highlight=False)
        raise typer.Exit(2)
    try:
        p = load_pack(pack)
    except ContactplanError as exc:
        fail(exc)
    out = Console(soft_wrap=True)
    out.print(tr("[bold]{id}[/bold] {title} (country {country}, version {version}, sha256 {sha256})",
                 id=escape(p.id), title=escape(p.shown_title()), country=escape(p.country), version=escape(p.version),
                 sha256=p.sha256[:12]))
    for periods in p.by_id():
        r, m = periods[0], periods[0].meta
        out.print(f"\n[bold]{escape(m.id)}[/bold] ({m.kind}, {m.severity.value}) {escape(m.shown_title())}")
        out.print(tr("  citation: {citation}", citation=m.shown_citation()), highlight=False, markup=False)
        if m.confidence:
            out.print(tr("  confidence: {confidence}", confidence=m.shown_confidence()), highlight=False, markup=False)
        if m.regions:
            scope = tr("  channels: {channels}; regions: {regions}", channels=", ".join(m.channels),
                       regions=", ".join(sorted(m.regions)))
        else:
            scope = tr("  channels: {channels}; regions: all", channels=", ".join(m.channels))
        start, end = m.effective_from, periods[-1].meta.effective_to
        if start or end:
            scope += tr("; effective {start} to {end}", start=start or "...", end=end or "...")
        out.print(scope, highlight=False, markup=False)
        if len(periods) == 1:
            out.print(tr("  rule: {summary}", summary=r.summary()), highlight=False, markup=False)
            continue
        # A rule whose parameters change by date: its history, each value with its citation.
        out.print(tr("  rule until {day}: {summary}", day=m.effective_to, summary=r.summary()), highlight=False,
                  markup=False)
        for later in periods[1:]:
            out.print(tr("  rule from {day}: {summary}", day=later.meta.value_from, summary=later.summary()),
                      highlight=False, markup=False)
            out.print(tr("    citation: {citation}", citation=later.meta.shown_value_citation()), highlight=False,
                      markup=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print(tr("interrupted; nothing was written"))
        sys.exit(130)


if __name__ == "__main__":
    main()
