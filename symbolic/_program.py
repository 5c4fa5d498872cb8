"""``Program``: a ProbLog program, its queries, and compiled circuits cached by structure."""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import time
import weakref
from collections.abc import Container, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nesy.errors import (
    InferenceLimitError,
    InputError,
    Location,
    NesyError,
    ProgramError,
    RuleSyntaxError,
)

from ._compile import Compiled, Parameter, compile_ground
from ._explain import FIELD, RECORD, Explainer, Explanation, WhyNot, evidence_of, why_not_atoms
from ._ground import GroundError, GroundProgram, parse_ground
from ._limits import Limits
from ._prolog import EncodedTerm, PrologEngine, encode_term, engine
from ._rules import MetadataProblem, Rule, read_rules
from ._source import SourceText
from ._terms import Term, format_term

if TYPE_CHECKING:
    import torch

__all__ = ["CompiledQuery", "NeuralDeclaration", "Program", "QueryLike"]

QueryLike = str | Term
EvidenceLike = Mapping[Any, bool]


@dataclass(frozen=True)
class NeuralDeclaration:
    """An ``nn(net, [X, ...], Y, [v1, v2, ...]) :: pred(X, ..., Y).`` clause of a program.

    ``arity`` is how many inputs the network reads, ``domain`` its classes as the program
    writes them (``("0", "1", ...)``; ``("true",)`` for ``nn(net, [X]) :: pred(X)``); the
    network's output ``i`` is the probability of ``domain[i]``.
    """

    net: str
    arity: int
    domain: tuple[str, ...]
    clause: int
    location: Location


class CompiledQuery:
    """A compiled circuit for fixed queries and evidence: re-evaluate with new probabilities.

    Re-evaluation neither grounds nor compiles; it is one pass over the circuit.

    >>> program = Program.from_string("0.3::a. 0.6::b. c :- a. c :- b. query(c).")
    >>> compiled = program.compile()
    >>> round(compiled.evaluate()["c"], 4)
    0.72
    >>> round(compiled.evaluate({"a": 0.5})["c"], 4)
    0.8
    """

    def __init__(self, compiled: Compiled, other_facts: frozenset[str] = frozenset()) -> None:
        self._compiled = compiled
        self._other_facts = other_facts  # facts of the program that do not affect the answers
        self.answers = compiled.answers
        self.parameters: tuple[Parameter, ...] = compiled.parameters
        self._by_name: dict[str, list[int]] = {}
        for i, parameter in enumerate(self.parameters):
            self._by_name.setdefault(parameter.name, []).append(i)
        choices = {p.choice: i for i, p in reversed(list(enumerate(self.parameters)))}
        self._choice_index = np.array([choices[p.choice] for p in self.parameters],
                                      dtype=np.int64)
        self._defaults = np.array(
            [math.nan if p.default is None else p.default for p in self.parameters],
            dtype=np.float64,
        )

    @property
    def names(self) -> frozenset[str]:
        """The names of the parameters (ground atoms of probabilistic facts)."""
        return frozenset(self._by_name)

    @property
    def circuit_size(self) -> int:
        """Number of decision nodes in the compiled circuit."""
        return self._compiled.circuit.size

    @property
    def compile_seconds(self) -> float:
        return self._compiled.compile_seconds

    def parameter_vector(self, weights: Mapping[Any, float] | None = None) -> np.ndarray:
        """The probability of every parameter: the program's, overridden by ``weights``."""
        vector = self._defaults.copy()
        for key, value in (weights or {}).items():
            name = key if isinstance(key, str) else format_term(key)
            indices = self._by_name.get(name)
            if indices is None:
                if name in self._other_facts:
                    continue
                raise InputError(f"no probabilistic fact {name} in the compiled program "
                                 "(none such, or it does not affect these queries)",
                                 field=f"weights[{name!r}]")
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0.0 <= float(value) <= 1.0):
                raise InputError(f"probability must be a number in [0,1], not {value!r}",
                                 field=f"weights[{name!r}]")
            vector[indices] = float(value)
        missing = np.flatnonzero(np.isnan(vector))
        if len(missing):
            parameter = self.parameters[int(missing[0])]
            raise InputError(f"neural predicate {parameter.net} has no probability for "
                             f"{parameter.name}: pass it in weights", field="weights")
        self._check_mass(vector)
        return vector

    def _check_mass(self, vector: np.ndarray) -> None:
        totals = np.bincount(self._choice_index, weights=vector) if len(vector) else vector
        over = np.flatnonzero(totals > 1.0 + 1e-9)
        if len(over):
            group = int(over[0])
            names = [p.name for p, g in zip(self.parameters, self._choice_index, strict=True)
                     if g == group]
            raise InputError(f"the probabilities of {', '.join(names)} sum to "
                             f"{totals[group]:.6g}, more than 1", field="weights")

    def evaluate(self, weights: Mapping[Any, float] | None = None) -> dict[str, float]:
        """``{answer: P(answer | evidence)}`` with the given probabilities."""
        values = self._compiled.circuit.evaluate(self.parameter_vector(weights))
        return self._conditioned(values)

    def evaluate_many(self, weights: Sequence[Mapping[Any, float] | None]
                      ) -> list[dict[str, float]]:
        """:meth:`evaluate` for many sets of probabilities, in one pass over the circuit."""
        if not weights:
            return []
        vectors = np.stack([self.parameter_vector(w) for w in weights])
        circuit = self._compiled.circuit
        # one vector goes through the circuit's scalar loop, faster on small circuits
        values = [circuit.evaluate(vectors[0])] if len(vectors) == 1 else \
            circuit.evaluate(vectors)
        return [self._conditioned(row) for row in values]

    def _conditioned(self, values: np.ndarray) -> dict[str, float]:
        evidence = evidence_of(values)
        return {name: min(1.0, float(v) / evidence)
                for name, v in zip(self.answers, values[1:], strict=True)}

    def evaluate_torch(self, probabilities: torch.Tensor) -> torch.Tensor:
        """P(answers | evidence) for a batch of parameter vectors, differentiably.

        ``probabilities`` has shape ``(batch, len(parameters))`` (or one vector) in the
        order of :attr:`parameters`; the result has shape ``(batch, len(answers))``.
        """
        values = self._compiled.circuit.evaluate_torch(probabilities)
        return values[..., 1:] / values[..., :1]

    def evaluate_torch_gathered(self, values: torch.Tensor, index: np.ndarray,
                                answers: np.ndarray | None = None) -> torch.Tensor:
        """:meth:`evaluate_torch` with each row's probabilities picked out of ``values``.

        The learning path: ``values`` holds the class probabilities of a batch of network
        calls, flattened; ``index[r, j]`` is the position in ``values`` of parameter ``j``'s
        probability in row ``r``, or ``-1`` for the program's own probability. Computed in
        float64; gradients flow into ``values``. With ``answers`` (one answer column per
        row, ``-1`` for an answer the circuit does not have: probability 0), the result is
        that answer's probability per row, shape ``(batch,)``; without, all of them.
        """
        import torch

        n = len(self.parameters)
        if index.ndim != 2 or index.shape[1] != n:
            raise InputError(f"index must have shape (rows, {n}), not {index.shape}",
                             field="index")
        flat = torch.cat([values.to(torch.float64), self._own_tensor])
        positions = np.where(index >= 0, index, len(values) + np.arange(n))
        result = self.evaluate_torch(flat[torch.as_tensor(positions)])
        if answers is None:
            return result
        rows = torch.arange(len(answers))
        picked = result[rows, torch.as_tensor(np.maximum(answers, 0))]
        return torch.where(torch.as_tensor(answers >= 0), picked, torch.zeros_like(picked))

    @functools.cached_property
    def _own_tensor(self) -> torch.Tensor:
        """The program's own probabilities (0 for a neural one), once: the learning path's."""
        import torch

        return torch.as_tensor(np.nan_to_num(self._defaults), dtype=torch.float64)

    def parameter_tensor(self, weights: Mapping[Any, float] | None = None,
                         dtype: Any = None) -> torch.Tensor:
        """:meth:`parameter_vector` as a torch tensor (float64 unless ``dtype``)."""
        import torch

        return torch.tensor(self.parameter_vector(weights), dtype=dtype or torch.float64)


class Program:
    """A ProbLog program loaded into its own Prolog module.

    >>> program = Program.from_string('''
    ...     0.6::edge(a,b). 0.5::edge(b,c). 0.3::edge(a,c).
    ...     path(X,Y) :- edge(X,Y).
    ...     path(X,Y) :- edge(X,Z), path(Z,Y).
    ...     query(path(a,c)).''')
    >>> round(program.query()["path(a,c)"], 4)
    0.51
    """

    def __init__(self, text: str | SourceText, name: str = "<string>",
                 limits: Limits | None = None,
                 external: Mapping[str, int] | None = None) -> None:
        # text: the program, or the files of one (from_files; then name is the first's)
        source = text if isinstance(text, SourceText) else SourceText.single(name, text)
        self.name = source.name
        self.external = _external(external)
        self.text = source.text
        self.limits = limits or Limits()
        self._source = source
        self._engine: PrologEngine = engine()
        self._module = self._engine.new_module()
        self._cache: dict[tuple[Any, ...], CompiledQuery] = {}
        self._explainers: dict[tuple[Any, ...], Explainer] = {}
        self._lock = threading.Lock()
        self.groundings = 0  # how many times this program was grounded and compiled
        self._default_requests: tuple[list[EncodedTerm], tuple[Any, ...]] | None = None
        report = self._engine.call(
            "nesy_load", self._module, source.encode(),
            [encode_term("/", name, arity) for name, arity in sorted(self.external.items())])
        self._finalizer = weakref.finalize(self, _unload, self._engine, self._module)
        try:
            self._read_report(report)
        except NesyError:
            self.close()
            raise

    @classmethod
    def from_string(cls, text: str, name: str = "<string>", limits: Limits | None = None,
                    external: Mapping[str, int] | None = None) -> Program:
        """Load a program from text; ``name`` is used in error locations.

        ``external`` names predicates (``{"has_finding": 2}``) whose facts come with
        each call (``facts=``), from a knowledge graph, a case record or a classifier.
        """
        if not isinstance(text, str):
            raise InputError(f"program text must be a str, not {type(text).__name__}")
        return cls(text, name, limits, external)

    @classmethod
    def from_file(cls, path: str | Path, limits: Limits | None = None,
                  external: Mapping[str, int] | None = None) -> Program:
        """Load a program from a ``.pl`` file (``external`` as in :meth:`from_string`)."""
        return cls(read_source(path), str(path), limits, external)

    @classmethod
    def from_files(cls, paths: Sequence[str | Path], limits: Limits | None = None,
                   external: Mapping[str, int] | None = None) -> Program:
        """Load several ``.pl`` files as one program (a bundle's rules).

        The files are read in the order given, each on its own (a clause or a ``%!``
        block never runs across two files), and every location names the file and its
        own line and column: syntax and program errors, :attr:`rules` and their
        automatic ids, explanations. :attr:`name` is the first file's.
        ``external`` as in :meth:`from_string`.

        >>> import glob
        >>> program = Program.from_files(
        ...     sorted(glob.glob("examples/clinic/rules/*.pl")),
        ...     external={"age": 2, "family_history": 1, "patient": 2, "has_risk_factor": 2,
        ...               "high_risk_factor": 1, "moderate_risk_factor": 1})
        >>> rules = {rule.id: rule for rule in program.rules.values()}
        >>> str(rules["biopsy_suspicious"].location)
        'examples/clinic/rules/recommendations.pl:33:1'
        """
        return cls(read_sources(paths), limits=limits, external=external)

    def close(self) -> None:
        """Drop the program's clauses from Prolog (also done when it is garbage collected)."""
        self._finalizer()

    def _read_report(self, report: str) -> None:
        syntax: list[tuple[Location, str]] = []
        problems: list[tuple[Location, str]] = []
        self._slots: dict[tuple[int, int], float] = {}
        self._clause_kinds: dict[int, str] = {}  # "fact", "rule" or "external"
        fact_names: set[str] = set()
        self._spans: dict[int, tuple[int, int]] = {}  # where each clause starts and ends
        self.queries: list[str] = []
        self.evidence: list[tuple[str, bool]] = []
        neural: list[tuple[int, int, list[str]]] = []
        for line in report.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "E":
                where, kind, message = rest.split(" ", 2)
                entry = (self._source.locate(where), message)
                (syntax if kind == "syntax" else problems).append(entry)
            elif tag == "K":
                clause, start, end, kind = rest.split()
                self._clause_kinds[int(clause)] = kind
                if kind != "external":
                    self._spans[int(clause)] = (int(start), int(end))
            elif tag == "S":
                clause, head, value, *ground_head = rest.split(" ", 3)
                self._slots[(int(clause), int(head))] = float(value)
                if ground_head:
                    fact_names.add(ground_head[0])
            elif tag == "Q":
                self.queries.append(rest.split(" ", 2)[2])
            elif tag == "V":
                _, _, value, atom = rest.split(" ", 3)
                self.evidence.append((atom, value == "1"))
            elif tag == "N":
                clause, inputs, text = rest.split(" ", 2)
                neural.append((int(clause), int(inputs), text.split("\t")))
            elif tag == "H":
                self.structure_hash = rest
        self._fact_names = frozenset(fact_names)  # the ground heads of probabilistic facts
        rules: dict[int, Rule] = {}
        problems_in_metadata: list[MetadataProblem] = []
        for segment, segment_spans in self._source.split(self._spans):
            file_rules, file_problems = read_rules(segment.text, segment.name, segment_spans)
            rules.update(file_rules)
            problems_in_metadata += file_problems
        # Before the external clauses: Prolog declares them only for a program it loads.
        if syntax:
            raise RuleSyntaxError(sorted(syntax, key=lambda e: self._source.order(e[0])))
        if problems:
            problems.sort(key=lambda e: self._source.order(e[0]))
            location, message = problems[0]
            error = ProgramError(message + (f" (and {len(problems) - 1} more problems)"
                                            if len(problems) > 1 else ""), location)
            error.errors = problems  # type: ignore[attr-defined]
            raise error
        external_clauses = sorted(k for k, v in self._clause_kinds.items() if v == "external")
        for number, (name, arity) in zip(external_clauses, sorted(self.external.items()),
                                         strict=True):
            rules[number] = Rule(f"{name}/{arity}", f"{name}/{arity} facts given with the query",
                                 None, Location(self.name), "")
        self.rules: dict[int, Rule] = rules  # by clause number
        self.neural: tuple[NeuralDeclaration, ...] = tuple(
            NeuralDeclaration(net, inputs, tuple(domain), number,
                              self._source.location(self._spans[number][0]))
            for number, inputs, (net, *domain) in sorted(neural))
        self.metadata_problems: list[MetadataProblem] = problems_in_metadata

    # ------------------------------------------------------------------ queries

    def query(
        self,
        query: QueryLike | Sequence[QueryLike] | None = None,
        evidence: EvidenceLike | None = None,
        weights: Mapping[Any, float] | None = None,
        limits: Limits | None = None,
        facts: FactsLike | FactTable | None = None,
    ) -> dict[str, float]:
        """Probabilities ``{term: P(term | evidence)}``.

        Without ``query``, the program's own ``query/1`` facts and ``evidence/1,2``;
        with it, the given goal(s) (text such as ``"path(a,X)"`` or a :class:`Term`),
        conditioned on the program's evidence and ``evidence``. ``weights`` gives new
        probabilities to probabilistic facts by their ground atom (``{"edge(a,b)": 0.4}``):
        the circuit compiled for these queries is reused, nothing is grounded again.
        ``facts`` gives the facts of the program's external predicates for this call,
        ``{Term(...): probability or None}``: only their probabilities changing, the
        compiled circuit is reused too.
        """
        table = FactTable.of(facts, self.external)
        compiled = self.compile(query, evidence, limits, table)
        return compiled.evaluate(table.weights(weights, compiled.names))

    def compile(
        self,
        query: QueryLike | Sequence[QueryLike] | None = None,
        evidence: EvidenceLike | None = None,
        limits: Limits | None = None,
        facts: FactsLike | FactTable | None = None,
    ) -> CompiledQuery:
        """Ground and compile the queries once; cached by the queries, evidence and facts.

        The facts count by their atoms, not their probabilities (see :meth:`query`).
        """
        table = FactTable.of(facts, self.external)
        requests, key = self._requests(query, evidence)
        if table.structure:
            key = (*key, table.structure)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = self._compile(requests, limits or self.limits, table.text)
                self._cache[key] = cached
            return cached

    def _requests(
        self, query: QueryLike | Sequence[QueryLike] | None, evidence: EvidenceLike | None
    ) -> tuple[list[EncodedTerm], tuple[Any, ...]]:
        if query is None and not evidence:  # the everyday re-evaluation: built once
            if self._default_requests is None:
                self._default_requests = self._build_requests(None, None)
            return self._default_requests
        return self._build_requests(query, evidence)

    def _build_requests(
        self, query: QueryLike | Sequence[QueryLike] | None, evidence: EvidenceLike | None
    ) -> tuple[list[EncodedTerm], tuple[Any, ...]]:
        requests: list[EncodedTerm] = []
        key: list[Any] = []
        if query is None:
            requests += [encode_term("pq", i + 1) for i in range(len(self.queries))]
            key.append("program queries")
            query_count = len(self.queries)
        else:
            goals = [query] if isinstance(query, str | Term) else list(query)
            for i, goal in enumerate(goals):
                requests.append(encode_term("q", i + 1, _goal(goal, "query")))
                key.append(("q", _key(goal)))
            query_count = len(goals)
        requests += [encode_term("pe", i + 1) for i in range(len(self.evidence))]
        for i, (atom, value) in enumerate((evidence or {}).items()):
            if not isinstance(value, bool):
                raise InputError(f"evidence value must be True or False, not {value!r}",
                                 field=f"evidence[{_key(atom)!r}]")
            index = len(self.evidence) + i + 1
            requests.append(encode_term("e", index, _goal(atom, "evidence"), int(value)))
            key.append(("e", _key(atom), value))
        return requests, (query_count, *key)

    def _compile(self, requests: list[EncodedTerm], limits: Limits,
                 facts_text: str = "") -> CompiledQuery:
        deadline = time.monotonic() + limits.time
        ground = self._ground(requests, limits, "answer", facts_text)
        query_count = sum(1 for r in requests if r.functor in ("pq", "q"))
        compiled = compile_ground(ground, self._slots, range(1, query_count + 1), deadline)
        return CompiledQuery(compiled, self._fact_names)

    def _ground(self, requests: list[EncodedTerm], limits: Limits, mode: str,
                facts_text: str = "") -> GroundProgram:
        """The relevant ground program; ``mode`` "explain" keeps deterministic derivations."""
        self.groundings += 1
        text = self._engine.call(
            "nesy_ground", self._module, requests,
            encode_term("limits", max(1, round(limits.time * 1000)), limits.max_ground,
                        limits.max_depth, mode),
            facts_text,
        )
        ground = parse_ground(text)
        if isinstance(ground, GroundError):
            raise self._ground_error(ground)
        return ground

    def _ground_error(self, error: GroundError) -> NesyError:
        location = None
        if error.offset >= 0:
            location = self._source.location(error.offset)
        elif error.clause >= 0 and error.clause in self._spans:
            location = self._source.location(self._spans[error.clause][0])
        if error.kind in ("time", "size", "depth"):
            return InferenceLimitError(error.message, error.kind)
        if error.kind in ("unknown", "input"):
            return InputError(error.message, location)
        return ProgramError(error.message, location)

    def explain(
        self,
        query: QueryLike,
        k: int = 3,
        evidence: EvidenceLike | None = None,
        weights: Mapping[Any, float] | None = None,
        limits: Limits | None = None,
        facts: FactsLike | FactTable | None = None,
        strict: bool = True,
    ) -> Explanation:
        """The probability of a ground query with its reasons.

        The ``k`` most probable proofs (best first), the influence dP/dp of every
        probabilistic fact, and, when the probability is below 0.5, why not.
        Grounding and compiling are cached per query and evidence, as in :meth:`query`.
        With ``strict=False``, weights for facts this query does not use are ignored
        (weights meant for several queries) instead of being an error.

        >>> program = Program.from_string(
        ...     "0.9::rain. 0.5::sprinkler. wet :- rain. wet :- sprinkler.")
        >>> explanation = program.explain("wet", k=2)
        >>> round(explanation.probability, 4)
        0.95
        >>> [round(proof.probability, 2) for proof in explanation.proofs]
        [0.9, 0.5]
        >>> [(item.fact, round(item.value, 2)) for item in explanation.influence]
        [('rain', 0.5), ('sprinkler', 0.1)]
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise InputError(f"k must be a whole number of proofs, not {k!r}", field="k")
        explainer, used, text = self._explainer_for(query, evidence, weights, limits, facts,
                                                    strict)
        return explainer.explain(used, k, text)

    def why_not(
        self,
        query: QueryLike,
        evidence: EvidenceLike | None = None,
        weights: Mapping[Any, float] | None = None,
        limits: Limits | None = None,
        facts: FactsLike | FactTable | None = None,
        strict: bool = True,
    ) -> WhyNot:
        """Why a ground query is not more probable, whatever its probability.

        The ``why_not`` part of :meth:`explain` alone: no proofs, no influence
        (the runner-up of a decision needs only this). ``strict`` as in :meth:`explain`.
        """
        explainer, used, text = self._explainer_for(query, evidence, weights, limits, facts,
                                                    strict)
        return explainer.why_not(used, text)

    def fact_table(self, facts: FactsLike | None) -> FactTable:
        """The facts of the external predicates, checked and encoded once for many calls."""
        return FactTable.of(facts, self.external)

    def _explainer_for(
        self, query: QueryLike, evidence: EvidenceLike | None,
        weights: Mapping[Any, float] | None, limits: Limits | None,
        facts: FactsLike | FactTable | None, strict: bool,
    ) -> tuple[Explainer, dict[Any, float] | None, str]:
        """What :meth:`explain` and :meth:`why_not` share: the cached explainer, the
        weights it takes (the facts' probabilities, then ``weights``) and the facts' text."""
        table = FactTable.of(facts, self.external)
        explainer = self._cached_explainer(query, evidence, limits, table)
        known = explainer.parameter_names
        return explainer, _used(table.weights(weights, known), known, strict), table.text

    def _cached_explainer(self, query: QueryLike, evidence: EvidenceLike | None,
                          limits: Limits | None, table: FactTable) -> Explainer:
        if not isinstance(query, str | Term):
            raise InputError(f"a query must be a str or a Term, not {type(query).__name__}",
                             field="query")
        requests, key = self._build_requests([query], evidence)
        if table.structure:
            key = (*key, table.structure)
        with self._lock:
            explainer = self._explainers.get(key)
            if explainer is None:
                explainer = self._explainer(query, requests, evidence, limits or self.limits,
                                            table.text)
                self._explainers[key] = explainer
            return explainer

    def _explainer(self, query: QueryLike, requests: list[EncodedTerm],
                   evidence: EvidenceLike | None, limits: Limits,
                   facts_text: str = "") -> Explainer:
        deadline = time.monotonic() + limits.time
        ground = self._ground(requests, limits, "explain", facts_text)
        answers = ground.queries.get(1, [])
        if len(answers) > 1:
            shown = ", ".join(ground.atoms[a] for a in answers[:3])
            raise InputError(f"{_key(query)} has {len(answers)} answers ({shown}"
                             f"{', ...' if len(answers) > 3 else ''}): explain one of them",
                             field="query")
        query_atom = answers[0] if answers else None
        negated = sorted({-lit for clause in ground.clauses for lit in clause.literals
                          if lit < 0})
        atoms = why_not_atoms(ground, query_atom)
        compiled = compile_ground(ground, self._slots, [1], deadline, atoms=atoms,
                                  prior_atoms=negated)
        parameters = CompiledQuery(compiled, self._fact_names)
        shown_evidence = tuple(self.evidence) + tuple(
            (_key(atom), value) for atom, value in (evidence or {}).items())
        return Explainer(
            query_atom=query_atom,
            query_text=ground.atoms[query_atom] if query_atom is not None else _key(query),
            ground=ground,
            compiled=compiled,
            parameter_vector=parameters.parameter_vector,
            rules=self.rules,
            clause_kinds=self._clause_kinds,
            why_not_walk=self._why_not_walk,
            evidence=shown_evidence,
        )

    def _why_not_walk(self, goal: str, facts: str) -> str:
        return self._engine.call("nesy_why_not", self._module, goal, facts)

    def probability(self, query: QueryLike, evidence: EvidenceLike | None = None,
                    facts: FactsLike | FactTable | None = None) -> float:
        """P(query | evidence) for one ground atom (0.0 when it cannot be derived)."""
        result = self.query([query], evidence, facts=facts)
        if len(result) > 1:
            raise InputError(f"{_key(query)} is not ground: it has {len(result)} answers",
                             field="query")
        return next(iter(result.values()), 0.0)



FactsLike = Mapping[Term, float | None]


def _external(external: Mapping[str, int] | None) -> dict[str, int]:
    checked: dict[str, int] = {}
    for name, arity in (external or {}).items():
        if not isinstance(name, str) or not name or isinstance(arity, bool) or not isinstance(
                arity, int) or arity < 0:
            raise InputError(f"external predicates are {{name: arity}}, not {name!r}: {arity!r}",
                             field="external")
        checked[name] = arity
    return checked


@dataclass(frozen=True)
class FactTable:
    """The facts of external predicates for one call, as the text the grounder reads.

    Built by :meth:`Program.fact_table` (or from a mapping on each call); a caller that
    uses the same facts several times (a decision: its labels, its explanation) builds
    it once and passes it as ``facts=``.
    """

    text: str
    structure: tuple[str, ...]  # the facts' atoms, sorted: what the circuit depends on
    probabilities: dict[str, float]

    @classmethod
    def of(cls, facts: FactsLike | FactTable | None,
           external: Mapping[str, int]) -> FactTable:
        if isinstance(facts, FactTable):
            return facts
        if not facts:
            return NO_FACTS
        if not isinstance(facts, Mapping):
            raise InputError("facts are a mapping {Term: probability or None}", field="facts")
        records: list[str] = []
        probabilities: dict[str, float] = {}
        for term, probability in facts.items():
            if not isinstance(term, Term):
                raise InputError(f"a fact must be a Term, not {term!r}", field="facts")
            name = format_term(term)
            if external.get(term.functor) != len(term.args):
                raise InputError(f"{name}: {term.functor}/{len(term.args)} is not an external "
                                 "predicate of the program", field=f"facts[{name!r}]")
            value = 1.0 if probability is None else probability
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0.0 <= value <= 1.0):
                raise InputError(f"probability must be a number in [0,1] or None, not "
                                 f"{probability!r}", field=f"facts[{name!r}]")
            if name in probabilities:
                continue
            probabilities[name] = float(value)
            fields = [term.functor, *(_fact_field(arg, name) for arg in term.args),
                      repr(float(value))]
            if any(sep in field for field in fields for sep in (RECORD, FIELD)):
                raise InputError(f"{name}: control characters \x1e and \x1f cannot be in a "
                                 "fact", field=f"facts[{name!r}]")
            records.append(FIELD.join(fields))
        return cls(RECORD.join(records), tuple(sorted(probabilities)), probabilities)

    def merged(self, other: FactTable) -> FactTable:
        """These facts and ``other``'s; where both have an atom, this table's probability.

        No fact is encoded again: a caller with facts that come with every call (a
        bundle's shared graph facts) encodes them once and merges them with each call's.

        >>> ours = Program.from_string("", external={"p": 1}).fact_table
        >>> merged = ours({Term("p", "a"): 0.5}).merged(ours({Term("p", "a"): 0.9,
        ...                                                   Term("p", "b"): None}))
        >>> merged.structure, merged.probabilities
        (('p(a)', 'p(b)'), {'p(a)': 0.5, 'p(b)': 1.0})
        """
        if not other.probabilities:
            return self
        if not self.probabilities:
            return other
        text = other.text
        added = other.probabilities
        if not self.probabilities.keys().isdisjoint(added):
            # records and probabilities are in the same order (see of)
            kept = [(name, record) for name, record in zip(added, text.split(RECORD),
                                                           strict=True)
                    if name not in self.probabilities]
            text = RECORD.join(record for _, record in kept)
            added = {name: added[name] for name, _ in kept}
        probabilities = {**self.probabilities, **added}
        return FactTable(f"{self.text}{RECORD}{text}" if text else self.text,
                         tuple(sorted(probabilities)), probabilities)

    def weights(self, weights: Mapping[Any, float] | None,
                known: Container[str]) -> dict[Any, float] | None:
        """The facts' probabilities as weights (those the circuit has), then ``weights``."""
        if not self.probabilities:
            return dict(weights) if weights else None
        probabilities = self.probabilities
        if isinstance(known, Set) and len(known) < len(probabilities):
            # many facts, few of them in the circuit (facts that come with every call)
            mine = {name: probabilities[name] for name in known if name in probabilities}
        else:
            mine = {name: p for name, p in probabilities.items() if name in known}
        return {**mine, **(weights or {})}


NO_FACTS = FactTable("", (), {})


def _used(weights: dict[Any, float] | None, known: Container[str],
          strict: bool) -> dict[Any, float] | None:
    """With ``strict`` off, only the weights of parameters the circuit has."""
    if strict or not weights:
        return weights
    return {key: value for key, value in weights.items()
            if (key if isinstance(key, str) else format_term(key)) in known}


def _fact_field(arg: Any, name: str) -> str:
    if isinstance(arg, str):
        return "a" + arg
    if isinstance(arg, int) and not isinstance(arg, bool):
        return f"i{arg}"
    if isinstance(arg, float):
        return f"f{arg!r}"
    raise InputError(f"{name}: a fact's arguments are atoms (str), ints or floats, not {arg!r}",
                     field=f"facts[{name!r}]")


def read_sources(paths: Sequence[str | Path]) -> SourceText:
    """The texts of rule files joined into one program (see :class:`SourceText`)."""
    if isinstance(paths, str | Path):
        raise InputError("from_files takes a list of paths; use from_file for one file")
    paths = list(paths)
    if not paths:
        raise InputError("no rule files to read")
    return SourceText.join((str(path), read_source(path)) for path in paths)


def read_source(path: str | Path) -> str:
    """The text of a rule file; a missing or unreadable file is an :class:`InputError`."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


def _goal(goal: Any, what: str) -> Any:
    if isinstance(goal, Term):
        return encode_term("term", goal.encode())
    if isinstance(goal, str):
        if not goal.strip():
            raise InputError(f"empty {what}", field=what)
        return encode_term("text", goal)
    raise InputError(f"a {what} must be a str or a Term, not {type(goal).__name__}", field=what)


def _key(goal: Any) -> str:
    return goal if isinstance(goal, str) else format_term(goal)


def _unload(prolog: PrologEngine, module: str) -> None:
    with contextlib.suppress(Exception):  # best effort, also at interpreter shutdown
        prolog.call("nesy_unload_text", module)
