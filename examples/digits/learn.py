"""Train the digit CNN from sums alone: learning through logic (the MNIST-addition task).

The network never sees a digit label. Each training example is two handwritten numbers (lists
of N 8x8 images) and their sum; the rules of ``learning/addition.pl`` (DeepProbLog's program,
unchanged) say how digits make sums, and the loss ``-log P(sum)`` is computed through the
compiled circuit into the network. After training, the network reads single digits.

* ``N = 1``: ``addition(tensor(digits(i)), tensor(digits(j)), 7)``: one circuit for every
  pair (the sum left free: 19 answers), so a batch is one network pass and one circuit pass.
* ``N = 2``: ``multi_addition([tensor(..), tensor(..)], [..], 57)``, the same program text;
  one circuit for all examples (10,000 proofs, 199 answers).
* ``N = 4``: DeepProbLog's ``multi_addition/3`` enumerates all 10^8 digit combinations, which
  no exact engine grounds; ``learning/carry.pl`` computes the same distribution column by
  column with a carry (linear in N), compiled once per sum in the data (a few ms each).

The data are scikit-learn's digits with the bundle's fixed split (``train.py``): training
examples from the ``train`` part, validation (early stopping) from ``calibration``, and the
reported accuracies on the ``heldout`` part: digit accuracy of the network on the held-out
images, sum accuracy on held-out examples (the most probable sum through the rules for N <= 2;
for N = 4, where the sums cannot all be enumerated, the sum of the most probable digits).

Run ``python examples/digits/learn.py [--digits N] [--epochs E] [--save BUNDLE_DIR]``: prints a
JSON summary; ``--save`` writes the trained network as the bundle's ``models/digit`` model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # train.py beside this file, also when imported from elsewhere
    sys.path.insert(0, str(HERE))

from train import MODEL, SEED, data  # noqa: E402

from bridge import Example, NeuralProgram  # noqa: E402
from neural import CNNClassifier, Trainer, evaluate, save_model  # noqa: E402

PROGRAMS = {"addition": HERE / "learning" / "addition.pl",   # DeepProbLog's, unchanged
            "carry": HERE / "learning" / "carry.pl"}          # N = 4: column by column
SOURCE = "digits"        # tensor(digits(i)) is load_digits().images[i]
NETWORK = "mnist_net"    # the name the programs give the network
SETTINGS = {  # per N: epochs, batch size, learning rate; chosen on the validation split
    1: {"epochs": 10, "batch_size": 8, "learning_rate": 2e-3},
    2: {"epochs": 20, "batch_size": 8, "learning_rate": 2e-3},
    4: {"epochs": 30, "batch_size": 4, "learning_rate": 2e-3},
}


def images() -> torch.Tensor:
    """Every image of ``load_digits()`` as a float tensor ``(1797, 1, 8, 8)``, pixels 0..16."""
    pixels, _, _ = data()
    return torch.as_tensor(pixels, dtype=torch.float32).unsqueeze(1)


def sum_examples(n_digits: int, part: str, repeats: int = 1,
                 seed: int = SEED) -> tuple[list[Example], np.ndarray]:
    """Examples of ``part`` (``train``, ``calibration``, ``heldout``): disjoint tuples of
    ``2 * n_digits`` images, the first ``n_digits`` one number, the rest the other, labelled
    only with their sum. ``repeats`` pairs the images that many times, each time anew.

    Returns the examples and the image indices of each, ``(examples, 2 * n_digits)``.
    """
    _, digits, parts = data()
    indices = parts[part]
    size = 2 * n_digits
    rng = np.random.default_rng(seed)
    tuples = []
    for _ in range(repeats):
        order = rng.permutation(indices)
        tuples.append(order[:len(order) // size * size].reshape(-1, size))
    groups = np.concatenate(tuples)
    examples = [Example(_query(group, digits, n_digits)) for group in groups]
    return examples, groups


def _query(group: np.ndarray, digits: np.ndarray, n_digits: int) -> str:
    refs = [f"tensor({SOURCE}({int(i)}))" for i in group]
    if n_digits == 1:
        return f"addition({refs[0]},{refs[1]},{int(digits[group[0]] + digits[group[1]])})"
    first, second = refs[:n_digits], refs[n_digits:]
    total = _number(digits[group[:n_digits]]) + _number(digits[group[n_digits:]])
    return f"multi_addition([{','.join(first)}],[{','.join(second)}],{total})"


def _number(digits: Sequence[int]) -> int:
    value = 0
    for digit in digits:
        value = 10 * value + int(digit)
    return value


def digit_classifier(seed: int = SEED) -> CNNClassifier:
    """The bundle's CNN (as ``train.py`` builds it), initialised, not trained: its
    preprocessing learned from the training images, which it reads without their labels."""
    pixels, _, parts = data()
    return CNNClassifier(input_shape=(1, 8, 8), random_state=seed).initialize(
        pixels[parts["train"]], classes=range(10))


def program_for(n_digits: int) -> Path:
    return PROGRAMS["addition"] if n_digits <= 2 else PROGRAMS["carry"]


def learn(n_digits: int = 1, epochs: int | None = None, batch_size: int | None = None,
          learning_rate: float | None = None, repeats: int = 1, seed: int = SEED,
          patience: int | None = 5, progress: bool = False,
          checkpoints: str | Path | None = None) -> tuple[CNNClassifier, dict[str, Any]]:
    """Train the CNN from sums of ``n_digits``-digit numbers; returns it and a summary."""
    settings = dict(SETTINGS.get(n_digits, SETTINGS[4]))
    for key, value in (("epochs", epochs), ("batch_size", batch_size),
                       ("learning_rate", learning_rate)):
        if value is not None:
            settings[key] = value
    classifier = digit_classifier(seed)
    model = NeuralProgram.from_file(program_for(n_digits), {NETWORK: classifier.network()},
                                    {SOURCE: images()})
    lifted = n_digits <= 2  # one circuit with every sum as an answer; carry.pl needs the sum
    train_set = _outputs(sum_examples(n_digits, "train", repeats, seed)[0], lifted)
    validation = _outputs(sum_examples(n_digits, "calibration", 1, seed)[0], lifted)
    trainer = Trainer(epochs=settings["epochs"], batch_size=settings["batch_size"],
                      learning_rate=settings["learning_rate"], seed=seed,
                      validation=validation, monitor="accuracy" if lifted else "loss",
                      patience=patience, progress=progress, checkpoints=checkpoints)
    started = time.perf_counter()
    history = trainer.fit(model, train_set)
    seconds = time.perf_counter() - started
    summary = {
        "digits": n_digits,
        "program": str(program_for(n_digits).relative_to(HERE)),
        "training_examples": len(train_set),
        "circuits": model.circuits,
        **settings,
        "epochs_run": len(history.epochs),
        "best_epoch": history.best_epoch,
        "seconds": round(seconds, 2),
        "seconds_per_epoch": round(history.seconds_per_epoch, 3),
        "heldout": heldout_accuracy(classifier, model, n_digits, seed),
    }
    return classifier, summary


def _outputs(examples: list[Example], lifted: bool) -> list[Example]:
    return examples if lifted else [Example(e.query, outputs=()) for e in examples]


def heldout_accuracy(classifier: CNNClassifier, model: NeuralProgram, n_digits: int,
                     seed: int = SEED) -> dict[str, Any]:
    """Digit accuracy on the held-out images and sum accuracy on held-out examples."""
    pixels, digits, parts = data()
    heldout = parts["heldout"]
    digit_accuracy = float(np.mean(classifier.predict(pixels[heldout]) == digits[heldout]))
    examples, groups = sum_examples(n_digits, "heldout", 1, seed)
    if n_digits <= 2:
        sums = model.accuracy(examples)
        how = "the most probable sum through the rules"
    else:
        predicted = classifier.predict(pixels[groups.reshape(-1)]).reshape(groups.shape)
        truth = digits[groups]
        ok = [_number(p[:n_digits]) + _number(p[n_digits:]) ==
              _number(t[:n_digits]) + _number(t[n_digits:]) for p, t in zip(predicted, truth,
                                                                            strict=True)]
        sums = float(np.mean(ok))
        how = "the sum of the most probable digits"
    return {"digit_accuracy": round(digit_accuracy, 4), "images": len(heldout),
            "sum_accuracy": round(float(sums), 4), "examples": len(examples), "sum": how}


def save(classifier: CNNClassifier, summary: dict[str, Any],
         bundle_dir: str | Path = HERE) -> dict[str, Any]:
    """Save the trained CNN as the bundle's ``models/digit``, saying how it was trained."""
    pixels, digits, parts = data()
    heldout = parts["heldout"]
    metrics = evaluate(classifier, pixels[heldout], digits[heldout])
    training = {"method": "through logic: from sums only, no digit labels",
                **{k: summary[k] for k in ("digits", "program", "training_examples",
                                           "epochs_run", "best_epoch")},
                "heldout_sum_accuracy": summary["heldout"]["sum_accuracy"]}
    saved = save_model(classifier, Path(bundle_dir) / "models", MODEL, metrics=metrics,
                       training=training)
    return {"model": str(Path(bundle_dir) / "models" / MODEL), "version": saved.version,
            "training": training}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits", type=int, default=1, help="N: digits per number (1, 2, 4)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--repeats", type=int, default=1,
                        help="pair the training images this many times")
    parser.add_argument("--save", metavar="BUNDLE_DIR",
                        help="save the trained CNN as BUNDLE_DIR/models/digit")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    classifier, summary = learn(args.digits, args.epochs, args.batch_size, args.learning_rate,
                                args.repeats, progress=not args.quiet)
    if args.save:
        summary["saved"] = save(classifier, summary, args.save)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
