"""The rule checker: one bad file per code, no false positives, the Python API.

Each ``check/CODE.pl`` begins with the diagnostics it must give, one a line::

    % Expect: undefined 8:25
    % Expect: unsafe-head 8:9 warning

(the severity is the code's own unless given), and the checker must give exactly those.
``check/clean.pl`` must give none, and the golden programs, the examples and random
programs must give no errors. The codes of a bundle's checks have a bad bundle each,
``check/bundles/CODE/`` (checked in ``tests/bridge/test_check_bundle.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from problog_oracle import problog_probabilities
from randprog import random_program

from nesy.errors import InputError, Location, NesyError
from symbolic import Diagnostic, Program, check_file, check_path, check_string
from symbolic._check import CODES

HERE = Path(__file__).parent
CHECK = HERE / "check"
GOLDEN = HERE / "golden"
EXAMPLES = HERE.parents[1] / "examples" / "programs"
# Codes of problems that the engine also refuses (at load, or when a query reaches them).
ENGINE_REFUSES = {"syntax", "undefined", "unsafe-negation", "unsafe-arithmetic", "arithmetic",
                  "probability", "ad-mass", "not-stratified", "prob-aggregate", "forbidden",
                  "redefined", "malformed"}


def expected(path: Path) -> list[tuple[str, int, int, str]]:
    """The ``% Expect:`` lines of a file: (code, line, column, severity)."""
    found = []
    for line in path.read_text().splitlines():
        if line.startswith("% Expect:"):
            code, where, *severity = line.removeprefix("% Expect:").split()
            row, column = where.split(":")
            found.append((code, int(row), int(column), severity[0] if severity else CODES[code]))
    return sorted(found)


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    return sorted((d.code, d.location.line, d.location.column, d.severity) for d in diagnostics)


def _bad_files() -> list[Path]:
    return sorted(p for p in CHECK.glob("*.pl") if p.name != "clean.pl")


@pytest.mark.parametrize("path", _bad_files(), ids=lambda p: p.stem)
def test_each_bad_file_gives_exactly_its_diagnostics(path: Path) -> None:
    assert expected(path), f"{path.name} has no '% Expect:' line"
    diagnostics = check_file(path)
    assert found(diagnostics) == expected(path), "\n".join(map(str, diagnostics))
    assert all(d.location.file == str(path) for d in diagnostics)


def _bad_bundles() -> list[Path]:
    return sorted(p for p in (CHECK / "bundles").iterdir() if (p / "bundle.toml").is_file())


def test_every_code_has_a_bad_file() -> None:
    codes = {code for path in _bad_files() for code, *_ in expected(path)}
    bundle_codes = {line.split()[2] for path in _bad_bundles()
                    for line in (path / "bundle.toml").read_text().splitlines()
                    if line.startswith("# Expect:")}
    assert codes | bundle_codes == set(CODES)
    stems = [path.stem for path in _bad_files()] + [path.name for path in _bad_bundles()]
    assert sorted(stems) == sorted(CODES)


@pytest.mark.parametrize("path", [p for p in _bad_files()
                                  if {c for c, *_ in expected(p)} & ENGINE_REFUSES],
                         ids=lambda p: p.stem)
def test_the_engine_refuses_what_the_checker_calls_an_error(path: Path) -> None:
    with pytest.raises(NesyError):
        Program.from_file(path).query()


def test_clean_file_gives_nothing() -> None:
    assert check_file(CHECK / "clean.pl") == []


def test_metadata_keeps_files_validproblog_probabilities() -> None:
    text = (CHECK / "clean.pl").read_text()
    assert "%! id:" in text
    expected_answers = problog_probabilities(text)
    actual = Program.from_string(text).query()
    assert sorted(actual) == sorted(expected_answers)
    for key, value in expected_answers.items():
        assert actual[key] == pytest.approx(value, abs=1e-9, rel=0), key


def _header_error(path: Path) -> str | None:
    for line in path.read_text().splitlines():
        if line.startswith("% Expected error:"):
            return line.split(":", 1)[1].strip()
    return None


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.pl")) + sorted(EXAMPLES.glob("*.pl")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_false_errors_on_good_programs(path: Path) -> None:
    """Golden programs and examples run: the checker finds no error in them.

    Only a golden file expected to fail at load (a syntax or program error) may have one;
    inconsistent evidence is no error the checker can see.
    """
    errors = [d for d in check_file(path) if d.severity == "error"]
    if _header_error(path) in ("RuleSyntaxError", "ProgramError"):
        assert errors
    else:
        assert errors == [], "\n".join(map(str, errors))


def test_golden_warnings_are_real() -> None:
    warnings_found = [str(d) for d in check_path(GOLDEN)]
    assert warnings_found == [
        f"{GOLDEN / 'prob_rule_body_vars.pl'}:13:18: warning: singleton variable Y: it occurs "
        "once in the clause (write _Y if that is meant) [singleton]"
    ]


def test_no_false_errors_on_random_programs() -> None:
    for seed in range(100):
        errors = [d for d in check_string(random_program(seed), f"random_{seed}.pl")
                  if d.severity == "error"]
        assert errors == [], f"seed {seed}: {errors[0]}"


def test_all_syntax_errors_and_the_clauses_after_them() -> None:
    text = "a(1).\nb(( .\nc :- d e.\nf :- g(1.\nh :- undefined_here.\nquery(h).\n"
    diagnostics = check_string(text, "s.pl")
    assert [(d.code, d.location.line) for d in diagnostics] == [
        ("syntax", 2), ("syntax", 3), ("syntax", 4), ("undefined", 5)]
    assert str(diagnostics[-1]) == (
        "s.pl:5:6: error: unknown predicate undefined_here/0 [undefined]")


def test_no_undefined_for_a_predicate_whose_clause_did_not_parse() -> None:
    text = "% smokes/1 has a syntax error\n0.3::smokes(X) :- person(X.\nperson(a).\n" \
           "ill(X) :- smokes(X).\nquery(ill(a)).\n"
    assert found(check_string(text)) == [("syntax", 2, 27, "error")]


@pytest.mark.parametrize("text, message", [
    ("smoker(a).\nq :- smokes(a).\nquery(q).",
     "unknown predicate smokes/1 (did you mean smoker/1?)"),
    ("edge(a,b).\nq :- edge(a,b,c).\nquery(q).",
     "unknown predicate edge/3 (did you mean edge/2?)"),
    ("q(L) :- lenght([a], L).\nquery(q(_)).",
     "unknown predicate lenght/2 (did you mean length/2?)"),
    ("q :- zebra.\nquery(q).", "unknown predicate zebra/0"),
])
def test_did_you_mean(text: str, message: str) -> None:
    (diagnostic,) = [d for d in check_string(text) if d.code == "undefined"]
    assert diagnostic.message == message


def test_sorted_by_line_and_column() -> None:
    text = "q :- b(X), zz.\np(Y) :- a, c.\nquery(q).\nquery(p(1)).\n"
    diagnostics = check_string(text)
    positions = [(d.location.line, d.location.column) for d in diagnostics]
    assert positions == sorted(positions)
    assert [(d.location.line, d.location.column, d.code) for d in diagnostics] == [
        (1, 6, "undefined"), (1, 8, "singleton"), (1, 12, "undefined"),
        (2, 3, "singleton"), (2, 9, "undefined"), (2, 12, "undefined")]


def test_check_path_on_a_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.pl").write_text("q :- nothing.\nquery(q).\n")
    (tmp_path / "sub" / "a.pl").write_text("p(X) :- r.\nr.\nquery(p(1)).\n")
    (tmp_path / "notes.txt").write_text("not a rule file")
    diagnostics = check_path(tmp_path)
    assert [(Path(d.location.file).name, d.code) for d in diagnostics] == [
        ("b.pl", "undefined"), ("a.pl", "singleton")]
    assert diagnostics == sorted(diagnostics, key=lambda d: (d.location.file, d.location.line))
    assert check_path(tmp_path / "b.pl") == diagnostics[:1]


def test_missing_or_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such file or folder: .*missing"):
        check_path(tmp_path / "missing")
    with pytest.raises(InputError, match=r"no such file: .*missing\.pl"):
        check_file(tmp_path / "missing.pl")
    bad = tmp_path / "latin1.pl"
    bad.write_bytes(b"a :- b.\n% caf\xe9\n")
    with pytest.raises(InputError, match=r"cannot read .*latin1\.pl"):
        check_file(bad)
    with pytest.raises(InputError, match="must be a str"):
        check_string(b"a.", "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "p :- X.\nquery(p).", "p :- call(X, 1).\nquery(p).", "p :- q, 3.\nq.\nquery(p).",
    "X.", ":- X.", "p :- findall(X, Y, Z).\nquery(p).", "0.5::p(X) :- \\+ \\+ q(X).\nq(a).",
    "p([X|T], {Y}, \"s\", 'A b') :- q(X, T, Y).\nq(1, [], 2).", "p :- _{a: 1} = D, q(D).",
    "", "% only a comment\n", "nn(net, [X], Y, [0, 1]) :: digit(X, Y).\nquery(digit(img, 1)).",
    "nn(3, x) :: d(X).", "a :- b ; c -> d ; \\+ e *-> f.\nb. c. d. e. f.\nquery(a).",
    "p :- forall(member(X, [1]), X > 0), aggregate_all(count, member(_, [1]), N), N > 0.",
])
def test_odd_programs_do_not_break_the_checker(text: str) -> None:
    for diagnostic in check_string(text, "odd.pl"):
        assert diagnostic.location.line >= 1
        assert diagnostic.code in CODES


def test_diagnostic_value() -> None:
    diagnostic = Diagnostic(Location("r.pl", 3, 9), "error", "undefined", "unknown predicate q/0")
    assert str(diagnostic) == "r.pl:3:9: error: unknown predicate q/0 [undefined]"
    assert diagnostic.to_dict() == {
        "location": {"file": "r.pl", "line": 3, "column": 9},
        "severity": "error", "code": "undefined", "message": "unknown predicate q/0"}


def test_the_engine_stays_usable_after_a_check() -> None:
    check_string(":- halt.\nb(( .\n")
    assert Program.from_string("0.5::a. query(a).").query() == {"a": 0.5}
