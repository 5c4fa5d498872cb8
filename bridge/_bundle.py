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

    [audit]
    log = "audit.jsonl"          # optional: one JSON line per decision

The rules speak about one case at a time through the atom ``case``: record fields and
the knowledge graph's facts arrive as external facts, inputs through their networks.
A case is ``{"id": str, "inputs": {name: array}, "record": {field: value}}``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nesy.errors import InputError, Location, NesyError

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
    """A bundle that cannot be used: a missing file, a bad ``bundle.toml`` entry."""


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


@dataclass(frozen=True)
class RecordField:
    name: str
    type: str
    predicate: str
    required: bool = True


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
    def read(cls, path: str | Path) -> Bundle:
        """Read ``bundle.toml`` of a bundle folder; a :class:`BundleError` names the entry."""
        root = Path(path)
        toml = root / "bundle.toml"
        if not toml.is_file():
            raise BundleError(f"{root} is not a bundle: it has no bundle.toml", Location(str(root)))
        try:
            config = tomllib.loads(toml.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise BundleError(f"cannot read {toml}: {exc}", Location(str(toml))) from exc
        except tomllib.TOMLDecodeError as exc:
            raise BundleError(f"{toml}: {exc}", Location(str(toml))) from exc
        where = str(toml)
        _known(config, {"bundle", "rules", "decision", "inputs", "networks", "record",
                        "knowledge", "audit"}, where, "")
        meta = _table(config, "bundle", where)
        name = _str(meta, "name", where, "[bundle]")
        version = str(meta.get("version", "0"))
        rules = _table(config, "rules", where, required=False)
        patterns = rules.get("files", ["rules/*.pl"])
        rule_files = tuple(sorted({p for pattern in patterns for p in root.glob(pattern)}))
        if not rule_files:
            raise BundleError(f"{where}: no rule files match {patterns}", Location(where))
        decision = _decision(_table(config, "decision", where), where)
        networks = {net: _network(net, spec, root, where)
                    for net, spec in _table(config, "networks", where, required=False).items()}
        inputs = {name: _input(name, spec, networks, where)
                  for name, spec in _table(config, "inputs", where, required=False).items()}
        record = {name: _record_field(name, spec, where)
                  for name, spec in _table(config, "record", where, required=False).items()}
        knowledge = config.get("knowledge")
        shapes = None
        if isinstance(knowledge, Mapping):
            knowledge = dict(knowledge)
            shapes_name = knowledge.pop("shapes", None)
            shapes = root / shapes_name if shapes_name else None
        audit = _table(config, "audit", where, required=False)
        audit_log = root / audit["log"] if audit.get("log") else None
        train = root / "train.py"
        return cls(root=root, name=name, version=version,
                   description=str(meta.get("description", "")), rule_files=rule_files,
                   decision=decision, inputs=inputs, networks=networks, record=record,
                   knowledge=knowledge, shapes=shapes, audit_log=audit_log,
                   train_script=train if train.is_file() else None)

    def rules_text(self) -> str:
        """The rule files, one after the other (each starts on a fresh line)."""
        return "\n".join(path.read_text(encoding="utf-8") for path in self.rule_files)


def _known(config: Mapping[str, Any], keys: set[str], where: str, table: str) -> None:
    unknown = sorted(set(config) - keys)
    if unknown:
        raise BundleError(f"{where}: unknown key {unknown[0]!r}{' in ' + table if table else ''}"
                          f" (known: {', '.join(sorted(keys))})", Location(where))


def _table(config: Mapping[str, Any], key: str, where: str,
           required: bool = True) -> dict[str, Any]:
    value = config.get(key)
    if value is None:
        if required:
            raise BundleError(f"{where}: the [{key}] table is missing", Location(where))
        return {}
    if not isinstance(value, Mapping):
        raise BundleError(f"{where}: [{key}] must be a table", Location(where))
    return dict(value)


def _str(table: Mapping[str, Any], key: str, where: str, name: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise BundleError(f"{where}: {name} {key} must be a non-empty string", Location(where))
    return value


def _decision(table: Mapping[str, Any], where: str) -> DecisionConfig:
    _known(table, {"query", "labels", "policy", "abstain_below", "thresholds", "costs"}, where,
           "[decision]")
    query = _str(table, "query", where, "[decision]")
    labels = table.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise BundleError(f"{where}: [decision] labels must be a list of names", Location(where))
    policy = table.get("policy", "most_probable")
    if policy not in POLICIES:
        raise BundleError(f"{where}: [decision] policy {policy!r} is not one of "
                          f"{', '.join(POLICIES)}", Location(where))
    abstain = table.get("abstain_below", 0.0)
    if isinstance(abstain, bool) or not isinstance(abstain, int | float) or not 0 <= abstain <= 1:
        raise BundleError(f"{where}: [decision] abstain_below must be in [0,1]", Location(where))
    thresholds = dict(table.get("thresholds", {}))
    costs = {k: dict(v) for k, v in dict(table.get("costs", {})).items()}
    for label in [*thresholds, *costs, *(t for row in costs.values() for t in row)]:
        if label not in labels:
            raise BundleError(f"{where}: [decision] names the unknown label {label!r}",
                              Location(where))
    if policy == "threshold" and not thresholds:
        raise BundleError(f"{where}: policy 'threshold' needs [decision] thresholds",
                          Location(where))
    if policy == "expected_cost" and not costs:
        raise BundleError(f"{where}: policy 'expected_cost' needs [decision] costs",
                          Location(where))
    return DecisionConfig(query, tuple(labels), policy, float(abstain),
                          {k: float(v) for k, v in thresholds.items()},
                          {k: {t: float(c) for t, c in row.items()} for k, row in costs.items()})


def _network(name: str, spec: Any, root: Path, where: str) -> NetworkSpec:
    if not isinstance(spec, Mapping):
        raise BundleError(f"{where}: [networks.{name}] must be a table", Location(where))
    _known(spec, {"model", "domain"}, where, f"[networks.{name}]")
    model = _str(spec, "model", where, f"[networks.{name}]")
    domain = spec.get("domain")
    return NetworkSpec(name, root / model, tuple(str(d) for d in domain) if domain else None)


def _input(name: str, spec: Any, networks: Mapping[str, NetworkSpec], where: str) -> InputSpec:
    if not isinstance(spec, Mapping):
        raise BundleError(f"{where}: [inputs.{name}] must be a table", Location(where))
    _known(spec, {"network", "shape"}, where, f"[inputs.{name}]")
    network = _str(spec, "network", where, f"[inputs.{name}]")
    if network not in networks:
        raise BundleError(f"{where}: [inputs.{name}] reads the unknown network {network!r}",
                          Location(where))
    shape = spec.get("shape", [])
    if not isinstance(shape, list) or not all(isinstance(s, int) and s > 0 for s in shape):
        raise BundleError(f"{where}: [inputs.{name}] shape must be a list of sizes",
                          Location(where))
    return InputSpec(name, network, tuple(shape))


def _record_field(name: str, spec: Any, where: str) -> RecordField:
    if not isinstance(spec, Mapping):
        raise BundleError(f"{where}: [record] {name} must be a table", Location(where))
    _known(spec, {"type", "predicate", "required"}, where, f"[record] {name}")
    kind = spec.get("type")
    if kind not in RECORD_TYPES:
        raise BundleError(f"{where}: [record] {name} type must be one of "
                          f"{', '.join(RECORD_TYPES)}", Location(where))
    return RecordField(name, kind, str(spec.get("predicate", name)),
                       bool(spec.get("required", True)))


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
