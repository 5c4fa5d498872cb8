"""The bridge: a case's inputs, record and knowledge into the rules; decisions with reasons.

>>> from bridge import Engine                       # doctest: +SKIP
>>> engine = Engine.from_bundle("examples/clinic")  # doctest: +SKIP
"""

from nesy.errors import InputError, NesyError
from symbolic import Explanation

from ._bundle import Bundle, BundleError, DecisionConfig, check_case
from ._check import CheckReport, check_bundle, check_paths
from ._decision import SCHEMA, Decision, GroundedFact, decide_label
from ._engine import Engine, train_bundle
from ._ruletests import RuleTest, RuleTestResult, read_rule_tests, run_rule_tests

__all__ = [
    "SCHEMA",
    "Bundle",
    "BundleError",
    "CheckReport",
    "Decision",
    "DecisionConfig",
    "Engine",
    "Explanation",
    "GroundedFact",
    "InputError",
    "NesyError",
    "RuleTest",
    "RuleTestResult",
    "check_bundle",
    "check_case",
    "check_paths",
    "decide_label",
    "read_rule_tests",
    "run_rule_tests",
    "train_bundle",
]
