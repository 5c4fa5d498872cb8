"""From RDF to logic facts: a declarative mapping, readable atoms, literal values.

The mapping is the ``[knowledge]`` table of a bundle's ``bundle.toml``::

    [knowledge]
    default_prefix = "ex"          # IRIs of this namespace become their local name
    hops = 2                       # how far from a case's entities facts are pulled
    confidence = "ex:confidence"   # the property that gives a triple a probability
    entities = ["guideline"]       # facts that come with every case: of these entities
                                   # (within hops), or "all": every mapped fact

    [knowledge.prefixes]
    ex = "http://example.org/clinic#"

    [knowledge.predicates]
    has_finding = "ex:hasFinding"             # a property: has_finding/2
    smoker = { class = "ex:Smoker" }          # a class: smoker/1
    age = { property = "ex:age" }             # the long form of a property

IRIs become atoms and map back exactly (:class:`AtomTable`); literals become numbers,
``true``/``false`` or strings (:class:`String`) by datatype, a plain literal and an
``xsd:string`` being the same. A triple with a confidence — an RDF 1.2 annotation
(``ex:a ex:p ex:b {| ex:confidence 0.8 |}``) or a reified ``rdf:Statement`` with the
confidence property — becomes a probabilistic fact.

Besides the facts about a case's own entities (:meth:`KnowledgeMapping.facts`), a bundle
can give every case the same facts (:meth:`KnowledgeMapping.shared_facts`): those of a
few fixed entities, or of the whole graph when it is small (``entities = "all"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from nesy.errors import KnowledgeError

from ._graph import INFERRED, KnowledgeGraph

__all__ = ["ALL", "AtomTable", "KnowledgeFact", "KnowledgeMapping", "PredicateMap", "String"]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE = ox.NamedNode(RDF + "type")
_REIFIES = ox.NamedNode(RDF + "reifies")
_SUBJECT = ox.NamedNode(RDF + "subject")
_PREDICATE = ox.NamedNode(RDF + "predicate")
_OBJECT = ox.NamedNode(RDF + "object")
_INTEGERS = {XSD + name for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte")}
_FLOATS = {XSD + "decimal", XSD + "double", XSD + "float"}
_PREDICATE_NAME = re.compile(r"[a-z][A-Za-z0-9_]*$")
#: ``entities = "all"``: every mapped fact of the graph comes with every case.
ALL = "all"


class String(str):
    """A string literal (as opposed to an atom, which is a plain ``str``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"String({str(self)!r})"


Value = str | int | float | String


@dataclass(frozen=True)
class KnowledgeFact:
    """A logic fact read from the graph, with the triple and graph it came from.

    ``probability`` is None for a plain triple, the confidence for an annotated one.
    """

    predicate: str
    args: tuple[Value, ...]
    probability: float | None
    triple: tuple[str, str, str]
    graph: str

    @property
    def inferred(self) -> bool:
        return self.graph == INFERRED

    def to_dict(self) -> dict[str, Any]:
        return {"predicate": self.predicate, "args": [_json_value(a) for a in self.args],
                "probability": self.probability, "triple": list(self.triple),
                "graph": self.graph, "inferred": self.inferred}


def _json_value(value: Value) -> Any:
    return str(value) if isinstance(value, String) else value


@dataclass(frozen=True)
class PredicateMap:
    """One mapping entry: a property to ``predicate/2`` or a class to ``predicate/1``."""

    predicate: str
    iri: str
    kind: str  # "property" | "class"

    @property
    def arity(self) -> int:
        return 2 if self.kind == "property" else 1


class AtomTable:
    """IRIs to readable atoms and back, exactly.

    An IRI of the default namespace becomes its local name (``ann``); of another
    declared prefix, ``prefix:local``; any other IRI ``<iri>``; a blank node ``_:id``.

    >>> table = AtomTable({"ex": "http://example.org/", "snomed": "http://snomed.info/id/"}, "ex")
    >>> table.atom(ox.NamedNode("http://example.org/ann"))
    'ann'
    >>> table.atom(ox.NamedNode("http://snomed.info/id/254837009"))
    'snomed:254837009'
    >>> table.iri("snomed:254837009")
    <NamedNode value=http://snomed.info/id/254837009>
    """

    def __init__(self, prefixes: Mapping[str, str], default: str | None = None) -> None:
        self.prefixes = dict(prefixes)
        if default is not None and default not in self.prefixes:
            raise KnowledgeError(f"the default prefix {default!r} is not declared in "
                                 "[knowledge.prefixes]")
        self.default = self.prefixes.get(default) if default else None
        # longest namespace first, so that nested namespaces pick the most specific
        self._namespaces = sorted(((ns, p) for p, ns in self.prefixes.items()),
                                  key=lambda item: -len(item[0]))

    def atom(self, term: ox.NamedNode | ox.BlankNode) -> str:
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        if not isinstance(term, ox.NamedNode):
            raise KnowledgeError(f"{term} is not an IRI or a blank node: it has no atom")
        iri = term.value
        if self.default and iri.startswith(self.default):
            local = iri[len(self.default):]
            if local and ":" not in local and not local.startswith(("<", "_")):
                return local
        for namespace, prefix in self._namespaces:
            if iri.startswith(namespace) and iri != namespace:
                return f"{prefix}:{iri[len(namespace):]}"
        return f"<{iri}>"

    def iri(self, atom: str) -> ox.NamedNode | ox.BlankNode:
        """The IRI (or blank node) an atom stands for; :class:`KnowledgeError` if none."""
        try:
            if atom.startswith("_:"):
                return ox.BlankNode(atom[2:])
            if atom.startswith("<") and atom.endswith(">"):
                return ox.NamedNode(atom[1:-1])
            if ":" in atom:
                prefix, local = atom.split(":", 1)
                if prefix not in self.prefixes:
                    raise KnowledgeError(f"unknown prefix {prefix!r} in {atom!r} (declared: "
                                         f"{', '.join(sorted(self.prefixes)) or 'none'})")
                return ox.NamedNode(self.prefixes[prefix] + local)
            if self.default is None:
                raise KnowledgeError(f"{atom!r} names no IRI: there is no default prefix")
            return ox.NamedNode(self.default + atom)
        except ValueError as exc:
            raise KnowledgeError(f"{atom!r} does not stand for a valid IRI: {exc}") from exc

    def expand(self, name: str) -> str:
        """A prefixed name (``ex:hasFinding``) or ``<iri>`` to the full IRI."""
        if name.startswith("<") and name.endswith(">"):
            iri = name[1:-1]
        elif "://" in name or name.startswith("urn:"):
            iri = name
        else:
            prefix, sep, local = name.partition(":")
            if not sep or prefix not in self.prefixes:
                raise KnowledgeError(f"unknown prefix {prefix!r} in {name!r} (declared: "
                                     f"{', '.join(sorted(self.prefixes)) or 'none'})")
            iri = self.prefixes[prefix] + local
        try:
            return ox.NamedNode(iri).value
        except ValueError as exc:
            raise KnowledgeError(f"{name!r} does not stand for a valid IRI: {exc}") from exc

    def value(self, term: Any) -> Value:
        """A term as a logic value: atoms for IRIs, numbers, true/false, strings."""
        if isinstance(term, ox.NamedNode | ox.BlankNode):
            return self.atom(term)
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            try:
                if datatype in _INTEGERS:
                    return int(term.value)
                if datatype in _FLOATS:
                    number = float(term.value)
                    if math.isfinite(number):
                        return number
                if datatype == XSD + "boolean":
                    return "true" if term.value in ("true", "1") else "false"
            except ValueError:
                pass  # an ill-typed literal stays its text
            return String(term.value)
        raise KnowledgeError(f"{term} cannot become a logic value (an RDF 1.2 triple term?)")


@dataclass
class KnowledgeMapping:
    """Which properties and classes the rules see, and how far a case reaches.

    ``entities`` are the atoms whose facts come with every case (see
    :meth:`shared_facts`), or :data:`ALL` for every mapped fact of the graph.
    """

    table: AtomTable
    predicates: tuple[PredicateMap, ...]
    hops: int = 2
    confidence: str | None = None
    construct: str | None = None
    entities: tuple[str, ...] | str = ()
    # indexes of ``predicates``, built by __post_init__ (not parameters: ``replace`` rebuilds them)
    _by_property: dict[str, list[PredicateMap]] = field(default_factory=dict, init=False,
                                                         repr=False, compare=False)
    _by_class: dict[str, list[PredicateMap]] = field(default_factory=dict, init=False,
                                                      repr=False, compare=False)

    def __post_init__(self) -> None:
        arities: dict[str, int] = {}
        for entry in self.predicates:
            known = arities.setdefault(entry.predicate, entry.arity)
            if known != entry.arity:
                raise KnowledgeError(f"predicate {entry.predicate} is mapped with arity "
                                     f"{known} and {entry.arity}")
            target = self._by_property if entry.kind == "property" else self._by_class
            target.setdefault(entry.iri, []).append(entry)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], where: str = "bundle.toml") -> KnowledgeMapping:
        """Read the ``[knowledge]`` table of a bundle (see the module's docstring)."""
        prefixes = config.get("prefixes", {})
        if not isinstance(prefixes, Mapping) or not all(
                isinstance(v, str) for v in prefixes.values()):
            raise KnowledgeError(f"{where}: [knowledge.prefixes] maps names to IRIs")
        table = AtomTable(prefixes, config.get("default_prefix"))
        entries: list[PredicateMap] = []
        for predicate, spec in dict(config.get("predicates", {})).items():
            if not _PREDICATE_NAME.match(predicate):
                raise KnowledgeError(f"{where}: [knowledge.predicates] {predicate!r} is not a "
                                     "predicate name (lower case, letters, digits, _)")
            if isinstance(spec, str):
                entries.append(PredicateMap(predicate, table.expand(spec), "property"))
            elif isinstance(spec, Mapping) and set(spec) == {"class"}:
                entries.append(PredicateMap(predicate, table.expand(spec["class"]), "class"))
            elif isinstance(spec, Mapping) and set(spec) <= {"property", "arity"} \
                    and "property" in spec:
                if spec.get("arity", 2) != 2:
                    raise KnowledgeError(f"{where}: [knowledge.predicates] {predicate}: a "
                                         f"property maps to arity 2, not {spec['arity']}")
                entries.append(PredicateMap(predicate, table.expand(spec["property"]),
                                            "property"))
            else:
                raise KnowledgeError(f"{where}: [knowledge.predicates] {predicate} = {spec!r}: "
                                     'write "prefix:property" or { class = "prefix:Class" }')
        hops = config.get("hops", 2)
        if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
            raise KnowledgeError(f"{where}: [knowledge] hops must be a whole number, not "
                                 f"{hops!r}")
        confidence = config.get("confidence")
        construct = config.get("construct")
        return cls(table, tuple(entries), hops,
                   table.expand(confidence) if confidence else None,
                   construct if isinstance(construct, str) else None,
                   _entities(config.get("entities", ()), table, construct, where))

    def classes(self) -> list[str]:
        """The IRIs of the mapped classes."""
        return sorted({entry.iri for entry in self.predicates if entry.kind == "class"})

    def properties(self) -> list[str]:
        """The IRIs of the mapped properties."""
        return sorted({entry.iri for entry in self.predicates if entry.kind == "property"})

    def arities(self) -> dict[str, int]:
        return {entry.predicate: entry.arity for entry in self.predicates}

    def check_arities(self, used: Mapping[str, Iterable[int]]) -> None:
        """Fail when the rules use a mapped predicate with another arity."""
        for predicate, arity in self.arities().items():
            others = sorted(set(used.get(predicate, ())) - {arity})
            if others:
                raise KnowledgeError(f"predicate {predicate} is mapped to arity {arity} but the "
                                     f"rules use {predicate}/{others[0]}")

    # ------------------------------------------------------------------ facts

    def facts(self, kg: KnowledgeGraph, entities: Iterable[str | ox.NamedNode],
              hops: int | None = None) -> list[KnowledgeFact]:
        """The facts of the subgraph within ``hops`` mapped links of ``entities``.

        The mapped triples of every node at most ``hops`` links away, except links that
        lead further (``hops=0``: the entities' own classes, literal values and links
        among themselves).

        Entities are atoms (``ann``, ``ex:ann``) or IRIs. With a ``construct`` query in
        the mapping, its triples (``?entity`` bound to each entity) are used instead.
        """
        hops = self.hops if hops is None else hops
        start = [e if isinstance(e, ox.NamedNode) else self.table.iri(e) for e in entities]
        confidences = _Confidences(kg, self.confidence)
        facts: list[KnowledgeFact] = []
        if self.construct is not None:
            seen: set[tuple[Any, Any, Any]] = set()
            for entity in start:
                query = re.sub(r"\?entity\b", str(entity), self.construct)
                for triple in kg.construct(query):
                    quad = ox.Quad(triple.subject, triple.predicate, triple.object,
                                   ox.NamedNode("urn:nesy:construct"))
                    self._fact(quad, confidences, facts, seen)
            return facts
        seen_nodes: set[Any] = set(start)
        seen_triples: set[tuple[Any, Any, Any]] = set()
        frontier: list[Any] = list(start)
        for depth in range(hops + 1):
            next_frontier: list[Any] = []
            for node in frontier:
                # asserted triples, and those only reified with a confidence: the same radius
                for quad in [*kg.quads(node, None, None, None), *confidences.unasserted(node)]:
                    link = quad.predicate.value in self._by_property and isinstance(
                        quad.object, ox.NamedNode | ox.BlankNode)
                    if link and quad.object not in seen_nodes:
                        if depth == hops:
                            continue  # a link out of the radius
                        seen_nodes.add(quad.object)
                        next_frontier.append(quad.object)
                    self._fact(quad, confidences, facts, seen_triples)
            frontier = next_frontier
        return facts

    def shared_facts(self, kg: KnowledgeGraph) -> list[KnowledgeFact]:
        """The facts that come with every case, whatever its own entities.

        With ``entities`` a list of atoms: their facts within ``hops``, as :meth:`facts`
        gives them (an entity the graph says nothing about is a
        :class:`~nesy.errors.KnowledgeError`). With ``entities = "all"``: every mapped
        triple of the graph, asserted or inferred — for small graphs, such as an
        ontology of the numbers the rules reason about. An engine reads them once.

        >>> from knowledge import KnowledgeGraph
        >>> kg = KnowledgeGraph()
        >>> _ = kg.load_string('''@prefix ex: <http://example.org/> .
        ...     ex:two a ex:Prime ; ex:value 2 . ex:four ex:value 4 .''')
        >>> mapping = KnowledgeMapping.from_dict({
        ...     "prefixes": {"ex": "http://example.org/"}, "default_prefix": "ex",
        ...     "entities": "all",
        ...     "predicates": {"prime": {"class": "ex:Prime"}, "value": "ex:value"}})
        >>> sorted((f.predicate, f.args) for f in mapping.shared_facts(kg))
        [('prime', ('two',)), ('value', ('four', 4)), ('value', ('two', 2))]
        """
        if self.entities != ALL:
            for atom in self.entities:
                if next(iter(kg.quads(self.table.iri(atom), None, None, None)), None) is None:
                    raise KnowledgeError(f"[knowledge] entities: the knowledge graph says "
                                         f"nothing about {atom!r}")
            return self.facts(kg, list(self.entities)) if self.entities else []
        confidences = _Confidences(kg, self.confidence)
        facts: list[KnowledgeFact] = []
        seen: set[tuple[Any, Any, Any]] = set()
        for property_iri in sorted(self._by_property):
            for quad in kg.quads(None, ox.NamedNode(property_iri), None, None):
                self._fact(quad, confidences, facts, seen)
        for class_iri in sorted(self._by_class):
            for quad in kg.quads(None, _TYPE, ox.NamedNode(class_iri), None):
                self._fact(quad, confidences, facts, seen)
        for node in sorted(confidences.subjects, key=str):  # statements only reified
            for quad in confidences.unasserted(node):
                self._fact(quad, confidences, facts, seen)
        return facts

    def _fact(self, quad: Any, confidences: _Confidences, facts: list[KnowledgeFact],
              seen: set[tuple[Any, Any, Any]]) -> None:
        key = (quad.subject, quad.predicate, quad.object)
        if key in seen:
            return
        typed = quad.predicate == _TYPE and isinstance(quad.object, ox.NamedNode)
        entries = (self._by_class.get(quad.object.value, ()) if typed
                   else self._by_property.get(quad.predicate.value, ()))
        if not entries:
            return
        args: tuple[Value, ...] = ((self.table.atom(quad.subject),) if typed else
                                   (self.table.atom(quad.subject), self.table.value(quad.object)))
        seen.add(key)
        probability = confidences.get(key)
        triple = (str(quad.subject), str(quad.predicate), str(quad.object))
        graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        for entry in entries:
            facts.append(KnowledgeFact(entry.predicate, args, probability, triple, graph))


def _entities(value: Any, table: AtomTable, construct: Any,
              where: str) -> tuple[str, ...] | str:
    """The ``entities`` key: "all", or a list of atoms that stand for IRIs."""
    if value == ALL:
        if construct is not None:
            raise KnowledgeError(f'{where}: [knowledge] entities = "all" reads every mapped '
                                 "triple, which a construct query cannot select: list the "
                                 "entities instead")
        return ALL
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(
            isinstance(atom, str) and atom for atom in value):
        raise KnowledgeError(f'{where}: [knowledge] entities is "all" or a list of atoms '
                             f'(["guideline", "num:seven"]), not {value!r}')
    for atom in value:
        try:
            table.iri(atom)
        except KnowledgeError as exc:
            raise KnowledgeError(f"{where}: [knowledge] entities: {exc}") from exc
    return tuple(dict.fromkeys(value))


class _Confidences:
    """Confidence annotations: RDF 1.2 reifiers and reified rdf:Statements."""

    def __init__(self, kg: KnowledgeGraph, confidence: str | None) -> None:
        self.kg = kg
        self.property = ox.NamedNode(confidence) if confidence else None
        self.subjects = _annotated_subjects(kg) if self.property is not None else set()

    def get(self, key: tuple[Any, Any, Any]) -> float | None:
        subject, predicate, obj = key
        if subject not in self.subjects:
            return None
        reifiers = [q.subject for q in self.kg.quads(None, _REIFIES,
                                                     ox.Triple(subject, predicate, obj), None)]
        for statement in self.kg.quads(None, _SUBJECT, subject, None):
            node = statement.subject
            if any(True for _ in self.kg.quads(node, _PREDICATE, predicate, None)) and \
                    any(True for _ in self.kg.quads(node, _OBJECT, obj, None)):
                reifiers.append(node)
        for node in reifiers:
            for quad in self.kg.quads(node, self.property, None, None):
                return _probability(quad.object, key)
        return None

    def unasserted(self, node: Any) -> list[ox.Quad]:
        """Statements about ``node`` that exist only as annotated (reified) statements."""
        if node not in self.subjects:
            return []
        found = []
        for statement in self.kg.quads(None, _SUBJECT, node, None):
            reified = statement.subject
            if not any(True for _ in self.kg.quads(reified, self.property, None, None)):
                continue  # a reified statement is not asserted; only a confidence makes it so
            predicates = [q.object for q in self.kg.quads(reified, _PREDICATE, None, None)]
            objects = [q.object for q in self.kg.quads(reified, _OBJECT, None, None)]
            for predicate in predicates:
                for obj in objects:
                    if isinstance(predicate, ox.NamedNode):
                        found.append(ox.Quad(node, predicate, obj, statement.graph_name))
        return found


def _annotated_subjects(kg: KnowledgeGraph) -> set[Any]:
    """Subjects of annotated or reified statements; one scan per state of the graph."""

    def scan() -> set[Any]:
        subjects: set[Any] = set()
        for quad in kg.quads(None, _REIFIES, None, None):
            if isinstance(quad.object, ox.Triple):
                subjects.add(quad.object.subject)
        for quad in kg.quads(None, _SUBJECT, None, None):
            subjects.add(quad.object)
        return subjects

    return kg.derived("annotated subjects", scan)


def _probability(term: Any, key: tuple[Any, Any, Any]) -> float:
    try:
        value = float(term.value)
    except (AttributeError, ValueError) as exc:
        raise KnowledgeError(f"the confidence of {key[0]} {key[1]} {key[2]} is not a number: "
                             f"{term}") from exc
    if not 0.0 <= value <= 1.0:
        raise KnowledgeError(f"the confidence of {key[0]} {key[1]} {key[2]} is {value}, "
                             "outside [0,1]")
    return value
