"""Batch scoring of case files: read JSON Lines or CSV, decide every good case, report the bad.

:meth:`Engine.decide_many <bridge.Engine.decide_many>` refuses a whole batch for one bad
case; a file of cases from the field has some. :func:`read_cases` reads a file into
:class:`BatchCase` items, one per line (a line that is no case carries its problem), and
:func:`decide_each` decides the good ones in batches, setting aside each case the engine
refuses with the field and reason (``record.age: expected a whole number``), so that every
other case is decided, with the same decisions as one by one.

**JSON Lines**: one case a line, as ``nesy decide --batch`` reads them:
``{"id": ..., "inputs": {...}, "record": {...}}``; a case may carry what it should be
decided as, ``"expected": {"label": "biopsy"}`` (``{"abstained": true}`` or
``"expected": "abstain"`` for a referral).

**CSV**: a header row, then one case a row. The columns:

- ``id``: the case id (required);
- one column per record field of ``bundle.toml`` ``[record]``, named as the field
  (``age``, ``family_history``, ``patient``); numbers, ``true``/``false`` (also
  ``yes``/``no``, ``1``/``0``), names as they are; an empty cell leaves the field out;
- per input of ``[inputs]``, either one column named as the input that holds the values as
  a JSON array (``fna`` = ``[12.46, 24.04, ...]``), or one column per value, ``fna.0``,
  ``fna.1``, ... in row-major order of the input's shape (``left.0`` to ``left.63`` for an
  8x8 image);
- optionally ``expected``: the label the case should get, or ``abstain``.

An unknown column, or a missing ``id`` column, is an :class:`~nesy.errors.InputError` for
the whole file. :func:`write_cases_csv` writes cases in this format.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nesy.errors import InputError, NesyError

from ._bundle import Bundle
from ._decision import ABSTAIN, Decision

if TYPE_CHECKING:
    from ._engine import Engine

__all__ = ["ABSTAIN", "CASE_FORMATS", "BatchCase", "CaseOutcome", "CaseProblem",
           "ConfusionMatrix", "confusion_matrix", "decide_each", "read_cases",
           "write_cases_csv"]

#: The formats of case files, by name.
CASE_FORMATS = ("jsonl", "csv")
_IN_BATCH = re.compile(r"^cases\[(?P<index>\d+)\](?:\.(?P<field>.*))?$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


@dataclass(frozen=True)
class CaseProblem:
    """Why a case was not decided: the field it names (``record.age``), and the reason."""

    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class BatchCase:
    """One line of a case file: the case, or the problem that kept it from being one."""

    line: int  # 1-based line of the file where the case starts
    case: Mapping[str, Any] | None
    expected: str | None = None  # a label, ABSTAIN, or None when the file does not say
    problem: CaseProblem | None = None

    @property
    def case_id(self) -> str | None:
        found = self.case.get("id") if isinstance(self.case, Mapping) else None
        return found if isinstance(found, str) else None


@dataclass(frozen=True)
class CaseOutcome:
    """A case of a batch: its decision, or the problem that kept it from one."""

    line: int
    case_id: str | None
    expected: str | None
    decision: Decision | None
    problem: CaseProblem | None = None

    @property
    def decided(self) -> str | None:
        """The label, :data:`ABSTAIN` for a referral, None when the case was not decided."""
        if self.decision is None:
            return None
        return ABSTAIN if self.decision.abstained else self.decision.label

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "case": self.case_id, "expected": self.expected,
                "decision": self.decision.to_dict() if self.decision else None,
                "problem": self.problem.to_dict() if self.problem else None}


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of expected (rows) against decided (columns, :data:`ABSTAIN` last) labels."""

    expected: tuple[str, ...]
    decided: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def count(self, expected: str, decided: str) -> int:
        return self.counts[self.expected.index(expected)][self.decided.index(decided)]

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))

    @property
    def agreed(self) -> int:
        """Cases decided as expected (a referral expected and made counts)."""
        return sum(self.count(label, label) for label in self.expected if label in self.decided)

    def to_dict(self) -> dict[str, Any]:
        return {"expected": list(self.expected), "decided": list(self.decided),
                "counts": [list(row) for row in self.counts]}


def read_cases(data: str | bytes, format: str, bundle: Bundle) -> list[BatchCase]:
    """The cases of a JSON Lines or CSV file (see the module's text for the formats).

    A line that is no case becomes a :class:`BatchCase` with its problem; a file that
    cannot be read at all (not UTF-8, a CSV header with an unknown column) is an
    :class:`~nesy.errors.InputError`.
    """
    if format not in CASE_FORMATS:
        raise InputError(f"unknown case file format {format!r} (known: "
                         f"{', '.join(CASE_FORMATS)})", field="format")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"the file is not UTF-8 text: {exc}") from exc
    data = data.removeprefix("\ufeff")
    labels = (*bundle.decision.labels, ABSTAIN)
    return _read_jsonl(data, labels) if format == "jsonl" else _read_csv(data, bundle, labels)


def decide_each(engine: Engine, cases: Iterable[BatchCase], chunk_size: int = 256,
                progress: Callable[[int, int], None] | None = None) -> list[CaseOutcome]:
    """Decide every good case, in batches of ``chunk_size``; each bad one with its problem.

    A case the engine refuses (an :class:`~nesy.errors.InputError` naming it) is set
    aside and the rest of its batch decided; any other error of a batch has its cases
    decided one by one, so that it stays with the case that caused it. ``progress(done,
    total)`` is called after each batch. The outcomes come in the order of the cases.
    """
    if chunk_size < 1:
        raise InputError(f"chunk_size must be at least 1, not {chunk_size}", field="chunk_size")
    items = list(cases)
    outcomes: list[CaseOutcome | None] = [None] * len(items)
    good = []
    for i, item in enumerate(items):
        if item.problem is not None or item.case is None:
            outcomes[i] = CaseOutcome(item.line, item.case_id, item.expected, None,
                                      item.problem or CaseProblem(None, "no case"))
        else:
            good.append(i)
    done = len(items) - len(good)
    for start in range(0, len(good), chunk_size):
        chunk = good[start:start + chunk_size]
        for i, decision, problem in _decide_chunk(engine, [items[i] for i in chunk], chunk):
            item = items[i]
            outcomes[i] = CaseOutcome(item.line, item.case_id, item.expected, decision, problem)
        done += len(chunk)
        if progress is not None:
            progress(done, len(items))
    if progress is not None and not good:
        progress(len(items), len(items))
    return [outcome for outcome in outcomes if outcome is not None]


def confusion_matrix(outcomes: Iterable[CaseOutcome],
                     labels: Sequence[str]) -> ConfusionMatrix | None:
    """Expected against decided labels of the decided cases that say what they expect.

    Rows are the bundle's labels (and :data:`ABSTAIN` when a case expects a referral),
    columns the labels and :data:`ABSTAIN`. None when no decided case has an expectation.
    """
    pairs = [(o.expected, o.decided) for o in outcomes
             if o.expected is not None and o.decided is not None]
    if not pairs:
        return None
    rows = tuple(labels) + ((ABSTAIN,) if any(e == ABSTAIN for e, _ in pairs) else ())
    columns = (*labels, ABSTAIN)
    counts = [[0] * len(columns) for _ in rows]
    for expected, decided in pairs:
        counts[rows.index(expected)][columns.index(decided)] += 1
    return ConfusionMatrix(rows, columns, tuple(tuple(row) for row in counts))


def write_cases_csv(cases: Iterable[Mapping[str, Any]], bundle: Bundle) -> str:
    """Cases as CSV in :func:`read_cases`' format, inputs in flattened columns."""
    sizes = {name: math.prod(spec.shape) if spec.shape else None
             for name, spec in bundle.inputs.items()}
    header = ["id", *bundle.record]
    for name, size in sizes.items():
        header += [f"{name}.{i}" for i in range(size)] if size else [name]
    rows = list(cases)
    with_expected = any(_expected(case.get("expected"), ()) for case in rows)
    if with_expected:
        header.append("expected")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for case in rows:
        record = case.get("record", {})
        row: list[Any] = [case.get("id", "")]
        row += [_cell(record[name]) if name in record else "" for name in bundle.record]
        for name, size in sizes.items():
            values = case.get("inputs", {}).get(name)
            if size:
                flat = np.asarray(values, dtype=np.float64).reshape(-1).tolist()
                row += [_cell(v) for v in flat]
            else:
                row.append(json.dumps(values))
        if with_expected:
            row.append(_expected(case.get("expected"), ()) or "")
        writer.writerow(row)
    return out.getvalue()


# ------------------------------------------------------------------ reading


def _read_jsonl(text: str, labels: Sequence[str]) -> list[BatchCase]:
    cases = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            cases.append(BatchCase(number, None, None,
                                   CaseProblem(None, f"not JSON: {exc.msg} at column "
                                                     f"{exc.colno}")))
            continue
        if not isinstance(case, dict):
            cases.append(BatchCase(number, None, None, CaseProblem(
                "case", f"a case is a JSON object, not {type(case).__name__}")))
            continue
        try:
            expected = _expected(case.get("expected"), labels)
        except InputError as exc:
            cases.append(BatchCase(number, case, None, _problem(exc)))
            continue
        cases.append(BatchCase(number, case, expected))
    return cases


def _expected(value: Any, labels: Sequence[str]) -> str | None:
    """What a case says it should be decided as: a label, ABSTAIN, or None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        if value.get("abstained") is True:
            label: Any = ABSTAIN
        else:
            label = value.get("label")
            if label is None:
                return None
    else:
        label = value
    if not isinstance(label, str) or (labels and label not in labels):
        raise InputError(f"{label!r} is not a label of the bundle (labels: "
                         f"{', '.join(labels)})", field="expected")
    return label


def _read_csv(text: str, bundle: Bundle, labels: Sequence[str]) -> list[BatchCase]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return []
    header = [name.strip() for name in header]
    columns = _columns(header, bundle)
    cases = []
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(header):
                raise InputError(f"the row has {len(row)} cells, the header "
                                 f"{len(header)}", field=None)
            case, expected = _row_case(dict(zip(header, row, strict=True)), columns, bundle,
                                       labels)
        except InputError as exc:
            cells = dict(zip(header, row, strict=False))
            partial = {"id": cells["id"].strip()} if cells.get("id", "").strip() else None
            cases.append(BatchCase(start, partial, None, _problem(exc)))
            continue
        cases.append(BatchCase(start, case, expected))
    return cases


def _columns(header: Sequence[str], bundle: Bundle) -> dict[str, list[str] | None]:
    """Per input, its flattened columns in order, or None for one JSON column."""
    if "id" not in header:
        raise InputError("the CSV file needs an id column (header: "
                         f"{', '.join(header) or 'empty'})", field="id")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(f"the column {repeated[0]!r} appears twice", field=repeated[0])
    known = {"id", "expected", *bundle.record, *bundle.inputs}
    flat: dict[str, dict[int, str]] = {}
    for name in header:
        if name in known:
            continue
        base, _, index = name.rpartition(".")
        if base in bundle.inputs and index.isdigit():
            flat.setdefault(base, {})[int(index)] = name
            continue
        raise InputError(f"unknown column {name!r} (columns: id, "
                         f"{', '.join([*bundle.record, *bundle.inputs])}, "
                         "<input>.0, <input>.1, ..., expected)", field=name)
    columns: dict[str, list[str] | None] = {}
    for name, spec in bundle.inputs.items():
        if name in header and name in flat:
            raise InputError(f"the input {name!r} has both a JSON column and flattened "
                             f"columns {name}.0, ...", field=name)
        if name in flat:
            size = math.prod(spec.shape) if spec.shape else len(flat[name])
            if sorted(flat[name]) != list(range(size)):
                raise InputError(f"the input {name!r} of shape {list(spec.shape)} needs the "
                                 f"columns {name}.0 to {name}.{size - 1}", field=name)
            columns[name] = [flat[name][i] for i in range(size)]
        elif name in header:
            columns[name] = None
    return columns


def _row_case(cells: Mapping[str, str], columns: Mapping[str, list[str] | None],
              bundle: Bundle, labels: Sequence[str]) -> tuple[dict[str, Any], str | None]:
    case_id = cells["id"].strip()
    if not case_id:
        raise InputError("the case needs an id (a non-empty cell)", field="id")
    record: dict[str, Any] = {}
    for name, spec in bundle.record.items():
        cell = cells.get(name, "").strip()
        if cell:
            record[name] = _record_cell(spec.type, cell, f"record.{name}")
    inputs: dict[str, Any] = {}
    for name, flat in columns.items():
        shape = bundle.inputs[name].shape
        if flat is None:
            try:
                inputs[name] = json.loads(cells[name])
            except json.JSONDecodeError as exc:
                raise InputError(f"expected a JSON array of numbers: {exc.msg}",
                                 field=f"inputs.{name}") from exc
            continue
        values = []
        for column in flat:
            try:
                values.append(float(cells[column]))
            except ValueError as exc:
                raise InputError(f"expected a number, not {cells[column]!r}",
                                 field=f"inputs.{name}[{column.rpartition('.')[2]}]") from exc
        inputs[name] = np.asarray(values).reshape(shape).tolist() if shape else values
    case: dict[str, Any] = {"id": case_id, "inputs": inputs, "record": record}
    expected = _expected(cells.get("expected", "").strip() or None, labels)
    return case, expected


def _record_cell(kind: str, cell: str, field: str) -> Any:
    if kind == "bool":
        if cell.lower() in _TRUE:
            return True
        if cell.lower() in _FALSE:
            return False
        raise InputError(f"expected true or false, not {cell!r}", field=field)
    if kind == "int":
        try:
            return int(cell)
        except ValueError as exc:
            raise InputError(f"expected a whole number, not {cell!r}", field=field) from exc
    if kind == "float":
        try:
            return float(cell)
        except ValueError as exc:
            raise InputError(f"expected a number, not {cell!r}", field=field) from exc
    return cell


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


# ----------------------------------------------------------------- deciding


def _decide_chunk(engine: Engine, items: Sequence[BatchCase], indices: Sequence[int]
                  ) -> list[tuple[int, Decision | None, CaseProblem | None]]:
    results: list[tuple[int, Decision | None, CaseProblem | None]] = []
    pending = list(zip(indices, items, strict=True))
    while pending:
        try:
            decisions = engine.decide_many([item.case for _, item in pending
                                            if item.case is not None])
        except InputError as exc:
            found = _IN_BATCH.match(exc.field or "")
            if len(pending) == 1:
                results.append((pending[0][0], None, _problem(exc)))
                break
            if found is None or int(found["index"]) >= len(pending):
                results += _one_by_one(engine, pending)
                break
            index = int(found["index"])
            results.append((pending[index][0], None, _problem(exc, found["field"])))
            del pending[index]
            continue
        except NesyError:
            results += _one_by_one(engine, pending)
            break
        results += [(i, decision, None) for (i, _), decision in zip(pending, decisions,
                                                                      strict=True)]
        break
    return results


def _one_by_one(engine: Engine, pending: Sequence[tuple[int, BatchCase]]
                ) -> list[tuple[int, Decision | None, CaseProblem | None]]:
    results: list[tuple[int, Decision | None, CaseProblem | None]] = []
    for i, item in pending:
        try:
            assert item.case is not None
            results.append((i, engine.decide(item.case), None))
        except NesyError as exc:
            results.append((i, None, _problem(exc)))
    return results


def _problem(error: NesyError, field: str | None = None) -> CaseProblem:
    """The problem of one case; ``field`` names it within the case when the error's
    field names it within a batch."""
    own = getattr(error, "field", None)
    if field is None and own is not None and _IN_BATCH.match(own) is None:
        field = own
    message = error.message
    for prefix in (own, field):
        if prefix and message.startswith(f"{prefix}: "):
            message = message[len(prefix) + 2:]
    return CaseProblem(field, message)
