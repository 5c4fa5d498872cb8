"""The ``Engine``: a bundle's rules, knowledge graph and networks, deciding cases.

A case's record fields and the knowledge graph's facts about its entities become the
external facts of the rules; its inputs go through the networks, whose class
probabilities weigh the rules' ``nn`` predicates. The compiled circuit is cached by the
facts' atoms, so a case that differs from an earlier one only in probabilities (the
networks' outputs, uncertain facts) is neither grounded nor compiled again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nesy.errors import InputError, NesyError
from symbolic import Explanation, Fact, Parameter, Program, Source, Term, format_term

from ._bundle import Bundle, BundleError, check_case
from ._decision import Decision, GroundedFact, decide_label

__all__ = ["Engine", "train_bundle"]

class Engine:
    """Decide cases with a bundle.

    >>> engine = Engine.from_bundle("examples/clinic")      # doctest: +SKIP
    >>> engine.decide({"id": "case-1", "inputs": {...}, "record": {...}})  # doctest: +SKIP
    """

    def __init__(self, bundle: Bundle, audit_log: str | Path | None = None,
                 train: bool = True, k: int = 3) -> None:
        self.bundle = bundle
        self.k = k
        self._lock = threading.Lock()
        self.kg: Any = None
        self.mapping: Any = None
        if bundle.knowledge is not None:
            from knowledge import load_knowledge

            self.kg, self.mapping = load_knowledge(bundle.knowledge, bundle.root,
                                                   str(bundle.root / "bundle.toml"))
        self.shapes: Any = None
        if bundle.shapes is not None:
            from knowledge import ShapeValidator

            self.shapes = ShapeValidator(bundle.shapes)
        external = {spec.predicate: 1 if spec.type == "bool" else 2
                    for spec in bundle.record.values()}
        if self.mapping is not None:
            for predicate, arity in self.mapping.arities().items():
                if external.get(predicate, arity) != arity:
                    raise BundleError(f"predicate {predicate} is both a record field and a "
                                      "knowledge predicate with another arity")
                external[predicate] = arity
        text = bundle.rules_text()
        self.program = Program.from_string(text, name=str(bundle.rule_files[0]),
                                           external=external)
        self.queries = [f"{bundle.decision.query}({label})" for label in bundle.decision.labels]
        self.networks = self._load_networks(train)
        self.audit_log = Path(audit_log) if audit_log else bundle.audit_log
        self.versions: dict[str, Any] = {
            "rules": hashlib.sha256(text.encode()).hexdigest(),
            "knowledge": self.kg.content_hash if self.kg is not None else None,
            "models": {name: net.version for name, net in self.networks.items()},
        }

    @classmethod
    def from_bundle(cls, path: str | Path, audit_log: str | Path | None = None,
                    train: bool = True) -> Engine:
        """Read, check and load a bundle (training its models first if they are missing)."""
        return cls(Bundle.read(path), audit_log=audit_log, train=train)

    # ------------------------------------------------------------------ models

    def _load_networks(self, train: bool) -> dict[str, Any]:
        if not self.bundle.networks:
            return {}
        from neural import NeuralPredicate, load_model

        missing = [spec for spec in self.bundle.networks.values()
                   if not spec.model.with_suffix(".json").is_file()]
        if missing and train:
            self.train()
        networks = {}
        for name, spec in self.bundle.networks.items():
            if not spec.model.with_suffix(".json").is_file():
                raise BundleError(f"the model of network {name} is missing: "
                                  f"{spec.model.with_suffix('.json')} (run nesy train)")
            model = load_model(spec.model.parent, spec.model.name)
            networks[name] = NeuralPredicate(name, model, domain=list(spec.domain)
                                             if spec.domain else None)
        return networks

    def train(self) -> None:
        """Run the bundle's ``train.py`` (see :func:`train_bundle`)."""
        train_bundle(self.bundle)

    # ----------------------------------------------------------------- decide

    def decide(self, case: Mapping[str, Any]) -> Decision:
        """Decide one case (see the README's Decision JSON)."""
        return self.decide_many([case])[0]

    def decide_many(self, cases: Sequence[Mapping[str, Any]]) -> list[Decision]:
        """Decide cases; the networks see them in one batch. Same results as one by one."""
        start = time.perf_counter()
        checked = [self._check(case) for case in cases]
        neural = self._neural(checked)
        neural_ms = (time.perf_counter() - start) * 1000 / max(1, len(cases))
        decisions = []
        for case, (weights, neural_sources) in zip(checked, neural, strict=True):
            decisions.append(self._decide(case, weights, neural_sources, neural_ms))
        return decisions

    def _check(self, case: Mapping[str, Any]) -> _Case:
        case_id, inputs, record = check_case(case)
        for name in inputs:
            if name not in self.bundle.inputs:
                raise InputError(f"unknown input {name!r} (known: "
                                 f"{', '.join(self.bundle.inputs) or 'none'})",
                                 field=f"inputs.{name}")
        for name in self.bundle.inputs:
            if name not in inputs:
                raise InputError(f"the input {name!r} is missing", field=f"inputs.{name}")
        facts: dict[Term, float | None] = {}
        sources: dict[str, dict[str, Any]] = {}
        entities = []
        for name in record:
            if name not in self.bundle.record:
                raise InputError(f"unknown record field {name!r} (known: "
                                 f"{', '.join(self.bundle.record) or 'none'})",
                                 field=f"record.{name}")
        for name, spec in self.bundle.record.items():
            if name not in record:
                if spec.required:
                    raise InputError(f"the record field {name!r} is missing",
                                     field=f"record.{name}")
                continue
            value = _record_value(spec.type, record[name], f"record.{name}")
            if spec.type == "bool":
                term = Term(spec.predicate, "case")
                probability: float | None = 1.0 if value else 0.0
            else:
                term = Term(spec.predicate, "case", value)
                probability = None
                if spec.type == "entity":
                    entities.append((name, str(value)))
            facts[term] = probability
            sources[format_term(term)] = {"kind": "case", "field": name, "value": record[name]}
        if self.shapes is not None:
            self.shapes.check(self._record_rdf(record))
        for name, entity in entities:
            if self.kg is None or self.mapping is None:
                continue
            try:
                iri = self.mapping.table.iri(entity)
            except NesyError as exc:
                raise InputError(str(exc), field=f"record.{name}") from exc
            if next(iter(self.kg.quads(iri, None, None, None)), None) is None:
                raise InputError(f"unknown entity {entity!r}: the knowledge graph says "
                                 "nothing about it", field=f"record.{name}")
            found = self.mapping.facts(self.kg, [iri])
            for fact in found:
                term = Term(fact.predicate, *[str(a) if isinstance(a, str) else a
                                              for a in fact.args])
                facts.setdefault(term, fact.probability)
                sources.setdefault(format_term(term), {
                    "kind": "knowledge", "triple": list(fact.triple), "graph": fact.graph,
                    "inferred": fact.inferred})
        arrays = {name: _input_array(inputs[name], spec.shape, f"inputs.{name}")
                  for name, spec in self.bundle.inputs.items()}
        return _Case(case_id, arrays, facts, sources)

    def _record_rdf(self, record: Mapping[str, Any]) -> str:
        """The record as Turtle for the SHACL shapes: one node ``ex:case``, a property a field."""
        namespace = self.mapping.table.default if self.mapping is not None else None
        namespace = namespace or "urn:nesy:record#"
        lines = ["@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
                 f"<{namespace}case>"]
        properties = []
        for name, value in record.items():
            spec = self.bundle.record.get(name)
            if spec is not None and spec.type == "entity" and self.mapping is not None:
                try:
                    node = self.mapping.table.iri(str(value))
                except NesyError as exc:
                    raise InputError(str(exc), field=f"record.{name}") from exc
                properties.append(f"  <{namespace}{name}> {node}")
            else:
                properties.append(f"  <{namespace}{name}> {_literal(value)}")
        if not properties:
            return lines[0]
        return lines[0] + "\n" + lines[1] + "\n" + " ;\n".join(properties) + " ."

    def _neural(self, checked: list[_Case]) -> list[tuple[dict[str, float],
                                                          dict[str, dict[str, Any]]]]:
        """Each network reads its input of every case in one batch."""
        results: list[tuple[dict[str, float], dict[str, dict[str, Any]]]] = [
            ({}, {}) for _ in checked]
        if not checked:
            return results
        for name, spec in self.bundle.inputs.items():
            network = self.networks[spec.network]
            batch = np.stack([case.inputs[name] for case in checked])
            facts = network.facts(batch, ids=[f"{case.id}/{name}" for case in checked])
            for i, neural_facts in enumerate(facts):
                for label, probability in neural_facts.probabilities.items():
                    key = f"{spec.network}\x00{name}\x00{label}"
                    results[i][0][key] = float(probability)
                    results[i][1][key] = {
                        "kind": "neural", "model": spec.network, "version": network.version,
                        "input": f"{checked[i].id}/{name}", "class": str(label)}
        return results

    def _decide(self, case: _Case, neural: dict[str, float],
                neural_sources: dict[str, dict[str, Any]], neural_ms: float) -> Decision:
        sources = dict(case.sources)
        start = time.perf_counter()
        table = self.program.fact_table(case.facts)  # encoded once for every call below
        compiled = self.program.compile(self.queries, facts=table)
        weights: dict[str, float] = {}
        for parameter in compiled.parameters:
            if parameter.net is None:
                continue
            key = self._neural_key(parameter)
            if key not in neural:
                raise BundleError(f"the rules' neural predicate {parameter.name} reads no input "
                                  "of the bundle")
            weights[parameter.name] = neural[key]
            sources[parameter.name] = neural_sources[key]
        probabilities = self.program.query(self.queries, facts=table, weights=weights)
        grounding_ms = (time.perf_counter() - start) * 1000
        by_label = {label: probabilities.get(query, 0.0)
                    for label, query in zip(self.bundle.decision.labels, self.queries,
                                            strict=True)}
        decided, probability, abstained = decide_label(self.bundle.decision, by_label)
        start = time.perf_counter()
        query = self.bundle.decision.query
        explanation = _with_sources(
            self.program.explain(f"{query}({decided})", k=self.k, facts=table,
                                 weights=weights, strict=False), sources)
        ranked = sorted(self.bundle.decision.labels, key=lambda label: -by_label[label])
        runner_up = next((label for label in ranked if label != decided), None)
        why_not = None
        if runner_up is not None:
            why_not = self.program.why_not(f"{query}({runner_up})", facts=table,
                                           weights=weights, strict=False)
        explain_ms = (time.perf_counter() - start) * 1000
        grounded = tuple(GroundedFact(format_term(term), 1.0 if p is None else p,
                                      sources.get(format_term(term), {"kind": "case"}))
                         for term, p in case.facts.items())
        grounded += tuple(GroundedFact(name, weights[name], sources[name]) for name in weights)
        decision = Decision(
            case=case.id, label=None if abstained else decided, probability=probability,
            abstained=abstained, alternatives=by_label, facts=grounded,
            explanation=explanation, why_not=why_not, versions=self.versions,
            timing_ms={"neural": round(neural_ms, 3), "inference": round(grounding_ms, 3),
                       "explanation": round(explain_ms, 3)},
            decided=decided)
        if self.audit_log is not None:
            self._audit(decision)
        return decision

    def _neural_key(self, parameter: Parameter) -> str:
        """Which network output weighs a neural parameter: network, input, class."""
        spec = self.bundle.networks.get(parameter.net or "")
        label = spec.domain[parameter.head - 1] if spec and spec.domain else \
            str(parameter.head - 1)
        read = parameter.inputs[0] if parameter.inputs else ""
        return f"{parameter.net}\x00{read}\x00{label}"

    def _audit(self, decision: Decision) -> None:
        """Append one JSON line with a single write: a crash never leaves half a line."""
        assert self.audit_log is not None
        line = (json.dumps(decision.to_dict(), separators=(",", ":")) + "\n").encode()
        with self._lock:
            fd = os.open(self.audit_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def train_bundle(bundle: Bundle) -> None:
    """Run the bundle's ``train.py`` (deterministic; models land in ``models/``)."""
    script = bundle.train_script
    if script is None:
        raise BundleError(f"{bundle.root} has models to train but no train.py")
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    result = subprocess.run([sys.executable, str(script.resolve())], cwd=bundle.root,
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BundleError(f"training failed ({script}): {' / '.join(tail)}")


@dataclass(frozen=True)
class _Case:
    """A checked case: its inputs as arrays, its facts and their sources."""

    id: str
    inputs: dict[str, np.ndarray]
    facts: dict[Term, float | None]
    sources: dict[str, dict[str, Any]]


def _record_value(kind: str, value: Any, field: str) -> Any:
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"expected true or false, not {value!r}", field=field)
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expected a whole number, not {value!r}", field=field)
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise InputError(f"expected a finite number, not {value!r}", field=field)
        return float(value)
    if not isinstance(value, str) or not value:
        raise InputError(f"expected a non-empty string, not {value!r}", field=field)
    return value


def _input_array(value: Any, shape: tuple[int, ...], field: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected numbers of shape {list(shape)}", field=field) from exc
    if shape and array.shape != shape:
        raise InputError(f"expected shape {list(shape)}, not {list(array.shape)}", field=field)
    if not np.all(np.isfinite(array)):
        raise InputError("NaN or infinite values", field=field)
    return array


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return f'"{str(value).lower()}"^^xsd:boolean'
    if isinstance(value, int):
        return f'"{value}"^^xsd:integer'
    if isinstance(value, float):
        return f'"{value!r}"^^xsd:double'
    return json.dumps(str(value))


def _with_sources(explanation: Explanation,
                  sources: Mapping[str, Mapping[str, Any]]) -> Explanation:
    """The explanation with its external and neural leaves' provenance from the case."""
    def leaf(node: Any) -> Any:
        if isinstance(node, Fact):
            found = sources.get(node.atom)
            if found is not None and node.source.kind in ("external", "neural"):
                details = {k: v for k, v in found.items() if k != "kind"}
                return replace(node, source=Source(found["kind"], node.source.rule,
                                                   node.source.location, details))
            return node
        return replace(node, children=tuple(leaf(child) for child in node.children))

    proofs = tuple(replace(proof, root=leaf(proof.root)) for proof in explanation.proofs)
    influence = tuple(
        replace(item, source=Source(sources[item.fact]["kind"], item.source.rule,
                                    item.source.location,
                                    {k: v for k, v in sources[item.fact].items() if k != "kind"}))
        if item.fact in sources and item.source.kind in ("external", "neural") else item
        for item in explanation.influence)
    return replace(explanation, proofs=proofs, influence=influence)

