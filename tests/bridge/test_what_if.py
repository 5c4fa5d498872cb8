"""Engine.what_if: a decision again with some facts' probabilities changed, as decide_given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge import Decision, Engine
from nesy.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _case(bundle: str, name: str) -> dict[str, Any]:
    case = json.loads((ROOT / "examples" / bundle / "cases" / f"{name}.json").read_text())
    case.pop("expected", None)
    return case


@pytest.fixture(scope="module")
def clinic() -> Engine:
    return Engine.from_bundle(ROOT / "examples" / "clinic")


@pytest.fixture(scope="module")
def digits() -> Engine:
    return Engine.from_bundle(ROOT / "examples" / "digits")


def _knowledge(decision: Decision) -> dict[str, float]:
    return {f.fact: f.probability for f in decision.facts if f.source["kind"] == "knowledge"}


def _neural(decision: Decision, read: str) -> dict[str, float]:
    return {f.source["class"]: f.probability for f in decision.facts
            if f.source["kind"] == "neural" and f.source["input"].endswith(f"/{read}")}


def _same(a: Decision, b: Decision) -> None:
    assert a.decided == b.decided and a.label == b.label and a.abstained == b.abstained
    for label, p in a.alternatives.items():
        assert b.alternatives[label] == pytest.approx(p, abs=1e-12), label


def test_no_change_is_the_same_decision(clinic: Engine) -> None:
    case = _case("clinic", "case-004")
    decision = clinic.decide(case)
    _same(clinic.what_if(decision, case["record"], {}), decision)
    _same(clinic.what_if(decision, None, {}), decision)  # the record from the decision


def test_a_network_class_renormalises_the_other(clinic: Engine) -> None:
    case = _case("clinic", "case-004")  # the rules read only cytology(fna, malignant) here
    decision = clinic.decide(case)
    changed = clinic.what_if(decision, case["record"], {"cytology(fna,malignant)": 0.3})
    given = clinic.decide_given(case["record"], {"fna": {"malignant": 0.3, "benign": 0.7}},
                                knowledge=_knowledge(decision), case_id=decision.case)
    _same(changed, given)
    assert changed.alternatives != decision.alternatives


def test_a_graph_fact(clinic: Engine) -> None:
    case = _case("clinic", "case-004")
    decision = clinic.decide(case)
    fact = "has_risk_factor(p004,p004_family_history)"
    assert _knowledge(decision)[fact] == pytest.approx(0.7)
    changed = clinic.what_if(decision, case["record"], {fact: 1.0})
    given = clinic.decide_given(case["record"], {"fna": _neural(decision, "fna")},
                                knowledge={**_knowledge(decision), fact: 1.0})
    _same(changed, given)
    source = next(f.source for f in changed.facts if f.fact == fact)
    assert source["what_if"] == {"was": pytest.approx(0.7)} and source["triple"]


def test_a_true_false_record_field_takes_any_probability(clinic: Engine) -> None:
    case = _case("clinic", "case-004")
    decision = clinic.decide(case)
    fact = "family_history(case)"
    yes = clinic.what_if(decision, case["record"], {fact: 1.0})
    no = clinic.what_if(decision, case["record"], {fact: 0.0})
    _same(yes, clinic.decide_given({**case["record"], "family_history": True},
                                   {"fna": _neural(decision, "fna")},
                                   knowledge=_knowledge(decision)))
    _same(no, decision)
    # one independent fact: the probabilities are linear in its probability
    half = clinic.what_if(decision, case["record"], {fact: 0.25})
    for label, p in half.alternatives.items():
        assert p == pytest.approx(0.25 * yes.alternatives[label] + 0.75 * no.alternatives[label],
                                  abs=1e-12)


def test_ten_classes_renormalise_in_proportion(digits: Engine) -> None:
    case = _case("digits", "pair-001")
    decision = digits.decide(case)
    left = _neural(decision, "left")
    changed = digits.what_if(decision, None, {"digit(left,3)": 0.5})
    scale = 0.5 / (1 - left["3"])
    inputs = {"left": {label: 0.5 if label == "3" else p * scale for label, p in left.items()},
              "right": _neural(decision, "right")}
    assert sum(inputs["left"].values()) == pytest.approx(1.0)
    _same(changed, digits.decide_given({}, inputs, knowledge=_knowledge(decision) or None,
                                       case_id=decision.case))
    assert changed.alternatives["s3"] > decision.alternatives["s3"]


def test_what_if_reuses_the_circuit_and_keeps_no_audit(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    engine = Engine.from_bundle(ROOT / "examples" / "clinic", audit_log=log)
    case = _case("clinic", "case-006")
    decision = engine.decide(case)
    for p in (0.1, 0.5, 0.9):  # another decided label is explained once: grounded once
        engine.what_if(decision, case["record"], {"cytology(fna,malignant)": p})
    groundings = engine.program.groundings
    for p in (0.2, 0.6, 0.95):
        engine.what_if(decision, case["record"], {"cytology(fna,malignant)": p})
    assert engine.program.groundings == groundings
    assert len(log.read_text().splitlines()) == 1  # the decision, not the questions


@pytest.mark.parametrize(("changes", "field"), [
    ({"nothing(case)": 0.5}, "changes['nothing(case)']"),
    ({"cytology(fna,malignant)": 1.5}, "changes['cytology(fna,malignant)']"),
    ({"cytology(fna,malignant)": True}, "changes['cytology(fna,malignant)']"),
    ({"age(case,46)": 0.5}, "changes['age(case,46)']"),
])
def test_bad_changes_name_the_fact(clinic: Engine, changes: dict[str, Any], field: str) -> None:
    case = _case("clinic", "case-004")
    decision = clinic.decide(case)
    with pytest.raises(InputError) as error:
        clinic.what_if(decision, case["record"], changes)
    assert error.value.field == field


def test_classes_of_one_input_cannot_add_up_to_more_than_1(digits: Engine) -> None:
    decision = digits.decide(_case("digits", "pair-001"))
    with pytest.raises(InputError, match="more than 1"):
        digits.what_if(decision, None, {"digit(left,3)": 0.7, "digit(left,4)": 0.6})


@pytest.mark.parametrize("name", ["case-001", "case-003", "case-004", "case-006"])
def test_what_if_facts_are_the_influential_facts_what_if_accepts(clinic: Engine,
                                                                 name: str) -> None:
    case = _case("clinic", name)
    decision = clinic.decide(case)
    facts = clinic.what_if_facts(decision, limit=3)
    assert 0 < len(facts) <= 3
    ranked = [item.fact for item in decision.explanation.influence]
    assert [ranked.index(f.fact) for f in facts] == sorted(ranked.index(f.fact) for f in facts)
    neural_inputs = [f.source["input"] for f in facts if f.source["kind"] == "neural"]
    assert len(neural_inputs) == len(set(neural_inputs))  # one class of the two-class network
    for fact in facts:
        assert fact.source["kind"] in ("neural", "knowledge", "case")
        clinic.what_if(decision, case["record"], {fact.fact: 0.5})  # accepted, no error
