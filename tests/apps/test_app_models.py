"""The Models page, headless (AppTest): its numbers are bridge.network_report's."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bridge import Engine, network_report

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "apps" / "ui" / "models.py")


@pytest.mark.parametrize("bundle", ["clinic", "digits"])
def test_the_numbers_are_the_report(monkeypatch: pytest.MonkeyPatch, bundle: str) -> None:
    monkeypatch.setenv("NESY_BUNDLE", str(ROOT / "examples" / bundle))
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    report = network_report(Engine.from_bundle(ROOT / "examples" / bundle))
    assert [s.value for s in at.subheader] == list(report)
    metrics = [(m.label, m.value) for m in at.metric]
    expected = []
    for found in report.values():
        after = found.after.metrics
        expected += [("Accuracy", f"{after.accuracy:.4f}"), ("ECE", f"{after.ece:.4f}"),
                     ("Log-loss", f"{after.log_loss:.4f}"),
                     ("Brier score", f"{after.brier:.4f}")]
    assert metrics == expected
    for found in report.values():
        assert found.before is not None
        delta = found.after.metrics.ece - found.before.metrics.ece
        assert any(m.label == "ECE" and m.proto.delta == f"{delta:+.4f} vs before"
                   for m in at.metric)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2 * len(report)  # a reliability diagram and a histogram each
    [table] = at.dataframe
    assert table.value.loc["ECE", "after calibration"] == pytest.approx(
        next(iter(report.values())).after.metrics.ece)
