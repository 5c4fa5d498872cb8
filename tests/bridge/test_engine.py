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


WRITER = """
import sys
from bridge import Engine
sys.path.insert(0, sys.argv[3])
from test_engine import case
engine = Engine.from_bundle(sys.argv[1], audit_log=sys.argv[2], train=False)
i = 0
while True:
    engine.decide_many([case(i + j, smoker=j % 2 == 0, patient=["p1", "p2", "p3"][j % 3])
                        for j in range(10)])
    i += 10
"""


def _whole_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("writers", [1, 2])
def test_a_killed_writer_leaves_only_whole_lines(bundle: Path, tmp_path: Path,
                                                 writers: int) -> None:
    import signal
    import subprocess
    import sys
    import time

    log = tmp_path / "audit.jsonl"
    here = str(Path(__file__).parent)
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(bundle), str(log), here],
                                  stderr=subprocess.PIPE) for _ in range(writers)]
    try:
        deadline = time.monotonic() + 120
        while (not log.exists() or log.read_text().count("\n") < 60 * writers) and \
                time.monotonic() < deadline:
            for process in processes:
                assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            time.sleep(0.05)
    finally:
        for process in processes:
            process.send_signal(signal.SIGKILL)
            process.wait()
            process.stderr.close()  # type: ignore[union-attr]
    raw = log.read_text()
    lines = raw.splitlines()
    # every line parses but, at most, a last one cut inside its write by the kill
    complete = lines if raw.endswith("\n") else lines[:-1]
    decided = [json.loads(line) for line in complete]
    assert len(decided) >= 60 * writers
    assert all(set(d) >= {"schema", "case", "versions"} for d in decided)
    # the next engine on the log cuts a torn tail: whole lines, then its own
    engine = Engine.from_bundle(bundle, audit_log=log, train=False)
    assert len(_whole_lines(log)) == len(decided)
    engine.decide(case(1))
    assert _whole_lines(log)[-1]["case"] == "c1"


def test_a_torn_tail_is_cut_and_kept(bundle: Path, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    engine = Engine.from_bundle(bundle, audit_log=log, train=False)
    engine.decide_many([case(1), case(2)])
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"schema":"nesy.decision/1","case":"c3","lab')
    Engine.from_bundle(bundle, audit_log=log, train=False)
    assert log.read_bytes() == whole
    assert (tmp_path / "audit.jsonl.torn").read_bytes().startswith(b'{"schema"')


def test_a_bad_case_in_a_batch_is_named_by_its_place(engine: Engine) -> None:
    cases = [case(1), case(2), {**case(3), "record": {"smoker": "yes", "age": 40,
                                                      "patient": "p1"}}]
    with pytest.raises(InputError) as caught:
        engine.decide_many(cases)
    assert caught.value.field == "cases[2].record.smoker"
    assert str(caught.value).count("record.smoker") == 1
    with pytest.raises(InputError) as caught:
        engine.decide_many([case(1), case(2, age=400)])  # the SHACL shapes
    assert caught.value.field == "cases[1].record"


def test_decide_given_equals_deciding_the_case(engine: Engine) -> None:
    c = case(6, patient="p3", age=70)
    decision = engine.decide(c)
    high = _high(engine, c)
    given = engine.decide_given(c["record"], {"scan": {"low": 1 - high, "high": high}})
    assert given.alternatives == pytest.approx(decision.alternatives, abs=1e-12)
    leaves = [leaf.source.details for proof in given.explanation.proofs
              for leaf in proof.leaves() if leaf.source.kind == "neural"]
    assert leaves and leaves[0]["given"] is True


def test_decide_given_with_knowledge_skips_the_graph(engine: Engine) -> None:
    record = {"smoker": False, "age": 40, "patient": "nobody"}  # not in the graph
    given = engine.decide_given(record, {"scan": {"high": 0.8, "low": 0.2}},
                                knowledge={"family_history(nobody)": 0.5})
    assert given.alternatives["treat"] == pytest.approx(0.4)
    assert engine.query_given(["treat", "act(watch)"], record, {"scan": {"high": 0.8}},
                              knowledge={}) == pytest.approx({"treat": 0.0, "act(watch)": 1.0})


@pytest.mark.parametrize(("inputs", "knowledge", "field"), [
    ({"scan": {"high": 1.5}}, None, "inputs.scan.high"),
    ({"scan": {"medium": 0.5}}, None, "inputs.scan.medium"),
    ({"other": {"high": 0.5}}, None, "inputs.other"),
    ({}, None, "inputs.scan"),
    ({"scan": {"high": 0.5}}, {"unknown(p1)": 1.0}, "knowledge['unknown(p1)']"),
])
def test_decide_given_names_bad_input(engine: Engine, inputs: Any, knowledge: Any,
                                      field: str) -> None:
    with pytest.raises(InputError) as caught:
        engine.decide_given({"smoker": True, "age": 40, "patient": "p1"}, inputs, knowledge)
    assert caught.value.field == field


RULE_TESTS = """# rule tests of the test bundle

[[test]]
name = "a certain high-risk scan in a smoker is treated"
record = { smoker = true, age = 40, patient = "p2" }
inputs.scan = { high = 1.0 }
expect = "treat"
probability = { "act(treat)" = [0.999, 1.0], "treat" = [0.999, 1.0] }

[[test]]
name = "a wrong expectation fails"
record = { smoker = false, age = 40, patient = "p2" }
inputs.scan = { high = 0.9, low = 0.1 }
expect = "treat"

[[test]]
name = "given knowledge replaces the graph"
record = { smoker = false, age = 40, patient = "nobody" }
inputs.scan = { high = 0.8, low = 0.2 }
knowledge = { "family_history(nobody)" = 0.5 }
expect = "watch"
probability = { "act(treat)" = [0.3999, 0.4001] }

[[test]]
name = "a case the engine refuses fails"
record = { smoker = false, age = 400, patient = "p2" }
inputs.scan = { high = 0.5, low = 0.5 }
expect = "watch"
"""


def with_rule_tests(bundle: Path, tmp_path: Path, name: str, text: str) -> Path:
    """A copy of the bundle with ``text`` as its rule-test file ``tests/<name>``."""
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    (copy / "tests").mkdir()
    (copy / "tests" / name).write_text(text)
    return copy


def test_nesy_test_runs_the_rule_tests(bundle: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from apps.cli import main

    copy = with_rule_tests(bundle, tmp_path, "rules.toml", RULE_TESTS)
    assert main(["test", str(copy)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("rules.toml:3: PASS a certain high-risk scan in a smoker is "
                             "treated")
    assert "rules.toml:10: FAIL a wrong expectation fails: expected treat, decided watch" \
        in lines[1]
    assert lines[2].endswith(":16: PASS given knowledge replaces the graph")
    assert ":24: FAIL a case the engine refuses fails: the engine refused the case:" in lines[3]
    assert "record" in lines[3] and "age" in lines[3]
    assert lines[-1] == "4 tests: 2 passed, 2 failed"
    assert main(["test", str(copy), "-k", "certain", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] == 1 and data["tests"][0]["probabilities"]["treat"] == \
        pytest.approx(1.0)


@pytest.mark.parametrize(("text", "message"), [
    ("[[test]]\nname = 'x'\n", "a test has expect, probability or both"),
    ("[[test]]\nname = 'x'\nexpect = 'maybe'\n", "expect 'maybe' is not a label"),
    ("[[test]]\nname = 'x'\nexpect = 'treat'\ncolour = 1\n", "unknown key 'colour'"),
    ("[[test]]\nname = 'x'\nprobability = { treat = [0.5, 0.2] }\n", "[low, high]"),
    ("[[test\n", "not TOML"),
])
def test_bad_rule_test_files_are_one_line_errors(bundle: Path, tmp_path: Path, text: str,
                                                 message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from apps.cli import main

    copy = with_rule_tests(bundle, tmp_path, "bad.toml", text)
    assert main(["test", str(copy)]) == 2
    err = capsys.readouterr().err
    assert message in err and "bad.toml" in err and len(err.strip().splitlines()) == 1
