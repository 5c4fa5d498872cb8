"""Loading RDF files and folders: every format, the source of each triple, the load report,
one literal convention whichever store holds the data."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from knowledge import KnowledgeGraph, KnowledgeMapping, String

EX = "http://example.org/clinic#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def ex(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def expected_graphs(folder: Path) -> dict[str, dict[str, int]]:
    """The graphs each file of data/formats fills, with their triple counts (by hand)."""
    return {
        "ontology.ttl": {uri(folder / "ontology.ttl"): 10},
        "patients.nt": {uri(folder / "patients.nt"): 5},
        "records.nq": {"http://example.org/records/2024": 2,
                       "http://example.org/records/2025": 1,
                       uri(folder / "records.nq"): 1},  # the triple that names no graph
        "guidelines.trig": {EX + "guidelineA": 2, uri(folder / "guidelines.trig"): 1},
        "drugs.jsonld": {uri(folder / "drugs.jsonld"): 3},
        "sites.rdf": {uri(folder / "sites.rdf"): 2},
    }


@pytest.mark.parametrize("name", ["ontology.ttl", "patients.nt", "records.nq", "guidelines.trig",
                                  "drugs.jsonld", "sites.rdf"])
def test_each_format_loads_into_the_graphs_of_its_source(kg: KnowledgeGraph, data: Path,
                                                         name: str) -> None:
    folder = data / "formats"
    report = kg.load(folder / name)
    graphs = expected_graphs(folder)[name]
    assert report.files == (str(folder / name),)
    assert report.triples == graphs
    assert report.total == sum(graphs.values()) == len(kg)
    assert kg.sources() == graphs


def test_a_folder_loads_every_rdf_file_under_it(kg: KnowledgeGraph, data: Path) -> None:
    folder = data / "formats"
    report = kg.load(folder)
    everything = {g: n for graphs in expected_graphs(folder).values() for g, n in graphs.items()}
    assert report.files == tuple(sorted(str(p) for p in folder.iterdir()))
    assert report.triples == everything
    assert kg.sources() == everything
    assert len(kg) == report.total == 27


def test_each_triple_keeps_the_graph_it_came_from(kg: KnowledgeGraph, data: Path) -> None:
    folder = data / "formats"
    kg.load(folder)

    def graph_of(s: ox.NamedNode, p: ox.NamedNode, o: ox.Term) -> list[str]:
        return [q.graph_name.value for q in kg.quads(s, p, o)]

    assert graph_of(ex("ann"), ex("hasBiopsyFinding"), ex("f1")) == [uri(folder / "patients.nt")]
    assert graph_of(ex("bob"), ex("hasFinding"), ex("f2")) == ["http://example.org/records/2025"]
    assert graph_of(ex("biopsy"), ex("recommendedFor"), ex("Malignancy")) == [EX + "guidelineA"]
    assert graph_of(ex("f2"), RDF_TYPE, ex("Malignancy")) == [uri(folder / "guidelines.trig")]
    assert graph_of(ex("f1"), ex("site"), ex("breast")) == [uri(folder / "sites.rdf")]
    doses = list(kg.quads(ex("tamoxifen"), ex("doseMg"), None))
    assert [(q.object, q.graph_name.value) for q in doses] == [
        (ox.Literal("20.5", datatype=ox.NamedNode(XSD + "decimal")), uri(folder / "drugs.jsonld"))]
    in_one_graph = list(kg.quads(None, None, None, ox.NamedNode("http://example.org/records/2024")))
    assert {(q.subject, q.predicate) for q in in_one_graph} == {(ex("bob"), ex("age")),
                                                                (ex("bob"), ex("smokes"))}


@pytest.mark.parametrize(("source", "graph"), [
    ("inline", "urn:nesy:source:inline"),
    ("case 17", "urn:nesy:source:case%2017"),
    ("http://example.org/cases/17", "http://example.org/cases/17"),
])
def test_text_is_loaded_into_the_graph_its_source_names(source: str, graph: str) -> None:
    kg = KnowledgeGraph()
    report = kg.load_string(f"<{EX}a> <{EX}p> <{EX}b> .", format="nt", source=source)
    assert report.files == (source,)
    assert report.triples == {graph: 1}
    assert kg.sources() == {graph: 1}


@pytest.mark.parametrize(("text", "format"), [
    (f'@prefix ex: <{EX}> . ex:a ex:p "v" .', "turtle"),
    (f'<{EX}a> <{EX}p> "v" .', "ntriples"),
    (f'<{EX}a> <{EX}p> "v" .', "n-quads"),
    (f'@prefix ex: <{EX}> . {{ ex:a ex:p "v" }}', "trig"),
    (f'{{"@id": "{EX}a", "{EX}p": "v"}}', "json-ld"),
    (f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
     f'<rdf:Description rdf:about="{EX}a"><ex:p>v</ex:p></rdf:Description></rdf:RDF>', "xml"),
])
def test_text_in_every_format_gives_the_same_triple(text: str, format: str) -> None:
    kg = KnowledgeGraph()
    kg.load_string(text, format=format, source="text")
    assert [(q.subject, q.predicate, q.object, q.graph_name) for q in kg.quads()] == [
        (ex("a"), ex("p"), ox.Literal("v"), ox.NamedNode("urn:nesy:source:text"))]


def test_a_format_named_by_the_caller_overrides_the_extension(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text(f"@prefix ex: <{EX}> . ex:a ex:p ex:b .")
    kg = KnowledgeGraph()
    assert kg.load(file, format="turtle").triples == {uri(file): 1}


def test_loading_the_same_file_again_adds_nothing(kg: KnowledgeGraph, data: Path) -> None:
    kg.load(data / "formats")
    before = (len(kg), kg.sources())
    kg.load(data / "formats" / "ontology.ttl")
    assert (len(kg), kg.sources()) == before


# --------------------------------------------------------------- one literal convention

LITERALS = f"""@prefix ex: <{EX}> .
@prefix xsd: <{XSD}> .
ex:ann ex:name "Ann" , "Ann"^^xsd:string .
ex:ann ex:name "Ann"@en .
"""
NAME_MAPPING = {"prefixes": {"ex": EX}, "default_prefix": "ex",
                "predicates": {"name": "ex:name"}}


def test_a_plain_and_an_xsd_string_literal_are_one_triple(kg: KnowledgeGraph) -> None:
    report = kg.load_string(LITERALS, source="names")
    assert report.total == len(kg) == 2  # "Ann" once, "Ann"@en apart
    objects = sorted(str(q.object) for q in kg.quads(ex("ann"), ex("name"), None))
    assert objects == ['"Ann"', '"Ann"@en']
    plain = ox.Literal("Ann", datatype=ox.NamedNode(XSD + "string"))
    assert [q.object for q in kg.quads(ex("ann"), ex("name"), plain)] == [ox.Literal("Ann")]
    rows = kg.select(f'SELECT ?o WHERE {{ <{EX}ann> <{EX}name> ?o FILTER(?o = "Ann") }}')
    assert rows == [{"o": ox.Literal("Ann")}]
    facts = KnowledgeMapping.from_dict(NAME_MAPPING).facts(kg, ["ann"], hops=0)
    values = sorted(f.args[1] for f in facts)
    assert values == ["Ann", "Ann"] and all(type(v) is String for v in values)


def test_the_same_literal_from_two_parsers_is_the_same_fact(kg: KnowledgeGraph,
                                                             tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text(f'@prefix ex: <{EX}> . ex:ann ex:name "Ann" .')
    (tmp_path / "b.nt").write_text(
        f'<{EX}ann> <{EX}name> "Ann"^^<{XSD}string> .')
    (tmp_path / "c.jsonld").write_text(f'{{"@id": "{EX}ann", "{EX}name": "Ann"}}')
    (tmp_path / "d.rdf").write_text(
        f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
        f'<rdf:Description rdf:about="{EX}ann"><ex:name>Ann</ex:name></rdf:Description>'
        f'</rdf:RDF>')
    kg.load(tmp_path)
    assert sorted(kg.sources().values()) == [1, 1, 1, 1]
    assert {q.object for q in kg.quads(ex("ann"), ex("name"), None)} == {ox.Literal("Ann")}
    facts = KnowledgeMapping.from_dict(NAME_MAPPING).facts(kg, ["ann"])
    assert [(f.predicate, f.args) for f in facts] == [("name", ("ann", String("Ann")))]
