"""Benchmark ``nesy`` (the ``symbolic`` package) against the ``problog`` package.

Both systems answer the same program texts (see :mod:`benchmarks.programs`) in the same run:

* cold: parse + ground + compile + evaluate from the program text, median of R repeats;
* cached: compile once, then re-evaluate with new probabilities for the probabilistic facts
  (R repeats, each with different random probabilities, the same values for both systems).

ProbLog's pipeline is its default one: ``get_evaluatable().create_from(PrologString(text))``,
which compiles to an SDD when PySDD is installed. Its re-evaluation uses the documented
``Evaluatable.evaluate(weights={node_id: probability})`` override (see :class:`ProblogCompiled`),
and the script checks, per program, that the re-evaluated answer equals a cold ProbLog run on the
program text with the new probabilities written in.

Every (program, system) measurement runs in a forked child process with a per-step time limit,
so a program that ProbLog cannot handle is recorded as a timeout instead of hanging the run.
Each child first answers a tiny warm-up program (untimed; reported as ``startup_s``). The parent
only imports ``symbolic``: it must not start its embedded Prolog engine, whose owner thread would
not survive ``fork``.

Usage::

    python benchmarks/vs_problog.py [--quick] [--repeats N] [--only NAME[,NAME...]] [--markdown]

One JSON document goes to stdout (or a markdown table with ``--markdown``); progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import importlib.metadata
import json
import math
import multiprocessing
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol, TypeVar

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and ``symbolic`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.programs import BenchProgram, all_programs, stable_seed

Answers = dict[str, float]
T = TypeVar("T")

DEFAULT_REPEATS = 5
QUICK_REPEATS = 3
DEFAULT_TIMEOUT_S = 120.0
QUICK_LIMIT_S = 20.0
# Run once, untimed, in every worker before the measurements: one-time start-up costs (imports,
# starting an embedded Prolog engine) are reported as ``startup_s``, not charged to a program.
WARMUP_PROGRAM = "0.5::a. 0.5::b. c :- a, b. query(c).\n"


# --------------------------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------------------------


class Compiled(Protocol):
    """A program compiled once, re-evaluable with new fact probabilities."""

    def reevaluate(self, probs: Mapping[str, float]) -> Answers:
        """Answer the program's queries with ``probs`` replacing the fact probabilities."""
        ...


class Backend(Protocol):
    """One of the compared systems."""

    def cold(self, text: str) -> Answers:
        """Parse, ground, compile and evaluate ``text`` from scratch."""
        ...

    def compile(self, text: str) -> Compiled:
        """Compile ``text`` once (and evaluate it once) for later re-evaluation."""
        ...


def normalise_key(key: object) -> str:
    """A query name as a string without whitespace (``path(a, b)`` -> ``path(a,b)``)."""
    return re.sub(r"\s+", "", str(key))


def normalise_answers(raw: Mapping[Any, Any]) -> Answers:
    """``{term: probability}`` with string keys and float values."""
    return {normalise_key(key): float(value) for key, value in raw.items()}


class ProblogBackend:
    """ProbLog's default pipeline (``get_evaluatable()``: SDD when PySDD is installed)."""

    def cold(self, text: str) -> Answers:
        """``get_evaluatable().create_from(PrologString(text)).evaluate()``."""
        from problog import get_evaluatable
        from problog.program import PrologString

        return normalise_answers(get_evaluatable().create_from(PrologString(text)).evaluate())

    def compile(self, text: str) -> ProblogCompiled:
        """Compile ``text`` to ProbLog's default knowledge representation."""
        return ProblogCompiled(text)


class ProblogCompiled:
    """A compiled ProbLog formula, re-evaluated through ``evaluate(weights=...)``.

    ``Evaluatable.evaluate(weights=...)`` passes the dictionary to
    ``LogicFormula.extract_weights``, where it takes priority over the formula's own weights
    (facts left out keep theirs; annotated-disjunction complements are recomputed by the
    ``ConstraintAD`` constraints). Keys are node ids of the formula, or names registered in it.

    The formula is built with ``label_all=True, avoid_name_clash=True`` (as ProbLog's own tests
    and MPE task do): every probabilistic atom is then registered under its own name, e.g.
    ``edge(a,b)`` or ``choice(8,2,die(1,3))`` for an annotated-disjunction head, and a query such
    as ``path(a,b)`` that is logically the same node as ``edge(a,b)`` does not rename that atom.
    Without these options a query or evidence atom may rename a fact node, and the fact can no
    longer be found by name.
    """

    def __init__(self, text: str) -> None:
        from problog import get_evaluatable
        from problog.program import PrologString

        self.formula = get_evaluatable().create_from(
            PrologString(text), label_all=True, avoid_name_clash=True
        )
        self.node_of = fact_nodes(self.formula)
        self.formula.evaluate()

    def reevaluate(self, probs: Mapping[str, float]) -> Answers:
        """Evaluate all queries with ``probs`` (ground fact / AD head -> probability)."""
        weights = {node: probs[name] for name, node in self.node_of.items() if name in probs}
        return normalise_answers(self.formula.evaluate(weights=weights))


def fact_nodes(formula: Any) -> dict[str, int]:
    """Map each probabilistic fact (or AD head) of a ProbLog formula to its weighted node id.

    Facts are registered under their own name; the heads of annotated disjunctions under
    ``choice(Group, Index, Head, ...)``. Only atoms the grounder kept (those relevant to the
    queries and evidence) appear.
    """
    weighted = formula.get_weights()
    nodes: dict[str, int] = {}
    for name, node in formula.get_names(formula.LABEL_NAMED):
        if not isinstance(node, int) or node <= 0 or node not in weighted:
            continue
        if getattr(name, "functor", None) == "choice" and len(name.args) >= 3:
            if str(name.args[1]) == "e":  # the implicit "none of the heads" choice
                continue
            name = name.args[2]
        nodes[normalise_key(name)] = node
    return nodes


class NesyBackend:
    """This engine: ``symbolic.Program``."""

    def __init__(self, program_cls: Any) -> None:
        self.program_cls = program_cls

    def cold(self, text: str) -> Answers:
        """``Program.from_string(text).query()``."""
        return normalise_answers(self.program_cls.from_string(text).query())

    def compile(self, text: str) -> NesyCompiled:
        """``Program.from_string(text)`` and one ``query()``."""
        return NesyCompiled(self.program_cls.from_string(text))


@dataclass
class NesyCompiled:
    """A ``symbolic.Program`` that has answered its queries once."""

    program: Any

    def __post_init__(self) -> None:
        self.program.query()

    def reevaluate(self, probs: Mapping[str, float]) -> Answers:
        """``program.query(weights={"edge(n0,n1)": 0.42, ...})``."""
        return normalise_answers(self.program.query(weights=dict(probs)))


def load_nesy() -> tuple[Any | None, str | None]:
    """Import ``symbolic.Program``; return ``(Program, None)`` or ``(None, reason)``."""
    try:
        from symbolic import Program
    except Exception as exc:  # any failure means "unavailable"
        return None, f"import symbolic failed: {type(exc).__name__}: {exc}"
    return Program, None


# --------------------------------------------------------------------------------------------
# Measurement in a child process
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to measure for one (program, system) pair."""

    repeats: int
    reweight_seeds: tuple[int, ...]
    check_reweight: bool
    step_limit_s: float


def _timed(func: Callable[[], T]) -> tuple[float, T]:
    """Run ``func`` after a garbage collection; return (seconds, result)."""
    gc.collect()
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def _worker(backend: Backend, program: BenchProgram, plan: Plan, conn: Connection) -> None:
    """Child process: run the measurements and stream each result to the parent."""
    try:
        seconds, _ = _timed(partial(backend.cold, WARMUP_PROGRAM))
        conn.send(("startup", seconds, None))
        text = program.text()
        for _ in range(plan.repeats):
            seconds, answers = _timed(partial(backend.cold, text))
            conn.send(("cold", seconds, answers))
        seconds, compiled = _timed(partial(backend.compile, text))
        weight_keys = getattr(compiled, "node_of", None)
        conn.send(("compile", seconds, None if weight_keys is None else len(weight_keys)))
        for seed in plan.reweight_seeds:
            probs = program.random_probs(seed)
            seconds, answers = _timed(partial(compiled.reevaluate, probs))
            conn.send(("cached", seconds, answers))
        if plan.check_reweight and plan.reweight_seeds:
            new_text = program.text(program.random_probs(plan.reweight_seeds[0]))
            seconds, answers = _timed(partial(backend.cold, new_text))
            conn.send(("check", seconds, answers))
    except Exception as exc:  # reported to the parent
        conn.send(("error", 0.0, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.send(("done", 0.0, None))
        conn.close()


@dataclass
class SystemRun:
    """What one system did on one program."""

    status: str = "ok"
    reason: str | None = None
    limit_s: float | None = None
    startup_s: float | None = None
    cold_runs: list[float] = field(default_factory=list)
    cold_answers: Answers | None = None
    compile_s: float | None = None
    weight_keys: int | None = None
    cached_runs: list[float] = field(default_factory=list)
    cached_answers: list[Answers] = field(default_factory=list)
    check_answers: Answers | None = None

    def record(self, kind: str, seconds: float, payload: Any) -> None:
        """Store one message from the worker."""
        if kind == "cold":
            self.cold_runs.append(seconds)
            if self.cold_answers is None:
                self.cold_answers = payload
        elif kind == "startup":
            self.startup_s = seconds
        elif kind == "compile":
            self.compile_s = seconds
            self.weight_keys = payload
        elif kind == "cached":
            self.cached_runs.append(seconds)
            self.cached_answers.append(payload)
        elif kind == "check":
            self.check_answers = payload
        elif kind == "error":
            self.status, self.reason = "error", str(payload)


def measure(
    name: str, backend: Backend, program: BenchProgram, plan: Plan, timeout_status: str
) -> SystemRun:
    """Measure ``backend`` on ``program`` in a forked child with a per-step time limit.

    A step (one cold run, the compilation, one re-evaluation) that takes longer than
    ``plan.step_limit_s`` kills the child; the run is then marked ``timeout_status``.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_worker, args=(backend, program, plan, sender), daemon=True)
    process.start()
    sender.close()
    run = SystemRun()
    step = 0
    while True:
        if not receiver.poll(plan.step_limit_s):
            run.status, run.limit_s = timeout_status, plan.step_limit_s
            run.reason = f"a step took more than {plan.step_limit_s:g} s"
            process.kill()
            break
        try:
            kind, seconds, payload = receiver.recv()
        except EOFError:
            run.status, run.reason = "error", f"worker died (exit code {process.exitcode})"
            break
        if kind == "done":
            break
        run.record(kind, seconds, payload)
        step += 1
        if kind in ("startup", "cold", "compile", "cached"):
            log(f"  {name} {kind} #{step}: {seconds:.4f} s")
    process.join()
    receiver.close()
    return run


# --------------------------------------------------------------------------------------------
# Comparison and reporting
# --------------------------------------------------------------------------------------------


def max_abs_diff(left: Answers | None, right: Answers | None) -> float | None:
    """Largest absolute difference over the queries; ``None`` if unavailable or mismatched."""
    if left is None or right is None or left.keys() != right.keys():
        return None
    return max((abs(left[key] - right[key]) for key in left), default=0.0)


def key_mismatch(left: Answers | None, right: Answers | None) -> list[str]:
    """Query names answered by only one of the two systems (at most 10)."""
    if left is None or right is None:
        return []
    return sorted(left.keys() ^ right.keys())[:10]


def max_over(diffs: Sequence[float | None]) -> float | None:
    """The largest of ``diffs``, or ``None`` if any is missing or there are none."""
    if not diffs or any(diff is None for diff in diffs):
        return None
    return max(diff for diff in diffs if diff is not None)


def median(values: Sequence[float]) -> float | None:
    """Median of ``values`` or ``None`` if empty."""
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` when both are known and the denominator is positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def system_summary(run: SystemRun | None, unavailable: str | None = None) -> dict[str, Any]:
    """The JSON entry for one system on one program."""
    if run is None:
        return {"status": "unavailable" if unavailable else "skipped", "reason": unavailable}
    summary: dict[str, Any] = {
        "status": run.status,
        "cold_s": median(run.cold_runs),
        "cached_s": median(run.cached_runs),
        "compile_s": run.compile_s,
        "startup_s": run.startup_s,
        "cold_runs_s": run.cold_runs,
        "cached_runs_s": run.cached_runs,
    }
    if run.weight_keys is not None:
        summary["reweightable_facts"] = run.weight_keys
    if run.limit_s is not None:
        summary["limit_s"] = run.limit_s
    if run.reason:
        summary["reason"] = run.reason
    return summary


def count_queries(program: BenchProgram) -> int:
    """Number of ``query/1`` lines of the program."""
    return len(re.findall(r"^query\(", program.text(), flags=re.MULTILINE))


@dataclass
class ProgramResult:
    """Both systems' runs on one program."""

    program: BenchProgram
    problog: SystemRun | None
    nesy: SystemRun | None
    nesy_unavailable: str | None
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON entry of this program."""
        problog, nesy = self.problog, self.nesy
        entry: dict[str, Any] = {
            "program": self.program.name,
            "family": self.program.family,
            "queries": count_queries(self.program),
            "probabilistic_facts": len(self.program.fact_heads),
            "status": "skipped" if self.skipped else "ok",
        }
        if self.skipped:
            entry["reason"] = self.skipped
        entry["problog"] = system_summary(problog)
        entry["nesy"] = system_summary(nesy, self.nesy_unavailable)
        entry["speedup"] = self._speedups()
        entry["max_abs_diff"] = self._diffs()
        if problog is not None and problog.check_answers is not None:
            first = problog.cached_answers[0] if problog.cached_answers else None
            entry["problog"]["reweight_check_max_abs_diff"] = max_abs_diff(
                first, problog.check_answers
            )
        if nesy is not None and problog is not None:
            mismatch = key_mismatch(problog.cold_answers, nesy.cold_answers)
            if mismatch:
                entry["query_key_mismatch"] = mismatch
        return entry

    def _speedups(self) -> dict[str, float | None]:
        """problog time / nesy time, cold and cached.

        When ProbLog hit the time limit before finishing a cold run, ``cold_at_least`` bounds
        the cold speedup from below with the limit.
        """
        problog, nesy = self.problog, self.nesy
        if problog is None or nesy is None:
            return {"cold": None, "cached": None}
        speedups = {
            "cold": ratio(median(problog.cold_runs), median(nesy.cold_runs)),
            "cached": ratio(median(problog.cached_runs), median(nesy.cached_runs)),
        }
        if problog.limit_s is not None and not problog.cold_runs:
            speedups["cold_at_least"] = ratio(problog.limit_s, median(nesy.cold_runs))
        return speedups

    def _diffs(self) -> dict[str, float | None]:
        """Largest absolute answer difference between the systems, cold and cached."""
        problog, nesy = self.problog, self.nesy
        if problog is None or nesy is None:
            return {"cold": None, "cached": None}
        pairs = zip(problog.cached_answers, nesy.cached_answers, strict=False)
        cached = [max_abs_diff(left, right) for left, right in pairs]
        return {
            "cold": max_abs_diff(problog.cold_answers, nesy.cold_answers),
            "cached": max_over(cached),
        }


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress output (stderr)."""
    print(message, file=sys.stderr, flush=True)


def machine_info() -> dict[str, Any]:
    """Python, platform, CPU and package versions of this run."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    for package in ("problog", "pysdd"):
        try:
            info[f"{package}_version"] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[f"{package}_version"] = None
    info["problog_default_evaluatable"] = problog_default_evaluatable()
    return info


def problog_default_evaluatable() -> str:
    """Class name of what ``get_evaluatable().create_from`` produces (``SDD`` with PySDD)."""
    from problog import get_evaluatable
    from problog.program import PrologString

    return type(get_evaluatable().create_from(PrologString("0.5::a. query(a)."))).__name__


def select_programs(only: str | None) -> list[BenchProgram]:
    """All programs, or those whose name matches one of the comma-separated patterns."""
    programs = all_programs()
    if not only:
        return programs
    patterns = [pattern.strip() for pattern in only.split(",") if pattern.strip()]
    chosen = [p for p in programs if any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]
    if not chosen:
        names = ", ".join(p.name for p in programs)
        raise SystemExit(f"no program matches {only!r}; programs: {names}")
    return chosen


def make_plan(program: BenchProgram, repeats: int, limit_s: float, check: bool) -> Plan:
    """The measurement plan of ``program`` (re-weighting seeds depend on its name only)."""
    seeds = tuple(stable_seed("reweight", program.name, index) for index in range(repeats))
    return Plan(repeats, seeds, check, limit_s)


def bench_program(
    program: BenchProgram, args: argparse.Namespace, nesy_cls: Any, nesy_reason: str | None
) -> ProgramResult:
    """Measure ProbLog, then (unless ProbLog was skipped) this engine, on one program."""
    limit = min(args.timeout, QUICK_LIMIT_S) if args.quick else args.timeout
    log(f"[{program.name}] problog (step limit {limit:g} s)")
    problog_plan = make_plan(program, args.repeats, limit, check=True)
    timeout_status = "skipped" if args.quick else "timeout"
    problog = measure("problog", ProblogBackend(), program, problog_plan, timeout_status)
    if problog.status == "skipped":
        reason = f"--quick: problog took more than {QUICK_LIMIT_S:g} s on one step"
        log(f"[{program.name}] skipped ({reason})")
        return ProgramResult(program, problog, None, nesy_reason, skipped=reason)
    nesy = None
    if nesy_cls is not None:
        log(f"[{program.name}] nesy (step limit {args.timeout:g} s)")
        nesy_plan = make_plan(program, args.repeats, args.timeout, check=False)
        nesy = measure("nesy", NesyBackend(nesy_cls), program, nesy_plan, "timeout")
    return ProgramResult(program, problog, nesy, nesy_reason)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_REPEATS} repeats; skip programs where a problog step "
        f"takes more than {QUICK_LIMIT_S:g} s",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"repeats per measurement (default {DEFAULT_REPEATS})",
    )
    parser.add_argument(
        "--only", default=None, help="comma-separated program names or globs, e.g. 'grid_*,alarm'"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="per-step time limit in seconds (default %(default)s)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print a markdown table instead of JSON"
    )
    parser.add_argument("--list", action="store_true", help="list the program names and exit")
    parser.add_argument(
        "--render",
        metavar="JSON",
        default=None,
        help="print the markdown table of a saved JSON result and exit",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = QUICK_REPEATS if args.quick else DEFAULT_REPEATS
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark; return the JSON document."""
    machine = machine_info()  # also imports and warms up problog before the workers fork
    nesy_cls, nesy_reason = load_nesy()
    if nesy_reason:
        log(f"nesy unavailable: {nesy_reason}")
    results = []
    for program in select_programs(args.only):
        result = bench_program(program, args, nesy_cls, nesy_reason)
        results.append(result.to_json())
    return {
        "machine": machine,
        "repeats": args.repeats,
        "quick": args.quick,
        "step_limit_s": args.timeout,
        "nesy_available": nesy_cls is not None,
        "results": results,
    }


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def fmt_seconds(entry: Mapping[str, Any], key: str) -> str:
    """A time cell: value with a unit, or the system's status when there is no value."""
    value = entry.get(key)
    if value is None and entry.get("limit_s") is not None:
        return f"> {entry['limit_s']:g} s ({entry['status']})"
    if value is None:
        return entry.get("status", "-") if entry.get("status") != "ok" else "-"
    if value >= 1.0:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def fmt_number(value: float | None, spec: str) -> str:
    """A numeric cell, ``-`` when missing."""
    return "-" if value is None or math.isnan(value) else format(value, spec)


def fmt_speedup(value: float | None) -> str:
    """A speedup cell such as ``12x``, ``3.4x`` or ``0.25x``; ``-`` when missing."""
    if value is None:
        return "-"
    if value >= 10:
        return f"{value:.0f}x"
    return f"{value:.1f}x" if value >= 1 else f"{value:.2f}x"


def markdown(document: Mapping[str, Any]) -> str:
    """The results as a markdown table (for the README)."""
    machine = document["machine"]
    caption = (
        f"Python {machine['python']}, {machine['platform']}, {machine['cpu_count']} CPUs; "
        f"problog {machine['problog_version']} ({machine['problog_default_evaluatable']}), "
        f"median of {document['repeats']} runs."
    )
    header = (
        "| program | queries | problog cold | nesy cold | speedup | problog cached "
        "| nesy cached | speedup | max diff cold | max diff cached |"
    )
    lines = [caption, "", header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in document["results"]:
        problog, nesy = row["problog"], row["nesy"]
        speed, diff = row["speedup"], row["max_abs_diff"]
        cells = [
            row["program"] + (" (skipped)" if row["status"] == "skipped" else ""),
            str(row["queries"]),
            fmt_seconds(problog, "cold_s"),
            fmt_seconds(nesy, "cold_s"),
            fmt_speedup(speed["cold"])
            if speed.get("cold_at_least") is None
            else "> " + fmt_speedup(speed["cold_at_least"]),
            fmt_seconds(problog, "cached_s"),
            fmt_seconds(nesy, "cached_s"),
            fmt_speedup(speed["cached"]),
            fmt_number(diff["cold"], ".1e"),
            fmt_number(diff["cached"], ".1e"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    if args.list:
        print("\n".join(program.name for program in all_programs()))
        return 0
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text(encoding="utf-8"))))
        return 0
    document = run(args)
    if args.markdown:
        print(markdown(document))
    else:
        print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
