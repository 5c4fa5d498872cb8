"""The ``Engine``: a bundle's rules, knowledge graph and networks, deciding cases.

A case's record fields and the knowledge graph's facts about its entities (and those
that come with every case) become the external facts of the rules; its inputs go through
the networks, whose class probabilities weigh the rules' ``nn`` predicates. The compiled
circuit is cached by the facts' atoms, so a case that differs from an earlier one only in
probabilities (the networks' outputs, uncertain facts) is neither grounded nor compiled
again.
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nesy.errors import InputError, NesyError
from symbolic import (
    Explanation,
    Fact,
    FactTable,
    Parameter,
    Program,
    Source,
    Term,
    format_term,
    parse_term,
)

from ._bundle import Bundle, BundleError, check_case
from ._decision import Decision, GroundedFact, decide_label

__all__ = ["Engine", "repair_audit_log", "train_bundle"]

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
        external = bundle.record_predicates()
        if self.mapping is not None:
            for predicate, arity in self.mapping.arities().items():
                if external.get(predicate, arity) != arity:
                    raise BundleError(f"predicate {predicate} is both a record field and a "
                                      "knowledge predicate with another arity")
                external[predicate] = arity
        text = bundle.rules_text()
        self.program = Program.from_files(bundle.rule_files, external=external)
        self._entities: dict[str, list[tuple[Term, float | None, dict[str, Any]]]] = {}
        # the graph's facts that come with every case ([knowledge] entities): read and
        # encoded once, merged with each case's own facts (_fact_table)
        self._shared = _Shared.of(self.program, map(_knowledge_fact, self.mapping.shared_facts(
            self.kg)) if self.mapping is not None else ())
        self.queries = [f"{bundle.decision.query}({label})" for label in bundle.decision.labels]
        self._query = dict(zip(bundle.decision.labels, self.queries, strict=True))  # by label
        self.networks = self._load_networks(train)
        self.audit_log = Path(audit_log) if audit_log else bundle.audit_log
        if self.audit_log is not None:
            repair_audit_log(self.audit_log)
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

        if train and self.bundle.untrained():
            self.train()
        networks = {}
        for name, spec in self.bundle.networks.items():
            if not spec.metadata.is_file():
                raise BundleError(f"the model of network {name} is missing: "
                                  f"{spec.metadata} (run nesy train)")
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
        """Decide cases together: the same decisions as one by one, faster.

        Each network reads its inputs of all the cases in one forward pass; cases whose
        facts have the same atoms share one compiled circuit, evaluated for all of them
        at once. A bad case is an :class:`InputError` naming it (``cases[3].record.age``)
        and nothing is decided.
        """
        start = time.perf_counter()
        checked = []
        for i, case in enumerate(cases):
            try:
                checked.append(self._check(case))
            except InputError as exc:
                if len(cases) == 1:
                    raise
                raise _in_batch(exc, i) from exc
        self._validate([case.record for case in checked])
        check_ms = _per_case(start, len(cases))
        start = time.perf_counter()
        neural = self._neural(checked)
        neural_ms = _per_case(start, len(cases))
        return self._decide_all(checked, neural, {"check": check_ms, "neural": neural_ms})

    def decide_given(self, record: Mapping[str, Any],
                     inputs: Mapping[str, Mapping[str, float]],
                     knowledge: Mapping[Any, float | None] | None = None,
                     case_id: str = "given") -> Decision:
        """Decide from what the networks (and the graph) would say, without running them.

        ``inputs`` gives each input's class probabilities, by the labels of its network's
        domain (``{"fna": {"malignant": 0.9, "benign": 0.1}}``; a label left out has
        probability 0). ``knowledge``, when given, is all of the case's knowledge-graph
        facts (``{"high_risk_factor(f1)": 1.0}``): the graph is not read. Rule tests and
        what-if questions use this; the record is checked as in :meth:`decide`.
        """
        start = time.perf_counter()
        checked, neural = self._given(record, inputs, knowledge, case_id)
        timing = {"check": _per_case(start, 1), "neural": 0.0}
        return self._decide_all([checked], [neural], timing)[0]

    def what_if_facts(self, decision: Decision, limit: int = 5) -> list[GroundedFact]:
        """The most influential facts of ``decision`` that :meth:`what_if` can change.

        Network outputs, graph facts and true/false record fields, by influence; of an
        input read by a two-class network one class only (the other is its complement).
        """
        facts = {fact.fact: fact for fact in decision.facts}
        bools = {spec.predicate for spec in self.bundle.record.values() if spec.type == "bool"}
        pairs = {network for network, spec in self.bundle.networks.items()
                 if spec.domain is not None and len(spec.domain) == 2}
        chosen: list[GroundedFact] = []
        inputs = set()
        influence = decision.explanation.influence if decision.explanation else ()
        for item in influence:
            fact = facts.get(item.fact)
            if fact is None:
                continue
            kind = fact.source.get("kind")
            if kind == "neural" and fact.source.get("model") in pairs:
                if fact.source.get("input") in inputs:
                    continue
                inputs.add(fact.source.get("input"))
            if kind in ("neural", "knowledge") or (
                    kind == "case" and fact.fact.split("(", 1)[0] in bools):
                chosen.append(fact)
            if len(chosen) == limit:
                break
        return chosen

    def what_if(self, decision: Decision, record: Mapping[str, Any] | None,
                changes: Mapping[str, float]) -> Decision:
        """The decision again with some of its facts' probabilities changed: what if...?

        ``changes`` maps facts of ``decision.facts`` to new probabilities
        (``{"cytology(fna,malignant)": 0.3}``, ``{"has_risk_factor(p004,f1)": 1.0}``,
        ``{"family_history(case)": 0.5}``); every other fact keeps the probability it has in
        ``decision``. No network runs and the graph is not read: the networks' outputs and
        the graph's facts are given as in :meth:`decide_given`, so the case's compiled
        circuit is only evaluated again (about a millisecond with the explanation).
        ``record`` is the case's record (None: rebuilt from the decision's record facts).

        A network's classes for one input are one distribution (an annotated disjunction):
        the classes changed take their new values and the input's other classes are scaled
        in proportion to fill what is left, ``1 - sum(changed)``, so the input's
        probabilities still add up to 1 (malignant 0.7, benign 0.3; malignant to 0.9: benign
        0.1). Other classes with no probability left share it equally; classes the
        decision's facts do not list (the rules did not use them for this case) are taken to
        share the input's missing mass equally before that. A network read as an
        independent fact is not renormalised. A boolean record fact takes any probability
        (an uncertain answer); other record facts change through ``record``.

        The facts keep their provenance; a changed one adds ``"what_if": {"was": p}``. What-if
        decisions are not written to the audit log: they are questions, not decisions.
        An unknown fact or a probability outside [0,1] is an :class:`InputError` naming it.
        """
        start = time.perf_counter()
        facts = {fact.fact: fact for fact in decision.facts}
        if not isinstance(changes, Mapping):
            raise InputError("changes are a mapping {fact: probability}", field="changes")
        for name, value in changes.items():
            if name not in facts:
                raise InputError(f"{name!r} is not a fact of the decision on "
                                 f"{decision.case}", field=f"changes[{name!r}]")
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0.0 <= value <= 1.0):
                raise InputError(f"a probability is a number in [0,1], not {value!r}",
                                 field=f"changes[{name!r}]")
        if record is None:
            record = {fact.source["field"]: fact.source["value"] for fact in decision.facts
                      if fact.source.get("kind") == "case" and "field" in fact.source}
        record = dict(record)
        knowledge: dict[str, float] = {}
        uncertain: dict[Term, float] = {}
        neural: dict[str, dict[str, float]] = {name: {} for name in self.bundle.inputs}
        neural_facts: dict[tuple[str, str], str] = {}  # (input, class) -> fact
        for fact in decision.facts:
            kind = fact.source.get("kind")
            if kind == "neural":
                read = str(fact.source.get("input", "")).rsplit("/", 1)[-1]
                label = str(fact.source.get("class"))
                neural.setdefault(read, {})[label] = fact.probability
                neural_facts[(read, label)] = fact.fact
            elif kind == "knowledge":
                knowledge[fact.fact] = float(changes.get(fact.fact, fact.probability))
            elif fact.fact in changes:
                field = str(fact.source.get("field", ""))
                record_spec = self.bundle.record.get(field)
                if kind != "case" or record_spec is None or record_spec.type != "bool":
                    what = f"the record field {field!r}" if record_spec else f"a {kind} fact"
                    raise InputError(f"{fact.fact} comes from {what}: only network outputs, "
                                     "graph facts and true/false record fields take a "
                                     "probability", field=f"changes[{fact.fact!r}]")
                value = float(changes[fact.fact])
                record[field] = value >= 0.5
                uncertain[Term(record_spec.predicate, "case")] = value
        inputs = {read: self._what_if_input(read, given, {
            label: float(changes[name]) for (where, label), name in neural_facts.items()
            if where == read and name in changes}) for read, given in neural.items()}
        checked, (weights, neural_sources) = self._given(
            record, inputs, knowledge if self.mapping is not None else None, decision.case)
        checked.facts.update(uncertain)

        def provenance(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
            original = facts.get(name)
            found = dict(original.source) if original is not None else dict(given)
            if name in changes and original is not None:
                found["what_if"] = {"was": original.probability}
            return found

        for name in checked.sources:
            checked.sources[name] = provenance(name, checked.sources[name])
        for (read, label), name in neural_facts.items():
            spec = self.bundle.inputs.get(read)
            key = _neural_key(spec.network, read, label) if spec else ""
            if key in neural_sources:
                neural_sources[key] = provenance(name, neural_sources[key])
        timing = {"check": _per_case(start, 1), "neural": 0.0}
        return self._decide_all([checked], [(weights, neural_sources)], timing,
                                audit=False)[0]

    def _what_if_input(self, read: str, given: Mapping[str, float],
                       changed: Mapping[str, float]) -> dict[str, float]:
        """One input's class probabilities after ``changed`` (see :meth:`what_if`)."""
        spec = self.bundle.inputs.get(read)
        if spec is None:
            return dict(given)
        network = self.networks[spec.network]
        labels = [str(label) for label in network.domain]
        found = {label: float(given[label]) for label in labels if label in given}
        if network.independent:
            return {**found, **changed}
        missing = [label for label in labels if label not in found]
        if missing:
            share = max(0.0, 1.0 - sum(found.values())) / len(missing)
            found.update(dict.fromkeys(missing, share))
        if not changed:
            return found
        left = 1.0 - sum(changed.values())
        if left < -1e-9:
            raise InputError(f"the classes of input {read!r} would add up to "
                             f"{1.0 - left:.6g}, more than 1",
                             field=f"changes[{next(iter(changed))!r}]")
        others = [label for label in labels if label not in changed]
        mass = sum(found[label] for label in others)
        for label in others:
            share = found[label] / mass if mass > 0 else 1.0 / len(others)
            found[label] = min(1.0, max(0.0, share * max(0.0, left)))
        return {**found, **changed}

    def query_given(self, queries: Sequence[str], record: Mapping[str, Any],
                    inputs: Mapping[str, Mapping[str, float]],
                    knowledge: Mapping[Any, float | None] | None = None
                    ) -> dict[str, float]:
        """The probabilities of any queries of the rules, given as in :meth:`decide_given`."""
        checked, neural = self._given(record, inputs, knowledge, "given")
        table = self._fact_table(checked)
        compiled = self.program.compile(list(queries), facts=table)
        weights, _ = self._neural_weights(self._neural_parameters(compiled.parameters), neural)
        return compiled.evaluate(table.weights(weights, compiled.names))

    def explain_given(self, query: str, record: Mapping[str, Any],
                      inputs: Mapping[str, Mapping[str, float]],
                      knowledge: Mapping[Any, float | None] | None = None) -> Explanation:
        """Why any ground query of the rules holds, given as in :meth:`decide_given`.

        The proofs, influence and why-not of a decision's explanation, for a query that
        is not the decision (``sum_is(prime)`` beside the digits' sum); the leaves name
        their sources as a decision's do: a graph fact its triple, a network its class.
        """
        checked, neural = self._given(record, inputs, knowledge, "given")
        table = self._fact_table(checked)
        compiled = self.program.compile([query], facts=table)
        weights, sources = self._neural_weights(self._neural_parameters(compiled.parameters),
                                                neural)
        return _with_sources(self.program.explain(query, k=self.k, facts=table,
                                                  weights=weights, strict=False),
                             {**checked.sources, **sources})

    def _given(self, record: Mapping[str, Any], inputs: Mapping[str, Mapping[str, float]],
               knowledge: Mapping[Any, float | None] | None, case_id: str
               ) -> tuple[_Case, tuple[dict[str, float], dict[str, dict[str, Any]]]]:
        if not isinstance(record, Mapping):
            raise InputError("the record is a mapping {field: value}", field="record")
        checked = self._check({"id": case_id, "record": dict(record)}, knowledge=knowledge,
                              with_inputs=False)
        self._validate([checked.record])
        return checked, self._given_neural(case_id, inputs)

    # -- checking a case

    def _check(self, case: Mapping[str, Any],
               knowledge: Mapping[Any, float | None] | None = None,
               with_inputs: bool = True) -> _Case:
        case_id, inputs, record = check_case(case)
        if with_inputs:
            _known(inputs, self.bundle.inputs, "input", "inputs")
            for name in self.bundle.inputs:
                if name not in inputs:
                    raise InputError(f"the input {name!r} is missing", field=f"inputs.{name}")
        facts: dict[Term, float | None] = {}
        sources: dict[str, dict[str, Any]] = {}
        entities = []
        _known(record, self.bundle.record, "record field", "record")
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
        if knowledge is not None:
            self._given_knowledge(knowledge, facts, sources)
        else:
            for name, entity in entities:
                for term, probability, source in self._entity_facts(name, entity):
                    facts.setdefault(term, probability)
                    sources.setdefault(format_term(term), source)
            for fact_name, source in self._shared.sources.items():
                sources.setdefault(fact_name, source)
        arrays = {}
        if with_inputs:
            arrays = {name: _input_array(inputs[name], spec.shape, f"inputs.{name}")
                      for name, spec in self.bundle.inputs.items()}
        return _Case(case_id, arrays, facts, sources, dict(record),
                     shared=knowledge is None and bool(self._shared.facts))

    def _fact_table(self, case: _Case) -> FactTable:
        """The case's facts, with those every case shares (encoded once) where it has them."""
        table = self.program.fact_table(case.facts)
        return table.merged(self._shared.table) if case.shared else table

    def _entity_facts(self, field: str, entity: str) -> list[tuple[Term, float | None,
                                                                     dict[str, Any]]]:
        """The graph's facts about an entity (cached: the graph does not change)."""
        if self.kg is None or self.mapping is None:
            return []
        cached = self._entities.get(entity)
        if cached is not None:
            return cached
        try:
            iri = self.mapping.table.iri(entity)
        except NesyError as exc:
            raise InputError(str(exc), field=f"record.{field}") from exc
        if next(iter(self.kg.quads(iri, None, None, None)), None) is None:
            raise InputError(f"unknown entity {entity!r}: the knowledge graph says "
                             "nothing about it", field=f"record.{field}")
        found = [_knowledge_fact(fact) for fact in self.mapping.facts(self.kg, [iri])]
        with self._lock:
            if len(self._entities) >= _ENTITY_CACHE:
                self._entities.pop(next(iter(self._entities)))
            self._entities[entity] = found
        return found

    def _given_knowledge(self, knowledge: Mapping[Any, float | None],
                         facts: dict[Term, float | None],
                         sources: dict[str, dict[str, Any]]) -> None:
        if not isinstance(knowledge, Mapping):
            raise InputError("knowledge is a mapping {atom: probability}", field="knowledge")
        arities = self.mapping.arities() if self.mapping is not None else {}
        for atom, probability in knowledge.items():
            term = atom if isinstance(atom, Term) else parse_term(str(atom))
            name = format_term(term)
            if arities.get(term.functor) != len(term.args):
                raise InputError(f"{name} is not a fact of a knowledge predicate (known: "
                                 f"{', '.join(f'{p}/{a}' for p, a in arities.items()) or 'none'}"
                                 ")", field=f"knowledge[{name!r}]")
            facts[term] = probability
            sources[name] = {"kind": "knowledge", "given": True}

    def _validate(self, records: list[dict[str, Any]]) -> None:
        """The bundle's SHACL shapes over each record (InputError naming the first bad one)."""
        if self.shapes is None:
            return
        for i, record in enumerate(records):
            try:
                self.shapes.check(self._record_triples(record))
            except InputError as exc:
                if len(records) == 1:
                    raise
                raise _in_batch(exc, i) from exc

    def _record_triples(self, record: Mapping[str, Any]) -> list[tuple[Any, Any, Any]]:
        """The record as RDF for the SHACL shapes: one node ``ex:case``, a property a field.

        ``ex:`` is the namespace of the bundle's default prefix; entity fields are the
        IRIs of their graph nodes, other values typed literals (see the clinic's shapes).
        """
        from rdflib import BNode, Literal, URIRef

        namespace = self.mapping.table.default if self.mapping is not None else None
        namespace = namespace or "urn:nesy:record#"
        node = URIRef(f"{namespace}case")
        triples: list[tuple[Any, Any, Any]] = []
        for name, value in record.items():
            spec = self.bundle.record.get(name)
            obj: Any
            if spec is not None and spec.type == "entity" and self.mapping is not None:
                try:
                    found = self.mapping.table.iri(str(value))
                except NesyError as exc:
                    raise InputError(str(exc), field=f"record.{name}") from exc
                is_blank = type(found).__name__ == "BlankNode"
                obj = BNode(found.value) if is_blank else URIRef(found.value)
            else:
                obj = Literal(value)
            triples.append((node, URIRef(f"{namespace}{name}"), obj))
        return triples

    # -- the networks

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
            facts = network.facts(batch)
            for i, neural_facts in enumerate(facts):
                for label, probability in neural_facts.probabilities.items():
                    key = _neural_key(spec.network, name, str(label))
                    results[i][0][key] = float(probability)
                    results[i][1][key] = _neural_source(spec.network, network.version,
                                                        checked[i].id, name, str(label))
        return results

    def _given_neural(self, case_id: str, inputs: Mapping[str, Mapping[str, float]]
                      ) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
        if not isinstance(inputs, Mapping):
            raise InputError("inputs are a mapping {input: {label: probability}}",
                             field="inputs")
        weights: dict[str, float] = {}
        sources: dict[str, dict[str, Any]] = {}
        _known(inputs, self.bundle.inputs, "input", "inputs")
        for name, spec in self.bundle.inputs.items():
            given = inputs.get(name)
            if not isinstance(given, Mapping):
                raise InputError(f"give the probabilities of input {name!r} by label",
                                 field=f"inputs.{name}")
            network = self.networks[spec.network]
            labels = [str(label) for label in network.domain]
            for label in given:
                if str(label) not in labels:
                    raise InputError(f"{label!r} is not a label of network {spec.network} "
                                     f"(labels: {', '.join(labels)})",
                                     field=f"inputs.{name}.{label}")
            for label in labels:
                value = given.get(label, 0.0)
                if isinstance(value, bool) or not isinstance(value, int | float) or not (
                        0.0 <= value <= 1.0):
                    raise InputError(f"a probability is a number in [0,1], not {value!r}",
                                     field=f"inputs.{name}.{label}")
                key = _neural_key(spec.network, name, label)
                weights[key] = float(value)
                sources[key] = {**_neural_source(spec.network, network.version, case_id, name,
                                                 label), "given": True}
        return weights, sources

    # -- reasoning

    def _decide_all(self, checked: list[_Case],
                    neural: list[tuple[dict[str, float], dict[str, dict[str, Any]]]],
                    timing: dict[str, float], audit: bool = True) -> list[Decision]:
        """Label probabilities per group of cases sharing a circuit, then the explanations."""
        grounding = inference = 0.0
        start = time.perf_counter()
        tables = [self._fact_table(case) for case in checked]
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, table in enumerate(tables):
            groups.setdefault(table.structure, []).append(i)
        weights: list[dict[str, float]] = [{} for _ in checked]
        sources: list[dict[str, dict[str, Any]]] = [{} for _ in checked]
        by_label: list[dict[str, float]] = [{} for _ in checked]
        for members in groups.values():
            # grounding and compiling: once per structure, a cache look-up afterwards
            compiled = self.program.compile(self.queries, facts=tables[members[0]])
            grounding += time.perf_counter() - start
            start = time.perf_counter()
            parameters = self._neural_parameters(compiled.parameters)
            for i in members:
                weights[i], found = self._neural_weights(parameters, neural[i])
                sources[i] = {**checked[i].sources, **found}
            values = compiled.evaluate_many([tables[i].weights(weights[i], compiled.names)
                                             for i in members])
            for i, row in zip(members, values, strict=True):
                by_label[i] = {label: row.get(query, 0.0)
                               for label, query in self._query.items()}
            inference += time.perf_counter() - start
            start = time.perf_counter()
        count = max(1, len(checked))
        timing = {**timing, "grounding": grounding * 1000 / count,
                  "inference": inference * 1000 / count}
        return [self._explained(case, table, weights[i], sources[i], by_label[i], timing,
                                audit)
                for i, (case, table) in enumerate(zip(checked, tables, strict=True))]

    def _explained(self, case: _Case, table: FactTable, weights: dict[str, float],
                   sources: dict[str, dict[str, Any]], by_label: dict[str, float],
                   timing: dict[str, float], audit: bool = True) -> Decision:
        decided, probability, abstained = decide_label(self.bundle.decision, by_label)
        start = time.perf_counter()
        explanation = _with_sources(
            self.program.explain(self._query[decided], k=self.k, facts=table,
                                 weights=weights, strict=False), sources)
        # the most probable other label, the first in the bundle's order on a tie
        runner_up = max((label for label in self.bundle.decision.labels if label != decided),
                        key=by_label.__getitem__, default=None)
        why_not = None
        if runner_up is not None:
            why_not = self.program.why_not(self._query[runner_up], facts=table,
                                           weights=weights, strict=False)
        explain_ms = (time.perf_counter() - start) * 1000
        names = [format_term(term) for term in case.facts]
        grounded = tuple(GroundedFact(name, 1.0 if p is None else p,
                                      sources.get(name, {"kind": "case"}))
                         for name, p in zip(names, case.facts.values(), strict=True))
        if case.shared:
            own = set(names)
            grounded += tuple(fact for fact in self._shared.facts if fact.fact not in own)
        grounded += tuple(GroundedFact(name, weights[name], sources[name]) for name in weights)
        decision = Decision(
            case=case.id, label=None if abstained else decided, probability=probability,
            abstained=abstained, alternatives=by_label, facts=grounded,
            explanation=explanation, why_not=why_not, versions=self.versions,
            timing_ms={name: round(value, 3) for name, value in
                       {**timing, "explanation": explain_ms}.items()},
            decided=decided)
        if audit and self.audit_log is not None:
            self._audit(decision)
        return decision

    def _neural_parameters(self, parameters: Iterable[Parameter]) -> list[tuple[str, str]]:
        """The neural ones of a circuit's parameters: (name, which network output weighs it).

        Worked out once per circuit of a batch, then looked up for each of its cases.
        """
        return [(parameter.name, self._neural_key(parameter)) for parameter in parameters
                if parameter.net is not None]

    @staticmethod
    def _neural_weights(parameters: Sequence[tuple[str, str]],
                        neural: tuple[dict[str, float], dict[str, dict[str, Any]]]
                        ) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
        """The weights and sources of a case's neural parameters (:meth:`_neural_parameters`)
        from its networks' outputs (:meth:`_neural`, :meth:`_given_neural`)."""
        outputs, provenance = neural
        weights: dict[str, float] = {}
        sources: dict[str, dict[str, Any]] = {}
        for name, key in parameters:
            if key not in outputs:
                raise BundleError(f"the rules' neural predicate {name} reads no input "
                                  "of the bundle")
            weights[name] = outputs[key]
            sources[name] = provenance[key]
        return weights, sources

    def _neural_key(self, parameter: Parameter) -> str:
        """Which network output weighs a neural parameter: network, input, class."""
        spec = self.bundle.networks.get(parameter.net or "")
        label = spec.domain[parameter.head - 1] if spec and spec.domain else \
            str(parameter.head - 1)
        read = parameter.inputs[0] if parameter.inputs else ""
        return _neural_key(parameter.net or "", read, str(label))

    def _audit(self, decision: Decision) -> None:
        """Append one JSON line with a single write.

        Appends from several engines or processes never interleave (``O_APPEND``, one
        ``write``). A process killed inside that write can leave the end of its line
        unwritten; the next engine that opens the log cuts that torn tail
        (:func:`repair_audit_log`), so the log holds whole lines only.
        """
        assert self.audit_log is not None
        line = (json.dumps(decision.to_dict(), separators=(",", ":")) + "\n").encode()
        with self._lock:
            fd = os.open(self.audit_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def repair_audit_log(path: Path) -> int:
    """Cut a torn last line off an audit log (moved to ``<log>.torn``); its byte count.

    Only a process killed inside its write leaves one; every earlier line is whole.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with open(path, "rb+") as log:
        log.seek(size - 1)
        if log.read(1) == b"\n":
            return 0
        end = size
        while end > 0:  # back to the last newline, a block at a time
            start = max(0, end - 65536)
            log.seek(start)
            found = log.read(end - start).rfind(b"\n")
            if found >= 0:
                end = start + found + 1
                break
            end = start
        log.seek(end)
        torn = log.read()
        with open(path.with_name(path.name + ".torn"), "ab") as kept:
            kept.write(torn + b"\n")
        log.truncate(end)
    return len(torn)


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
    record: dict[str, Any]
    shared: bool = False  # the facts every case shares come with it (Engine._shared)


@dataclass(frozen=True)
class _Shared:
    """The graph's facts that come with every case: encoded and formatted once."""

    table: FactTable
    sources: dict[str, dict[str, Any]]
    facts: tuple[GroundedFact, ...]

    @classmethod
    def of(cls, program: Program,
           facts: Iterable[tuple[Term, float | None, dict[str, Any]]]) -> _Shared:
        found: dict[str, tuple[Term, float | None, dict[str, Any]]] = {}
        for term, probability, source in facts:
            found.setdefault(format_term(term), (term, probability, source))
        return cls(program.fact_table({term: p for term, p, _ in found.values()}),
                   {name: source for name, (_, _, source) in found.items()},
                   tuple(GroundedFact(name, 1.0 if p is None else p, source)
                         for name, (_, p, source) in found.items()))


_ENTITY_CACHE = 10_000  # entities whose graph facts an engine keeps


def _knowledge_fact(fact: Any) -> tuple[Term, float | None, dict[str, Any]]:
    """A graph's fact as an external fact of the rules, with its triple as the source."""
    term = Term(fact.predicate, *[str(a) if isinstance(a, str) else a for a in fact.args])
    return term, fact.probability, {"kind": "knowledge", "triple": list(fact.triple),
                                    "graph": fact.graph, "inferred": fact.inferred}


def _neural_key(network: str, read: str, label: str) -> str:
    return f"{network}\x00{read}\x00{label}"


def _neural_source(network: str, version: str, case_id: str, read: str,
                   label: str) -> dict[str, Any]:
    """Where a network output comes from: the model and version, the case's input, the class."""
    return {"kind": "neural", "model": network, "version": version,
            "input": f"{case_id}/{read}", "class": label}


def _known(given: Iterable[str], known: Mapping[str, Any], what: str, prefix: str) -> None:
    """An :class:`InputError` for the first name of ``given`` that ``known`` lacks."""
    for name in given:
        if name not in known:
            raise InputError(f"unknown {what} {name!r} (known: {', '.join(known) or 'none'})",
                             field=f"{prefix}.{name}")


def _per_case(start: float, count: int) -> float:
    """Milliseconds since ``start``, shared among ``count`` cases."""
    return (time.perf_counter() - start) * 1000 / max(1, count)


def _in_batch(error: InputError, index: int) -> InputError:
    """The error of one case of a batch, its field prefixed by the case's place."""
    return error.with_field(f"cases[{index}]" + (f".{error.field}" if error.field else ""))


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

