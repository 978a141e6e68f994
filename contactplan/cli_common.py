"""What every command shares: the stderr console, error-to-exit-code mapping, the database option."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

from contactplan.errors import ContactplanError, ExitCode
from contactplan.i18n import tr

err = Console(stderr=True)


class SafeGroup(TyperGroup):
    """The command group with one handler for what no command expected: a short message naming
    the kind of fault and where, exit code 4, never a traceback (its locals and messages may hold
    a phone number or a SQL parameter). CONTACTPLAN_DEBUG=1 shows the traceback, for a report."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException, SystemExit, KeyboardInterrupt):
            raise  # usage errors and exits the commands meant
        except ContactplanError as exc:  # a command that let one through still gets its exit code
            fail(exc)
        except BrokenPipeError:
            # The reader of our output went away before the end (`contactplan plan | head`, a
            # dialer import that died): what it got is incomplete, like a file on a full disk, so
            # the same exit code (2), and never "written". Point stdout at nothing so the
            # interpreter's final flush does not complain again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            err.print(tr("[red]error:[/red] standard output was closed before the whole output was written: the "
                         "reader got an incomplete copy (write to a file with -o)"), highlight=False, soft_wrap=True)
            raise typer.Exit(int(ExitCode.INVALID)) from None
        except Exception as exc:  # noqa: BLE001 - the one place that catches everything
            if os.environ.get("CONTACTPLAN_DEBUG"):
                raise
            err.print(tr("[red]internal error:[/red] {kind} in {where}; nothing was written. "
                         "This is a fault of contactplan, not of your input: please report it (run again with "
                         "CONTACTPLAN_DEBUG=1 for the details, which may contain personal data).",
                         kind=type(exc).__name__, where=_where(exc)), highlight=False, soft_wrap=True)
            raise typer.Exit(int(ExitCode.INTERNAL)) from None
        finally:
            # The command's databases are closed as it ends, not whenever the collector finds
            # them: SQLite folds its write-ahead log into the file on the last close, which must
            # not happen under the next command (or inside a caller's process that runs several).
            store = sys.modules.get("contactplan.store")
            if store is not None:
                store.close_stores()


def _where(exc: BaseException) -> str:
    """The innermost contactplan frame of the traceback, as module:line (no values)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "contactplan" in f.filename.replace("\\", "/").split("/")[-2:][0]] or frames
    last = ours[-1] if ours else None
    return f"{Path(last.filename).stem}:{last.lineno}" if last else "contactplan"

DbOption = Annotated[Optional[str], typer.Option(
    "--db", help="Database URL (default: $CONTACTPLAN_DB, the config's database_url, or sqlite:///contactplan.db)")]


def fail(exc: ContactplanError) -> NoReturn:
    err.print(tr("[red]error:[/red] {message}", message=escape(str(exc))), highlight=False, soft_wrap=True)
    raise typer.Exit(int(exc.exit_code))


def parse_date(text: str, option: str, *, plan: bool = True) -> dt.date:
    """A date option (YYYY-MM-DD); a plan date must lie in the range contactplan plans for."""
    from contactplan.model import plan_date_problem

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(tr("'{text}' is not a date; use YYYY-MM-DD", text=text), param_hint=option) from None
    problem = plan_date_problem(day) if plan else None
    if problem:
        raise typer.BadParameter(tr("{day} {problem}", day=day, problem=problem), param_hint=option)
    return day


def parse_not_before(text: str | None, plan_date: dt.date, zone: str) -> dt.datetime | None:
    """``--not-before``: ``HH:MM`` on the plan date in the site zone (config report_timezone), or
    an ISO 8601 instant (its own offset; without one, the site zone) on the plan date there."""
    if text is None:
        return None
    from zoneinfo import ZoneInfo

    site = ZoneInfo(zone)
    try:
        if "T" in text or " " in text.strip():
            when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
            when = when if when.tzinfo else when.replace(tzinfo=site)
        else:
            when = dt.datetime.combine(plan_date, dt.time.fromisoformat(text.strip()), site)
    except ValueError:
        raise typer.BadParameter(tr("'{text}' is neither HH:MM nor an ISO 8601 date-time such as "
                                    "2026-11-24T14:00-03:00", text=text), param_hint="--not-before") from None
    if when.astimezone(site).date() != plan_date:
        raise typer.BadParameter(tr("{when} is not on the plan date {day} in {zone} (report_timezone)",
                                    when=when.isoformat(), day=plan_date, zone=zone), param_hint="--not-before")
    return when


NotBeforeOption = Annotated[Optional[str], typer.Option(
    "--not-before", help="Intra-day re-plan: no window starts before this time (HH:MM in the config's "
                         "report_timezone, or an ISO 8601 instant); attempts made earlier today count against "
                         "every cap")]


def check_outputs(inputs: list[str | Path | None], outputs: list[tuple[str, str | Path | None]], *,
                  db: str | None = None, config: str | Path | None = None) -> None:
    """Refuse, before anything is read, an output that is one of the run's own input files (``-d
    same.csv -o same.csv`` would destroy the portfolio), the store's database file (an output
    written over contactplan.db would take the history, the opt-outs and the plan archive with
    it), or two outputs on one file (``-`` is standard output). Exit code 2."""
    stores = _store_files(db, config)
    ins = [(Path(p)) for p in inputs if p is not None and str(p) != "-"]
    taken: list[tuple[str, str]] = []
    for option, out in outputs:
        if out is None:
            continue
        for given in ins:
            if _same_file(Path(out), given):
                raise typer.BadParameter(tr("{path} is also an input of this run; writing it would destroy it",
                                            path=out), param_hint=option)
        for store in stores:
            if _same_file(Path(out), store):
                raise typer.BadParameter(tr("{path} is the store's database (history, suppressions, plan "
                                            "archive); writing it would destroy them", path=out), param_hint=option)
        for other_option, other in taken:
            if (str(out) == "-" and other == "-") or (str(out) != "-" and other != "-"
                                                      and _same_file(Path(out), Path(other))):
                raise typer.BadParameter(tr("{path} is also the output of {option}", path=out, option=other_option),
                                         param_hint=option)
        taken.append((option, str(out)))


def _store_files(db: str | None, config: str | Path | None) -> list[Path]:
    """Every SQLite file a run may hold as its store: the one --db, $CONTACTPLAN_DB or the
    config's database_url names, and the embedded default (it exists for other runs even when
    this one uses another), each with SQLite's journal files."""
    import tomllib

    from contactplan.store import DEFAULT_URL, resolve_url

    config_url = None
    if config is not None:
        try:
            found = tomllib.loads(Path(config).read_text(encoding="utf-8-sig")).get("database_url")
            config_url = found if isinstance(found, str) else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            pass  # the config's own reader reports what is wrong with it
    out = []
    for url in {resolve_url(db, config_url), DEFAULT_URL}:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = url.removeprefix("sqlite:///")
            out += [Path(path + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def now() -> dt.datetime:
    """The one clock read for store timestamps (the library takes "now" as an argument)."""
    return dt.datetime.now(dt.UTC)


def mask(destination: str) -> str:
    from contactplan.errors import masked

    return masked(destination)


ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="contactplan.toml")]
PolicyOption = Annotated[Optional[list[str]], typer.Option(
    "--policy", "-p", help="Company policy pack (TOML file or built-in name such as br-febraban), layered on the "
                           "country packs; repeatable")]
MunicipalOption = Annotated[Optional[Path], typer.Option(
    "--municipal-holidays", help="municipality_code,date,name CSV of municipal holidays")]
NoStoreOption = Annotated[bool, typer.Option("--no-store", help="Without the database: no history, no "
                                             "suppressions, no archive")]


# The language the planner asked for with --lang, which a config's ``language`` does not override.
_ASKED_LANGUAGE: list[str] = []


def choose_language(asked: str | None) -> None:
    """The run's language: --lang, else the environment's locale (a config may still set it)."""
    from contactplan.i18n import language_from_environment, use_language

    _ASKED_LANGUAGE[:] = [asked] if asked else []
    use_language(asked or language_from_environment(dict(os.environ)))


def load_run_config(path: Path | None):
    """The config, whose ``language`` becomes the run's unless --lang said otherwise."""
    from contactplan.config import load_config
    from contactplan.i18n import use_language

    cfg = load_config(path)
    if cfg.language and not _ASKED_LANGUAGE:
        use_language(cfg.language)
    return cfg


def rule_context(config: Path | None, policy: list[str] | None, municipal: Path | None):
    """The config, the rule packs (country, then policy layers) and the calendars."""
    from contactplan.calendars import Calendars, read_municipal_holidays
    from contactplan.rules.packs import load_packs

    cfg = load_run_config(config)
    packs = load_packs((*cfg.packs, *(policy or ())))
    path = municipal or cfg.municipal_holidays
    return cfg, packs, read_municipal_holidays(str(path)) if path else Calendars()


def store_for(db: str | None, cfg, *, create: bool, no_store: bool = False):
    """The store named by --db / $CONTACTPLAN_DB / the config, or None with --no-store. When it
    may not be created (dry runs, audits, explain) an embedded file that does not exist yet means
    an empty store, and None is returned."""
    from contactplan.store import open_store, resolve_url

    if no_store:
        return None
    url = resolve_url(db, cfg.database_url)
    if not create and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    # An existing store is brought up to the current schema even by the commands that only read
    # it (audit, explain, dry runs): its data is not changed.
    return open_store(url)


