"""Terms built from Python values, sent to Prolog as terms, never as source text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from nesy.errors import InputError

from ._prolog import EncodedTerm, LogicVar, encode_term

__all__ = ["Term", "Var", "format_term"]

_PLAIN_ATOM = re.compile(r"[a-z][a-zA-Z0-9_]*\Z")
_SYMBOL_ATOM = re.compile(r"[+\-*/\\^<>=~:.?@#&$]+\Z")
_SOLO_ATOMS = {"[]", "!", ";", "{}", ","}


@dataclass(frozen=True)
class Var:
    """A logic variable in a :class:`Term`; equal names are the same variable."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, init=False)
class Term:
    """A compound term or an atom, with atoms, numbers, Vars or Terms as arguments.

    Strings are atoms, whatever they hold: ``Term("p", "x), halt, (y")`` is the
    atom ``'x), halt, (y'`` inside ``p/1``.

    >>> str(Term("edge", "a", "New York", 3))
    "edge(a,'New York',3)"
    """

    functor: str
    args: tuple[Any, ...]

    def __init__(self, functor: str, *args: Any) -> None:
        if not isinstance(functor, str) or not functor:
            raise InputError(f"a term's functor must be a non-empty string, not {functor!r}")
        for arg in args:
            _check_arg(arg)
        object.__setattr__(self, "functor", functor)
        object.__setattr__(self, "args", tuple(args))

    def __str__(self) -> str:
        return format_term(self)

    def encode(self) -> EncodedTerm | str:
        """The term for the Prolog border, built there argument by argument."""
        if not self.args:
            return self.functor
        return encode_term(self.functor, *[_encode(a) for a in self.args])


def _check_arg(arg: Any) -> None:
    if isinstance(arg, bool) or not isinstance(arg, str | int | float | Var | Term | list):
        raise InputError(f"a term argument must be a str, int, float, Var, Term or list: {arg!r}")
    if isinstance(arg, float) and not math.isfinite(arg):
        raise InputError(f"a term argument must be a finite number, not {arg!r}")
    if isinstance(arg, list):
        for item in arg:
            _check_arg(item)


def _encode(arg: Any) -> Any:
    if isinstance(arg, Term):
        return arg.encode()
    if isinstance(arg, Var):
        return LogicVar(arg.name)
    if isinstance(arg, list):
        return [_encode(a) for a in arg]
    return arg


def format_term(value: Any) -> str:
    """Write a value as ProbLog writes terms: ``p(a,'B c',[1, 2])``."""
    if isinstance(value, Term):
        if not value.args:
            return _quote(value.functor)
        return f"{_quote(value.functor)}({','.join(format_term(a) for a in value.args)})"
    if isinstance(value, list):
        return "[" + ", ".join(format_term(v) for v in value) + "]"
    if isinstance(value, str):
        return _quote(value)
    return str(value)


def _quote(atom: str) -> str:
    if _PLAIN_ATOM.match(atom) or _SYMBOL_ATOM.match(atom) or atom in _SOLO_ATOMS:
        return atom
    escaped = atom.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"
