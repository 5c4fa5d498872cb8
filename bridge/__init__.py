"""The bridge: a case's inputs, record and knowledge into the rules; decisions with reasons.

>>> from bridge import Engine                       # doctest: +SKIP
>>> engine = Engine.from_bundle("examples/clinic")  # doctest: +SKIP
"""

from nesy.errors import InputError, NesyError
from symbolic import Explanation

from ._batch import (
    ABSTAIN,
    CASE_FORMATS,
    BatchCase,
    CaseOutcome,
    CaseProblem,
    ConfusionMatrix,
    confusion_matrix,
    decide_each,
    read_cases,
    write_cases_csv,
)
from ._bundle import Bundle, BundleError, DecisionConfig, check_case
from ._check import CheckReport, check_bundle, check_paths
from ._decision import SCHEMA, Decision, GroundedFact, decide_label
from ._engine import Engine, train_bundle
from ._learning import Example, NeuralProgram
from ._models import ModelQuality, NetworkReport, heldout_data, network_report
from ._ruletests import RuleTest, RuleTestResult, read_rule_tests, run_rule_tests
from ._workspace import HISTORY, RuleTestRun, RuleVersion, RuleWorkspace, SaveResult, unified_diff

__all__ = [
    "ABSTAIN",
    "CASE_FORMATS",
    "HISTORY",
    "SCHEMA",
    "BatchCase",
    "Bundle",
    "BundleError",
    "CaseOutcome",
    "CaseProblem",
    "CheckReport",
    "ConfusionMatrix",
    "Decision",
    "DecisionConfig",
    "Engine",
    "Example",
    "Explanation",
    "GroundedFact",
    "InputError",
    "ModelQuality",
    "NesyError",
    "NetworkReport",
    "NeuralProgram",
    "RuleTest",
    "RuleTestResult",
    "RuleTestRun",
    "RuleVersion",
    "RuleWorkspace",
    "SaveResult",
    "check_bundle",
    "check_case",
    "check_paths",
    "confusion_matrix",
    "decide_each",
    "decide_label",
    "heldout_data",
    "network_report",
    "read_cases",
    "read_rule_tests",
    "run_rule_tests",
    "train_bundle",
    "unified_diff",
    "write_cases_csv",
]
