"""Knowledge: the bundle's knowledge graph — its classes, an entity's neighbourhood, SPARQL.

What the page shows comes from the engine's graph (``engine.kg``, the files of
``[knowledge]`` with the ontology closure) through ``knowledge``'s views
(:func:`knowledge.class_hierarchy`, :func:`knowledge.neighbourhood`) and SPARQL
(``kg.select``); the page only lays them out, as graphviz and tables.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd
import streamlit as st

from apps.ui import _shared
from bridge import NesyError
from knowledge import INFERRED, KnowledgeError, class_hierarchy, neighbourhood

#: Prefixes every graph uses, for compact names where the bundle declares none.
STANDARD = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_TYPE = STANDARD["rdf"] + "type"
_LABEL = STANDARD["rdfs"] + "label"
_MAX_EDGES = 250
_NUMERIC = {STANDARD["xsd"] + name for name in ("integer", "int", "long", "decimal", "double",
                                                "float", "nonNegativeInteger")}
_PROJECTION = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?P<variables>.*?)\s*"
                         r"(?:\bWHERE\b|\{)", re.IGNORECASE | re.DOTALL)
_ALIAS = re.compile(r"\(.*?\bAS\s+([?$]\w+)\s*\)", re.IGNORECASE | re.DOTALL)
_VARIABLE = re.compile(r"[?$](\w+)")
_SPARQL = "knowledge-sparql"
_RESULT = "knowledge-sparql-result"


def main() -> None:
    st.title("Knowledge")
    bundle = _shared.bundle()
    if bundle.knowledge is None:
        st.info(f"The bundle **{bundle.name}** has no knowledge graph: its `bundle.toml` has "
                "no `[knowledge]` table, so its rules see the case record and the networks' "
                "outputs only.", icon=":material/info:")
        return
    try:
        engine = _shared.engine()
    except NesyError as exc:
        st.error(f"The bundle cannot be loaded: {exc}")
        return
    kg, mapping = engine.kg, engine.mapping
    _overview(kg, mapping)
    classes_tab, neighbourhood_tab, sparql_tab = st.tabs(["Classes", "Neighbourhood", "SPARQL"])
    with classes_tab:
        _classes(kg, mapping)
    with neighbourhood_tab:
        _neighbourhood(kg, mapping)
    with sparql_tab:
        _sparql(kg, mapping)


# ------------------------------------------------------------------ names


def compact(iri: str, mapping: Any) -> str:
    """An IRI as the rules name it (``p002``, ``clinic:Patient``), else with a standard
    prefix (``rdf:type``), else ``<iri>``."""
    try:
        atom = str(mapping.table.atom(mapping.table.iri(f"<{iri}>")))
    except KnowledgeError:
        atom = f"<{iri}>"
    if not atom.startswith("<"):
        return atom
    for prefix, namespace in STANDARD.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return atom


def cell(term: Any, mapping: Any) -> Any:
    """A SPARQL result term as a table cell: a compact name, a number or a text."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return compact(term.value, mapping)
    if kind == "BlankNode":
        return f"_:{term.value}"
    if kind == "Literal":
        if term.datatype.value in _NUMERIC:
            try:
                number = float(term.value)
            except ValueError:
                return term.value
            return int(number) if number.is_integer() and "." not in term.value else number
        return term.value
    return str(term)


def _graph_name(graph: str) -> str:
    if graph == INFERRED:
        return "inferred"
    return graph.rsplit("/", 1)[-1] if graph.startswith("file:") else graph


# --------------------------------------------------------------- overview


def _overview(kg: Any, mapping: Any) -> None:
    sources = kg.sources()
    files = {g: n for g, n in sources.items() if g != INFERRED}
    hierarchy = class_hierarchy(kg, mapping.table)
    total, asserted, inferred, classes = st.columns(4)
    total.metric("Triples", f"{sum(sources.values()):,}")
    asserted.metric("Files", len(files))
    inferred.metric("Inferred triples", f"{sources.get(INFERRED, 0):,}",
                    help="Added by the ontology closure ([knowledge] reasoning).")
    classes.metric("Classes", hierarchy.number_of_nodes())
    with st.expander("What the rules see of the graph", icon=":material/link:"):
        rows = [{"predicate": f"{p.predicate}/{p.arity}",
                 "kind": "property" if p.kind == "property" else "class",
                 "RDF": compact(p.iri, mapping),
                 "facts": _count_facts(kg, p.iri, p.kind)} for p in mapping.predicates]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption("Each mapped property is a predicate of two arguments, each class one of "
                   "one argument; IRIs become atoms as in the table. Files: " +
                   ", ".join(f"`{_graph_name(g)}` ({n} triples)" for g, n in files.items()))


def _count_facts(kg: Any, iri: str, kind: str) -> int:
    pattern = f"?s <{iri}> ?o" if kind == "property" else f"?s <{_TYPE}> <{iri}>"
    return _count(kg, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT * WHERE { "
                  f"{pattern} }} }}")


def _count(kg: Any, query: str) -> int:
    try:
        rows = kg.select(query)
    except KnowledgeError:
        return 0
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


# ---------------------------------------------------------------- classes


def _classes(kg: Any, mapping: Any) -> None:
    hierarchy = class_hierarchy(kg, mapping.table)
    if hierarchy.number_of_nodes() == 0:
        st.info("The graph declares no rdfs:subClassOf between classes.")
        return
    direct = _direct(hierarchy)
    st.caption("Each arrow points from a class to the class it specialises (rdfs:subClassOf, "
               "asserted or inferred; only direct links are drawn). Classes the rules see "
               "are drawn in blue, with their predicate.")
    predicates = {p.iri: f"{p.predicate}/1" for p in mapping.predicates if p.kind == "class"}
    st.graphviz_chart(_hierarchy_dot(direct, predicates), width="stretch")
    rows = []
    for node in sorted(direct.nodes, key=lambda n: str(direct.nodes[n]["label"]).lower()):
        rows.append({"class": compact(node, mapping), "label": direct.nodes[node]["label"],
                     "subclass of": ", ".join(compact(n, mapping)
                                              for n in sorted(direct.successors(node))),
                     "instances": _instances(kg, node),
                     "rules predicate": predicates.get(node, "")})
    st.dataframe(pd.DataFrame(rows), hide_index=True,
                 column_config={"instances": st.column_config.NumberColumn(
                     "instances", help="Individuals of the class, inferred ones included")})


def _direct(hierarchy: nx.DiGraph) -> nx.DiGraph:
    """The hierarchy without the links the closure infers from others (a DAG's reduction)."""
    if not nx.is_directed_acyclic_graph(hierarchy):
        return hierarchy
    reduced = nx.transitive_reduction(hierarchy)
    reduced.add_nodes_from(hierarchy.nodes(data=True))
    return reduced


def _instances(kg: Any, iri: str) -> int:
    return _count(kg, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{_TYPE}> <{iri}> }}")


def _hierarchy_dot(graph: nx.DiGraph, predicates: Mapping[str, str]) -> str:
    lines = ["digraph classes {", "  rankdir=RL; bgcolor=transparent; nodesep=0.18;",
             '  node [shape=box, style="rounded,filled", fillcolor="#f0f2f6", color="#9aa0a6",'
             ' fontname="Helvetica", fontsize=11];',
             '  edge [color="#9aa0a6", arrowhead=onormal];']
    ids = {node: f"c{i}" for i, node in enumerate(graph.nodes)}
    for node, data in graph.nodes(data=True):
        extra = ""
        if node in predicates:
            extra = (', fillcolor="#e8f0fe", color="#1a73e8", penwidth=1.5, '
                     f'xlabel="{_quote(predicates[node])}", fontcolor="#174ea6"')
        lines.append(f'  {ids[node]} [label="{_quote(str(data.get("label", node)))}", '
                     f'tooltip="{_quote(node)}"{extra}];')
    for child, parent in graph.edges:
        lines.append(f"  {ids[child]} -> {ids[parent]};")
    lines.append("}")
    return "\n".join(lines)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


# ----------------------------------------------------------- neighbourhood


def entities(kg: Any, mapping: Any) -> list[str]:
    """The graph's individuals in the bundle's default namespace, as atoms, sorted."""
    namespace = mapping.table.default
    if not namespace:
        return []
    rows = kg.select(f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "
                     f'"{_quote(namespace)}")) }}')
    found = {compact(row["s"].value, mapping) for row in rows
             if type(row["s"]).__name__ == "NamedNode"}
    return sorted(found)


def _default_entity(kg: Any, mapping: Any, choices: list[str]) -> int:
    """The first entity that the rules' first property speaks of (a patient with a risk
    factor), else the first."""
    for predicate in mapping.predicates:
        if predicate.kind != "property":
            continue
        try:
            rows = kg.select(f"SELECT DISTINCT ?s WHERE {{ ?s <{predicate.iri}> ?o }}")
        except KnowledgeError:
            continue
        subjects = {compact(row["s"].value, mapping) for row in rows}
        for i, atom in enumerate(choices):
            if atom in subjects:
                return i
    return 0


def _choices(kg: Any, mapping: Any) -> dict[str, str]:
    """The entities to choose from, with their labels: those a case's record names (the
    clinic's patients), else every individual of the default namespace."""
    bundle = _shared.bundle()
    for name, spec in bundle.record.items():
        if spec.type == "entity":
            options = dict(_shared.entity_options(name))
            if options:
                return options
    return dict.fromkeys(entities(kg, mapping), "")


def _neighbourhood(kg: Any, mapping: Any) -> None:
    labels = _choices(kg, mapping)
    choices = list(labels)
    pick, typed, hops_column = st.columns([2, 2, 1])
    chosen = pick.selectbox("Entity", choices, index=_default_entity(kg, mapping, choices)
                            if choices else None, key="knowledge-entity",
                            placeholder="Choose an entity",
                            format_func=lambda atom: f"{atom} — {labels[atom]}"
                            if labels.get(atom) else atom)
    other = typed.text_input(
        "Or any entity", key="knowledge-entity-text", placeholder="p002, clinic:Patient, <IRI>",
        help="An atom as the rules write it (p002), a prefixed name (clinic:BRCA1Mutation) or "
             "a full IRI in angle brackets.").strip()
    hops = hops_column.number_input("Hops", min_value=1, max_value=3, value=2,
                                    key="knowledge-hops",
                                    help="How many links away from the entity; classes are "
                                         "shown but not walked through (every patient is a "
                                         "Patient).")
    atom = other or chosen
    if not atom:
        st.info("The graph has no entity in the bundle's default namespace: type one above.")
        return
    try:
        iri = mapping.table.iri(atom).value
        graph = around(kg, iri, int(hops), mapping.table)
    except KnowledgeError as exc:
        st.error(f"Not an entity of the graph: {exc}")
        return
    if graph.number_of_edges() == 0:
        st.warning(f"The graph says nothing about {atom} ({iri}).")
        return
    if graph.number_of_edges() > _MAX_EDGES:
        st.warning(f"More than {_MAX_EDGES} links within {hops} hops: the first {_MAX_EDGES} "
                   "are drawn. Fewer hops give the whole picture.")
    edges = list(graph.edges(keys=True, data=True))[:_MAX_EDGES]
    st.caption(f"{atom} — {graph.nodes[iri].get('label', atom)}: every triple within "
               f"{hops} hop{'s' if hops > 1 else ''}, in both directions. Dashed links are "
               "inferred by the ontology closure; labels are the entities' rdfs:label.")
    st.graphviz_chart(_neighbourhood_dot(graph, edges, iri, mapping))
    rows = [{"subject": compact(s, mapping) if graph.nodes[s]["kind"] == "entity" else s,
             "property": compact(key, mapping),
             "object": compact(o, mapping) if graph.nodes[o]["kind"] == "entity"
             else graph.nodes[o]["label"],
             "graph": _graph_name(data.get("graph", ""))} for s, o, key, data in edges]
    with st.expander(f"The {len(rows)} triples", icon=":material/table_rows:"):
        st.dataframe(pd.DataFrame(rows), hide_index=True)


def around(kg: Any, iri: str, hops: int, table: Any) -> nx.MultiDiGraph:
    """The triples within ``hops`` links of an entity, not walking through classes.

    A class is a hub (every patient is a Patient): its other instances are no part of
    an entity's neighbourhood, so the walk goes on from entities only.
    """
    graph = neighbourhood(kg, iri, hops=1, table=table, limit=_MAX_EDGES + 1)
    seen, frontier = {iri}, [iri]
    for _ in range(hops - 1):
        classes = {o for _, o, key in graph.edges(keys=True) if key == _TYPE}
        reached = [n for node in frontier for n in (*graph.successors(node),
                                                    *graph.predecessors(node))]
        frontier = [n for n in dict.fromkeys(reached) if n not in seen and n not in classes
                    and graph.nodes[n].get("kind") == "entity"]
        for node in frontier:
            seen.add(node)
            if graph.number_of_edges() > _MAX_EDGES:
                return graph
            graph = nx.compose(graph, neighbourhood(kg, node, hops=1, table=table,
                                                    limit=_MAX_EDGES + 1))
    return graph


def _neighbourhood_dot(graph: nx.MultiDiGraph, edges: Iterable[tuple[str, str, str, Any]],
                       centre: str, mapping: Any) -> str:
    lines = ["digraph neighbourhood {", "  rankdir=LR; bgcolor=transparent; nodesep=0.25;",
             '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="#5f6368", fontcolor="#5f6368"];']
    ids: dict[str, str] = {}
    classes = {o for _, o, key, _ in edges if key == _TYPE}
    shown = [(s, o, key, data) for s, o, key, data in edges
             if not (key == _LABEL and graph.nodes[o]["kind"] == "literal")]
    for node in dict.fromkeys([n for s, o, _, _ in shown for n in (s, o)] + [centre]):
        ids[node] = f"n{len(ids)}"
        data = graph.nodes[node]
        label = str(data.get("label", node))
        if len(label) > 48:
            label = label[:46] + "…"
        if node == centre:
            style = 'shape=box, style="rounded,filled", fillcolor="#1a73e8", fontcolor=white, ' \
                    'color="#1a73e8"'
        elif data.get("kind") == "literal":
            style = 'shape=plaintext, fontcolor="#3c4043"'
            label = f'"{label}"' if not data.get("datatype", "").endswith(
                tuple(_NUMERIC)) else label
        elif node in classes:
            style = 'shape=ellipse, style=filled, fillcolor="#fef7e0", color="#f9ab00"'
        else:
            style = 'shape=box, style="rounded,filled", fillcolor="#e8f0fe", color="#1a73e8"'
        lines.append(f'  {ids[node]} [label="{_quote(label)}", tooltip="{_quote(node)}", '
                     f"{style}];")
    for s, o, key, data in shown:
        dashed = ", style=dashed" if data.get("graph") == INFERRED else ""
        label = "a" if key == _TYPE else compact(key, mapping)
        lines.append(f'  {ids[s]} -> {ids[o]} [label="{_quote(label)}"{dashed}];')
    lines.append("}")
    return "\n".join(lines)


# ----------------------------------------------------------------- SPARQL


def default_query(mapping: Any, store: str) -> str:
    """A first query for the bundle: the links of its first mapped property, with labels
    (and their confidence, where the store reads RDF 1.2 annotations)."""
    prefixes = {**mapping.table.prefixes, "rdfs": STANDARD["rdfs"]}
    lines = [f"PREFIX {name}: <{iri}>" for name, iri in prefixes.items()]
    prop = next((p for p in mapping.predicates if p.kind == "property"), None)
    if prop is None:
        return "\n".join([*lines, "", "# Every class and its label",
                          "SELECT ?class ?label WHERE {", "  ?class a rdfs:Class .",
                          "  OPTIONAL { ?class rdfs:label ?label }", "}",
                          "ORDER BY ?class", "LIMIT 200"])
    name = compact(prop.iri, mapping)
    body = [f"  ?subject {name} ?object .",
            "  OPTIONAL { ?subject rdfs:label ?subject_label }",
            "  OPTIONAL { ?object rdfs:label ?object_label }"]
    variables = "?subject ?subject_label ?object ?object_label"
    if mapping.confidence and store == "oxigraph":
        body.append(f"  OPTIONAL {{ ?subject {name} ?object "
                    f"{{| {compact(mapping.confidence, mapping)} ?confidence |}} }}")
        variables += " ?confidence"
    return "\n".join([*lines, "", f"# {prop.predicate}(Subject, Object) in the rules: "
                      f"every {name} link, with labels",
                      f"SELECT {variables} WHERE {{", *body, "}",
                      "ORDER BY ?subject ?object", "LIMIT 500"])


def run_query(kg: Any, mapping: Any, query: str) -> pd.DataFrame:
    """A SELECT query's rows as a table of compact names, numbers and texts."""
    rows = kg.select(query)
    columns = dict.fromkeys(_projected(query))
    for row in rows:
        columns.update(dict.fromkeys(row))
    return pd.DataFrame([{name: cell(row[name], mapping) if name in row else None
                          for name in columns} for row in rows], columns=list(columns))


def _projected(query: str) -> list[str]:
    """The variables a SELECT query names, in its order (none for ``SELECT *``)."""
    head = _PROJECTION.search(query)
    if head is None:
        return []
    return _VARIABLE.findall(_ALIAS.sub(r"\1", head["variables"]))


def _sparql(kg: Any, mapping: Any) -> None:
    default = default_query(mapping, kg.store_name)
    st.caption("A SPARQL SELECT query over every graph: the files and the inferred triples. "
               "Read-only; IRIs are shown as the rules name them.")
    height = 26 + 21 * max(8, min(24, default.count("\n") + 2))
    query = st.text_area("SPARQL query", value=default, height=height, key=_SPARQL)
    run = st.button("Run query", key="knowledge-run", icon=":material/play_arrow:",
                    type="primary")
    if run or _RESULT not in st.session_state:
        start = time.perf_counter()
        try:
            table = run_query(kg, mapping, query)
        except NesyError as exc:
            st.session_state[_RESULT] = (query, None, str(exc), 0.0)
        else:
            st.session_state[_RESULT] = (query, table, None, time.perf_counter() - start)
    ran, table, error, seconds = st.session_state[_RESULT]
    if error is not None:
        head, found, rest = error.partition(": expected one of")
        st.error(f"The query failed: {head}" + (": the query stops there" if found else ""),
                 icon=":material/error:")
        if found:
            with st.expander("What the parser expected there"):
                st.code("expected one of" + rest, language=None, wrap_lines=True)
        return
    st.caption(f"{len(table)} row{'' if len(table) == 1 else 's'} in {seconds * 1000:.0f} ms"
               + (" (for the query as it was when run)" if ran != query else ""))
    st.dataframe(table, hide_index=True)


if __name__ == "__main__":
    main()
