"""``Decision``: a label for a case, how sure, the alternatives, and the reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from symbolic import Explanation, WhyNot

from ._bundle import DecisionConfig

__all__ = ["ABSTAIN", "SCHEMA", "Decision", "GroundedFact", "decide_label"]

#: The version of the decision JSON (README: "Decision JSON").
SCHEMA = "nesy.decision/1"
#: The name of a referral (the engine abstained) among expected and decided labels.
ABSTAIN = "abstain"


@dataclass(frozen=True)
class GroundedFact:
    """A fact the case brought to the rules, with where it came from."""

    fact: str
    probability: float
    source: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "probability": self.probability, "source": dict(self.source)}


@dataclass(frozen=True)
class Decision:
    """The decision on one case (SPEC §8). ``label`` is None when the engine abstains."""

    case: str
    label: str | None
    probability: float
    abstained: bool
    alternatives: Mapping[str, float]
    facts: tuple[GroundedFact, ...]
    explanation: Explanation | None
    why_not: WhyNot | None
    versions: Mapping[str, Any]
    timing_ms: Mapping[str, float] = field(default_factory=dict)
    decided: str | None = None  # the label the policy chose, also when abstaining

    def to_dict(self) -> dict[str, Any]:
        explanation: dict[str, Any] = {"proofs": [], "influence": [], "why_not": None}
        if self.explanation is not None:
            full = self.explanation.to_dict()
            explanation = {"query": full["query"], "proofs": full["proofs"],
                           "influence": [{"fact": i["fact"], "value": i["value"]}
                                         for i in full["influence"]],
                           "why_not": None}
        if self.why_not is not None:
            explanation["why_not"] = self.why_not.to_dict()
        return {
            "schema": SCHEMA,
            "case": self.case,
            "label": self.label,
            "probability": self.probability,
            "abstained": self.abstained,
            "decided": self.decided,
            "alternatives": dict(self.alternatives),
            "facts": [f.to_dict() for f in self.facts],
            "explanation": explanation,
            "versions": dict(self.versions),
            "timing_ms": dict(self.timing_ms),
        }


def decide_label(config: DecisionConfig,
                 probabilities: Mapping[str, float]) -> tuple[str, float, bool]:
    """The policy: (decided label, its probability, abstained).

    ``most_probable`` takes the most probable label; ``threshold`` the first label (in
    the bundle's order) at or above its threshold, else the most probable;
    ``expected_cost`` the label of least expected cost under ``costs[decided][true]``.
    Below ``abstain_below`` the engine abstains (refer to a human).
    """
    labels = config.labels
    best = max(labels, key=lambda label: (probabilities[label], -labels.index(label)))
    if config.policy == "threshold":
        for label in labels:
            if label in config.thresholds and probabilities[label] >= config.thresholds[label]:
                best = label
                break
    elif config.policy == "expected_cost":
        def cost(decided: str) -> float:
            row = config.costs.get(decided, {})
            return sum(row.get(true, 0.0) * probabilities[true] for true in labels
                       if true != decided)
        best = min(labels, key=lambda label: (cost(label), labels.index(label)))
    probability = probabilities[best]
    return best, probability, probability < config.abstain_below
