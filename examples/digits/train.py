"""Train the digits bundle's CNN: ``models/digit.pt`` and ``models/digit.json``.

The data are scikit-learn's handwritten digits (``load_digits``: 1,797 images of 8x8 pixels,
values 0..16). One fixed split, seeded, shared with ``make_cases.py``: 70% to train the CNN,
10% to calibrate it (one temperature), 20% held out; the held-out images are the only ones the
example cases and ``cases/heldout.jsonl`` use, and the metrics saved with the model are measured
on them. Training is deterministic (one torch thread, seeded): two runs give the same version
hash. It takes about a second on two CPU cores.

Run it as a script (``python examples/digits/train.py [BUNDLE_DIR]``: prints a JSON summary)
or import it and call ``train(bundle_dir)``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits

from neural import CalibratedModel, CNNClassifier, evaluate, save_model

HERE = Path(__file__).resolve().parent
MODEL = "digit"          # models/digit.pt + .json; [networks.digit] in bundle.toml
SEED = 0
FRACTIONS = (0.7, 0.1)   # train, calibration; the remaining 20% are held out


def split(n_samples: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Indices of the ``train``, ``calibration`` and ``heldout`` parts of ``load_digits()``."""
    order = np.random.default_rng(seed).permutation(n_samples)
    n_train = int(FRACTIONS[0] * n_samples)
    n_calibration = int(FRACTIONS[1] * n_samples)
    return {
        "train": order[:n_train],
        "calibration": order[n_train : n_train + n_calibration],
        "heldout": order[n_train + n_calibration :],
    }


def data() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The images ``(n, 8, 8)``, their digits and the split."""
    digits = load_digits()
    images = np.asarray(digits.images, dtype=np.float64)
    return images, np.asarray(digits.target), split(len(digits.target))


def heldout() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{network: (images, digits)}``: the held-out images no model saw."""
    images, digits, parts = data()
    return {MODEL: (images[parts["heldout"]], digits[parts["heldout"]])}


def train(bundle_dir: str | Path = HERE) -> dict[str, Any]:
    """Train, calibrate and save the digit CNN in ``bundle_dir/models``; returns a summary.

    The summary holds the model's version hash, the held-out metrics of the calibrated model
    (also saved in ``digit.json``) and of the CNN before calibration, the temperature, and the
    time to train and calibrate in seconds.
    """
    started = time.perf_counter()
    images, digits, parts = data()
    train_x, train_y = images[parts["train"]], digits[parts["train"]]
    cnn = CNNClassifier(input_shape=(1, 8, 8), random_state=SEED).fit(train_x, train_y)
    calibration = parts["calibration"]
    model = CalibratedModel(cnn, method="temperature").fit(images[calibration],
                                                           digits[calibration])
    seconds = time.perf_counter() - started
    heldout = parts["heldout"]
    metrics = evaluate(model, images[heldout], digits[heldout])
    saved = save_model(model, Path(bundle_dir) / "models", MODEL,
                       training_data=(train_x, train_y), metrics=metrics)
    return {
        "model": str(Path(bundle_dir) / "models" / MODEL),
        "version": saved.version,
        "heldout": metrics.to_dict(),
        "uncalibrated": evaluate(cnn, images[heldout], digits[heldout]).to_dict(),
        "calibration": dict(saved.calibration or {}),
        "samples": {name: len(index) for name, index in parts.items()},
        "seconds": round(seconds, 3),
    }


if __name__ == "__main__":
    print(json.dumps(train(sys.argv[1] if len(sys.argv) > 1 else HERE), indent=2))
