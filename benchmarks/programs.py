"""Deterministic ProbLog benchmark programs for comparing ``nesy`` with ``problog``.

Every program is described by a :class:`BenchProgram`: its probabilistic declarations
(independent probabilistic facts and annotated disjunctions, all ground) and the rest of the
program text (deterministic facts, rules, evidence and queries). Keeping the probabilistic part
separate lets the benchmark re-render the same program with new probabilities, which is how the
re-evaluation ("cached") measurements are checked against a cold run.

All generators use fixed seeds, so the program texts are identical from run to run.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

GRID_SIZES: tuple[int, ...] = (4, 5, 6, 7, 8)
GRAPH_SIZES: tuple[int, ...] = (10, 20, 40, 80)
SMOKERS_SIZES: tuple[int, ...] = (10, 30)
DICE_COUNTS: tuple[int, ...] = (2, 3, 4)

PATH_RULES = "path(X,Y) :- edge(X,Y).\npath(X,Y) :- edge(X,Z), path(Z,Y).\n"


@dataclass(frozen=True)
class ProbDecl:
    """A ground probabilistic declaration.

    One head is a probabilistic fact ``p::h.``; several heads form an annotated disjunction
    ``p1::h1; p2::h2; ... .``. ``defaults`` holds the probabilities as they are written in the
    default program text (for example ``"0.7"`` or ``"1/6"``).
    """

    heads: tuple[str, ...]
    defaults: tuple[str, ...]

    @property
    def is_ad(self) -> bool:
        """Whether this declaration is an annotated disjunction."""
        return len(self.heads) > 1

    def render(self, probs: Mapping[str, float] | None = None) -> str:
        """Render the declaration, with ``probs`` overriding the default probabilities."""
        parts = []
        for head, default in zip(self.heads, self.defaults, strict=True):
            label = default if probs is None or head not in probs else repr(float(probs[head]))
            parts.append(f"{label}::{head}")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class BenchProgram:
    """A benchmark program: probabilistic declarations plus the remaining program text."""

    name: str
    family: str
    decls: tuple[ProbDecl, ...]
    body: str

    def text(self, probs: Mapping[str, float] | None = None) -> str:
        """The ProbLog program text, optionally with new probabilities for some heads."""
        lines = [decl.render(probs) for decl in self.decls]
        return "\n".join(lines) + "\n" + self.body

    @property
    def fact_heads(self) -> tuple[str, ...]:
        """All probabilistic heads (facts and annotated-disjunction heads), in text order."""
        return tuple(head for decl in self.decls for head in decl.heads)

    def random_probs(self, seed: int) -> dict[str, float]:
        """New probabilities for every head, reproducible from ``seed``.

        Independent facts get a value in [0.1, 0.9]; the heads of an annotated disjunction get
        positive values that sum to one.
        """
        rng = random.Random(seed)
        probs: dict[str, float] = {}
        for decl in self.decls:
            if decl.is_ad:
                raw = [rng.uniform(0.2, 1.0) for _ in decl.heads]
                total = sum(raw)
                for head, value in zip(decl.heads, raw, strict=True):
                    probs[head] = value / total
            else:
                probs[decl.heads[0]] = rng.uniform(0.1, 0.9)
        return probs


def stable_seed(*parts: object) -> int:
    """A seed derived from ``parts`` that does not depend on Python's hash randomisation."""
    return zlib.crc32(repr(parts).encode("utf-8"))


def _fact(head: str, prob: float | str) -> ProbDecl:
    """A probabilistic fact declaration."""
    label = prob if isinstance(prob, str) else repr(prob)
    return ProbDecl((head,), (label,))


def _queries(atoms: Iterable[str]) -> str:
    """``query/1`` lines for the given atoms."""
    return "".join(f"query({atom}).\n" for atom in atoms)


# --------------------------------------------------------------------------------------------
# Grids
# --------------------------------------------------------------------------------------------


def grid(n: int, seed: int = 1) -> BenchProgram:
    """Reachability from the top-left to the bottom-right corner of an ``n`` x ``n`` grid.

    Edges go right and down; each probability is drawn from [0.3, 0.9] (two decimals).
    """
    rng = random.Random(stable_seed("grid", n, seed))
    decls: list[ProbDecl] = []
    for row in range(n):
        for col in range(n):
            if col + 1 < n:
                prob = round(rng.uniform(0.3, 0.9), 2)
                decls.append(_fact(f"edge(v{row}_{col},v{row}_{col + 1})", prob))
            if row + 1 < n:
                prob = round(rng.uniform(0.3, 0.9), 2)
                decls.append(_fact(f"edge(v{row}_{col},v{row + 1}_{col})", prob))
    body = PATH_RULES + _queries([f"path(v0_0,v{n - 1}_{n - 1})"])
    return BenchProgram(f"grid_{n}x{n}", "grid", tuple(decls), body)


# --------------------------------------------------------------------------------------------
# Random directed graphs with cycles
# --------------------------------------------------------------------------------------------


def _reachable(adjacency: Mapping[int, Sequence[int]], source: int) -> set[int]:
    """Nodes reachable from ``source`` (including it)."""
    seen = {source}
    stack = [source]
    while stack:
        node = stack.pop()
        for succ in adjacency.get(node, ()):
            if succ not in seen:
                seen.add(succ)
                stack.append(succ)
    return seen


def _has_cycle(adjacency: Mapping[int, Sequence[int]]) -> bool:
    """Whether the directed graph contains a cycle."""
    return any(
        node in _reachable(adjacency, succ) for node in adjacency for succ in adjacency[node]
    )


def _random_edges(nodes: int, out_degree: int, rng: random.Random) -> dict[int, list[int]]:
    """Each node gets ``out_degree`` distinct random successors other than itself."""
    adjacency: dict[int, list[int]] = {}
    for node in range(nodes):
        candidates = [other for other in range(nodes) if other != node]
        adjacency[node] = sorted(rng.sample(candidates, out_degree))
    return adjacency


def random_graph(nodes: int, seed: int = 1, out_degree: int = 2) -> BenchProgram:
    """``path(n0, n<last>)`` on a seeded random directed graph with cycles.

    Every node has ``out_degree`` successors; probabilities are drawn from [0.1, 0.9]. The seed
    is advanced until the target is reachable from ``n0`` and the graph has a cycle.
    """
    attempt = 0
    while True:
        rng = random.Random(stable_seed("graph", nodes, seed, attempt))
        adjacency = _random_edges(nodes, out_degree, rng)
        if nodes - 1 in _reachable(adjacency, 0) and _has_cycle(adjacency):
            break
        attempt += 1
    decls = [
        _fact(f"edge(n{src},n{dst})", round(rng.uniform(0.1, 0.9), 2))
        for src in range(nodes)
        for dst in adjacency[src]
    ]
    body = PATH_RULES + _queries([f"path(n0,n{nodes - 1})"])
    return BenchProgram(f"graph_{nodes}", "graph", tuple(decls), body)


# --------------------------------------------------------------------------------------------
# Alarm network
# --------------------------------------------------------------------------------------------

ALARM_BODY = """person(john).
person(mary).
alarm :- burglary, earthquake, p_alarm1.
alarm :- burglary, \\+earthquake, p_alarm2.
alarm :- \\+burglary, earthquake, p_alarm3.
calls(X) :- person(X), alarm, hears_alarm(X).
calls(X) :- person(X), \\+alarm, calls_anyway(X).
evidence(calls(john),true).
evidence(calls(mary),true).
query(burglary).
query(earthquake).
query(alarm).
"""


def alarm() -> BenchProgram:
    """The classic burglary/earthquake alarm network with john and mary calling (evidence)."""
    decls = (
        _fact("burglary", 0.7),
        _fact("earthquake", 0.2),
        _fact("p_alarm1", 0.9),
        _fact("p_alarm2", 0.8),
        _fact("p_alarm3", 0.1),
        _fact("hears_alarm(john)", 0.8),
        _fact("hears_alarm(mary)", 0.8),
        _fact("calls_anyway(john)", 0.1),
        _fact("calls_anyway(mary)", 0.1),
    )
    return BenchProgram("alarm", "alarm", decls, ALARM_BODY)


# --------------------------------------------------------------------------------------------
# Smokers and friends
# --------------------------------------------------------------------------------------------

SMOKERS_RULES = """smokes(X) :- stress(X).
smokes(X) :- friend(X,Y), influences(Y,X), smokes(Y).
asthma(X) :- smokes(X), asthma_risk(X).
"""


def _friendships(people: int, rng: random.Random) -> list[tuple[int, int]]:
    """Directed friendships: every person gets two or three distinct friends."""
    pairs: list[tuple[int, int]] = []
    for person in range(1, people + 1):
        others = [other for other in range(1, people + 1) if other != person]
        for friend in sorted(rng.sample(others, rng.choice((2, 3)))):
            pairs.append((person, friend))
    return pairs


def smokers(people: int, seed: int = 1) -> BenchProgram:
    """Smokers and friends on ``people`` people with a seeded friendship graph.

    ``stress/1``, ``influences/2`` and ``asthma_risk/1`` are ground probabilistic facts
    (0.3, 0.2 and 0.4); ``p1`` is observed to smoke and ``p4`` to have no asthma.
    """
    rng = random.Random(stable_seed("smokers", people, seed))
    pairs = _friendships(people, rng)
    decls: list[ProbDecl] = []
    decls.extend(_fact(f"stress(p{p})", 0.3) for p in range(1, people + 1))
    decls.extend(_fact(f"influences(p{b},p{a})", 0.2) for a, b in pairs)
    decls.extend(_fact(f"asthma_risk(p{p})", 0.4) for p in range(1, people + 1))
    friends = "".join(f"friend(p{a},p{b}).\n" for a, b in pairs)
    targets = (2, 3, 5, 7) if people <= 10 else (2, 10, 20, 30)
    evidence = "evidence(smokes(p1),true).\nevidence(asthma(p4),false).\n"
    body = friends + SMOKERS_RULES + evidence + _queries(f"smokes(p{t})" for t in targets)
    return BenchProgram(f"smokers_{people}", "smokers", tuple(decls), body)


# --------------------------------------------------------------------------------------------
# Dice
# --------------------------------------------------------------------------------------------


def dice(count: int) -> BenchProgram:
    """``count`` fair dice as ground annotated disjunctions, with queries on their sum.

    Two and three dice query the whole distribution of the sum; four dice query ``sum(14)``.
    """
    decls = tuple(
        ProbDecl(tuple(f"die({d},{v})" for v in range(1, 7)), ("1/6",) * 6)
        for d in range(1, count + 1)
    )
    values = ", ".join(f"die({d},V{d})" for d in range(1, count + 1))
    total = "+".join(f"V{d}" for d in range(1, count + 1))
    rule = f"sum(S) :- {values}, S is {total}.\n"
    sums = range(count, 6 * count + 1) if count <= 3 else (14,)
    return BenchProgram(f"dice_{count}", "dice", decls, rule + _queries(f"sum({s})" for s in sums))


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


def all_programs() -> list[BenchProgram]:
    """Every benchmark program, from small to large within each family."""
    programs: list[BenchProgram] = [grid(n) for n in GRID_SIZES]
    programs.extend(random_graph(n) for n in GRAPH_SIZES)
    programs.append(alarm())
    programs.extend(smokers(n) for n in SMOKERS_SIZES)
    programs.extend(dice(n) for n in DICE_COUNTS)
    return programs
