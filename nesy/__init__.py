"""What every layer of nesy shares: the exception tree (:mod:`nesy.errors`)."""

from nesy.errors import (
    InconsistentEvidenceError,
    InferenceLimitError,
    InputError,
    KnowledgeError,
    Location,
    NesyError,
    ProgramError,
    RuleSyntaxError,
)

__version__ = "0.1.0"

__all__ = [
    "InconsistentEvidenceError",
    "InferenceLimitError",
    "InputError",
    "KnowledgeError",
    "Location",
    "NesyError",
    "ProgramError",
    "RuleSyntaxError",
    "__version__",
]
