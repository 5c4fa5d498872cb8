"""The Prolog border: the only module that talks to SWI-Prolog (through pyswip).

pyswip is not thread-safe, so one thread owns the Prolog engine and every call
goes through it. Arguments cross as terms (atoms, numbers, lists), never as
Prolog source text; results come back as one text per call (bulk, cheap to
convert), which the callers parse.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from nesy.errors import NesyError

__all__ = ["EncodedTerm", "LogicVar", "PrologEngine", "encode_term", "engine"]

_PROLOG_DIR = Path(__file__).with_name("prolog")
_T = TypeVar("_T")


class PrologEngine:
    """Owns SWI-Prolog: one worker thread runs every call, in order.

    >>> text = engine().call("nesy_load", "nesy_doctest", "a. query(a).")
    >>> text.splitlines()[0]
    'K 1 0 1 fact'
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="nesy-prolog", daemon=True)
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._counter = 0
        self._closed = False
        self._lock = threading.Lock()
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            raise NesyError(f"cannot start SWI-Prolog: {self._start_error}") from self._start_error

    def _run(self) -> None:
        try:
            from pyswip import Functor, Prolog, Query
            from pyswip.core import PL_thread_attach_engine, PL_thread_self

            Prolog()
            if PL_thread_self() == -1:  # SWI-Prolog was started by another thread (code
                PL_thread_attach_engine(None)  # that imported pyswip first): get an engine
            use_module = Functor("use_module", 1)
            for name in ("nesy_program", "nesy_ground", "nesy_explain", "nesy_lint"):
                query: Any = Query(use_module(str(_PROLOG_DIR / name)))
                try:
                    query.nextSolution()
                finally:
                    query.closeQuery()
        except BaseException as exc:  # reported to the creating thread
            self._start_error = exc
            self._started.set()
            return
        self._started.set()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            function, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function())
            except BaseException as exc:
                future.set_exception(exc)

    def submit(self, function: Callable[[], _T]) -> _T:
        """Run ``function`` on the Prolog thread and return its result."""
        if threading.current_thread() is self._thread:
            return function()
        if self._closed or not self._thread.is_alive():
            # e.g. a program garbage-collected at exit after the engine shut down
            raise NesyError("the Prolog engine has shut down")
        future: Future[_T] = Future()
        self._jobs.put((function, future))
        return future.result()

    def call(self, name: str, *args: Any) -> str:
        """Call ``name(args..., Out)`` and return ``Out`` (a Prolog string) as text."""
        return self.submit(lambda: _call_text(name, args))

    def new_module(self, prefix: str = "nesy_p") -> str:
        """A fresh module name for a program."""
        with self._lock:
            self._counter += 1
            return f"{prefix}{self._counter}"

    def close(self) -> None:
        """Shut SWI-Prolog down from its own thread (quietly, unlike a cleanup elsewhere)."""
        if self._closed or not self._thread.is_alive():
            return
        from pyswip.core import PL_cleanup

        try:
            self.submit(lambda: PL_cleanup(0))
        finally:
            self._closed = True
            self._jobs.put(None)
            self._thread.join(timeout=5)


def _call_text(name: str, args: tuple[Any, ...]) -> str:
    from pyswip import Functor, Query, Variable

    out = Variable()
    variables: dict[str, Any] = {}
    goal = Functor(name, len(args) + 1)(*[_to_prolog(a, variables) for a in args], out)
    query: Any = Query(goal)
    try:
        if not query.nextSolution():
            raise NesyError(f"internal error: {name}/{len(args) + 1} failed")
        value = out.value
    finally:
        query.closeQuery()
    return value.decode() if isinstance(value, bytes) else str(value)


def _to_prolog(value: Any, variables: dict[str, Any]) -> Any:
    """Python values to pyswip terms: str → atom, numbers, lists, encoded terms, variables."""
    from pyswip import Functor, Variable

    if isinstance(value, EncodedTerm):
        args = [_to_prolog(a, variables) for a in value.args]
        return Functor(value.functor, len(value.args))(*args)
    if isinstance(value, LogicVar):
        if value.name not in variables:
            variables[value.name] = Variable()
        return variables[value.name]
    if isinstance(value, list | tuple):
        return [_to_prolog(v, variables) for v in value]
    if isinstance(value, float):  # pyswip cannot put floats: decoded by nesy_ground
        return Functor("$nesy_float", 1)(repr(value))
    if isinstance(value, str) and not value.isascii():
        return _utf8_atom(value)
    return value


def _utf8_atom(text: str) -> Any:
    """An atom of ``text`` read as UTF-8 (pyswip puts a str byte by byte, as Latin-1:
    "§" would become two characters and every offset after it would be off)."""
    from pyswip.core import PL_ATOM, REP_UTF8, PL_put_chars
    from pyswip.easy import Term

    data = text.encode("utf-8")
    term = Term()
    if not PL_put_chars(term.handle, PL_ATOM | REP_UTF8, len(data), data):
        raise NesyError("internal error: cannot pass a text to SWI-Prolog")
    return term


class EncodedTerm:
    """A compound term to build on the Prolog side, argument by argument."""

    __slots__ = ("args", "functor")

    def __init__(self, functor: str, args: list[Any]) -> None:
        self.functor = functor
        self.args = args


class LogicVar:
    """A named logic variable; the same name is the same variable within one call."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def encode_term(functor: str, *args: Any) -> EncodedTerm:
    """Build ``functor(args...)`` as a term, never as source text."""
    return EncodedTerm(functor, list(args))


_ENGINE: PrologEngine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> PrologEngine:
    """The process's Prolog engine, started on first use."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = PrologEngine()
            atexit.register(_ENGINE.close)
        return _ENGINE
