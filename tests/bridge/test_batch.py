"""Batch scoring: case files (JSON Lines, CSV) read, decided case by case, compared."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from bridge import (
    ABSTAIN,
    BatchCase,
    CaseOutcome,
    Decision,
    Engine,
    InputError,
    confusion_matrix,
    decide_each,
    read_cases,
    write_cases_csv,
)

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "examples" / "clinic"
DIGITS = ROOT / "examples" / "digits"


@pytest.fixture(scope="module")
def clinic() -> Engine:
    return Engine.from_bundle(CLINIC)


@pytest.fixture(scope="module")
def heldout() -> list[dict[str, Any]]:
    lines = (CLINIC / "cases" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def jsonl(cases: list[Any]) -> str:
    return "".join((case if isinstance(case, str) else json.dumps(case)) + "\n"
                   for case in cases)


def same(a: Decision, b: Decision) -> bool:
    """The same decision, to the float32 arithmetic of a network run on other batches."""
    return (a.case, a.label, a.abstained, a.decided, a.versions) == (
        b.case, b.label, b.abstained, b.decided, b.versions) and all(
        a.alternatives[label] == pytest.approx(p, abs=1e-6)
        for label, p in b.alternatives.items())


# ------------------------------------------------------------------ reading


def test_json_lines_with_their_line_numbers_and_expectations(
        clinic: Engine, heldout: list[dict[str, Any]]) -> None:
    text = jsonl(heldout[:2]) + "\n" + jsonl(heldout[2:3])
    cases = read_cases(text, "jsonl", clinic.bundle)
    assert [c.line for c in cases] == [1, 2, 4]
    assert [c.case_id for c in cases] == [h["id"] for h in heldout[:3]]
    assert [c.expected for c in cases] == [h["expected"]["label"] for h in heldout[:3]]
    assert all(c.problem is None for c in cases)


@pytest.mark.parametrize("expected, found", [
    ({"label": "biopsy"}, "biopsy"),
    ({"abstained": True, "label": "biopsy"}, ABSTAIN),
    ("abstain", ABSTAIN),
    ("routine_screening", "routine_screening"),
    ({"diagnosis": "benign"}, None),
])
def test_what_a_case_expects(clinic: Engine, heldout: list[dict[str, Any]], expected: Any,
                             found: str | None) -> None:
    case = {**heldout[0], "expected": expected}
    (read,) = read_cases(jsonl([case]), "jsonl", clinic.bundle)
    assert read.expected == found and read.problem is None


def test_a_line_that_is_no_case_carries_its_problem(
        clinic: Engine, heldout: list[dict[str, Any]]) -> None:
    text = jsonl([heldout[0], "{not json", "[1, 2]",
                  {**heldout[1], "expected": {"label": "biopsyy"}}])
    cases = read_cases(text.encode(), "jsonl", clinic.bundle)
    assert [c.line for c in cases] == [1, 2, 3, 4]
    assert cases[0].problem is None
    assert cases[1].case is None and cases[1].problem is not None
    assert cases[1].problem.message.startswith("not JSON")
    assert cases[2].problem is not None and cases[2].problem.field == "case"
    assert cases[3].problem is not None and cases[3].problem.field == "expected"
    assert "'biopsyy' is not a label" in cases[3].problem.message


def test_a_file_that_is_not_utf8_or_of_an_unknown_format(clinic: Engine) -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        read_cases(b"\xff\xfe{", "jsonl", clinic.bundle)
    with pytest.raises(InputError, match="unknown case file format 'xlsx'"):
        read_cases("", "xlsx", clinic.bundle)


# ---------------------------------------------------------------------- CSV


def test_csv_round_trip_gives_the_same_cases(clinic: Engine,
                                             heldout: list[dict[str, Any]]) -> None:
    text = write_cases_csv(heldout[:5], clinic.bundle)
    header = text.splitlines()[0].split(",")
    assert header[:4] == ["id", "age", "family_history", "patient"]
    assert header[4:6] == ["fna.0", "fna.1"] and header[33] == "fna.29"
    assert header[-1] == "expected"
    cases = read_cases(text, "csv", clinic.bundle)
    assert [c.line for c in cases] == [2, 3, 4, 5, 6]
    for read, original in zip(cases, heldout, strict=False):
        assert read.case == {"id": original["id"], "inputs": original["inputs"],
                             "record": original["record"]}
        assert read.expected == original["expected"]["label"]


def test_csv_cases_decide_as_json_lines(clinic: Engine, heldout: list[dict[str, Any]]) -> None:
    cases = read_cases(write_cases_csv(heldout[:6], clinic.bundle), "csv", clinic.bundle)
    from_csv = decide_each(clinic, cases)
    direct = clinic.decide_many(heldout[:6])
    assert all(o.decision is not None and same(o.decision, d)
               for o, d in zip(from_csv, direct, strict=True))


def test_csv_with_an_input_as_a_json_array(clinic: Engine,
                                           heldout: list[dict[str, Any]]) -> None:
    case = heldout[0]
    text = ('id,age,family_history,patient,fna,expected\n'
            f'{case["id"]},58,no,c001,"{json.dumps(case["inputs"]["fna"])}",biopsy\n')
    (read,) = read_cases(text, "csv", clinic.bundle)
    assert read.case is not None and read.problem is None
    assert read.case["inputs"]["fna"] == case["inputs"]["fna"]
    assert read.case["record"] == {"age": 58, "family_history": False, "patient": "c001"}


def test_csv_of_images_in_flattened_columns(heldout: list[dict[str, Any]]) -> None:
    digits = Engine.from_bundle(DIGITS)
    lines = (DIGITS / "cases" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    pairs = [json.loads(line) for line in lines]
    text = write_cases_csv(pairs, digits.bundle)
    assert text.splitlines()[0].split(",")[:3] == ["id", "left.0", "left.1"]
    cases = read_cases(text, "csv", digits.bundle)
    assert [c.case["inputs"] if c.case else None for c in cases] == [
        {name: [[float(v) for v in row] for row in image]
         for name, image in pair["inputs"].items()} for pair in pairs]
    assert [o.decision.label if o.decision else None for o in decide_each(digits, cases)] == [
        d.label for d in digits.decide_many(pairs)]


def test_a_bad_cell_is_the_problem_of_its_row(clinic: Engine,
                                              heldout: list[dict[str, Any]]) -> None:
    rows = write_cases_csv(heldout[:3], clinic.bundle).splitlines()
    rows[2] = rows[2].replace(",56,", ",fifty-six,", 1)
    rows[3] = rows[3].replace(",16.65,", ",x,", 1)
    cases = read_cases("\n".join(rows) + "\n", "csv", clinic.bundle)
    assert [c.line for c in cases] == [2, 3, 4]
    assert cases[0].problem is None
    assert cases[1].problem is not None and cases[1].problem.field == "record.age"
    assert cases[1].problem.message == "expected a whole number, not 'fifty-six'"
    assert cases[1].case_id == heldout[1]["id"]
    assert cases[2].problem is not None and cases[2].problem.field == "inputs.fna[0]"


@pytest.mark.parametrize("header, match", [
    ("age,family_history,patient,fna", "needs an id column"),
    ("id,age,agee,patient,fna", "unknown column 'agee'"),
    ("id,age,family_history,patient,fna.0,fna.1", "needs the columns fna.0 to fna.29"),
    ("id,age,family_history,patient,fna,fna.0", "both a JSON column and flattened"),
    ("id,age,age,patient,fna", "the column 'age' appears twice"),
])
def test_a_bad_header_refuses_the_file(clinic: Engine, header: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_cases(header + "\n", "csv", clinic.bundle)


# ------------------------------------------------------------------ deciding


def test_bad_cases_are_set_aside_and_the_rest_decided(
        clinic: Engine, heldout: list[dict[str, Any]]) -> None:
    good = heldout[:7]
    bad_age = json.loads(json.dumps(heldout[7]))
    bad_age["record"]["age"] = "old"
    bad_shape = json.loads(json.dumps(heldout[8]))
    bad_shape["inputs"]["fna"] = bad_shape["inputs"]["fna"][:5]
    unknown = json.loads(json.dumps(heldout[9]))
    unknown["record"]["patient"] = "nobody"
    lines = [good[0], bad_age, good[1], "{oops", good[2], bad_shape, *good[3:5], unknown,
             *good[5:]]
    progress: list[tuple[int, int]] = []
    outcomes = decide_each(clinic, read_cases(jsonl(lines), "jsonl", clinic.bundle),
                           chunk_size=4, progress=lambda done, total: progress.append(
                               (done, total)))
    assert [o.line for o in outcomes] == list(range(1, 12))
    problems = {o.line: (o.case_id, str(o.problem)) for o in outcomes if o.problem}
    assert problems == {
        2: (bad_age["id"], "record.age: expected a whole number, not 'old'"),
        4: (None, problems[4][1]),
        6: (bad_shape["id"], "inputs.fna: expected shape [30], not [5]"),
        9: (unknown["id"], "record.patient: unknown entity 'nobody': the knowledge graph "
                           "says nothing about it"),
    }
    decided = [o.decision for o in outcomes if o.decision is not None]
    assert len(decided) == 7
    assert all(same(a, b) for a, b in zip(decided, clinic.decide_many(good), strict=True))
    assert progress[-1] == (11, 11)
    assert all(a < b for (a, _), (b, _) in itertools.pairwise(progress))


def test_an_empty_batch(clinic: Engine) -> None:
    assert decide_each(clinic, []) == []
    with pytest.raises(InputError, match="chunk_size must be at least 1"):
        decide_each(clinic, [], chunk_size=0)


# -------------------------------------------------------------- confusion


def outcome(expected: str | None, label: str | None, abstained: bool = False) -> CaseOutcome:
    decision = Decision(case="c", label=None if abstained else label, probability=0.7,
                        abstained=abstained, alternatives={}, facts=(), explanation=None,
                        why_not=None, versions={}, decided=label)
    return CaseOutcome(1, "c", expected, decision)


def test_confusion_matrix_counts_referrals_in_their_own_column() -> None:
    labels = ["a", "b"]
    outcomes = [outcome("a", "a"), outcome("a", "a"), outcome("a", "b"), outcome("b", "b"),
                outcome("b", "a", abstained=True), outcome(None, "a"),
                CaseOutcome(2, None, "a", None)]
    matrix = confusion_matrix(outcomes, labels)
    assert matrix is not None
    assert matrix.expected == ("a", "b") and matrix.decided == ("a", "b", ABSTAIN)
    assert matrix.counts == ((2, 1, 0), (0, 1, 1))
    assert matrix.total == 5 and matrix.agreed == 3
    assert matrix.count("b", ABSTAIN) == 1
    assert matrix.to_dict()["counts"] == [[2, 1, 0], [0, 1, 1]]


def test_an_expected_referral_is_a_row() -> None:
    matrix = confusion_matrix([outcome(ABSTAIN, "a", abstained=True)], ["a"])
    assert matrix is not None and matrix.expected == ("a", ABSTAIN)
    assert matrix.agreed == 1


def test_no_expectations_no_matrix() -> None:
    undecided = CaseOutcome(1, None, "a", None)
    assert undecided.decided is None
    assert confusion_matrix([outcome(None, "a"), undecided], ["a"]) is None


def test_batch_case_id() -> None:
    assert BatchCase(1, {"id": "x"}).case_id == "x"
    assert BatchCase(1, None).case_id is None
