"""SHACL validation of case records: every violation listed, conforming records pass,
malformed shapes are a KnowledgeError."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from knowledge import KnowledgeError, ShaclViolation, ShapeValidator
from nesy.errors import InputError

EX = "http://example.org/clinic#"
PREFIXES = f"@prefix ex: <{EX}> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
GOOD = PREFIXES + 'ex:ann a ex:Patient ; ex:age 52 ; ex:name "Ann" ; ex:hasFinding ex:f1 .\n' \
    "ex:f1 a ex:Finding ."
BAD = PREFIXES + """
ex:bob a ex:Patient ; ex:name "Bob" ; ex:age "old" ; ex:hasFinding ex:rumour .
ex:cid a ex:Patient ; ex:name "Cid" .
ex:dan a ex:Patient ; ex:name "Dan" ; ex:age 40, 41 .
"""


@pytest.fixture(scope="module")
def validator() -> ShapeValidator:
    return ShapeValidator(Path(__file__).parent / "data" / "shapes" / "patient.ttl")


def test_a_conforming_record_passes(validator: ShapeValidator) -> None:
    validator.check(GOOD)
    assert validator.violations(GOOD) == []


def test_a_record_that_violates_the_shapes_is_rejected_with_every_violation(
        validator: ShapeValidator) -> None:
    with pytest.raises(InputError, match="record: the record violates its shapes") as caught:
        validator.check(BAD)
    violations = caught.value.violations  # type: ignore[attr-defined]
    assert all(isinstance(v, ShaclViolation) for v in violations)
    assert sorted((v.focus, v.path, v.message) for v in violations) == [
        (EX + "bob", EX + "age", "a patient has one integer age"),
        (EX + "bob", EX + "hasFinding", "a finding is an ex:Finding"),
        (EX + "cid", EX + "age", "a patient has one integer age"),
        (EX + "dan", EX + "age", "a patient has one integer age"),
    ]
    assert caught.value.field == "record"
    for violation in violations:
        assert str(violation) in str(caught.value)
        assert violation.to_dict()["severity"] == "Violation"


def test_warnings_are_listed_but_do_not_reject(validator: ShapeValidator) -> None:
    record = PREFIXES + "ex:eve a ex:Patient ; ex:age 30 ."
    validator.check(record)
    [warning] = validator.violations(record)
    assert (warning.focus, warning.path, warning.severity) == (EX + "eve", EX + "name",
                                                               "Warning")


def test_records_may_be_rdflib_graphs(validator: ShapeValidator) -> None:
    graph = rdflib.Graph().parse(data=BAD, format="turtle")
    assert len(validator.violations(graph)) == 4


def test_the_ontology_is_taken_into_account(validator: ShapeValidator) -> None:
    record = PREFIXES + "ex:fay a ex:Smoker ."
    ontology = rdflib.Graph().parse(
        data=PREFIXES + "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ex:Smoker rdfs:subClassOf ex:Patient .", format="turtle")
    validator.check(record)  # a smoker is no patient without the ontology
    with pytest.raises(InputError, match=f"{EX}fay {EX}age: a patient has one integer age"):
        validator.check(record, ontology=ontology)


def test_shapes_may_be_text_or_a_path_given_as_text(validator: ShapeValidator) -> None:
    path = Path(__file__).parent / "data" / "shapes" / "patient.ttl"
    for shapes in (str(path), path.read_text()):
        assert len(ShapeValidator(shapes).violations(BAD)) == 4


def test_a_record_that_is_not_turtle_is_an_input_error(validator: ShapeValidator) -> None:
    with pytest.raises(InputError, match="record: the record is not valid Turtle"):
        validator.check("ex:ann a ex:Patient")


def test_shapes_that_do_not_parse_are_a_knowledge_error() -> None:
    path = Path(__file__).parent / "data" / "shapes" / "broken.ttl"
    with pytest.raises(KnowledgeError, match=r"cannot read the SHACL shapes .*broken\.ttl"):
        ShapeValidator(path)


@pytest.mark.parametrize("shape", [
    'sh:property [ sh:path ex:age ; sh:minCount "many" ]',
    "sh:property [ sh:minCount 1 ]",  # a property shape with no path
])
def test_shapes_that_are_not_valid_shacl_are_a_knowledge_error(shape: str) -> None:
    validator = ShapeValidator("@prefix sh: <http://www.w3.org/ns/shacl#> .\n" + PREFIXES
                               + f"ex:S a sh:NodeShape ; sh:targetClass ex:Patient ; {shape} .")
    with pytest.raises(KnowledgeError, match="the SHACL shapes cannot be applied"):
        validator.check(GOOD)
