"""Compiled SHACL shapes give pyshacl's answers: the clinic's shapes on random records,
random shapes graphs within the compiled subset on random records, and the fallback to
pyshacl for everything outside it. Every comparison is against ``method="pyshacl"``."""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from knowledge import SHACL_METHODS, KnowledgeError, ShapeValidator
from nesy.errors import InputError

CLINIC_SHAPES = Path(__file__).resolve().parents[2] / "examples" / "clinic" / "knowledge" \
    / "shapes.ttl"
CLINIC = Namespace("http://example.org/nesy/clinic/data/")
EX = Namespace("http://example.org/fast/")
Triple = tuple[Any, Any, Any]


def outcome(validator: ShapeValidator, record: Any) -> Any:
    """Everything a record's validation says: its violations, or the error it raises.

    A path that is a blank node of the shapes graph (a path expression) is left out: each
    validator reads the shapes anew, so its name differs from one to the other.
    """
    try:
        found = validator.violations(record)
    except KnowledgeError as exc:
        return ("KnowledgeError", str(exc))
    return sorted((v.focus, v.path if v.path and ":" in v.path else "", v.severity, v.message)
                  for v in found)


def graph_of(triples: Sequence[Triple]) -> Graph:
    graph = Graph()
    graph.bind("ex", CLINIC)
    for triple in triples:
        graph.add(triple)
    return graph


def literal(lexical: str, datatype: URIRef) -> Literal:
    with warnings.catch_warnings():  # rdflib warns of a boolean such as "maybe"
        warnings.simplefilter("ignore")
        return Literal(lexical, datatype=datatype)


# ------------------------------------------------------------------------- the clinic


@pytest.fixture(scope="module")
def clinic() -> tuple[ShapeValidator, ShapeValidator]:
    return ShapeValidator(CLINIC_SHAPES), ShapeValidator(CLINIC_SHAPES, method="pyshacl")


def test_the_clinic_shapes_are_compiled(clinic: tuple[ShapeValidator, ShapeValidator]) -> None:
    fast, slow = clinic
    assert fast.compiled and fast.unsupported is None
    assert not slow.compiled and slow.unsupported == "method='pyshacl'"


AGES: list[Callable[[random.Random], Any]] = [
    lambda r: Literal(r.randint(0, 130)),
    lambda r: Literal(r.choice([18, 110, 17, 111])),
    lambda r: literal("abc", XSD.integer),
    lambda r: literal("52.5", XSD.integer),
    lambda r: Literal(r.choice([52.0, 17.5])),
    lambda r: Literal(Decimal("30.5")),
    lambda r: literal(str(r.randint(10, 120)), XSD.int),
    lambda r: Literal("52"),
    lambda r: Literal(True),
    lambda r: CLINIC.p002,
    lambda r: BNode("age"),
]
FAMILY_HISTORIES: list[Callable[[random.Random], Any]] = [
    lambda r: Literal(r.choice([True, False])),
    lambda r: Literal("true"),
    lambda r: literal("maybe", XSD.boolean),
    lambda r: literal("1", XSD.boolean),
    lambda r: Literal(1),
    lambda r: CLINIC.yes,
]
PATIENTS: list[Callable[[random.Random], Any]] = [
    lambda r: CLINIC[f"p{r.randint(0, 999):03d}"],
    lambda r: CLINIC[r.choice(["P002", "2abc", "p_01", "p-1", "p002/x"])],
    lambda r: URIRef("http://example.org/other/p002"),
    lambda r: Literal("p002"),
    lambda r: BNode("patient"),
]


def clinic_record(r: random.Random) -> list[Triple]:
    """A case record, mostly as the Engine writes it, often not."""
    case = CLINIC.case
    triples: list[Triple] = []
    for field, makers in (("age", AGES), ("family_history", FAMILY_HISTORIES),
                          ("patient", PATIENTS)):
        count = r.choices([0, 1, 2], weights=[1, 6, 1])[0]
        for _ in range(count):
            # the first maker is the right kind of value: most records are near-valid
            maker = makers[0] if r.random() < 0.6 else r.choice(makers)
            triples.append((case, CLINIC[field], maker(r)))
    if r.random() < 0.2:
        triples.append((case, CLINIC.extra, r.choice([Literal("x"), CLINIC.x, BNode("x")])))
    if r.random() < 0.2:
        triples.append((case, RDF.type, r.choice([CLINIC.Case, RDFS.Resource])))
    if r.random() < 0.1:
        triples.append((CLINIC.other, CLINIC.age, Literal(5)))
    r.shuffle(triples)
    return triples


@pytest.mark.parametrize("seed", range(6))
def test_clinic_records_get_pyshacls_answers_as_triples_graphs_and_turtle(
        clinic: tuple[ShapeValidator, ShapeValidator], seed: int) -> None:
    fast, slow = clinic
    r = random.Random(seed)
    invalid = 0
    for _ in range(50):
        triples = clinic_record(r)
        expected = outcome(slow, triples)
        assert outcome(fast, triples) == expected, triples
        assert outcome(fast, graph_of(triples)) == outcome(slow, graph_of(triples)), triples
        if not any(isinstance(node, BNode) for triple in triples for node in triple):
            turtle = graph_of(triples).serialize(format="turtle")
            assert outcome(fast, turtle) == outcome(slow, turtle), turtle
        invalid += bool(expected)
    assert 10 < invalid < 50  # both kinds of record were drawn


def test_a_valid_clinic_record_passes_and_an_invalid_one_names_each_field(
        clinic: tuple[ShapeValidator, ShapeValidator]) -> None:
    fast, _ = clinic
    case = CLINIC.case
    fast.check([(case, CLINIC.age, Literal(52)), (case, CLINIC.family_history, Literal(False)),
                (case, CLINIC.patient, CLINIC.p002)])
    with pytest.raises(InputError, match="record: the record violates its shapes") as caught:
        fast.check([(case, CLINIC.age, literal("abc", XSD.integer)),
                    (case, CLINIC.patient, Literal("p002")), (case, CLINIC.note, Literal("x"))])
    assert [(URIRef(v.path), v.message) for v in caught.value.violations] == [  # type: ignore[attr-defined]
        (CLINIC.age, "age is one whole number of years from 18 to 110"),
        (CLINIC.age, "age is one whole number of years from 18 to 110"),
        (CLINIC.age, "age is one whole number of years from 18 to 110"),
        (CLINIC.family_history, "family_history is true or false: does the patient report "
         "breast cancer in a first-degree relative?"),
        (CLINIC.note, 'Node <http://example.org/nesy/clinic/data/case> is closed. It cannot '
         'have value: Literal("x")'),
        (CLINIC.patient, "patient is one patient identifier such as p002 (a node of the "
         "knowledge graph)"),
        (CLINIC.patient, "patient is one patient identifier such as p002 (a node of the "
         "knowledge graph)"),
    ]


# --------------------------------------------------------------- random shapes graphs

SUBJECTS = [EX.a, EX.b, EX.c, BNode("n1")]
PREDICATES = [EX.p, EX.q, EX.r]
OBJECTS = [
    Literal(0), Literal(5), Literal(42), Literal(-3), literal("abc", XSD.integer),
    literal("7", XSD.int), Literal(Decimal("2.5")), Literal(2.5), literal("2.5", XSD.float),
    Literal("hello"), Literal("hello", datatype=XSD.string), Literal("Hello", lang="en"),
    Literal("bonjour", lang="fr"), Literal("hi", lang="en-GB"), Literal("salut", lang="fr"),
    Literal(True), literal("maybe", XSD.boolean), literal("2020-05-01", XSD.date),
    literal("notadate", XSD.date), literal("12:00:00", XSD.time),
    literal("2020-05-01T10:00:00", XSD.dateTime), Literal(""),
    EX.a, EX.x1, URIRef("http://other.org/y"), BNode("n2"),
]
MEMBERS = [o for o in OBJECTS if not isinstance(o, BNode)]  # named alike in both readings
BOUNDS = [Literal(0), Literal(5), Literal(Decimal("2.5")), Literal("m"),
          literal("2020-01-01", XSD.date), Literal(2.5)]
DATATYPES = [XSD.integer, XSD.string, XSD.boolean, XSD.decimal, XSD.double, XSD.date,
             XSD.int, RDF.langString, RDFS.Literal, RDFS.Datatype]
KINDS = [SH.IRI, SH.BlankNode, SH.Literal, SH.BlankNodeOrIRI, SH.BlankNodeOrLiteral,
         SH.IRIOrLiteral]
PATTERNS = ["^h", "o$", "^[a-z]+$", "example", "^http://example\\.org/fast/", "2"]


class ShapesMaker:
    """A random shapes graph within the compiled subset of SHACL."""

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.g = Graph()
        for prefix, namespace in (("ex", EX), ("sh", SH), ("xsd", XSD)):
            self.g.bind(prefix, namespace)
        self.count = 0

    def name(self, stem: str) -> URIRef | BNode:
        self.count += 1
        return EX[f"{stem}{self.count}"] if self.r.random() < 0.5 else BNode()

    def rdf_list(self, items: Sequence[Any]) -> BNode:
        head = BNode()
        Collection(self.g, head, list(items))
        return head

    def common(self, node: Any) -> None:
        r, g = self.r, self.g
        if r.random() < 0.3:
            g.add((node, SH.severity, r.choice([SH.Warning, SH.Info, SH.Violation, EX.Custom])))
        messages = r.choices([[], [Literal("plain")], [Literal("en", lang="en"),
                              Literal("fr", lang="fr")], [Literal("b"), Literal("a")]],
                             weights=[5, 2, 2, 1])[0]
        for message in messages:
            g.add((node, SH.message, message))
        if r.random() < 0.1:
            g.add((node, SH.deactivated, Literal(r.choice([True, False]))))
        if r.random() < 0.2:
            g.add((node, SH.name, Literal("a name")))

    def value_constraints(self, node: Any, chance: float) -> None:
        r, g = self.r, self.g
        if r.random() < chance:
            g.add((node, SH.datatype, r.choice(DATATYPES)))
        if r.random() < chance:
            g.add((node, SH.nodeKind, r.choice(KINDS)))
        for parameter in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
            if r.random() < chance / 2:
                for bound in r.sample(BOUNDS, r.choice([1, 1, 2])):
                    g.add((node, parameter, bound))
        for parameter in (SH.minLength, SH.maxLength):
            if r.random() < chance / 2:
                g.add((node, parameter, Literal(r.randint(0, 6))))
        if r.random() < chance:
            for pattern in r.sample(PATTERNS, r.choice([1, 1, 2])):
                g.add((node, SH.pattern, Literal(pattern)))
            if r.random() < 0.3:
                g.add((node, SH.flags, Literal("i")))
        if r.random() < chance / 2:
            g.add((node, SH["in"], self.rdf_list(r.sample(MEMBERS, r.randint(1, 4)))))
        if r.random() < chance / 2:
            for value in r.sample(MEMBERS, r.choice([1, 1, 2])):
                g.add((node, SH.hasValue, value))
        if r.random() < chance / 2:
            languages = r.sample(["en", "fr", "*", "EN"], r.randint(1, 2))
            g.add((node, SH.languageIn, self.rdf_list([Literal(x) for x in languages])))

    def closed(self, node: Any) -> None:
        if self.r.random() < 0.3:
            self.g.add((node, SH.closed, Literal(self.r.random() < 0.8)))
            if self.r.random() < 0.5:
                self.g.add((node, SH.ignoredProperties, self.rdf_list([RDF.type])))

    def property_shape(self, depth: int) -> Any:
        r, g = self.r, self.g
        node = self.name("P")
        if r.random() < 0.5:
            g.add((node, RDF.type, SH.PropertyShape))
        g.add((node, SH.path, r.choice(PREDICATES)))
        for parameter in (SH.minCount, SH.maxCount):
            if r.random() < 0.4:
                g.add((node, parameter, Literal(r.randint(0, 2))))
        if r.random() < 0.15:
            g.add((node, SH.uniqueLang, Literal(r.random() < 0.8)))
        self.value_constraints(node, 0.3)
        self.common(node)
        if depth < 2 and r.random() < 0.15:
            for _ in range(r.randint(1, 2)):
                g.add((node, SH.property, self.property_shape(depth + 1)))
            self.closed(node)
        if r.random() < 0.1:
            g.add((node, SH.targetNode, r.choice(SUBJECTS[:3])))
        return node

    def node_shape(self) -> None:
        r, g = self.r, self.g
        implicit = r.random() < 0.1
        node = EX.C if implicit else self.name("S")
        if implicit:
            g.add((node, RDF.type, RDFS.Class))
            g.add((node, RDF.type, SH.NodeShape))
        elif r.random() < 0.8:
            g.add((node, RDF.type, SH.NodeShape))
        targets = [(SH.targetNode, EX.a), (SH.targetNode, EX.b), (SH.targetNode, EX.c),
                   (SH.targetNode, Literal(5)), (SH.targetClass, EX.C),
                   (SH.targetSubjectsOf, EX.p), (SH.targetObjectsOf, EX.q)]
        for target in r.sample(targets, r.choice([0, 1, 1, 2])):
            g.add((node, *target))
        self.common(node)
        self.value_constraints(node, 0.1)
        for _ in range(r.randint(0, 3)):
            g.add((node, SH.property, self.property_shape(0)))
        self.closed(node)

    def make(self) -> Graph:
        for _ in range(self.r.randint(1, 3)):
            self.node_shape()
        return self.g


def random_record(r: random.Random) -> list[Triple]:
    triples: list[Triple] = [(r.choice(SUBJECTS), r.choice(PREDICATES), r.choice(OBJECTS))
                             for _ in range(r.randint(0, 8))]
    for _ in range(r.choice([0, 0, 1, 2])):
        triples.append((r.choice(SUBJECTS), RDF.type, r.choice([EX.C, EX.D, RDFS.Resource])))
    if r.random() < 0.3:
        triples.append((EX.D, RDFS.subClassOf, EX.C))
    # blank nodes new to each record: pyshacl caches how it prints one by its name and the
    # id() of its graph, which a later graph may reuse
    fresh = {node: BNode() for node in (BNode("n1"), BNode("n2"))}
    return [tuple(fresh.get(node, node) for node in triple) for triple in triples]


@pytest.mark.parametrize("seed", range(50))
def test_random_shapes_within_the_subset_get_pyshacls_answers(seed: int) -> None:
    r = random.Random(1000 + seed)
    shapes = ShapesMaker(r).make().serialize(format="turtle")
    fast = ShapeValidator(shapes, method="compiled")
    slow = ShapeValidator(shapes, method="pyshacl")
    for _ in range(12):
        triples = random_record(r)
        assert outcome(fast, triples) == outcome(slow, triples), (shapes, triples)
        assert outcome(fast, graph_of(triples)) == outcome(slow, graph_of(triples))


def test_the_random_shapes_do_find_violations() -> None:
    """The random comparisons above are not all between empty lists."""
    r = random.Random(1000)
    found = 0
    for _ in range(20):
        fast = ShapeValidator(ShapesMaker(r).make().serialize(format="turtle"))
        found += sum(len(fast.violations(random_record(r))) for _ in range(12))
    assert found > 50


# ---------------------------------------------------------------------- pyshacl's way

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/fast/> .
"""
RECORDS = [
    [(EX.a, EX.p, EX.b), (EX.b, RDF.type, EX.C), (EX.a, EX.q, Literal(5))],
    [(EX.a, EX.p, Literal("x")), (EX.a, EX.r, Literal(7))],
    [(EX.a, EX.q, Literal(1)), (EX.a, EX.r, Literal(0))],
    [],
]


@pytest.mark.parametrize(("shape", "feature"), [
    ("sh:property [ sh:path ex:p ; sh:class ex:C ]", "sh:class"),
    ("sh:property [ sh:path ex:p ; sh:node ex:N ] . ex:N sh:nodeKind sh:IRI", "sh:node"),
    ("sh:or ( [ sh:path ex:p ; sh:minCount 1 ] [ sh:path ex:q ; sh:minCount 1 ] )", "sh:or"),
    ("sh:not [ sh:path ex:p ; sh:minCount 1 ]", "sh:not"),
    ("sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:nodeKind sh:IRI ] ; "
     "sh:qualifiedMinCount 1 ]", "sh:qualified"),
    ("sh:property [ sh:path ex:q ; sh:equals ex:r ]", "sh:equals"),
    ("sh:property [ sh:path ex:q ; sh:lessThan ex:r ]", "sh:lessThan"),
    ("sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ]", "sh:inversePath"),
    ("sh:property [ sh:path ( ex:p ex:q ) ; sh:maxCount 0 ]", "not an IRI"),
    ("sh:sparql [ sh:select 'SELECT $this WHERE { $this <http://example.org/fast/p> ?o }' ]",
     "sh:s"),
    ("sh:severity sh:Warning, sh:Info ; sh:property [ sh:path ex:p ; sh:minCount 2 ]",
     "sh:severity"),
])
def test_shapes_outside_the_subset_keep_pyshacl_and_its_answers(shape: str,
                                                                feature: str) -> None:
    shapes = PREFIXES + f"ex:S a sh:NodeShape ; sh:targetNode ex:a ; {shape} ."
    validator = ShapeValidator(shapes)
    assert not validator.compiled
    assert validator.unsupported is not None and feature in validator.unsupported
    slow = ShapeValidator(shapes, method="pyshacl")
    for triples in RECORDS:
        assert outcome(validator, triples) == outcome(slow, triples)
    with pytest.raises(KnowledgeError, match="cannot be compiled"):
        ShapeValidator(shapes, method="compiled")


@pytest.mark.parametrize("shape", [
    'sh:property [ sh:path ex:age ; sh:minCount "many" ]',
    "sh:property [ sh:minCount 1 ]",
    "sh:minCount 1",
    "sh:property [ sh:path ex:p ; sh:datatype xsd:integer, xsd:string ]",
])
def test_shapes_pyshacl_rejects_are_not_compiled_and_still_rejected(shape: str) -> None:
    validator = ShapeValidator(PREFIXES + f"ex:S sh:targetNode ex:a ; {shape} .")
    assert not validator.compiled
    with pytest.raises(KnowledgeError, match="the SHACL shapes cannot be applied"):
        validator.check([(EX.a, EX.p, Literal(1))])


def test_an_ontology_is_taken_into_account_by_pyshacl() -> None:
    shapes = PREFIXES + ("ex:S sh:targetClass ex:Patient ; "
                         "sh:property [ sh:path ex:age ; sh:minCount 1 ; sh:message 'age?' ] .")
    validator = ShapeValidator(shapes)
    assert validator.compiled
    record = [(EX.fay, RDF.type, EX.Smoker)]
    ontology = Graph().parse(data=PREFIXES + "ex:Smoker rdfs:subClassOf ex:Patient .",
                             format="turtle")
    assert validator.violations(record) == []
    [violation] = validator.violations(record, ontology=ontology)
    assert (violation.focus, violation.message) == (str(EX.fay), "age?")


def test_a_default_message_about_a_blank_node_is_pyshacls() -> None:
    shapes = PREFIXES + "ex:S sh:targetNode ex:a ; sh:closed true ."
    fast, slow = ShapeValidator(shapes), ShapeValidator(shapes, method="pyshacl")
    record = [(EX.a, EX.p, BNode("v")), (BNode("v"), EX.q, Literal(1))]
    assert fast.compiled
    assert outcome(fast, record) == outcome(slow, record) == [
        (str(EX.a), str(EX.p), "Violation",
         "Node <http://example.org/fast/a> is closed. It cannot have value: "
         "[ <http://example.org/fast/q> Literal(\"1\", datatype=xsd:integer) ]")]


def test_one_message_is_chosen_of_several_the_same_way_on_both_paths() -> None:
    shapes = PREFIXES + ("ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; "
                         "sh:minCount 1 ; sh:message 'zz'@de, 'yes'@en-GB, 'plain', 'aa'@fr ] .")
    for method in ("compiled", "pyshacl"):
        [violation] = ShapeValidator(shapes, method=method).violations([])
        assert violation.message == "plain"


# ------------------------------------------------------------------------------ input


def test_triples_may_come_from_any_iterable() -> None:
    validator = ShapeValidator(PREFIXES + "ex:S sh:targetSubjectsOf ex:p ; "
                               "sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:message 'q' ] .")
    triples = ((s, EX.p, Literal(1)) for s in (EX.a, EX.b))
    assert [v.focus for v in validator.violations(triples)] == [str(EX.a), str(EX.b)]


@pytest.mark.parametrize("record", [
    42,
    [(EX.a, EX.p)],
    [("http://example.org/fast/a", EX.p, Literal(1))],
    [(EX.a, Literal("p"), Literal(1))],
    [(Literal("a"), EX.p, Literal(1))],
    [(EX.a, EX.p, 1)],
])
def test_a_record_that_is_not_triples_of_rdflib_terms_is_an_input_error(record: Any) -> None:
    validator = ShapeValidator(PREFIXES + "ex:S sh:targetNode ex:a ; sh:closed true .")
    with pytest.raises(InputError, match="record: a record"):
        validator.violations(record)


def test_an_unknown_method_lists_the_known_ones() -> None:
    with pytest.raises(KnowledgeError, match="unknown SHACL method 'fast'; known: auto, "
                                             "compiled, pyshacl"):
        ShapeValidator(PREFIXES, method="fast")
    assert SHACL_METHODS == ("auto", "compiled", "pyshacl")


def test_the_numeric_datatypes_are_rdflibs() -> None:
    from knowledge._shacl_fast import NUMERIC

    assert frozenset(rdflib.term._NUMERIC_LITERAL_TYPES) == NUMERIC
