"""One exception hierarchy for longtail.

Every message says what went wrong, where (file, line, field, keyword) and how
to fix it. The CLI prints the message and exits with the error's `exit_code`:
2 for input the user can correct, 1 for an operation that failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LongtailError(Exception):
    """Base of every error longtail reports to its user."""

    exit_code = 1


class InputError(LongtailError):
    """Input the user can correct: a file, a flag, a setting."""

    exit_code = 2


class OperationError(LongtailError):
    """An operation that failed although its input was valid (API, disk)."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem in one input file, located as precisely as we can."""

    file: str
    message: str
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ProblemsError(InputError):
    """Several problems at once, so the user can fix them all in one pass."""

    def __init__(self, problems: Sequence[Problem], summary: str) -> None:
        self.problems = list(problems)
        self.summary = summary
        # The count first, then one problem a line: each line starts with
        # file:line, which editors and terminals turn into a link.
        super().__init__("\n".join([summary, *(f"  {problem}" for problem in self.problems)]))


class PersonaError(ProblemsError):
    """Persona files that do not validate."""


class CredentialsError(InputError):
    """Google Ads credentials missing or unusable."""


class FixtureError(InputError):
    """A recorded fixtures directory that cannot be replayed."""


class ModelMissingError(InputError):
    """No spaCy English model is installed."""


class PlannerError(OperationError):
    """A Keyword Planner request failed."""


class ExportError(OperationError):
    """An output file could not be written."""


class TrendsUnavailable(OperationError):
    """Google Trends refused or could not be reached; the run goes on without it."""
