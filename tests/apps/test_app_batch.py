"""The Batch page, headless (AppTest): example cases, uploads (through the session state),
problems with their lines, decisions, the confusion matrix, the download."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from apps.ui import _shared
from apps.ui.batch import SOURCE, decisions_jsonl, file_format, shown
from bridge import ABSTAIN, confusion_matrix, decide_each, read_cases, write_cases_csv

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "examples" / "clinic"
HELDOUT = CLINIC / "cases" / "heldout.jsonl"


@pytest.fixture
def page(open_page: Callable[..., AppTest]) -> AppTest:
    return open_page("batch.py")


@pytest.fixture(scope="module")
def heldout() -> list[dict[str, Any]]:
    return [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]


def scored(at: AppTest, name: str, data: bytes) -> AppTest:
    """The page after a file is chosen (what the uploader's callback does)."""
    at.session_state[SOURCE] = (name, data)
    at = at.run()
    assert not at.exception
    return at


def frame(at: AppTest, column: str) -> list[dict[str, object]]:
    for found in at.dataframe:
        if column in found.value.columns:
            return found.value.to_dict("records")
    raise AssertionError(f"no table with a column {column!r}")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_without_a_file_the_page_says_what_to_do(page: AppTest) -> None:
    assert page.title[0].value == "Batch"
    assert "Upload a file of cases" in page.info[0].value
    assert page.button(key="batch-example").label == "Use the example cases"
    assert "**CSV**" in "".join(m.value for m in page.markdown)


def test_the_example_cases_in_one_click(page: AppTest, heldout: list[dict[str, Any]]) -> None:
    at = page.button(key="batch-example").click().run()
    assert not at.exception
    outcomes = at.session_state["batch-result"][1]
    assert len(outcomes) == len(heldout)
    found = metrics(at)
    referred = sum(o.decided == ABSTAIN for o in outcomes)
    assert found["Cases"] == str(len(heldout)) and found["Not decided"] == "0"
    assert found["Referred"] == str(referred)
    assert found["Decided"] == str(len(heldout) - referred)
    rows = frame(at, "alternatives")
    assert [row["case"] for row in rows] == [case["id"] for case in heldout]
    assert {row["decision"] for row in rows} <= {
        *(shown(label) for label in _shared.engine().bundle.decision.labels), _shared.REFER}
    assert all(0.0 <= float(str(row["probability"])) <= 1.0 for row in rows)
    assert [t.label for t in at.tabs] == ["Decisions", "Summary", "Confusion matrix"]


def test_the_confusion_matrix_counts(page: AppTest) -> None:
    at = page.button(key="batch-example").click().run()
    engine = _shared.engine()
    labels = engine.bundle.decision.labels
    expected = confusion_matrix(
        decide_each(engine, read_cases(HELDOUT.read_bytes(), "jsonl", engine.bundle)), labels)
    assert expected is not None
    table = at.dataframe[-1].value
    assert list(table.columns) == [*map(shown, labels), _shared.REFER]
    assert list(table.index) == list(map(shown, labels))
    assert table.to_numpy().tolist() == [list(row) for row in expected.counts]
    agreed = metrics(at)["As expected"]
    assert agreed == f"{expected.agreed / expected.total:.0%}"


def test_the_download_holds_the_decisions_with_their_versions(page: AppTest) -> None:
    at = page.button(key="batch-example").click().run()
    (button,) = [b for b in at.get("download_button")
                 if b.proto.label == "Download decisions (JSON Lines)"]
    assert button.proto.label
    lines = decisions_jsonl(at.session_state["batch-result"][1]).splitlines()
    decisions = [json.loads(line) for line in lines]
    engine = _shared.engine()
    assert len(decisions) == 114
    assert all(d["schema"] == "nesy.decision/1" and d["versions"] == engine.versions
               for d in decisions)
    first = engine.decide(json.loads(HELDOUT.read_text().splitlines()[0]))
    assert decisions[0]["case"] == first.case and decisions[0]["label"] == first.label
    assert decisions[0]["probability"] == pytest.approx(first.probability, abs=1e-6)


def test_bad_cases_are_shown_with_their_line_and_the_rest_decided(
        page: AppTest, heldout: list[dict[str, Any]]) -> None:
    cases = [json.loads(json.dumps(case)) for case in heldout[:6]]
    cases[2]["record"]["age"] = "sixty"
    cases[4]["inputs"]["fna"] = cases[4]["inputs"]["fna"][:3]
    lines = [json.dumps(case) for case in cases]
    lines.insert(1, "{broken")
    at = scored(page, "mine.jsonl", ("\n".join(lines) + "\n").encode())
    assert metrics(at)["Not decided"] == "3" and metrics(at)["Cases"] == "7"
    assert at.error[0].value.startswith("3 cases could not be decided")
    problems = frame(at, "problem")
    assert [(row["line"], row["field"]) for row in problems] == [
        (2, ""), (4, "record.age"), (6, "inputs.fna")]
    assert problems[1]["problem"] == "expected a whole number, not 'sixty'"
    assert problems[1]["case"] == cases[2]["id"]
    decided = frame(at, "alternatives")
    assert [row["line"] for row in decided] == [1, 3, 5, 7]


def test_a_csv_file_is_scored_like_json_lines(page: AppTest,
                                              heldout: list[dict[str, Any]]) -> None:
    bundle = _shared.engine().bundle
    at = scored(page, "cases.csv", write_cases_csv(heldout[:8], bundle).encode())
    rows = frame(at, "alternatives")
    assert [row["case"] for row in rows] == [case["id"] for case in heldout[:8]]
    assert [row["line"] for row in rows] == list(range(2, 10))
    assert "expected" in rows[0]


def test_a_file_that_cannot_be_read_is_an_error_on_the_page(page: AppTest) -> None:
    at = scored(page, "cases.csv", b"id,agee\nx,1\n")
    assert "cases.csv cannot be read" in at.error[0].value
    assert "unknown column 'agee'" in at.error[0].value
    at = scored(at, "empty.jsonl", b"\n\n")
    assert "empty.jsonl holds no case" in at.warning[0].value


def test_cases_without_expectations_have_no_confusion_matrix(
        page: AppTest, heldout: list[dict[str, Any]]) -> None:
    plain = [{key: value for key, value in case.items() if key != "expected"}
             for case in heldout[:4]]
    at = scored(page, "plain.jsonl", "".join(json.dumps(c) + "\n" for c in plain).encode())
    assert [t.label for t in at.tabs] == ["Decisions", "Summary"]
    assert "As expected" not in metrics(at)


def test_file_format_by_name() -> None:
    assert file_format("a.CSV") == "csv"
    assert file_format("a.jsonl") == file_format("a.json") == "jsonl"
