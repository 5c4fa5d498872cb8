"""How well the rules decide on held-out pairs: ``python examples/digits/evaluate.py``.

For each case of ``cases/heldout.jsonl`` the CNN (``models/digit``, trained first if absent)
gives the probabilities of the two digits; the rules (``rules/digits.pl``, compiled once) turn
them into P(result(sN)) and P(larger(Side)), and the decision is the most probable label, as the
bundle's ``most_probable`` policy decides. Printed as JSON, next to what the per-digit accuracy
predicts: a pair is surely right when both digits are, so the product of the per-digit
accuracies is what the sum's accuracy would be if errors never cancelled out.

It also checks that the example cases (``cases/pair-*.json``) are decided as they expect.
This reads the model and the rules directly, without the Engine, as a check of the bundle.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from neural import expected_calibration_error, load_model
from symbolic import Program

HERE = Path(__file__).resolve().parent
SIDES = ("left", "right")
_DECISION = tomllib.loads((HERE / "bundle.toml").read_text(encoding="utf-8"))["decision"]
LABELS: list[str] = _DECISION["labels"]                 # s0 ... s18
ABSTAIN_BELOW: float = _DECISION["abstain_below"]


def _model(bundle_dir: Path) -> Any:
    if not (bundle_dir / "models" / "digit.json").exists():
        spec = importlib.util.spec_from_file_location("digits_train", bundle_dir / "train.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.train(bundle_dir)
    return load_model(bundle_dir / "models", "digit")


def answers(model: Any, compiled: Any, cases: list[dict[str, Any]]
            ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """P(result(sN)) ``(cases, 19)``, P(larger(left|right|neither)) ``(cases, 3)`` and the
    network's probabilities for each side ``(cases, 10)``."""
    # one forward pass per side; the rules see digit(Side, D) with the probability of class D
    probabilities = {side: model.predict_proba(np.array([c["inputs"][side] for c in cases]))
                     for side in SIDES}
    sums, orders = [], []
    for i in range(len(cases)):
        weights = {f"digit({side},{d})": float(probabilities[side][i, k])
                   for side in SIDES for k, d in enumerate(model.classes_)}
        values = compiled.evaluate(weights)
        sums.append([values[f"result({label})"] for label in LABELS])
        orders.append([values[f"larger({side})"] for side in ("left", "right", "neither")])
    return np.array(sums), np.array(orders), probabilities


def evaluate(bundle_dir: str | Path = HERE) -> dict[str, Any]:
    """Accuracies of the digits, the sum and the comparison on ``cases/heldout.jsonl``, and
    whether the example cases are decided as they expect."""
    root = Path(bundle_dir)
    model = _model(root)
    compiled = Program.from_file(root / "rules" / "digits.pl").compile()
    examples = [json.loads(path.read_text(encoding="utf-8"))
                for path in sorted((root / "cases").glob("pair-*.json"))]
    p_examples, _, _ = answers(model, compiled, examples)
    examples_ok = [
        LABELS[int(row.argmax())] == case["expected"]["label"]
        and bool(row.max() < ABSTAIN_BELOW) == case["expected"].get("abstained", False)
        for row, case in zip(p_examples, examples, strict=True)]
    cases = [json.loads(line) for line in
             (root / "cases" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()]
    p_sum, p_order, probabilities = answers(model, compiled, cases)
    truth = {side: np.array([c["expected"]["digits"][side] for c in cases]) for side in SIDES}
    true_sum = np.array([LABELS.index(c["expected"]["label"]) for c in cases])
    true_order = np.where(truth["left"] > truth["right"], 0,
                          np.where(truth["right"] > truth["left"], 1, 2))
    digit_right = {side: model.classes_[probabilities[side].argmax(axis=1)] == truth[side]
                   for side in SIDES}
    per_digit = float(np.mean(np.concatenate(list(digit_right.values()))))
    decided = p_sum.max(axis=1)
    sum_right = p_sum.argmax(axis=1) == true_sum
    return {
        "examples_decided_as_expected": f"{sum(examples_ok)} of {len(examples)}",
        "pairs": len(cases),
        "digit_accuracy": per_digit,
        "both_digits_right": float(np.mean(digit_right["left"] & digit_right["right"])),
        "product_of_digit_accuracies": per_digit**2,
        "sum_accuracy": float(np.mean(sum_right)),
        "sum_ece": expected_calibration_error(true_sum, p_sum),
        "sum_abstained": int(np.sum(decided < ABSTAIN_BELOW)),
        "sum_accuracy_when_decided": float(np.mean(sum_right[decided >= ABSTAIN_BELOW])),
        "larger_accuracy": float(np.mean(p_order.argmax(axis=1) == true_order)),
        "sum_probability_mass": [float(p_sum.sum(axis=1).min()), float(p_sum.sum(axis=1).max())],
    }


if __name__ == "__main__":
    print(json.dumps(evaluate(sys.argv[1] if len(sys.argv) > 1 else HERE), indent=2))
