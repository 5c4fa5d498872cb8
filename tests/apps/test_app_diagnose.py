"""The Diagnose page, headless (AppTest): it shows what the Engine decides, and why.

Each test drives the page as a user does (choose a case or fill the form, press Decide) and
compares what the page shows with the Engine's own answer on the same case.
"""

from __future__ import annotations

import io
import json
import re
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apps.ui.diagnose import read_image
from bridge import Decision, Engine

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "apps" / "ui" / "diagnose.py")
TIMEOUT = 180  # the first run of a bundle loads it (and trains its models if missing)


@pytest.fixture(scope="module")
def engines() -> dict[str, Engine]:
    return {name: Engine.from_bundle(ROOT / "examples" / name) for name in ("clinic", "digits")}


def _page(monkeypatch: pytest.MonkeyPatch, bundle: str) -> AppTest:
    monkeypatch.setenv("NESY_BUNDLE", str(ROOT / "examples" / bundle))
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _case(bundle: str, case_id: str) -> dict[str, Any]:
    folder = ROOT / "examples" / bundle / "cases"
    path = folder / f"{case_id}.json"
    if path.is_file():
        case = json.loads(path.read_text())
    else:
        lines = (folder / "heldout.jsonl").read_text().splitlines()
        case = next(c for c in map(json.loads, lines) if c["id"] == case_id)
    case.pop("expected", None)
    return case


def _ids(options: list[str]) -> list[str]:
    """Select box options as shown ("case-001 · expected: Biopsy") back to their values."""
    return [option.split(" · ")[0] for option in options]


def _decide(at: AppTest) -> None:
    at.button(key="decide").click()
    at.run()
    assert not at.exception, at.exception


def _html(at: AppTest, element_id: str) -> str:
    found = [h.value for h in at.html if f'id="{element_id}"' in h.value]
    assert len(found) == 1, f"{element_id}: {len(found)} elements"
    return found[0]


def _card(at: AppTest) -> dict[str, str]:
    html = _html(at, "nesy-decision")
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', html))


def _shown(at: AppTest, decision: Decision) -> None:
    """The page shows ``decision``: card, facts, proofs, influence, why not."""
    card = _card(at)
    assert card["label"] == (decision.label or "")
    assert card["decided"] == decision.decided
    assert card["abstained"] == str(decision.abstained).lower()
    assert float(card["probability"]) == pytest.approx(decision.probability, abs=1e-6)
    card_html = _html(at, "nesy-decision")
    if decision.abstained:
        assert "Refer to a person" in card_html and "would have chosen" in card_html
    facts = _html(at, "nesy-facts")
    for fact in decision.facts:
        assert f'data-fact="{escape(fact.fact)}" data-kind="{fact.source["kind"]}"' in facts
    alternatives = _html(at, "nesy-alternatives")
    assert f'data-label="{decision.decided}"' in alternatives
    [graph] = at.get("graphviz_chart")
    dot = " ".join(graph.proto.spec.replace("<br/>", " ").split())
    assert decision.explanation is not None and decision.explanation.proofs
    for proof in decision.explanation.proofs:  # every rule applied: its id, text and source
        stack: list[Any] = [proof.root]
        while stack:
            node = stack.pop()
            if hasattr(node, "rule"):
                rule = node.rule
                assert escape(rule.id) in dot
                assert " ".join(escape(rule.text).split()) in dot
                assert rule.source is None or " ".join(escape(rule.source).split()) in dot
                stack.extend(node.children)
            else:
                assert escape(node.atom) in dot
    influence = _html(at, "nesy-influence")
    for item in decision.explanation.influence[:3]:
        if abs(item.value) > 1e-12:
            assert f'data-fact="{escape(item.fact)}"' in influence
    assert decision.why_not is not None
    assert any(decision.why_not.query in m.value for m in at.markdown)


@pytest.mark.parametrize(("bundle", "case_id"), [
    ("clinic", "case-004"),    # graph facts, one uncertain
    ("clinic", "case-006"),    # referred to a person
    ("clinic", "wdbc-0009"),   # a held-out case
    ("digits", "pair-001"),
])
def test_a_bundled_case_is_decided_as_the_engine_decides_it(
        monkeypatch: pytest.MonkeyPatch, engines: dict[str, Engine], bundle: str,
        case_id: str) -> None:
    at = _page(monkeypatch, bundle)
    assert case_id in _ids(at.selectbox(key="case").options)
    at.selectbox(key="case").set_value(case_id)
    at.run()
    _decide(at)
    _shown(at, engines[bundle].decide(_case(bundle, case_id)))


def test_example_cases_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, "clinic")
    options = _ids(at.selectbox(key="case").options)
    examples = sorted(p.stem for p in (ROOT / "examples/clinic/cases").glob("*.json"))
    assert options[:len(examples)] == examples and len(options) > len(examples)


def test_what_if_sliders_decide_again_as_engine_what_if(
        monkeypatch: pytest.MonkeyPatch, engines: dict[str, Engine]) -> None:
    engine = engines["clinic"]
    case = _case("clinic", "case-004")
    decision = engine.decide(case)
    at = _page(monkeypatch, "clinic")
    at.selectbox(key="case").set_value("case-004")
    at.run()
    _decide(at)
    keys = [slider.key for slider in at.slider]
    fact = "has_risk_factor(p004,p004_family_history)"
    assert f"whatif.{fact}" in keys and "whatif.cytology(fna,malignant)" in keys
    assert "whatif.cytology(fna,benign)" not in keys  # the complement of malignant
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["What-if probability"] == f"{decision.probability:.4f}"
    for changes in ({"cytology(fna,malignant)": 0.5}, {fact: 0.2}):
        for name, value in changes.items():
            at.slider(key=f"whatif.{name}").set_value(value)
        at.run()
        assert not at.exception
        expected = engine.what_if(decision, case["record"], changes)
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["What-if probability"] == f"{expected.probability:.4f}"
        assert metrics["What-if decision"] == (
            "Refer to a person" if expected.abstained else
            expected.label.replace("_", " ").capitalize())
        at.button(key="whatif.reset").click()
        at.run()


def test_a_case_entered_in_the_form(monkeypatch: pytest.MonkeyPatch,
                                    engines: dict[str, Engine]) -> None:
    at = _page(monkeypatch, "clinic")
    at.segmented_control(key="source").set_value("Enter a case")
    at.run()
    at.selectbox(key="form.template").set_value("case-004")
    at.run()
    assert at.number_input(key="form.inputs.fna.0").value == pytest.approx(
        _case("clinic", "case-004")["inputs"]["fna"][0])
    assert "p004" in _ids(at.selectbox(key="form.record.patient").options)
    at.number_input(key="form.record.age").set_value(71)
    at.checkbox(key="form.record.family_history").check()
    at.selectbox(key="form.record.patient").set_value("p002")
    at.number_input(key="form.inputs.fna.3").set_value(1500.0)
    at.run()
    _decide(at)
    case = _case("clinic", "case-004")
    case["id"] = "case-004-edited"
    case["record"] = {"age": 71, "family_history": True, "patient": "p002"}
    case["inputs"]["fna"][3] = 1500.0
    _shown(at, engines["clinic"].decide(case))


def test_pasted_json(monkeypatch: pytest.MonkeyPatch, engines: dict[str, Engine]) -> None:
    at = _page(monkeypatch, "clinic")
    at.segmented_control(key="source").set_value("Paste JSON")
    at.run()
    case = _case("clinic", "case-009")
    at.text_area(key="json.text").input(json.dumps(case))
    at.run()
    _decide(at)
    _shown(at, engines["clinic"].decide(case))


@pytest.mark.parametrize(("text", "message"), [
    ('{"id": "x", "record": ', "not valid json"),
    ("", "paste a case as json first"),
    ("[1, 2]", "a case is a json object"),
])
def test_bad_json_is_said_on_the_page(monkeypatch: pytest.MonkeyPatch, text: str,
                                      message: str) -> None:
    at = _page(monkeypatch, "clinic")
    at.segmented_control(key="source").set_value("Paste JSON")
    at.run()
    at.text_area(key="json.text").input(text)
    at.run()
    _decide(at)
    assert any(message in error.value.lower() for error in at.error), [e.value for e in at.error]
    assert not [h for h in at.html if 'id="nesy-decision"' in h.value]


def test_a_bad_field_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, "clinic")
    at.segmented_control(key="source").set_value("Paste JSON")
    at.run()
    case = _case("clinic", "case-001")
    case["record"]["age"] = "old"
    at.text_area(key="json.text").input(json.dumps(case))
    at.run()
    _decide(at)
    [error] = at.error
    assert "record.age" in error.value and "whole number" in error.value
    # the engine serves the next case
    at.segmented_control(key="source").set_value("Bundled case")
    at.run()
    _decide(at)
    assert _card(at)["label"] == "biopsy"


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    pixels = np.clip(np.round(image / 16.0 * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").resize((64, 64), Image.Resampling.NEAREST).save(
        buffer, format="PNG")
    return buffer.getvalue()


def test_an_uploaded_picture_is_read_by_the_network(
        monkeypatch: pytest.MonkeyPatch, engines: dict[str, Engine]) -> None:
    engine = engines["digits"]
    images, digits = _heldout_digits()
    index = next(i for i in range(len(digits)) if digits[i] == 7)
    png = _png(images[index])
    at = _page(monkeypatch, "digits")
    at.segmented_control(key="source").set_value("Enter a case")
    at.run()
    at.file_uploader(key="form.upload.left").upload("seven.png", png, "image/png")
    at.run()
    _decide(at)
    template = _case("digits", "pair-001")  # the form starts from the first example
    values = read_image(png, (8, 8), (0.0, 16.0))
    assert np.abs(values - images[index]).max() < 0.1  # 64x64 back to 8x8, 0..16
    case = {"id": "pair-001-edited", "inputs": {"left": values.tolist(),
                                                "right": template["inputs"]["right"]}}
    decision = engine.decide(case)
    _shown(at, decision)
    network = _html(at, "nesy-network-left")
    top = re.search(r'class="nesy-bar-name nesy-top"[^>]*data-class="(\d)"', network)
    assert top is not None and top.group(1) == "7"


def test_a_picture_that_is_no_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, "digits")
    at.segmented_control(key="source").set_value("Enter a case")
    at.run()
    at.file_uploader(key="form.upload.right").upload("x.png", b"not a png", "image/png")
    at.run()
    _decide(at)
    assert any("cannot read the picture" in error.value.lower() for error in at.error)


def test_dark_ink_on_paper_is_inverted() -> None:
    from PIL import Image

    paper = np.full((32, 32), 255, dtype=np.uint8)
    paper[8:24, 12:20] = 0  # a dark stroke, two columns wide at 8x8
    buffer = io.BytesIO()
    Image.fromarray(paper, mode="L").save(buffer, format="PNG")
    values = read_image(buffer.getvalue(), (8, 8), (0.0, 16.0))
    assert values.shape == (8, 8)
    assert values[0, 0] == 0.0 and values[3, 3:5].min() == pytest.approx(16.0)


def _heldout_digits() -> tuple[np.ndarray, np.ndarray]:
    from bridge import Bundle, heldout_data

    [(images, digits)] = heldout_data(Bundle.read(ROOT / "examples" / "digits")).values()
    return np.asarray(images, dtype=float).reshape(-1, 8, 8), np.asarray(digits)
