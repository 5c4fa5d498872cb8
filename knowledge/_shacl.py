"""SHACL validation of case records: every violation, or none (compiled shapes or pyshacl)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nesy.errors import InputError, KnowledgeError

__all__ = ["SHACL_METHODS", "ShaclViolation", "ShapeValidator"]

_SH = "http://www.w3.org/ns/shacl#"

#: How a ShapeValidator checks records: compiled when the shapes allow it, always, or never.
SHACL_METHODS = ("auto", "compiled", "pyshacl")


@dataclass(frozen=True)
class ShaclViolation:
    """One failed constraint: the focus node, the property path and the shape's message."""

    focus: str
    path: str | None
    message: str
    severity: str

    def __str__(self) -> str:
        where = f"{self.focus} {self.path}" if self.path else self.focus
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"focus": self.focus, "path": self.path, "message": self.message,
                "severity": self.severity}


class ShapeValidator:
    """SHACL shapes read once, applied to many records.

    :meth:`check` raises :class:`InputError` listing every violation (its
    ``.violations``); :meth:`violations` returns them, warnings and infos included. A record
    is Turtle text, an ``rdflib.Graph``, or a sequence of ``(subject, predicate, object)``
    triples of rdflib terms (``URIRef``/``BNode``, ``URIRef``, ``URIRef``/``BNode``/``Literal``),
    which needs neither parsing nor a graph.

    Two ways to validate, with the same results (focus, path, severity and message):

    * **compiled** (``compiled`` is True): shapes within the subset below are compiled once
      into plain-Python checks that read the record's triples, tens of microseconds a record
      instead of pyshacl's millisecond and more. Used for every record without an ontology
      (a multigraph, e.g. an ``rdflib.Dataset``, keeps pyshacl).
    * **pyshacl**: everything else: shapes outside the subset (``unsupported`` says what),
      a record with an ``ontology`` (RDFS inference), and the rare result whose default
      message would print a blank node of the record.

    The subset: targets ``sh:targetNode``, ``sh:targetClass`` (with no ontology, ``rdf:type``
    and ``rdfs:subClassOf`` in the record itself; implicit class targets too),
    ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; node and property shapes with
    ``sh:property`` (nested, not recursive), ``sh:closed``/``sh:ignoredProperties``,
    ``sh:deactivated``, one ``sh:severity``, ``sh:message``; an IRI ``sh:path``; and
    ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:nodeKind``, ``sh:minInclusive``,
    ``sh:maxInclusive``, ``sh:minExclusive``, ``sh:maxExclusive``, ``sh:minLength``,
    ``sh:maxLength``, ``sh:pattern``/``sh:flags``, ``sh:in``, ``sh:hasValue``,
    ``sh:languageIn``, ``sh:uniqueLang`` (``sh:name``, ``sh:description``, ``sh:order``,
    ``sh:group`` are ignored). Any other ``sh:`` term in the shapes graph (``sh:class``,
    ``sh:node``, logical, qualified, SPARQL and property-pair constraints, path
    expressions...), or a parameter pyshacl would reject, keeps pyshacl for every record.

    ``method`` picks: ``"auto"`` (compiled when the shapes allow it), ``"compiled"`` (a
    :class:`KnowledgeError` when they do not) or ``"pyshacl"``. A result has one message:
    the shape's ``sh:message`` (one without a language tag first, then English, then the
    first in text order) or pyshacl's default text.

    >>> shapes = '''@prefix sh: <http://www.w3.org/ns/shacl#> .
    ... <urn:S> sh:targetNode <urn:case> ;
    ...     sh:property [ sh:path <urn:age> ; sh:minCount 1 ; sh:message "age is missing" ] .'''
    >>> validator = ShapeValidator(shapes)
    >>> validator.compiled
    True
    >>> [v.message for v in validator.violations([])]
    ['age is missing']
    """

    def __init__(self, shapes: str | Path, format: str = "turtle", method: str = "auto") -> None:
        import rdflib

        if method not in SHACL_METHODS:
            raise KnowledgeError(f"unknown SHACL method {method!r}; known: "
                                 f"{', '.join(SHACL_METHODS)}")
        self.method = method
        self.shapes = rdflib.Graph()
        try:
            if isinstance(shapes, Path) or (isinstance(shapes, str) and "\n" not in shapes
                                            and Path(shapes).is_file()):
                self.shapes.parse(str(shapes), format=format)
            else:
                self.shapes.parse(data=shapes, format=format)
        except Exception as exc:
            raise KnowledgeError(f"cannot read the SHACL shapes {_name(shapes)}: {exc}") from exc
        #: why the shapes are not compiled (None when they are)
        self.unsupported: str | None = "method='pyshacl'"
        self._compiled: Any = None
        if method != "pyshacl":
            from ._shacl_fast import Unsupported, compile_shapes

            try:
                self._compiled = compile_shapes(self.shapes)
                self.unsupported = None
            except Unsupported as exc:
                if method == "compiled":
                    raise KnowledgeError(f"the SHACL shapes {_name(shapes)} cannot be "
                                         f"compiled: {exc}") from exc
                self.unsupported = str(exc)

    @property
    def compiled(self) -> bool:
        """Whether records without an ontology are checked by the compiled shapes."""
        return self._compiled is not None

    def violations(self, record: Any, ontology: Any = None) -> list[ShaclViolation]:
        """Violations of a record (Turtle, ``rdflib.Graph`` or triples), sorted by focus,
        path, message and severity; an optional ontology graph adds RDFS inference."""
        graph, triples = _record(record)
        if self._compiled is not None and ontology is None \
                and not getattr(graph, "context_aware", False):
            from ._shacl_fast import NeedsPyshacl

            try:
                return self._compiled_violations(graph, triples)
            except NeedsPyshacl:
                pass
        return self._pyshacl_violations(graph if graph is not None else _graph(triples),
                                        ontology)

    def _compiled_violations(self, graph: Any, triples: Any) -> list[ShaclViolation]:
        from ._shacl_fast import RecordIndex, Text, pick_message

        hits = self._compiled.validate(RecordIndex(triples if graph is None else graph))
        if not hits:
            return []
        text = Text(self.shapes, lambda: graph if graph is not None else _graph(triples))
        found = []
        for hit in hits:
            message = pick_message(hit.shape.messages)
            if message is None:
                message = hit.constraint.default_message(hit, text)
            found.append(ShaclViolation(str(hit.focus),
                                        str(hit.path) if hit.path is not None else None,
                                        message, _severity(hit.shape.severity)))
        return _sorted(found)

    def _pyshacl_violations(self, data: Any, ontology: Any) -> list[ShaclViolation]:
        import rdflib
        from pyshacl import validate
        from pyshacl.errors import ReportableRuntimeError

        from ._shacl_fast import pick_message

        try:
            _, report, _ = validate(data, shacl_graph=self.shapes, ont_graph=ontology,
                                    inference="rdfs" if ontology is not None else "none",
                                    allow_warnings=True)
        except ReportableRuntimeError as exc:  # shapes that parse but are not valid SHACL
            raise KnowledgeError(f"the SHACL shapes cannot be applied: {exc}") from exc
        # a record with only warnings conforms (allow_warnings), and they are still listed
        found = []
        sh = rdflib.Namespace(_SH)
        for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
            focus = report.value(result, sh.focusNode)
            path = report.value(result, sh.resultPath)
            message = pick_message(report.objects(result, sh.resultMessage))
            severity = report.value(result, sh.resultSeverity)
            found.append(ShaclViolation(
                str(focus), str(path) if path is not None else None,
                message if message is not None else "violates a shape",
                _severity(severity) if severity is not None else "Violation"))
        return _sorted(found)

    def check(self, record: Any, ontology: Any = None) -> None:
        """Raise :class:`InputError` naming every violation of the record."""
        found = self.violations(record, ontology)
        errors = [v for v in found if v.severity == "Violation"]
        if errors:
            error = InputError(f"the record violates its shapes: "
                               f"{'; '.join(str(v) for v in errors)}", field="record")
            error.violations = errors  # type: ignore[attr-defined]
            raise error


def _record(record: Any) -> tuple[Any, Any]:
    """``(graph, None)`` for Turtle text or a graph, ``(None, triples)`` for triples."""
    import rdflib

    if isinstance(record, str):
        graph = rdflib.Graph()
        try:
            graph.parse(data=record, format="turtle")
        except Exception as exc:
            raise InputError(f"the record is not valid Turtle: {exc}", field="record") from exc
        return graph, None
    if isinstance(record, rdflib.Graph):
        return record, None
    if not isinstance(record, Iterable):
        raise InputError(f"a record is Turtle text, an rdflib.Graph or triples, not "
                         f"{type(record).__name__}", field="record")
    triples = record if isinstance(record, list | tuple) else list(record)
    subjects, objects = (rdflib.URIRef, rdflib.BNode), (rdflib.URIRef, rdflib.BNode,
                                                        rdflib.Literal)
    for triple in triples:
        if not (isinstance(triple, tuple | list) and len(triple) == 3
                and isinstance(triple[0], subjects) and isinstance(triple[1], rdflib.URIRef)
                and isinstance(triple[2], objects)):
            raise InputError(f"a record triple is (URIRef|BNode, URIRef, URIRef|BNode|Literal) "
                             f"of rdflib terms, not {triple!r}", field="record")
    return None, triples


def _graph(triples: Any) -> Any:
    """The graph of a record given as triples, with rdflib's core prefixes (rdf, rdfs, owl,
    xsd, xml): pyshacl's default messages print its nodes by them."""
    import rdflib

    graph = rdflib.Graph(bind_namespaces="core")
    for triple in triples:
        graph.add(tuple(triple))
    return graph


def _severity(severity: Any) -> str:
    return str(severity).rsplit("#", 1)[-1]


def _sorted(found: list[ShaclViolation]) -> list[ShaclViolation]:
    return sorted(found, key=lambda v: (v.focus, v.path or "", v.message, v.severity))


def _name(shapes: str | Path) -> str:
    return str(shapes) if isinstance(shapes, Path) or "\n" not in str(shapes) else "(text)"
