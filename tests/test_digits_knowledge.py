"""The digits bundle's knowledge graph (knowledge/numbers.ttl) and its third task, sum_is/1.

The graph's facts come with every case ([knowledge] entities = "all"); the decision stays the
sum, and an explanation of a sum_is query shows the graph's facts with their triples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge import Engine
from symbolic import Fact, Proof, Step

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "examples" / "digits"
NUM = "http://example.org/nesy/digits/numbers#"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_bundle(DIGITS)


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DIGITS / "cases" / f"{name}.json").read_text())
    return data


def _leaves(proof: Proof) -> dict[str, Fact]:
    return {leaf.atom: leaf for leaf in proof.leaves() if isinstance(leaf, Fact)}


def test_every_decision_carries_the_numbers(engine: Engine) -> None:
    case = _case("pair-004")  # a 1 and a 5
    decision = engine.decide(case)
    assert decision.label == case["expected"]["label"] == "s6"
    knowledge = {f.fact: f for f in decision.facts if f.source["kind"] == "knowledge"}
    assert len(knowledge) == 50  # 19 values, 10 even, 9 odd, 7 prime, 5 squares
    assert sum(f.fact.startswith("value(") for f in knowledge.values()) == 19
    prime = knowledge["prime(seven)"]
    assert prime.probability == 1.0 and prime.source["inferred"] is True
    assert prime.source["triple"] == [f"<{NUM}seven>",
                                      "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
                                      f"<{NUM}Prime>"]
    assert knowledge["square(nine)"].source["inferred"] is False
    assert "prime(one)" not in knowledge and "square(two)" not in knowledge
    json.dumps(decision.to_dict())


def test_an_explanation_of_the_third_task_shows_the_graph(engine: Engine) -> None:
    # what the network reads in a real case, then why its sum is (not) prime
    decision = engine.decide(_case("pair-004"))
    inputs: dict[str, dict[str, float]] = {"left": {}, "right": {}}
    for fact in decision.facts:
        if fact.source["kind"] == "neural":
            side = fact.source["input"].rsplit("/", 1)[1]
            inputs[side][fact.source["class"]] = fact.probability
    explanation = engine.explain_given("sum_is(even)", {}, inputs)
    assert explanation.probability == pytest.approx(
        engine.query_given(["sum_is(even)"], {}, inputs)["sum_is(even)"])
    assert explanation.probability > 0.8  # 1 + 5
    best = explanation.proofs[0]
    assert isinstance(best.root, Step) and best.root.rule is not None
    assert best.root.rule.id == "sum_even"
    assert (best.root.rule.source or "").startswith("knowledge/numbers.ttl, num:Even")
    leaves = _leaves(best)
    assert set(leaves) == {"digit(left,1)", "digit(right,5)", "value(six,6)", "even(six)"}
    value, even = leaves["value(six,6)"].source, leaves["even(six)"].source
    assert value.kind == even.kind == "knowledge"
    assert value.details["triple"] == [f"<{NUM}six>", f"<{NUM}value>",
                                       '"6"^^<http://www.w3.org/2001/XMLSchema#integer>']
    assert value.details["graph"].endswith("examples/digits/knowledge/numbers.ttl")
    assert even.details["inferred"] is False
    assert leaves["digit(left,1)"].source.kind == "neural"


def test_inferred_classes_reach_the_rules(engine: Engine) -> None:
    explanation = engine.explain_given("sum_is(prime)", {},
                                       {"left": {"3": 1.0}, "right": {"4": 1.0}})
    assert explanation.probability == pytest.approx(1.0)
    leaves = _leaves(explanation.proofs[0])
    prime = leaves["prime(seven)"].source
    assert prime.kind == "knowledge" and prime.details["inferred"] is True
    assert prime.details["graph"] == "urn:nesy:inferred"
    assert explanation.to_dict()["proofs"][0]["tree"]["rule"]["id"] == "sum_prime"


def test_the_third_task_weighs_the_readings(engine: Engine) -> None:
    inputs = {"left": {"3": 0.6, "8": 0.4}, "right": {"4": 1.0}}
    kinds = engine.query_given([f"sum_is({k})" for k in ("even", "odd", "prime", "square")],
                               {}, inputs)
    assert kinds == pytest.approx({"sum_is(even)": 0.4, "sum_is(odd)": 0.6,
                                   "sum_is(prime)": 0.6, "sum_is(square)": 0.0})
    # the decision is still the sum, and the graph does not change it
    with_graph = engine.decide_given({}, inputs)
    without = engine.decide_given({}, inputs, knowledge={})
    assert with_graph.decided == without.decided == "s7"
    assert with_graph.alternatives == without.alternatives


def test_every_sum_has_its_number(engine: Engine) -> None:
    for total in range(19):
        left, right = min(total, 9), total - min(total, 9)
        inputs = {"left": {str(left): 1.0}, "right": {str(right): 1.0}}
        kinds = engine.query_given(["sum_is(even)", "sum_is(odd)"], {}, inputs)
        assert kinds == pytest.approx({"sum_is(even)": float(total % 2 == 0),
                                       "sum_is(odd)": float(total % 2 == 1)}), total
