"""The nesy command: ProbLog's output format, JSON, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from apps.cli import main

ROOT = Path(__file__).resolve().parents[2]
PATH_PL = ROOT / "examples" / "programs" / "path.pl"


def test_query_prints_problog_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", str(PATH_PL)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "path(a,a):\t0.357     "
    assert lines[-1] == "path(a,d):\t0.408     "


def test_query_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", str(PATH_PL), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["queries"]["path(a,d)"] == pytest.approx(0.408)


@pytest.mark.parametrize("text, match", [
    ("a(1).\nb(( .\n", ":2:5: end of clause"),
    ("1.5::a.\nquery(a).\n", ":1:1: probability 1.5 is outside [0,1]"),
    ("0.6::a; 0.6::b.\n", "sum to 1.2"),
    ("query(nothing).\n", "unknown predicate nothing/0"),
    ("0.5::a.\nevidence(a,true).\nevidence(a,false).\nquery(a).\n", "inconsistent"),
])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.pl"
    path.write_text(text)
    run = subprocess.run([sys.executable, "-m", "apps.cli", "query", str(path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert match in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_file_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "/nonexistent/x.pl"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert main(["query"]) == 2
    assert "nesy query" in capsys.readouterr().err


# ------------------------------------------------------------------ nesy check

CHECK = ROOT / "tests" / "symbolic" / "check"


def test_check_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CHECK / "clean.pl")]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "0 errors, 0 warnings in 1 file\n"


def test_check_errors_exit_1_in_the_documented_format(
        capsys: pytest.CaptureFixture[str]) -> None:
    path = CHECK / "undefined.pl"
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{path}:8:25: error: unknown predicate smokes/1 (did you mean smoker/1?) [undefined]",
        f"{path}:9:7: error: unknown predicate cancer_risk/1 (did you mean cancer/1?) "
        "[undefined]",
    ]
    assert err == "2 errors, 0 warnings in 1 file\n"


def test_check_only_warnings_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CHECK / "singleton.pl")]) == 0
    out, err = capsys.readouterr()
    assert out.endswith("[singleton]\n") and len(out.splitlines()) == 1
    assert err == "0 errors, 1 warning in 1 file\n"


def test_check_folder_is_sorted_by_path_line_and_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.pl").write_text("q :- nothing.\nquery(q).\np(X) :- r(Y), zz.\nr(1).\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "rules.pl").write_text("0.5::h(X) :- true.\nquery(h(1)).\n")
    assert main(["check", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    keys = []
    for line in lines:
        path, row, column, _ = line.split(":", 3)
        keys.append((path, int(row), int(column)))
    assert keys == sorted(keys)
    assert [(Path(k[0]).name, k[1], k[2]) for k in keys] == [
        ("rules.pl", 1, 8), ("b.pl", 1, 6), ("b.pl", 3, 1), ("b.pl", 3, 3), ("b.pl", 3, 11),
        ("b.pl", 3, 15), ("b.pl", 4, 1)]
    assert all(line.endswith("]") and (": error: " in line or ": warning: " in line)
               for line in lines)
    assert err == "3 errors, 4 warnings in 2 files\n"


@pytest.mark.parametrize("args, match", [
    (["check", "/nonexistent/rules"], "nesy check: no such file or folder: /nonexistent/rules"),
    (["check"], "nesy check: the following arguments are required: PATH"),
])
def test_check_bad_usage_exits_2_with_one_line(args: list[str], match: str) -> None:
    run = subprocess.run([sys.executable, "-m", "apps.cli", *args],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip() == match


# ------------------------------------------------------------------ nesy check BUNDLE

BUNDLES = ROOT / "examples"
BAD_BUNDLES = CHECK / "bundles"


@pytest.mark.parametrize("bundle, files", [("clinic", 4), ("digits", 3)])
def test_check_the_shipped_bundles_exits_0(bundle: str, files: int,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BUNDLES / bundle)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"0 errors, 0 warnings in {files} files\n"


def test_check_a_rule_file_of_a_bundle_knows_the_other_files(
        capsys: pytest.CaptureFixture[str]) -> None:
    rules = BUNDLES / "clinic" / "rules"
    assert main(["check", str(rules / "recommendations.pl")]) == 0
    assert capsys.readouterr() == ("", "0 errors, 0 warnings in 1 file\n")
    assert main(["check", str(rules)]) == 0
    assert capsys.readouterr() == ("", "0 errors, 0 warnings in 3 files\n")


def test_check_a_bad_bundle_with_the_console_script(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "rules").mkdir()
    (bundle / "rules" / "a.pl").write_text("0.3::sick.\nact(treat) :- sick, old(case).\n")
    (bundle / "rules" / "b.pl").write_text("% b\nact(watch) :- \\+ sick, ag(case, A), A > 60.\n")
    (bundle / "bundle.toml").write_text(
        '[bundle]\nname = "t"\n\n[decision]\nquery = "act"\nlabels = ["treat", "watch", '
        '"refer"]\n\n[record]\nold = { type = "bool" }\nage = { type = "int" }\n')
    script = Path(sys.executable).with_name("nesy")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "apps.cli"]
    run = subprocess.run([*command, "check", str(bundle)], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        f"{bundle}/bundle.toml:6:29: error: no rule can derive act(refer): no clause head "
        "act(...) matches it [decision-label]",
        f"{bundle}/bundle.toml:10:1: warning: no rule uses age/2, which the record field age "
        "gives [external-unused]",
        f"{bundle}/rules/b.pl:2:24: error: unknown predicate ag/2 (did you mean age/2?) "
        "[undefined]",
    ]
    assert run.stderr == "2 errors, 1 warning in 3 files\n"


def test_check_a_bundle_whose_toml_is_broken_exits_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "bundle.toml").write_text('[bundle]\nname = "t"\n\n[decision\nquery = "act"\n')
    assert main(["check", str(bundle)]) == 1
    out, err = capsys.readouterr()
    assert out == (f"{bundle}/bundle.toml:4:10: error: not valid TOML: Expected ']' at the end "
                   "of a table declaration [bundle]\n")
    assert err == "1 error, 0 warnings in 1 file\n"


def test_check_the_bad_example_bundles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *map(str, sorted(BAD_BUNDLES.iterdir()))]) == 1
    out = capsys.readouterr().out
    codes = {line.rsplit("[", 1)[1].rstrip("]") for line in out.splitlines()}
    assert {"bundle", "decision-query", "decision-label", "decision-answer", "network-unknown",
            "network-unused", "external-unused"} <= codes
