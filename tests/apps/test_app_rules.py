"""The Rules page, headless (AppTest): edit, Check, Test, Save, history, restore, reload."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps.ui import _shared
from apps.ui.rules import text_key
from bridge import HISTORY, Engine, RuleWorkspace

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "examples" / "clinic"
PAGE = str(ROOT / "apps" / "ui" / "rules.py")
RISK = "rules/risk.pl"
RECOMMENDATIONS = "rules/recommendations.pl"
AGE_RULE = "0.05::suspicious_finding :- benign_cytology, age(case, Age), Age >= 50."
STRONGER = AGE_RULE.replace("0.05", "0.5")


@pytest.fixture(scope="module")
def trained() -> Path:
    Engine.from_bundle(CLINIC)  # trains the model on first use, once
    return CLINIC


@pytest.fixture
def bundle(trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the clinic bundle that the page serves and edits."""
    root = tmp_path / "clinic"
    shutil.copytree(trained, root, ignore=shutil.ignore_patterns(HISTORY, "audit.jsonl*"))
    monkeypatch.setenv("NESY_BUNDLE", str(root))
    return root


@pytest.fixture
def page(bundle: Path) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    return at


def edit(at: AppTest, file: str, text: str) -> AppTest:
    return at.text_area(key=text_key(file)).input(text).run()


def click(at: AppTest, label: str) -> AppTest:
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def table(at: AppTest, column: str) -> list[dict[str, object]]:
    """The rows of the first table on the page with that column."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value.to_dict("records")
    raise AssertionError(f"no table with a column {column!r}")


def test_the_editors_hold_the_rule_files(page: AppTest, bundle: Path) -> None:
    assert [tab.label for tab in page.tabs] == ["rules/findings.pl", RECOMMENDATIONS, RISK]
    assert page.text_area(key=text_key(RISK)).value == (bundle / RISK).read_text()
    assert [b.label for b in page.button][:4] == ["Check", "Test", "Save", "Discard changes"]
    assert page.title[0].value == "Rules"


def test_check_shows_a_planted_error_with_its_line(page: AppTest, bundle: Path) -> None:
    text = (bundle / RISK).read_text() + "\nill :- smokes(case).\n"
    at = click(edit(page, RISK, text), "Check")
    assert not at.exception
    assert at.error[0].value.startswith("1 error, ")
    (row,) = [row for row in table(at, "where") if row["severity"] == "error"]
    assert row["where"] == "rules/risk.pl:34:8"
    assert (row["severity"], row["code"]) == ("error", "undefined")
    assert "smokes/1" in str(row["message"]) and row["source"] == "ill :- smokes(case)."


def test_check_of_the_shipped_rules_is_clean(page: AppTest) -> None:
    at = click(page, "Check")
    assert at.success[0].value.startswith("No problems")


def test_test_shows_pass_and_fail(page: AppTest, bundle: Path) -> None:
    text = (bundle / RECOMMENDATIONS).read_text().replace(AGE_RULE, STRONGER)
    at = click(edit(page, RECOMMENDATIONS, text), "Test")
    assert not at.exception
    assert at.error[0].value == "3 of 20 rule tests fail:"
    rows = table(at, "result")
    assert {row["result"] for row in rows} == {"PASS", "FAIL"}
    failed = [row for row in rows if row["result"] == "FAIL"]
    assert len(failed) == 3 and all(row["reasons"] for row in failed)
    assert all(str(row["where"]).startswith("tests/guideline.toml:") for row in rows)
    assert "from age 50" in "".join(m.value for m in at.markdown)


@pytest.mark.parametrize("clause", [
    "p :- shell(ls).",
    "p :- open('/etc/passwd', read, _S).",
    "p :- halt.",
    "p :- assertz(system:evil).",
    "ill :- smokes(case).",
    "elevated_risk :- family_history(case",
])
def test_save_refuses_an_erroneous_rule(page: AppTest, bundle: Path, clause: str) -> None:
    before = (bundle / RISK).read_text()
    at = click(edit(page, RISK, before + "\n" + clause + "\n"), "Save")
    assert not at.exception
    assert at.error[0].value.startswith("Not saved: the check found")
    assert table(at, "where")
    assert (bundle / RISK).read_text() == before
    assert not (bundle / HISTORY / "rules").exists()


def test_save_accepts_a_good_rule_keeps_the_previous_and_shows_the_diff(
        page: AppTest, bundle: Path) -> None:
    before = (bundle / RECOMMENDATIONS).read_text()
    at = click(edit(page, RECOMMENDATIONS, before.replace(AGE_RULE, STRONGER)), "Save")
    assert not at.exception
    assert at.success[0].value.startswith(f"Saved {RECOMMENDATIONS}.")
    assert (bundle / RECOMMENDATIONS).read_text() == before.replace(AGE_RULE, STRONGER)
    (kept,) = (bundle / HISTORY / "rules").iterdir()
    assert kept.read_text() == before
    diffs = [c.value for c in at.code if c.language == "diff"]
    assert any(f"-{AGE_RULE}" in d and f"+{STRONGER}" in d for d in diffs)
    assert at.selectbox(key="rules-history-file").value == RECOMMENDATIONS
    assert at.selectbox(key="rules-history-version").value == kept.name
    assert "rules version" in "".join(c.value for c in at.caption)


def test_saving_reloads_the_engine(page: AppTest, bundle: Path) -> None:
    """The shared engine is keyed by the rule files: a save gives the next run a new one."""
    record = {"age": 55, "family_history": False, "patient": "p001"}
    inputs = {"fna": {"malignant": 0.0, "benign": 1.0}}
    old = _shared.engine()
    assert old.bundle.root == bundle
    assert old.decide_given(record, inputs).label == "routine_screening"
    text = (bundle / RECOMMENDATIONS).read_text().replace(AGE_RULE, STRONGER)
    at = click(edit(page, RECOMMENDATIONS, text), "Save")
    assert at.success
    new = _shared.engine()
    assert new is not old and new.versions["rules"] != old.versions["rules"]
    assert new.decide_given(record, inputs).alternatives["biopsy"] == pytest.approx(0.5)
    caption = " ".join(c.value for c in at.caption)
    assert new.versions["rules"][:12] in caption


def test_restore_brings_back_an_earlier_version(page: AppTest, bundle: Path) -> None:
    original = (bundle / RECOMMENDATIONS).read_text()
    at = click(edit(page, RECOMMENDATIONS, original.replace(AGE_RULE, STRONGER)), "Save")
    at = click(at, "Restore this version")
    assert not at.exception
    assert at.success[0].value.startswith(f"Saved {RECOMMENDATIONS}.")
    assert (bundle / RECOMMENDATIONS).read_text() == original
    assert at.text_area(key=text_key(RECOMMENDATIONS)).value == original
    assert len(RuleWorkspace(bundle).history(RECOMMENDATIONS)) == 2


def test_discard_changes(page: AppTest, bundle: Path) -> None:
    at = edit(page, RISK, "% nothing\n")
    assert "Edited: rules/risk.pl" in " ".join(c.value for c in at.caption)
    at = click(at, "Discard changes")
    assert at.text_area(key=text_key(RISK)).value == (bundle / RISK).read_text()


def test_a_file_saved_in_another_session_is_not_overwritten(page: AppTest,
                                                            bundle: Path) -> None:
    mine = (bundle / RISK).read_text() + "\n% mine\n"
    at = edit(page, RISK, mine)
    other = RuleWorkspace(bundle)
    theirs = other.texts()[RISK] + "\n% theirs\n"
    assert other.save({RISK: theirs}).saved
    at = click(at.run(), "Save")
    assert any("changed on disk since it was opened" in e.value for e in at.error)
    assert (bundle / RISK).read_text() == theirs
