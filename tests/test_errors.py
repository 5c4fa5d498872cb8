"""The error tree: context added on the way up keeps an error's class and attributes."""

from __future__ import annotations

from nesy.errors import InconsistentEvidenceError, InferenceLimitError, InputError, Location


def test_with_message_keeps_the_class_the_attributes_and_the_location() -> None:
    error = InferenceLimitError("the ground program exceeds 20 clauses", "size")
    found = error.with_message(f"examples[3] q(a): {error.message}")
    assert type(found) is InferenceLimitError and found.limit == "size"
    assert str(found) == "examples[3] q(a): the ground program exceeds 20 clauses"
    located = InputError("unknown predicate p/1", Location("rules.pl", 4, 2))
    assert str(located.with_message("in q: unknown predicate p/1")) == \
        "rules.pl:4:2: in q: unknown predicate p/1"
    assert str(error) == "the ground program exceeds 20 clauses"  # the original is untouched


def test_with_field_replaces_the_field_in_the_message() -> None:
    error = InconsistentEvidenceError("the evidence is impossible", field="record.age")
    error.violations = ["age"]  # type: ignore[attr-defined]
    found = error.with_field("cases[2].record.age")
    assert type(found) is InconsistentEvidenceError
    assert found.field == "cases[2].record.age"
    assert str(found) == "cases[2].record.age: the evidence is impossible"
    assert found.violations == ["age"]  # type: ignore[attr-defined]
    assert str(InputError("no such case").with_field("cases[0]")) == "cases[0]: no such case"
