"""What every command shares: the stderr console, error-to-exit-code mapping, the database option."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console

from contactplan.errors import ContactplanError

err = Console(stderr=True)

DbOption = Annotated[Optional[str], typer.Option(
    "--db", help="Database URL (default: $CONTACTPLAN_DB, the config's database_url, or sqlite:///contactplan.db)")]


def fail(exc: ContactplanError) -> NoReturn:
    err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(int(exc.exit_code))


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a date; use YYYY-MM-DD", param_hint=option) from None


def now() -> dt.datetime:
    """The one clock read for store timestamps (the library takes "now" as an argument)."""
    return dt.datetime.now(dt.UTC)


def mask(destination: str) -> str:
    """Phones and e-mails are personal data: show just enough to tell them apart."""
    if "@" in destination:
        user, domain = destination.split("@", 1)
        return f"{user[:1]}***@{domain}"
    return destination[:3] + "*" * max(0, len(destination) - 7) + destination[-4:]
