"""Write the clinic bundle's cases from the held-out aspirates, deterministically.

- ``cases/case-001.json`` ... : hand-picked held-out aspirates with hand-written patients
  (``knowledge/patients.ttl``), one per situation the guideline distinguishes; ``expected`` is
  the decision the rules take with the trained model (``label`` null when the engine abstains).
- ``knowledge/cohort.ttl`` and ``cases/heldout.jsonl``: every held-out aspirate (the 20% that
  ``train.split`` keeps out of training and calibration) as a case of a synthetic patient
  ``c001``..., with a visit record and risk factors drawn from a seeded generator. ``expected``
  is the ground truth's recommendation, by a simple rule:

      malignant                                   -> biopsy
      benign, at elevated risk                    -> short_interval_follow_up
      benign, otherwise                           -> routine_screening

  where elevated risk is any risk factor in the patient's record (high or moderate, uncertain
  ones included; those are all drawn with confidence >= 0.6) or a family history reported at
  the visit. ``expected.diagnosis`` is the ground truth itself.

The patients are synthetic: the Wisconsin data carry no age and no history. Ages and risk
factors are drawn independently of the diagnosis. Run ``python examples/clinic/make_cases.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

BUNDLE = Path(__file__).resolve().parent
SEED = 0

# (case id, row of load_breast_cancer, patient, age, family history at the visit,
#  expected label or None for an abstention, what the case shows)
CURATED: list[tuple[str, int, str, int, bool, str | None, str]] = [
    ("case-001", 24, "p001", 58, False, "biopsy",
     "a malignant-looking aspirate, no risk factor"),
    ("case-002", 101, "p006", 44, False, "routine_screening",
     "a benign-looking aspirate, no risk factor"),
    ("case-003", 296, "p002", 38, False, "short_interval_follow_up",
     "a benign-looking aspirate, BRCA1 variant (high risk, inferred from the ontology)"),
    ("case-004", 234, "p004", 46, False, "short_interval_follow_up",
     "a benign-looking aspirate, self-reported family history (confidence 0.7)"),
    ("case-005", 21, "p005", 52, False, "short_interval_follow_up",
     "a benign-looking aspirate, dense breast tissue, age 52"),
    ("case-006", 174, "p009", 41, False, None,
     "a benign-looking aspirate, a family history as likely as not: abstains"),
    ("case-007", 157, "p011", 47, False, None,
     "a borderline aspirate, no risk factor: abstains"),
    ("case-008", 316, "p008", 39, True, "short_interval_follow_up",
     "a benign-looking aspirate, family history reported at the visit"),
    ("case-009", 414, "p003", 55, False, "biopsy",
     "a borderline aspirate, atypical hyperplasia (high risk): residual suspicion tips it"),
    ("case-010", 302, "p007", 34, False, "biopsy",
     "a malignant-looking aspirate, chest radiation"),
    ("case-011", 273, "p010", 61, False, "short_interval_follow_up",
     "a benign-looking aspirate, LCIS and a sister with breast cancer, age 61"),
]

# Risk factors of the synthetic cohort: (class, basis, probability of being drawn).
HIGH_RISK = [("BRCA1Mutation", "genetic-test-report", 0.03),
             ("BRCA2Mutation", "genetic-test-report", 0.02),
             ("AtypicalHyperplasia", "pathology-report", 0.03),
             ("LobularCarcinomaInSitu", "pathology-report", 0.01),
             ("ChestRadiation", "treatment-history", 0.01)]
DENSE = 0.30            # dense breast tissue, from an imaging report
FAMILY_DOCUMENTED = 0.08  # a first-degree relative's diagnosis confirmed from records
FAMILY_REPORTED = 0.10    # self-reported, with a confidence of 0.6 to 0.9
FAMILY_AT_VISIT = 0.12    # the case record's family_history
CONFIDENCES = (0.6, 0.7, 0.8, 0.9)
LABELS = {0: "malignant", 1: "benign"}


def _train_module() -> Any:
    spec = importlib.util.spec_from_file_location("clinic_train", BUNDLE / "train.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case(case_id: str, features: np.ndarray, record: dict[str, Any],
          expected: dict[str, Any]) -> dict[str, Any]:
    return {"id": case_id, "inputs": {"fna": [float(v) for v in features]},
            "record": record, "expected": expected}


def _cohort(heldout: np.ndarray, y: np.ndarray) -> tuple[list[str], list[dict[str, Any]]]:
    """Turtle lines for the synthetic patients and their held-out cases."""
    rng = np.random.default_rng(SEED)
    lines: list[str] = []
    cases: list[dict[str, Any]] = []
    for number, row in enumerate(heldout, start=1):
        patient = f"c{number:03d}"
        # every draw is made for every patient, so one patient's draws never shift another's
        age = int(np.clip(round(rng.normal(56.0, 12.0)), 25, 90))
        family_at_visit = bool(rng.random() < FAMILY_AT_VISIT)
        high = [(cls, basis) for cls, basis, p in HIGH_RISK if rng.random() < p]
        dense = bool(rng.random() < DENSE)
        documented = bool(rng.random() < FAMILY_DOCUMENTED)
        reported = bool(rng.random() < FAMILY_REPORTED)
        confidence = float(rng.choice(CONFIDENCES))
        factors: list[tuple[str, str, str, float | None]] = [
            (f"{patient}_{cls.lower()}", cls, basis, None) for cls, basis in high]
        if dense:
            factors.append((f"{patient}_density", "DenseBreastTissue", "imaging-report", None))
        if documented:
            factors.append((f"{patient}_family_history", "FamilyHistory", "family-records",
                            None))
        elif reported:
            factors.append((f"{patient}_family_history", "FamilyHistory", "self-report",
                            confidence))
        links = [f"ex:{name}" + (f" {{| clinic:confidence {p} |}}" if p is not None else "")
                 for name, _, _, p in factors]
        lines.append(f"ex:{patient} a clinic:Patient ;")
        lines.append(f'    rdfs:label "Cohort patient {number:03d} (synthetic)"'
                     + (" ;" if links else " ."))
        if links:
            lines.append(f"    clinic:hasRiskFactor {' , '.join(links)} .")
        for name, cls, basis, _ in factors:
            lines.append(f"ex:{name} a clinic:{cls} ; clinic:basis clinic:{basis} .")
        lines.append("")
        diagnosis = LABELS[int(y[row])]
        elevated = family_at_visit or bool(factors)
        label = ("biopsy" if diagnosis == "malignant" else
                 "short_interval_follow_up" if elevated else "routine_screening")
        cases.append({"row": int(row), "record": {"age": age, "family_history": family_at_visit,
                                                  "patient": patient},
                      "expected": {"label": label, "abstained": False, "diagnosis": diagnosis}})
    return lines, cases


def _pretty(case: dict[str, Any]) -> str:
    """A case as JSON with one line per top-level key: the 30 numbers stay on one line."""
    fields = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in case.items()]
    return "{\n" + ",\n".join(fields) + "\n}\n"


COHORT_HEADER = """\
# The synthetic patients of the held-out cases (cases/heldout.jsonl): generated by
# make_cases.py from a seeded generator; do not edit. Not real people: the Wisconsin data carry
# no history, so risk factors are drawn independently of the diagnosis.

@prefix ex: <http://example.org/nesy/clinic/data/> .
@prefix clinic: <http://example.org/nesy/clinic/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

"""


def make_cases(bundle_dir: str | Path | None = None) -> dict[str, int]:
    """Write the curated cases, ``knowledge/cohort.ttl`` and ``cases/heldout.jsonl``."""
    root = Path(bundle_dir) if bundle_dir is not None else BUNDLE
    train = _train_module()
    X, y, _ = train.load_data()
    _, _, heldout = train.split(y)
    held = set(heldout.tolist())
    cases_dir = root / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    for case_id, row, patient, age, family, label, _why in CURATED:
        if row not in held:
            raise ValueError(f"{case_id}: row {row} is not held out")
        record = {"age": age, "family_history": family, "patient": patient}
        expected = {"label": label, "abstained": label is None,
                    "diagnosis": LABELS[int(y[row])]}
        case = _case(case_id, X[row], record, expected)
        (cases_dir / f"{case_id}.json").write_text(_pretty(case), encoding="utf-8")
    lines, cohort = _cohort(heldout, y)
    (root / "knowledge" / "cohort.ttl").write_text(COHORT_HEADER + "\n".join(lines).rstrip() + "\n",
                                                  encoding="utf-8")
    with (cases_dir / "heldout.jsonl").open("w", encoding="utf-8") as out:
        for entry in cohort:
            case = _case(f"wdbc-{entry['row']:04d}", X[entry["row"]], entry["record"],
                         entry["expected"])
            out.write(json.dumps(case) + "\n")
    return {"curated": len(CURATED), "heldout": len(cohort)}


if __name__ == "__main__":
    print(json.dumps(make_cases(sys.argv[1] if len(sys.argv) > 1 else None)))
