"""The Knowledge page, headless (AppTest): classes, a patient's neighbourhood, SPARQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps.ui import _shared
from apps.ui.knowledge_graph import compact, default_query, run_query

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "examples" / "clinic"
CLINIC_NS = "http://example.org/nesy/clinic/ontology#"


@pytest.fixture
def page(open_page: Callable[..., AppTest]) -> AppTest:
    return open_page("knowledge_graph.py")


def dot(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("graphviz_chart")]


def frame(at: AppTest, column: str) -> list[dict[str, object]]:
    for found in at.dataframe:
        if column in found.value.columns:
            return found.value.to_dict("records")
    raise AssertionError(f"no table with a column {column!r}")


def test_overview_and_tabs(page: AppTest) -> None:
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Files"] == "3" and metrics["Classes"] == "22"
    assert int(metrics["Triples"].replace(",", "")) == len(_shared.engine().kg)
    assert [t.label for t in page.tabs] == ["Classes", "Neighbourhood", "SPARQL"]
    rules = frame(page, "predicate")
    assert {row["predicate"] for row in rules} == {
        "has_risk_factor/2", "high_risk_factor/1", "moderate_risk_factor/1"}


def test_classes_are_listed_with_labels_and_the_tree(page: AppTest) -> None:
    rows = {row["class"]: row for row in frame(page, "subclass of")}
    assert rows["clinic:BRCA1Mutation"]["subclass of"] == "clinic:GeneticRiskFactor"
    assert rows["clinic:BRCA1Mutation"]["label"] == "BRCA1 pathogenic variant"
    assert rows["clinic:HighRiskFactor"]["rules predicate"] == "high_risk_factor/1"
    assert rows["clinic:GeneticRiskFactor"]["subclass of"] == "clinic:HighRiskFactor"
    tree = dot(page)[0]
    assert tree.startswith("digraph classes") and '"BRCA1 pathogenic variant"' in tree
    # direct links only (22 classes, 3 roots, malignant cytology under two): none inferred
    assert tree.count("->") == 20


def test_the_neighbourhood_of_a_patient_shows_its_risk_factor(page: AppTest) -> None:
    at = page.selectbox(key="knowledge-entity").select("p002").run()
    assert not at.exception
    graph = dot(at)[1]
    assert '"Patient 002 (synthetic)"' in graph
    assert '"BRCA1 pathogenic variant (p002)"' in graph
    assert '"clinic:hasRiskFactor"' in graph and "style=dashed" in graph  # inferred class
    triples = frame(at, "property")
    assert {"subject": "p002", "property": "clinic:hasRiskFactor", "object": "p002_brca1",
            "graph": "patients.ttl"} in triples
    assert {"subject": "p002_brca1", "property": "rdf:type",
            "object": "clinic:HighRiskFactor", "graph": "inferred"} in triples


def test_any_entity_can_be_typed(page: AppTest) -> None:
    at = page.text_input(key="knowledge-entity-text").input("clinic:BRCA1Mutation").run()
    assert '"BRCA1 pathogenic variant"' in dot(at)[1]
    at = at.text_input(key="knowledge-entity-text").input("nope:x").run()
    assert not at.exception
    assert "unknown prefix 'nope'" in at.error[0].value
    at = at.text_input(key="knowledge-entity-text").input("p999").run()
    assert "says nothing about p999" in at.warning[0].value


def test_the_default_sparql_query_lists_the_patients_risk_factors(page: AppTest) -> None:
    kg = _shared.engine().kg
    expected = kg.select(f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{CLINIC_NS}hasRiskFactor> ?o }}")
    rows = frame(page, "subject_label")
    assert len(rows) == len(expected) > 10
    assert list(rows[0]) == ["subject", "subject_label", "object", "object_label",
                             "confidence"]
    p004 = [row for row in rows if row["subject"] == "p004"]
    assert p004 == [{"subject": "p004", "subject_label": "Patient 004 (synthetic)",
                     "object": "p004_family_history",
                     "object_label": "mother with breast cancer, self-reported (p004)",
                     "confidence": 0.7}]


def test_a_sparql_query_gives_a_table(page: AppTest) -> None:
    query = (f"PREFIX clinic: <{CLINIC_NS}>\n"
             "SELECT ?factor (COUNT(?p) AS ?patients) WHERE { ?p clinic:hasRiskFactor ?f . "
             "?f a ?factor . FILTER(?factor IN (clinic:HighRiskFactor, "
             "clinic:ModerateRiskFactor)) } GROUP BY ?factor ORDER BY ?factor")
    at = page.text_area(key="knowledge-sparql").input(query).run()
    at = at.button(key="knowledge-run").click().run()
    rows = frame(at, "patients")
    assert [row["factor"] for row in rows] == ["clinic:HighRiskFactor",
                                               "clinic:ModerateRiskFactor"]
    assert all(isinstance(row["patients"], int) and row["patients"] > 0 for row in rows)
    assert "2 rows in" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("query, message", [
    ("SELECT ?x WHERE { ?x", "The query failed: SPARQL syntax error"),
    ("ASK { ?s ?p ?o }", "The query failed: expected a SPARQL SELECT query"),
])
def test_a_bad_query_is_an_error_on_the_page(page: AppTest, query: str, message: str) -> None:
    at = page.text_area(key="knowledge-sparql").input(query).run()
    at = at.button(key="knowledge-run").click().run()
    assert not at.exception
    assert at.error[0].value.startswith(message)


def test_a_bundle_without_knowledge_says_so(tmp_path: Path,
                                            open_page: Callable[..., AppTest]) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.pl").write_text("act(yes).\n")
    (tmp_path / "bundle.toml").write_text(
        '[bundle]\nname = "plain"\n\n[decision]\nquery = "act"\nlabels = ["yes"]\n')
    at = open_page("knowledge_graph.py", tmp_path, timeout=60)  # asserts no exception
    assert "has no knowledge graph" in at.info[0].value and "plain" in at.info[0].value
    assert not at.tabs


def test_names_and_queries_outside_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESY_BUNDLE", str(CLINIC))
    engine = _shared.engine()
    mapping = engine.mapping
    assert compact(f"{CLINIC_NS}Patient", mapping) == "clinic:Patient"
    assert compact("http://www.w3.org/2000/01/rdf-schema#label", mapping) == "rdfs:label"
    assert compact("http://example.org/nesy/clinic/data/p002", mapping) == "p002"
    assert compact("http://elsewhere.org/x", mapping) == "<http://elsewhere.org/x>"
    query = default_query(mapping, "memory")
    assert "{|" not in query and "clinic:hasRiskFactor" in query
    assert len(run_query(engine.kg, mapping, query)) > 10
