"""The bridge: a case's inputs, record and knowledge into the rules; decisions with reasons.

>>> from bridge import Engine                       # doctest: +SKIP
>>> engine = Engine.from_bundle("examples/clinic")  # doctest: +SKIP
"""

from nesy.errors import InputError, NesyError
from symbolic import Explanation

from ._bundle import Bundle, BundleError, DecisionConfig, check_case
from ._decision import SCHEMA, Decision, GroundedFact, decide_label
from ._engine import Engine, train_bundle

__all__ = [
    "SCHEMA",
    "Bundle",
    "BundleError",
    "Decision",
    "DecisionConfig",
    "Engine",
    "Explanation",
    "GroundedFact",
    "InputError",
    "NesyError",
    "check_case",
    "decide_label",
    "train_bundle",
]
