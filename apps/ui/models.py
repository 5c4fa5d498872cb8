"""Models: how good and how honest each network of the bundle is on held-out data.

For each neural predicate: accuracy, expected calibration error, log-loss and Brier score on
the held-out split of the bundle's ``train.py`` (data that neither training nor calibration
saw), before calibration (the bare network) and after (the model the rules read), with the
reliability diagram and the histogram of confidences, and what the saved model says of its
training (e.g. learned through the rules from sums, ``examples/digits/learn.py``). The numbers
are :func:`bridge.network_report`'s, computed once per bundle and model versions.

Test hooks: a container ``network-<name>`` per network (CSS class ``st-key-network-<name>``)
holding the metrics "Accuracy", "ECE", "Log-loss" and "Brier score" (after calibration,
with the change from before as the delta).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from apps.ui import _shared
from bridge import NesyError, NetworkReport, network_report

METRICS = (  # field, label, higher is better, what it says
    ("accuracy", "Accuracy", True, "the share of held-out samples whose most probable class "
                                   "is right"),
    ("ece", "ECE", False, "expected calibration error: how far confidence is from accuracy, "
                          "over 15 confidence bins (0 is honest)"),
    ("log_loss", "Log-loss", False, "the mean negative log-probability of the true class"),
    ("brier", "Brier score", False, "the mean squared error of the probabilities"),
)
STAGES = {"before": "before calibration", "after": "after calibration"}


@st.cache_data(show_spinner="Evaluating the networks on the held-out data...", max_entries=8)
def report(bundle: str, models: tuple[tuple[str, str], ...]) -> dict[str, NetworkReport]:
    """:func:`bridge.network_report` of the shared engine, once per bundle and model versions."""
    del bundle, models  # the cache key
    return network_report(_shared.engine())


def metrics_row(found: NetworkReport) -> None:
    columns = st.columns(len(METRICS))
    for column, (field, label, higher, meaning) in zip(columns, METRICS, strict=True):
        after = getattr(found.after.metrics, field)
        delta = None
        if found.before is not None:
            change = after - getattr(found.before.metrics, field)
            delta = f"{change:+.4f} vs before"
        column.metric(label, f"{after:.4f}", delta=delta,
                      delta_color="normal" if higher else "inverse", help=meaning)


def metrics_table(found: NetworkReport) -> None:
    rows = {label: [getattr(quality.metrics, field) if quality else None
                    for quality in (found.before, found.after)]
            for field, label, _, _ in METRICS}
    frame = pd.DataFrame(rows, index=list(STAGES.values())).T
    st.dataframe(frame, column_config={name: st.column_config.NumberColumn(format="%.4f")
                                       for name in frame.columns})


def _bins(found: NetworkReport) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for stage, quality in (("before", found.before), ("after", found.after)):
        if quality is None:
            continue
        bins = quality.reliability
        for i, count in enumerate(bins.counts):
            rows.append({"model": STAGES[stage], "bin": f"{bins.edges[i]:.2f}",
                         "low": bins.edges[i], "high": bins.edges[i + 1], "count": count,
                         "confidence": bins.confidence[i], "accuracy": bins.accuracy[i]})
    return pd.DataFrame(rows)


_MODEL_COLOUR = {"field": "model", "type": "nominal", "title": None,
                 "scale": {"domain": list(STAGES.values()), "range": ["#94a3b8", "#2563eb"]},
                 "legend": {"orient": "bottom"}}


def reliability_spec() -> dict[str, Any]:
    """Accuracy against confidence per bin (points sized by samples), with the diagonal."""
    unit = {"type": "quantitative", "scale": {"domain": [0, 1]}}
    x = {"field": "confidence", **unit, "title": "mean confidence in the bin"}
    y = {"field": "accuracy", **unit, "title": "accuracy in the bin"}
    return {
        "height": 320,
        "transform": [{"filter": "datum.count > 0"}],
        "layer": [
            {"data": {"values": [{"confidence": 0, "accuracy": 0},
                                 {"confidence": 1, "accuracy": 1}]},
             "mark": {"type": "line", "strokeDash": [4, 4], "color": "#64748b"},
             "encoding": {"x": x, "y": y}},
            {"mark": {"type": "line", "opacity": 0.6},
             "encoding": {"x": x, "y": y, "color": _MODEL_COLOUR}},
            {"mark": {"type": "circle", "opacity": 0.9},
             "encoding": {
                 "x": x, "y": y, "color": _MODEL_COLOUR,
                 "size": {"field": "count", "type": "quantitative", "title": "samples",
                          "scale": {"range": [30, 400]}, "legend": {"orient": "bottom"}},
                 "tooltip": [{"field": "model", "type": "nominal"},
                             {"field": "confidence", "type": "quantitative", "format": ".3f"},
                             {"field": "accuracy", "type": "quantitative", "format": ".3f"},
                             {"field": "count", "type": "quantitative"}]}},
        ],
    }


def histogram_spec() -> dict[str, Any]:
    """How many held-out samples fall in each confidence bin, before and after, side by side."""
    return {
        "height": 320,
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            "x": {"field": "bin", "type": "ordinal", "title": "top-class confidence (bin from)",
                  "axis": {"labelAngle": 0}},
            "xOffset": {"field": "model", "type": "nominal", "sort": list(STAGES.values())},
            "y": {"field": "count", "type": "quantitative", "title": "samples"},
            "color": _MODEL_COLOUR,
            "tooltip": [{"field": "model", "type": "nominal"},
                        {"field": "low", "type": "quantitative", "format": ".2f",
                         "title": "from"},
                        {"field": "high", "type": "quantitative", "format": ".2f",
                         "title": "to"},
                        {"field": "count", "type": "quantitative"}]},
    }


def training_text(training: Mapping[str, Any]) -> str:
    """What the model's metadata says of its training, as one line."""
    method = str(training.get("method", "as recorded"))
    details = [f"{key.replace('_', ' ')}: {value}" for key, value in training.items()
               if key != "method"]
    return method + (f" ({'; '.join(details)})" if details else "")


def network_section(found: NetworkReport) -> None:
    with st.container(key=f"network-{found.network}"):
        st.subheader(found.network, divider="gray")
        method = found.calibration or "none"
        st.caption(f"Classes {', '.join(found.classes)} · calibration: {method} · "
                   f"{found.samples} held-out samples · version {found.version[:12]}")
        if found.training:
            st.caption(f"Trained {training_text(found.training)}")
        metrics_row(found)
        frame = _bins(found)
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown("**Reliability diagram**")
            st.vega_lite_chart(frame, reliability_spec(), width="stretch", height=420)
            st.caption("Each point is a bin of held-out samples by the model's confidence in "
                       "its top class: on the dashed diagonal, a confidence of 0.8 is right "
                       "80% of the time.")
        with right:
            st.markdown("**Confidences**")
            st.vega_lite_chart(frame, histogram_spec(), width="stretch", height=420)
            st.caption("How sure the model is on the held-out samples.")
        with st.expander("All the numbers"):
            metrics_table(found)


def main() -> None:
    st.title("Models")
    bundle = _shared.bundle()
    st.caption(f"How good and how honest each network of the **{bundle.name}** bundle is, on "
               "held-out data that neither training nor calibration saw: before calibration "
               "(the bare network) and after (what the rules read).")
    if not bundle.networks:
        st.info("This bundle has no networks.")
        return
    engine = _shared.engine()
    models = tuple(sorted((name, str(net.version)) for name, net in engine.networks.items()))
    try:
        found = report(str(_shared.bundle_path()), models)
    except NesyError as exc:
        st.warning(f"No held-out evaluation: {exc}", icon=":material/warning:")
        return
    if not found:
        st.info("The bundle's held-out data covers none of its networks.")
    for network in found.values():
        network_section(network)


if __name__ == "__main__":
    main()
