"""The one exception tree of nesy.

Every error the engine raises on purpose is a :class:`NesyError`::

    NesyError
    ├── RuleSyntaxError          a rule file does not parse (file, line, column; all errors)
    ├── ProgramError             the rules parse but cannot run: forbidden goal, negation
    │                            cycle, redefined built-in, bad probability annotation
    ├── KnowledgeError           the knowledge graph cannot be loaded or mapped
    ├── InputError               bad input to a call: unknown predicate in a query,
    │   │                        bad weights, missing file, wrong shape, missing case field
    │   └── InconsistentEvidenceError   the evidence has probability 0
    └── InferenceLimitError      a time, size or depth budget was exceeded

Errors carry where they happened when that is known (``file``, ``line``, ``column``,
``field``), and ``str(error)`` is one line that names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

__all__ = [
    "InconsistentEvidenceError",
    "InferenceLimitError",
    "InputError",
    "KnowledgeError",
    "Location",
    "NesyError",
    "ProgramError",
    "RuleSyntaxError",
]


@dataclass(frozen=True)
class Location:
    """Where something is in a source file: 1-based line and column, when known."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column}


class NesyError(Exception):
    """Root of every error nesy raises on purpose."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)

    def with_message(self, message: str) -> Self:
        """This error, of the same class and with the same attributes, saying ``message``:
        how a caller adds context on the way up (which example, which case)."""
        found = type(self).__new__(type(self))  # not copy.copy: it would call __init__(*args)
        found.__dict__.update(self.__dict__)
        found.message = message
        found.args = (f"{self.location}: {message}" if self.location else message,)
        return found

    @property
    def file(self) -> str | None:
        return self.location.file if self.location else None

    @property
    def line(self) -> int | None:
        return self.location.line if self.location else None

    @property
    def column(self) -> int | None:
        return self.location.column if self.location else None


class RuleSyntaxError(NesyError):
    """A rule file does not parse.

    ``errors`` holds every problem found in the file, not only the first, each a
    ``(Location, message)`` pair; the exception's own location is the first one.
    """

    def __init__(self, errors: list[tuple[Location, str]]) -> None:
        if not errors:
            raise ValueError("RuleSyntaxError needs at least one error")
        self.errors = list(errors)
        first_location, first_message = self.errors[0]
        more = len(self.errors) - 1
        suffix = f" (and {more} more syntax error{'s' if more > 1 else ''})" if more else ""
        super().__init__(first_message + suffix, first_location)

    def lines(self) -> list[str]:
        """Every error as ``file:line:col: message``."""
        return [f"{location}: {message}" for location, message in self.errors]


class ProgramError(NesyError):
    """The rules parse but cannot be run as they are."""


class KnowledgeError(NesyError):
    """The knowledge graph cannot be loaded, queried or mapped."""


class InputError(NesyError):
    """Bad input to a call: a query, weights, a file name, a case field."""

    def __init__(
        self, message: str, location: Location | None = None, field: str | None = None
    ) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message, location)

    def with_field(self, field: str) -> Self:
        """This error (class and attributes kept) about ``field`` instead of its own."""
        message = self.message
        if self.field and message.startswith(f"{self.field}: "):
            message = message[len(self.field) + 2:]
        found = self.with_message(f"{field}: {message}")
        found.field = field
        return found


class InconsistentEvidenceError(InputError):
    """The evidence is impossible (it has probability 0)."""


class InferenceLimitError(NesyError):
    """A call exceeded its time, size or depth budget.

    ``limit`` names the budget (``"time"``, ``"size"`` or ``"depth"``).
    """

    def __init__(self, message: str, limit: str) -> None:
        self.limit = limit
        super().__init__(message)
