"""A brute-force oracle for explanations of positive ground programs.

Independent of the engine: a :class:`PositiveProgram` is a set of independent
probabilistic facts, certain facts and ground definite rules. It writes itself as
ProbLog text, decides entailment by forward chaining, enumerates every world to get
a query's probability, and enumerates every set of probabilistic facts to get the
minimal supports of a query (the sets ``S`` such that ``S`` alone, every other
probabilistic fact false, entails the query, and no proper subset does). The most
probable proof of a query is its most probable minimal support.

Two seeded generators make small programs: :func:`random_graph` (probabilistic edges
and the recursive, cyclic ``path/2``) and :func:`random_positive` (random rules over
propositional atoms, with cycles and certain helper facts).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["PositiveProgram", "Support", "random_graph", "random_positive"]


@dataclass(frozen=True)
class Support:
    """A minimal set of probabilistic facts that entails the query, with its probability."""

    probability: float
    facts: frozenset[str]


@dataclass
class PositiveProgram:
    """Probabilistic facts, certain facts and ground definite rules ``head :- body``.

    ``clauses`` is the program as ProbLog text clauses (possibly with variables);
    ``rules`` is its ground form for the oracle. Both must say the same thing.
    """

    facts: dict[str, float]
    certain: set[str]
    rules: list[tuple[str, tuple[str, ...]]]
    clauses: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{p}::{atom}." for atom, p in self.facts.items()]
        lines += [f"{atom}." for atom in sorted(self.certain)]
        lines += self.clauses or [
            f"{head} :- {', '.join(body)}." if body else f"{head}."
            for head, body in self.rules
        ]
        return "\n".join(lines) + "\n"

    def consequences(self, true_facts: Iterable[str]) -> set[str]:
        """Every atom derived from ``true_facts`` and the certain facts (forward chaining)."""
        derived = set(true_facts) | self.certain
        changed = True
        while changed:
            changed = False
            for head, body in self.rules:
                if head not in derived and all(atom in derived for atom in body):
                    derived.add(head)
                    changed = True
        return derived

    def entails(self, true_facts: Iterable[str], query: str) -> bool:
        return query in self.consequences(true_facts)

    def probability(self, query: str) -> float:
        """P(query), summing over every world."""
        names = list(self.facts)
        total = 0.0
        for values in itertools.product((False, True), repeat=len(names)):
            true = [name for name, value in zip(names, values, strict=True) if value]
            if self.entails(true, query):
                total += math.prod(self.facts[n] if v else 1.0 - self.facts[n]
                                   for n, v in zip(names, values, strict=True))
        return total

    def minimal_supports(self, query: str) -> list[Support]:
        """Every minimal support of ``query``, most probable first."""
        names = list(self.facts)
        supports: list[frozenset[str]] = []
        for size in range(len(names) + 1):  # by size, so a superset comes after its subsets
            for subset in itertools.combinations(names, size):
                chosen = frozenset(subset)
                if any(s <= chosen for s in supports):
                    continue
                if self.entails(chosen, query):
                    supports.append(chosen)
        found = [Support(math.prod(self.facts[n] for n in s), s) for s in supports]
        return sorted(found, key=lambda s: -s.probability)


def _probability(rng: random.Random) -> float:
    return rng.choice([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.25, 0.75, 0.95])


def random_graph(seed: int, acyclic: bool = False) -> tuple[PositiveProgram, list[str]]:
    """Probabilistic edges on 3..5 nodes and ``path/2``; returns the program and queries.

    ``path`` goes through the certain helper ``node/1``. The graph has cycles and
    self-loops unless ``acyclic`` (edges then go from lower to higher node numbers).
    Every edge is probabilistic. In an acyclic graph a proof is a simple path, exactly
    a minimal support; with cycles a proof may also be a walk that comes back to its
    goal's node (``path(a,b)`` through ``path(b,b)``), whose edges are not minimal.
    """
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(rng.randint(3, 5))]
    pairs = [(a, b) for a in nodes for b in nodes]
    candidates = [(a, b) for a, b in pairs if a < b] if acyclic else pairs
    edges = sorted(rng.sample(candidates, rng.randint(min(3, len(candidates)),
                                                      min(len(candidates), 9))))
    facts = {f"edge({a},{b})": _probability(rng) for a, b in edges}
    certain = {f"node({n})" for n in nodes}
    rules: list[tuple[str, tuple[str, ...]]] = []
    for x, y in pairs:
        rules.append((f"path({x},{y})", (f"edge({x},{y})",)))
        for z in nodes:
            rules.append((f"path({x},{y})", (f"edge({x},{z})", f"node({z})", f"path({z},{y})")))
    clauses = ["path(X,Y) :- edge(X,Y).", "path(X,Y) :- edge(X,Z), node(Z), path(Z,Y)."]
    queries = [f"path({a},{b})" for a, b in rng.sample(candidates, 3)]
    return PositiveProgram(facts, certain, rules, clauses), queries


def random_positive(seed: int) -> tuple[PositiveProgram, str]:
    """Random propositional rules over 3..7 probabilistic facts; returns it and a query.

    Atoms ``a0..`` are defined by one to three rules whose bodies mix probabilistic
    facts ``f0..``, certain facts ``d0, d1`` and other ``a`` atoms (cycles included).
    """
    rng = random.Random(seed)
    facts = {f"f{i}": _probability(rng) for i in range(rng.randint(3, 7))}
    certain = {"d0", "d1"}
    derived = [f"a{i}" for i in range(rng.randint(3, 5))]
    pool = [*facts, *sorted(certain), *derived]
    rules: list[tuple[str, tuple[str, ...]]] = []
    for head in derived:
        for _ in range(rng.randint(1, 3)):
            body = tuple(dict.fromkeys(rng.sample(pool, rng.randint(1, 3))))
            rules.append((head, body))
    # make the query derivable in some world: a0 from a fact alone
    rules.append(("a0", (rng.choice(list(facts)), rng.choice(list(facts)))))
    return PositiveProgram(facts, certain, rules), "a0"
