"""Exceptions the CLI maps to exit codes. Messages never carry personal data."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    VIOLATIONS = 1  # the audit found hard violations; nothing was written
    INVALID = 2  # usage error, invalid input file, invalid rule pack or config
    INFEASIBLE = 3  # the solver found no feasible plan


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
        more = f" (and {len(rejections) - 3} more)" if len(rejections) > 3 else ""
        super().__init__(f"{len(rejections)} invalid row(s): {first}{more}")


class PlanRejected(ContactplanError):
    """The independent audit found violations in the solver's plan: nothing is written."""

    exit_code = ExitCode.VIOLATIONS


class Infeasible(ContactplanError):
    exit_code = ExitCode.INFEASIBLE
