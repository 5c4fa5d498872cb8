"""The console's entry script (AppTest): its pages, the default one, the bundle in the sidebar."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps.ui.app import PAGES

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESY_BUNDLE", str(ROOT / "examples" / "clinic"))
    at = AppTest.from_file(str(ROOT / "apps" / "ui" / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Diagnose"]  # the default page
    assert "**clinic** 1.0.0" in [markdown.value for markdown in at.sidebar.markdown]
    for script, title, _ in PAGES:
        assert (ROOT / "apps" / "ui" / script).is_file(), script
        at.switch_page(script)
        at.run()
        assert not at.exception, (script, at.exception)
        assert title in [heading.value for heading in at.title], script
