"""What the console's pages share: which bundle, its engine, and small layout helpers.

The bundle comes from the command line (``streamlit run apps/ui/app.py -- BUNDLE``, which
``nesy app BUNDLE`` runs), else from the ``NESY_BUNDLE`` environment variable, else the clinic
bundle that ships. One :class:`~bridge.Engine` per bundle and version of its rule files is
shared by every browser session (``st.cache_resource``): the engine owns the Prolog thread,
each call brings its own case facts, and saving rules gives a new version, hence a fresh
engine, without restarting the app.

Besides: the bundle's cases (:func:`bundle_cases`, read once per change of the files), the
entities a record field can name (:func:`entity_options`), the range of an input's values
and whether its images are light on dark (:func:`input_range`, :func:`dark_ground`), and how
the pages write labels and referrals (:func:`pretty`, :data:`REFER`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

_UI = Path(__file__).resolve().parent


def _import_packages_by_their_names() -> None:
    """Import the engine's packages before a page can shadow them.

    Streamlit puts the folder of the script it runs (``apps/ui``) first on ``sys.path``,
    where a page named like a package (``knowledge.py``) would be found for ``import
    knowledge``, which the engine does when it loads a bundle's graph.
    """
    saved = list(sys.path)
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _UI]
    try:
        for name in ("nesy", "symbolic", "knowledge", "neural", "bridge"):
            __import__(name)
    finally:
        sys.path[:] = saved


_import_packages_by_their_names()

from bridge import Bundle, Engine, NesyError  # noqa: E402  (after the import above)

__all__ = [
    "DEFAULT_BUNDLE",
    "REFER",
    "ROOT",
    "bundle",
    "bundle_cases",
    "bundle_path",
    "dark_ground",
    "engine",
    "entity_options",
    "input_range",
    "pretty",
    "rules_version",
    "sidebar",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUNDLE = ROOT / "examples" / "clinic"
#: What the console says when the engine abstains: the case goes to a person.
REFER = "Refer to a person"
_ENTITY_LIMIT = 2000  # entities a record field's select box lists


def bundle_path() -> Path:
    """The bundle this app serves (command line, ``NESY_BUNDLE``, or the clinic bundle).

    The command line counts only when Streamlit runs one of the console's scripts
    (``streamlit run apps/ui/app.py -- BUNDLE`` makes ``sys.argv`` the script and its
    arguments); under a test runner ``sys.argv`` is the runner's.
    """
    arguments: list[str] = []
    if sys.argv and Path(sys.argv[0]).resolve().parent == _UI:
        arguments = [a for a in sys.argv[1:] if not a.startswith("-")]
    chosen = arguments[0] if arguments else os.environ.get("NESY_BUNDLE") or DEFAULT_BUNDLE
    return Path(chosen).resolve()


def rules_version(bundle: Path) -> str:
    """A hash of the bundle's rule files: it changes when a rule file is saved.

    The files are read and hashed on every call (a few kilobytes: microseconds); which
    files they are comes from the cached :func:`bundle`, not from parsing ``bundle.toml``
    again (a millisecond and more, on every rerun of every page).
    """
    digest = hashlib.sha256()
    for path in _bundle(str(bundle), _bundle_stamp(bundle)).rule_files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@st.cache_resource(show_spinner="Loading the bundle (models train on first use)...",
                   max_entries=4)
def _engine(bundle: str, version: str) -> Engine:
    del version  # part of the cache key only
    return Engine.from_bundle(bundle)


def engine() -> Engine:
    """The shared engine of the current bundle and rules."""
    bundle = bundle_path()
    return _engine(str(bundle), rules_version(bundle))


def _stamp(*paths: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times: a cache key that changes with the files."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


@st.cache_resource(max_entries=8)
def _bundle(path: str, stamp: tuple[tuple[str, int, int], ...]) -> Bundle:
    del stamp  # part of the cache key only
    return Bundle.read(path)


def _bundle_stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """``bundle.toml`` and the ``rules`` folder, whose time changes as a file is added,
    removed or replaced in it (the bundle's list of rule files)."""
    return _stamp(path / "bundle.toml", path / "rules")


def bundle() -> Bundle:
    """The current bundle's configuration (read again only when ``bundle.toml`` or the
    ``rules`` folder changes)."""
    path = bundle_path()
    return _bundle(str(path), _bundle_stamp(path))


@st.cache_resource(max_entries=8)
def _cases(path: str, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, dict[str, Any]]:
    del stamp  # part of the cache key only
    folder = Path(path) / "cases"
    found: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob("*.json")):
        case = json.loads(file.read_text(encoding="utf-8"))
        if isinstance(case, dict):
            found.setdefault(str(case.get("id", file.stem)), case)
    heldout = folder / "heldout.jsonl"
    if heldout.is_file():
        for line in heldout.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                if isinstance(case, dict):
                    found.setdefault(str(case.get("id")), case)
    return found


def _cases_stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    folder = path / "cases"
    return _stamp(folder, *sorted(folder.glob("*.json")), folder / "heldout.jsonl")


def bundle_cases() -> Mapping[str, Mapping[str, Any]]:
    """The bundle's cases by id: ``cases/*.json`` first, then ``cases/heldout.jsonl``.

    Read once and shared by every session until a file changes: treat them as read-only.
    """
    path = bundle_path()
    return _cases(str(path), _cases_stamp(path))


def input_range(name: str) -> tuple[float, float]:
    """The range of an input's values over the bundle's cases (``(0, 1)`` without any).

    The console scales an uploaded image to it (the digits bundle's pixels are 0..16).
    """
    path = bundle_path()
    return _input_range(str(path), _cases_stamp(path), name)


@st.cache_resource(max_entries=64)
def _input_range(path: str, stamp: tuple[tuple[str, int, int], ...],
                 name: str) -> tuple[float, float]:
    low, high = float("inf"), float("-inf")
    for case in _cases(path, stamp).values():
        values = case.get("inputs", {}).get(name)
        if values is None:
            continue
        flat = _flatten(values)
        if flat:
            low, high = min(low, *flat), max(high, *flat)
    return (low, high) if low < high else (0.0, 1.0)


def dark_ground(name: str) -> bool:
    """Whether the bundle's images of an input are light on a dark ground (their borders
    darker than the middle of their range), as scikit-learn's digits are; True without any."""
    path = bundle_path()
    return _dark_ground(str(path), _cases_stamp(path), name)


@st.cache_resource(max_entries=64)
def _dark_ground(path: str, stamp: tuple[tuple[str, int, int], ...], name: str) -> bool:
    low, high = _input_range(path, stamp, name)
    borders = []
    for case in _cases(path, stamp).values():
        values = case.get("inputs", {}).get(name)
        if isinstance(values, list) and values and isinstance(values[0], list):
            image = np.asarray(values, dtype=np.float64)
            if image.ndim == 2:
                borders.append(np.concatenate([image[0], image[-1], image[:, 0],
                                               image[:, -1]]).mean())
    return not borders or float(np.mean(borders)) < (low + high) / 2


def _flatten(values: Any) -> list[float]:
    if isinstance(values, list | tuple):
        return [x for value in values for x in _flatten(value)]
    return [float(values)] if isinstance(values, int | float) else []


def entity_options(field: str) -> list[tuple[str, str]]:
    """The entities a record field of type ``entity`` can name: ``(atom, label)`` pairs.

    Those of the graph's classes that every entity the bundle's cases name in this field
    belongs to, taking the class with the fewest members (for the clinic bundle: its
    patients); without cases, every subject of the default namespace. Labels are
    ``rdfs:label`` where the graph has one.
    """
    path = bundle_path()
    return _entity_options(str(path), rules_version(path), field)


@st.cache_data(max_entries=64, show_spinner=False)
def _entity_options(path: str, version: str, field: str) -> list[tuple[str, str]]:
    del path, version  # part of the cache key only
    current = engine()
    if current.kg is None or current.mapping is None:
        return []
    table = current.mapping.table
    named = sorted({str(case["record"][field]) for case in bundle_cases().values()
                    if isinstance(case.get("record"), Mapping) and field in case["record"]})
    iris = []
    for atom in named:
        try:
            iris.append(table.iri(atom).value)
        except NesyError:  # an atom that names no IRI is left out, not an error here
            continue
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    rows: list[dict[str, Any]] = []
    if iris:
        values = " ".join(f"<{iri}>" for iri in iris)
        classes = current.kg.select(
            "SELECT ?class (COUNT(DISTINCT ?member) AS ?n) WHERE { "
            f"VALUES ?known {{ {values} }} ?known a ?class . ?member a ?class }} "
            f"GROUP BY ?class HAVING (COUNT(DISTINCT ?known) = {len(iris)}) "
            "ORDER BY ?n LIMIT 1")
        if classes:
            rows = current.kg.select(
                f"SELECT ?s (SAMPLE(?l) AS ?label) WHERE {{ ?s a <{classes[0]['class'].value}> "
                f"OPTIONAL {{ ?s {label} ?l }} }} GROUP BY ?s LIMIT {_ENTITY_LIMIT}")
    if not rows and table.default:
        rows = current.kg.select(
            f"SELECT ?s (SAMPLE(?l) AS ?label) WHERE {{ ?s ?p ?o "
            f'FILTER(STRSTARTS(STR(?s), "{table.default}")) OPTIONAL {{ ?s {label} ?l }} }} '
            f"GROUP BY ?s LIMIT {_ENTITY_LIMIT}")
    found = {}
    for row in rows:
        try:
            atom = table.atom(row["s"])
        except NesyError:  # a subject that is no atom is left out
            continue
        found[atom] = row["label"].value if "label" in row else ""
    for atom in named:
        found.setdefault(atom, "")
    return sorted(found.items())


def pretty(label: str | None) -> str:
    """A decision label for people: ``short_interval_follow_up`` as "Short interval follow up".

    >>> pretty("short_interval_follow_up"), pretty("s7")
    ('Short interval follow up', 's7')
    """
    if not label:
        return REFER
    text = label.replace("_", " ")
    return text[:1].upper() + text[1:] if len(text) > 3 else text


def sidebar() -> None:
    """The bundle's name, version and description, on every page."""
    current = bundle()
    with st.sidebar:
        st.markdown(f"**{current.name}** {current.version}")
        if current.description:
            st.caption(current.description)
