"""SHACL Core shapes compiled to plain Python: pyshacl's results, in microseconds a record.

pyshacl builds a data graph, a shapes-graph wrapper and a report graph for every record it
checks, about a millisecond even for the clinic's three fields. The shapes of a
bundle use a small part of SHACL Core, which :func:`compile_shapes` turns once into checks
that read the record's triples directly.

The checks follow pyshacl's code rather than only the specification, so the two agree
result for result: which shapes there are and what they target, how each constraint
compares (an ill-typed ``"abc"^^xsd:integer`` fails ``sh:datatype xsd:integer``; values
that do not compare fail a range), and which results a failure produces. Shapes that use
anything else, or that pyshacl would reject, raise :class:`Unsupported`; the caller then
keeps pyshacl, which reports or raises as before.

Module layout: :class:`RecordIndex` (a record's triples), the constraint classes (each
``evaluate`` and the ``default_message`` pyshacl would write), :class:`CompiledShapes`,
and the compiler.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH
from rdflib.term import Node

__all__ = ["NUMERIC", "SUPPORTED", "CompiledShapes", "Hit", "NeedsPyshacl", "RecordIndex",
           "Unsupported", "compile_shapes", "pick_message"]

Triple = tuple[Node, Node, Node]

_SH = str(SH)
_EMPTY: dict[Node, None] = {}

#: The SHACL predicates the compiler understands; any other ``sh:`` predicate anywhere in the
#: shapes graph keeps pyshacl (sh:class, sh:node, sh:and/or/not/xone, sh:qualifiedValueShape,
#: sh:sparql, sh:equals/disjoint/lessThan, sh:target, sh:rule, ...).
SUPPORTED = frozenset({
    SH.targetNode, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf,
    SH.property, SH.path, SH.closed, SH.ignoredProperties, SH.deactivated, SH.severity,
    SH.message, SH.name, SH.description, SH.order, SH.group,
    SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind,
    SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive,
    SH.minLength, SH.maxLength, SH.pattern, SH.flags, SH["in"], SH.hasValue,
    SH.languageIn, SH.uniqueLang,
})
_SHAPE_TYPES = frozenset({SH.NodeShape, SH.PropertyShape})
_WHOLE_INTEGERS = frozenset({
    XSD.integer, XSD.int, XSD.long, XSD.negativeInteger, XSD.nonNegativeInteger,
    XSD.nonPositiveInteger, XSD.positiveInteger, XSD.short, XSD.unsignedByte, XSD.unsignedInt,
    XSD.unsignedLong, XSD.unsignedShort,
})
_MAX_DEPTH = 8  # nested sh:property; pyshacl stops at 15 levels of evaluation path
# terms the checks compare with, looked up once (a namespace attribute is a function call)
_RDF_TYPE, _RDF_LANGSTRING, _XSD_STRING = RDF.type, RDF.langString, XSD.string
_RDFS_RESOURCE, _RDFS_LITERAL, _RDFS_DATATYPE, _RDFS_SUBCLASSOF = \
    RDFS.Resource, RDFS.Literal, RDFS.Datatype, RDFS.subClassOf
#: rdflib compares literals of these datatypes by their Python values (``_NUMERIC_LITERAL_TYPES``
#: in rdflib.term; a test checks the two agree)
NUMERIC = frozenset({
    XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.byte, XSD.int, XSD.long,
    XSD.negativeInteger, XSD.nonNegativeInteger, XSD.nonPositiveInteger, XSD.positiveInteger,
    XSD.short, XSD.unsignedByte, XSD.unsignedInt, XSD.unsignedLong, XSD.unsignedShort,
})


class Unsupported(Exception):
    """The shapes use something outside the compiled subset (or that pyshacl rejects)."""


class NeedsPyshacl(Exception):
    """A default message would print a blank node of the record: only pyshacl knows how."""


class RecordIndex:
    """A record's triples by subject and predicate (duplicates collapse, as in a graph)."""

    __slots__ = ("_out",)

    def __init__(self, triples: Iterable[Triple]) -> None:
        out: dict[Node, dict[Node, dict[Node, None]]] = {}
        for s, p, o in triples:
            by_predicate = out.get(s)
            if by_predicate is None:
                out[s] = {p: {o: None}}
            else:
                objects = by_predicate.get(p)
                if objects is None:
                    by_predicate[p] = {o: None}
                else:
                    objects[o] = None
        self._out = out

    def objects(self, subject: Node, predicate: Node) -> Collection[Node]:
        by_predicate = self._out.get(subject)
        if by_predicate is None:
            return _EMPTY
        return by_predicate.get(predicate, _EMPTY)

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        for predicate, objects in self._out.get(subject, {}).items():
            for o in objects:
                yield predicate, o

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        for subject, by_predicate in self._out.items():
            for o in by_predicate.get(predicate, _EMPTY):
                yield subject, o

    def subjects(self, predicate: Node, o: Node) -> Iterator[Node]:
        for subject, by_predicate in self._out.items():
            if o in by_predicate.get(predicate, _EMPTY):
                yield subject


@dataclass(frozen=True)
class Hit:
    """One failed constraint, before its message is chosen or written."""

    shape: Shape
    constraint: Constraint
    focus: Node
    value: Node | None
    path: Node | None


class Text:
    """Nodes as pyshacl prints them in default messages: shape nodes by the shapes graph's
    prefixes, record nodes by the data graph's (made only when a message needs it)."""

    def __init__(self, shapes: Graph, data: Callable[[], Graph]) -> None:
        from pyshacl.rdfutil import stringify_node

        self._stringify = stringify_node
        self._shapes = shapes
        self._data = data
        self._graph: Graph | None = None

    def shapes(self, node: Node) -> str:
        return str(self._stringify(self._shapes, node))

    def data(self, node: Node) -> str:
        if isinstance(node, BNode):
            raise NeedsPyshacl(node)
        if self._graph is None:
            self._graph = self._data()
        return str(self._stringify(self._graph, node))


# ----------------------------------------------------------------------------- constraints


class Constraint:
    """A compiled constraint component of one shape."""

    __slots__ = ()

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        raise NotImplementedError

    def default_message(self, hit: Hit, text: Text) -> str:
        raise NotImplementedError


class _ValueTest(Constraint):
    """A constraint that tests each value node on its own: one result a value it rejects."""

    __slots__ = ()

    def accepts(self, v: Node) -> bool:
        raise NotImplementedError

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        for v in values:
            if not self.accepts(v):
                out.append(Hit(shape, self, focus, v, shape.path))


class _MinCount(Constraint):
    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        if len(values) < self.count:
            out.append(Hit(shape, self, focus, None, shape.path))

    def default_message(self, hit: Hit, text: Text) -> str:
        try:
            focus = text.data(hit.focus)
        except (LookupError, ValueError):
            focus = str(hit.focus)
        return f"Less than {self.count} values on {focus}->{text.shapes(hit.shape.node_path)}"


class _MaxCount(Constraint):
    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        if len(values) > self.count:
            out.append(Hit(shape, self, focus, None, shape.path))

    def default_message(self, hit: Hit, text: Text) -> str:
        return (f"More than {self.count} values on {text.data(hit.focus)}->"
                f"{text.shapes(hit.shape.node_path)}")


_PYTHON_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int,
    XSD.float: float, XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date,
    XSD.time: time, XSD.dateTime: datetime,
}


def _has_datatype(v: Node, rule: Node) -> bool:
    """pyshacl's sh:datatype test: the datatype's IRI, a well-typed lexical form, and the
    Python value rdflib made of it (for the datatypes pyshacl knows)."""
    if not isinstance(v, Literal):
        return False
    datatype = v.datatype
    if datatype == rule:
        if getattr(v, "ill_typed", None) is True:
            return False
    elif rule == _RDFS_LITERAL or (rule == _RDFS_DATATYPE and datatype):
        return True
    elif not ((datatype is None and v.language is None and rule == _XSD_STRING)
              or (rule == _RDF_LANGSTRING and v.language)):
        return False
    python_type = _PYTHON_TYPES.get(rule)
    return python_type is None or isinstance(v.value, python_type)


class _Datatype(_ValueTest):
    __slots__ = ("datatype",)

    def __init__(self, datatype: Node) -> None:
        self.datatype = datatype

    def accepts(self, v: Node) -> bool:
        return _has_datatype(v, self.datatype)

    def default_message(self, hit: Hit, text: Text) -> str:
        return f"Value is not Literal with datatype {text.shapes(self.datatype)}"


_KINDS: dict[type, frozenset[Node]] = {
    BNode: frozenset({SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI}),
    Literal: frozenset({SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral}),
    URIRef: frozenset({SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI}),
}


class _NodeKind(_ValueTest):
    __slots__ = ("kind",)

    def __init__(self, kind: Node) -> None:
        self.kind = kind

    def accepts(self, v: Node) -> bool:
        kinds = _KINDS[BNode] if isinstance(v, BNode) else \
            _KINDS[Literal] if isinstance(v, Literal) else _KINDS[URIRef]
        return self.kind in kinds

    def default_message(self, hit: Hit, text: Text) -> str:
        return f"Value is not of Node Kind {text.shapes(self.kind)}"


def _numeric(v: Literal) -> bool:
    """Whether rdflib compares the literal by its Python value (its numeric fast path)."""
    return v.datatype in NUMERIC and not v.ill_typed and v.value is not None


def _compare(v: Literal, bound: Literal) -> int:
    """pyshacl's ``compare_literal``: 0, 1 or -1, or TypeError when the two do not compare."""
    if v.eq(bound):
        return 0
    if v.value.__class__ in (datetime, time):  # rdflib would force an order on these
        if v.value == bound.value:
            return 0
        if v.value > bound.value:
            return 1
    elif v > bound:
        return 1
    return -1


_RANGES: dict[Node, tuple[str, Callable[[int], bool]]] = {
    SH.minExclusive: (">", lambda c: c > 0),
    SH.minInclusive: (">=", lambda c: c >= 0),
    SH.maxExclusive: ("<", lambda c: c < 0),
    SH.maxInclusive: ("<=", lambda c: c <= 0),
}


class _Range(Constraint):
    """sh:min/maxIn/Exclusive: one result a bound a value outside it (or not comparable)."""

    __slots__ = ("accept", "bounds", "operator")

    def __init__(self, parameter: Node, bounds: list[Literal]) -> None:
        self.operator, self.accept = _RANGES[parameter]
        self.bounds = [(bound, isinstance(bound.value, str), _numeric(bound))
                       for bound in bounds]

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        for bound, bound_is_string, bound_is_numeric in self.bounds:
            for v in values:
                if not self._inside(v, bound, bound_is_string, bound_is_numeric):
                    out.append(Hit(shape, self, focus, v, shape.path))

    def _inside(self, v: Node, bound: Literal, bound_is_string: bool,
                bound_is_numeric: bool) -> bool:
        if not isinstance(v, Literal):
            return False
        value = v.value
        if isinstance(value, str) != bound_is_string:
            return False
        if bound_is_numeric and _numeric(v):  # what rdflib's eq and > come to, without them
            order = 0 if value == bound.value else 1 if value > bound.value else -1
            return self.accept(order)
        try:
            return self.accept(_compare(v, bound))
        except (TypeError, NotImplementedError):
            return False

    def default_message(self, hit: Hit, text: Text) -> str:
        if len(self.bounds) < 2:
            return f"Value is not {self.operator} {text.shapes(self.bounds[0][0])}"
        bounds = ", ".join(text.shapes(bound) for bound, _, _ in self.bounds)
        return f"Value is not {self.operator} in ({bounds})"


def _string(v: Node) -> str:
    """The string a length or pattern constraint reads (pyshacl's ``value_node_to_string``)."""
    if isinstance(v, Literal) and v.value is not None \
            and v.datatype in (None, _RDF_LANGSTRING, _XSD_STRING):
        return str(v.value)
    return str(v)


class _Length(_ValueTest):
    __slots__ = ("length", "literal", "minimum")

    def __init__(self, literal: Literal, minimum: bool) -> None:
        self.literal = literal
        self.length: int = literal.value
        self.minimum = minimum

    def accepts(self, v: Node) -> bool:
        if self.minimum:
            return self.length == 0 or (not isinstance(v, BNode)
                                        and len(_string(v)) >= self.length)
        return not isinstance(v, BNode) and len(_string(v)) <= self.length

    def default_message(self, hit: Hit, text: Text) -> str:
        operator = ">=" if self.minimum else "<="
        return f"String length not {operator} {text.data(self.literal)}"


class _Pattern(Constraint):
    __slots__ = ("patterns",)

    def __init__(self, patterns: list[tuple[Literal, re.Pattern[str]]]) -> None:
        self.patterns = patterns

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        for _, regex in self.patterns:
            for v in values:
                if isinstance(v, BNode) or not regex.search(_string(v)):
                    out.append(Hit(shape, self, focus, v, shape.path))

    def default_message(self, hit: Hit, text: Text) -> str:
        if len(self.patterns) < 2:
            return f"Value does not match pattern '{self.patterns[0][0].value}'"
        patterns = "', '".join(str(p.value) for p, _ in self.patterns)
        return f"Value does not match every pattern in ('{patterns}')"


class _LanguageIn(_ValueTest):
    __slots__ = ("languages", "node")

    def __init__(self, node: Node, languages: set[str]) -> None:
        self.node = node
        self.languages = languages

    def accepts(self, v: Node) -> bool:
        language = v.language if isinstance(v, Literal) else None
        return bool(language) and ("*" in self.languages
                                   or str(language).lower() in self.languages
                                   or str(language).split("-")[0].lower() in self.languages)

    def default_message(self, hit: Hit, text: Text) -> str:
        return f"String language is not in {text.shapes(self.node)}"


class _UniqueLang(Constraint):
    __slots__ = ()

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        seen: set[str] = set()
        duplicates: set[str] = set()
        for v in values:
            if isinstance(v, Literal) and v.language:
                language = str(v.language).lower()
                (duplicates if language in seen else seen).add(language)
        for _ in duplicates:
            out.append(Hit(shape, self, focus, None, shape.path))

    def default_message(self, hit: Hit, text: Text) -> str:
        return "More than one String shares the same Language"


class _In(_ValueTest):
    __slots__ = ("members",)

    def __init__(self, members: list[Node]) -> None:
        self.members = frozenset(members)  # the set pyshacl prints, built in the same order

    def accepts(self, v: Node) -> bool:
        return v in self.members

    def default_message(self, hit: Hit, text: Text) -> str:
        assert hit.value is not None
        return (f"Value {text.data(hit.value)} not in list "
                f"{[text.shapes(member) for member in self.members]}")


class _HasValue(Constraint):
    __slots__ = ("values",)

    def __init__(self, values: list[Node]) -> None:
        self.values = set(values)  # in the order pyshacl reports and prints them

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        for wanted in self.values:
            if not any(v == wanted for v in values):
                out.append(Hit(shape, self, focus, None, shape.path))

    def default_message(self, hit: Hit, text: Text) -> str:
        wanted = [text.shapes(v) for v in self.values]
        if hit.shape.path is not None:
            return (f"Node {text.data(hit.focus)}->{text.shapes(hit.shape.path)} does not "
                    f"contain a value in the set: {wanted}")
        return f"Node {text.data(hit.focus)} value is not a in the set of values: {wanted}"


class _Closed(Constraint):
    __slots__ = ("allowed", "ignored")

    def __init__(self, ignored: set[Node], allowed: set[Node]) -> None:
        self.ignored = ignored
        self.allowed = allowed

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        for v in values:
            for p, o in data.predicate_objects(v):
                if p in self.allowed or p in self.ignored \
                        or (p == _RDF_TYPE and o == _RDFS_RESOURCE):
                    continue
                out.append(Hit(shape, self, focus, o, p))

    def default_message(self, hit: Hit, text: Text) -> str:
        assert hit.value is not None
        return f"Node {text.data(hit.focus)} is closed. It cannot have value: " \
               f"{text.data(hit.value)}"


class _Property(Constraint):
    """sh:property: each value node is the focus node of the property shape."""

    __slots__ = ("shapes",)

    def __init__(self, shapes: list[Shape]) -> None:
        self.shapes = shapes

    def evaluate(self, shape: Shape, focus: Node, values: Collection[Node],
                 data: RecordIndex, out: list[Hit]) -> None:
        for property_shape in self.shapes:
            property_shape.validate(values, data, out)

    def default_message(self, hit: Hit, text: Text) -> str:  # pragma: no cover
        raise AssertionError("sh:property reports its shapes' results, none of its own")


# ---------------------------------------------------------------------------------- shapes


class Shape:
    """A compiled node or property shape: its targets, constraints, severity and messages."""

    def __init__(self, node: Node, path: Node | None) -> None:
        self.node = node
        self.path = path
        self.deactivated = False
        self.severity: Node = SH.Violation
        self.messages: tuple[Node, ...] = ()
        self.constraints: list[Constraint] = []
        self.target_nodes: list[Node] = []
        self.target_classes: list[Node] = []
        self.target_subjects_of: list[Node] = []
        self.target_objects_of: list[Node] = []

    @property
    def node_path(self) -> Node:
        assert self.path is not None
        return self.path

    @property
    def has_targets(self) -> bool:
        return bool(self.target_nodes or self.target_classes or self.target_subjects_of
                    or self.target_objects_of)

    def focus_nodes(self, data: RecordIndex) -> dict[Node, None]:
        found: dict[Node, None] = dict.fromkeys(self.target_nodes)
        for target_class in self.target_classes:
            for cls in _subclasses(data, target_class):
                found.update(dict.fromkeys(data.subjects(_RDF_TYPE, cls)))
        for predicate in self.target_subjects_of:
            found.update(dict.fromkeys(s for s, _ in data.subject_objects(predicate)))
        for predicate in self.target_objects_of:
            found.update(dict.fromkeys(o for _, o in data.subject_objects(predicate)))
        return found

    def validate(self, focus_nodes: Iterable[Node], data: RecordIndex, out: list[Hit]) -> None:
        if self.deactivated:
            return
        path = self.path
        for focus in focus_nodes:
            values: Collection[Node] = (focus,) if path is None else data.objects(focus, path)
            for constraint in self.constraints:
                constraint.evaluate(self, focus, values, data, out)


def _subclasses(data: RecordIndex, cls: Node) -> list[Node]:
    """The class and every class below it by rdfs:subClassOf in the record."""
    found = [cls]
    seen = {cls}
    for current in found:
        for sub in data.subjects(_RDFS_SUBCLASSOF, current):
            if sub not in seen:
                seen.add(sub)
                found.append(sub)
    return found


class CompiledShapes:
    """The shapes of a shapes graph with their targets; :meth:`validate` a record."""

    def __init__(self, targeted: list[Shape]) -> None:
        self.targeted = targeted

    def validate(self, data: RecordIndex) -> list[Hit]:
        """Every failed constraint of the record (results in pyshacl's sense)."""
        out: list[Hit] = []
        for shape in self.targeted:
            focus = shape.focus_nodes(data)
            if focus:
                shape.validate(focus, data, out)
        return out


# -------------------------------------------------------------------------------- compiler


def compile_shapes(graph: Graph) -> CompiledShapes:
    """Compile a shapes graph, or raise :class:`Unsupported` saying what keeps pyshacl.

    >>> from rdflib import Graph
    >>> shapes = Graph().parse(data='''@prefix sh: <http://www.w3.org/ns/shacl#> .
    ...     <urn:S> sh:targetNode <urn:n> ; sh:property [ sh:path <urn:p> ; sh:minCount 1 ] .''',
    ...     format="turtle")
    >>> [hit.constraint.__class__.__name__ for hit in
    ...  compile_shapes(shapes).validate(RecordIndex([]))]
    ['_MinCount']
    """
    return _Compiler(graph).run()


def _short(graph: Graph, node: Node) -> str:
    try:
        return str(node.n3(graph.namespace_manager))
    except Exception:  # only for a message
        return str(node)


class _Compiler:
    def __init__(self, graph: Graph) -> None:
        self.g = graph

    def one(self, node: Node, predicate: URIRef) -> Node | None:
        """The value of a parameter that has at most one (pyshacl rejects more)."""
        values = list(self.g.objects(node, predicate))
        if len(values) > 1:
            raise Unsupported(f"{_short(self.g, node)} has {len(values)} "
                              f"{_short(self.g, predicate)} (pyshacl wants one)")
        return values[0] if values else None

    def the(self, node: Node, predicate: URIRef) -> Node:
        """The value of a parameter that has exactly one."""
        value = self.one(node, predicate)
        if value is None:
            raise Unsupported(f"{_short(self.g, node)} has no {_short(self.g, predicate)}")
        return value

    def run(self) -> CompiledShapes:
        g = self.g
        for _, p, o in g:
            if isinstance(p, URIRef) and p.startswith(_SH) and p not in SUPPORTED:
                raise Unsupported(f"{_short(g, p)} is outside the compiled subset of SHACL")
            if p == RDF.type and isinstance(o, URIRef) and o.startswith(_SH) \
                    and o not in _SHAPE_TYPES:
                raise Unsupported(f"a node of type {_short(g, o)} is outside the compiled "
                                  "subset of SHACL")
        paths = self.shape_nodes()
        shapes = {node: Shape(node, path) for node, path in paths.items()}
        for shape in shapes.values():
            self.read_shape(shape, shapes)
        for shape in shapes.values():
            _depth(shape, ())
        return CompiledShapes([s for s in shapes.values() if s.has_targets])

    def shape_nodes(self) -> dict[Node, Node | None]:
        """Every shape pyshacl finds, with its sh:path (None for a node shape)."""
        g = self.g
        typed_node = set(g.subjects(RDF.type, SH.NodeShape))
        typed_property = set(g.subjects(RDF.type, SH.PropertyShape))
        if typed_node & typed_property:
            raise Unsupported("a shape is both a node shape and a property shape")
        implied = {s for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf,
                               SH.targetSubjectsOf, SH.property) for s in g.subjects(p)}
        implied |= set(g.objects(None, SH.property))
        found: dict[Node, Node | None] = {}
        for node in typed_node | typed_property | implied:
            paths = list(g.objects(node, SH.path))
            if len(paths) > 1 or (node in typed_node and paths) \
                    or (node in typed_property and not paths):
                raise Unsupported(f"the shape {_short(g, node)} has {len(paths)} sh:path")
            if paths and not isinstance(paths[0], URIRef):
                raise Unsupported(f"the shape {_short(g, node)} has a path that is not an IRI "
                                  "(inverse, sequence and alternative paths keep pyshacl)")
            if isinstance(node, Literal):
                raise Unsupported(f"a literal is used as a shape: {node!r}")
            found[node] = paths[0] if paths else None
        return found

    def read_shape(self, shape: Shape, shapes: dict[Node, Shape]) -> None:
        g, node = self.g, shape.node
        deactivated = self.one(node, SH.deactivated)
        if deactivated is not None:
            if not isinstance(deactivated, Literal):
                raise Unsupported("sh:deactivated is not a literal")
            shape.deactivated = bool(deactivated.value)
        severity = self.one(node, SH.severity)
        if severity is not None:
            shape.severity = severity
        shape.messages = tuple(g.objects(node, SH.message))
        shape.target_nodes = list(g.objects(node, SH.targetNode))
        shape.target_classes = list(g.objects(node, SH.targetClass))
        types = set(g.objects(node, RDF.type))
        classes = {RDFS.Class, OWL.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
        if types & classes:  # an implicit class target
            shape.target_classes.append(node)
        shape.target_subjects_of = list(g.objects(node, SH.targetSubjectsOf))
        shape.target_objects_of = list(g.objects(node, SH.targetObjectsOf))
        try:
            shape.constraints = self.constraints(shape, shapes)
        except Unsupported:
            raise
        except Exception as exc:  # malformed parameters: pyshacl says what is wrong
            raise Unsupported(f"the shape {_short(g, node)} cannot be compiled: {exc}") from exc

    def constraints(self, shape: Shape, shapes: dict[Node, Shape]) -> list[Constraint]:
        g, node = self.g, shape.node
        present = set(g.predicates(node))
        found: list[Constraint] = []
        for parameter, cardinal in ((SH.minCount, _MinCount), (SH.maxCount, _MaxCount)):
            if parameter in present:
                count = self.one(node, parameter)
                if shape.path is None or not isinstance(count, Literal) \
                        or count.datatype != XSD.integer or not isinstance(count.value, int) \
                        or count.value < 0:
                    raise Unsupported(f"{_short(g, parameter)} of {_short(g, node)} is not a "
                                      "count on a property shape")
                if parameter != SH.minCount or count.value > 0:
                    found.append(cardinal(count.value))
        if SH.datatype in present:
            found.append(_Datatype(self.the(node, SH.datatype)))
        if SH.nodeKind in present:
            found.append(_NodeKind(self.the(node, SH.nodeKind)))
        for bounded in _RANGES:
            if bounded in present:
                bounds = [b for b in g.objects(node, bounded) if isinstance(b, Literal)]
                if len(bounds) < len(list(g.objects(node, bounded))):
                    raise Unsupported(f"{_short(g, bounded)} is not a literal")
                found.append(_Range(bounded, bounds))
        for parameter, minimum in ((SH.minLength, True), (SH.maxLength, False)):
            if parameter in present:
                length = self.one(node, parameter)
                if not isinstance(length, Literal) or getattr(length, "ill_typed", False) \
                        or length.datatype not in _WHOLE_INTEGERS \
                        or length.datatype in (XSD.negativeInteger, XSD.nonPositiveInteger) \
                        or not isinstance(length.value, int) or length.value < 0:
                    raise Unsupported(f"{_short(g, parameter)} is not a length")
                found.append(_Length(length, minimum))
        if SH.pattern in present:
            found.append(self.pattern(node))
        if SH.languageIn in present:
            found.append(self.language_in(node))
        if SH.uniqueLang in present:
            unique = self.one(node, SH.uniqueLang)
            if shape.path is None or not isinstance(unique, Literal) \
                    or not isinstance(unique.value, bool):
                raise Unsupported("sh:uniqueLang is not a boolean on a property shape")
            if unique.value:
                found.append(_UniqueLang())
        if SH["in"] in present:
            found.append(_In(list(g.items(self.the(node, SH["in"])))))
        if SH.hasValue in present:
            found.append(_HasValue(list(g.objects(node, SH.hasValue))))
        property_shapes = []
        for target in g.objects(node, SH.property):
            other = shapes.get(target)
            if other is None or other.path is None:
                raise Unsupported(f"sh:property of {_short(g, node)} is not a property shape")
            property_shapes.append(other)
        if property_shapes:
            found.append(_Property(property_shapes))
        if SH.closed in present or SH.ignoredProperties in present:
            closed = self.the(node, SH.closed)
            if not isinstance(closed, Literal):
                raise Unsupported("sh:closed is not a literal")
            if closed.value:
                ignored: set[Node] = set()
                for members in g.objects(node, SH.ignoredProperties):
                    try:
                        ignored.update(g.items(members))
                    except ValueError:
                        continue
                found.append(_Closed(ignored, {s.node_path for s in property_shapes}))
        return found

    def pattern(self, node: Node) -> _Pattern:
        g = self.g
        flags = self.one(node, SH.flags)
        re_flags = 0
        if flags is not None:
            if not isinstance(flags, Literal):
                raise Unsupported("sh:flags is not a literal")
            text = str(flags.value).lower()
            re_flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
        patterns = []
        for pattern in g.objects(node, SH.pattern):
            if not isinstance(pattern, Literal) or not (pattern.value is None
                                                        or isinstance(pattern.value, str)):
                raise Unsupported("sh:pattern is not a string")
            source = str(pattern.value) if pattern.value is not None \
                and len(pattern.value) > 1 else str(pattern)
            patterns.append((pattern, re.compile(source, re_flags)))
        return _Pattern(patterns)

    def language_in(self, node: Node) -> _LanguageIn:
        members = self.the(node, SH.languageIn)
        languages = set()
        for member in self.g.items(members):
            if not isinstance(member, Literal) or not isinstance(member.value, str):
                raise Unsupported("sh:languageIn holds something other than strings")
            languages.add(member.value.lower())
        return _LanguageIn(members, languages)


def _depth(shape: Shape, above: tuple[Shape, ...]) -> None:
    """Refuse recursive or deeply nested sh:property (pyshacl warns or stops there)."""
    if shape in above or len(above) > _MAX_DEPTH:
        raise Unsupported("sh:property nests too deep or refers back to a shape above it")
    for constraint in shape.constraints:
        if isinstance(constraint, _Property):
            for inner in constraint.shapes:
                _depth(inner, (*above, shape))


def pick_message(messages: Iterable[Any]) -> str | None:
    """One message of several (sh:message may have one a language): without a language tag
    first, then English, then the first in text order."""
    def rank(m: Any) -> tuple[int, str]:
        language = (m.language or "").lower() if isinstance(m, Literal) else ""
        return (0 if not language else 1 if language.split("-")[0] == "en" else 2, str(m))

    chosen = min(messages, key=rank, default=None)
    return None if chosen is None else str(chosen)
