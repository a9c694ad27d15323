"""Every error the library raises on purpose: one base class, caught once in the CLI.

A library function raises one of these with a message in Chinese with the
English beside it; cli.py turns any AssessError into exit code 2 ("trouble")
with the fix-it hint it keeps for that class. The ValueError mix-ins keep the
classes catchable as before.
"""

from __future__ import annotations


class AssessError(Exception):
    """Something the program could not do: the message says what and why."""


class FigureError(AssessError, ValueError):
    """A rule amount that is not a number with at most two decimals."""


class RuleError(AssessError, ValueError):
    """The rules file itself is wrong (unknown kind, dangling input, bad amount)."""


class RosterError(AssessError, ValueError):
    """The roster file cannot be used (unreadable, empty, duplicated unit)."""


class SchemeError(AssessError, ValueError):
    """The table cannot be read as a scheme at all; carries the findings."""

    def __init__(self, report, path: str):
        self.report = report
        self.path = path
        first = report.errors[0].message if report.errors else "unknown error"
        super().__init__(first)


class SubmissionsError(AssessError, ValueError):
    """The folder cannot be read at all (not a folder, scheme without rules)."""


class ScoringError(AssessError, ValueError):
    """Scoring cannot start (a scheme without rules, an unknown setting)."""


class TemplateError(AssessError, ValueError):
    """The template cannot be written (no rules for the scheme, unknown city, missing folder)."""


class WriteError(AssessError):
    """An output file could not be written; the message says why and what to do.
    `os_error`: the operating system's error behind it, when there is one."""

    def __init__(self, message: str, os_error: BaseException | None = None):
        super().__init__(message)
        self.os_error = os_error


class RunError(AssessError, ValueError):
    """The run cannot write where it was asked to (the output inside the inbox, say)."""


class SnapshotError(AssessError, ValueError):
    """The previous workbook has no readable snapshot (not made by this tool)."""


class FileRefused(AssessError):
    """A submitted workbook refused before any parser sees it (intake/guard.py,
    intake/biff.py); carries the fields of the finding to report. Caught in
    intake and turned into that finding: it never reaches the CLI."""

    def __init__(self, code: str, note: str = "", value: str = "", expected: str = "", sheet: str = "",
                 cell: str = "", cells: int = 0):
        super().__init__(code, note)
        self.code, self.note, self.value, self.expected = code, note, value, expected
        self.sheet, self.cell, self.cells = sheet, cell, cells
