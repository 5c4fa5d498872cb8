"""A deterministic clinical-ish RDF graph of a given size, for ``benchmarks/kg.py``.

The shape (everything under ``http://example.org/clinic#``):

* an ontology: ``Patient``, ``Encounter``, ``Clinician``, ``BodySite``, ``Finding`` and
  ``Measurement`` with a subclass tree below ``Finding`` five levels deep (about 300
  classes in all), each class typed, labelled and placed under its parent;
* a dozen properties in a sub-property tree (``relatedTo`` > ``hasFinding`` >
  ``hasPrimaryFinding``, ...) with domains and ranges;
* patients with an age, a label, findings (typed by a class of the tree, located at a
  shared body site), measurements (a kind, an integer or decimal value, a unit), an
  encounter with a shared clinician, and links to relatives, so that a patient's
  neighbourhood is a few hops deep.

:func:`generate` writes exactly ``size`` triples as N-Triples (readable by rdflib and
Oxigraph alike) and, with ``annotated``, the same triples as Turtle 1.2 where about 1% of
them carry a confidence (``<s> <p> <o> {| ex:confidence 0.8 |} .``; each annotation adds
two triples: a reifier ``rdf:reifies`` the triple term, and its confidence). rdflib
cannot read RDF 1.2 annotations, so rdflib only ever gets the N-Triples file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EX", "FINDING_TREE", "MEASUREMENT_KINDS", "Generated", "Ontology", "generate",
           "iri"]

EX = "http://example.org/clinic#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

TYPE = f"<{RDF}type>"
LABEL = f"<{RDFS}label>"
SUBCLASS = f"<{RDFS}subClassOf>"
SUBPROPERTY = f"<{RDFS}subPropertyOf>"
DOMAIN = f"<{RDFS}domain>"
RANGE = f"<{RDFS}range>"
CONFIDENCE = f"<{EX}confidence>"

#: Branching of the finding tree below ``Finding``, level by level (6 + 24 + 96 + 192 classes).
FINDING_TREE = (6, 4, 4, 2)
MEASUREMENT_KINDS = ("BloodPressure", "HeartRate", "HbA1c", "Glucose", "Cholesterol",
                     "Creatinine", "BodyMassIndex", "Temperature", "Haemoglobin", "Sodium")
#: (property, super-property, domain, range); a range of ``None`` is a literal.
PROPERTIES = (
    ("relatedTo", None, None, None),
    ("hasFinding", "relatedTo", "Patient", "Finding"),
    ("hasPrimaryFinding", "hasFinding", "Patient", "Finding"),
    ("hasMeasurement", "relatedTo", "Patient", "Measurement"),
    ("hasEncounter", "relatedTo", "Patient", "Encounter"),
    ("relativeOf", "relatedTo", "Patient", "Patient"),
    ("treatedBy", "relatedTo", "Encounter", "Clinician"),
    ("locatedAt", "relatedTo", "Finding", "BodySite"),
    ("evidencedBy", "relatedTo", "Finding", "Measurement"),
    ("hasValue", None, "Measurement", None),
    ("age", None, "Patient", None),
    ("unit", None, "Measurement", None),
)
SITES = 60
CLINICIANS = 200


def iri(local: str) -> str:
    return f"<{EX}{local}>"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Ontology:
    """The classes of the generated graph, by role."""

    finding_classes: list[str] = field(default_factory=list)  # below Finding, every level
    levels: list[list[str]] = field(default_factory=list)  # the finding tree, level by level

    @property
    def leaves(self) -> list[str]:
        return self.levels[-1]


def ontology_triples(ontology: Ontology) -> Iterator[str]:
    """The class tree and the property tree (a few hundred classes, a dozen properties)."""
    for name in ("Patient", "Encounter", "Clinician", "BodySite", "Finding", "Measurement"):
        yield f"{iri(name)} {TYPE} <{OWL}Class> ."
        yield f"{iri(name)} {LABEL} {_string(name)} ."
    for kind in MEASUREMENT_KINDS:
        yield f"{iri(kind)} {TYPE} <{OWL}Class> ."
        yield f"{iri(kind)} {SUBCLASS} {iri('Measurement')} ."
        yield f"{iri(kind)} {LABEL} {_string(kind)} ."
    parents = ["Finding"]
    for depth, branching in enumerate(FINDING_TREE, start=1):
        level: list[str] = []
        for parent in parents:
            for index in range(branching):
                name = f"F{depth}_{len(level)}" if depth > 1 else f"F1_{index}"
                level.append(name)
                yield f"{iri(name)} {TYPE} <{OWL}Class> ."
                yield f"{iri(name)} {SUBCLASS} {iri(parent)} ."
                yield f"{iri(name)} {LABEL} {_string(f'finding class {name}')} ."
        ontology.levels.append(level)
        ontology.finding_classes += level
        parents = level
    for name, super_property, domain, range_ in PROPERTIES:
        kind = "ObjectProperty" if range_ is not None else "DatatypeProperty"
        yield f"{iri(name)} {TYPE} <{OWL}{kind}> ."
        if super_property:
            yield f"{iri(name)} {SUBPROPERTY} {iri(super_property)} ."
        if domain:
            yield f"{iri(name)} {DOMAIN} {iri(domain)} ."
        if range_:
            yield f"{iri(name)} {RANGE} {iri(range_)} ."
    for site in range(SITES):
        yield f"{iri(f'site{site}')} {TYPE} {iri('BodySite')} ."
        yield f"{iri(f'site{site}')} {LABEL} {_string(f'body site {site}')} ."
    for clinician in range(CLINICIANS):
        yield f"{iri(f'dr{clinician}')} {TYPE} {iri('Clinician')} ."
        yield f"{iri(f'dr{clinician}')} {LABEL} {_string(f'Dr {clinician}')} ."


def patient_triples(index: int, ontology: Ontology, rng: random.Random,
                    patients_so_far: int) -> Iterator[tuple[str, bool]]:
    """One patient's triples; the flag marks triples that may carry a confidence."""
    p = iri(f"p{index}")
    yield f"{p} {TYPE} {iri('Patient')} .", False
    yield f"{p} {LABEL} {_string(f'patient {index}')} .", False
    yield f'{p} {iri("age")} "{rng.randint(1, 99)}"^^<{XSD}integer> .', False
    measurements = []
    for m in range(rng.randint(1, 3)):
        node = iri(f"p{index}_m{m}")
        kind = rng.choice(MEASUREMENT_KINDS)
        measurements.append(node)
        yield f"{p} {iri('hasMeasurement')} {node} .", False
        yield f"{node} {TYPE} {iri(kind)} .", False
        if rng.random() < 0.5:
            value = f'"{rng.randint(40, 200)}"^^<{XSD}integer>'
        else:
            value = f'"{rng.uniform(3.0, 12.0):.2f}"^^<{XSD}decimal>'
        yield f"{node} {iri('hasValue')} {value} .", False
        yield f"{node} {iri('unit')} {_string(rng.choice(('mmHg', 'bpm', '%', 'mmol/L')))} .", \
            False
    for f in range(rng.randint(1, 4)):
        node = iri(f"p{index}_f{f}")
        # deeper classes more often, as in a real terminology
        depth = min(rng.choice((0, 1, 2, 2, 3, 3, 3)), len(ontology.levels) - 1)
        prop = "hasPrimaryFinding" if f == 0 else "hasFinding"
        yield f"{p} {iri(prop)} {node} .", True
        yield f"{node} {TYPE} {iri(rng.choice(ontology.levels[depth]))} .", False
        yield f"{node} {iri('locatedAt')} {iri(f'site{rng.randrange(SITES)}')} .", False
        yield f"{node} {iri('evidencedBy')} {rng.choice(measurements)} .", False
    encounter = iri(f"p{index}_e0")
    yield f"{p} {iri('hasEncounter')} {encounter} .", False
    yield f"{encounter} {TYPE} {iri('Encounter')} .", False
    yield f"{encounter} {iri('treatedBy')} {iri(f'dr{rng.randrange(CLINICIANS)}')} .", False
    if patients_so_far and rng.random() < 0.4:
        yield f"{p} {iri('relativeOf')} {iri(f'p{rng.randrange(patients_so_far)}')} .", True


@dataclass(frozen=True)
class Generated:
    """What :func:`generate` wrote."""

    size: int
    ntriples: Path
    turtle: Path | None
    patients: int
    annotated: int  # triples with a confidence in the Turtle file

    @property
    def turtle_triples(self) -> int:
        return self.size + 2 * self.annotated


def generate(size: int, folder: Path, seed: int = 0, annotated: bool = True,
             confidence_rate: float = 0.01) -> Generated:
    """Write ``size`` triples to ``folder/kg_<size>.nt`` (and ``.ttl``, annotated)."""
    rng = random.Random(seed)
    ontology = Ontology()
    folder.mkdir(parents=True, exist_ok=True)
    nt_path = folder / f"kg_{size}.nt"
    ttl_path = folder / f"kg_{size}.ttl" if annotated else None
    written = 0
    annotations = 0
    patients = 0
    # About 12% of a patient's triples are findings: annotate that share of them.
    finding_rate = min(1.0, confidence_rate / 0.12)
    with nt_path.open("w", encoding="utf-8") as nt, \
            (ttl_path.open("w", encoding="utf-8") if ttl_path else _Null()) as ttl:
        def emit(line: str, annotate: bool) -> None:
            nonlocal written, annotations
            nt.write(line)
            nt.write("\n")
            if ttl_path is not None:
                if annotate and rng.random() < finding_rate:
                    confidence = rng.choice((0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95))
                    ttl.write(f"{line[:-2]} {{| {CONFIDENCE} {confidence} |}} .\n")
                    annotations += 1
                else:
                    ttl.write(line)
                    ttl.write("\n")
            written += 1

        for line in ontology_triples(ontology):
            if written >= size:
                break
            emit(line, False)
        while written < size:
            for line, annotate in patient_triples(patients, ontology, rng, patients):
                if written >= size:
                    break
                emit(line, annotate)
            patients += 1
    return Generated(size, nt_path, ttl_path, patients, annotations)


class _Null:
    """A file that swallows what is written (when no Turtle file is wanted)."""

    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str) -> int:
        return len(text)


def _main() -> None:  # pragma: no cover - a quick look at the generated data
    import sys
    import tempfile

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    folder = Path(tempfile.mkdtemp(prefix="nesy-kg-"))
    print(generate(size, folder))


if __name__ == "__main__":
    _main()

