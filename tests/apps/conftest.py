"""What the console's AppTest tests share: a page of the console, opened headless."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "apps" / "ui"
CLINIC = ROOT / "examples" / "clinic"


@pytest.fixture
def open_page(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``open_page("batch.py")``: the page on a bundle (the clinic's by default), run once
    and without an exception."""

    def open_(script: str, bundle: Path = CLINIC, timeout: float = 120) -> AppTest:
        monkeypatch.setenv("NESY_BUNDLE", str(bundle))
        at = AppTest.from_file(str(UI / script), default_timeout=timeout).run()
        assert not at.exception
        return at

    return open_
