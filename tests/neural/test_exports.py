"""The package's public names: sorted, present, and documented."""

from __future__ import annotations

import inspect

import neural


def test_all_is_sorted_and_exported() -> None:
    assert neural.__all__ == sorted(neural.__all__)
    for name in neural.__all__:
        assert hasattr(neural, name), name


def test_public_callables_have_docstrings() -> None:
    for name in neural.__all__:
        value = getattr(neural, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), name
