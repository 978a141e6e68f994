"""Exceptions the CLI maps to exit codes. Messages never carry personal data."""

from __future__ import annotations

import contextvars
import enum

from contactplan.i18n import tr


class ExitCode(enum.IntEnum):
    OK = 0
    VIOLATIONS = 1  # the audit found hard violations; nothing was written
    INVALID = 2  # usage error, invalid input file, invalid rule pack or config
    INFEASIBLE = 3  # the solver found no feasible plan
    INTERNAL = 4  # a fault of contactplan itself (reported without details); nothing was written


# Whether messages may quote the value of a cell. Off by default: a cell may hold a name, a phone
# number, an e-mail or a CPF, and none of those may reach a terminal, a log or a rejects file
# (LGPD art. 6 III, data minimisation). ``--show-values`` turns it on for one run.
_SHOW_VALUES: contextvars.ContextVar[bool] = contextvars.ContextVar("show_values", default=False)


def show_values(on: bool) -> None:
    """Let messages quote cell values (the CLI's --show-values): for the user's own eyes only."""
    _SHOW_VALUES.set(on)


def values_shown() -> bool:
    """Whether ``--show-values`` let messages quote what the files hold."""
    return _SHOW_VALUES.get()


def masked(destination: str) -> str:
    """Phones and e-mails are personal data: just enough of one to tell it from another."""
    if "@" in destination:
        user, domain = destination.split("@", 1)
        return f"{user[:1]}***@{domain}"
    return destination[:3] + "*" * max(0, len(destination) - 7) + destination[-4:]


def quoted(raw: object, limit: int = 40) -> str:
    """`` ('value')`` after a message when values may be shown, else nothing."""
    text = str(raw)
    return f" ('{text[:limit]}')" if _SHOW_VALUES.get() and text else ""


class ContactplanError(Exception):
    exit_code = ExitCode.INVALID


class InputError(ContactplanError):
    """A file that cannot be used as a whole (unreadable, wrong header, bad config)."""

    def __init__(self, path: str, message: str, line: int = 0, column: str = "", column_index: int = 0):
        self.path, self.line, self.column, self.column_index = path, line, column, column_index
        where = path
        if line:
            where += f":{line}"
            if column_index:
                where += f":{column_index}"
        col = f" {column}:" if column else ""
        super().__init__(f"{where}:{col} {message}")


class OutputError(ContactplanError):
    """A file could not be written (disk full, permissions). The previous file is intact."""


class RowErrors(ContactplanError):
    """Rows were rejected and the user asked to fail rather than plan without them."""

    def __init__(self, rejections: list) -> None:
        self.rejections = rejections
        first = "; ".join(str(r) for r in rejections[:3])
        if len(rejections) > 3:
            text = tr("{n} invalid row(s): {first} (and {more} more)", n=len(rejections), first=first,
                      more=len(rejections) - 3)
        else:
            text = tr("{n} invalid row(s): {first}", n=len(rejections), first=first)
        super().__init__(text)


class PlanRejected(ContactplanError):
    """The independent audit found violations in the solver's plan: nothing is written."""

    exit_code = ExitCode.VIOLATIONS


class Infeasible(ContactplanError):
    exit_code = ExitCode.INFEASIBLE
