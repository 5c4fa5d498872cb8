"""network_report: the bundles' networks on their held-out data, before and after calibration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge import BundleError, Engine, heldout_data, network_report
from neural import evaluate, expected_calibration_error

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["clinic", "digits"])
def test_the_report_is_neural_evaluate_on_the_heldout_split(name: str) -> None:
    engine = Engine.from_bundle(ROOT / "examples" / name)
    report = network_report(engine)
    assert set(report) == set(engine.networks)
    heldout = heldout_data(engine.bundle)
    for network, found in report.items():
        X, y = heldout[network]
        model = engine.networks[network].model
        assert found.after.metrics == evaluate(model, X, y)
        assert found.before is not None and found.before.metrics == evaluate(model.model, X, y)
        assert found.calibration == model.method and found.samples == len(y)
        for quality, scored in ((found.before, model.model), (found.after, model)):
            bins = quality.reliability
            assert sum(bins.counts) == len(y)
            assert bins.ece == pytest.approx(quality.metrics.ece, abs=1e-12)
            probabilities = scored.predict_proba(X)
            classes = list(scored.classes_)
            assert bins.ece == pytest.approx(expected_calibration_error(
                [classes.index(v) for v in y], probabilities), abs=1e-12)
        data = json.loads(json.dumps(found.to_dict()))
        assert data["after"]["ece"] == found.after.metrics.ece
        assert len(data["after"]["reliability"]["counts"]) == 15


def test_a_bundle_without_train_py_has_no_heldout_data(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    (bundle / "rules").mkdir(parents=True)
    (bundle / "rules" / "r.pl").write_text("go(yes).\n")
    (bundle / "bundle.toml").write_text('[bundle]\nname = "b"\n[decision]\nquery = "go"\n'
                                        'labels = ["yes"]\n')
    engine = Engine.from_bundle(bundle)
    with pytest.raises(BundleError, match=r"no train\.py"):
        network_report(engine)
