"""Explanations: the most probable proofs of a query, each fact's influence, and why not.

An :class:`Explanation` is data: frozen dataclasses with ``to_dict()`` and
``to_networkx()``. Renderers (text, graphviz) live at the edge (``apps``).

Proofs are found by best-first search over the ground program (the same
search ProbLog's k-best inference makes). A partial proof's probability is
the product of the choices it made, which can only fall as the proof grows,
so proofs come out most probable first. A proof makes one choice per
annotated-disjunction instance and derives each atom by one clause, without
cycles; a negated goal is a leaf worth the probability that the goal fails.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from nesy.errors import InconsistentEvidenceError

from ._compile import Compiled, Parameter
from ._ground import GroundClause, GroundProgram
from ._rules import Rule

if TYPE_CHECKING:
    import networkx

__all__ = [
    "Explanation",
    "Fact",
    "Influence",
    "Obstacle",
    "Proof",
    "Source",
    "Step",
    "WhyNot",
]

# P(evidence) at or below this is 0: what is left of an exact 0 after rounding.
IMPOSSIBLE = 1e-15
# Search states popped before the proof search gives up (the explanation then says so).
SEARCH_BUDGET = 200_000
# How many sub-goals a why-not lists as the weakest, and how deep it follows them.
WHY_NOT_SIZE = 5
WHY_NOT_DEPTH = 2
# A sub-goal at least this probable costs the query nothing: it is not among the weakest.
CERTAIN = 1.0 - 1e-12
# The separators of the facts' text (records, then fields), as ``FactTable`` writes it.
RECORD, FIELD = "\x1e", "\x1f"


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: its provenance.

    ``kind`` is ``"program"`` (a fact of the rule file), ``"rule"`` (the
    probability of a probabilistic rule itself), ``"neural"``, ``"knowledge"``
    or ``"case"``; ``rule`` is the id of the clause that states it and
    ``details`` what the kind adds (a model and class, a triple, a case field).
    """

    kind: str
    rule: str | None = None
    location: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "location": self.location,
                **dict(self.details)}


@dataclass(frozen=True)
class Fact:
    """A leaf of a proof: a fact taken as true, with its probability and source.

    A ``negated`` leaf records that the goal ``atom`` failed; ``probability`` is
    then the probability that it fails.
    """

    atom: str
    probability: float
    source: Source
    negated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": "fact", "fact": self.atom, "probability": self.probability,
                "negated": self.negated, "source": self.source.to_dict()}


@dataclass(frozen=True)
class Step:
    """An inner node of a proof: ``rule`` applied to derive the ground ``atom``."""

    atom: str
    rule: Rule
    children: tuple[Node, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "rule", "atom": self.atom, "rule": _rule_dict(self.rule),
                "children": [child.to_dict() for child in self.children]}


Node = Union[Step, Fact]  # noqa: UP007 (a runtime alias used in annotations above)


@dataclass(frozen=True)
class Proof:
    """One proof of the query: a tree of rule applications down to facts.

    ``probability`` is the product of its leaves' probabilities (each
    probabilistic choice counted once).
    """

    probability: float
    root: Node

    def leaves(self) -> tuple[Fact, ...]:
        """The facts the proof rests on, each once, in tree order."""
        seen: dict[tuple[str, bool, str], Fact] = {}
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Fact):
                seen.setdefault((node.atom, node.negated, node.source.kind), node)
            else:
                stack.extend(reversed(node.children))
        return tuple(seen.values())

    def to_dict(self) -> dict[str, Any]:
        return {"probability": self.probability, "tree": self.root.to_dict(),
                "leaves": [leaf.to_dict() for leaf in self.leaves()]}


@dataclass(frozen=True)
class Influence:
    """How much the query's probability moves with a fact's: dP(query)/dp(fact)."""

    fact: str
    value: float
    probability: float
    source: Source

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "value": self.value, "probability": self.probability,
                "source": self.source.to_dict()}


@dataclass(frozen=True)
class Obstacle:
    """A sub-goal between a query and truth, with the rule whose body holds it.

    ``probability`` is 0.0 for a goal that failed outright.
    """

    goal: str
    probability: float
    rule: Rule | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"goal": self.goal, "probability": self.probability,
                "rule": _rule_dict(self.rule) if self.rule else None, "reason": self.reason}


@dataclass(frozen=True)
class WhyNot:
    """Why a query is false or improbable.

    ``failed`` lists the sub-goals at which a rule for the query fails in every
    world (the worlds of the program and of the call's external facts: a fact
    given with probability 0 is in none); ``weakest`` the sub-goals that cost
    the most probability, least probable first (a certain sub-goal costs none).
    """

    query: str
    probability: float
    failed: tuple[Obstacle, ...]
    weakest: tuple[Obstacle, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "probability": self.probability,
                "failed": [o.to_dict() for o in self.failed],
                "weakest": [o.to_dict() for o in self.weakest]}


@dataclass(frozen=True)
class Explanation:
    """A query's probability with its reasons.

    ``proofs`` are the most probable proofs, best first; ``influence`` ranks
    every probabilistic fact by ``|dP/dp|``; ``why_not`` is given when the
    query's probability is below 0.5. ``complete`` is False when the proof
    search stopped at its budget (the proofs found are still proofs, in order).
    """

    query: str
    probability: float
    evidence: tuple[tuple[str, bool], ...]
    proofs: tuple[Proof, ...]
    influence: tuple[Influence, ...]
    why_not: WhyNot | None
    complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the schema is documented in the README."""
        return {
            "query": self.query,
            "probability": self.probability,
            "evidence": {atom: value for atom, value in self.evidence},
            "proofs": [proof.to_dict() for proof in self.proofs],
            "influence": [item.to_dict() for item in self.influence],
            "why_not": self.why_not.to_dict() if self.why_not else None,
            "complete": self.complete,
        }

    def to_networkx(self) -> networkx.DiGraph:
        """The proofs as one DiGraph: query -> proof i -> rule applications -> facts.

        Node ids are paths (``"query"``, ``"p1"``, ``"p1.0"``, ...); every node has
        ``kind`` ("query", "proof", "rule" or "fact") and ``label`` attributes.
        """
        import networkx as nx

        graph = nx.DiGraph(query=self.query, probability=self.probability)
        graph.add_node("query", kind="query", label=self.query, probability=self.probability)
        for number, proof in enumerate(self.proofs, start=1):
            name = f"p{number}"
            graph.add_node(name, kind="proof", label=f"proof {number}",
                           probability=proof.probability)
            graph.add_edge("query", name)
            stack: list[tuple[str, str, Node]] = [(name, f"{name}.0", proof.root)]
            while stack:
                parent, node_id, node = stack.pop()
                if isinstance(node, Fact):
                    graph.add_node(node_id, kind="fact",
                                   label=("\\+ " if node.negated else "") + node.atom,
                                   atom=node.atom, probability=node.probability,
                                   negated=node.negated, source=node.source.kind,
                                   rule=node.source.rule)
                else:
                    graph.add_node(node_id, kind="rule", label=node.atom, atom=node.atom,
                                   rule=node.rule.id, text=node.rule.text,
                                   guideline=node.rule.source)
                    for i, child in enumerate(node.children):
                        stack.append((node_id, f"{node_id}.{i}", child))
                graph.add_edge(parent, node_id)
        return graph


def _rule_dict(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "text": rule.text, "source": rule.source,
            "location": str(rule.location)}


# ---------------------------------------------------------------------- building


class Explainer:
    """The explanation of one query against one ground program, for any probabilities.

    Built once per query and evidence (grounding and compiling are cached);
    :meth:`explain` then only evaluates, searches and differentiates.
    """

    def __init__(
        self,
        query_atom: int | None,
        query_text: str,
        ground: GroundProgram,
        compiled: Compiled,
        parameter_vector: Callable[[Mapping[Any, float] | None], np.ndarray],
        rules: Mapping[int, Rule],
        clause_kinds: Mapping[int, str],
        why_not_walk: Callable[[str, str], str],
        evidence: tuple[tuple[str, bool], ...],
    ) -> None:
        self.query_atom = query_atom
        self.query_text = query_text
        self.ground = ground
        self.compiled = compiled
        self._parameter_vector = parameter_vector
        self.rules = rules
        self.clause_kinds = clause_kinds
        self._why_not_walk = why_not_walk
        # the facts' text it saw last, their possible facts, the walk's text
        self._walk: tuple[str, tuple[str, ...], str] | None = None
        self.evidence = evidence
        self.by_head = ground.clauses_by_head()
        self.support = _deterministic_support(ground.true_atoms, self.by_head)
        self.parameter_index = {(p.choice, p.head): i
                                for i, p in enumerate(compiled.parameters)}
        self.parameter_names = frozenset(p.name for p in compiled.parameters)
        query_outputs = [i + 1 for i, name in enumerate(compiled.answers)
                         if name == ground.atoms.get(query_atom or -1)]
        self.query_output = query_outputs[0] if query_outputs else None

    # -- the pieces -------------------------------------------------------------

    def explain(self, weights: Mapping[Any, float] | None, k: int,
                facts: str = "") -> Explanation:
        """Everything, for these probabilities; ``facts`` as in :meth:`why_not`."""
        vector, values, probability = self._evaluate(weights)
        proofs, complete = self._proofs(vector, k)
        influence = self._influence(vector, values)
        why_not = (self._why_not(probability, values, vector, facts) if probability < 0.5
                   else None)
        return Explanation(self.query_text, probability, self.evidence, tuple(proofs),
                           influence, why_not, complete)

    def why_not(self, weights: Mapping[Any, float] | None, facts: str = "") -> WhyNot:
        """The why-not part alone, whatever the probability.

        ``facts`` are the call's facts of external predicates as the grounder reads
        them (``FactTable.text``); ``weights`` already hold their probabilities.
        """
        vector, values, probability = self._evaluate(weights)
        return self._why_not(probability, values, vector, facts)

    def _evaluate(self, weights: Mapping[Any, float] | None) -> tuple[np.ndarray, np.ndarray,
                                                                       float]:
        """The parameters, the circuit's outputs and P(query | evidence)."""
        vector = self._parameter_vector(weights)
        values = self.compiled.circuit.evaluate(vector)
        evidence_probability = evidence_of(values)
        probability = 0.0
        if self.query_output is not None:
            probability = min(1.0, float(values[self.query_output]) / evidence_probability)
        return vector, values, probability

    def _proofs(self, vector: np.ndarray, k: int) -> tuple[list[Proof], bool]:
        if self.query_atom is None or k <= 0:
            return [], True
        found, complete = _ProofSearch(self, vector).run(self.query_atom, k)
        proofs = [Proof(state.probability,
                        self._tree(self.query_atom, state.decided, state.negs, vector))
                  for state in found]
        return proofs, complete

    def _influence(self, vector: np.ndarray, values: np.ndarray) -> tuple[Influence, ...]:
        if self.query_output is None or not len(vector):
            return ()
        gradient = self._gradient(vector, values)
        items = [Influence(parameter.name, float(gradient[i]), float(vector[i]),
                           self._parameter_source(parameter))
                 for i, parameter in enumerate(self.compiled.parameters)]
        items.sort(key=lambda item: (-abs(item.value), item.fact))
        return tuple(items)

    def _gradient(self, vector: np.ndarray, values: np.ndarray) -> np.ndarray:
        """dP(query | evidence)/dp for every parameter: one reverse pass over the circuit.

        With P = A / E (query and evidence outputs), dP = (dA - P dE) / E; ``values``
        are the circuit's outputs for ``vector``.
        """
        assert self.query_output is not None
        circuit = self.compiled.circuit
        evidence = float(values[0])
        adjoints = np.zeros(len(circuit.outputs))
        adjoints[self.query_output] += 1.0 / evidence
        adjoints[0] -= float(values[self.query_output]) / (evidence * evidence)
        return circuit.gradient(vector, adjoints)

    def _why_not(self, probability: float, values: np.ndarray,
                 vector: np.ndarray, facts: str) -> WhyNot:
        failed: list[Obstacle] = []
        walk = self._walk_text(facts)
        for line in walk.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "f":
                clause, goal = rest.split(" ", 1)
                failed.append(Obstacle(goal, 0.0, self.rules.get(int(clause)),
                                       "fails in every world"))
            elif tag == "x":
                clause, message = rest.split(" ", 1)
                failed.append(Obstacle(self.query_text, 0.0, self.rules.get(int(clause)),
                                       f"the rule cannot be tried: {message}"))
        if not walk.strip():
            failed.append(Obstacle(self.query_text, 0.0, None, "no rule concludes it"))
        weakest = self._weakest(values, vector) if self.query_atom is not None else []
        return WhyNot(self.query_text, probability, tuple(failed), tuple(weakest))

    def _walk_text(self, facts: str) -> str:
        """The Prolog walk of the query's rules, over the facts that are possible.

        It depends on which facts hold in some world, not on their probabilities,
        so it is kept for the next call with the same possible facts (the same text
        is not even read again: facts that come with every call).
        """
        cached = self._walk
        if cached is not None and cached[0] == facts:
            return cached[2]
        atoms, records = _possible_facts(facts)
        if cached is not None and cached[1] == atoms:
            text = cached[2]
        else:
            text = self._why_not_walk(self.query_text, records)
        self._walk = (facts, atoms, text)
        return text

    def _weakest(self, values: np.ndarray, vector: np.ndarray) -> list[Obstacle]:
        """The least probable sub-goals of the query's rules, following the weakest down."""
        evidence = float(values[0])

        def marginal(atom: int) -> float:
            if atom in self.ground.true_atoms:
                return 1.0
            output = self.compiled.atom_outputs.get(atom)
            return 0.0 if output is None else min(1.0, float(values[output]) / evidence)

        found: dict[str, Obstacle] = {}
        frontier: list[int] = [] if self.query_atom is None else [self.query_atom]
        seen: set[int] = set()
        for _ in range(WHY_NOT_DEPTH):
            next_frontier: list[int] = []
            for atom in frontier:
                if atom in seen:
                    continue
                seen.add(atom)
                weakest_here: tuple[float, int] | None = None
                for clause in self.by_head.get(atom, ()):
                    rule = self.rules.get(clause.clause)
                    if clause.choice:
                        index = self.parameter_index.get((clause.choice, clause.index))
                        if index is not None and (clause.literals or
                                                  self.clause_kinds.get(clause.clause) == "rule"):
                            name = f"{self.ground.atoms[clause.head]} (rule probability)"
                            _keep(found, Obstacle(name, float(vector[index]), rule,
                                                  "the rule's own probability"))
                        elif index is not None:
                            given = self.clause_kinds.get(clause.clause) == "external"
                            _keep(found, Obstacle(self.ground.atoms[clause.head],
                                                  float(vector[index]), rule,
                                                  "a fact given with the query" if given
                                                  else "a probabilistic fact"))
                    for literal in clause.literals:
                        target = abs(literal)
                        if target in self.ground.true_atoms:
                            continue
                        p = marginal(target)
                        goal = self._atom_text(target)
                        if literal < 0:
                            p, goal = 1.0 - p, f"\\+ {goal}"
                        _keep(found, Obstacle(goal, p, rule, "a sub-goal of the rule"))
                        if literal > 0 and (weakest_here is None or p < weakest_here[0]):
                            weakest_here = (p, target)
                if weakest_here is not None:
                    next_frontier.append(weakest_here[1])
            frontier = next_frontier
        costly = [o for o in found.values() if o.probability < CERTAIN]
        return sorted(costly, key=lambda o: (o.probability, o.goal))[:WHY_NOT_SIZE]

    # -- trees ------------------------------------------------------------------

    def _atom_text(self, atom: int) -> str:
        goal = self.ground.goals.get(atom)
        return f"({goal})" if goal is not None else self.ground.atoms[atom]

    def _parameter_source(self, parameter: Parameter) -> Source:
        rule = self.rules.get(parameter.clause)
        if parameter.net is not None:
            return Source("neural", rule.id if rule else None,
                          str(rule.location) if rule else None, {"model": parameter.net})
        kind = {"fact": "program", "external": "external"}.get(
            self.clause_kinds.get(parameter.clause, ""), "rule")
        return Source(kind, rule.id if rule else None, str(rule.location) if rule else None)

    def _tree(self, atom: int, decided: Mapping[int, GroundClause | None],
              negs: Mapping[int, float], vector: np.ndarray) -> Node:
        clause = decided.get(atom)
        if clause is None:
            return self._deterministic_tree(atom, {})
        rule = self.rules[clause.clause]
        children: list[Node] = []
        if clause.choice:
            parameter = self.compiled.parameters[self.parameter_index[(clause.choice,
                                                                        clause.index)]]
            leaf = Fact(self.ground.atoms[atom], float(vector[self.parameter_index[
                (clause.choice, clause.index)]]), self._parameter_source(parameter))
            if self.clause_kinds.get(clause.clause) in ("fact", "external") \
                    and not clause.literals:
                return leaf
            children.append(leaf)
        elif self.clause_kinds.get(clause.clause) == "fact" and not clause.literals:
            return self._program_fact(atom, clause)
        for literal in clause.literals:
            if literal > 0:
                children.append(self._tree(literal, decided, negs, vector))
            else:
                children.append(self._negated(-literal, negs[-literal], clause))
        return Step(self.ground.atoms[atom], rule, tuple(children))

    def _negated(self, atom: int, fails: float, clause: GroundClause) -> Fact:
        rule = self.rules.get(clause.clause)
        return Fact(self._atom_text(atom), fails,
                    Source("rule", rule.id if rule else None,
                           str(rule.location) if rule else None), negated=True)

    def _program_fact(self, atom: int, clause: GroundClause) -> Fact:
        rule = self.rules.get(clause.clause)
        return Fact(self.ground.atoms[atom], 1.0,
                    Source("program", rule.id if rule else None,
                           str(rule.location) if rule else None))

    def _deterministic_tree(self, atom: int, memo: dict[int, Node]) -> Node:
        if atom in memo:
            return memo[atom]
        clause = self.support.get(atom)
        if clause is None:
            node: Node = Fact(self.ground.atoms[atom], 1.0, Source("program"))
        elif self.clause_kinds.get(clause.clause) == "fact" and not clause.literals:
            node = self._program_fact(atom, clause)
        else:
            node = Step(self.ground.atoms[atom], self.rules[clause.clause],
                        tuple(self._deterministic_tree(lit, memo) for lit in clause.literals))
        memo[atom] = node
        return node


def why_not_atoms(ground: GroundProgram, query_atom: int | None) -> list[int]:
    """The atoms whose probabilities a why-not may show: sub-goals near the query.

    Those within :data:`WHY_NOT_DEPTH` rule applications of the query; the
    circuit gets an output for each, so their number is kept small.
    """
    if query_atom is None:
        return []
    by_head = ground.clauses_by_head()
    found = [query_atom]
    seen = {query_atom}
    frontier = [query_atom]
    for _ in range(WHY_NOT_DEPTH):
        next_frontier = []
        for atom in frontier:
            for clause in by_head.get(atom, ()):
                for literal in clause.literals:
                    target = abs(literal)
                    if target not in seen and target not in ground.true_atoms:
                        seen.add(target)
                        found.append(target)
                        next_frontier.append(target)
        frontier = next_frontier
    return found


def _possible_facts(facts: str) -> tuple[tuple[str, ...], str]:
    """The records of ``facts`` whose probability is above 0 (the facts of some world).

    A record is the fact's fields then its probability, the last field. Returns
    the facts without their probabilities, sorted, and their records.
    """
    kept: dict[str, str] = {}
    for record in facts.split(RECORD) if facts else ():
        atom, _, probability = record.rpartition(FIELD)
        if atom and float(probability) > 0.0:
            kept[atom] = record
    atoms = tuple(sorted(kept))
    return atoms, RECORD.join(kept[atom] for atom in atoms)


def evidence_of(values: np.ndarray) -> float:
    """P(evidence): output 0 of a compiled circuit; inconsistent evidence is an error."""
    evidence = float(values[0])
    if evidence <= IMPOSSIBLE:
        raise InconsistentEvidenceError("the evidence is inconsistent (its probability is 0)")
    return evidence


def _keep(found: dict[str, Obstacle], obstacle: Obstacle) -> None:
    old = found.get(obstacle.goal)
    if old is None or obstacle.probability < old.probability:
        found[obstacle.goal] = obstacle


def _deterministic_support(true_atoms: set[int],
                           by_head: Mapping[int, list[GroundClause]]) -> dict[int, GroundClause]:
    """For each deterministic atom, one clause that derives it without a cycle.

    Forward chaining from the clauses with empty bodies: an atom's support is
    the first clause whose body atoms were all derived before it.
    """
    support: dict[int, GroundClause] = {}
    waiting: dict[int, list[tuple[GroundClause, list[int]]]] = {}
    ready: list[GroundClause] = []
    for atom in true_atoms:
        for clause in by_head.get(atom, ()):
            body = {lit for lit in clause.literals if lit > 0}
            if any(lit < 0 for lit in clause.literals):
                continue
            if not body:
                ready.append(clause)
                continue
            counter = [len(body)]
            for lit in body:
                waiting.setdefault(lit, []).append((clause, counter))
    while ready:
        clause = ready.pop()
        if clause.head in support:
            continue
        support[clause.head] = clause
        for waiter, counter in waiting.pop(clause.head, ()):
            counter[0] -= 1
            if counter[0] == 0:
                ready.append(waiter)
    return support


# ------------------------------------------------------------------------ search

_GOAL, _NEGATION, _DONE = 0, 1, 2


@dataclass
class _State:
    probability: float
    chosen: dict[int, int]  # choice -> head
    decided: dict[int, GroundClause | None]  # atom -> clause (None: deterministic)
    negs: dict[int, float]  # negated atom -> probability that it fails
    active: frozenset[int]  # atoms being proved (their DONE marker is on the stack)
    stack: tuple[Any, ...] | None  # (item, rest) cons list of (kind, atom)

    def copy(self) -> _State:
        return _State(self.probability, dict(self.chosen), dict(self.decided), dict(self.negs),
                      self.active, self.stack)


class _ProofSearch:
    """Best-first search for the k most probable proofs.

    A partial proof's priority is the product of its choices, an upper bound
    of every proof that extends it. When a proof is complete, its negated goals
    and the evidence are checked exactly on the circuit, with its choices
    fixed: the proof is dropped if they are impossible, and otherwise queued
    again at its final probability, so proofs still come out in order.
    """

    def __init__(self, explainer: Explainer, vector: np.ndarray) -> None:
        self.by_head = explainer.by_head
        self.true_atoms = explainer.ground.true_atoms
        self.parameter_index = explainer.parameter_index
        self.parameters = explainer.compiled.parameters
        self.circuit = explainer.compiled.circuit
        self.prior_outputs = explainer.compiled.prior_outputs
        self.check_evidence = bool(explainer.ground.evidence)
        self.heads_of_choice: dict[int, list[int]] = {}
        for i, parameter in enumerate(self.parameters):
            self.heads_of_choice.setdefault(parameter.choice, []).append(i)
        self.vector = vector

    def run(self, query: int, k: int) -> tuple[list[_State], bool]:
        counter = itertools.count()
        start = _State(1.0, {}, {}, {}, frozenset(), ((_GOAL, query), None))
        heap: list[tuple[float, int, bool, _State]] = [(-1.0, -next(counter), False, start)]
        found: list[_State] = []
        signatures: set[frozenset[Any]] = set()
        pops = 0
        while heap and len(found) < k:
            pops += 1
            if pops > SEARCH_BUDGET:
                return found, False
            _, _, final, state = heapq.heappop(heap)
            if final:
                signature = self._signature(state)
                if signature not in signatures:
                    signatures.add(signature)
                    found.append(state)
                continue
            children = self._advance(state)
            if children is None:  # complete: check it, queue it at its final probability
                if self._finish(state):
                    heapq.heappush(heap, (-state.probability, -next(counter), True, state))
                continue
            for child in children:
                if child.probability > 0.0:
                    heapq.heappush(heap, (-child.probability, -next(counter), False, child))
        return found, True

    def _signature(self, state: _State) -> frozenset[Any]:
        """What the proof's leaves show: two instances of one rule look the same."""
        choices = {(self.parameters[self.parameter_index[(c, h)]].name,
                    self.parameters[self.parameter_index[(c, h)]].clause)
                   for c, h in state.chosen.items()}
        return frozenset([*choices, *(("not", atom) for atom in state.negs)])

    def _finish(self, state: _State) -> bool:
        """Price the negated goals given the proof's choices; False if the proof is impossible."""
        if not state.negs and not self.check_evidence:
            return True
        vector = self.vector.copy()
        for choice, head in state.chosen.items():
            vector[self.heads_of_choice[choice]] = 0.0
            vector[self.parameter_index[(choice, head)]] = 1.0
        values = self.circuit.evaluate(vector)
        if self.check_evidence and float(values[0]) <= IMPOSSIBLE:
            return False
        for atom in state.negs:
            fails = 1.0 - float(values[self.prior_outputs[atom]])
            if fails <= IMPOSSIBLE:
                return False
            state.negs[atom] = fails
            state.probability *= fails
        return True

    def _advance(self, state: _State) -> list[_State] | None:
        """Resolve goals until one needs a choice of clause; None when the proof is done."""
        while state.stack is not None:
            (kind, atom), state.stack = state.stack
            if kind == _DONE:
                state.active = state.active - {atom}
            elif kind == _NEGATION:
                if atom in state.decided:
                    return []
                state.negs[atom] = 1.0  # priced when the proof is complete
            elif atom in state.active or atom in state.negs:
                return []  # a cycle, or the atom is also negated
            elif atom in state.decided:
                continue
            elif atom in self.true_atoms:
                state.decided[atom] = None
            else:
                return self._branch(state, atom)
        return None

    def _branch(self, state: _State, atom: int) -> list[_State]:
        children = []
        for clause in self.by_head.get(atom, ()):
            probability = state.probability
            if clause.choice:
                head = state.chosen.get(clause.choice)
                if head is not None and head != clause.index:
                    continue
                if head is None:
                    probability *= float(
                        self.vector[self.parameter_index[(clause.choice, clause.index)]])
            if any((lit > 0 and lit in state.negs) or (lit < 0 and -lit in state.decided)
                   for lit in clause.literals):
                continue
            child = state.copy()
            child.probability = probability
            if clause.choice:
                child.chosen[clause.choice] = clause.index
            child.decided[atom] = clause
            child.active = state.active | {atom}
            stack: tuple[Any, ...] | None = ((_DONE, atom), state.stack)
            for literal in reversed(clause.literals):
                item = (_GOAL, literal) if literal > 0 else (_NEGATION, -literal)
                stack = (item, stack)
            child.stack = stack
            children.append(child)
        return children
