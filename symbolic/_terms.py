"""Terms built from Python values, sent to Prolog as terms, never as source text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from nesy.errors import InputError

from ._prolog import EncodedTerm, LogicVar, encode_term

__all__ = ["Term", "Var", "format_term", "parse_term"]

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


_TOKEN = re.compile(r"""\s*(?:
    (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<atom>[a-z][a-zA-Z0-9_]*)
  | '(?P<quoted>(?:[^'\\]|\\.)*)'
  | (?P<punct>[(),\[\]])
)""", re.VERBOSE)


def parse_term(text: str) -> Term:
    """A ground atom or compound term written as :func:`format_term` writes it.

    Arguments are atoms (plain or quoted), numbers, lists and compound terms; no
    variables, no operators. The inverse of :func:`format_term` on such terms.

    >>> parse_term("has_risk_factor(p002,'BRCA 1',0.7)")
    Term(functor='has_risk_factor', args=('p002', 'BRCA 1', 0.7))
    """
    if not isinstance(text, str):
        raise InputError(f"a term must be written as a str, not {type(text).__name__}")
    tokens = _tokens(text)
    position = 0

    def take() -> tuple[str, str]:
        nonlocal position
        if position == len(tokens):
            raise InputError(f"{text!r} is not a ground term: it ends too early")
        position += 1
        return tokens[position - 1]

    def peek() -> str | None:
        return tokens[position][1] if position < len(tokens) and \
            tokens[position][0] == "punct" else None

    def argument() -> Any:
        kind, value = take()
        if kind == "number":
            return float(value) if any(c in value for c in ".eE") else int(value)
        if kind == "punct" and value == "[":
            items: list[Any] = []
            if peek() == "]":
                take()
                return items
            while True:
                items.append(argument())
                _, closing = take()
                if closing == "]":
                    return items
                if closing != ",":
                    raise InputError(f"{text!r} is not a ground term: expected , or ]")
        if kind == "punct":
            raise InputError(f"{text!r} is not a ground term: unexpected {value!r}")
        if peek() == "(":
            return compound(value)
        return value

    def compound(functor: str) -> Term:
        take()  # (
        args = [argument()]
        while True:
            _, punct = take()
            if punct == ")":
                return Term(functor, *args)
            if punct != ",":
                raise InputError(f"{text!r} is not a ground term: expected , or )")
            args.append(argument())

    kind, value = take()
    if kind not in ("atom", "quoted"):
        raise InputError(f"{text!r} is not a ground term: it must start with a name")
    term = compound(value) if peek() == "(" else Term(value)
    if position != len(tokens):
        raise InputError(f"{text!r} is not a ground term: text after the term")
    return term


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InputError(f"{text!r} is not a ground term: cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)
        tokens.append((kind, value))
        position = match.end()
    return tokens
