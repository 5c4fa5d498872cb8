"""Knowledge compilation: a ground program to a BDD (CUDD, through ``dd``) to a circuit.

Atoms are compiled in dependency order, one strongly connected component at a
time. A component with a cycle (``path`` over a cyclic graph) is the least
fixpoint of its clauses, computed on BDDs: start from false and re-apply the
clauses until no atom's BDD changes. BDDs are canonical, so "no change" is an
identity test, and the fixpoint is reached in at most as many rounds as the
component has atoms. This is exactly the least-model semantics ProbLog gives
cyclic programs, for every possible world at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nesy.errors import InferenceLimitError, ProgramError

from ._circuit import Circuit
from ._ground import GroundClause, GroundProgram

__all__ = ["Compiled", "Parameter", "compile_ground"]


@dataclass(frozen=True)
class Parameter:
    """One probability of a compiled program: head ``head`` of a choice.

    ``name`` is the ground head atom as written (``edge(a,b)``), the key under
    which new probabilities are given; ``default`` is the probability in the
    program (``None`` for a neural predicate, whose probability comes at query time);
    ``net`` and ``inputs`` name a neural predicate's network and the inputs it reads.
    """

    name: str
    choice: int
    clause: int
    head: int
    default: float | None
    net: str | None = None
    inputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "clause": self.clause, "head": self.head,
                "default": self.default, "net": self.net, "inputs": list(self.inputs)}


@dataclass(frozen=True, eq=False)
class Compiled:
    """A circuit with its parameters and named outputs.

    Output 0 is the evidence; output ``i + 1`` is ``answers[i]`` and the evidence.
    Explanations ask for more: output ``atom_outputs[a]`` is atom ``a`` and the
    evidence, ``prior_outputs[a]`` atom ``a`` alone.
    """

    circuit: Circuit
    parameters: tuple[Parameter, ...]
    answers: tuple[str, ...]
    compile_seconds: float
    atom_outputs: dict[int, int] = field(default_factory=dict)
    prior_outputs: dict[int, int] = field(default_factory=dict)


def compile_ground(
    ground: GroundProgram,
    slots: dict[tuple[int, int], float],
    query_indices: Iterable[int],
    deadline: float,
    atoms: Iterable[int] = (),
    prior_atoms: Iterable[int] = (),
) -> Compiled:
    """Compile the ground program for the queries (in order) and all its evidence.

    ``atoms`` and ``prior_atoms`` ask for more outputs: those atoms with and
    without the evidence.
    """
    start = time.monotonic()
    query_atoms: list[int] = []
    for index in query_indices:
        for atom in ground.queries.get(index, []):
            if atom not in query_atoms:
                query_atoms.append(atom)
    evidence = [ground.evidence[i] for i in sorted(ground.evidence)]
    roots = query_atoms + [atom for atom, _ in evidence]

    by_head = ground.clauses_by_head()
    heads_of_choice: dict[int, set[int]] = {}
    head_atom: dict[tuple[int, int], int] = {}
    for clause in ground.clauses:
        if clause.choice:
            heads_of_choice.setdefault(clause.choice, set()).add(clause.index)
            head_atom[(clause.choice, clause.index)] = clause.head

    parameters, choice_vars = _order_variables(
        ground, roots, by_head, heads_of_choice, head_atom, slots
    )
    manager = _manager(len(parameters))
    variables = [manager.var(f"v{i}") for i in range(len(parameters))]
    builder = _Builder(manager, variables, choice_vars, by_head, ground.true_atoms, deadline)
    for component in _components(roots, by_head):
        builder.compile_component(component)

    evidence_bdd = manager.true
    for atom, value in evidence:
        f = builder.formula[atom]
        evidence_bdd &= f if value else ~f
    outputs = [evidence_bdd] + [builder.formula[a] & evidence_bdd for a in query_atoms]
    atom_outputs: dict[int, int] = {}
    for atom in atoms:
        atom_outputs[atom] = len(outputs)
        outputs.append(builder.formula[atom] & evidence_bdd)
    prior_outputs: dict[int, int] = {}
    for atom in prior_atoms:
        prior_outputs[atom] = len(outputs)
        outputs.append(builder.formula[atom])
    circuit = _flatten(manager, outputs, parameters)
    return Compiled(
        circuit=circuit,
        parameters=tuple(parameters),
        answers=tuple(ground.atoms[a] for a in query_atoms),
        compile_seconds=time.monotonic() - start,
        atom_outputs=atom_outputs,
        prior_outputs=prior_outputs,
    )


_MANAGERS = threading.local()


def _manager(n_variables: int) -> Any:
    """This thread's CUDD manager, its variables back in their natural order.

    Starting a manager costs milliseconds, more than compiling a small program, so each
    thread keeps one (CUDD is not thread-safe). Nodes of earlier compilations are dead
    once flattened, so resetting the order is cheap.
    """
    from dd import cudd

    manager = getattr(_MANAGERS, "manager", None)
    if manager is None:
        manager = _MANAGERS.manager = cudd.BDD()
    declared = len(manager.vars)
    if n_variables > declared:
        manager.declare(*[f"v{i}" for i in range(declared, n_variables)])
    manager.configure(reordering=False)
    levels = {f"v{i}": i for i in range(len(manager.vars))}
    if any(manager.level_of_var(name) != level for name, level in levels.items()):
        cudd.reorder(manager, levels)
    manager.configure(reordering=True)
    return manager


def _order_variables(
    ground: GroundProgram,
    roots: list[int],
    by_head: dict[int, list[GroundClause]],
    heads_of_choice: dict[int, set[int]],
    head_atom: dict[tuple[int, int], int],
    slots: dict[tuple[int, int], float],
) -> tuple[list[Parameter], dict[int, dict[int, int]]]:
    """Number the binary variables breadth-first from the roots.

    Breadth-first keeps the variables of nearby facts together, which keeps
    BDDs of graph-like programs narrow (a grid is compiled row by row).
    """
    parameters: list[Parameter] = []
    choice_vars: dict[int, dict[int, int]] = {}
    seen = set(roots)
    todo = deque(roots)
    while todo:
        atom = todo.popleft()
        for clause in by_head.get(atom, ()):
            choice = clause.choice
            if choice and choice not in choice_vars:
                clause_index = ground.choice_clause[choice]
                heads: dict[int, int] = {}
                for head in sorted(heads_of_choice[choice]):
                    heads[head] = len(parameters)
                    if choice in ground.neural:
                        default = None
                    elif (choice, head) in ground.flexible:
                        default = ground.flexible[(choice, head)]
                    else:
                        default = slots[(clause_index, head)]
                    parameters.append(Parameter(
                        name=ground.atoms[head_atom[(choice, head)]],
                        choice=choice, clause=clause_index, head=head, default=default,
                        net=ground.neural.get(choice),
                        inputs=ground.neural_inputs.get(choice, ()),
                    ))
                choice_vars[choice] = heads
            for literal in clause.literals:
                body_atom = abs(literal)
                if body_atom not in seen:
                    seen.add(body_atom)
                    todo.append(body_atom)
    return parameters, choice_vars


def _components(roots: list[int], by_head: dict[int, list[GroundClause]]) -> list[list[int]]:
    """Strongly connected components of the atoms the roots reach, dependencies first.

    Iterative Tarjan: ground programs can be deep (long chains) for Python's stack.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0

    def successors(atom: int) -> list[int]:
        return [abs(lit) for clause in by_head.get(atom, ()) for lit in clause.literals]

    for root in roots:
        if root in index:
            continue
        work: list[tuple[int, list[int], int]] = [(root, successors(root), 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            atom, succ, position = work[-1]
            if position < len(succ):
                work[-1] = (atom, succ, position + 1)
                nxt = succ[position]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, successors(nxt), 0))
                elif nxt in on_stack:
                    low[atom] = min(low[atom], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[atom])
            if low[atom] == index[atom]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == atom:
                        break
                components.append(component)
    return components


class _Builder:
    """Builds one BDD per atom, component by component."""

    def __init__(
        self,
        manager: Any,
        variables: list[Any],
        choice_vars: dict[int, dict[int, int]],
        by_head: dict[int, list[GroundClause]],
        true_atoms: set[int],
        deadline: float,
    ) -> None:
        self.manager = manager
        self.variables = variables
        self.choice_vars = choice_vars
        self.by_head = by_head
        self.true_atoms = true_atoms
        self.deadline = deadline
        self.formula: dict[int, Any] = {}
        self._choice_cache: dict[tuple[int, int], Any] = {}

    def compile_component(self, component: list[int]) -> None:
        if time.monotonic() > self.deadline:
            raise InferenceLimitError("the time limit was exceeded while compiling (limits.time)",
                                      "time")
        members = set(component)
        cyclic = len(component) > 1 or any(
            abs(lit) in members for clause in self.by_head.get(component[0], ())
            for lit in clause.literals
        )
        if not cyclic:
            self.formula[component[0]] = self._atom(component[0])
            return
        for atom in component:
            for clause in self.by_head.get(atom, ()):
                if any(lit < 0 and -lit in members for lit in clause.literals):
                    raise ProgramError("the ground program is not stratified: an atom depends "
                                       "on its own negation")
            self.formula[atom] = self.manager.false
        dependents: dict[int, set[int]] = {atom: set() for atom in component}
        for atom in component:
            for clause in self.by_head.get(atom, ()):
                for lit in clause.literals:
                    if lit in members:
                        dependents[lit].add(atom)
        # Gauss-Seidel rounds; an atom is recomputed only when an atom it uses changed.
        dirty = set(component)
        while dirty:
            for atom in component:
                if atom not in dirty:
                    continue
                if time.monotonic() > self.deadline:
                    raise InferenceLimitError(
                        "the time limit was exceeded while compiling a cycle (limits.time)",
                        "time")
                dirty.discard(atom)
                new = self._atom(atom)
                if new != self.formula[atom]:
                    self.formula[atom] = new
                    dirty |= dependents[atom]

    def _atom(self, atom: int) -> Any:
        manager = self.manager
        if atom in self.true_atoms:
            return manager.true
        result = manager.false
        for clause in self.by_head.get(atom, ()):
            body = self._choice(clause.choice, clause.index) if clause.choice else manager.true
            for lit in clause.literals:
                f = self.formula[abs(lit)]
                body &= f if lit > 0 else ~f
                if body == manager.false:
                    break
            result |= body
            if result == manager.true:
                break
        return result

    def _choice(self, choice: int, head: int) -> Any:
        key = (choice, head)
        cached = self._choice_cache.get(key)
        if cached is None:
            heads = self.choice_vars[choice]
            cached = self.manager.true
            for other, var in heads.items():
                if other == head:
                    cached &= self.variables[var]
                    break
                cached &= ~self.variables[var]
            self._choice_cache[key] = cached
        return cached


def _flatten(manager: Any, outputs: list[Any], parameters: list[Parameter]) -> Circuit:
    """Export the BDD nodes the outputs reach, children before parents."""
    true_id = int(manager.true)
    position: dict[int, int] = {true_id: 0}
    height: list[int] = [0]
    var: list[int] = [0]
    high: list[int] = [0]
    low: list[int] = [0]

    def ref(node: Any) -> int:
        regular = ~node if node.negated else node
        return 2 * position[int(regular)] + (1 if node.negated else 0)

    for output in outputs:
        start = ~output if output.negated else output
        if int(start) in position:
            continue
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            key = int(node)
            if key in position:
                continue
            children = [node.high, node.low]
            regulars = [~c if c.negated else c for c in children]
            if not expanded:
                stack.append((node, True))
                for child in regulars:
                    if int(child) not in position:
                        stack.append((child, False))
                continue
            position[key] = len(var)
            var.append(int(node.var[1:]))
            high.append(ref(children[0]))
            low.append(ref(children[1]))
            height.append(1 + max(height[position[int(c)]] for c in regulars))

    heights = np.asarray(height, dtype=np.int64)
    order = np.argsort(heights[1:], kind="stable") + 1
    boundaries = np.flatnonzero(np.diff(heights[order])) + 1
    levels = tuple(np.split(order, boundaries)) if len(order) else ()
    group_first = np.zeros(len(parameters), dtype=np.int64)
    first_of_choice: dict[int, int] = {}
    for i, parameter in enumerate(parameters):
        group_first[i] = first_of_choice.setdefault(parameter.choice, i)
    return Circuit(
        var=np.asarray(var, dtype=np.int64),
        high=np.asarray(high, dtype=np.int64),
        low=np.asarray(low, dtype=np.int64),
        levels=levels,
        outputs=np.asarray([ref(o) for o in outputs], dtype=np.int64),
        group_first=group_first,
    )
