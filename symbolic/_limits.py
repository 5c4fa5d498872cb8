"""Budgets for one inference call."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """The budget of one call; exceeding any part raises ``InferenceLimitError``.

    Parameters
    ----------
    time:
        Wall-clock seconds for grounding and compiling together.
    max_ground:
        Largest number of ground clauses the relevant grounding may produce.
    max_depth:
        Largest term (in cells) a tabled goal or answer may hold: it stops
        recursion that builds ever deeper terms (``nat(s(X)) :- nat(X)``).

    >>> Limits(time=5.0).max_ground
    1000000
    """

    time: float = 60.0
    max_ground: int = 1_000_000
    max_depth: int = 10_000

    def __post_init__(self) -> None:
        if not self.time > 0:
            raise ValueError(f"Limits.time must be positive, not {self.time!r}")
        if self.max_ground < 1 or self.max_depth < 1:
            raise ValueError("Limits.max_ground and Limits.max_depth must be at least 1")
