"""A bundle's knowledge graph from the ``[knowledge]`` table of its ``bundle.toml``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nesy.errors import KnowledgeError

from ._graph import FORMATS, KnowledgeGraph
from ._mapping import AtomTable, KnowledgeMapping, _entities
from ._reasoning import owl_rl_closure, rdfs_closure

__all__ = ["REASONING", "check_knowledge_config", "knowledge_predicates", "load_knowledge"]

_KEYS = {"store", "location", "files", "reasoning", "prefixes", "default_prefix", "predicates",
         "hops", "confidence", "construct", "entities"}
#: Ontology reasoning, by name.
REASONING = ("rdfs", "rdfs+sameas", "owl-rl", "none")


def load_knowledge(config: Mapping[str, Any], root: str | Path,
                   where: str = "bundle.toml") -> tuple[KnowledgeGraph, KnowledgeMapping]:
    """The graph and mapping a bundle declares.

    Keys (all optional): ``store`` ("oxigraph", the default, "memory" or a SPARQL URL),
    ``location`` (a folder for a persistent Oxigraph store, relative to the bundle),
    ``files`` (files or folders relative to the bundle; default ``["knowledge"]``),
    ``reasoning`` (one of :data:`REASONING`, default "rdfs"), and the mapping's keys
    (see :class:`KnowledgeMapping`: ``prefixes``, ``default_prefix``, ``predicates``,
    ``hops``, ``confidence``, ``construct``, and ``entities``, the facts that come with
    every case).
    """
    root = Path(root)
    check_knowledge_config(config, where)
    store = config.get("store", "oxigraph")
    location = config.get("location")
    kg = KnowledgeGraph(store, root / location if location else None)
    for name in config.get("files", ["knowledge"]):
        path = root / name
        if path.is_dir() and not any(p.suffix.lower() in FORMATS for p in path.rglob("*")):
            continue
        kg.load(path)
    reasoning = config.get("reasoning", "rdfs")
    mapping = KnowledgeMapping.from_dict(config, where)
    if reasoning in ("rdfs", "rdfs+sameas"):  # what the rules can see, no more
        rdfs_closure(kg, same_as=reasoning == "rdfs+sameas", classes=mapping.classes(),
                     properties=mapping.properties())
    elif reasoning == "owl-rl":
        owl_rl_closure(kg)
    return kg, mapping


def knowledge_predicates(config: Mapping[str, Any], where: str = "bundle.toml") -> dict[str, int]:
    """The predicates a ``[knowledge]`` table maps, with their arities; no graph is loaded.

    What a rule checker needs of a bundle's knowledge graph: the names and arities of
    the facts it will give the rules (a property: arity 2, a class: arity 1). The
    mapping is read and checked as :func:`load_knowledge` reads it, without any RDF.

    >>> knowledge_predicates({"prefixes": {"ex": "http://example.org/"},
    ...                       "predicates": {"smoker": {"class": "ex:Smoker"}, "age": "ex:age"}})
    {'smoker': 1, 'age': 2}
    """
    # the predicates do not depend on entities (check_knowledge_config checks those)
    return KnowledgeMapping.from_dict({k: v for k, v in config.items() if k != "entities"},
                                      where).arities()


def check_knowledge_config(config: Mapping[str, Any], where: str = "bundle.toml") -> None:
    """Check the keys of a ``[knowledge]`` table other than the mapping's (a KnowledgeError).

    That includes ``entities`` (``"all"`` or a list of atoms whose facts come with every
    case): their atoms must stand for IRIs, which needs no graph.

    >>> check_knowledge_config({"reasoning": "rdfs", "files": ["knowledge/graph.ttl"]})
    >>> check_knowledge_config({"reasoning": "magic"})
    Traceback (most recent call last):
    ...
    nesy.errors.KnowledgeError: bundle.toml: [knowledge] reasoning 'magic' is not one of ...
    """
    unknown = sorted(set(config) - _KEYS)
    if unknown:
        raise KnowledgeError(f"{where}: unknown key {unknown[0]!r} in [knowledge] (known: "
                             f"{', '.join(sorted(_KEYS))})")
    if not isinstance(config.get("store", "oxigraph"), str):
        raise KnowledgeError(f"{where}: [knowledge] store must be a name or a URL")
    files = config.get("files", ["knowledge"])
    if isinstance(files, str) or not isinstance(files, list) or not all(
            isinstance(f, str) for f in files):
        raise KnowledgeError(f"{where}: [knowledge] files is a list of paths")
    reasoning = config.get("reasoning", "rdfs")
    if reasoning not in REASONING:
        raise KnowledgeError(f"{where}: [knowledge] reasoning {reasoning!r} is not one of "
                             f"{', '.join(REASONING)}")
    if "entities" in config:
        prefixes = config.get("prefixes", {})
        default = config.get("default_prefix")
        readable = isinstance(prefixes, Mapping) and all(
            isinstance(v, str) for v in prefixes.values()) and default in (None, *prefixes)
        if readable:  # otherwise a mistake of the mapping, which says so
            _entities(config["entities"], AtomTable(prefixes, default),
                      config.get("construct"), where)
