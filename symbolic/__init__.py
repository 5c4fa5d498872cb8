"""The logic language: ProbLog programs grounded in SWI-Prolog, compiled to BDDs.

>>> from symbolic import Program
>>> Program.from_string("0.5::a. 0.5::b. c :- a, b. query(c).").query()
{'c': 0.25}
"""

from nesy.errors import (
    InconsistentEvidenceError,
    InferenceLimitError,
    InputError,
    NesyError,
    ProgramError,
    RuleSyntaxError,
)

from ._check import (
    CODES,
    Diagnostic,
    ProgramCheck,
    check_file,
    check_files,
    check_path,
    check_program,
    check_string,
)
from ._circuit import Circuit
from ._compile import Parameter
from ._explain import (
    Explanation,
    Fact,
    Influence,
    Node,
    Obstacle,
    Proof,
    Source,
    Step,
    WhyNot,
)
from ._limits import Limits
from ._program import CompiledQuery, FactTable, NeuralDeclaration, Program
from ._rules import Rule
from ._terms import Term, Var, format_term, parse_term

__all__ = [
    "CODES",
    "Circuit",
    "CompiledQuery",
    "Diagnostic",
    "Explanation",
    "Fact",
    "FactTable",
    "InconsistentEvidenceError",
    "InferenceLimitError",
    "Influence",
    "InputError",
    "Limits",
    "NesyError",
    "NeuralDeclaration",
    "Node",
    "Obstacle",
    "Parameter",
    "Program",
    "ProgramCheck",
    "ProgramError",
    "Proof",
    "Rule",
    "RuleSyntaxError",
    "Source",
    "Step",
    "Term",
    "Var",
    "WhyNot",
    "check_file",
    "check_files",
    "check_path",
    "check_program",
    "check_string",
    "format_term",
    "parse_term",
]
