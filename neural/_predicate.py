"""Neural predicates: a model that turns a batch of inputs into probabilistic facts.

In a rule file a neural predicate is written as in DeepProbLog::

    nn(digit_net, [X], Y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) :: digit(X, Y).

``NeuralPredicate("digit_net", model)`` is the torch side of that line: for each input it gives
the annotated disjunction ``p0::digit(x, 0); ...; p9::digit(x, 9)`` as :class:`NeuralFacts`
(the class probabilities, one forward pass for the whole batch). For a binary model read as
one independent fact (``nn(malignant_net, [X]) :: malignant(X).``), give ``positive`` (or a
one-label ``domain``): each input then gets the probability of the positive class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nesy.errors import InputError

from ._arrays import as_batch
from ._storage import model_version

__all__ = ["Label", "NeuralFacts", "NeuralPredicate"]

Label = str | int


@dataclass(frozen=True)
class NeuralFacts:
    """What a neural predicate says about one input.

    ``probabilities`` maps each label of the domain to its probability (an annotated
    disjunction, summing to 1), or, when ``independent``, the one positive label to the
    probability of an independent fact. ``model`` is the network name used in the rules and
    ``version`` the model's version hash (the provenance of a neural fact).
    """

    model: str
    version: str
    input_id: Label
    probabilities: Mapping[Label, float] = field(hash=False)
    independent: bool = False

    @property
    def most_probable(self) -> Label:
        """The label with the highest probability (for an independent fact, its label)."""
        return max(self.probabilities, key=lambda label: self.probabilities[label])

    def source(self, label: Label) -> dict[str, Any]:
        """The provenance of the fact for ``label``: model, version, input and class."""
        if label not in self.probabilities:
            raise InputError(f"{label!r} is not in the domain {list(self.probabilities)}",
                             field="label")
        return {"model": self.model, "version": self.version, "input": self.input_id,
                "class": label}

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "input": self.input_id,
            "independent": self.independent,
            "probabilities": {str(label): p for label, p in self.probabilities.items()},
        }


def _plain(value: Any) -> Any:
    """A NumPy scalar as its Python value; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def _is_label(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _label(value: Any, where: str) -> Label:
    value = _plain(value)
    if not _is_label(value):
        raise InputError(f"a label is a string or an integer, got {value!r}", field=where)
    return value


def _default_label(value: Any) -> Label:
    value = _plain(value)
    return value if _is_label(value) else str(value)


class NeuralPredicate:
    """A fitted classifier read as a neural predicate named ``name``.

    Parameters
    ----------
    name : str
        The network name used in the rules (``nn(name, [X], Y, [...]) :: pred(X, Y).``).
    model
        A fitted classifier with ``classes_`` and ``predict_proba`` (an :class:`MLPClassifier`,
        a :class:`CNNClassifier`, a :class:`CalibratedModel`, or any scikit-learn classifier).
    domain : sequence of str or int, optional
        The labels as the rules write them, one per class in the order of ``model.classes_``
        (default: the classes themselves). A single label makes a binary model an independent
        fact whose probability is that of ``model.classes_[1]``.
    positive : str or int, optional
        For a binary model, the class (of ``model.classes_``) whose probability is the
        independent fact.
    version : str, optional
        The model's version; default :func:`model_version` for this package's models, else
        ``"unknown"``. Taken once, here: a model fitted again needs a new predicate.

    Examples
    --------
    >>> from neural import MLPClassifier
    >>> X, y = [[0.0], [1.0], [0.1], [0.9]] * 5, ["benign", "malignant"] * 10
    >>> model = MLPClassifier(hidden=(4,), epochs=30, learning_rate=0.05).fit(X, y)
    >>> net = NeuralPredicate("tumour_net", model)
    >>> [facts] = net.facts([[0.0]], ids=["case-1"])
    >>> sorted(facts.probabilities), round(sum(facts.probabilities.values()), 6)
    (['benign', 'malignant'], 1.0)
    >>> single = NeuralPredicate("malignant_net", model, positive="malignant")
    >>> [fact] = single.facts([[1.0]])
    >>> fact.independent, list(fact.probabilities)
    (True, ['malignant'])
    """

    def __init__(
        self,
        name: str,
        model: Any,
        domain: Sequence[Label] | None = None,
        positive: Label | None = None,
        version: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise InputError(f"a neural predicate needs a non-empty name, got {name!r}",
                             field="name")
        if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
            raise InputError("expected a fitted classifier (classes_ and predict_proba)",
                             field="model")
        classes = list(np.asarray(model.classes_))
        self.name = name
        self.model = model
        self.input_shape: tuple[int, ...] | None = _input_shape(model)
        self._positive: int | None = None
        if positive is not None or (domain is not None and len(domain) == 1):
            if len(classes) != 2:
                raise InputError(
                    f"an independent fact needs a binary model; this one has {len(classes)} "
                    "classes",
                    field="positive" if positive is not None else "domain",
                )
            if positive is None:
                self._positive = 1
            else:
                matches = [i for i, c in enumerate(classes) if _default_label(c) == positive]
                if not matches:
                    raise InputError(
                        f"{positive!r} is not a class of the model "
                        f"{[_default_label(c) for c in classes]}",
                        field="positive",
                    )
                self._positive = matches[0]
            labels = domain if domain is not None else [_default_label(classes[self._positive])]
            if len(labels) != 1:
                raise InputError(
                    f"an independent fact has one label, got {list(labels)}", field="domain"
                )
        else:
            labels = domain if domain is not None else [_default_label(c) for c in classes]
            if len(labels) != len(classes):
                raise InputError(
                    f"has {len(labels)} labels for the model's {len(classes)} classes",
                    field="domain",
                )
        self.domain: tuple[Label, ...] = tuple(
            _label(label, f"domain[{i}]") for i, label in enumerate(labels)
        )
        if len(set(self.domain)) != len(self.domain):
            raise InputError(f"labels repeat in {list(self.domain)}", field="domain")
        if version is None:
            try:
                version = model_version(model)
            except InputError:
                version = "unknown"
        self.version = version

    @property
    def independent(self) -> bool:
        """Whether each input gives one independent fact rather than an annotated disjunction."""
        return self._positive is not None

    def __repr__(self) -> str:
        form = "independent" if self.independent else "annotated disjunction"
        return f"NeuralPredicate({self.name!r}, domain={list(self.domain)}, {form})"

    def facts(self, inputs: Any, ids: Sequence[Label] | None = None) -> list[NeuralFacts]:
        """The facts for a batch of inputs, in order; one forward pass for the whole batch.

        ``inputs`` is an array ``(n, *input_shape)`` or a sequence of samples; ``ids`` names
        them (default ``0..n-1``). A wrong shape, NaN or infinite values or a non-numeric
        sample is an :class:`~nesy.errors.InputError` whose ``field`` names the input: its id
        when ``ids`` are given, else ``inputs[i]``.
        """
        count = _count(inputs)
        if ids is None:
            names: list[Label] = list(range(count))

            def name_of(i: int) -> str:
                return f"inputs[{i}]"
        else:
            if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
                raise InputError("expected a sequence of input ids", field="ids")
            names = [_label(value, f"ids[{i}]") for i, value in enumerate(ids)]
            if len(names) != count:
                raise InputError(f"has {len(names)} ids for {count} inputs", field="ids")
            if len(set(names)) != len(names):
                raise InputError("input ids repeat", field="ids")

            def name_of(i: int) -> str:
                return str(names[i])

        batch = as_batch(inputs, self.input_shape, field="inputs", name_of=name_of)
        if not count:
            return []
        probabilities = np.asarray(self.model.predict_proba(batch), dtype=np.float64)
        out = []
        for row, input_id in zip(probabilities, names, strict=True):
            if self._positive is not None:
                table = {self.domain[0]: float(row[self._positive])}
            else:
                table = {label: float(p) for label, p in zip(self.domain, row, strict=True)}
            out.append(NeuralFacts(self.name, self.version, input_id, table, self.independent))
        return out


def _input_shape(model: Any) -> tuple[int, ...] | None:
    shape = getattr(model, "input_shape_", None)
    if shape is not None:
        return tuple(int(size) for size in shape)
    features = getattr(model, "n_features_in_", None)
    return (int(features),) if features is not None else None


def _count(inputs: Any) -> int:
    if isinstance(inputs, (str, bytes)):
        raise InputError("expected a batch of numeric inputs, got a string", field="inputs")
    shape = getattr(inputs, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise InputError("expected a batch of inputs, got a single number", field="inputs")
        return int(shape[0])
    if isinstance(inputs, Sequence):
        return len(inputs)
    raise InputError(
        f"expected an array or a sequence of inputs, got {type(inputs).__name__}", field="inputs"
    )
