"""A digit CNN learned from sums alone drops into the digits bundle: Engine, explanations, app.

``examples/digits/learn.py`` trains the bundle's CNN through the rules of DeepProbLog's
addition program, with no digit label, and saves it as the bundle's ``models/digit`` with
metadata saying so. The bundle's Engine then reads digits with it, its explanations show the
learned network's predictions as neural leaves, and the console's Models page says how it was
trained.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from streamlit.testing.v1 import AppTest

from bridge import Engine, network_report
from neural import read_metadata

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits"


def _learn_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_digits_learn", DIGITS / "learn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_digits_learn"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of the digits bundle whose CNN was trained from sums (3 epochs)."""
    bundle = tmp_path_factory.mktemp("digits") / "digits"
    shutil.copytree(DIGITS, bundle, ignore=shutil.ignore_patterns("models", ".history",
                                                                  "__pycache__"))
    learn = _learn_module()
    classifier, summary = learn.learn(1, epochs=3, patience=None)
    summary["saved"] = learn.save(classifier, summary, bundle)
    return bundle, summary


def test_the_saved_model_says_how_it_was_trained(learned: tuple[Path, dict]) -> None:
    bundle, summary = learned
    meta = read_metadata(bundle / "models", "digit")
    assert meta.version == summary["saved"]["version"]
    assert meta.training is not None
    assert meta.training["method"].startswith("through logic")
    assert meta.training["program"] == "learning/addition.pl"
    assert meta.calibration is None          # calibrating would need digit labels
    assert meta.metrics is not None and meta.metrics["accuracy"] > 0.8
    assert summary["heldout"]["digit_accuracy"] > 0.8


def test_the_engine_decides_with_the_learned_network(learned: tuple[Path, dict]) -> None:
    bundle, summary = learned
    engine = Engine.from_bundle(bundle)
    assert engine.networks["digit"].version == summary["saved"]["version"]
    cases = [json.loads(line) for line in
             (bundle / "cases" / "heldout.jsonl").read_text().splitlines()[:40]]
    decisions = engine.decide_many(cases)
    right = sum(d.label == c["expected"]["label"] for d, c in zip(decisions, cases, strict=True))
    assert right >= 0.8 * len(cases)
    decision = decisions[0]
    neural = [leaf for proof in decision.explanation.proofs for leaf in proof.leaves()
              if leaf.source.kind == "neural"]
    assert neural, "the learned digit predictions are leaves of the proofs"
    for leaf in neural:
        assert leaf.source.details["model"] == "digit"
        assert leaf.source.details["version"] == summary["saved"]["version"]
        assert leaf.source.details["input"].rsplit("/", 1)[1] in ("left", "right")
    facts = {fact.fact: fact for fact in decision.facts}
    read = [f for f in facts.values() if f.source.get("model") == "digit"]
    assert len(read) == 20  # ten classes for each image, from the learned network


def test_the_models_page_shows_the_training(learned: tuple[Path, dict],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bundle, _ = learned
    report = network_report(Engine.from_bundle(bundle))
    assert report["digit"].training is not None
    assert report["digit"].before is None     # no calibration: one stage
    monkeypatch.setenv("NESY_BUNDLE", str(bundle))
    at = AppTest.from_file(str(ROOT / "apps" / "ui" / "models.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Trained through logic: from sums only, no digit labels")
               for c in captions), captions
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == f"{report['digit'].after.metrics.accuracy:.4f}"
