"""Layers point one way (apps -> bridge -> {neural, symbolic, knowledge}); exports are checked."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["nesy", "symbolic", "knowledge", "neural", "bridge", "apps"]
ALLOWED = {
    "nesy": set(),
    "symbolic": {"nesy"},
    "knowledge": {"nesy"},
    "neural": {"nesy"},
    "bridge": {"nesy", "symbolic", "knowledge", "neural"},
    "apps": {"nesy", "symbolic", "knowledge", "neural", "bridge"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_arrows(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        wrong = (_imports(path) & set(PACKAGES)) - ALLOWED[package] - {package}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)} against the arrows"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_imports_and_all_is_accurate(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names missing {name}"
    for path in (ROOT / package).rglob("*.py"):
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        importlib.import_module(dotted.removesuffix(".__init__"))


def test_heavy_dependencies_live_in_one_place() -> None:
    for path in ROOT.joinpath("symbolic").rglob("*.py"):
        if path.name != "_prolog.py":
            source = path.read_text(encoding="utf-8")
            assert "import pyswip" not in source and "from pyswip" not in source, path
