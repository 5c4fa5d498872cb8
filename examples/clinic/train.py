"""Train the clinic bundle's cytology model: ``models/cytology.pt`` and ``models/cytology.json``.

The data are the Wisconsin Diagnostic Breast Cancer measurements that ship with scikit-learn
(``sklearn.datasets.load_breast_cancer``: 569 fine-needle aspirates, 30 nuclear measurements
each, 212 malignant and 357 benign). They are split once, stratified, with seed 0:

- 60% (341) train the MLP,
- 20% (114) calibrate it (Platt scaling, ``method="sigmoid"``),
- 20% (114) are held out: the metrics saved with the model, and the bundle's cases
  (``make_cases.py`` uses :func:`split` too).

Classes are scikit-learn's targets, 0 = malignant and 1 = benign, so ``bundle.toml`` names them
``domain = ["malignant", "benign"]``. Training is deterministic (seeded, one torch thread) and
takes well under a second on 2 cores; two runs give the same version hash.

Why Platt scaling: on this calibration split the model separates the classes almost
perfectly, so temperature scaling sharpens it (a temperature below 1) and doubles the held-out
log-loss, and isotonic regression maps many aspirates to probabilities of exactly 0 or 1. A
sigmoid keeps the held-out log-loss at the uncalibrated model's and keeps a little doubt on
every aspirate, which the rules need: a benign-looking aspirate never rules cancer out.

Run ``python examples/clinic/train.py [BUNDLE_DIR]``, or ``train(bundle_dir)`` from Python.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

BUNDLE = Path(__file__).resolve().parent
SEED = 0
#: The network's name in bundle.toml and in the rules, and its file name under models/.
NETWORK = "cytology"
#: What rebuilds the MLP; a change here changes the model's version hash.
MLP_PARAMETERS: dict[str, Any] = {"hidden": (32, 16), "epochs": 50, "learning_rate": 1e-3,
                                  "batch_size": 32, "weight_decay": 1e-4,
                                  "random_state": SEED}
CALIBRATION = "sigmoid"


def load_data() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The 569 aspirates ``X`` (30 measurements), targets ``y`` (0 malignant, 1 benign), names."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return (np.asarray(data.data, dtype=np.float64), np.asarray(data.target, dtype=np.int64),
            [str(name) for name in data.feature_names])


def split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of the train (60%), calibration (20%) and held-out (20%) parts, sorted.

    Stratified by class, seed 0: the same rows on every run.
    """
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    rest, heldout = train_test_split(rows, test_size=0.2, random_state=SEED, stratify=y)
    train, calibration = train_test_split(rest, test_size=0.25, random_state=SEED,
                                          stratify=y[rest])
    return np.sort(train), np.sort(calibration), np.sort(heldout)


def heldout() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{network: (X, y)}``: the held-out rows no model saw (benchmarks/bundles.py)."""
    X, y, _ = load_data()
    _, _, heldout_rows = split(y)
    return {NETWORK: (X[heldout_rows], y[heldout_rows])}


def train(bundle_dir: str | Path | None = None) -> dict[str, Any]:
    """Train, calibrate, evaluate and save the cytology model under ``bundle_dir/models``.

    Returns ``{network name: the saved metadata (dict)}``, plus ``"report"`` with the split
    sizes, the held-out metrics before calibration, and the seconds it took.
    """
    from neural import CalibratedModel, MLPClassifier, evaluate, save_model

    root = Path(bundle_dir) if bundle_dir is not None else BUNDLE
    start = time.perf_counter()
    X, y, _ = load_data()
    train_rows, calibration_rows, heldout_rows = split(y)
    model = MLPClassifier(**MLP_PARAMETERS).fit(X[train_rows], y[train_rows])
    calibrated = CalibratedModel(model, method=CALIBRATION).fit(X[calibration_rows],
                                                                 y[calibration_rows])
    heldout = evaluate(calibrated, X[heldout_rows], y[heldout_rows])
    meta = save_model(calibrated, root / "models", NETWORK,
                      training_data=(X[train_rows], y[train_rows]), metrics=heldout)
    report = {
        "rows": {"train": len(train_rows), "calibration": len(calibration_rows),
                 "heldout": len(heldout_rows)},
        "heldout": heldout.to_dict(),
        "heldout_uncalibrated": evaluate(model, X[heldout_rows], y[heldout_rows]).to_dict(),
        "seconds": round(time.perf_counter() - start, 3),
    }
    return {NETWORK: meta.to_dict(), "report": report}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    result = train(args[0] if args else None)
    meta = result[NETWORK]
    print(json.dumps({"model": NETWORK, "version": meta["version"], **result["report"]},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
