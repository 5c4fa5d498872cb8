"""The Engine on a small bundle built here: a trained network, rules, a graph, shapes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridge import SCHEMA, Bundle, BundleError, Engine
from nesy.errors import InputError
from neural import MLPClassifier, save_model
from symbolic import Program

RULES = """
nn(risk, [X], Y, [low, high]) :: risk(X, Y).

%! id: treat_high_risk_smoker
%! text: A high-risk scan in a smoker calls for treatment
%! source: Test guideline, section 1
treat :- risk(scan, high), smoker(case).

%! id: treat_high_risk_history
%! text: A high-risk scan with a family history calls for treatment
%! source: Test guideline, section 2
treat :- risk(scan, high), patient(case, P), family_history(P).

%! id: treat_old
%! text: A high-risk scan after 60 calls for treatment
%! source: Test guideline, section 3
treat :- risk(scan, high), age(case, A), A > 60.

act(treat) :- treat.
act(watch) :- \\+ treat.
"""
TOML = """
[bundle]
name = "test"
version = "0.1"

[decision]
query = "act"
labels = ["treat", "watch"]
abstain_below = 0.55

[inputs.scan]
network = "risk"
shape = [4]

[networks.risk]
model = "models/risk"
domain = ["low", "high"]

[record]
smoker = { type = "bool", predicate = "smoker" }
age = { type = "int", predicate = "age" }
patient = { type = "entity", predicate = "patient" }

[knowledge]
prefixes = { ex = "http://example.org/test#" }
default_prefix = "ex"
confidence = "ex:confidence"
predicates = { family_history = { class = "ex:FamilyHistory" } }
shapes = "knowledge/shapes.ttl"
"""
GRAPH = """@prefix ex: <http://example.org/test#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:BrcaCarrier rdfs:subClassOf ex:FamilyHistory .
ex:p1 a ex:BrcaCarrier .
ex:p2 a ex:Person .
ex:p3 a ex:FamilyHistory {| ex:confidence 0.5 |} .
"""
SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/test#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:RecordShape a sh:NodeShape ; sh:targetNode ex:case ;
  sh:property [ sh:path ex:age ; sh:datatype xsd:integer ; sh:minInclusive 0 ;
                sh:maxInclusive 120 ; sh:message "age is a whole number of years, 0..120" ] .
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundle")
    (root / "rules").mkdir()
    (root / "rules" / "rules.pl").write_text(RULES)
    (root / "knowledge").mkdir()
    (root / "knowledge" / "graph.ttl").write_text(GRAPH)
    (root / "knowledge" / "shapes.ttl").write_text(SHAPES)
    (root / "bundle.toml").write_text(TOML)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = MLPClassifier(hidden=(8,), epochs=20, random_state=0).fit(x, y)
    save_model(model, root / "models", "risk", training_data=(x, y))
    return root


@pytest.fixture(scope="module")
def engine(bundle: Path) -> Engine:
    return Engine.from_bundle(bundle, train=False)


def case(i: int, smoker: bool = False, age: int = 40, patient: str = "p2",
         scan: Any = None) -> dict[str, Any]:
    rng = np.random.default_rng(i)
    return {"id": f"c{i}", "inputs": {"scan": scan if scan is not None else
                                      rng.normal(size=4).tolist()},
            "record": {"smoker": smoker, "age": age, "patient": patient}}


def _high(engine: Engine, c: dict[str, Any]) -> float:
    network = engine.networks["risk"]
    return network.facts(np.asarray([c["inputs"]["scan"]]), ids=["x"])[0].probabilities["high"]


@pytest.mark.parametrize(("smoker", "age", "patient", "factor"), [
    (True, 40, "p2", 1.0),    # smoker
    (False, 40, "p2", 0.0),   # nothing but the scan
    (False, 70, "p2", 1.0),   # over 60
    (False, 40, "p1", 1.0),   # family history, inferred through BrcaCarrier
    (False, 40, "p3", 0.5),   # an uncertain family history
])
def test_decisions_follow_the_rules(engine: Engine, smoker: bool, age: int, patient: str,
                                    factor: float) -> None:
    c = case(1, smoker, age, patient)
    decision = engine.decide(c)
    expected = _high(engine, c) * factor
    assert decision.alternatives["treat"] == pytest.approx(expected, abs=1e-9)
    assert decision.alternatives["watch"] == pytest.approx(1 - expected, abs=1e-9)
    decided = "treat" if expected > 1 - expected else "watch"
    assert decision.decided == decided
    assert decision.abstained == (max(expected, 1 - expected) < 0.55)
    assert decision.label == (None if decision.abstained else decided)


def test_the_decision_json(engine: Engine) -> None:
    decision = engine.decide(case(2, smoker=True, scan=[3.0, 3.0, 0.0, 0.0]))
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["schema"] == SCHEMA and data["case"] == "c2" and data["label"] == "treat"
    assert set(data) >= {"case", "label", "probability", "abstained", "alternatives", "facts",
                         "explanation", "versions", "timing_ms"}
    kinds = {fact["source"]["kind"] for fact in data["facts"]}
    assert kinds == {"case", "neural", "knowledge"} or kinds >= {"case", "neural"}
    leaves = [leaf for proof in data["explanation"]["proofs"] for leaf in proof["leaves"]]
    neural = [leaf for leaf in leaves if leaf["source"]["kind"] == "neural"]
    assert neural and neural[0]["source"]["model"] == "risk"
    assert neural[0]["source"]["class"] == "high"
    case_leaves = [leaf for leaf in leaves if leaf["source"]["kind"] == "case"]
    assert case_leaves and case_leaves[0]["source"]["field"] == "smoker"
    assert data["explanation"]["why_not"]["query"] == "act(watch)"
    assert data["versions"]["models"]["risk"] == engine.networks["risk"].version
    assert len(data["versions"]["rules"]) == 64


def test_knowledge_leaves_name_their_triple(engine: Engine) -> None:
    decision = engine.decide(case(3, patient="p1", scan=[3.0, 3.0, 0.0, 0.0]))
    leaves = [leaf for proof in decision.explanation.proofs for leaf in proof.leaves()]
    knowledge = [leaf for leaf in leaves if leaf.source.kind == "knowledge"]
    assert knowledge and knowledge[0].source.details["inferred"] is True
    assert "FamilyHistory" in knowledge[0].source.details["triple"][2]


def test_a_new_case_with_new_probabilities_is_not_grounded_again(engine: Engine) -> None:
    engine.decide(case(10))
    groundings = engine.program.groundings
    engine.decide(case(11))  # same record, another scan: only probabilities change
    assert engine.program.groundings == groundings


def test_decide_many_equals_one_by_one(engine: Engine) -> None:
    cases = [case(i, smoker=i % 2 == 0, age=30 + 5 * i, patient=["p1", "p2", "p3"][i % 3])
             for i in range(12)]
    batch = engine.decide_many(cases)
    single = [engine.decide(c) for c in cases]
    for a, b in zip(batch, single, strict=True):
        assert a.label == b.label and a.decided == b.decided
        for label in a.alternatives:
            assert a.alternatives[label] == pytest.approx(b.alternatives[label], abs=1e-6)


BAD_CASES: list[tuple[Any, str]] = [
    ([], "case"),
    ({"inputs": {}}, "id"),
    ({**case(0), "extra": 1}, "extra"),
    ({**case(0), "inputs": {}}, "inputs.scan"),
    ({**case(0), "inputs": {"scan": [1, 2, 3]}}, "inputs.scan"),
    ({**case(0), "inputs": {"scan": [1, 2, 3, math.nan]}}, "inputs.scan"),
    ({**case(0), "inputs": {"scan": [1, 2, 3, math.inf]}}, "inputs.scan"),
    ({**case(0), "inputs": {"scan": ["a", 2, 3, 4]}}, "inputs.scan"),
    ({**case(0), "inputs": {"scan": [1, 2, 3, 4], "other": [1]}}, "inputs.other"),
    ({**case(0), "record": {"smoker": True, "age": 40}}, "record.patient"),
    ({**case(0), "record": {"smoker": "yes", "age": 40, "patient": "p1"}}, "record.smoker"),
    ({**case(0), "record": {"smoker": True, "age": 40.5, "patient": "p1"}}, "record.age"),
    ({**case(0), "record": {"smoker": True, "age": 40, "patient": "p1", "x": 1}}, "record.x"),
    ({**case(0), "record": {"smoker": True, "age": 40, "patient": "nobody"}}, "record.patient"),
    ({**case(0), "record": {"smoker": True, "age": 400, "patient": "p1"}}, "record"),
]


@pytest.mark.parametrize(("bad", "field"), BAD_CASES)
def test_bad_cases_name_the_field(engine: Engine, bad: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        engine.decide(bad)
    assert caught.value.field == field


def test_two_hundred_bad_cases_then_a_good_one(engine: Engine) -> None:
    for i in range(200):
        bad, _ = BAD_CASES[i % len(BAD_CASES)]
        with pytest.raises(InputError):
            engine.decide(bad)
    assert engine.decide(case(5, smoker=True)).decided in ("treat", "watch")


def test_the_audit_log_has_one_line_per_decision(bundle: Path, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    engine = Engine.from_bundle(bundle, audit_log=log, train=False)
    engine.decide_many([case(i) for i in range(3)])
    lines = log.read_text().splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["case"] for line in lines] == ["c0", "c1", "c2"]
    assert json.loads(lines[0])["versions"] == engine.versions


def test_bad_bundles_are_bundle_errors(tmp_path: Path, bundle: Path) -> None:
    with pytest.raises(BundleError, match=r"no bundle\.toml"):
        Bundle.read(tmp_path)
    (tmp_path / "bundle.toml").write_text(TOML.replace('policy', 'x').replace(
        'query = "act"', 'query = "act"\npolicy = "magic"'))
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.pl").write_text("a.")
    with pytest.raises(BundleError, match="policy 'magic'"):
        Bundle.read(tmp_path)


def test_probabilities_agree_with_the_rules_alone(engine: Engine, bundle: Path) -> None:
    c = case(7, smoker=True)
    decision = engine.decide(c)
    program = Program.from_string(RULES + "\nsmoker(case). age(case, 40). patient(case, p2).\n"
                                  "family_history(nobody).\n")
    high = _high(engine, c)
    result = program.query("act(treat)", weights={"risk(scan,high)": high})
    assert decision.alternatives["treat"] == pytest.approx(result["act(treat)"], abs=1e-9)


def test_the_cli_decides_a_case_and_a_batch(bundle: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from apps.cli import main

    path = tmp_path / "case.json"
    path.write_text(json.dumps(case(4, smoker=True, scan=[3.0, 3.0, 0.0, 0.0])))
    assert main(["decide", str(bundle), str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "treat"
    assert main(["decide", str(bundle), str(path)]) == 0
    assert "case c4: treat" in capsys.readouterr().out
    batch = tmp_path / "cases.jsonl"
    batch.write_text("\n".join(json.dumps(case(i)) for i in range(3)) + "\n")
    out = tmp_path / "decisions.jsonl"
    assert main(["decide", str(bundle), "--batch", str(batch), "--out", str(out)]) == 0
    assert [json.loads(line)["case"] for line in out.read_text().splitlines()] == [
        "c0", "c1", "c2"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**case(1), "inputs": {"scan": [1, 2]}}))
    assert main(["decide", str(bundle), str(bad)]) == 2
    assert "inputs.scan" in capsys.readouterr().err
    assert main(["decide", str(bundle)]) == 2
