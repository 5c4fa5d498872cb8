"""One program from several rule files: every location names its own file, line and column.

``Program.from_files`` reads each file on its own (a clause or a ``%!`` block never runs
across two files) into one program; errors, rules, automatic ids, explanations and the
checker's diagnostics all point into the file they come from.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from randprog import random_program

from nesy.errors import InputError, Location, ProgramError, RuleSyntaxError
from symbolic import Program, check_files, check_program

ROOT = Path(__file__).resolve().parents[2]

FILE1 = """\
% file 1: facts, and a block at the end that belongs to no clause
%! id: rain_fact
%! text: It rains
0.6::rain.
0.3::sprinkler.
%! id: dangling
%! text: this block is above no clause of this file
"""
FILE2 = """\
wet :- rain.
%! id: wet_sprinkler
%! text: The sprinkler wets the grass
%! source: Garden guide, section 2
wet :- sprinkler.

slippery :- wet, cold.
"""
FILE3 = """\
0.5::cold.
query(slippery).
query(wet).
"""


def write(folder: Path, *texts: str) -> list[Path]:
    paths = []
    for number, text in enumerate(texts, start=1):
        path = folder / f"part{number}.pl"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_rules_and_automatic_ids_name_their_own_file(tmp_path: Path) -> None:
    paths = write(tmp_path, FILE1, FILE2, FILE3)
    program = Program.from_files(paths)
    assert program.name == str(paths[0])
    rules = {rule.id: rule for rule in program.rules.values() if rule.clause}
    assert rules["rain_fact"].location == Location(str(paths[0]), 4, 1)
    assert rules["wet_sprinkler"].location == Location(str(paths[1]), 5, 1)
    assert rules["wet_sprinkler"].source == "Garden guide, section 2"
    # automatic ids are file:line of the clause's own file
    assert rules["part2.pl:1"].clause == "wet :- rain."
    assert rules["part2.pl:1"].location == Location(str(paths[1]), 1, 1)
    assert rules["part2.pl:7"].clause == "slippery :- wet, cold."
    assert rules["part3.pl:1"].clause == "0.5::cold."
    assert rules["part3.pl:1"].location == Location(str(paths[2]), 1, 1)


def test_a_block_at_the_end_of_a_file_does_not_attach_to_the_next_file(tmp_path: Path) -> None:
    paths = write(tmp_path, FILE1, FILE2, FILE3)
    program = Program.from_files(paths)
    first_of_file2 = next(r for r in program.rules.values()
                          if r.location == Location(str(paths[1]), 1, 1))
    assert first_of_file2.id == "part2.pl:1"
    assert first_of_file2.text == "wet :- rain."
    assert [(p.code, p.location) for p in program.metadata_problems] == [
        ("metadata-detached", Location(str(paths[0]), 6, 1))]
    # the checker says so too, as it would for the first file alone
    diagnostics = check_files(paths)
    assert [(d.code, d.location) for d in diagnostics] == [
        ("metadata-detached", Location(str(paths[0]), 6, 1))]
    # joined into one text, the same block would have attached to `wet :- rain.`
    joined = Program.from_string(FILE1 + FILE2 + FILE3, name="joined.pl")
    assert "dangling" in {rule.id for rule in joined.rules.values()}


def test_a_syntax_error_names_its_file_line_and_column(tmp_path: Path) -> None:
    bad = "wet :- rain.\n\nslippery :- wet, (cold.\n"
    paths = write(tmp_path, FILE1, bad, FILE3 + "ok :- .\n")
    with pytest.raises(RuleSyntaxError) as caught:
        Program.from_files(paths)
    assert [str(location) for location, _ in caught.value.errors] == [
        f"{paths[1]}:3:23", f"{paths[2]}:4:7"]
    assert caught.value.file == str(paths[1])
    assert (caught.value.line, caught.value.column) == (3, 23)


def test_an_unfinished_last_clause_is_an_error_of_its_own_file(tmp_path: Path) -> None:
    paths = write(tmp_path, "0.5::a.\nb :- a", "c :- b.\nquery(c).\n")
    with pytest.raises(RuleSyntaxError) as caught:
        Program.from_files(paths)
    assert [location.file for location, _ in caught.value.errors] == [str(paths[0])]
    assert caught.value.line == 2


def test_a_program_error_names_the_third_file(tmp_path: Path) -> None:
    paths = write(tmp_path, FILE1, FILE2, "0.5::cold.\n\n  1.5::hail.\nquery(wet).\n")
    with pytest.raises(ProgramError, match=r"probability 1\.5 is outside \[0,1\]") as caught:
        Program.from_files(paths)
    assert caught.value.location == Location(str(paths[2]), 3, 3)


def test_an_error_at_query_time_names_its_file(tmp_path: Path) -> None:
    paths = write(tmp_path, FILE1, FILE2 + "icy :- wet, frost.\n", FILE3)
    program = Program.from_files(paths)
    with pytest.raises(InputError, match="frost/0") as caught:
        program.query("icy")
    assert caught.value.location == Location(str(paths[1]), 8, 13)


def test_explanations_name_the_file_of_each_rule(tmp_path: Path) -> None:
    paths = write(tmp_path, FILE1, FILE2, FILE3)
    program = Program.from_files(paths)
    explanation = program.explain("wet", k=2)
    steps = {proof.root.rule.id: proof.root for proof in explanation.proofs}  # type: ignore[union-attr]
    assert steps["wet_sprinkler"].rule.location == Location(str(paths[1]), 5, 1)
    assert explanation.to_dict()["proofs"][0]["tree"]["rule"]["location"] in (
        f"{paths[1]}:1:1", f"{paths[1]}:5:1")
    sources = {leaf.atom: leaf.source for proof in explanation.proofs for leaf in proof.leaves()}
    assert sources["rain"].rule == "rain_fact"
    assert sources["rain"].location == f"{paths[0]}:4:1"
    assert sources["sprinkler"].location == f"{paths[0]}:5:1"


def test_the_checker_reads_the_files_as_one_program(tmp_path: Path) -> None:
    uses = "%! id: slippery_rule\nslippery :- wet, colt.\nquery(slippery).\n"
    paths = write(tmp_path, "0.5::cold.\n", "wet :- cold.\n", uses)
    diagnostics = check_files(paths)
    assert [str(d) for d in diagnostics] == [
        f"{paths[2]}:2:18: error: unknown predicate colt/0 (did you mean cold/0?) [undefined]"]
    # each alone: the other files' predicates are unknown
    from symbolic import check_file

    assert {d.code for d in check_file(paths[2])} == {"undefined"}
    assert len(check_file(paths[2])) == 2


def test_the_checker_finds_duplicate_ids_across_files(tmp_path: Path) -> None:
    paths = write(tmp_path, "%! id: same\n0.5::a.\n", "\n%! id: same\nb :- a.\nquery(b).\n")
    (diagnostic,) = check_files(paths)
    assert diagnostic.code == "duplicate-id"
    assert diagnostic.location == Location(str(paths[1]), 3, 1)
    assert diagnostic.message == f"rule id same is already used by the clause at {paths[0]}:2:1"


def test_the_checker_reports_syntax_errors_per_file(tmp_path: Path) -> None:
    paths = write(tmp_path, "a :- b(.\nb(1).\n", "c :- d e.\nd.\nquery(c).\nquery(a).\n")
    assert [(Path(d.location.file).name, d.location.line, d.location.column, d.code)
            for d in check_files(paths)] == [
        ("part1.pl", 1, 8, "syntax"), ("part2.pl", 1, 8, "syntax")]


def test_external_predicates_and_goals(tmp_path: Path) -> None:
    paths = write(tmp_path, "act(treat) :- age(case, A), A > 60.\n",
                  "nn(net, [X], Y, [a, b]) :: seen(X, Y).\nact(watch) :- seen(img, a).\n")
    result = check_program(paths, {"age": 2, "smoker": 1},
                           ["act(treat)", "act(watch)", "act(refer)", "act(X)", "act((", "acts(a)"])
    assert result.diagnostics == []
    assert result.goals == ("ok", "ok", "unmatched", "nonground", "unreadable", "undefined")
    assert result.unused_external == ("smoker/1",)
    assert result.networks == {"net": (Location(str(paths[1]), 1, 4),)}
    assert result.to_dict()["goals"][2] == "unmatched"
    with pytest.raises(InputError, match="external predicates"):
        check_program(paths, {"age": -1})


@pytest.mark.parametrize("seed", range(12))
def test_same_probabilities_as_the_files_joined(tmp_path: Path, seed: int) -> None:
    text = random_program(seed)
    lines = text.splitlines(keepends=True)
    rng = random.Random(seed)
    cut1, cut2 = sorted(rng.sample(range(1, len(lines)), 2))
    parts = ["".join(lines[:cut1]), "".join(lines[cut1:cut2]), "".join(lines[cut2:])]
    paths = write(tmp_path, *parts)
    joined = Program.from_string(text).query()
    assert Program.from_files(paths).query() == pytest.approx(joined, abs=1e-12)
    program = Program.from_files(paths)
    for rule in program.rules.values():
        if not rule.clause:
            continue
        index = next(i for i, p in enumerate(paths) if str(p) == rule.location.file)
        assert rule.location.line is not None
        line = lines[sum(len(p.splitlines()) for p in parts[:index]) + rule.location.line - 1]
        assert " ".join(line.split()).startswith(rule.clause[:-1].split(" ")[0])


def test_non_ascii_text_keeps_offsets_and_atoms(tmp_path: Path) -> None:
    first = "% Guideline § 4.2, für alle Fälle\n0.5::a('café').\n"
    second = "% § § §\nb(X) :- a(X), c.\nquery(b(_)).\n"
    paths = write(tmp_path, first, second)
    program = Program.from_files(paths, external={"c": 0})
    assert program.query(facts=None) == {}  # c/0 has no facts: nothing derives b
    rules = [rule for rule in program.rules.values() if rule.clause]
    assert [(str(r.location), r.clause) for r in rules] == [
        (f"{paths[0]}:2:1", "0.5::a('café')."), (f"{paths[1]}:2:1", "b(X) :- a(X), c.")]
    assert [(d.location.line, d.location.column, d.message) for d in check_files([paths[1]])] \
        == [(2, 9, "unknown predicate a/1"), (2, 15, "unknown predicate c/0")]
    assert Program.from_string(first + "query(a(X)).").query() == {"a(café)": 0.5}


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="list of paths"):
        Program.from_files(str(tmp_path / "a.pl"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no rule files"):
        Program.from_files([])
    with pytest.raises(InputError, match=r"no such file: .*missing\.pl"):
        Program.from_files([*write(tmp_path, "a."), tmp_path / "missing.pl"])


def test_the_engine_locates_the_rules_of_each_bundle_file() -> None:
    from bridge import Engine

    engine = Engine.from_bundle(ROOT / "examples" / "clinic")  # trains on first use
    rules = {rule.id: rule for rule in engine.program.rules.values()}
    recommendations = ROOT / "examples" / "clinic" / "rules" / "recommendations.pl"
    lines = recommendations.read_text(encoding="utf-8").splitlines()
    for rule_id in ("biopsy_suspicious", "routine_screening", "residual_suspicion_age"):
        location = rules[rule_id].location
        assert Path(location.file).name == "recommendations.pl"
        assert location.line is not None and location.column == 1
        assert lines[location.line - 2] == f"%! source: {rules[rule_id].source}"
        assert lines[location.line - 1].rstrip().endswith(rules[rule_id].clause)
    assert rules["biopsy_suspicious"].location.line == 33
    assert Path(rules["high_risk_factor"].location.file).name == "risk.pl"
    assert Path(rules["cytology_reading"].location.file).name == "findings.pl"
    assert len({rule.id for rule in engine.program.rules.values() if rule.clause}) == \
        len([rule for rule in engine.program.rules.values() if rule.clause])
