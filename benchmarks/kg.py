"""The knowledge graph layer against rdflib's in-memory store, same data, same run.

For generated clinical graphs (``benchmarks/kg_data.py``: an ontology of ~300 classes and a
dozen properties, patients with findings, measurements, encounters and relatives; seeded)
of 100k and 1M triples, written as N-Triples to a temporary folder:

* load: time and peak memory of ``rdflib.Graph().parse`` (rdflib's own parser: the
  baseline), ``KnowledgeGraph("oxigraph").load`` (the fast store) and, for information,
  ``KnowledgeGraph("memory").load`` and pyoxigraph's bare ``Store.load`` (the floor under
  ``KnowledgeGraph.load``). Each load runs in a forked child (``--repeats`` times; the
  memory store once); its peak memory is the child's high-water mark (``VmHWM``, reset
  through ``/proc/self/clear_refs``) less its resident size before loading;
* queries, rdflib versus Oxigraph: every triple within 2 hops of a patient (one SPARQL
  query, and a loop over ``Graph.triples`` / ``KnowledgeGraph.quads``), medians over random
  patients; a join (patients with a finding of some class and a measurement of some kind
  above a threshold; 3 variants) as a plain SPARQL BGP, with the class reached through
  ``rdfs:subClassOf*``, and as hand-written Python loops (rdflib's SPARQL joins run once
  per variant, the others ``--repeats`` times); answers are checked equal across stores;
* RDFS closure: ``knowledge.rdfs_closure`` on the Oxigraph store at every size, and at
  smaller sizes (10k, 100k) next to owlrl's ``RDFS_Semantics`` on an rdflib ``Graph`` and
  ``rdfs_closure`` on the memory store (SPARQL updates run by rdflib), in children with a
  time limit (``> N s`` when it is hit). owlrl infers more (axiomatic triples, every node a
  ``rdfs:Resource``): it is the tool one would use, not the same output;
* grounding: after the closure, ``KnowledgeMapping.facts(kg, [patient], hops=2)`` for random
  patients: median and p90 time, facts per case.

The Oxigraph store used for the closure and the grounding is loaded from a Turtle 1.2 copy
of the same triples where ~1% carry a confidence (``{| ex:confidence 0.8 |}``, two more
triples each); rdflib cannot read RDF 1.2 annotations, so every rdflib measurement (and
every load comparison) uses the N-Triples file without them.

Prints one JSON document (medians of ``--repeats`` runs, seconds, MiB) and, with
``--markdown``, the README tables after it; progress goes to stderr. Run with one thread::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/kg.py [--sizes 100000 1000000]
        [--repeats 3] [--patients 200] [--quick] [--markdown]

The full default run takes about 9 minutes on a 2-core machine (rdflib takes most of it);
``--quick`` is a smoke run of a few seconds. rdflib's joins run under a time limit per query
(``--query-timeout``, 30 s), the reasoners under ``--owlrl-timeout`` (120 s).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import multiprocessing
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("OMP_NUM_THREADS", "1")
if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and ``knowledge`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox
import rdflib

from benchmarks.kg_data import EX, Generated, generate
from knowledge import KnowledgeGraph, KnowledgeMapping, rdfs_closure

DEFAULT_SIZES = (100_000, 1_000_000)
DEFAULT_OWLRL_SIZES = (10_000, 100_000)
QUICK_SIZES = (5_000, 20_000)
QUICK_OWLRL_SIZES = (2_000,)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"

NEIGHBOURHOOD = """SELECT DISTINCT ?s ?p ?o WHERE {
  { ?start ?p ?o BIND (?start AS ?s) }
  UNION
  { ?start ?p1 ?s FILTER (isIRI(?s)) ?s ?p ?o }
}"""
# (class, measurement kind, threshold): the finding's class is asserted (BGP) or a subclass
# of the given one at any depth (path).
JOIN_BGP_VARIANTS = (("F3_10", "HbA1c", 7.5), ("F4_30", "BloodPressure", 140),
                     ("F3_50", "Glucose", 9.0))
JOIN_PATH_VARIANTS = (("F1_0", "HbA1c", 7.5), ("F2_5", "BloodPressure", 140),
                      ("F1_3", "Glucose", 9.0))
JOIN_BGP = """PREFIX ex: <%(ex)s>
SELECT DISTINCT ?patient WHERE {
  ?patient ex:hasFinding ?f . ?f a ex:%(cls)s .
  ?patient ex:hasMeasurement ?m . ?m a ex:%(kind)s . ?m ex:hasValue ?v
  FILTER (?v > %(threshold)s)
}"""
JOIN_PATH = """PREFIX ex: <%(ex)s>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?patient WHERE {
  ?patient ex:hasFinding|ex:hasPrimaryFinding ?f . ?f a ?c . ?c rdfs:subClassOf* ex:%(cls)s .
  ?patient ex:hasMeasurement ?m . ?m a ex:%(kind)s . ?m ex:hasValue ?v
  FILTER (?v > %(threshold)s)
}"""
MAPPING = {
    "prefixes": {"ex": EX},
    "default_prefix": "ex",
    "hops": 2,
    "confidence": "ex:confidence",
    "predicates": {
        "has_finding": "ex:hasFinding", "has_measurement": "ex:hasMeasurement",
        "has_encounter": "ex:hasEncounter", "relative_of": "ex:relativeOf",
        "treated_by": "ex:treatedBy", "located_at": "ex:locatedAt",
        "evidenced_by": "ex:evidencedBy", "value": "ex:hasValue", "age": "ex:age",
        "patient": {"class": "ex:Patient"}, "finding": {"class": "ex:Finding"},
        "hba1c": {"class": "ex:HbA1c"}, "cardiac": {"class": "ex:F1_0"},
        "metabolic": {"class": "ex:F1_3"},
    },
}


def log(message: str) -> None:
    """Progress output (stderr)."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Children: each measurement in a forked process, results streamed back step by step
# --------------------------------------------------------------------------------------------

Send = Callable[[str, Any], None]
T = TypeVar("T")


def _status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1])
    return values


def _reset_peak() -> int:
    """Reset the high-water mark (Linux >= 4.0); the resident size now, in KiB."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        pass  # the mark then starts at the size inherited from the parent: still an upper bound
    return _status()["VmRSS"]


def _peak_mib(base_kib: int) -> float:
    return (_status()["VmHWM"] - base_kib) / 1024


def _child(task: Callable[..., None], args: tuple[Any, ...], conn: Connection) -> None:
    def send(kind: str, payload: Any) -> None:
        conn.send((kind, payload))

    try:
        task(send, *args)
    except Exception as exc:  # reported to the parent
        conn.send(("_error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.send(("_done", None))
        conn.close()


def in_child(task: Callable[..., None], *args: Any, limit_s: float) -> dict[str, Any]:
    """Run ``task(send, *args)`` in a forked child; ``{step: payload}`` of what it sent.

    A child announces a step with ``send("_limit", (step, seconds))``; when no message
    comes within that many seconds (``limit_s`` by default) it is killed and the step is
    recorded as ``{"status": "timeout", "limit_s": seconds}``.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(task, args, sender), daemon=True)
    process.start()
    sender.close()
    results: dict[str, Any] = {}
    step, limit = "start", limit_s
    while True:
        if not receiver.poll(limit):
            process.kill()
            results[step] = {"status": "timeout", "limit_s": limit}
            log(f"    {step}: more than {limit:g} s, stopped")
            break
        try:
            kind, payload = receiver.recv()
        except EOFError:
            results["_error"] = f"the child died (exit code {process.exitcode})"
            break
        if kind == "_done":
            break
        if kind == "_limit":
            step, limit = payload
            continue
        results[kind] = payload
        if kind == "_error":
            log(f"    error: {payload}")
        step, limit = "after " + kind, limit_s
    process.join()
    receiver.close()
    return results


def _timed(function: Callable[..., T], *args: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def _summary(times: Sequence[float], **extra: Any) -> dict[str, Any]:
    return {"median_s": statistics.median(times), "runs": len(times), **extra}


# --------------------------------------------------------------------------------------------
# What the children do
# --------------------------------------------------------------------------------------------


def _warm_rdflib() -> None:
    """Import rdflib's parser and SPARQL plugins once, before anything is timed."""
    graph = rdflib.Graph()
    graph.parse(data=f"<{EX}a> <{EX}b> <{EX}c> .", format="nt")
    list(graph.query(NEIGHBOURHOOD, initBindings={"start": rdflib.URIRef(EX + "a")}))


def _warm_knowledge(store: str) -> None:
    kg = KnowledgeGraph(store)
    kg.load_string(f"<{EX}a> <{EX}b> <{EX}c> .", format="nt")
    kg.select("SELECT * WHERE { ?s ?p ?o }")


def load_rdflib(send: Send, data: Generated, queries: dict[str, Any] | None) -> None:
    """rdflib: ``Graph().parse`` of the N-Triples file; then, optionally, the queries."""
    _warm_rdflib()
    base = _reset_peak()
    graph = rdflib.Graph()
    seconds, _ = _timed(partial(graph.parse, str(data.ntriples), format="nt"))
    send("load", {"s": seconds, "peak_mib": _peak_mib(base), "triples": len(graph)})
    if queries is not None:
        _queries(send, _rdflib_store(graph, queries["repeats"]), queries)


def load_knowledge(send: Send, data: Generated, store: str,
                   queries: dict[str, Any] | None) -> None:
    """``KnowledgeGraph(store).load`` of the N-Triples file; then, optionally, the rest."""
    _warm_knowledge(store)
    base = _reset_peak()
    kg = KnowledgeGraph(store)
    seconds, report = _timed(kg.load, data.ntriples)
    send("load", {"s": seconds, "peak_mib": _peak_mib(base), "triples": report.total})
    if queries is not None:
        _queries(send, _oxigraph_store(kg, queries["repeats"]), queries)
        del kg
        _closure_and_grounding(send, data, queries)


def load_pyoxigraph(send: Send, data: Generated) -> None:
    """pyoxigraph's own ``Store.load`` of the file into a named graph: the floor."""
    store = ox.Store()
    store.load(b"<urn:a> <urn:b> <urn:c> .", format=ox.RdfFormat.N_TRIPLES)
    base = _reset_peak()
    store = ox.Store()
    seconds, _ = _timed(partial(store.load, path=str(data.ntriples),
                                format=ox.RdfFormat.N_TRIPLES,
                                to_graph=ox.NamedNode(data.ntriples.as_uri())))
    send("load", {"s": seconds, "peak_mib": _peak_mib(base), "triples": len(store)})


def _neighbourhood_loop(triples: Callable[[Any], Any], start: Any, is_node: type) -> int:
    """Triples within 2 hops of ``start``, following objects that are IRIs."""
    found = set()
    seen = {start}
    frontier = [start]
    for _ in range(2):
        next_frontier = []
        for node in frontier:
            for s, p, o in triples(node):
                found.add((s, p, o))
                if isinstance(o, is_node) and o not in seen:
                    seen.add(o)
                    next_frontier.append(o)
        frontier = next_frontier
    return len(found)


@dataclass(frozen=True)
class _Store:
    """How one store answers the benchmark's queries (a patient is an IRI string)."""

    neighbourhood_sparql: Callable[[str], int]
    neighbourhood_loops: Callable[[str], int]
    count_rows: Callable[[str], int]  # a SPARQL SELECT
    join_loops: Callable[[str, str, float], int]
    sparql_join_repeats: int  # rdflib's SPARQL joins take seconds: once per variant


def _rdflib_store(graph: rdflib.Graph, repeats: int) -> _Store:
    from rdflib.plugins.sparql import prepareQuery

    URIRef = rdflib.URIRef
    query = prepareQuery(NEIGHBOURHOOD)  # rdflib's best case: parsed once, bound per patient

    def triples(node: Any) -> Any:
        return graph.triples((node, None, None))

    return _Store(
        lambda p: len(list(graph.query(query, initBindings={"start": URIRef(p)}))),
        lambda p: _neighbourhood_loop(triples, URIRef(p), URIRef),
        lambda text: len(list(graph.query(text))),
        lambda *variant: _join_loops_rdflib(graph, *variant),
        1)


def _oxigraph_store(kg: KnowledgeGraph, repeats: int) -> _Store:
    def triples(node: Any) -> Any:
        return ((q.subject, q.predicate, q.object) for q in kg.quads(node, None, None, None))

    return _Store(
        lambda p: len(kg.select(NEIGHBOURHOOD.replace("?start", f"<{p}>"))),
        lambda p: _neighbourhood_loop(triples, ox.NamedNode(p), ox.NamedNode),
        lambda text: len(kg.select(text)),
        lambda *variant: _join_loops_oxigraph(kg, *variant),
        repeats)


class _TimeLimit(BaseException):  # not an Exception: code under test must not catch it
    """A query ran past its limit (raised by SIGALRM: interrupts Python code, like rdflib's)."""


def _alarm(signum: int, frame: Any) -> None:
    raise _TimeLimit


def _limited(limit_s: float, function: Callable[..., T], *args: Any) -> tuple[float, T] | None:
    """``_timed(function, *args)``, or None when it runs past ``limit_s``."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    try:
        return _timed(function, *args)
    except _TimeLimit:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _queries(send: Send, store: _Store, plan: dict[str, Any]) -> None:
    """Neighbourhoods for every patient, then the joins, variant by variant."""
    for name, function in (("neighbourhood_sparql", store.neighbourhood_sparql),
                           ("neighbourhood_loops", store.neighbourhood_loops)):
        times, counts = [], []
        for patient in plan["patients"]:
            seconds, count = _timed(function, patient)
            times.append(seconds)
            counts.append(count)
        send(name, _summary(times, triples=counts))
    limit = plan["query_limit_s"]
    joins: tuple[tuple[str, Callable[[str, str, float], int], int], ...] = (
        ("join_loops", store.join_loops, plan["repeats"]),
        ("join_bgp", _sparql_join(store, JOIN_BGP), store.sparql_join_repeats),
        ("join_path", _sparql_join(store, JOIN_PATH), store.sparql_join_repeats))
    for name, join, repeats in joins:
        variants = JOIN_PATH_VARIANTS if name != "join_bgp" else JOIN_BGP_VARIANTS
        send("_limit", (name, limit * len(variants) * repeats + 60))
        send(name, _join_group(join, variants, repeats, limit))


def _sparql_join(store: _Store, template: str) -> Callable[[str, str, float], int]:
    def join(cls: str, kind: str, threshold: float) -> int:
        return store.count_rows(template % {"ex": EX, "cls": cls, "kind": kind,
                                            "threshold": threshold})
    return join


def _join_group(join: Callable[[str, str, float], int],
                variants: Sequence[tuple[str, str, float]], repeats: int,
                limit_s: float) -> dict[str, Any]:
    """Each variant ``repeats`` times (median), under a time limit per run."""
    out = []
    for variant in variants:
        entry: dict[str, Any] = {"variant": f"{variant[0]}, {variant[1]} > {variant[2]}"}
        times = []
        for _ in range(repeats):
            result = _limited(limit_s, join, *variant)
            if result is None:
                entry.update(status="timeout", limit_s=limit_s)
                break
            times.append(result[0])
            entry["rows"] = result[1]
        else:
            entry["s"] = statistics.median(times)
        out.append(entry)
    # a run past the limit counts as infinitely long: the median may still be known
    median = statistics.median(e.get("s", math.inf) for e in out)
    summary: dict[str, Any] = {"variants": out, "runs_per_variant": repeats,
                               "rows": [e.get("rows") for e in out]}
    if math.isinf(median):
        summary.update(status="timeout", limit_s=limit_s)
    else:
        summary["median_s"] = median
    return summary


def _join_loops_rdflib(graph: rdflib.Graph, cls: str, kind: str, threshold: float) -> int:
    """The path join by hand over ``Graph.triples`` (what one writes without SPARQL)."""
    URIRef = rdflib.URIRef
    type_, kind_node = URIRef(RDF_TYPE), URIRef(EX + kind)
    has_measurement, has_value = URIRef(EX + "hasMeasurement"), URIRef(EX + "hasValue")
    findings = (URIRef(EX + "hasFinding"), URIRef(EX + "hasPrimaryFinding"))
    classes = set(graph.transitive_subjects(URIRef(RDFS_SUBCLASS), URIRef(EX + cls)))
    patients: set[Any] = set()
    for c in classes:
        for finding in graph.subjects(type_, c):
            for prop in findings:
                for patient in graph.subjects(prop, finding):
                    if patient in patients:
                        continue
                    for m in graph.objects(patient, has_measurement):
                        if (m, type_, kind_node) in graph and any(
                                float(v) > threshold  # type: ignore[arg-type]
                                for v in graph.objects(m, has_value)):
                            patients.add(patient)
                            break
    return len(patients)


def _join_loops_oxigraph(kg: KnowledgeGraph, cls: str, kind: str, threshold: float) -> int:
    """The same join by hand over ``KnowledgeGraph.quads``."""
    N = ox.NamedNode
    type_, kind_node = N(RDF_TYPE), N(EX + kind)
    has_measurement, has_value = N(EX + "hasMeasurement"), N(EX + "hasValue")
    findings = (N(EX + "hasFinding"), N(EX + "hasPrimaryFinding"))
    subclass = N(RDFS_SUBCLASS)
    classes: set[Any] = {N(EX + cls)}
    frontier: list[Any] = list(classes)
    while frontier:
        next_frontier: list[Any] = []
        for c in frontier:
            for quad in kg.quads(None, subclass, c):
                if quad.subject not in classes:
                    classes.add(quad.subject)
                    next_frontier.append(quad.subject)
        frontier = next_frontier
    patients: set[Any] = set()
    for c in classes:
        for typed in kg.quads(None, type_, c):
            for prop in findings:
                for link in kg.quads(None, prop, typed.subject):
                    patient = link.subject
                    if patient in patients:
                        continue
                    for m in kg.quads(patient, has_measurement, None):
                        if any(True for _ in kg.quads(m.object, type_, kind_node)) and any(
                                float(v.object.value) > threshold  # type: ignore[union-attr]
                                for v in kg.quads(m.object, has_value, None)):
                            patients.add(patient)
                            break
    return len(patients)


def _closure_and_grounding(send: Send, data: Generated, plan: dict[str, Any]) -> None:
    """The annotated Turtle 1.2 file in Oxigraph, its RDFS closure, then facts per case."""
    if data.turtle is None:
        raise ValueError("the grounding needs the annotated Turtle file")
    gc.collect()
    kg = KnowledgeGraph("oxigraph")
    seconds, report = _timed(kg.load, data.turtle)
    send("load_turtle12", {"s": seconds, "triples": report.total})
    mapping = KnowledgeMapping.from_dict(MAPPING)
    seconds, added = _timed(partial(rdfs_closure, classes=mapping.classes(),
                                    properties=mapping.properties()), kg)
    send("closure_mapped", {"s": seconds, "added": added})
    seconds, total = _timed(len, kg)
    send("len", {"s": seconds, "triples": total})
    first, _ = _timed(mapping.facts, kg, [ox.NamedNode(plan["patients"][0])], 2)
    times, counts, probabilistic = [], [], 0
    for patient in plan["patients"]:
        seconds, facts = _timed(mapping.facts, kg, [ox.NamedNode(patient)], 2)
        times.append(seconds)
        counts.append(len(facts))
        probabilistic += sum(1 for fact in facts if fact.probability is not None)
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
    send("grounding", _summary(times, p90_s=p90, first_call_s=first,
                               facts_median=statistics.median(counts),
                               facts_max=max(counts), probabilistic_facts=probabilistic))
    del kg
    gc.collect()
    full = KnowledgeGraph("oxigraph")
    full.load(data.turtle)
    seconds, added = _timed(rdfs_closure, full)
    send("closure", {"s": seconds, "added": added})


def reasoners(send: Send, data: Generated, limit_s: float) -> None:
    """At a small size: ``rdfs_closure`` on the Oxigraph and memory stores, owlrl's RDFS."""

    def report(name: str, result: tuple[float, int] | None) -> None:
        send(name, {"status": "timeout", "limit_s": limit_s} if result is None
             else {"s": result[0], "added": result[1]})

    send("_limit", ("reasoners", 3 * limit_s + 120))
    for store in ("oxigraph", "memory"):
        kg = KnowledgeGraph(store)
        kg.load(data.ntriples)
        report(f"rdfs_closure_{store}", _limited(limit_s, rdfs_closure, kg))
        del kg
    try:
        import owlrl
    except ImportError:
        send("owlrl", {"status": "owlrl is not installed (pip install owlrl)"})
        return
    graph = rdflib.Graph()
    graph.parse(str(data.ntriples), format="nt")
    before = len(graph)
    result = _limited(limit_s, owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand, graph)
    report("owlrl", None if result is None else (result[0], len(graph) - before))


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    repeats: int
    patients: int
    limit_s: float
    query_limit_s: float
    owlrl_limit_s: float
    seed: int


def _loads(name: str, task: Callable[[bool], Callable[[Send], None]], plan: Plan,
           repeats: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``repeats`` loads, each in a fresh child; ``task(first)`` is what a child does.

    The first child's other results (its queries, ...) come back as the second value.
    """
    runs, first = [], {}
    for index in range(plan.repeats if repeats is None else repeats):
        results = in_child(task(index == 0), limit_s=plan.limit_s)
        if index == 0:
            first = results
        if "load" not in results:
            log(f"  {name}: {results}")
            return {"status": "error", "reason": str(results)}, first
        runs.append(results["load"])
        log(f"  {name} load #{index + 1}: {runs[-1]['s']:.2f} s, "
            f"{runs[-1]['peak_mib']:.0f} MiB")
    return {"s": statistics.median(r["s"] for r in runs),
            "peak_mib": statistics.median(r["peak_mib"] for r in runs),
            "triples": runs[0]["triples"], "runs_s": [r["s"] for r in runs]}, first


def _compare(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """rdflib's and Oxigraph's results for one query: same answers? how much faster?"""
    entry: dict[str, Any] = {"rdflib": left, "oxigraph": right}
    if "variants" in left and "variants" in right:  # a join: the median of per-variant ratios
        ratios, bounded, same = [], False, True
        for mine, theirs in zip(left["variants"], right["variants"], strict=True):
            if "s" not in theirs:
                continue
            if "s" in mine:
                ratios.append(mine["s"] / theirs["s"])
                same = same and mine["rows"] == theirs["rows"]
            else:
                ratios.append(mine["limit_s"] / theirs["s"])
                bounded = True
        if ratios:
            entry["speedup_at_least" if bounded else "speedup"] = statistics.median(ratios)
        entry["same_answers"] = same
    else:
        for side in (left, right):  # the per-patient counts are long: keep their median
            if "triples" in side:
                side["answers"] = side.pop("triples")
        if "answers" in left and "answers" in right:
            entry["same_answers"] = left["answers"] == right["answers"]
        for side in (left, right):
            if "answers" in side:
                side["triples_median"] = statistics.median(side.pop("answers"))
        if "median_s" in left and "median_s" in right:
            entry["speedup"] = left["median_s"] / right["median_s"]
    return entry


def _clean(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results.items() if k != "load" and not k.startswith("_")} | (
        {"error": results["_error"]} if "_error" in results else {})


def bench_size(data: Generated, plan: Plan) -> dict[str, Any]:
    """Every measurement at one size."""
    rng = random.Random(plan.seed + data.size)
    count = min(plan.patients, max(1, data.patients - 1))
    patients = [f"{EX}p{i}" for i in rng.sample(range(max(1, data.patients - 1)), count)]
    queries = {"patients": patients, "repeats": plan.repeats,
               "query_limit_s": plan.query_limit_s}
    log(f"[{data.size} triples, {data.patients} patients]")
    rdflib_load, rdflib_rest = _loads(
        "rdflib", lambda first: partial(load_rdflib, data=data,
                                        queries=queries if first else None), plan)
    ox_load, ox_rest = _loads(
        "oxigraph", lambda first: partial(load_knowledge, data=data, store="oxigraph",
                                          queries=queries if first else None), plan)
    memory_load, _ = _loads(
        "memory", lambda first: partial(load_knowledge, data=data, store="memory",
                                        queries=None), plan, repeats=1)  # for information
    bare_load, _ = _loads("pyoxigraph Store.load",
                          lambda first: partial(load_pyoxigraph, data=data), plan)
    rdflib_rest, ox_rest = _clean(rdflib_rest), _clean(ox_rest)
    queries_out = {name: _compare(rdflib_rest.get(name, {}), ox_rest.get(name, {}))
                   for name in ("neighbourhood_sparql", "neighbourhood_loops", "join_bgp",
                                "join_path", "join_loops")}
    for name, entry in queries_out.items():
        log(f"  {name}: rdflib {_cell(entry['rdflib'], 'median_s')}, oxigraph "
            f"{_cell(entry['oxigraph'], 'median_s')}, same answers: {entry.get('same_answers')}")
    for name in ("closure", "closure_mapped", "len", "grounding"):
        log(f"  {name}: {ox_rest.get(name)}")
    return {
        "triples": data.size, "patients": data.patients,
        "annotated_triples": data.annotated, "turtle12_triples": data.turtle_triples,
        "load": {"rdflib": rdflib_load, "oxigraph": ox_load, "memory": memory_load,
                 "pyoxigraph_store_load": bare_load,
                 "oxigraph_turtle12": ox_rest.get("load_turtle12")},
        "load_speedup": (rdflib_load["s"] / ox_load["s"]
                         if "s" in rdflib_load and "s" in ox_load else None),
        "queries": queries_out,
        "closure": ox_rest.get("closure"),
        "closure_mapped": ox_rest.get("closure_mapped"),
        "len": ox_rest.get("len"),
        "grounding": ox_rest.get("grounding"),
        **({"error": ox_rest["error"]} if "error" in ox_rest else {}),
    }


def bench_reasoners(data: Generated, plan: Plan) -> dict[str, Any]:
    log(f"[reasoners at {data.size} triples]")
    results = in_child(reasoners, data, plan.owlrl_limit_s, limit_s=plan.limit_s)
    out = _clean(results)
    for name in ("owlrl", "rdfs_closure_oxigraph", "rdfs_closure_memory"):
        entry = out.get(name)
        if entry is None:
            out[name] = {"status": "not run (an earlier step stopped the child)"}
        elif "s" in entry:
            log(f"  {name}: {entry['s']:.2f} s, +{entry['added']} triples")
    return out


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpu_count": os.cpu_count(),
                            "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
    for package in ("rdflib", "pyoxigraph", "owlrl", "oxrdflib"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[package] = None
    return info


def goals(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals, judged at 1M triples (not measured when 1M was not run)."""
    results = document["results"]
    big = results.get("1000000")
    out: list[dict[str, Any]] = []

    def goal(text: str, value: float | None, met: bool | None, measured: str) -> None:
        out.append({"goal": text, "met": met, "measured": measured, "value": value})

    if big is None:
        for text in ("1M triples load < 3 s in the fast store", "fast store load ~10x rdflib's",
                     "RDFS closure of 1M triples < 5 s", "grounding a case from 1M < 20 ms"):
            goal(text, None, None, "not measured (run with --sizes ... 1000000)")
    else:
        load = big["load"]["oxigraph"].get("s")
        bare = big["load"]["pyoxigraph_store_load"].get("s")
        goal("1M triples load < 3 s in the fast store", load,
             None if load is None else load < 3.0,
             f"KnowledgeGraph('oxigraph').load: {_fmt_s(load)} "
             f"(pyoxigraph Store.load alone: {_fmt_s(bare)})")
        speedup = big["load_speedup"]
        goal("fast store load ~10x rdflib's", speedup,
             None if speedup is None else speedup >= 10.0,
             f"rdflib {_fmt_s(big['load']['rdflib'].get('s'))} / oxigraph "
             f"{_fmt_s(load)} = {_fmt_x(speedup)}")
        closure = (big.get("closure") or {}).get("s")
        mapped = (big.get("closure_mapped") or {}).get("s")
        goal("RDFS closure of 1M triples < 5 s", closure,
             None if closure is None else closure < 5.0,
             f"rdfs_closure: {_fmt_s(closure)} ({(big.get('closure') or {}).get('added')} "
             f"triples inferred); restricted to the mapping (as bundles run it): "
             f"{_fmt_s(mapped)}")
        grounding = big.get("grounding") or {}
        median = grounding.get("median_s")
        goal("grounding a case from 1M < 20 ms (median)", median,
             None if median is None else median < 0.020,
             f"median {_fmt_s(median)}, p90 {_fmt_s(grounding.get('p90_s'))}, "
             f"len(kg) alone {_fmt_s((big.get('len') or {}).get('s'))}")
    speedups = []
    for size, entry in results.items():
        for name in ("join_bgp", "join_path"):
            query = entry["queries"][name]
            value = query.get("speedup", query.get("speedup_at_least"))
            if value is not None:
                speedups.append((value, f"{name} at {size}"))
    if speedups:
        low = min(speedups)
        goal("SPARQL joins 10-100x faster than rdflib", low[0], low[0] >= 10.0,
             f"{_fmt_x(low[0])} ({low[1]}) to {_fmt_x(max(speedups)[0])} "
             f"({max(speedups)[1]})")
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan(args.repeats, args.patients, args.timeout, args.query_timeout,
                args.owlrl_timeout, args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nesy-kg-") as folder:
        data: dict[int, Generated] = {}
        for size in sorted(set(args.sizes) | set(args.owlrl_sizes)):
            seconds, data[size] = _timed(generate, size, Path(folder), args.seed)
            log(f"generated {size} triples ({data[size].patients} patients, "
                f"{data[size].annotated} annotated) in {seconds:.1f} s")
        results = {str(size): bench_size(data[size], plan) for size in args.sizes}
        reasoning = {str(size): bench_reasoners(data[size], plan) for size in args.owlrl_sizes}
    document = {
        "benchmark": "kg", "machine": machine_info(), "repeats": args.repeats,
        "patients": args.patients, "seed": args.seed, "sizes": args.sizes,
        "owlrl_sizes": args.owlrl_sizes,
        "limits_s": {"step": args.timeout, "rdflib_query": args.query_timeout,
                     "reasoner": args.owlrl_timeout},
        "data": {"generator": "benchmarks/kg_data.py",
                 "rdflib_input": "N-Triples without annotations",
                 "closure_and_grounding_input": "Turtle 1.2, the same triples, ~1% annotated "
                                                "with ex:confidence"},
        "results": results, "reasoners": reasoning,
        "wall_s": time.perf_counter() - started,
    }
    document["goals"] = goals(document)
    return document


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _fmt_s(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1.0:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def _fmt_x(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def _fmt_size(size: int | str) -> str:
    size = int(size)
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _cell(entry: dict[str, Any] | None, key: str = "s") -> str:
    if not entry:
        return "-"
    if entry.get("status") == "timeout":
        return f"> {entry['limit_s']:g} s"
    return _fmt_s(entry.get(key)) if key in entry else entry.get("status", "-")


def markdown(document: dict[str, Any]) -> str:
    """The README tables: loads, queries, reasoning and grounding, goals."""
    machine = document["machine"]
    results = document["results"]
    sizes = list(results)
    lines = [f"Python {machine['python']}, {machine['cpu_count']} CPUs, rdflib "
             f"{machine['rdflib']}, pyoxigraph {machine['pyoxigraph']}, owlrl "
             f"{machine['owlrl']}; loads: median of {document['repeats']} (the memory store: "
             "1), each in a fresh process; queries: medians over "
             f"{document['patients']} patients or 3 join variants.", ""]
    header = "| load (N-Triples) | " + " | ".join(
        f"{_fmt_size(s)} time | {_fmt_size(s)} peak memory" for s in sizes) + " |"
    lines += [header, "|---|" + "---:|---:|" * len(sizes)]
    rows = (("rdflib `Graph().parse`", "rdflib"),
            ("`KnowledgeGraph(\"oxigraph\").load`", "oxigraph"),
            ("`KnowledgeGraph(\"memory\").load`", "memory"),
            ("pyoxigraph `Store.load` alone", "pyoxigraph_store_load"))
    for label, key in rows:
        cells = []
        for size in sizes:
            entry = results[size]["load"][key]
            time_cell = _cell(entry)
            if key == "oxigraph" and results[size]["load_speedup"]:
                time_cell += f" ({_fmt_x(results[size]['load_speedup'])})"
            peak = entry.get("peak_mib")
            cells += [time_cell, "-" if peak is None else f"{peak:.0f} MiB"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    header = "| query | " + " | ".join(
        f"{_fmt_size(s)} rdflib | {_fmt_size(s)} oxigraph | speed-up" for s in sizes) + " |"
    lines += [header, "|---|" + "---:|---:|---:|" * len(sizes)]
    labels = (("neighbourhood, 2 hops (SPARQL)", "neighbourhood_sparql"),
              ("neighbourhood, 2 hops (`triples`/`quads` loops)", "neighbourhood_loops"),
              ("join, SPARQL BGP", "join_bgp"),
              ("join, SPARQL with `rdfs:subClassOf*`", "join_path"),
              ("join, Python loops", "join_loops"))
    for label, key in labels:
        cells = []
        for size in sizes:
            entry = results[size]["queries"][key]
            speed = entry.get("speedup")
            speed_cell = _fmt_x(speed) if speed is not None else (
                "> " + _fmt_x(entry["speedup_at_least"]) if "speedup_at_least" in entry
                else "-")
            if entry.get("same_answers") is False:
                speed_cell += " (answers differ!)"
            cells += [_cell(entry["rdflib"], "median_s"), _cell(entry["oxigraph"], "median_s"),
                      speed_cell]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    reasoning = document["reasoners"]
    columns = sorted({int(s) for s in sizes} | {int(s) for s in reasoning})
    lines += ["| reasoning and grounding | " + " | ".join(_fmt_size(c) for c in columns) + " |",
              "|---|" + "---:|" * len(columns)]

    def row(label: str, cell: Callable[[str], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(str(c)) for c in columns) + " |")

    def reasoner_cell(name: str) -> Callable[[str], str]:
        def cell(size: str) -> str:
            entry = reasoning.get(size, {}).get(name)
            if not entry:
                return "-"
            text = _cell(entry)
            return text + (f" (+{entry['added']:,})" if "added" in entry else "")
        return cell

    def closure_cell(size: str) -> str:
        entry = (results.get(size) or {}).get("closure")
        if entry is None:
            return reasoner_cell("rdfs_closure_oxigraph")(size)
        return f"{_fmt_s(entry['s'])} (+{entry['added']:,})"

    def mapped_cell(size: str) -> str:
        entry = (results.get(size) or {}).get("closure_mapped")
        return "-" if not entry else f"{_fmt_s(entry['s'])} (+{entry['added']:,})"

    def grounding_cell(size: str) -> str:
        entry = (results.get(size) or {}).get("grounding")
        if not entry:
            return "-"
        return f"{_fmt_s(entry['median_s'])} / {_fmt_s(entry['p90_s'])}"

    def facts_cell(size: str) -> str:
        entry = (results.get(size) or {}).get("grounding")
        return "-" if not entry else f"{entry['facts_median']:g} (max {entry['facts_max']})"

    def len_cell(size: str) -> str:
        entry = (results.get(size) or {}).get("len")
        return "-" if not entry else _fmt_s(entry["s"])

    row("owlrl `RDFS_Semantics` on an rdflib `Graph` (triples added)", reasoner_cell("owlrl"))
    row("`rdfs_closure`, memory store", reasoner_cell("rdfs_closure_memory"))
    row("`rdfs_closure`, oxigraph store", closure_cell)
    row("`rdfs_closure` restricted to the mapping's classes and properties, oxigraph",
        mapped_cell)
    row("`facts(kg, [patient], hops=2)` after closure: median / p90", grounding_cell)
    row("facts per case: median (max)", facts_cell)
    row("of which `len(kg)` (a full count in pyoxigraph)", len_cell)
    lines.append("")
    lines.append("| goal | measured | met |")
    lines.append("|---|---|---|")
    for goal in document["goals"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[goal["met"]]
        lines.append(f"| {goal['goal']} | {goal['measured']} | {met} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="graph sizes in triples (default: 100000 1000000)")
    parser.add_argument("--owlrl-sizes", type=int, nargs="*", default=None,
                        help="sizes for owlrl and the memory store's closure "
                             "(default: 10000 100000)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="loads per store and runs per join (default 3; --quick: 1)")
    parser.add_argument("--patients", type=int, default=None,
                        help="random patients for neighbourhoods and grounding (default 200)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="limit on any step of a child, seconds (default %(default)s)")
    parser.add_argument("--query-timeout", type=float, default=30.0,
                        help="limit on each run of a join query, seconds (default %(default)s)")
    parser.add_argument("--owlrl-timeout", type=float, default=120.0,
                        help="limit on each reasoner run (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, 1 repeat, 30 patients: a smoke run")
    parser.add_argument("--markdown", action="store_true",
                        help="print the README tables after the JSON")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.owlrl_sizes is None:
        args.owlrl_sizes = list(QUICK_OWLRL_SIZES if args.quick else DEFAULT_OWLRL_SIZES)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.patients is None:
        args.patients = 30 if args.quick else 200
    if args.repeats < 1 or args.patients < 1 or min(args.sizes) < 1000:
        parser.error("--repeats and --patients must be positive, sizes at least 1000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    document = run(args)
    print(json.dumps(document, indent=2, default=str))
    if args.markdown:
        print()
        print(markdown(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
