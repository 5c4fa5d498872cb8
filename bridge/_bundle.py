"""A domain bundle: a folder with ``bundle.toml``, rules, knowledge, models, cases, tests.

::

    clinic/
      bundle.toml
      rules/*.pl            the rules (ProbLog with %! metadata), read together in name order
      knowledge/*.ttl       the knowledge graph (and knowledge/shapes.ttl: SHACL for records)
      models/               trained models (<network>.pt + .json); trained by train.py if absent
      train.py              trains every model of the bundle, deterministically
      cases/*.json          example cases, each with its expected decision
      tests/*.toml          rule tests: facts or a case -> expected label or probability range

``bundle.toml``::

    [bundle]
    name = "clinic"
    version = "1.0.0"
    description = "..."

    [decision]
    query = "recommend"          # the rules define recommend(Label) for the case
    labels = ["biopsy", "short_interval_follow_up", "routine_screening"]
    policy = "most_probable"     # or "threshold" (thresholds per label) or "expected_cost"
    abstain_below = 0.6          # refer to a human when the decided label is less probable
    thresholds = { biopsy = 0.3 }            # for policy = "threshold", in label order
    costs = { biopsy = { routine_screening = 1.0 }, routine_screening = { biopsy = 20.0 } }
                                 # expected_cost: costs[decided][true], 0 on the diagonal

    [inputs.fna]                 # case["inputs"]["fna"], read by a network
    network = "cytology"         # rules: nn(cytology, [fna], Y, [malignant, benign]) :: ...
    shape = [30]

    [networks.cytology]
    model = "models/cytology"    # models/cytology.pt and .json (neural.save_model)
    domain = ["malignant", "benign"]          # the rules' names of the model's classes

    [record]                     # case["record"] fields -> external facts about `case`
    age = { type = "int", predicate = "age" }                   # age(case, 52)
    family_history = { type = "bool", predicate = "family_history" }
                                 # family_history(case) with probability 1 or 0
    patient = { type = "entity", predicate = "patient" }        # patient(case, p17); the
                                 # knowledge graph's facts about p17 come with the case

    [knowledge]                  # see knowledge.load_knowledge; shapes = SHACL for records
    shapes = "knowledge/shapes.ttl"
    entities = ["guideline"]     # optional: facts that come with every case, those of these
                                 # entities (within hops), or "all": every mapped fact of a
                                 # small graph (examples/digits: its ontology of numbers)

    [audit]
    log = "audit.jsonl"          # optional: one JSON line per decision

The rules speak about one case at a time through the atom ``case``: record fields and
the knowledge graph's facts arrive as external facts, inputs through their networks.
A case is ``{"id": str, "inputs": {name: array}, "record": {field: value}}``.

The graph's facts of a case are those of its entity fields (within the mapping's
``hops``), read when an entity is first seen, and those of ``[knowledge] entities``, read
and encoded once when the engine loads and merged with every case's: a decision lists
them among its facts, each with its triple and graph (``"kind": "knowledge"``). Facts
given instead of the graph (rule tests' ``knowledge = {...}``, ``decide_given``) replace
both.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nesy.errors import InputError, Location, NesyError

from ._toml import TomlPlaces, decode_error_location

__all__ = [
    "Bundle",
    "BundleError",
    "DecisionConfig",
    "InputSpec",
    "NetworkSpec",
    "RecordField",
]

RECORD_TYPES = ("int", "float", "bool", "str", "entity")
POLICIES = ("most_probable", "threshold", "expected_cost")


class BundleError(NesyError):
    """A bundle that cannot be used: a missing file, a bad ``bundle.toml`` entry.

    Its location is the entry's line and column in ``bundle.toml`` where that can be told.
    """


@dataclass(frozen=True)
class DecisionConfig:
    query: str
    labels: tuple[str, ...]
    policy: str = "most_probable"
    abstain_below: float = 0.0
    thresholds: Mapping[str, float] = field(default_factory=dict)
    costs: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class InputSpec:
    name: str
    network: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    model: Path
    domain: tuple[str, ...] | None

    @property
    def metadata(self) -> Path:
        """The model's ``.json`` beside its weights: there once the network is trained."""
        return self.model.with_suffix(".json")


@dataclass(frozen=True)
class RecordField:
    name: str
    type: str
    predicate: str
    required: bool = True

    @property
    def arity(self) -> int:
        """The arity of its external predicate: ``p(case)`` for a bool, else ``p(case, V)``."""
        return 1 if self.type == "bool" else 2


@dataclass(frozen=True)
class Bundle:
    """A bundle's configuration, read and checked; files are resolved against ``root``."""

    root: Path
    name: str
    version: str
    description: str
    rule_files: tuple[Path, ...]
    decision: DecisionConfig
    inputs: Mapping[str, InputSpec]
    networks: Mapping[str, NetworkSpec]
    record: Mapping[str, RecordField]
    knowledge: Mapping[str, Any] | None
    shapes: Path | None
    audit_log: Path | None
    train_script: Path | None

    @classmethod
    def read(cls, path: str | Path, places: TomlPlaces | None = None) -> Bundle:
        """Read ``bundle.toml`` of a bundle folder; a :class:`BundleError` names the entry.

        ``places`` is its text as :meth:`places` read it, when the caller has it already.
        """
        root = Path(path)
        if places is None:
            places = cls.places(root)
        try:
            config = tomllib.loads(places.text)
        except tomllib.TOMLDecodeError as exc:
            location, message = decode_error_location(places.file, str(exc))
            raise BundleError(f"not valid TOML: {message}", location) from exc
        where = places
        _known(config, {"bundle", "rules", "decision", "inputs", "networks", "record",
                        "knowledge", "audit"}, where, ())
        for key, value in config.items():
            if not isinstance(value, Mapping):
                raise BundleError(f"[{key}] must be a table", where.at(key))
        meta = _table(config, "bundle", where)
        _known(meta, {"name", "version", "description"}, where, ("bundle",))
        name = _str(meta, "name", where, ("bundle",))
        version = str(meta.get("version", "0"))
        rules = _table(config, "rules", where, required=False)
        patterns = rules.get("files", ["rules/*.pl"])
        if isinstance(patterns, str) or not isinstance(patterns, list) or not all(
                isinstance(p, str) for p in patterns):
            raise BundleError("[rules] files must be a list of patterns",
                              where.at("rules", "files"))
        rule_files = tuple(sorted({p for pattern in patterns for p in root.glob(pattern)}))
        if not rule_files:
            raise BundleError(f"no rule files match {patterns}", where.at("rules", "files"))
        decision = _decision(_table(config, "decision", where), where)
        networks = {net: _network(net, spec, root, where)
                    for net, spec in _table(config, "networks", where, required=False).items()}
        inputs = {name: _input(name, spec, networks, where)
                  for name, spec in _table(config, "inputs", where, required=False).items()}
        record = {name: _record_field(name, spec, where)
                  for name, spec in _table(config, "record", where, required=False).items()}
        knowledge = config.get("knowledge")
        shapes = None
        if knowledge is not None:
            knowledge = dict(knowledge)
            shapes_name = knowledge.pop("shapes", None)
            if shapes_name is not None and not isinstance(shapes_name, str):
                raise BundleError("[knowledge] shapes must be a path",
                                  where.at("knowledge", "shapes"))
            shapes = root / shapes_name if shapes_name else None
        audit = _table(config, "audit", where, required=False)
        log = audit.get("log")
        if log is not None and not isinstance(log, str):
            raise BundleError("[audit] log must be a path", where.at("audit", "log"))
        audit_log = root / log if log else None
        train = root / "train.py"
        return cls(root=root, name=name, version=version,
                   description=str(meta.get("description", "")), rule_files=rule_files,
                   decision=decision, inputs=inputs, networks=networks, record=record,
                   knowledge=knowledge, shapes=shapes, audit_log=audit_log,
                   train_script=train if train.is_file() else None)

    @staticmethod
    def places(path: str | Path) -> TomlPlaces:
        """The text of a bundle folder's ``bundle.toml``, with where its entries are."""
        root = Path(path)
        toml = root / "bundle.toml"
        if not toml.is_file():
            raise BundleError(f"{root} is not a bundle: it has no bundle.toml", Location(str(root)))
        try:
            return TomlPlaces(str(toml), toml.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise BundleError(f"cannot read {toml}: {exc}", Location(str(toml))) from exc

    def record_predicates(self) -> dict[str, int]:
        """The external predicates of the record fields: ``{name: arity}`` (bool: 1, else 2)."""
        return {spec.predicate: spec.arity for spec in self.record.values()}

    def untrained(self) -> list[NetworkSpec]:
        """The networks whose models are missing (``train.py`` makes them)."""
        return [spec for spec in self.networks.values() if not spec.metadata.is_file()]

    def rules_text(self) -> str:
        """The rule files, one after the other (each starts on a fresh line)."""
        return "\n".join(path.read_text(encoding="utf-8") for path in self.rule_files)


def _name(table: tuple[str, ...]) -> str:
    return f"[{'.'.join(table)}]"


def _known(config: Mapping[str, Any], keys: set[str], where: TomlPlaces,
           table: tuple[str, ...]) -> None:
    unknown = sorted(set(config) - keys)
    if unknown:
        raise BundleError(f"unknown key {unknown[0]!r}{' in ' + _name(table) if table else ''}"
                          f" (known: {', '.join(sorted(keys))})", where.at(*table, unknown[0]))


def _table(config: Mapping[str, Any], key: str, where: TomlPlaces,
           required: bool = True) -> dict[str, Any]:
    value = config.get(key)
    if value is None:
        if required:
            raise BundleError(f"the [{key}] table is missing", where.at())
        return {}
    if not isinstance(value, Mapping):
        raise BundleError(f"[{key}] must be a table", where.at(key))
    return dict(value)


def _str(table: Mapping[str, Any], key: str, where: TomlPlaces, name: tuple[str, ...]) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise BundleError(f"{_name(name)} {key} must be a non-empty string", where.at(*name, key))
    return value


def _decision(table: Mapping[str, Any], where: TomlPlaces) -> DecisionConfig:
    _known(table, {"query", "labels", "policy", "abstain_below", "thresholds", "costs"}, where,
           ("decision",))
    query = _str(table, "query", where, ("decision",))
    labels = table.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise BundleError("[decision] labels must be a list of names",
                          where.at("decision", "labels"))
    policy = table.get("policy", "most_probable")
    if policy not in POLICIES:
        raise BundleError(f"[decision] policy {policy!r} is not one of {', '.join(POLICIES)}",
                          where.at("decision", "policy",
                                   value=policy if isinstance(policy, str) else None))
    abstain = table.get("abstain_below", 0.0)
    if isinstance(abstain, bool) or not isinstance(abstain, int | float) or not 0 <= abstain <= 1:
        raise BundleError("[decision] abstain_below must be in [0,1]",
                          where.at("decision", "abstain_below"))
    for key in ("thresholds", "costs"):
        value = table.get(key, {})
        if not isinstance(value, Mapping) or (key == "costs" and not all(
                isinstance(row, Mapping) for row in value.values())):
            raise BundleError(f"[decision] {key} must be a table", where.at("decision", key))
    thresholds = dict(table.get("thresholds", {}))
    costs = {k: dict(v) for k, v in dict(table.get("costs", {})).items()}
    for key, label in [*(("thresholds", t) for t in thresholds),
                       *(("costs", c) for c in costs),
                       *(("costs", t) for row in costs.values() for t in row)]:
        if label not in labels:
            raise BundleError(f"[decision] names the unknown label {label!r}",
                              where.at("decision", key, label))
    for key, values in (("thresholds", thresholds.items()),
                        *((f"costs.{k}", row.items()) for k, row in costs.items())):
        for label, value in values:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BundleError(f"[decision] {key}.{label} must be a number, not {value!r}",
                                  where.at("decision", *key.split("."), label))
    if policy == "threshold" and not thresholds:
        raise BundleError("policy 'threshold' needs [decision] thresholds",
                          where.at("decision", "policy"))
    if policy == "expected_cost" and not costs:
        raise BundleError("policy 'expected_cost' needs [decision] costs",
                          where.at("decision", "policy"))
    return DecisionConfig(query, tuple(labels), policy, float(abstain),
                          {k: float(v) for k, v in thresholds.items()},
                          {k: {t: float(c) for t, c in row.items()} for k, row in costs.items()})


def _network(name: str, spec: Any, root: Path, where: TomlPlaces) -> NetworkSpec:
    table = ("networks", name)
    if not isinstance(spec, Mapping):
        raise BundleError(f"{_name(table)} must be a table", where.at(*table))
    _known(spec, {"model", "domain"}, where, table)
    model = _str(spec, "model", where, table)
    domain = spec.get("domain")
    if domain is not None and not isinstance(domain, list):
        raise BundleError(f"{_name(table)} domain must be a list of class names",
                          where.at(*table, "domain"))
    return NetworkSpec(name, root / model, tuple(str(d) for d in domain) if domain else None)


def _input(name: str, spec: Any, networks: Mapping[str, NetworkSpec],
           where: TomlPlaces) -> InputSpec:
    table = ("inputs", name)
    if not isinstance(spec, Mapping):
        raise BundleError(f"{_name(table)} must be a table", where.at(*table))
    _known(spec, {"network", "shape"}, where, table)
    network = _str(spec, "network", where, table)
    if network not in networks:
        raise BundleError(f"{_name(table)} reads the unknown network {network!r}",
                          where.at(*table, "network", value=network))
    shape = spec.get("shape", [])
    if not isinstance(shape, list) or not all(isinstance(s, int) and s > 0 for s in shape):
        raise BundleError(f"{_name(table)} shape must be a list of sizes",
                          where.at(*table, "shape"))
    return InputSpec(name, network, tuple(shape))


_PREDICATE_NAME = re.compile(r"[a-z][A-Za-z0-9_]*")


def _record_field(name: str, spec: Any, where: TomlPlaces) -> RecordField:
    if not isinstance(spec, Mapping):
        raise BundleError(f"[record] {name} must be a table", where.at("record", name))
    _known(spec, {"type", "predicate", "required"}, where, ("record", name))
    kind = spec.get("type")
    if kind not in RECORD_TYPES:
        raise BundleError(f"[record] {name} type must be one of {', '.join(RECORD_TYPES)}",
                          where.at("record", name, "type"))
    predicate = spec.get("predicate", name)
    if not isinstance(predicate, str) or not _PREDICATE_NAME.fullmatch(predicate):
        raise BundleError(f"[record] {name} predicate {predicate!r} is not a predicate name "
                          "(lower case, letters, digits, _)",
                          where.at("record", name, "predicate"))
    return RecordField(name, kind, predicate, bool(spec.get("required", True)))


def check_case(case: Any) -> tuple[str, Mapping[str, Any], Mapping[str, Any]]:
    """The id, inputs and record of a case, or an :class:`InputError` naming the field."""
    if not isinstance(case, Mapping):
        raise InputError(f"a case is a JSON object, not {type(case).__name__}", field="case")
    extra = sorted(set(case) - {"id", "inputs", "record", "expected"})
    if extra:
        raise InputError(f"unknown case field {extra[0]!r} (known: id, inputs, record)",
                         field=extra[0])
    case_id = case.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise InputError("the case needs an id (a non-empty string)", field="id")
    inputs = case.get("inputs", {})
    record = case.get("record", {})
    if not isinstance(inputs, Mapping):
        raise InputError("inputs must be an object {name: values}", field="inputs")
    if not isinstance(record, Mapping):
        raise InputError("record must be an object {field: value}", field="record")
    return case_id, inputs, record
