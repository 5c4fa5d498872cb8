"""The shipped bundles end to end: their networks, their decisions, and how fast they decide.

For each bundle (examples/clinic, examples/digits), in one process on one core:

* networks: held-out accuracy, log-loss, Brier score and expected calibration error (ECE)
  of each neural predicate before calibration (the bare network) and after (the model the
  bundle uses), on the held-out split of the bundle's ``train.py`` (``heldout()``);
* decisions: how many of the bundle's labelled cases (``cases/*.json`` and
  ``cases/heldout.jsonl``) are decided as labelled, how many are referred (abstained);
* speed: explained decisions per second, one by one (``Engine.decide``) and batched
  (``Engine.decide_many``), warm (models loaded, circuits compiled by a first pass): median
  of ``--repeats`` passes over the labelled cases. Every decision carries its explanation
  (k proofs, influence, why-not of the runner-up), as in production;
* where the time goes: the share of checking (record, graph facts, SHACL shapes), neural,
  grounding (fact tables, compiling: a cache look-up once warm), inference and explanation,
  from the decisions' ``timing_ms`` in the batched passes.

Goals (issue 5): at least 1,000 explained decisions per second batched on the clinic
bundle; ECE at most 0.03 after calibration. Prints JSON; ``--markdown`` adds a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUNDLES = ("clinic", "digits")
STAGES = ("check", "neural", "grounding", "inference", "explanation")


def networks(engine: Any) -> dict[str, Any]:
    """Held-out metrics of each network, before and after calibration (bridge.network_report)."""
    from bridge import network_report

    return {name: {"samples": report.samples, "calibration": report.calibration,
                   "before": report.before.metrics.to_dict() if report.before else None,
                   "after": report.after.metrics.to_dict()}
            for name, report in network_report(engine).items()}


def labelled_cases(root: Path) -> list[dict[str, Any]]:
    cases = [json.loads(p.read_text()) for p in sorted((root / "cases").glob("*.json"))]
    heldout = root / "cases" / "heldout.jsonl"
    if heldout.is_file():
        cases += [json.loads(line) for line in heldout.read_text().splitlines() if line.strip()]
    return [case for case in cases if "expected" in case]


def decisions(engine: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Decided as labelled, referred, wrong; a referral is counted apart, never as right."""
    decided = engine.decide_many(cases)
    right = referred = 0
    for case, decision in zip(cases, decided, strict=True):
        expected = case["expected"]
        if decision.abstained:
            referred += 1
        elif decision.label == expected["label"] and not expected.get("abstained", False):
            right += 1
    expected_referrals = sum(bool(c["expected"].get("abstained")) for c in cases)
    return {"cases": len(cases), "right": right, "referred": referred,
            "wrong": len(cases) - right - referred,
            "expected_referrals": expected_referrals,
            "accuracy": right / len(cases),
            "accuracy_of_decided": right / max(1, len(cases) - referred)}


def speed(engine: Any, cases: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    engine.decide_many(cases)  # warm: every structure grounded and compiled once
    one, batched = [], []
    totals = dict.fromkeys(STAGES, 0.0)
    for _ in range(repeats):
        start = time.perf_counter()
        for case in cases:
            engine.decide(case)
        one.append(len(cases) / (time.perf_counter() - start))
        start = time.perf_counter()
        result = engine.decide_many(cases)
        batched.append(len(cases) / (time.perf_counter() - start))
        for decision in result:
            for stage in STAGES:
                totals[stage] += decision.timing_ms.get(stage, 0.0)
    whole = sum(totals.values()) or 1.0
    return {"cases": len(cases), "repeats": repeats,
            "one_by_one_per_s": round(statistics.median(one), 1),
            "batched_per_s": round(statistics.median(batched), 1),
            "time_share": {stage: round(totals[stage] / whole, 3) for stage in STAGES}}


def measure(name: str, repeats: int) -> dict[str, Any]:
    import torch

    from bridge import Engine

    torch.set_num_threads(1)
    root = ROOT / "examples" / name
    start = time.perf_counter()
    engine = Engine.from_bundle(root)  # trains the models on first use
    load = time.perf_counter() - start
    cases = labelled_cases(root)
    return {"bundle": name, "load_s": round(load, 3), "networks": networks(engine),
            "decisions": decisions(engine, cases), "speed": speed(engine, cases, repeats)}


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| bundle | network | accuracy before / after | ECE before / after | "
             "decided as labelled | referred | one by one /s | batched /s |",
             "|---|---|---|---|---|---|---|---|"]
    for result in results:
        d, s = result["decisions"], result["speed"]
        for net, metrics in result["networks"].items():
            before, after = metrics["before"] or {}, metrics["after"]
            lines.append(
                f"| {result['bundle']} | {net} ({metrics['calibration']}) | "
                f"{before.get('accuracy', float('nan')):.3f} / {after['accuracy']:.3f} | "
                f"{before.get('ece', float('nan')):.3f} / {after['ece']:.3f} | "
                f"{d['right']}/{d['cases']} | {d['referred']} | "
                f"{s['one_by_one_per_s']:.0f} | {s['batched_per_s']:.0f} |")
    lines += ["", "| bundle | " + " | ".join(STAGES) + " |",
              "|---|" + "---|" * len(STAGES)]
    for result in results:
        share = result["speed"]["time_share"]
        lines.append(f"| {result['bundle']} | " +
                     " | ".join(f"{100 * share[stage]:.0f}%" for stage in STAGES) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", choices=BUNDLES, action="append",
                        help="one bundle (default: both)")
    parser.add_argument("--repeats", type=int, default=5, help="passes timed (median)")
    parser.add_argument("--markdown", action="store_true", help="also print a table")
    args = parser.parse_args(argv)
    results = [measure(name, args.repeats) for name in args.bundle or BUNDLES]
    print(json.dumps({"benchmark": "bundles", "results": results}, indent=2))
    if args.markdown:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
