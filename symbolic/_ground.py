"""The relevant ground program, as it arrives from the Prolog grounder."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

__all__ = ["GroundClause", "GroundError", "GroundProgram", "parse_ground"]


@dataclass(frozen=True)
class GroundClause:
    """``head :- literals``, a ground instance of source clause ``clause``.

    When ``choice`` > 0, the instance is head ``index`` of that choice.
    Literals are atom ids, negative for a negated atom.
    """

    head: int
    choice: int
    index: int
    literals: tuple[int, ...]
    clause: int = 0


@dataclass(frozen=True)
class GroundError:
    """An error the grounder reported instead of a ground program."""

    kind: str
    offset: int
    clause: int
    message: str


@dataclass
class GroundProgram:
    """Atoms, clauses and choices that the queries and evidence reach.

    A *choice* is one ground instance of a probabilistic clause (a probabilistic
    fact, rule or annotated disjunction); ``choice_clause`` gives its source
    clause, ``flexible`` the probabilities computed during grounding and
    ``neural`` the network of a neural predicate.
    """

    atoms: dict[int, str] = field(default_factory=dict)
    true_atoms: set[int] = field(default_factory=set)
    queries: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    evidence: dict[int, tuple[int, bool]] = field(default_factory=dict)
    clauses: list[GroundClause] = field(default_factory=list)
    choice_clause: dict[int, int] = field(default_factory=dict)
    flexible: dict[tuple[int, int], float] = field(default_factory=dict)
    neural: dict[int, str] = field(default_factory=dict)
    neural_inputs: dict[int, tuple[str, ...]] = field(default_factory=dict)
    goals: dict[int, str] = field(default_factory=dict)  # what auxiliary atoms stand for

    def clauses_by_head(self) -> dict[int, list[GroundClause]]:
        by_head: dict[int, list[GroundClause]] = defaultdict(list)
        for clause in self.clauses:
            by_head[clause.head].append(clause)
        return by_head


def parse_ground(text: str) -> GroundProgram | GroundError:
    """Read the grounder's text (see ``prolog/nesy_ground.pl``)."""
    if text.startswith("x "):
        kind, offset, clause, message = text[2:].split(" ", 3)
        return GroundError(kind, int(offset), int(clause), message)
    program = GroundProgram()
    clauses = program.clauses
    for line in text.splitlines():
        tag = line[:1]
        if tag == "c":
            numbers = [int(n) for n in line[2:].split()]
            clauses.append(GroundClause(numbers[0], numbers[1], numbers[2], tuple(numbers[4:]),
                                        numbers[3]))
        elif tag == "a":
            ident, atom = line[2:].split(" ", 1)
            program.atoms[int(ident)] = atom
        elif tag == "t":
            program.true_atoms.add(int(line[2:]))
        elif tag == "q":
            index, ident = line[2:].split()
            program.queries[int(index)].append(int(ident))
        elif tag == "e":
            index, ident, value = line[2:].split()
            program.evidence[int(index)] = (int(ident), value == "1")
        elif tag == "v":
            choice, clause = line[2:].split()
            program.choice_clause[int(choice)] = int(clause)
        elif tag == "p":
            choice, head, probability = line[2:].split()
            program.flexible[(int(choice), int(head))] = float(probability)
        elif tag == "n":
            choice, rest = line[2:].split(" ", 1)
            net, *inputs = rest.split("\t")
            program.neural[int(choice)] = net
            program.neural_inputs[int(choice)] = tuple(inputs)
        elif tag == "g":
            ident, goal = line[2:].split(" ", 1)
            program.goals[int(ident)] = goal
    return program
