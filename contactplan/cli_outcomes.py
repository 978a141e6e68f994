"""``contactplan report`` and ``contactplan learn``: the outcome loop's commands."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contactplan.io.files import write_stdout
from contactplan.cli_common import (ConfigOption, DbOption, check_outputs, err, fail, load_run_config, parse_date,
                                    store_for)
from contactplan.errors import ContactplanError
from contactplan.i18n import N_, tr
from contactplan.model import Outcome
from contactplan.outcomes.holdout import arm_of
from contactplan.outcomes.indicators import KEYS, UNKNOWN, UNPLANNED, Indicators, Joined, indicators, table_rows


class ReportFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FromOption = Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD), the attempts' local date")]
ToOption = Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD), included")]
DebtorsOption = Annotated[Optional[Path], typer.Option(
    "--debtors", "-d", help="debtors.csv to join segment and region from")]


def existing_store(db: str | None, cfg):
    """The store a report or a model is made from: a store that does not exist is a mistyped
    --db far more often than an empty operation, so it is an error, not an empty report."""
    from contactplan.errors import InputError
    from contactplan.store import redact, resolve_url

    store = store_for(db, cfg, create=False)
    if store is None:
        raise InputError(redact(resolve_url(db, cfg.database_url)), tr("no store there: check --db (or import "
                                                                        "outcomes first with contactplan history "
                                                                        "import)"))
    return store


def parse_keys(text: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in allowed]
    if unknown or not keys:
        raise typer.BadParameter(tr("{unknown} is not a key; use a comma-separated list of {allowed}",
                                    unknown=", ".join(unknown) or tr("nothing"), allowed=", ".join(allowed)),
                                 param_hint=option)
    if len(set(keys)) != len(keys):
        raise typer.BadParameter(tr("a key is given twice"), param_hint=option)
    return keys


def period(first: str, last: str) -> tuple[dt.date, dt.date]:
    a, b = parse_date(first, "--from", plan=False), parse_date(last, "--to", plan=False)
    if b < a:
        raise typer.BadParameter(tr("{last} is before --from {first}", last=last, first=first), param_hint="--to")
    return a, b


def debtor_keys(path: Path | None) -> dict[str, tuple[str, str]]:
    """debtor id -> (segment, region) from the debtors file (its rejected rows cannot be joined)."""
    if path is None:
        return {}
    from contactplan.io.debtors import read_debtors

    return {d.debtor_id: (d.segment or "(none)", d.region) for d in read_debtors(str(path)).debtors}


class Joiner:
    """Joins an attempt to its debtor (segment, region) and to the archived plan of its day (pool,
    arm). A debtor in a holdout plan's portfolio that the plan did not contact still has its arm
    (the seeded hash), so the lift counts every debtor assigned, contacted or not."""

    def __init__(self, debtors: dict[str, tuple[str, str]], archived: dict, holdouts: dict[dt.date, dict]):
        self.debtors, self.archived, self.holdouts = debtors, archived, holdouts

    def __call__(self, attempt) -> Joined:
        day = attempt.attempted_at.date()
        segment, region = self.debtors.get(attempt.debtor_id, (UNKNOWN, UNKNOWN))
        contacts = self.archived.get((attempt.debtor_id, day))
        pool, arm = UNPLANNED, UNPLANNED
        if contacts:
            channel, pool, arm = next((c for c in contacts if c[0] == attempt.channel.value), contacts[0])
            pool = pool or "(no pool)"
        holdout = self.holdouts.get(day)
        if holdout is not None and arm in (UNPLANNED, ""):
            arm = arm_of(attempt.debtor_id, holdout["seed"], holdout["percent"])
        return Joined(segment, region, pool, arm or "(no holdout)")


def holdouts_by_day(store, first: dt.date, last: dt.date) -> dict[dt.date, dict]:
    """The day's holdout plan (the latest archived one when a day was re-planned)."""
    out: dict[dt.date, dict] = {}
    for plan in store.holdout_plans(first, last) if store is not None else ():
        prov = plan["provenance"]
        out[plan["plan_date"]] = {"plan_id": plan["plan_id"], "arms": plan["arms"],
                                  "seed": int(prov.get("holdout_seed", 0)),
                                  "percent": float(prov.get("holdout_percent", 0))}
    return out


class LiftTally:
    """Promises per assigned debtor-day in each arm (inbound promises included: a debtor who
    calls back to promise was moved by the arm's contacts), fed by indicators(observe=...)."""

    def __init__(self, holdouts: dict[dt.date, dict]):
        self.holdouts = holdouts
        self.promised: dict[str, set] = defaultdict(set)

    def __call__(self, attempt, joined) -> None:
        day = attempt.attempted_at.date()
        if attempt.outcome is Outcome.PROMISE_TO_PAY and day in self.holdouts:
            self.promised[joined.arm].add((attempt.debtor_id, day))

    def lift(self):
        from contactplan.outcomes.holdout import CHALLENGER, CHAMPION, Lift

        totals = {CHAMPION: 0, CHALLENGER: 0}
        for h in self.holdouts.values():
            for arm in totals:
                totals[arm] += int(h["arms"].get(arm, 0))
        return Lift(totals[CHAMPION], len(self.promised[CHAMPION]), totals[CHALLENGER],
                    len(self.promised[CHALLENGER]))


def report(
    first: FromOption,
    last: ToOption,
    by: Annotated[str, typer.Option("--by", help=f"Group by any of {', '.join(KEYS)} (comma-separated)")] = "channel",
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="table, csv or json")] = ReportFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the csv/json here (default "
                                                   "stdout)")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write the indicators as an HTML page with "
                                                 "charts")] = None,
    debtors: DebtorsOption = None,
    min_attempts: Annotated[int, typer.Option("--min-attempts", min=1, help="Rows with fewer attempts are flagged "
                                              "thin (never hidden)")] = 30,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Indicators from the imported outcomes: contact, right-party contact and promise rates.

    Definitions: README "Indicators". Read-only: never writes to the database."""
    from contactplan.io.plan_csv import write_atomic

    keys = parse_keys(by, KEYS, "--by")
    start, end = period(first, last)
    if {"segment", "region"} & set(keys) and debtors is None:
        raise typer.BadParameter(tr("segment and region come from the debtors file: add --debtors FILE"),
                                 param_hint="--by")
    if fmt is ReportFormat.table and output is not None:
        raise typer.BadParameter(tr("the table is for the terminal: add --format csv or --format json to write a "
                                    "file"), param_hint="--output")
    check_outputs([debtors, config], [("--output", output if fmt is not ReportFormat.table and output is not None
                                       and str(output) != "-" else None), ("--html", html)], db=db, config=config)
    try:
        cfg = load_run_config(config)
        store = existing_store(db, cfg)
        people = debtor_keys(debtors)
        archived = store.archived_contacts(start, end) if store is not None else {}
        holdouts = holdouts_by_day(store, start, end)
        joiner = Joiner(people, archived, holdouts)

        from contactplan.outcomes.report_html import CHARTS

        lifting = LiftTally(holdouts) if "arm" in keys and holdouts else None
        # One pass over the store's attempts (streamed: a month of a large operation is millions).
        result = indicators(store.attempts_between(start, end) if store is not None else (), keys, start, end,
                            join=joiner, min_attempts=min_attempts, side=CHARTS if html is not None else None,
                            observe=lifting)
        lift = lifting.lift() if lifting is not None else None
        if fmt is not ReportFormat.table:
            text = render_csv(result) if fmt is ReportFormat.csv else render_json(result, min_attempts, lift)
            if output is None or str(output) == "-":
                write_stdout(text)  # all of it, or the closed pipe is an error
            else:
                write_atomic(output, text)
        if html is not None:
            from contactplan.outcomes.report_html import render_report_html

            write_atomic(html, render_report_html(result, min_attempts, lift))
    except ContactplanError as exc:
        fail(exc)
    if fmt is ReportFormat.table:
        print_table(result, min_attempts)
    if lift is not None:
        print_lift(lift)
    if result.inbound:
        err.print(tr("{n} inbound row(s) in the period (calls the debtors placed, messages they sent) "
                     "are history for the rules, not attempts: not counted", n=result.inbound), highlight=False)
    if result.callbacks:
        err.print(tr("{n} call(s) back asked for by debtors in the period (outcome callback_requested; "
                     "plan books them when every rule allows)", n=result.callbacks), highlight=False)


def render_csv(result: Indicators) -> str:
    from contactplan.io.csvfile import spreadsheet_safe

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in table_rows(result):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


def render_json(result: Indicators, min_attempts: int, lift=None) -> str:
    from contactplan.outcomes.indicators import as_json

    data = as_json(result, min_attempts)
    if lift is not None:
        data["lift"] = lift_json(lift)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def lift_json(lift) -> dict:
    interval = lift.interval()
    return {"unit": "debtor-day", "champion": {"debtors": lift.champion_debtors, "promised": lift.champion_promises,
                                              "rate": _r(lift.champion_rate)},
            "challenger": {"debtors": lift.challenger_debtors, "promised": lift.challenger_promises,
                           "rate": _r(lift.challenger_rate)},
            "difference": _r(lift.difference), "relative": _r(lift.relative),
            "ci95": [_r(interval[0]), _r(interval[1])] if interval else None}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _percent(value: float | None) -> str:
    return "" if value is None else tr("{rate:.1%}", rate=value)


def print_table(result: Indicators, min_attempts: int) -> None:
    """The terminal table: rates as percentages with one decimal (csv and json carry the
    four-place decimals), thin rows in grey."""
    from rich import box

    table = Table(title=tr("Indicators {first} to {last}", first=result.first, last=result.last),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for key in result.by:
        table.add_column(key, no_wrap=True)
    for column in (N_("attempts"), N_("connects"), N_("rpc"), N_("promises"), N_("conn%"), N_("rpc%"), N_("ptp%")):
        table.add_column(tr(column), justify="right", no_wrap=True)
    for row in result.rows:
        values = row.values()
        cells = [*map(escape, row.key), *(tr("{n:,}", n=v) for v in values[:4]), *(_percent(v) for v in values[4:])]
        table.add_row(*cells, style="dim" if row.thin else None)
    t = result.total
    table.add_section()
    table.add_row(tr("total"), *[""] * (len(result.by) - 1), *(tr("{n:,}", n=v) for v in (t.attempts, t.connects,
                                                                                       t.rpc, t.promises)),
                  _percent(t.rate(t.connects)), _percent(t.rate(t.rpc)), _percent(t.rate(t.promises)))
    out = Console()
    # Never cut a number or a key to fit a narrow terminal: a wider line is still readable.
    needed = out.measure(table, options=out.options.update(width=10_000)).maximum
    if needed > out.width:
        out = Console(width=needed)
    out.print(table)
    thin = sum(1 for r in result.rows if r.thin)
    if thin:
        err.print(tr("{n} row(s) in grey are thin: fewer than {min_attempts} attempts (--min-attempts); read "
                     "their rates with care", n=thin, min_attempts=min_attempts), highlight=False)
    if not result.rows:
        err.print(tr("no attempts from {first} to {last} in the store (history import FILE first)",
                     first=result.first, last=result.last), highlight=False)


def print_lift(lift) -> None:
    interval = lift.interval()
    if interval is None:
        err.print(tr("holdout: an arm has no debtors in the period; no lift"), highlight=False)
        return
    line = tr("holdout lift (promises per debtor-day, every assigned debtor counted): champion "
              "{champion_rate:.4%} of {champion_debtors:,}, challenger {challenger_rate:.4%} of "
              "{challenger_debtors:,}; difference {difference:+.3f} points, 95 % CI [{low:+.3f}, {high:+.3f}]",
              champion_rate=lift.champion_rate, champion_debtors=lift.champion_debtors,
              challenger_rate=lift.challenger_rate, challenger_debtors=lift.challenger_debtors,
              difference=lift.difference * 100, low=interval[0] * 100, high=interval[1] * 100)
    if lift.relative is not None:
        line += tr(", relative {relative:+.1%}", relative=lift.relative)
    err.print(line, highlight=False)


def learn(
    first: FromOption,
    last: ToOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="The model file to write (model.toml)")],
    by: Annotated[str, typer.Option("--by", help="channel,hour or channel,hour,segment")] = "channel,hour",
    debtors: DebtorsOption = None,
    prior_strength: Annotated[float, typer.Option("--prior-strength", min=0, max=1e6, help="Weight of the channel's "
                                                  "overall rate in each cell, in attempts (0: raw cell rates)")
                              ] = 20.0,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Learn effectiveness from the imported outcomes: right-party contact and promise rates per
    channel and local hour (and segment), shrunk toward the channel's rate; plan --model uses them."""
    from contactplan.io.plan_csv import write_atomic
    from contactplan.outcomes.learned import BY_CHOICES, learn as learn_model, parse_model, render_model

    keys = parse_keys(by, ("channel", "hour", "segment"), "--by")
    if keys not in BY_CHOICES:
        raise typer.BadParameter(tr("use channel,hour or channel,hour,segment"), param_hint="--by")
    if "segment" in keys and debtors is None:
        raise typer.BadParameter(tr("the segment comes from the debtors file: add --debtors FILE"), param_hint="--by")
    start, end = period(first, last)
    check_outputs([debtors, config], [("--output", output)], db=db, config=config)
    try:
        cfg = load_run_config(config)
        store = existing_store(db, cfg)
        segments = {}
        if debtors is not None:
            from contactplan.io.debtors import read_debtors

            segments = {d.debtor_id: d.segment for d in read_debtors(str(debtors)).debtors}
        attempts = store.attempts_between(start, end) if store is not None else iter(())
        model = learn_model(attempts, start, end, by=keys, segments=segments, prior_strength=prior_strength)
        if not model.cells and not model.left_to_config:
            err.print(tr("[red]error:[/red] no outbound attempts from {first} to {last} in the store: nothing to "
                         "learn from (history import FILE first); nothing was written", first=start, last=end),
                      highlight=False)
            raise typer.Exit(2)
        text = render_model(model)
        parse_model(text.encode("utf-8"), str(output))  # never write a model that plan would refuse
        write_atomic(output, text)
    except ContactplanError as exc:
        fail(exc)
    attempts_n = sum(c.attempts for c in model.cells.values())
    thin = sum(1 for c in model.cells.values() if c.attempts < prior_strength)
    err.print(tr("{path}: {cells} cells ({keys}) from {attempts:,} attempts {first} to {last}; {thin} cell(s) with "
                 "fewer attempts than the prior strength {prior:g} lean on their channel's rate; reference "
                 "{channel} promise rate {rate:.4f}", path=escape(str(output)), cells=len(model.cells),
                 keys=", ".join(keys), attempts=attempts_n, first=start, last=end, thin=thin, prior=prior_strength,
                 channel=model.reference_channel, rate=model.reference_promise_rate), highlight=False)
    per_channel: dict = defaultdict(int)
    for c in model.cells.values():
        per_channel[c.channel.value] += c.attempts
    few = {ch: n for ch, n in per_channel.items() if n < 10 * max(prior_strength, 1)}
    if few:
        channels = ", ".join(tr("{channel} ({n:,} attempts)", channel=ch, n=n) for ch, n in sorted(few.items()))
        err.print(tr("[yellow]note:[/yellow] little data on {channels}: their cells rest on few outcomes and can "
                     "move many contacts; plan with --holdout to measure the effect, or raise --prior-strength",
                     channels=channels), highlight=False)
    if model.left_to_config:
        err.print(tr("no promise recorded on {channels}: no cells for them, the config's effectiveness decides "
                     "(record replies and promises of messages to learn them)",
                     channels=", ".join(model.left_to_config)), highlight=False)
