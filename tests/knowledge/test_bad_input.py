"""Bad input: malformed RDF in every format, unknown extensions, missing files, bad queries —
a KnowledgeError naming file and line, and the graph exactly as it was, still working."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import KnowledgeError, KnowledgeGraph

EX = "http://example.org/clinic#"
GOOD = f"@prefix ex: <{EX}> .\nex:ann a ex:Patient .\n"
RDF_XML = ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
           f' xmlns:ex="{EX}">\n')
MALFORMED = {
    # name: (text, line of the error)
    "missing-object.ttl": (f"@prefix ex: <{EX}> .\nex:a ex:p ex:b .\nex:a ex:p .\n", 3),
    "undeclared-prefix.ttl": (f"@prefix ex: <{EX}> .\n\nex:a foo:p ex:b .\n", 3),
    "bad-iri.ttl": ("<http://example.org/a> <http://example.org/p>\n  <not an iri> .\n", 2),
    "short.nt": (f"<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}p> .\n", 2),
    "five-terms.nq": (f"<{EX}a> <{EX}p> <{EX}b> <{EX}g> .\n"
                      f'<{EX}a> <{EX}p> "x" <{EX}g> <{EX}h> .\n', 2),
    "unclosed.trig": (f"@prefix ex: <{EX}> .\nex:g {{\n  ex:a ex:p ex:b .\n  ex:a ex:p }}\n", 4),
    "bad-json.jsonld": (f'{{\n  "@id": "{EX}a",\n  "{EX}p": {{"@id": "{EX}b"}},\n  oops\n}}\n',
                        4),
    "unclosed.rdf": (RDF_XML + f'  <rdf:Description rdf:about="{EX}a">\n'
                     f'    <ex:p rdf:resource="{EX}b">\n  </rdf:Description>\n</rdf:RDF>\n', 5),
    "bad-entity.owl": (RDF_XML + f'  <rdf:Description rdf:about="{EX}a">\n'
                       "    <ex:p>&nothing;</ex:p>\n  </rdf:Description>\n</rdf:RDF>\n", 4),
}


def state(kg: KnowledgeGraph) -> tuple[int, dict[str, int], str]:
    return len(kg), kg.sources(), kg.content_hash


def assert_still_works(kg: KnowledgeGraph, tmp_path: Path) -> None:
    before = len(kg)
    (tmp_path / "later.ttl").write_text(f"@prefix ex: <{EX}> .\nex:later a ex:Patient .\n")
    assert kg.load(tmp_path / "later.ttl").total == 1
    assert len(kg) == before + 1
    assert [r["s"].value for r in kg.select(f"SELECT ?s WHERE {{ ?s a <{EX}Patient> }}")
            if r["s"].value.endswith("later")] == [EX + "later"]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_rdf_names_file_and_line_and_changes_nothing(
        kg: KnowledgeGraph, tmp_path: Path, name: str) -> None:
    kg.load_string(GOOD, source="before")
    before = state(kg)
    text, line = MALFORMED[name]
    file = tmp_path / name
    file.write_text(text)
    with pytest.raises(KnowledgeError, match=rf"^{re.escape(str(file))}:{line}(:\d+)?: ") as caught:
        kg.load(file)
    assert (caught.value.file, caught.value.line) == (str(file), line)
    assert state(kg) == before
    assert_still_works(kg, tmp_path)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_text_names_its_source_and_line(name: str) -> None:
    text, line = MALFORMED[name]
    format = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig",
              "jsonld": "json-ld", "rdf": "xml", "owl": "xml"}[name.rsplit(".", 1)[1]]
    kg = KnowledgeGraph()
    with pytest.raises(KnowledgeError) as caught:
        kg.load_string(text, format=format, source="case-17")
    assert (caught.value.file, caught.value.line) == ("case-17", line)
    assert len(kg) == 0


def test_a_folder_with_one_bad_file_loads_nothing(kg: KnowledgeGraph, tmp_path: Path) -> None:
    kg.load_string(GOOD, source="before")
    before = state(kg)
    folder = tmp_path / "kg"
    (folder / "sub").mkdir(parents=True)
    (folder / "a-good.ttl").write_text(f"@prefix ex: <{EX}> .\nex:bob a ex:Patient .\n")
    (folder / "sub" / "z-bad.nt").write_text(f"<{EX}a> <{EX}p> .\n")
    with pytest.raises(KnowledgeError, match=r"z-bad\.nt:1") as caught:
        kg.load(folder)
    assert caught.value.file == str(folder / "sub" / "z-bad.nt")
    assert state(kg) == before
    assert_still_works(kg, tmp_path)


def test_a_file_of_unknown_extension_is_a_knowledge_error(kg: KnowledgeGraph,
                                                          tmp_path: Path) -> None:
    file = tmp_path / "notes.docx"
    file.write_text(GOOD)
    with pytest.raises(KnowledgeError, match=r"cannot tell the RDF format of notes.docx .*\.ttl"):
        kg.load(file)
    assert len(kg) == 0


def test_a_folder_skips_files_that_are_not_rdf(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# not RDF")
    (tmp_path / "graph.ttl").write_text(GOOD)
    kg = KnowledgeGraph()
    assert kg.load(tmp_path).files == (str(tmp_path / "graph.ttl"),)


@pytest.mark.parametrize("name", ["missing.ttl", "missing-folder"])
def test_a_missing_file_or_folder_is_a_knowledge_error(kg: KnowledgeGraph, tmp_path: Path,
                                                       name: str) -> None:
    with pytest.raises(KnowledgeError, match=f"no such file or folder: .*{name}") as caught:
        kg.load(tmp_path / name)
    assert caught.value.file == str(tmp_path / name)
    assert_still_works(kg, tmp_path)


def test_an_unknown_format_name_is_a_knowledge_error(tmp_path: Path) -> None:
    kg = KnowledgeGraph()
    with pytest.raises(KnowledgeError, match=r"unknown RDF format 'n3' \(known: .*turtle"):
        kg.load_string(GOOD, format="n3")
    (tmp_path / "page.html").write_text("<html/>")
    with pytest.raises(KnowledgeError, match=r"page\.html: unknown RDF format 'rdfa'"):
        kg.load(tmp_path / "page.html", format="rdfa")
    assert len(kg) == 0


@pytest.mark.parametrize("query", ["SELEC ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE { ?s ?p"])
def test_a_bad_query_is_a_knowledge_error_and_the_graph_works_after(
        kg: KnowledgeGraph, tmp_path: Path, query: str) -> None:
    kg.load_string(GOOD)
    with pytest.raises(KnowledgeError):
        kg.select(query)
    with pytest.raises(KnowledgeError):
        kg.update("INSERT DATA { nonsense")
    assert len(kg) == 1
    assert_still_works(kg, tmp_path)
