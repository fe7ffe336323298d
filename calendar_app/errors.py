"""One exception tree for everything a user can get wrong.

The CLI turns these into one line each and a non-zero exit; nothing below the CLI prints.
"""

from __future__ import annotations


def shown(value: object, most: int = 60) -> str:
    """`repr(value)` cut to `most` characters, for quoting bad input in a one-line message."""
    text = repr(value)
    return text if len(text) <= most else text[:most - 1] + "…"


_VISIBLE = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, 0x85]}
_VISIBLE.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028",
                 0x2029: "\\u2029"})


class CalendarAppError(Exception):
    """Base of every error a user can cause; `exit_code` is what the CLI returns."""

    exit_code = 1


class Problem(CalendarAppError):
    """One thing wrong at one place in one input file."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        # One line, whatever the input quoted in it holds (a name with a CR/LF in it).
        message = self.message.translate(_VISIBLE)
        return f"{where}: {message}" if where else message


class PlanError(CalendarAppError):
    """recurring.yaml is wrong; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class StoreError(CalendarAppError):
    """The database is missing, from another schema version, or refuses a change."""


class UnknownUnit(CalendarAppError):
    """A unit named on the command line that the plan does not know."""

    def __init__(self, name: str, suggestions: list[str]):
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown unit {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


class PrintError(CalendarAppError):
    """A printed schedule cannot be made here: no PDF engine, or no Chinese font for it."""
