"""Training networks from what a model says about whole examples, not from class labels.

:class:`Trainer` is the loop; what an example is and how its loss is computed belongs to the
model it trains, any object with the :class:`Learnable` methods (``bridge.NeuralProgram``:
the examples are queries of a logic program, the loss is ``-log P(query)`` through the
program's compiled circuits). The loop shuffles with its own seeded generator, runs torch
deterministically on ``n_threads`` threads, shows a progress bar, keeps the networks of the
best validation epoch, stops early after ``patience`` epochs without improvement, and writes
checkpoints from which :meth:`Trainer.fit` resumes exactly where it stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from nesy.errors import InputError

from ._estimators import _positive_float, _positive_int, torch_settings
from ._networks import Networks

__all__ = ["EpochRecord", "Learnable", "Trainer", "TrainingHistory", "query_loss"]

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
}
MONITORS = ("loss", "accuracy")
CHECKPOINT = "last.pt"  # in the checkpoint folder: the state after the latest epoch
BEST = "best.pt"        # the networks of the best validation epoch


def query_loss(probabilities: Sequence[torch.Tensor | np.ndarray], targets: np.ndarray,
               eps: float = 1e-12) -> torch.Tensor:
    """Mean cross-entropy of query probabilities against target probabilities.

    ``-(t log p + (1 - t) log(1 - p))``: for the usual target 1, ``-log P(query)``. As in
    DeepProbLog, ``eps`` keeps an impossible query's loss finite. ``probabilities`` are
    tensors (or arrays, without gradients) whose concatenation lines up with ``targets``.

    >>> round(float(query_loss([torch.tensor([0.5, 0.25])], np.array([1.0, 1.0]))), 4)
    1.0397
    """
    p = torch.cat([torch.as_tensor(t).reshape(-1) for t in probabilities])
    target = torch.as_tensor(targets, dtype=p.dtype)
    positive = torch.log(p.clamp(min=0.0) + eps)
    negative = torch.log((1.0 - p).clamp(min=0.0) + eps)
    return -(target * positive + (1.0 - target) * negative).mean()


class Learnable(Protocol):
    """What :class:`Trainer` trains: networks, and a loss over prepared examples."""

    networks: Networks

    def prepare(self, examples: Sequence[Any]) -> Sequence[Any]:
        """The examples in the form :meth:`loss` reads (work done once, before the epochs)."""
        ...

    def loss(self, prepared: Sequence[Any]) -> torch.Tensor:
        """The mean loss of these prepared examples, differentiable into the networks."""
        ...

    def evaluate(self, prepared: Sequence[Any]) -> dict[str, float]:
        """Metrics without gradients: ``loss``, and ``accuracy`` where the model has one."""
        ...


@dataclass(frozen=True)
class EpochRecord:
    """One epoch: mean training loss, seconds, and the validation metrics (if any)."""

    epoch: int
    loss: float
    seconds: float
    validation: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainingHistory:
    """What :meth:`Trainer.fit` did: every epoch, the best one, and whether it stopped early."""

    epochs: tuple[EpochRecord, ...]
    best_epoch: int | None = None
    stopped_early: bool = False
    monitor: str = "loss"

    @property
    def seconds_per_epoch(self) -> float:
        """Median seconds of an epoch (validation included)."""
        return float(np.median([e.seconds for e in self.epochs])) if self.epochs else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": [e.to_dict() for e in self.epochs], "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early, "monitor": self.monitor,
                "seconds_per_epoch": self.seconds_per_epoch}


class Trainer:
    """Train a :class:`Learnable` model's networks end to end on its examples.

    Parameters
    ----------
    epochs : int
        Passes over the (shuffled) training examples.
    batch_size : int
        Examples per optimizer step; a batch is evaluated together.
    optimizer : str
        ``"adam"`` or ``"sgd"``, over every parameter of the model's networks.
    learning_rate : float
    seed : int
        Seeds the shuffling, the validation split and torch's generator during ``fit``
        (dropout): the same model, examples and seed give the same weights.
    validation : float or sequence
        A fraction of the examples held out to validate on after each epoch, or the
        validation examples themselves; ``0`` for none.
    monitor : str
        ``"loss"`` (lower is better) or ``"accuracy"`` (higher): what decides the best epoch.
    patience : int or None
        Stop after this many epochs without a better validation score; ``None`` never stops
        early. With validation, the networks end as they were after the best epoch.
    checkpoints : path or None
        A folder: ``last.pt`` after each epoch (networks, optimizer, generator, history),
        ``best.pt`` with the networks of the best epoch. ``fit(..., resume=True)`` goes on
        from ``last.pt``.
    progress : bool
        A progress bar per epoch on stderr (tqdm).
    n_threads : int
        torch threads during ``fit``.
    """

    def __init__(
        self,
        epochs: int = 1,
        batch_size: int = 2,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        seed: int = 0,
        validation: float | Sequence[Any] = 0.0,
        monitor: str = "loss",
        patience: int | None = None,
        checkpoints: str | Path | None = None,
        progress: bool = True,
        n_threads: int = 1,
    ) -> None:
        self.epochs = _positive_int(epochs, "epochs")
        self.batch_size = _positive_int(batch_size, "batch_size")
        if optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {optimizer!r}; known: "
                             f"{', '.join(OPTIMIZERS)}", field="optimizer")
        self.optimizer = optimizer
        self.learning_rate = _positive_float(learning_rate, "learning_rate")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InputError(f"must be an integer, got {seed!r}", field="seed")
        self.seed = seed
        if isinstance(validation, float | int) and not isinstance(validation, bool):
            if not 0.0 <= validation < 1.0:
                raise InputError(f"a validation fraction must be in [0, 1), got {validation!r}",
                                 field="validation")
        elif not isinstance(validation, Sequence) or isinstance(validation, str | bytes):
            raise InputError("validation must be a fraction or a sequence of examples",
                             field="validation")
        self.validation = validation
        if monitor not in MONITORS:
            raise InputError(f"unknown monitor {monitor!r}; known: {', '.join(MONITORS)}",
                             field="monitor")
        self.monitor = monitor
        self.patience = None if patience is None else _positive_int(patience, "patience")
        self.checkpoints = None if checkpoints is None else Path(checkpoints)
        self.progress = bool(progress)
        self.n_threads = _positive_int(n_threads, "n_threads")

    def fit(self, model: Learnable, examples: Sequence[Any],
            resume: bool = False,
            on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainingHistory:
        """Train ``model``'s networks on ``examples``; returns the history.

        ``resume`` goes on from the checkpoint folder's ``last.pt`` (it must exist): the
        epochs already done count towards ``epochs``. ``on_epoch`` is called after each.
        """
        if not len(examples):
            raise InputError("no training examples", field="examples")
        if resume and (self.checkpoints is None or
                       not (self.checkpoints / CHECKPOINT).is_file()):
            raise InputError(f"nothing to resume: no {CHECKPOINT} in {self.checkpoints}",
                             field="resume")
        with torch_settings(self.n_threads, self.seed):
            return self._fit(model, examples, resume, on_epoch)

    def _fit(self, model: Learnable, examples: Sequence[Any], resume: bool,
             on_epoch: Callable[[EpochRecord], None] | None) -> TrainingHistory:
        train_set, validation_set = self._split(examples)
        prepared = model.prepare(train_set)
        validation = model.prepare(validation_set) if validation_set else None
        if validation is not None:  # a monitor the model cannot measure fails before training
            self._score(_validate(model, validation))
        optimizer = OPTIMIZERS[self.optimizer](model.networks.parameters(),
                                               lr=self.learning_rate)
        order = torch.Generator().manual_seed(self.seed)
        records: list[EpochRecord] = []
        best: tuple[float, int] | None = None  # (score, epoch)
        best_state: dict[str, Any] | None = None
        if resume:
            records, best, best_state = self._restore(model, optimizer, order)
        stopped_early = best is not None and self._patience_spent(records, best[1])
        for epoch in range(len(records) + 1, self.epochs + 1):
            if stopped_early:
                break
            started = time.perf_counter()
            loss = self._epoch(model, prepared, optimizer, order, epoch)
            metrics = None if validation is None else _validate(model, validation)
            record = EpochRecord(epoch, loss, round(time.perf_counter() - started, 4), metrics)
            records.append(record)
            if metrics is not None:
                score = self._score(metrics)
                if best is None or score < best[0]:
                    best = (score, epoch)
                    best_state = model.networks.state_dict()
                    if self.checkpoints is not None:
                        self._save(self.checkpoints / BEST, best_state)
                stopped_early = self._patience_spent(records, best[1])
            if self.checkpoints is not None:
                self._save(self.checkpoints / CHECKPOINT, {
                    "networks": model.networks.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "order": order.get_state(),
                    "torch": torch.get_rng_state(),
                    "records": [r.to_dict() for r in records],
                    "best_epoch": None if best is None else best[1],
                    "best_score": None if best is None else best[0],
                })
            if on_epoch is not None:
                on_epoch(record)
        if best_state is not None:
            model.networks.load_state_dict(best_state)
        model.networks.train(False)
        return TrainingHistory(tuple(records), None if best is None else best[1],
                               stopped_early and len(records) < self.epochs, self.monitor)

    def _restore(self, model: Learnable, optimizer: torch.optim.Optimizer,
                 order: torch.Generator) -> tuple[list[EpochRecord], tuple[float, int] | None,
                                                  dict[str, Any] | None]:
        """Networks, optimizer and generators as ``last.pt`` left them; the epochs done, the
        best (score, epoch) and the best networks."""
        assert self.checkpoints is not None
        state = torch.load(self.checkpoints / CHECKPOINT, weights_only=True)
        model.networks.load_state_dict(state["networks"])
        optimizer.load_state_dict(state["optimizer"])
        order.set_state(state["order"])
        torch.set_rng_state(state["torch"])
        records = [EpochRecord(**r) for r in state["records"]]
        if state["best_epoch"] is None:
            return records, None, None
        best_path = self.checkpoints / BEST
        best_state = torch.load(best_path, weights_only=True) if best_path.is_file() else None
        return records, (state["best_score"], state["best_epoch"]), best_state

    def _split(self, examples: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        if not isinstance(self.validation, float | int):
            return list(examples), list(self.validation)
        n_validation = round(self.validation * len(examples))
        if self.validation > 0 and not 0 < n_validation < len(examples):
            raise InputError(f"a validation fraction of {self.validation} leaves "
                             f"{n_validation} of {len(examples)} examples to validate on",
                             field="validation")
        if n_validation == 0:
            return list(examples), []
        permutation = np.random.default_rng(self.seed).permutation(len(examples))
        held = set(permutation[:n_validation].tolist())
        return ([e for i, e in enumerate(examples) if i not in held],
                [e for i, e in enumerate(examples) if i in held])

    def _epoch(self, model: Learnable, prepared: Sequence[Any],
               optimizer: torch.optim.Optimizer, order: torch.Generator, epoch: int) -> float:
        model.networks.train(True)
        permutation = torch.randperm(len(prepared), generator=order).tolist()
        starts = range(0, len(permutation), self.batch_size)
        bar = _progress(starts, f"epoch {epoch}/{self.epochs}", self.progress)
        total = 0.0
        for start in bar:
            batch = [prepared[i] for i in permutation[start:start + self.batch_size]]
            optimizer.zero_grad()
            loss = model.loss(batch)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise InputError(f"the loss became {value} in epoch {epoch}: lower the "
                                 "learning rate", field="learning_rate")
            total += value * len(batch)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total / (start + len(batch)):.4f}", refresh=False)
        return total / len(prepared)

    def _score(self, metrics: dict[str, float]) -> float:
        if self.monitor not in metrics:
            raise InputError(f"the validation metrics have no {self.monitor} (they have "
                             f"{', '.join(sorted(metrics))})", field="monitor")
        value = metrics[self.monitor]
        return -value if self.monitor == "accuracy" else value

    def _patience_spent(self, records: list[EpochRecord], best_epoch: int) -> bool:
        return self.patience is not None and records[-1].epoch - best_epoch >= self.patience

    @staticmethod
    def _save(path: Path, state: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        torch.save(state, partial)
        partial.replace(path)  # a crash mid-write never leaves a torn checkpoint


def _validate(model: Learnable, validation: Sequence[Any]) -> dict[str, float]:
    with model.networks.inference():
        return model.evaluate(validation)


def _progress(starts: range, description: str, enabled: bool) -> Any:
    if not enabled:
        return starts
    from tqdm import tqdm

    return tqdm(starts, desc=description, unit="batch", leave=False)
