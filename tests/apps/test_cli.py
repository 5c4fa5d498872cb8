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
