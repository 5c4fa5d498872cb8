"""Batch: score a file of cases — decisions, referrals, problems, agreement with expectations.

The page reads a JSON Lines or CSV file (:func:`bridge.read_cases`), decides the cases in
batches with a progress bar (:func:`bridge.decide_each`: a bad case is reported with its
line and field, the others are decided), and shows the decisions, their spread, the
confusion matrix when the cases say what they expect, and the decisions to download as
JSON lines with their versions.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from apps.ui import _shared
from bridge import (
    ABSTAIN,
    Bundle,
    CaseOutcome,
    ConfusionMatrix,
    Engine,
    NesyError,
    confusion_matrix,
    decide_each,
    read_cases,
    write_cases_csv,
)

#: The session-state key of the file to score: ``(name, bytes)``. The uploader and the
#: example button set it; tests may set it directly.
SOURCE = "batch-source"
_RESULT = "batch-result"
_CHUNK = 128
_EXAMPLE = Path("cases") / "heldout.jsonl"


def main() -> None:
    st.title("Batch")
    bundle = _shared.bundle()
    st.caption("Score a file of cases with the bundle's rules and models. Cases the engine "
               "refuses are listed with their line and reason; every other case is decided.")
    _source(bundle)
    source = st.session_state.get(SOURCE)
    if source is None:
        st.info("Upload a file of cases, or take the bundle's example cases.",
                icon=":material/upload_file:")
        return
    name, data = source
    try:
        engine = _shared.engine()
    except NesyError as exc:
        st.error(f"The bundle cannot be loaded: {exc}")
        return
    outcomes = _decided(engine, name, data)
    if outcomes is None:
        return
    _report(engine, name, outcomes)


# ------------------------------------------------------------------ input


def file_format(name: str) -> str:
    """``"csv"`` for a ``.csv`` file, else ``"jsonl"``."""
    return "csv" if name.lower().endswith(".csv") else "jsonl"


def _source(bundle: Bundle) -> None:
    upload, example = st.columns([3, 1], vertical_alignment="center")
    upload.file_uploader("Cases file (JSON Lines or CSV)", type=["jsonl", "json", "csv"],
                         key="batch-upload", on_change=_uploaded)
    path = bundle.root / _EXAMPLE
    if path.is_file():
        example.button("Use the example cases", key="batch-example",
                       icon=":material/dataset:", on_click=_example, args=(str(path),),
                       help=f"{_EXAMPLE} of the bundle {bundle.name}", width="stretch")
    with st.expander("File formats", icon=":material/description:"):
        st.markdown(_formats(bundle))
        if path.is_file():
            cases = [json.loads(line) for line in path.read_text(encoding="utf-8")
                     .splitlines()[:3] if line.strip()]
            st.download_button("Download a CSV template (3 example cases)",
                               write_cases_csv(cases, bundle), file_name="cases.csv",
                               mime="text/csv", key="batch-template",
                               icon=":material/download:", on_click="ignore")


def _uploaded() -> None:
    file = st.session_state.get("batch-upload")
    st.session_state[SOURCE] = (file.name, file.getvalue()) if file is not None else None


def _example(path: str) -> None:
    st.session_state[SOURCE] = (Path(path).name, Path(path).read_bytes())


def _formats(bundle: Bundle) -> str:
    inputs = ", ".join(f"`{name}` ({' × '.join(map(str, spec.shape)) or 'any'} numbers)"
                       for name, spec in bundle.inputs.items()) or "none"
    record = ", ".join(f"`{name}` ({spec.type})" for name, spec in bundle.record.items())
    first = next(iter(bundle.inputs), "fna")
    labels = ", ".join(f"`{label}`" for label in bundle.decision.labels)
    return f"""
**JSON Lines** (`.jsonl`): one case a line, as `nesy decide --batch` reads them —
`{{"id": "case-1", "inputs": {{...}}, "record": {{...}}}}` — optionally with what the case
should be decided as: `"expected": {{"label": "{bundle.decision.labels[0]}"}}`
(`{{"abstained": true}}` for a referral).

**CSV** (`.csv`): a header row, then one case a row.
- `id`: the case id (required);
- one column per record field: {record or "none in this bundle"}; `true`/`false` for yes/no
  fields; an empty cell leaves an optional field out;
- per input — {inputs} — either one column holding a JSON array (`{first}` =
  `[12.46, 24.04, ...]`) or one column per number, `{first}.0`, `{first}.1`, ... in
  row-major order;
- optionally `expected`: one of {labels}, or `abstain` for a referral.

An unknown column is refused with its name.
"""


# ---------------------------------------------------------------- deciding


def _decided(engine: Engine, name: str, data: bytes) -> list[CaseOutcome] | None:
    """The outcomes of the file, computed once per file and rules version."""
    key = (hashlib.sha256(data).hexdigest(), engine.versions["rules"])
    found = st.session_state.get(_RESULT)
    if found is not None and found[0] == key:
        return list(found[1])
    try:
        cases = read_cases(data, file_format(name), engine.bundle)
    except NesyError as exc:
        st.error(f"{name} cannot be read: {exc}", icon=":material/error:")
        return None
    if not cases:
        st.warning(f"{name} holds no case.")
        return None
    bar = st.progress(0.0, text=f"Deciding {len(cases)} cases...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Decided {done} of {total} cases...")

    outcomes = decide_each(engine, cases, chunk_size=_CHUNK, progress=progress)
    bar.empty()
    st.session_state[_RESULT] = (key, tuple(outcomes))
    return outcomes


# ---------------------------------------------------------------- showing


def shown(label: str | None) -> str:
    """A label as the console writes it; a referral (:data:`bridge.ABSTAIN`) as one."""
    return _shared.pretty(None if label == ABSTAIN else label)


def decisions_table(outcomes: Sequence[CaseOutcome]) -> pd.DataFrame:
    """One row per decided case: its label or the referral, probability, alternatives."""
    rows = []
    for outcome in outcomes:
        decision = outcome.decision
        if decision is None:
            continue
        ranked = sorted(decision.alternatives.items(), key=lambda item: -item[1])
        alternatives = " · ".join(f"{shown(label)} {p:.2f}" for label, p in ranked
                                  if label != decision.decided)
        if decision.abstained:
            alternatives = f"would be {shown(decision.decided)}; {alternatives}"
        row: dict[str, object] = {"line": outcome.line, "case": decision.case,
                                  "decision": shown(outcome.decided),
                                  "probability": decision.probability,
                                  "alternatives": alternatives}
        if outcome.expected is not None:
            row["expected"] = shown(outcome.expected)
            row["as expected"] = outcome.expected == outcome.decided
        rows.append(row)
    return pd.DataFrame(rows)


def problems_table(outcomes: Sequence[CaseOutcome]) -> pd.DataFrame:
    """One row per case that was not decided: its line, id, field and reason."""
    return pd.DataFrame([{"line": o.line, "case": o.case_id or "",
                          "field": o.problem.field or "" if o.problem else "",
                          "problem": o.problem.message if o.problem else ""}
                         for o in outcomes if o.decision is None])


def confusion_table(matrix: ConfusionMatrix) -> pd.DataFrame:
    """The confusion matrix with readable row and column names."""
    return pd.DataFrame([list(row) for row in matrix.counts],
                        index=pd.Index([shown(e) for e in matrix.expected], name="expected"),
                        columns=pd.Index([shown(d) for d in matrix.decided], name="decided"))


def decisions_jsonl(outcomes: Sequence[CaseOutcome]) -> str:
    """The decisions as JSON lines (``Decision.to_dict()``, versions included)."""
    return "".join(json.dumps(o.decision.to_dict(), separators=(",", ":")) + "\n"
                   for o in outcomes if o.decision is not None)


def _report(engine: Engine, name: str, outcomes: list[CaseOutcome]) -> None:
    labels = engine.bundle.decision.labels
    decided = [o for o in outcomes if o.decision is not None]
    referred = sum(1 for o in decided if o.decided == ABSTAIN)
    problems = len(outcomes) - len(decided)
    matrix = confusion_matrix(outcomes, labels)
    st.subheader(name)
    columns = st.columns(5 if matrix else 4)
    columns[0].metric("Cases", len(outcomes))
    columns[1].metric("Decided", len(decided) - referred)
    columns[2].metric("Referred", referred,
                      help="The engine abstained: the best label was below the bundle's "
                           "abstain_below; a person decides.")
    columns[3].metric("Not decided", problems, help="Cases the engine refused (below).")
    if matrix is not None:
        columns[4].metric("As expected", f"{matrix.agreed / matrix.total:.0%}",
                          help=f"{matrix.agreed} of the {matrix.total} decided cases that say "
                               "what they expect (a referral counts when one is expected).")
    if problems:
        st.error(f"{problems} case{'s' if problems > 1 else ''} could not be decided; the "
                 "others were.", icon=":material/error:")
        st.dataframe(problems_table(outcomes), hide_index=True,
                     column_config={"line": st.column_config.NumberColumn("line", width="small"),
                                    "problem": st.column_config.TextColumn("problem",
                                                                           width="large")})
    if not decided:
        return
    names = ["Decisions", "Summary"] + (["Confusion matrix"] if matrix is not None else [])
    tabs = st.tabs(names)  # not ``shown``: that is the module's label function
    with tabs[0]:
        table = decisions_table(outcomes)
        st.dataframe(table, hide_index=True, column_config={
            "line": st.column_config.NumberColumn("line", width="small"),
            "probability": st.column_config.ProgressColumn(
                "probability", min_value=0.0, max_value=1.0, format="%.3f",
                help="The probability the rules give the decided label"),
            "as expected": st.column_config.CheckboxColumn("as expected", width="small")})
        st.download_button("Download decisions (JSON Lines)", decisions_jsonl(outcomes),
                           file_name=f"{Path(name).stem}.decisions.jsonl",
                           mime="application/jsonl", key="batch-download",
                           icon=":material/download:", on_click="ignore")
        st.caption("Each line is a decision as `nesy decide --batch` writes it: label, "
                   "probability, alternatives, facts with their sources, explanation and the "
                   "versions of rules, knowledge and models.")
    with tabs[1]:
        _summary(decided, labels)
    if matrix is not None:
        with tabs[2]:
            _confusion(matrix)


def _summary(decided: Sequence[CaseOutcome], labels: Sequence[str]) -> None:
    counts = Counter(shown(o.decided) for o in decided)
    order = [*map(shown, labels), _shared.REFER]
    left, right = st.columns(2)
    with left:
        st.markdown("**Decisions per label**")
        data = pd.DataFrame({"decision": order, "cases": [counts.get(x, 0) for x in order]})
        chart = alt.Chart(data).mark_bar().encode(
            x=alt.X("cases:Q", title="cases"),
            y=alt.Y("decision:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.condition(alt.datum.decision == _shared.REFER, alt.value("#f9ab00"),
                                alt.value("#1a73e8")),
            tooltip=["decision", "cases"]).properties(height=260)
        st.altair_chart(chart, width="stretch")
    with right:
        st.markdown("**Probability of the decided label**")
        probabilities = [o.decision.probability for o in decided if o.decision is not None]
        edges = np.linspace(0.0, 1.0, 11)
        histogram, _ = np.histogram(probabilities, bins=edges)
        data = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "cases": histogram})
        chart = alt.Chart(data).mark_bar().encode(
            x=alt.X("from:Q", bin="binned", title="probability",
                    scale=alt.Scale(domain=[0, 1])),
            x2="to:Q", y=alt.Y("cases:Q", title="cases"),
            tooltip=[alt.Tooltip("from:Q", format=".1f"), alt.Tooltip("to:Q", format=".1f"),
                     "cases"]).properties(height=260)
        st.altair_chart(chart, width="stretch")
    st.caption("Referred cases are those whose decided label the rules give less than the "
               "bundle's abstain_below: they go to a person.")


def _confusion(matrix: ConfusionMatrix) -> None:
    table = confusion_table(matrix)
    st.caption(f"Rows: what the {matrix.total} decided cases expect; columns: what the engine "
               "decided, referrals last. The diagonal is agreement.")
    long = table.reset_index().melt(id_vars="expected", var_name="decided", value_name="cases")
    base = alt.Chart(long).encode(
        x=alt.X("decided:N", sort=list(table.columns),
                axis=alt.Axis(labelAngle=0, orient="top", labelLimit=260)),
        y=alt.Y("expected:N", sort=list(table.index), axis=alt.Axis(labelLimit=260)))
    heat = base.mark_rect().encode(
        color=alt.Color("cases:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["expected", "decided", "cases"])
    text = base.mark_text(fontSize=14).encode(
        text="cases:Q",
        color=alt.condition(alt.datum.cases > max(1, int(table.values.max())) / 2,
                            alt.value("white"), alt.value("#202124")))
    st.altair_chart((heat + text).properties(height=60 * len(table) + 40), width="stretch")
    st.dataframe(table)


if __name__ == "__main__":
    main()
