"""The bundle-aware checker: a bundle's rules as one program, with its bundle.toml.

Each ``tests/symbolic/check/bundles/CODE/`` is a small bad bundle whose ``bundle.toml``
begins with the diagnostics it must give, one a line (the file relative to the bundle)::

    # Expect: decision-label bundle.toml:9:29
    # Expect: undefined rules/act.pl:2:15

The shipped bundles must give none; mistakes made in a copy of the clinic bundle must be
found at their file, line and column.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bridge import Bundle, BundleError, CheckReport, check_bundle, check_paths
from nesy.errors import InputError, Location
from symbolic import CODES, Diagnostic

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "symbolic" / "check" / "bundles"
CLINIC = ROOT / "examples" / "clinic"
DIGITS = ROOT / "examples" / "digits"


def expected(bundle: Path) -> list[tuple[str, str, int, int, str]]:
    found = []
    for line in (bundle / "bundle.toml").read_text().splitlines():
        if line.startswith("# Expect:"):
            code, where, *severity = line.removeprefix("# Expect:").split()
            file, row, column = where.split(":")
            found.append((code, str(bundle / file), int(row), int(column),
                          severity[0] if severity else CODES[code]))
    return sorted(found)


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int, str]]:
    return sorted((d.code, d.location.file, d.location.line or 0, d.location.column or 0,
                   d.severity) for d in diagnostics)


@pytest.mark.parametrize("bundle", sorted(p for p in BAD.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_each_bad_bundle_gives_exactly_its_diagnostics(bundle: Path) -> None:
    assert expected(bundle), f"{bundle.name} has no '# Expect:' line"
    diagnostics = check_bundle(bundle)
    assert found(diagnostics) == expected(bundle), "\n".join(map(str, diagnostics))
    assert bundle.name in {d.code for d in diagnostics}


@pytest.mark.parametrize("bundle", [CLINIC, DIGITS], ids=lambda p: p.name)
def test_the_shipped_bundles_are_clean(bundle: Path) -> None:
    assert check_bundle(bundle) == []
    report = check_paths([bundle])
    assert report.diagnostics == ()
    assert report.files == (str(bundle / "bundle.toml"),
                            *map(str, Bundle.read(bundle).rule_files))


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A copy of the clinic bundle's bundle.toml and rules, to make mistakes in."""
    root = tmp_path / "clinic"
    root.mkdir()
    shutil.copy(CLINIC / "bundle.toml", root / "bundle.toml")
    shutil.copytree(CLINIC / "rules", root / "rules")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if fragment in line)


def test_mistakes_in_a_bundle_are_found_where_they_are(clinic: Path) -> None:
    risk, recommendations = clinic / "rules" / "risk.pl", clinic / "rules" / "recommendations.pl"
    edit(risk, "elevated_risk :- family_history(case).", "elevated_risk :- famly_history(case).")
    edit(recommendations, "suspicious_finding :- malignant_cytology.",
         "suspicious_finding :- malignant_cytolgy.")
    edit(recommendations, "recommend(routine_screening) :-", "recommend(routine_screnning) :-")
    toml = clinic / "bundle.toml"
    diagnostics = [str(d) for d in check_bundle(clinic)]
    labels = line_of(toml, "labels = [")
    assert diagnostics == [
        f"{toml}:{labels}:49: error: no rule can derive recommend(routine_screening): no clause "
        "head recommend(...) matches it [decision-label]",
        f"{toml}:{line_of(toml, 'family_history = {')}:47: warning: no rule uses "
        "family_history/1, which the record field family_history gives [external-unused]",
        f"{clinic / 'rules' / 'findings.pl'}:18:1: warning: no query or evidence depends on "
        "malignant_cytology/0: the clause is never used [unreachable]",
        f"{recommendations}:18:23: error: unknown predicate malignant_cytolgy/0 (did you mean "
        "malignant_cytology/0?) [undefined]",
        f"{recommendations}:43:1: warning: the rules derive recommend(routine_screnning), but "
        "routine_screnning is no label of bundle.toml [decision]: the engine never asks for it "
        "(did you mean routine_screening?) [decision-answer]",
        f"{risk}:32:18: error: unknown predicate famly_history/1 (did you mean "
        "family_history/1?) [undefined]",
    ]


def test_a_misspelled_record_predicate(clinic: Path) -> None:
    toml = clinic / "bundle.toml"
    edit(toml, 'predicate = "age" }', 'predicate = "patient_age" }')
    diagnostics = [str(d) for d in check_bundle(clinic)]
    recommendations = clinic / "rules" / "recommendations.pl"
    assert diagnostics == [
        f"{toml}:{line_of(toml, 'patient_age')}:35: warning: no rule uses patient_age/2, which "
        "the record field age gives [external-unused]",
        f"{recommendations}:28:46: error: unknown predicate age/2 [undefined]",
    ]


def test_networks_and_knowledge_predicates(clinic: Path) -> None:
    findings, toml = clinic / "rules" / "findings.pl", clinic / "bundle.toml"
    edit(findings, "nn(cytology,", "nn(cytolgy,")
    edit(toml, "moderate_risk_factor = { class", "moderate_risk = { class")
    diagnostics = [str(d) for d in check_bundle(clinic)]
    risk = clinic / "rules" / "risk.pl"
    assert diagnostics == [
        f"{toml}:{line_of(toml, '[networks.cytology]')}:1: warning: no nn(cytology, ...) "
        "declaration in the rules uses the network cytology [network-unused]",
        f"{toml}:{line_of(toml, 'moderate_risk = ')}:1: warning: no rule uses moderate_risk/1, "
        "which the knowledge graph gives [external-unused]",
        f"{findings}:13:4: error: nn(cytolgy, ...) names no network of the bundle "
        "(bundle.toml [networks]: cytology) [network-unknown]",
        f"{risk}:27:59: error: unknown predicate moderate_risk_factor/1 (did you mean "
        "moderate_risk/1?) [undefined]",
    ]


def test_the_decision_query_and_labels(clinic: Path) -> None:
    toml = clinic / "bundle.toml"
    edit(toml, 'query = "recommend"', 'query = "recomend"')
    (diagnostic,) = check_bundle(clinic)
    assert str(diagnostic) == (
        f"{toml}:{line_of(toml, 'query = ')}:9: error: no rule defines the decision query "
        "recomend/1: the rules must derive recomend(Label) for the labels [decision-query]")
    edit(toml, 'query = "recomend"', 'query = "Recommend"')
    assert [d.code for d in check_bundle(clinic)] == ["decision-query"]
    edit(toml, 'query = "Recommend"', 'query = "recommend"')
    edit(toml, '"biopsy", "short_interval_follow_up", "routine_screening"]',
         '"biopsy", "short_interval_follow_up", "routine_screening", "Refer", "a b"]')
    assert [(d.code, d.location.column, d.message) for d in check_bundle(clinic)] == [
        ("decision-label", 70, "the label 'Refer' reads as a variable in recommend(Refer): a "
         "label is a name starting with a lower-case letter"),
        ("decision-label", 79, "the label 'a b' cannot be read as a Prolog term in "
         "recommend(a b)"),
    ]


def test_a_query_with_a_syntax_error_in_its_clauses_is_not_called_undefined(
        clinic: Path) -> None:
    recommendations = clinic / "rules" / "recommendations.pl"
    edit(recommendations, "recommend(biopsy) :- suspicious_finding.",
         "recommend(biopsy) :- suspicious_finding(.")
    # the block above the clause that does not parse is detached, as in a file alone
    assert [d.code for d in check_bundle(clinic)] == ["metadata-detached", "syntax"]


@pytest.mark.parametrize("old, new, where, message", [
    ('policy = "expected_cost"', 'policy = "cheapest"', ("policy = ", 10),
     "[decision] policy 'cheapest' is not one of most_probable, threshold, expected_cost"),
    ('[decision]', '[decision', ("[decision", 10), "not valid TOML: Expected ']' at the end of "
     "a table declaration"),
    ('abstain_below = 0.6', 'abstain_below = 6', ("abstain_below", 1),
     "[decision] abstain_below must be in [0,1]"),
    ('network = "cytology"', 'network = "cytolgy"', ("network = ", 11),
     "[inputs.fna] reads the unknown network 'cytolgy'"),
    ('age = { type = "int"', 'age = { type = "integer"', ("age = {", 9),
     "[record] age type must be one of int, float, bool, str, entity"),
    ('patient = { type = "entity", predicate = "patient" }',
     'patient = { type = "entity", predicate = "Patient" }', ("patient = {", 30),
     "[record] patient predicate 'Patient' is not a predicate name (lower case, letters, "
     "digits, _)"),
    ('version = "1.0.0"', 'version = "1.0.0"\nauthor = "me"', ("author", 1),
     "unknown key 'author' in [bundle] (known: description, name, version)"),
])
def test_a_bad_bundle_toml_is_a_diagnostic_at_its_line(
        clinic: Path, old: str, new: str, where: tuple[str, int], message: str) -> None:
    toml = clinic / "bundle.toml"
    edit(toml, old, new)
    (diagnostic,) = check_bundle(clinic)
    assert diagnostic.code == "bundle" and diagnostic.severity == "error"
    assert diagnostic.location == Location(str(toml), line_of(toml, where[0]), where[1])
    assert diagnostic.message == message
    with pytest.raises(BundleError) as caught:
        Bundle.read(clinic)
    assert caught.value.location == diagnostic.location
    assert str(caught.value) == f"{diagnostic.location}: {message}"


def test_knowledge_mapping_errors(clinic: Path) -> None:
    toml = clinic / "bundle.toml"
    edit(toml, 'reasoning = "rdfs"', 'reasoning = "magic"')
    (diagnostic,) = check_bundle(clinic)
    assert (diagnostic.code, diagnostic.location) == (
        "bundle", Location(str(toml), line_of(toml, "reasoning = "), 1))
    assert diagnostic.message.startswith("[knowledge] reasoning 'magic' is not one of")
    edit(toml, 'reasoning = "magic"', 'reasoning = "rdfs"')
    edit(toml, 'has_risk_factor = "clinic:hasRiskFactor"', 'age = { class = "clinic:Age" }')
    diagnostics = check_bundle(clinic)
    assert [(d.code, d.location.line) for d in diagnostics if d.code == "bundle"] == [
        ("bundle", line_of(toml, 'age = { class'))]
    assert "both a record field (arity 2) and a knowledge predicate with arity 1" in \
        diagnostics[0].message


def test_a_rule_file_of_a_bundle_is_checked_with_its_bundle(
        clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    risk = clinic / "rules" / "risk.pl"
    edit(risk, "elevated_risk :- family_history(case).", "elevated_risk :- famly_history(case).")
    monkeypatch.chdir(risk.parent)
    report = check_paths(["risk.pl", "findings.pl"])
    assert [str(d) for d in report.diagnostics] == [
        "risk.pl:32:18: error: unknown predicate famly_history/1 (did you mean "
        "family_history/1?) [undefined]"]  # not the bundle.toml warning it causes
    assert report.files == ("risk.pl", "findings.pl")
    assert (report.errors, report.warnings) == (1, 0)
    folder = check_paths([clinic / "rules"])
    assert [d.location.file for d in folder.diagnostics] == [str(risk)]
    assert len(folder.files) == 3
    whole = check_paths([clinic, risk])
    assert [d.code for d in whole.diagnostics] == ["external-unused", "undefined"]
    assert whole.to_dict()["errors"] == 1


def test_a_rule_file_of_a_broken_bundle_reports_the_bundle(clinic: Path) -> None:
    toml = clinic / "bundle.toml"
    edit(toml, "[decision]", "[decision")
    report = check_paths([clinic / "rules" / "risk.pl"])
    assert [(d.code, d.location.file) for d in report.diagnostics] == [("bundle", str(toml))]


def test_files_outside_bundles_are_checked_alone(tmp_path: Path) -> None:
    (tmp_path / "a.pl").write_text("q :- r.\nquery(q).\n")
    (tmp_path / "b.pl").write_text("r.\n")
    report = check_paths([tmp_path])
    assert isinstance(report, CheckReport)
    assert [(Path(d.location.file).name, d.code) for d in report.diagnostics] == [
        ("a.pl", "undefined")]
    assert report.files == (str(tmp_path / "a.pl"), str(tmp_path / "b.pl"))
    with pytest.raises(InputError, match="no such file or folder"):
        check_paths([tmp_path / "missing"])
    with pytest.raises(InputError, match="not a bundle"):
        check_bundle(tmp_path)


def test_one_prolog_call_per_bundle(clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from symbolic._prolog import engine

    prolog = engine()
    calls: list[str] = []
    original = prolog.call

    def counting(name: str, *args: object) -> str:
        calls.append(name)
        return original(name, *args)

    monkeypatch.setattr(prolog, "call", counting)
    check_paths([clinic, clinic / "rules" / "risk.pl", clinic / "rules"])
    assert calls == ["nesy_check"]


def test_a_folder_of_bundles_checks_each_bundle_whole() -> None:
    report = check_paths([ROOT / "examples"])
    assert report.diagnostics == ()
    assert str(CLINIC / "bundle.toml") in report.files
    assert str(DIGITS / "rules" / "digits.pl") in report.files
    assert str(ROOT / "examples" / "programs" / "path.pl") in report.files
    bad = check_paths([BAD])
    assert {d.code for d in bad.diagnostics} == {path.name for path in BAD.iterdir()} | {
        "undefined"}
    assert len(bad.files) == 2 * len(list(BAD.iterdir())) - 1  # one bundle.toml is broken
