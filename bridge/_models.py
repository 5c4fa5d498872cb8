"""How good and how honest a bundle's networks are on its held-out data.

Each bundle's ``train.py`` keeps part of its data away from training and calibration and
gives it back through ``heldout() -> {network: (X, y)}``. :func:`network_report` evaluates
every network of an engine on it, before calibration (the bare network a
:class:`~neural.CalibratedModel` wraps) and after (the model the rules read): accuracy,
log-loss, Brier score, expected calibration error and the reliability diagram's bins. The
console's Models page and ``benchmarks/bundles.py`` show these numbers.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._bundle import Bundle, BundleError

if TYPE_CHECKING:
    from neural import Metrics, Reliability

    from ._engine import Engine

__all__ = ["ModelQuality", "NetworkReport", "heldout_data", "network_report"]


@dataclass(frozen=True)
class ModelQuality:
    """A model's held-out metrics and its reliability diagram."""

    metrics: Metrics
    reliability: Reliability

    def to_dict(self) -> dict[str, Any]:
        return {**self.metrics.to_dict(), "reliability": self.reliability.to_dict()}


@dataclass(frozen=True)
class NetworkReport:
    """One network on the held-out split: before calibration (None if it has none) and after.

    ``classes`` are the network's labels as the rules write them; ``calibration`` the
    method (``"temperature"``, ``"isotonic"``, ``"sigmoid"``) or None; ``training`` what the
    saved model says of how it was trained (e.g. through logic, from sums), or None.
    """

    network: str
    version: str
    classes: tuple[str, ...]
    calibration: str | None
    samples: int
    before: ModelQuality | None
    after: ModelQuality
    training: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.network, "version": self.version,
                "classes": list(self.classes), "calibration": self.calibration,
                "training": dict(self.training) if self.training is not None else None,
                "samples": self.samples,
                "before": self.before.to_dict() if self.before is not None else None,
                "after": self.after.to_dict()}


def heldout_data(bundle: Bundle) -> dict[str, tuple[Any, Any]]:
    """``{network: (X, y)}`` from the ``heldout()`` of the bundle's ``train.py``.

    A :class:`BundleError` when the bundle has no ``train.py`` or it has no ``heldout()``.
    """
    script = bundle.train_script
    if script is None:
        raise BundleError(f"{bundle.root} has no train.py, hence no held-out data")
    name = f"_nesy_train_{bundle.name}"
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:
        raise BundleError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickle look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    heldout = getattr(module, "heldout", None)
    if not callable(heldout):
        raise BundleError(f"{script} has no heldout() giving the held-out data")
    found = heldout()
    if not isinstance(found, Mapping):
        raise BundleError(f"{script}: heldout() must return {{network: (X, y)}}")
    return dict(found)


def network_report(engine: Engine, heldout: Mapping[str, tuple[Any, Any]] | None = None,
                   bins: int = 15) -> dict[str, NetworkReport]:
    """Every network of ``engine`` on the held-out data (default: :func:`heldout_data`).

    Metrics as :func:`neural.evaluate` computes them; reliability bins as
    :func:`neural.reliability` (the same ``bins`` as the ECE). A network without held-out
    data is left out.

    >>> report = network_report(Engine.from_bundle("examples/clinic"))  # doctest: +SKIP
    >>> report["cytology"].after.metrics.ece                             # doctest: +SKIP
    0.021...
    """
    from neural import evaluate, read_metadata, reliability

    data = heldout_data(engine.bundle) if heldout is None else heldout
    reports = {}
    for name, predicate in engine.networks.items():
        if name not in data:
            continue
        X, y = data[name]
        model = predicate.model
        bare = getattr(model, "model", None)  # a CalibratedModel wraps the bare network
        before = (ModelQuality(evaluate(bare, X, y), reliability(bare, X, y, bins))
                  if bare is not None else None)
        after = ModelQuality(evaluate(model, X, y), reliability(model, X, y, bins))
        spec = engine.bundle.networks[name]
        training = read_metadata(spec.model.parent, spec.model.name).training
        reports[name] = NetworkReport(
            network=name, version=str(predicate.version),
            classes=tuple(str(label) for label in predicate.domain),
            calibration=getattr(model, "method", None) if bare is not None else None,
            samples=after.metrics.n_samples, before=before, after=after, training=training)
    return reports
