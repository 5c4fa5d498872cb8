"""Torch modules registered by name, and the tensor sources their inputs come from.

The torch side of learning through logic. A rule file names a network in
``nn(mnist_net, [X], Y, [0, ..., 9]) :: digit(X, Y)``; :class:`Networks` binds that name to a
module (as DeepProbLog's ``Network``). Inputs are references into named tensor sources, as
DeepProbLog's ``tensor(train(3))`` is item 3 of the source ``train``: an :class:`InputRef`.
:meth:`Networks.run` reads every input a batch needs, calls each network once on all of its
inputs stacked, and checks that the outputs are probabilities, one column a class.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from nesy.errors import InputError

__all__ = ["InputRef", "NetworkOutputs", "Networks"]

# A network's output may exceed 1 in a row by rounding (softmax in float32), not more.
_MASS_TOLERANCE = 1e-4


@dataclass(frozen=True)
class InputRef:
    """Item ``index`` of the tensor source ``source``: ``tensor(train(3))`` is ``("train", (3,))``.

    A source indexed by one integer (a tensor, an array, a list) is read as ``source[i]``;
    with several or non-integer index parts, as ``source[(i, j, ...)]``.
    """

    source: str
    index: tuple[Any, ...]

    def __str__(self) -> str:
        inner = ",".join(str(i) for i in self.index)
        return f"tensor({self.source}({inner}))"


@dataclass(frozen=True)
class NetworkOutputs:
    """What :meth:`Networks.run` returns: all class probabilities of a batch, flattened.

    ``values`` is one tensor (differentiable into the networks): network ``name``'s
    output for its ``k``-th call, class ``c``, is at ``offsets[name] + k * sizes[name] + c``.
    """

    values: torch.Tensor
    offsets: Mapping[str, int]
    sizes: Mapping[str, int]


class Networks:
    """Torch modules by name, and the tensor sources their inputs are read from.

    A module maps a batch of inputs (one tensor per input of the neural predicate, stacked
    along a first axis) to class probabilities ``(batch, classes)``: rows of non-negative
    numbers that sum to at most 1, as DeepProbLog's networks end in a softmax.

    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3),
    ...                           torch.nn.Softmax(dim=1))
    >>> networks = Networks({"net": net}, {"train": torch.zeros(5, 2, 2)})
    >>> out = networks.run({"net": [(InputRef("train", (0,)),), (InputRef("train", (4,)),)]},
    ...                    {"net": 3})
    >>> tuple(out.values.shape), out.offsets["net"]
    ((6,), 0)
    """

    def __init__(self, modules: Mapping[str, nn.Module],
                 sources: Mapping[str, Any] | None = None) -> None:
        self._modules: dict[str, nn.Module] = {}
        self._sources: dict[str, Any] = {}
        for name, module in modules.items():
            self.register(name, module)
        for name, source in (sources or {}).items():
            self.add_source(name, source)

    def register(self, name: str, module: nn.Module) -> None:
        """Bind the network ``name`` of the rules to ``module`` (replacing an earlier one)."""
        if not isinstance(name, str) or not name:
            raise InputError(f"a network name must be a non-empty str, not {name!r}",
                             field="networks")
        if not isinstance(module, nn.Module):
            raise InputError(f"network {name} must be a torch.nn.Module, not "
                             f"{type(module).__name__}", field=f"networks[{name!r}]")
        self._modules[name] = module

    def add_source(self, name: str, source: Any) -> None:
        """Make ``tensor(name(i))`` read ``source[i]`` (a tensor, an array, or any indexable)."""
        if not isinstance(name, str) or not name:
            raise InputError(f"a tensor source name must be a non-empty str, not {name!r}",
                             field="tensors")
        if not hasattr(source, "__getitem__"):
            raise InputError(f"tensor source {name} cannot be indexed: "
                             f"{type(source).__name__}", field=f"tensors[{name!r}]")
        self._sources[name] = torch.from_numpy(source) if isinstance(source, np.ndarray) \
            else source

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._modules)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self._sources)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __getitem__(self, name: str) -> nn.Module:
        return self._modules[name]

    def parameters(self) -> list[nn.Parameter]:
        """Every trainable tensor of the networks, each once (modules may share layers)."""
        seen: set[int] = set()
        found = []
        for module in self._modules.values():
            for parameter in module.parameters():
                if id(parameter) not in seen and parameter.requires_grad:
                    seen.add(id(parameter))
                    found.append(parameter)
        return found

    def train(self, mode: bool = True) -> None:
        for module in self._modules.values():
            module.train(mode)

    @contextmanager
    def inference(self) -> Iterator[None]:
        """Evaluate without gradients, every network in eval mode (its mode restored after)."""
        modes = {name: module.training for name, module in self._modules.items()}
        self.train(False)
        try:
            with torch.no_grad():
                yield
        finally:
            for name, module in self._modules.items():
                module.train(modes[name])

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        """``{network: its state dict}``, copied (a checkpoint, not a view)."""
        return {name: {k: v.detach().clone() for k, v in module.state_dict().items()}
                for name, module in self._modules.items()}

    def load_state_dict(self, state: Mapping[str, Mapping[str, torch.Tensor]]) -> None:
        for name, module in self._modules.items():
            if name not in state:
                raise InputError(f"the saved state has no network {name} "
                                 f"(it has {', '.join(sorted(state)) or 'none'})",
                                 field="checkpoint")
            module.load_state_dict(state[name])

    # ----------------------------------------------------------------- inputs and outputs

    def read(self, refs: Sequence[InputRef]) -> torch.Tensor:
        """The inputs ``refs`` stacked along a new first axis."""
        by_source: dict[str, list[int]] = {}
        for position, ref in enumerate(refs):
            by_source.setdefault(ref.source, []).append(position)
        if len(by_source) == 1:
            (name, _), = by_source.items()
            return self._read_from(name, refs)
        parts = [self._read_from(name, [refs[p] for p in positions])
                 for name, positions in by_source.items()]
        order = torch.as_tensor(np.argsort(np.concatenate(
            [np.asarray(p) for p in by_source.values()]), kind="stable"))
        return torch.cat(parts)[order]

    def _read_from(self, name: str, refs: Sequence[InputRef]) -> torch.Tensor:
        source = self._sources.get(name)
        if source is None:
            known = ", ".join(sorted(self._sources)) or "none"
            raise InputError(f"no tensor source {name} for {refs[0]} (sources: {known})",
                             field="tensors")
        simple = all(len(r.index) == 1 and isinstance(r.index[0], int) for r in refs)
        negative = [r for r in refs if any(isinstance(i, int) and i < 0 for i in r.index)]
        if negative:
            raise InputError(f"{negative[0]}: an index of a tensor source cannot be negative",
                             field=f"tensors[{name!r}]")
        try:
            if simple and isinstance(source, torch.Tensor):
                return source[torch.as_tensor([r.index[0] for r in refs])]
            items = [source[r.index[0]] if simple else source[r.index] for r in refs]
            return torch.stack([torch.as_tensor(item) for item in items])
        except (IndexError, KeyError) as error:
            raise InputError(f"tensor source {name} has no item for one of "
                             f"{', '.join(str(r) for r in refs[:3])}"
                             f"{' ...' if len(refs) > 3 else ''}: {error}",
                             field=f"tensors[{name!r}]") from error

    def run(self, calls: Mapping[str, Sequence[tuple[InputRef, ...]]],
            sizes: Mapping[str, int]) -> NetworkOutputs:
        """Call each network once on its inputs; its outputs must have ``sizes[name]`` columns.

        ``calls[name][k]`` holds the inputs of network ``name``'s ``k``-th call, one
        reference per input of its neural predicate.
        """
        values: list[torch.Tensor] = []
        offsets: dict[str, int] = {}
        offset = 0
        for name, inputs in calls.items():
            if not inputs:
                continue
            module = self._modules.get(name)
            if module is None:
                known = ", ".join(sorted(self._modules)) or "none"
                raise InputError(f"no network {name} is registered (networks: {known})",
                                 field="networks")
            arity = len(inputs[0])
            batches = [self.read([call[i] for call in inputs]) for i in range(arity)]
            out = module(*batches)
            _check_output(name, out, len(inputs), sizes[name])
            offsets[name] = offset
            offset += out.numel()
            values.append(out.reshape(-1))
        flat = torch.cat(values) if values else torch.zeros(0)
        return NetworkOutputs(flat, offsets, dict(sizes))


def _check_output(name: str, out: Any, n: int, size: int) -> None:
    if not isinstance(out, torch.Tensor):
        raise InputError(f"network {name} returned {type(out).__name__}, not a tensor",
                         field=f"networks[{name!r}]")
    if tuple(out.shape) != (n, size):
        raise InputError(f"network {name} returned shape {tuple(out.shape)} for {n} inputs; "
                         f"the rules' domain needs ({n}, {size}): one probability a class",
                         field=f"networks[{name!r}]")
    with torch.no_grad():
        if not bool(torch.isfinite(out).all()) or bool((out < 0).any()) or bool(
                (out.sum(dim=1) > 1 + _MASS_TOLERANCE).any()):
            raise InputError(f"network {name} must return probabilities (non-negative, each "
                             "row summing to at most 1, e.g. a softmax), not "
                             f"{out[:1].tolist()} ...", field=f"networks[{name!r}]")
