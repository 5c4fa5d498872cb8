"""What an explanation costs: ``Program.explain`` next to ``Program.query``, same query, one run.

For each benchmark program (benchmarks/programs.py) and the first ground answer of its
queries, in one process:

* cold: a fresh ``Program`` (load, ground, compile) and one answer, versus a fresh
  ``Program`` and one explanation (k proofs, influence, why-not);
* cached: new probabilities for the facts, answered versus explained from the cached
  compilation.

Prints JSON (medians of ``--repeats`` runs, seconds) and, with ``--markdown``, a table.
The goal is an explanation at most 3x the cost of an answer. Run with OMP_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.programs import BenchProgram, all_programs

# Programs whose exact inference takes longer than a minute in nesy and ProbLog alike.
SKIP = {"graph_80", "smokers_30"}


def _median_time(function: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(program: BenchProgram, repeats: int, k: int) -> dict[str, Any]:
    from symbolic import Program

    text = program.text()
    answers = Program.from_string(text).query()
    query = sorted(answers)[0]

    def cold_answer() -> None:
        Program.from_string(text).query(query)

    def cold_explain() -> None:
        Program.from_string(text).explain(query, k=k)

    warm = Program.from_string(text)
    warm.query(query)
    warm.explain(query, k=k)
    weights = [program.random_probs(seed) for seed in range(repeats)]
    known = {parameter.name for parameter in warm.compile(query).parameters}
    weights = [{name: p for name, p in w.items() if name in known} for w in weights]
    cycle = iter(range(10**9))

    def cached_answer() -> None:
        warm.query(query, weights=weights[next(cycle) % repeats])

    def cached_explain() -> None:
        warm.explain(query, k=k, weights=weights[next(cycle) % repeats])

    explanation = warm.explain(query, k=k)
    result = {
        "program": program.name,
        "query": query,
        "probability": explanation.probability,
        "proofs": len(explanation.proofs),
        "complete": explanation.complete,
        "cold_answer_s": _median_time(cold_answer, repeats),
        "cold_explain_s": _median_time(cold_explain, repeats),
        "cached_answer_s": _median_time(cached_answer, repeats * 5),
        "cached_explain_s": _median_time(cached_explain, repeats * 5),
    }
    result["cold_ratio"] = result["cold_explain_s"] / result["cold_answer_s"]
    result["cached_ratio"] = result["cached_explain_s"] / result["cached_answer_s"]
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| program | query | answer cold | explain cold | ratio | answer cached |"
        " explain cached | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['program']} | `{r['query']}` | {r['cold_answer_s'] * 1e3:.2f} ms"
            f" | {r['cold_explain_s'] * 1e3:.2f} ms | {r['cold_ratio']:.2f}x"
            f" | {r['cached_answer_s'] * 1e3:.3f} ms | {r['cached_explain_s'] * 1e3:.3f} ms"
            f" | {r['cached_ratio']:.2f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="program names")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from symbolic import Program

    Program.from_string("0.5::a. b :- a.").explain("b")  # imports torch's autograd once
    results = []
    for program in all_programs():
        if program.name in SKIP or (args.only and program.name not in args.only):
            continue
        results.append(measure(program, args.repeats, args.k))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"benchmark": "explain_vs_query", "k": args.k, "repeats": args.repeats,
                      "results": results}, indent=2))
    if args.markdown:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
