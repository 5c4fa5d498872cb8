"""Learning through logic: a ProbLog program whose neural predicates are torch modules.

A DeepProbLog program runs as it is written::

    nn(mnist_net, [X], Y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) :: digit(X, Y).
    addition(X, Y, Z) :- digit(X, X2), digit(Y, Y2), Z is X2 + Y2.

with ``mnist_net`` registered by name and an example such as
``addition(tensor(train(0)), tensor(train(1)), 7)``, whose ``tensor(train(i))`` terms are
item ``i`` of the tensor source ``train``. The rules never look inside a ``tensor(...)``
term: to them it is an opaque input of a network.

Speed comes from compiling once per program structure. Each example's inputs are replaced by
placeholders in order of appearance, and (by default) its output argument by a variable:
every ``addition(tensor(_), tensor(_), Z)`` example shares one template,
``addition($in0, $in1, Z)``, grounded and compiled once into a circuit with one output per
sum. A batch then costs one forward pass per network, over all the batch's inputs, and one
pass of each template's circuit over its rows, on torch tensors, differentiably.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nesy.errors import InputError, NesyError, ProgramError
from neural import InputRef, Networks, query_loss
from symbolic import CompiledQuery, Limits, Program, Term, Var, format_term, parse_term

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = ["Example", "NeuralProgram"]

_PLACEHOLDER = "$nesy_in"  # the k-th distinct input of a query becomes the atom '$nesy_in<k>'
_OUTPUT = "NesyOut"        # and its j-th output argument the variable NesyOut<j>
_EVALUATION_ROWS = 512     # rows per circuit pass when evaluating without gradients


@dataclass(frozen=True, init=False)
class Example:
    """A query with the probability it should have: DeepProbLog's ``Query``.

    ``query`` is a ground term (or its text) whose ``tensor(source(i, ...))`` arguments are
    network inputs; ``p`` is the target probability (1 for a true example); ``outputs`` are
    the positions of its output arguments (the last, by default): examples that differ only
    there share one compiled circuit, and :meth:`NeuralProgram.predict` says which output
    value is most probable. ``outputs=()`` compiles the query as it is.

    >>> Example("addition(tensor(train(0)), tensor(train(1)), 7)").query.args[2]
    7
    """

    query: Term
    p: float
    outputs: tuple[int, ...]

    def __init__(self, query: Term | str, p: float = 1.0,
                 outputs: Sequence[int] = (-1,)) -> None:
        term = parse_term(query) if isinstance(query, str) else query
        if not isinstance(term, Term):
            raise InputError(f"an example's query must be a Term or its text, not {query!r}",
                             field="query")
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise InputError(f"an example's target probability must be in [0, 1], not {p!r}",
                             field="p")
        positions = tuple(outputs)
        arity = len(term.args)
        for position in positions:
            if isinstance(position, bool) or not isinstance(position, int) or not (
                    -arity <= position < arity):
                raise InputError(f"output position {position!r} is not an argument of "
                                 f"{format_term(term)}", field="outputs")
        object.__setattr__(self, "query", term)
        object.__setattr__(self, "p", float(p))
        object.__setattr__(self, "outputs", tuple(p % arity for p in positions))

    def __str__(self) -> str:
        return format_term(self.query)


@dataclass(frozen=True)
class _Template:
    """One compiled circuit shared by every example of the same shape.

    A network call ``c`` is network ``call_nets[c]`` on the inputs ``call_slots[c]``
    (placeholder numbers); parameter ``j`` is class ``param_class[j]`` of call
    ``param_call[j]``, or the program's own probability where ``param_call[j]`` is -1.
    """

    compiled: CompiledQuery
    call_nets: tuple[str, ...]
    call_slots: tuple[tuple[int, ...], ...]
    param_call: np.ndarray
    param_class: np.ndarray
    answer_column: dict[str, int]   # an example's output values, written, to their answer
    answer_values: tuple[str | None, ...]  # and back


@dataclass(frozen=True)
class _Prepared:
    """An example ready for a batch: its template, its inputs by slot, its answer column."""

    template: int
    inputs: tuple[InputRef, ...]
    column: int
    target: float
    lifted: bool


class NeuralProgram:
    """A ProbLog program with its neural predicates bound to torch modules by name.

    Parameters
    ----------
    program : Program, str or Path
        The rules: a loaded :class:`~symbolic.Program` or a ``.pl`` file.
    networks : mapping or Networks
        ``{name: torch module}`` for every ``nn(name, ...)`` of the program; a module maps
        a batch of inputs to class probabilities (rows summing to at most 1), one column per
        value of the domain, in its order.
    tensors : mapping
        ``{source: tensor or indexable}``: ``tensor(source(i))`` in a query is ``source[i]``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1))
    >>> model = NeuralProgram(Program.from_string(
    ...     "nn(net, [X], Y, [0, 1]) :: bit(X, Y). same(X, Y) :- bit(X, B), bit(Y, B)."),
    ...     {"net": net}, {"train": torch.eye(2)})
    >>> example = Example("same(tensor(train(0)), tensor(train(1)))", outputs=())
    >>> 0.0 <= model.probabilities([example])[0] <= 1.0
    True
    """

    def __init__(self, program: Program | str | Path, networks: Mapping[str, nn.Module] |
                 Networks, tensors: Mapping[str, Any] | None = None) -> None:
        self.program = program if isinstance(program, Program) else Program.from_file(program)
        self.networks = networks if isinstance(networks, Networks) else Networks(networks)
        for name, source in (tensors or {}).items():
            self.networks.add_source(name, source)
        self.sizes: dict[str, int] = {}
        for declaration in self.program.neural:
            size = self.sizes.setdefault(declaration.net, len(declaration.domain))
            if size != len(declaration.domain):
                raise InputError(f"network {declaration.net} has {size} classes in one nn "
                                 f"declaration and {len(declaration.domain)} here",
                                 declaration.location)
            if declaration.net not in self.networks:
                known = ", ".join(sorted(self.networks.names)) or "none"
                raise InputError(f"nn({declaration.net}, ...) names no registered network "
                                 f"(registered: {known})", declaration.location)
        self._templates: list[_Template] = []
        self._template_ids: dict[str, int] = {}

    @classmethod
    def from_file(cls, path: str | Path, networks: Mapping[str, nn.Module] | Networks,
                  tensors: Mapping[str, Any] | None = None,
                  limits: Limits | None = None) -> NeuralProgram:
        """Load the rules of ``path`` (a DeepProbLog ``.pl`` file runs unchanged)."""
        return cls(Program.from_file(path, limits=limits), networks, tensors)

    @property
    def circuits(self) -> int:
        """How many circuits were compiled (one per template, ever)."""
        return len(self._templates)

    # ------------------------------------------------------------------ preparing examples

    def prepare(self, examples: Sequence[Example]) -> list[_Prepared]:
        """Each example's template (compiled on first sight), inputs and answer column."""
        return [self._prepare(example, i) for i, example in enumerate(examples)]

    def _prepare(self, example: Example, position: int) -> _Prepared:
        if not isinstance(example, Example):
            raise InputError(f"an example must be an Example, not {type(example).__name__}",
                             field=f"examples[{position}]")
        refs: list[InputRef] = []
        template_term = _abstract(example.query, refs)
        lifted = bool(example.outputs)
        if lifted:
            args = list(template_term.args)
            for j, position_ in enumerate(example.outputs):
                args[position_] = Var(f"{_OUTPUT}{j}")
            template_term = Term(template_term.functor, *args)
        key = format_term(template_term)
        template_id = self._template_ids.get(key)
        if template_id is None:
            template_id = self._compile(template_term, key, example, position, refs)
        template = self._templates[template_id]
        column = template.answer_column.get(_output_key(example.query, example.outputs)
                                            if lifted else "", -1)
        return _Prepared(template_id, tuple(refs), column, example.p, lifted)

    def _compile(self, term: Term, key: str, example: Example, position: int,
                 refs: Sequence[InputRef]) -> int:
        try:
            compiled = self.program.compile(term)
        except NesyError as error:
            raise _in_context(error, example, position, refs) from error
        calls: dict[tuple[str, tuple[int, ...]], int] = {}
        param_call = np.full(len(compiled.parameters), -1, dtype=np.int64)
        param_class = np.zeros(len(compiled.parameters), dtype=np.int64)
        for j, parameter in enumerate(compiled.parameters):
            if parameter.net is None:
                continue
            slots = tuple(_slot(text, parameter.net, example) for text in parameter.inputs)
            param_call[j] = calls.setdefault((parameter.net, slots), len(calls))
            param_class[j] = parameter.head - 1
        outputs = example.outputs
        values = tuple(_answer_output(answer, outputs) if outputs else "" for answer in
                       compiled.answers)
        template = _Template(
            compiled, tuple(net for net, _ in calls), tuple(slots for _, slots in calls),
            param_call, param_class,
            {value: i for i, value in enumerate(values) if value is not None}, values)
        self._templates.append(template)
        self._template_ids[key] = len(self._templates) - 1
        return len(self._templates) - 1

    # ------------------------------------------------------------------ evaluating batches

    def loss(self, prepared: Sequence[_Prepared]) -> torch.Tensor:
        """Mean ``-(p log P(query) + (1-p) log(1 - P(query)))`` over a batch, differentiable."""
        probabilities, order = self._forward(prepared, answers=True)
        targets = np.array([prepared[i].target for i in order])
        return query_loss(probabilities, targets)

    def _forward(self, prepared: Sequence[_Prepared], answers: bool
                 ) -> tuple[list[torch.Tensor], list[int]]:
        """Circuit outputs per template group and the batch positions, in that order."""
        groups: dict[int, list[int]] = {}
        for i, example in enumerate(prepared):
            groups.setdefault(example.template, []).append(i)
        calls: dict[str, list[tuple[InputRef, ...]]] = {}
        call_ids: dict[tuple[str, tuple[InputRef, ...]], int] = {}
        group_calls: dict[int, np.ndarray] = {}
        for template_id, members in groups.items():
            template = self._templates[template_id]
            ids = np.empty((len(members), len(template.call_nets)), dtype=np.int64)
            for row, i in enumerate(members):
                inputs = prepared[i].inputs
                for c, (net, slots) in enumerate(zip(template.call_nets, template.call_slots,
                                                     strict=True)):
                    refs = tuple(inputs[s] for s in slots)
                    found = call_ids.get((net, refs))
                    if found is None:
                        net_calls = calls.setdefault(net, [])
                        found = call_ids[(net, refs)] = len(net_calls)
                        net_calls.append(refs)
                    ids[row, c] = found
            group_calls[template_id] = ids
        outputs = self.networks.run(calls, self.sizes)
        results: list[torch.Tensor] = []
        order: list[int] = []
        for template_id, members in groups.items():
            template = self._templates[template_id]
            ids = group_calls[template_id]
            bases = np.array([outputs.offsets[net] for net in template.call_nets],
                             dtype=np.int64)
            sizes = np.array([self.sizes[net] for net in template.call_nets], dtype=np.int64)
            starts = bases + ids * sizes  # (rows, calls): where each call's classes start
            neural = template.param_call >= 0
            index = np.full((len(members), len(template.param_call)), -1, dtype=np.int64)
            index[:, neural] = starts[:, template.param_call[neural]] + \
                template.param_class[neural]
            columns = np.array([prepared[i].column for i in members]) if answers else None
            results.append(template.compiled.evaluate_torch_gathered(outputs.values, index,
                                                                     columns))
            order += members
        return results, order

    def evaluate(self, prepared: Sequence[_Prepared]) -> dict[str, float]:
        """``loss``, and ``accuracy`` when every example has outputs (see :meth:`predict`).

        Examples with outputs are evaluated once, for all their answers: the loss reads the
        example's own answer, the accuracy whether it is the most probable one.
        """
        losses: list[float] = []
        correct = 0
        lifted = all(p.lifted for p in prepared)
        for start in range(0, len(prepared), _EVALUATION_ROWS):
            chunk = prepared[start:start + _EVALUATION_ROWS]
            if lifted:
                rows = self._answer_rows(chunk)
                own = np.array([row[p.column] if p.column >= 0 else 0.0
                                for row, p in zip(rows, chunk, strict=True)])
                loss = query_loss([own], np.array([p.target for p in chunk]))
                correct += sum(int(len(row) > 0 and int(np.argmax(row)) == p.column)
                               for row, p in zip(rows, chunk, strict=True))
            else:
                with self.networks.inference():
                    loss = self.loss(chunk)
            losses.append(float(loss) * len(chunk))
        metrics = {"loss": sum(losses) / len(prepared)}
        if lifted:
            metrics["accuracy"] = correct / len(prepared)
        return metrics

    def _best_columns(self, prepared: Sequence[_Prepared]) -> list[int]:
        rows = self._answer_rows(prepared)
        return [int(np.argmax(row)) if len(row) else -1 for row in rows]

    def _answer_rows(self, prepared: Sequence[_Prepared]) -> list[np.ndarray]:
        with self.networks.inference():
            results, order = self._forward(prepared, answers=False)
        rows: list[np.ndarray] = [np.zeros(0)] * len(prepared)
        at = 0
        for result in results:
            for row in result.detach().numpy():
                rows[order[at]] = row
                at += 1
        return rows

    # ------------------------------------------------------------------ the user's view

    def probabilities(self, examples: Sequence[Example]) -> list[float]:
        """P(query) of each example with the networks as they are (no gradients)."""
        prepared = self.prepare(examples)
        with self.networks.inference():
            results, order = self._forward(prepared, answers=True)
        values = [value for result in results for value in result.tolist()]
        found = [0.0] * len(prepared)
        for position, value in zip(order, values, strict=True):
            found[position] = float(value)
        return found

    def answers(self, examples: Sequence[Example]) -> list[dict[str, float]]:
        """For each example, the probability of each value of its outputs (its template's
        answers; several outputs are written ``"a, b"``)."""
        prepared = self.prepare(examples)
        rows = self._answer_rows(prepared)
        found = []
        for p, row in zip(prepared, rows, strict=True):
            values = self._templates[p.template].answer_values
            found.append({value if value is not None else str(i): float(v)
                          for i, (value, v) in enumerate(zip(values, row, strict=True))})
        return found

    def predict(self, examples: Sequence[Example]) -> list[str | None]:
        """The most probable output value of each example (``None`` if it has no answer)."""
        prepared = self.prepare(examples)
        found: list[str | None] = []
        for p, column in zip(prepared, self._best_columns(prepared), strict=True):
            found.append(None if column < 0 else self._templates[p.template].answer_values[
                column])
        return found

    def accuracy(self, examples: Sequence[Example]) -> float:
        """The share of examples whose own output value is the most probable one."""
        if not examples:
            raise InputError("no examples to measure accuracy on", field="examples")
        prepared = self.prepare(examples)
        if not all(p.lifted for p in prepared):
            raise InputError("accuracy needs examples with outputs (an Example's outputs=)",
                             field="examples")
        best = self._best_columns(prepared)
        return sum(int(b == p.column and b >= 0) for b, p in zip(best, prepared, strict=True)
                   ) / len(prepared)


def _in_context(error: NesyError, example: Example, position: int,
                refs: Sequence[InputRef]) -> NesyError:
    """``error`` (same class and attributes) saying which example it is about, in its words."""
    text = error.message
    for k, ref in enumerate(refs):
        text = text.replace(f"'{_PLACEHOLDER}{k}'", str(ref))
    text = re.sub(rf"\b{_OUTPUT}(\d+)\b", "_", text)
    if example.outputs and isinstance(error, ProgramError) and (
            "instantiation" in text or "not ground" in text):
        text += (" (the output argument was left unbound to share one circuit between "
                 "examples; Example(..., outputs=()) compiles the query with its value)")
    return error.with_message(f"examples[{position}] {example}: {text}")


def _abstract(term: Any, refs: list[InputRef]) -> Any:
    """``term`` with each distinct ``tensor(source(i...))`` replaced by a placeholder atom."""
    if isinstance(term, list):
        return [_abstract(item, refs) for item in term]
    if not isinstance(term, Term):
        return term
    if term.functor == "tensor" and len(term.args) == 1:
        ref = _input_ref(term)
        if ref not in refs:
            refs.append(ref)
        return f"{_PLACEHOLDER}{refs.index(ref)}"
    return Term(term.functor, *[_abstract(arg, refs) for arg in term.args])


def _input_ref(term: Term) -> InputRef:
    inner = term.args[0]
    if isinstance(inner, str):
        return InputRef(inner, ())
    if not isinstance(inner, Term) or any(isinstance(a, Term | list) for a in inner.args):
        raise InputError(f"{format_term(term)} is not a tensor input: write "
                         "tensor(source(i, ...)) with atoms or numbers as indices",
                         field="query")
    return InputRef(inner.functor, tuple(inner.args))


def _slot(text: str, net: str, example: Example) -> int:
    """The placeholder number of a network input written ``'$nesy_in3'``."""
    try:
        name = parse_term(text).functor
    except InputError:
        name = ""
    if name.startswith(_PLACEHOLDER) and name[len(_PLACEHOLDER):].isdigit():
        return int(name[len(_PLACEHOLDER):])
    raise InputError(f"network {net} reads {text} for {example}, which is not one of the "
                     "query's tensor(...) inputs: a network can only read its example's "
                     "inputs", field="query")


def _output_key(query: Term, outputs: tuple[int, ...]) -> str:
    return ", ".join(format_term(query.args[i]) for i in outputs)


def _answer_output(answer: str, outputs: tuple[int, ...]) -> str | None:
    """The output values of an answer of a lifted template, written as examples write them."""
    try:
        term = parse_term(answer)
    except InputError:
        return None
    if len(term.args) <= max(outputs):
        return None
    return _output_key(term, outputs)
