"""A compiled circuit: a flattened, shared BDD evaluated by weighted model counting.

Node 0 is the constant true. Node ``i > 0`` tests binary variable ``var[i]``:
its value is ``q[var] * value(high) + (1 - q[var]) * value(low)``. A reference
``r`` to a node is ``2 * index + negated``; a negated reference is worth
``1 - value``. Nodes are grouped by height, so evaluation is one vectorized
step per height on NumPy arrays (batched), and the reverse pass (:meth:`Circuit.gradient`)
one step per height back; on torch tensors the two are one autograd node.

Binary variables encode choices: a choice with relevant heads ``1..m`` (head
probabilities ``p_1..p_m``, at most 1 in sum) has ``m`` variables, head ``j``
being "variables ``1..j-1`` false and ``j`` true", with
``q_j = p_j / (1 - p_1 - ... - p_{j-1})``. So the parameters of a circuit are
the head probabilities themselves, one per variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["Circuit"]

# Below this many nodes, one vector is evaluated by a plain loop (see Circuit.evaluate).
_SCALAR_NODES = 3000


@dataclass(frozen=True, eq=False)
class Circuit:
    """Flattened BDD nodes and the references of its outputs.

    ``group_first[v]`` is the first variable of the choice that variable ``v``
    belongs to, which turns head probabilities into conditional ones.
    """

    var: np.ndarray  # (nodes,) int64; var[0] unused
    high: np.ndarray  # (nodes,) int64 references
    low: np.ndarray  # (nodes,) int64 references
    levels: tuple[np.ndarray, ...]  # node indices by height, lowest first
    outputs: np.ndarray  # (outputs,) int64 references
    group_first: np.ndarray  # (variables,) int64

    @property
    def size(self) -> int:
        """Number of decision nodes."""
        return int(len(self.var) - 1)

    @property
    def n_variables(self) -> int:
        return len(self.group_first)

    @cached_property
    def _scan_info(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Each variable's predecessor in its choice (itself for the first), whether it has
        one, and the longest run.

        Prefix sums are taken within a choice only: a sum across choices would
        carry rounding from one choice into the next.
        """
        index = np.arange(len(self.group_first))
        previous = np.where(self.group_first < index, index - 1, index)
        longest = int((index - self.group_first).max()) if len(index) else 0
        return previous, previous != index, longest

    def _before(self, p: np.ndarray) -> np.ndarray:
        previous, has_previous, longest = self._scan_info
        before = np.zeros_like(p)
        for _ in range(longest):
            before = np.where(has_previous, before[..., previous] + p[..., previous], 0.0)
        return before

    def conditional(self, probabilities: np.ndarray) -> np.ndarray:
        """Head probabilities to the binary variables' probabilities (last axis)."""
        p = np.asarray(probabilities, dtype=np.float64)
        if p.shape[-1] == 0:
            return p
        rest = 1.0 - self._before(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(rest > 1e-15, p / np.where(rest > 1e-15, rest, 1.0), 0.0)
        return np.clip(q, 0.0, 1.0)

    def evaluate(self, probabilities: np.ndarray) -> np.ndarray:
        """Values of the outputs for head probabilities of shape ``(..., variables)``."""
        q = self.conditional(probabilities)
        if q.ndim == 1 and self.size <= _SCALAR_NODES:
            return self._evaluate_scalar(q.tolist())
        batch = q.shape[:-1]
        values = np.empty((*batch, len(self.var)), dtype=np.float64)
        values[..., 0] = 1.0
        for nodes, var, high, high_negated, low, low_negated in self._level_arrays:
            qv = q[..., var]
            hi = values[..., high]
            lo = values[..., low]
            hi = np.where(high_negated, 1.0 - hi, hi)
            lo = np.where(low_negated, 1.0 - lo, lo)
            values[..., nodes] = qv * hi + (1.0 - qv) * lo
        return _deref(values, self.outputs)

    def _evaluate_scalar(self, q: list[float]) -> np.ndarray:
        """One vector through a small circuit: a plain loop beats NumPy's per-call cost."""
        values = [1.0] * len(self.var)
        for node, var, high, high_negated, low, low_negated in self._node_list:
            hi = values[high]
            lo = values[low]
            if high_negated:
                hi = 1.0 - hi
            if low_negated:
                lo = 1.0 - lo
            p = q[var]
            values[node] = p * hi + (1.0 - p) * lo
        return np.array([1.0 - values[r >> 1] if r & 1 else values[r >> 1]
                         for r in self.outputs.tolist()])

    def gradient(self, probabilities: np.ndarray, adjoints: np.ndarray) -> np.ndarray:
        """The vector-Jacobian product: ``sum_o adjoints[..., o] * d output_o / d p``.

        ``probabilities`` are head probabilities ``(..., variables)`` as for
        :meth:`evaluate`, ``adjoints`` one weight per output ``(..., outputs)``.
        Reverse mode by hand, through the circuit and the head-to-conditional
        transform: the same numbers as torch's autograd, without its per-call cost.
        """
        p = np.asarray(probabilities, dtype=np.float64)
        weights = np.asarray(adjoints, dtype=np.float64)
        if p.shape[-1] == 0:
            return np.zeros_like(p)
        if p.ndim == 1 and self.size <= _SCALAR_NODES:
            return self._gradient_scalar(p.tolist(), weights.tolist())
        p2 = p.reshape(-1, p.shape[-1])
        weights2 = np.broadcast_to(weights, (*p.shape[:-1], len(self.outputs)))
        result = self._gradient_batch(p2, weights2.reshape(-1, len(self.outputs)))
        return result.reshape(p.shape)

    def _gradient_scalar(self, p: list[float], adjoints: list[float]) -> np.ndarray:
        first = self.group_first.tolist()
        n = len(p)
        q = [0.0] * n
        rest = [0.0] * n
        # whether dq/dp flows: not where q is zeroed. A q clipped to 1 is a rounding of a
        # choice whose mass is 1 (more is refused), so the derivative passes through the clip.
        passes = [False] * n
        before = 0.0
        for v in range(n):
            before = 0.0 if first[v] == v else before + p[v - 1]
            rest[v] = 1.0 - before
            if rest[v] > 1e-15:
                raw = p[v] / rest[v]
                q[v] = min(1.0, max(0.0, raw))
                passes[v] = True
        values = [1.0] * len(self.var)
        for node, var, high, high_negated, low, low_negated in self._node_list:
            hi = 1.0 - values[high] if high_negated else values[high]
            lo = 1.0 - values[low] if low_negated else values[low]
            values[node] = q[var] * hi + (1.0 - q[var]) * lo
        adjoint = [0.0] * len(self.var)
        for ref, weight in zip(self.outputs.tolist(), adjoints, strict=True):
            adjoint[ref >> 1] += -weight if ref & 1 else weight
        adjoint_q = [0.0] * n
        for node, var, high, high_negated, low, low_negated in reversed(self._node_list):
            a = adjoint[node]
            if a == 0.0:
                continue
            hi = 1.0 - values[high] if high_negated else values[high]
            lo = 1.0 - values[low] if low_negated else values[low]
            adjoint_q[var] += a * (hi - lo)
            to_high = a * q[var]
            to_low = a * (1.0 - q[var])
            adjoint[high] += -to_high if high_negated else to_high
            adjoint[low] += -to_low if low_negated else to_low
        gradient = [0.0] * n
        later = 0.0  # sum over later variables j of its choice: adjoint_q[j] * dq_j / dp_v
        for v in range(n - 1, -1, -1):
            if v + 1 == n or first[v + 1] != first[v]:
                later = 0.0
            own = adjoint_q[v] / rest[v] if passes[v] else 0.0
            gradient[v] = own + later
            if passes[v]:
                later += adjoint_q[v] * p[v] / (rest[v] * rest[v])
        return np.array(gradient)

    def _gradient_batch(self, p: np.ndarray, adjoints: np.ndarray) -> np.ndarray:
        rest = 1.0 - self._before(p)
        ok = rest > 1e-15
        safe = np.where(ok, rest, 1.0)
        raw = np.where(ok, p / safe, 0.0)
        q = np.clip(raw, 0.0, 1.0)
        passes = ok  # through the clip, as in the scalar pass
        batch = p.shape[0]
        values = np.empty((batch, len(self.var)), dtype=np.float64)
        values[:, 0] = 1.0
        for nodes, var, high, high_negated, low, low_negated in self._level_arrays:
            hi = np.where(high_negated, 1.0 - values[:, high], values[:, high])
            lo = np.where(low_negated, 1.0 - values[:, low], values[:, low])
            values[:, nodes] = q[:, var] * hi + (1.0 - q[:, var]) * lo
        adjoint = np.zeros_like(values)
        signs = np.where((self.outputs & 1).astype(bool), -1.0, 1.0)
        # np.add.at sums repeated indices; on the transposed views they index the first axis
        np.add.at(adjoint.T, self.outputs >> 1, (adjoints * signs).T)
        adjoint_q = np.zeros_like(p)
        for nodes, var, high, high_negated, low, low_negated in reversed(self._level_arrays):
            a = adjoint[:, nodes]
            hi = np.where(high_negated, 1.0 - values[:, high], values[:, high])
            lo = np.where(low_negated, 1.0 - values[:, low], values[:, low])
            qv = q[:, var]
            np.add.at(adjoint_q.T, var, (a * (hi - lo)).T)
            np.add.at(adjoint.T, high, (np.where(high_negated, -1.0, 1.0) * a * qv).T)
            np.add.at(adjoint.T, low, (np.where(low_negated, -1.0, 1.0) * a * (1.0 - qv)).T)
        own = np.where(passes, adjoint_q / safe, 0.0)
        term = np.where(passes, adjoint_q * p / (safe * safe), 0.0)
        following, has_following, longest = self._scan_following
        later = np.zeros_like(p)
        for _ in range(longest):
            later = np.where(has_following, later[:, following] + term[:, following], 0.0)
        return np.asarray(own + later)

    @cached_property
    def _scan_following(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Each variable's successor in its choice (itself for the last), and the longest run."""
        n = len(self.group_first)
        index = np.arange(n)
        following = index.copy()
        if n:
            same = self.group_first[1:] == self.group_first[:-1]
            following[:-1] = np.where(same, index[1:], index[:-1])
        _, _, longest = self._scan_info
        return following, following != index, longest

    @cached_property
    def _node_list(self) -> list[tuple[int, int, int, bool, int, bool]]:
        order = np.concatenate(self.levels) if self.levels else np.zeros(0, dtype=np.int64)
        return [(n, int(self.var[n]), int(self.high[n] >> 1), bool(self.high[n] & 1),
                 int(self.low[n] >> 1), bool(self.low[n] & 1)) for n in order.tolist()]

    @cached_property
    def _level_arrays(self) -> list[tuple[np.ndarray, ...]]:
        """Per height: nodes, their variables, children and whether each child is negated."""
        return [
            (nodes, self.var[nodes], self.high[nodes] >> 1, (self.high[nodes] & 1).astype(bool),
             self.low[nodes] >> 1, (self.low[nodes] & 1).astype(bool))
            for nodes in self.levels
        ]

    def evaluate_torch(self, probabilities: torch.Tensor) -> torch.Tensor:
        """Like :meth:`evaluate` on a tensor ``(batch, variables)``; differentiable.

        One autograd node: the forward pass is :meth:`evaluate` and the backward pass
        :meth:`gradient`, both on NumPy arrays by height, which costs a fraction of
        recording every height's operations on torch's tape (the learning loop's hot path).
        """
        return _circuit_function().apply(probabilities, self)


@cache
def _circuit_function() -> Any:
    """The autograd function of :meth:`Circuit.evaluate_torch` (torch imported on first use)."""
    import torch

    class CircuitFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, p: torch.Tensor, circuit: Circuit) -> torch.Tensor:
            ctx.circuit = circuit
            ctx.array = p.detach().cpu().numpy().astype(np.float64)
            values = np.asarray(circuit.evaluate(ctx.array))
            return torch.as_tensor(values, dtype=p.dtype, device=p.device)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
            adjoints = grad.detach().cpu().numpy().astype(np.float64)
            gradient = ctx.circuit.gradient(ctx.array, adjoints)
            return torch.as_tensor(gradient, dtype=grad.dtype, device=grad.device), None

    return CircuitFunction


def _deref(values: np.ndarray, refs: np.ndarray) -> Any:
    raw = values[..., refs >> 1]
    negated = (refs & 1).astype(bool)
    return np.where(negated, 1.0 - raw, raw)
