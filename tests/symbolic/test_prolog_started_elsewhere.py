"""nesy's Prolog thread works when other code started SWI-Prolog first (e.g. DeepProbLog's
import of pyswip, which starts it in the importing thread)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_program_runs_after_pyswip_started_prolog_in_the_main_thread() -> None:
    code = ("from pyswip import Prolog; Prolog()\n"
            "from symbolic import Program\n"
            "print(Program.from_string('0.5::a. 0.5::b. c :- a, b. query(c).').query())\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'c': 0.25}"
