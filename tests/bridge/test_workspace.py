"""RuleWorkspace: check, test and save edited rule texts of a copy of the clinic bundle."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from bridge import HISTORY, Bundle, Engine, InputError, RuleWorkspace, unified_diff

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "examples" / "clinic"
RISK = "rules/risk.pl"
RECOMMENDATIONS = "rules/recommendations.pl"
AGE_RULE = "0.05::suspicious_finding :- benign_cytology, age(case, Age), Age >= 50."
# The same rule with a stronger residual suspicion: three rule tests pin the 0.05.
STRONGER = AGE_RULE.replace("0.05", "0.5")
BENIGN_AT_55 = ({"age": 55, "family_history": False, "patient": "p001"},
                {"fna": {"malignant": 0.0, "benign": 1.0}})


@pytest.fixture(scope="module")
def trained() -> Path:
    """The clinic bundle with its model trained (the first use trains it, once)."""
    Engine.from_bundle(CLINIC)
    return CLINIC


@pytest.fixture
def clinic(trained: Path, tmp_path: Path) -> Path:
    """A copy of the clinic bundle, models included, to edit."""
    root = tmp_path / "clinic"
    shutil.copytree(trained, root, ignore=shutil.ignore_patterns(HISTORY, "audit.jsonl*"))
    return root


@pytest.fixture
def workspace(clinic: Path) -> RuleWorkspace:
    return RuleWorkspace(clinic)


def edited(workspace: RuleWorkspace, file: str, old: str, new: str) -> dict[str, str]:
    texts = workspace.texts()
    assert old in texts[file]
    texts[file] = texts[file].replace(old, new)
    return texts


# ------------------------------------------------------------------ files


def test_files_are_named_relative_to_the_bundle(workspace: RuleWorkspace) -> None:
    assert workspace.files == ("rules/findings.pl", RECOMMENDATIONS, RISK)
    assert workspace.texts()[RISK] == (CLINIC / RISK).read_text(encoding="utf-8")


def test_an_unknown_file_is_an_input_error(workspace: RuleWorkspace) -> None:
    with pytest.raises(InputError, match=r"'rules/nope\.pl' is not a rule file of the bundle"):
        workspace.check({"rules/nope.pl": "a."})
    with pytest.raises(InputError, match="is not a rule file"):
        workspace.history("../bundle.toml")


# ------------------------------------------------------------------ check


def test_the_shipped_rules_check_clean(workspace: RuleWorkspace) -> None:
    report = workspace.check()
    assert report.diagnostics == ()
    assert report.files == ("bundle.toml", *workspace.files)


def test_check_reads_the_texts_not_the_files(workspace: RuleWorkspace) -> None:
    texts = workspace.texts()
    texts[RISK] += "\nill :- smokes(case).\n"
    report = workspace.check(texts)
    errors = [d for d in report.diagnostics if d.severity == "error"]
    assert [(str(d.location), d.code) for d in errors] == [("rules/risk.pl:34:8", "undefined")]
    assert "smokes/1" in errors[0].message
    assert workspace.check().diagnostics == ()  # the file on disk is untouched


def test_the_files_are_one_program(workspace: RuleWorkspace) -> None:
    """What one file defines, another uses: an error in one shows in the other."""
    texts = edited(workspace, "rules/findings.pl", "malignant_cytology :-", "malignant_look :-")
    found = {(d.location.file, d.code) for d in workspace.check(texts).diagnostics}
    assert (RECOMMENDATIONS, "undefined") in found


def test_bundle_toml_diagnostics_are_named_as_in_the_bundle(workspace: RuleWorkspace) -> None:
    texts = edited(workspace, RECOMMENDATIONS,
                   "recommend(routine_screening) :- \\+ suspicious_finding, \\+ elevated_risk.",
                   "")
    report = workspace.check(texts)
    assert [(d.location.file, d.code) for d in report.diagnostics if d.severity == "error"] \
        == [("bundle.toml", "decision-label")]


@pytest.mark.parametrize("clause, goal", [
    ("p :- shell(ls).", "shell/1"),
    ("p :- open('/etc/passwd', read, _S).", "open/3"),
    ("p :- halt.", "halt/0"),
    ("p :- assertz(system:evil).", "assertz/1"),
    (":- initialization(halt).", "initialization/1"),
])
def test_a_sandbox_violation_is_an_error(workspace: RuleWorkspace, clause: str,
                                         goal: str) -> None:
    texts = workspace.texts()
    texts[RISK] += f"\n{clause}\n"
    report = workspace.check(texts)
    forbidden = [d for d in report.diagnostics if d.code == "forbidden"]
    assert forbidden and goal in forbidden[0].message
    assert forbidden[0].location.file == RISK and forbidden[0].location.line == 34
    assert report.errors >= 1


# ------------------------------------------------------------------- test


def test_the_shipped_rules_pass_their_tests(workspace: RuleWorkspace) -> None:
    run = workspace.test()
    assert run.error is None and run.ok
    assert run.passed == len(run.results) >= 20
    assert all(r.test.location.file == "tests/guideline.toml" for r in run.results)


def test_tests_run_on_the_texts(workspace: RuleWorkspace) -> None:
    run = workspace.test(edited(workspace, RECOMMENDATIONS, AGE_RULE, STRONGER))
    failed = [r for r in run.results if not r.passed]
    assert run.failed == len(failed) == 3
    assert any("from age 50" in r.test.name for r in failed)
    assert all(r.problems for r in failed)
    assert workspace.test().ok  # the files are untouched


@pytest.mark.parametrize("text, message", [
    ("garbage((", "rules/risk.pl:1:"),
    ("p :- shell(ls).", "forbidden goal shell/1"),
])
def test_rules_the_engine_refuses_give_an_error_not_a_crash(
        workspace: RuleWorkspace, text: str, message: str) -> None:
    run = workspace.test({RISK: text})
    assert run.results == () and not run.ok
    assert run.error is not None and message in run.error
    assert str(workspace.root.resolve()) not in run.error


def test_tests_write_no_audit_log(clinic: Path) -> None:
    toml = clinic / "bundle.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[audit]\nlog = "audit.jsonl"\n',
                    encoding="utf-8")
    assert RuleWorkspace(clinic).test().ok
    assert not (clinic / "audit.jsonl").exists()


# ------------------------------------------------------------------- save


def test_save_refuses_an_error_and_writes_nothing(workspace: RuleWorkspace) -> None:
    before = workspace.texts()
    texts = dict(before)
    texts[RISK] += "\np :- shell(ls).\n"
    result = workspace.save(texts)
    assert not result.saved
    assert "not saved: the check found 1 error" in result.reason
    assert result.report is not None and result.report.errors == 1
    assert workspace.texts() == before
    assert workspace.history(RISK) == []


def test_save_refuses_a_syntax_error(workspace: RuleWorkspace) -> None:
    texts = edited(workspace, RISK, "elevated_risk :- family_history(case).",
                   "elevated_risk :- family_history(case")
    result = workspace.save(texts)
    assert not result.saved and result.report is not None
    assert [(str(d.location), d.code) for d in result.report.diagnostics
            if d.severity == "error"] == [("rules/risk.pl:32:38", "syntax")]


def test_save_writes_keeps_the_previous_version_and_diffs(workspace: RuleWorkspace) -> None:
    before = workspace.texts()
    result = workspace.save(edited(workspace, RECOMMENDATIONS, AGE_RULE, STRONGER))
    assert result.saved and result.reason == ""
    assert result.changed == (RECOMMENDATIONS,)
    assert STRONGER in workspace.path(RECOMMENDATIONS).read_text(encoding="utf-8")
    assert workspace.texts()[RISK] == before[RISK]  # the other files are untouched
    (kept,) = result.kept
    assert kept.file == RECOMMENDATIONS and kept.text() == before[RECOMMENDATIONS]
    assert kept.path.parent == workspace.root / HISTORY / "rules"
    assert kept.path.name.startswith("recommendations.pl.") and kept.path.name.endswith("Z")
    assert f"-{AGE_RULE}\n" in result.diff and f"+{STRONGER}\n" in result.diff
    assert result.diff.startswith(f"--- {RECOMMENDATIONS} (before {kept.label})\n"
                                  f"+++ {RECOMMENDATIONS} (saved)\n")
    assert workspace.history(RECOMMENDATIONS) == [kept]


def test_warnings_do_not_stop_a_save(workspace: RuleWorkspace) -> None:
    texts = workspace.texts()
    texts[RISK] += "\nlonely(X) :- family_history(case), high_risk.\n"
    result = workspace.save(texts)
    assert result.saved
    assert result.report is not None and result.report.errors == 0
    assert {d.code for d in result.report.diagnostics} >= {"singleton"}


def test_nothing_to_save(workspace: RuleWorkspace) -> None:
    result = workspace.save(workspace.texts())
    assert not result.saved and result.reason.startswith("nothing to save")
    assert not (workspace.root / HISTORY).exists()


def test_a_file_saved_elsewhere_is_not_overwritten(workspace: RuleWorkspace) -> None:
    base = workspace.texts()
    other = RuleWorkspace(workspace.root)  # another session
    assert other.save(edited(other, RECOMMENDATIONS, AGE_RULE, STRONGER)).saved
    mine = dict(base)
    mine[RECOMMENDATIONS] = base[RECOMMENDATIONS] + "\n% my note\n"
    result = workspace.save(mine, base=base)
    assert not result.saved and "changed on disk since it was opened" in result.reason
    assert STRONGER in workspace.texts()[RECOMMENDATIONS]


def test_history_is_newest_first_and_restore_goes_through_the_check(
        workspace: RuleWorkspace) -> None:
    original = workspace.texts()[RECOMMENDATIONS]
    first = workspace.save(edited(workspace, RECOMMENDATIONS, AGE_RULE, STRONGER))
    second = workspace.save(edited(workspace, RECOMMENDATIONS, STRONGER,
                                   STRONGER.replace("0.5", "0.25")))
    versions = workspace.history(RECOMMENDATIONS)
    assert versions == [*second.kept, *first.kept]
    assert versions[0].replaced >= versions[1].replaced
    restored = workspace.restore(versions[-1])
    assert restored.saved
    assert workspace.texts()[RECOMMENDATIONS] == original
    assert len(workspace.history(RECOMMENDATIONS)) == 3


def test_a_bad_version_cannot_be_restored(workspace: RuleWorkspace) -> None:
    result = workspace.save({RISK: workspace.texts()[RISK] + "\n% a note\n"})
    (kept,) = result.kept
    kept.path.write_text("p :- shell(ls).\n", encoding="utf-8")  # tampered with
    restored = workspace.restore(kept)
    assert not restored.saved and "not saved" in restored.reason


def test_kept_versions_never_become_rule_files(workspace: RuleWorkspace) -> None:
    workspace.save(edited(workspace, RECOMMENDATIONS, AGE_RULE, STRONGER))
    assert Bundle.read(workspace.root).rule_files == tuple(
        workspace.path(name) for name in workspace.files)
    assert not [p for p in workspace.root.rglob("*.pl") if HISTORY in p.parts]
    assert not list((workspace.root / "rules").glob(".*"))  # no temporary file left


def test_the_saved_rules_change_decisions(workspace: RuleWorkspace) -> None:
    before = Engine.from_bundle(workspace.root).decide_given(*BENIGN_AT_55)
    assert workspace.save(edited(workspace, RECOMMENDATIONS, AGE_RULE, STRONGER)).saved
    after = Engine.from_bundle(workspace.root).decide_given(*BENIGN_AT_55)
    assert before.label == "routine_screening"
    assert after.alternatives["biopsy"] == pytest.approx(0.5)
    assert after.versions["rules"] != before.versions["rules"]


def test_concurrent_saves_keep_every_version(workspace: RuleWorkspace) -> None:
    """Saves of several sessions at once: each writes whole files, each keeps its version."""
    texts = workspace.texts()
    results = []

    def save(i: int) -> None:
        mine = dict(texts)
        mine[RISK] = texts[RISK] + f"\n% note {i}\n"
        results.append(RuleWorkspace(workspace.root).save(mine))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [r for r in results if r.saved]
    assert saved
    final = workspace.texts()[RISK]
    assert final.startswith(texts[RISK]) and final.count("% note") == 1
    kept = {v.path for v in workspace.history(RISK)}
    assert {v.path for r in saved for v in r.kept} == kept


def test_unified_diff_of_equal_texts_is_empty() -> None:
    assert unified_diff("a.\n", "a.\n", "r.pl") == ""
    assert unified_diff("a.", "b.", "r.pl").endswith("+b.\n")


def test_a_bundle_that_cannot_be_written_is_not_saved(workspace: RuleWorkspace) -> None:
    before = workspace.texts()
    history = workspace.root / HISTORY
    history.write_text("a file where the history folder goes")
    result = workspace.save(edited(workspace, RECOMMENDATIONS, AGE_RULE, STRONGER))
    assert not result.saved and result.reason.startswith("not saved: cannot write the rules")
    assert workspace.texts() == before
    assert not list((workspace.root / "rules").glob(".*"))
