"""External predicates: facts given with each call, in bulk, against ProbLog."""

from __future__ import annotations

import random

import pytest
from problog_oracle import problog_probabilities

from nesy.errors import InputError
from symbolic import Program, Term, format_term

RULES = """
biopsy(P) :- has_finding(P, F), suspicious(F), age(P, A), A > 40.
followup(P) :- has_finding(P, _), \\+ biopsy(P).
0.9::suspicious(f1). 0.3::suspicious(f2). 0.6::suspicious(f3).
"""
EXTERNAL = {"has_finding": 2, "age": 2}


def _facts(rng: random.Random) -> dict[Term, float | None]:
    facts: dict[Term, float | None] = {}
    for patient in ("ann", "bob"):
        facts[Term("age", patient, rng.choice([35, 52, 70]))] = None
        for finding in rng.sample(["f1", "f2", "f3"], rng.randint(1, 3)):
            facts[Term("has_finding", patient, finding)] = rng.choice(
                [None, round(rng.random(), 3)])
    return facts


def _inline(facts: dict[Term, float | None]) -> str:
    lines = [f"{1.0 if p is None else p}::{format_term(t)}." for t, p in facts.items()]
    return RULES + "\n".join(lines) + "\nquery(biopsy(_)).\nquery(followup(_)).\n"


@pytest.mark.parametrize("seed", range(12))
def test_facts_give_problog_probabilities(seed: int) -> None:
    facts = _facts(random.Random(seed))
    program = Program.from_string(RULES, external=EXTERNAL)
    expected = problog_probabilities(_inline(facts))
    got = program.query(["biopsy(P)", "followup(P)"], facts=facts)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9)


def test_new_probabilities_reuse_the_circuit() -> None:
    program = Program.from_string(RULES, external=EXTERNAL)
    facts: dict[Term, float | None] = {Term("has_finding", "ann", "f1"): 0.7,
                                       Term("age", "ann", 52): None}
    assert program.probability("biopsy(ann)") == 0.0  # no facts: no finding
    first = program.query("biopsy(ann)", facts=facts)["biopsy(ann)"]
    groundings = program.groundings
    facts[Term("has_finding", "ann", "f1")] = 0.2
    second = program.query("biopsy(ann)", facts=facts)["biopsy(ann)"]
    assert program.groundings == groundings
    assert (first, second) == pytest.approx((0.63, 0.18))
    facts[Term("has_finding", "ann", "f2")] = 1.0  # a new fact: a new structure
    program.query("biopsy(ann)", facts=facts)
    assert program.groundings == groundings + 1


def test_fact_arguments_stay_data() -> None:
    program = Program.from_string("bad(X) :- name(X, N), N == 'x), halt, (y'.",
                                  external={"name": 2})
    facts = {Term("name", "p1", "x), halt, (y"): None}
    assert program.query("bad(p1)", facts=facts) == {"bad(p1)": 1.0}


def test_explanations_show_external_facts() -> None:
    program = Program.from_string(RULES, external=EXTERNAL)
    facts = {Term("has_finding", "ann", "f1"): 0.7, Term("age", "ann", 52): None}
    explanation = program.explain("biopsy(ann)", facts=facts)
    leaves = {leaf.atom: leaf for leaf in explanation.proofs[0].leaves()}
    assert leaves["has_finding(ann,f1)"].source.kind == "external"
    assert leaves["has_finding(ann,f1)"].probability == pytest.approx(0.7)
    assert leaves["age(ann,52)"].source.rule == "age/2"


@pytest.mark.parametrize(("facts", "message"), [
    ({Term("unknown", "a"): 0.5}, "not an external predicate"),
    ({Term("age", "ann"): 0.5}, "not an external predicate"),
    ({Term("age", "ann", 52): 1.5}, r"in \[0,1\]"),
    ({Term("age", "ann", Term("f", "x")): None}, "atoms"),
    ({"age(ann,52)": None}, "must be a Term"),
])
def test_bad_facts_are_input_errors(facts: dict, message: str) -> None:
    program = Program.from_string(RULES, external=EXTERNAL)
    with pytest.raises(InputError, match=message):
        program.query("biopsy(ann)", facts=facts)
    assert program.query("biopsy(ann)", facts={Term("age", "ann", 52): None}) == {
        "biopsy(ann)": 0.0}


def test_a_fact_table_is_built_once_for_many_calls() -> None:
    program = Program.from_string(RULES, external=EXTERNAL)
    table = program.fact_table({Term("has_finding", "ann", "f1"): 0.7,
                                Term("age", "ann", 52): None})
    assert program.query("biopsy(ann)", facts=table) == pytest.approx({"biopsy(ann)": 0.63})
    assert program.explain("biopsy(ann)", facts=table).probability == pytest.approx(0.63)


def test_why_not_alone_and_weights_meant_for_other_queries() -> None:
    program = Program.from_string("nn(net, [X], Y, [yes, no]) :: d(X, Y).\n"
                                  "p :- d(i1, yes). q :- d(i2, yes).")
    weights = {"d(i1,yes)": 0.9, "d(i1,no)": 0.1, "d(i2,yes)": 0.5, "d(i2,no)": 0.5}
    with pytest.raises(InputError, match="no probabilistic fact d"):
        program.explain("p", weights=weights)
    relaxed = program.explain("p", weights=weights, strict=False)
    assert relaxed.probability == pytest.approx(0.9) and relaxed.why_not is None
    why_not = program.why_not("p", weights=weights, strict=False)
    assert why_not.probability == pytest.approx(0.9)
    assert [o.goal for o in why_not.weakest] == ["d(i1,yes)"]
