"""Write the digits bundle's cases from held-out images: ``cases/pair-NNN.json`` and
``cases/heldout.jsonl``.

Only the held-out part of ``train.py``'s split is used (images the CNN never saw in training
or calibration). The expected label comes from the true digits, not from the model, so the
cases do not depend on a trained model. Deterministic: running it again writes the same files.

- ``pair-001.json`` ... ``pair-010.json``: one example for each even sum 0, 2, ..., 18 (so
  ``s0`` is 0 + 0 and ``s18`` is 9 + 9), the digits and the images drawn with a seeded generator;
- ``heldout.jsonl``: 300 pairs of two different held-out images drawn at random, one case a
  line, for measuring the accuracy of the decisions.

A case: ``{"id": "pair-001", "inputs": {"left": [[8 x 8]], "right": [[8 x 8]]},
"expected": {"label": "s7", "abstained": false, "digits": {"left": 3, "right": 4}}}``; pixels
are integers 0..16. ``label`` is the true sum and ``digits`` the true digits; the examples also
say ``abstained: false``, the bundle's promise that its model decides them (``evaluate.py``
checks it), while a held-out pair says only what is true.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 1               # the pairs' generator (the split has its own, in train.py)
N_HELDOUT_PAIRS = 300


def _train_module() -> Any:
    """``train.py`` beside this file (the split lives there), however this file is run."""
    spec = importlib.util.spec_from_file_location("digits_train", HERE / "train.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def case(case_id: str, images: np.ndarray, digits: np.ndarray, left: int, right: int,
         decided: bool = False) -> dict[str, Any]:
    """The case for the images ``left`` and ``right`` (indices into ``load_digits()``);
    ``decided`` adds ``abstained: false`` to what is expected."""
    a, b = int(digits[left]), int(digits[right])
    expected: dict[str, Any] = {"label": f"s{a + b}"}
    if decided:
        expected["abstained"] = False
    expected["digits"] = {"left": a, "right": b}
    return {
        "id": case_id,
        "inputs": {"left": images[left].astype(int).tolist(),
                   "right": images[right].astype(int).tolist()},
        "expected": expected,
    }


def examples(images: np.ndarray, digits: np.ndarray, heldout: np.ndarray,
             rng: np.random.Generator) -> list[dict[str, Any]]:
    """One case for each even sum 0, 2, ..., 18."""
    out = []
    for number, total in enumerate(range(0, 19, 2), start=1):
        a = int(rng.integers(max(0, total - 9), min(9, total) + 1))
        left = int(rng.choice(heldout[digits[heldout] == a]))
        candidates = heldout[(digits[heldout] == total - a) & (heldout != left)]
        right = int(rng.choice(candidates))
        out.append(case(f"pair-{number:03d}", images, digits, left, right, decided=True))
    return out


def heldout_pairs(images: np.ndarray, digits: np.ndarray, heldout: np.ndarray,
                  rng: np.random.Generator, n: int = N_HELDOUT_PAIRS) -> list[dict[str, Any]]:
    """``n`` random pairs of two different held-out images."""
    out = []
    for number in range(1, n + 1):
        left, right = (int(i) for i in rng.choice(heldout, size=2, replace=False))
        out.append(case(f"heldout-{number:03d}", images, digits, left, right))
    return out


def _pretty(data: dict[str, Any]) -> str:
    """JSON with one image row a line, so that a case file is readable."""
    text = json.dumps(data, indent=2)
    # json.dumps puts every pixel on a line of its own: fold each innermost list onto one
    rows = re.compile(r"\[[^\[\]{}]*\]")
    return rows.sub(lambda row: json.dumps(json.loads(row.group())), text) + "\n"


def main(bundle_dir: str | Path = HERE) -> None:
    images, digits, parts = _train_module().data()
    heldout = np.sort(parts["heldout"])
    rng = np.random.default_rng(SEED)
    folder = Path(bundle_dir) / "cases"
    folder.mkdir(parents=True, exist_ok=True)
    for example in examples(images, digits, heldout, rng):
        (folder / f"{example['id']}.json").write_text(_pretty(example), encoding="utf-8")
    lines = [json.dumps(pair, separators=(",", ":"))
             for pair in heldout_pairs(images, digits, heldout, rng)]
    (folder / "heldout.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
