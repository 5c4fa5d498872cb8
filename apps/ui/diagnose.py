"""Diagnose: decide one case and see why.

A case comes from the bundle (its example and held-out cases), from a form built from the
bundle's input schema (record fields, measurements, images) or as pasted JSON. **Decide**
asks the shared engine; the page then shows the decision (or the referral to a person),
what the networks read, every fact the rules were given with its source, the proofs as a
graph, each fact's influence, why not the runner-up, and what-if sliders that decide again
from the cached circuit as you move them.

Test hooks (widget keys; in the browser a widget or container with key ``k`` has the CSS
class ``st-key-k``): the case source ``source`` ("Bundled case", "Enter a case", "Paste
JSON"), the case ``case``, the **Decide** button ``decide``; the form's ``form.template``,
``form.id``, ``form.record.<field>``, ``form.inputs.<input>.<i>``, ``form.upload.<input>``;
the JSON box ``json.text``. The decision card ``#nesy-decision`` (``data-label``, empty when
referred, ``data-decided``, ``data-abstained``, ``data-probability``); the bars
``#nesy-alternatives`` (rows with ``data-label``), ``#nesy-network-<input>`` (``data-class``)
and ``#nesy-influence`` (``data-fact``); the table ``#nesy-facts`` (rows with ``data-fact``
and ``data-kind``); the sections ``given``, ``proofs``, ``influence``, ``why-not`` and
``what-if``; what-if sliders ``whatif.<fact>``, the button ``whatif.reset``, the metrics
"What-if decision" and "What-if probability" and the bars ``#nesy-what-if``.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from apps.render import describe_source, render_dot
from apps.ui import _html, _shared
from bridge import Bundle, Decision, Engine, NesyError

SOURCES = ("Bundled case", "Enter a case", "Paste JSON")
WHAT_IF_FACTS = 5  # sliders: the most influential facts that take a probability
INFLUENCE_ROWS = 12
PAINT_PAUSE = 0.04  # seconds between the decision and its graph, on the run that decides
POLICIES = {
    "most_probable": "the most probable label",
    "threshold": "the first label over its threshold",
    "expected_cost": "the label whose errors cost least",
}
IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]


# ------------------------------------------------------------------------------ the case


class CaseError(Exception):
    """What the user entered cannot become a case (said on the page, not raised)."""


def _case_title(case_id: str, case: Mapping[str, Any]) -> str:
    expected = case.get("expected")
    if not isinstance(expected, Mapping):
        return case_id
    if expected.get("abstained"):
        return f"{case_id} · expected: refer"
    return f"{case_id} · expected: {_shared.pretty(expected.get('label'))}"


def _without_expected(case: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in case.items() if key != "expected"}


def bundled_case(cases: Mapping[str, Mapping[str, Any]], bundle: Bundle) -> dict[str, Any]:
    """A case of the bundle, chosen by id (the example cases first)."""
    ids = list(cases)
    choice = st.selectbox("Case", ids, key="case",
                          format_func=lambda i: _case_title(i, cases[i]),
                          help="The bundle's example cases (cases/*.json), then its held-out "
                               "cases (cases/heldout.jsonl).")
    case = cases[choice]
    _preview(case, bundle)
    return _without_expected(case)


def _preview(case: Mapping[str, Any], bundle: Bundle) -> None:
    record = case.get("record") or {}
    if record:
        st.markdown(" · ".join(f"**{escape(name.replace('_', ' '))}** "
                               f"{escape(_shown(value))}" for name, value in record.items()))
    images = [(name, case["inputs"][name]) for name, spec in bundle.inputs.items()
              if len(spec.shape) == 2 and name in case.get("inputs", {})]
    if images:
        columns = st.columns(max(4, len(images)))
        for column, (name, values) in zip(columns, images, strict=False):
            column.image(_picture(np.asarray(values, dtype=float), _shared.input_range(name)),
                         caption=name, width=96)
    for name, spec in bundle.inputs.items():
        values = case.get("inputs", {}).get(name)
        if len(spec.shape) == 1 and values is not None:
            with st.expander(f"Input {name}: {spec.shape[0]} values, read by {spec.network}"):
                frame = pd.DataFrame([list(values)],
                                     columns=[f"{name}[{i}]" for i in range(len(values))])
                st.dataframe(frame, hide_index=True)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _picture(values: np.ndarray, value_range: tuple[float, float], size: int = 96
             ) -> np.ndarray:
    """A small grey image scaled up (nearest neighbour) for the screen, values in [0, 1]."""
    low, high = value_range
    scaled = np.clip((values - low) / ((high - low) or 1.0), 0.0, 1.0)
    factor = max(1, size // max(scaled.shape))
    return np.kron(scaled, np.ones((factor, factor)))


def read_image(data: bytes, shape: tuple[int, ...], value_range: tuple[float, float],
               dark_ground: bool = True) -> np.ndarray:
    """An uploaded picture as an input: grey, resized to ``shape``, scaled to the range.

    With ``dark_ground`` (the bundle's images are light strokes on a dark ground, as
    scikit-learn's digits are), a picture with a light border (dark ink on paper) is
    inverted; without, a picture with a dark border is. Transparent pixels count as paper.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise CaseError(f"cannot read the picture: {exc}") from exc
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image)
    height, width = shape
    grey = image.convert("L")
    if grey.size != (width, height):
        grey = grey.resize((width, height), Image.Resampling.BOX)
    pixels = np.asarray(grey, dtype=np.float64) / 255.0
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if (border.mean() > 0.5) == dark_ground:
        pixels = 1.0 - pixels
    low, high = value_range
    return low + pixels * (high - low)


def _load_template(case: Mapping[str, Any], bundle: Bundle) -> None:
    """Put a case's values into the form's widgets (before they are drawn)."""
    state = st.session_state
    state["form.id"] = f"{case.get('id', 'case')}-edited"
    record = case.get("record") or {}
    for name, spec in bundle.record.items():
        value = record.get(name)
        key = f"form.record.{name}"
        if spec.type == "bool":
            state[key] = bool(value)
        elif spec.type == "int":
            state[key] = int(value) if isinstance(value, int | float) else 0
        elif spec.type == "float":
            state[key] = float(value) if isinstance(value, int | float) else 0.0
        else:
            state[key] = str(value) if value is not None else ""
    for name, input_spec in bundle.inputs.items():
        values = (case.get("inputs") or {}).get(name)
        if len(input_spec.shape) == 1 and values is not None:
            for i, value in enumerate(values):
                state[f"form.inputs.{name}.{i}"] = float(value)


def entered_case(cases: Mapping[str, Mapping[str, Any]], bundle: Bundle) -> dict[str, Any]:
    """A case from the form: record fields by type, measurements, uploaded pictures."""
    ids = list(cases)
    template_id = st.selectbox("Start from", ids, key="form.template",
                               format_func=lambda i: _case_title(i, cases[i]),
                               help="The form starts with this case's values.") if ids else None
    template: Mapping[str, Any] = cases[template_id] if template_id is not None else {}
    if st.session_state.get("form.loaded") != template_id:
        _load_template(template, bundle)
        st.session_state["form.loaded"] = template_id
    st.text_input("Case id", key="form.id")
    record: dict[str, Any] = {}
    if bundle.record:
        st.markdown("**Record**")
        columns = st.columns(min(3, len(bundle.record)))
        for i, (name, spec) in enumerate(bundle.record.items()):
            with columns[i % len(columns)]:
                value = _record_widget(name, spec.type)
            if spec.required or value not in ("", None):  # an optional field left empty
                record[name] = value
    inputs: dict[str, Any] = {}
    for name, input_spec in bundle.inputs.items():
        template_values = (template.get("inputs") or {}).get(name)
        if len(input_spec.shape) == 1:
            with st.expander(f"Input {name}: {input_spec.shape[0]} values, read by "
                             f"{input_spec.network}"):
                grid = st.columns(5)
                inputs[name] = [grid[i % 5].number_input(
                    f"{name}[{i}]", key=f"form.inputs.{name}.{i}", format="%g",
                    step=None) for i in range(input_spec.shape[0])]
        elif len(input_spec.shape) == 2:
            inputs[name] = _image_widget(name, input_spec.shape, template_values)
        else:
            if template_values is None:
                raise CaseError(f"input {name} (shape {list(input_spec.shape)}): paste the case "
                                "as JSON")
            st.caption(f"Input {name} (shape {list(input_spec.shape)}): the template's values; "
                       "paste JSON to change them.")
            inputs[name] = template_values
    return {"id": st.session_state["form.id"] or "case", "inputs": inputs, "record": record}


def _record_widget(name: str, kind: str) -> Any:
    key = f"form.record.{name}"
    label = name.replace("_", " ")
    if kind == "bool":
        return st.checkbox(label, key=key)
    if kind == "int":
        return int(st.number_input(label, key=key, step=1))
    if kind == "float":
        return float(st.number_input(label, key=key, format="%g"))
    if kind == "entity":
        options = dict(_shared.entity_options(name))
        current = st.session_state.get(key)
        if current and current not in options:
            options[current] = ""
        if not options:
            return st.text_input(label, key=key)
        if not current:
            st.session_state[key] = next(iter(options))
        return st.selectbox(label, list(options), key=key,
                            format_func=lambda atom: f"{atom} · {options[atom]}"
                            if options.get(atom) else atom,
                            help="The entities of the knowledge graph this field can name.")
    return st.text_input(label, key=key)


def _image_widget(name: str, shape: tuple[int, ...], template: Any) -> Any:
    value_range = _shared.input_range(name)
    left, right = st.columns([3, 1])
    upload = left.file_uploader(f"Picture for {name}", type=IMAGE_TYPES,
                                key=f"form.upload.{name}", max_upload_size=10,
                                help=f"Any size: it is made grey, resized to {shape[1]}×"
                                     f"{shape[0]} and scaled to {value_range[0]:g}.."
                                     f"{value_range[1]:g}.")
    if upload is not None:
        values = read_image(upload.getvalue(), shape, value_range, _shared.dark_ground(name))
        right.image(_picture(values, value_range), caption=f"{name} as read", width=96)
        return values.tolist()
    if template is None:
        raise CaseError(f"upload a picture for {name}")
    right.image(_picture(np.asarray(template, dtype=float), value_range),
                caption=f"{name} (from the case)", width=96)
    return template


def _insert_example(cases: Mapping[str, Mapping[str, Any]]) -> None:
    first = next(iter(cases.values()), None)
    if first is not None:
        st.session_state["json.text"] = json.dumps(_without_expected(first))


def pasted_case(cases: Mapping[str, Mapping[str, Any]]) -> Any:
    """A case pasted as JSON (as ``nesy decide`` reads it)."""
    text = st.text_area("Case JSON", key="json.text", height=200,
                        placeholder='{"id": "case-1", "inputs": {...}, "record": {...}}',
                        help="A case as the Python API and `nesy decide` take it.")
    st.button("Insert an example", key="json.example", on_click=_insert_example,
              args=(cases,), icon=":material/content_paste:")
    if not text or not text.strip():
        raise CaseError("paste a case as JSON first")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(f"that is not valid JSON: {exc.msg} (line {exc.lineno}, column "
                        f"{exc.colno})") from exc


# ---------------------------------------------------------------------------- deciding


def _what_if_keys() -> list[str]:
    return [key for key in st.session_state if str(key).startswith("whatif.")]


def _reset_what_if() -> None:
    result = st.session_state.get("result")
    for key in _what_if_keys():
        del st.session_state[key]
    if result is not None:
        for fact in _shared.engine().what_if_facts(result["decision"], WHAT_IF_FACTS):
            st.session_state[f"whatif.{fact.fact}"] = fact.probability


def decide(engine: Engine, case: Any, bundle: Bundle) -> None:
    """Decide ``case`` and keep the result for the page (an error is shown, not raised)."""
    start = time.perf_counter()
    try:
        decision = engine.decide(case)
    except NesyError as exc:
        st.session_state.pop("result", None)
        st.error(f"The engine cannot decide this case: {exc}", icon=":material/error:")
        return
    elapsed = (time.perf_counter() - start) * 1000
    st.session_state["result"] = {"decision": decision, "case": case, "ms": elapsed,
                                  "bundle": bundle, "fresh": True}
    _reset_what_if()


# ----------------------------------------------------------------------------- showing


def decision_card(decision: Decision, bundle: Bundle) -> None:
    """The decided label, or the referral to a person, with its probability and the policy.

    ``#nesy-decision`` with ``data-label`` (empty when referred), ``data-decided``,
    ``data-abstained`` and ``data-probability``.
    """
    config = bundle.decision
    chosen = _shared.pretty(decision.decided)
    if decision.abstained:
        kind, title = "refer", _shared.REFER
        meta = (f"The rules are not sure enough: the best option has p = "
                f"<b>{decision.probability:.4f}</b>, below {config.abstain_below:g}. "
                f"A clinician or other expert should decide. The policy would have chosen "
                f"<b>{escape(chosen)}</b>.")
    else:
        kind, title = "ok", chosen
        meta = f"p = <b>{decision.probability:.4f}</b>"
        if config.abstain_below:
            meta += f" · refers to a person below {config.abstain_below:g}"
    meta += f"<br/>Policy: {escape(POLICIES.get(config.policy, config.policy))}."
    st.html(_html.card(kind, f"Decision · {decision.case}", title, meta, "nesy-decision", {
        "label": decision.label or "", "decided": decision.decided or "",
        "abstained": str(decision.abstained).lower(),
        "probability": f"{decision.probability:.6f}"}))


def ranked_labels(decision: Decision, bundle: Bundle) -> list[str]:
    """The bundle's labels, most probable first (ties in the bundle's order)."""
    return sorted(bundle.decision.labels, key=lambda label: -decision.alternatives[label])


def _label_bars(decision: Decision, labels: Iterable[str], element_id: str) -> str:
    """The labels' probabilities as bars (rows with ``data-label``); the decided one stands
    out."""
    return _html.bars([_html.Bar(_shared.pretty(label), decision.alternatives[label],
                                 top=label == decision.decided, data={"label": label})
                       for label in labels], element_id)


def alternatives(decision: Decision, bundle: Bundle) -> None:
    """Every label's probability, most probable first (the decided one stands out)."""
    ranked = ranked_labels(decision, bundle)
    shown = ranked if len(ranked) <= 8 else [
        label for label in ranked
        if decision.alternatives[label] >= 1e-3 or label == decision.decided][:8]
    st.markdown(f"**All labels** · P({escape(bundle.decision.query)}(label))")
    st.html(_label_bars(decision, shown, "nesy-alternatives"))
    hidden = len(ranked) - len(shown)
    if hidden:
        st.caption(f"{hidden} other labels have p < 0.001.")


def network_outputs(engine: Engine, case: Mapping[str, Any], bundle: Bundle) -> None:
    """What each network reads from each input: its class probabilities."""
    inputs = case.get("inputs") or {}
    columns = st.columns(2, gap="large")
    for i, (name, spec) in enumerate(bundle.inputs.items()):
        network = engine.networks[spec.network]
        array = np.asarray(inputs[name], dtype=np.float64)
        probabilities = network.facts(array[None, ...], ids=[name])[0].probabilities
        values = [float(probabilities.get(label, 0.0)) for label in network.domain]
        best = int(np.argmax(values))
        rows = [_html.Bar(str(label), value, top=j == best, data={"class": str(label)})
                for j, (label, value) in enumerate(zip(network.domain, values, strict=True))]
        with columns[i % 2]:
            st.markdown(f"**{escape(spec.network)}** reads **{escape(name)}**")
            html = _html.bars(rows, f"nesy-network-{name}")
            if len(spec.shape) == 2:
                picture, chart = st.columns([1, 4])
                picture.image(_picture(array, _shared.input_range(name)), width=80)
                chart.html(html)
            else:
                st.html(html)


def facts_table(decision: Decision) -> None:
    """Every fact the rules were given, its probability and where it came from."""
    order = {"case": 0, "knowledge": 1, "neural": 2}
    facts = sorted(decision.facts, key=lambda f: order.get(str(f.source.get("kind")), 3))
    counts = Counter(str(fact.source.get("kind")) for fact in facts)
    words = {"case": "from the record", "knowledge": "from the knowledge graph",
             "neural": "from the networks"}
    st.markdown(f"**{len(facts)} facts**: " + ", ".join(
        f"{count} {words.get(kind, kind)}" for kind, count in counts.items()))
    st.html(_html.facts_table(facts))


def explanation_graph(decision: Decision) -> None:
    """The proofs of the decided label as a graph."""
    explanation = decision.explanation
    if explanation is None:
        st.info("No explanation came with this decision.")
        return
    st.html(_html.legend())
    st.graphviz_chart(render_dot(explanation), width="content")
    if not explanation.complete:
        st.caption("The proof search stopped at its budget: more proofs may exist.")


def influence_chart(decision: Decision) -> None:
    """dP/dp of the decided label for each fact, signed, largest first."""
    explanation = decision.explanation
    items = [item for item in (explanation.influence if explanation else ())
             if abs(item.value) > 1e-12][:INFLUENCE_ROWS]
    if explanation is None or not items:
        st.info("No fact moves this decision.")
        return
    st.html(_html.bars([_html.Bar(item.fact, item.value, code=True, data={
        "fact": item.fact, "kind": item.source.kind, "p": f"{item.probability:.6g}"})
        for item in items], "nesy-influence", signed=True, digits=3))
    st.caption(f"dP({explanation.query})/dp for each fact: how much the decided label's "
               "probability moves per unit of the fact's. Green raises it, red lowers it.")


def _p(probability: float) -> str:
    """A probability to four places, or in scientific notation below 0.0001."""
    return f"{probability:.4f}" if probability == 0 or probability >= 1e-4 else \
        f"{probability:.2e}"


def runner_up(decision: Decision, bundle: Bundle) -> str | None:
    """The most probable label other than the decided one."""
    return next((label for label in ranked_labels(decision, bundle)
                 if label != decision.decided), None)


def _obstacle(goal: str, probability: float, rule: Any, failed: bool) -> str:
    where = ""
    if rule is not None:
        where = f" — rule `{rule.id}`: {escape(rule.text)}"
        if rule.source:
            where += f" <small>({escape(rule.source)})</small>"
    chance = "fails in every world" if failed else f"p = {_p(probability)}"
    return f"- `{goal}` · {chance}{where}"


def why_not(decision: Decision) -> None:
    """Why not the runner-up: what failed outright and the weakest sub-goals."""
    found = decision.why_not
    if found is None:
        st.info("There is no other label.")
        return
    st.markdown(f"`{found.query}` has p = **{_p(found.probability)}**.")
    if found.failed:
        st.markdown("**Failed outright**\n\n" + "\n".join(
            _obstacle(o.goal, o.probability, o.rule, True) for o in found.failed),
            unsafe_allow_html=True)
    if found.weakest:
        st.markdown("**Least probable sub-goals**\n\n" + "\n".join(
            _obstacle(o.goal, o.probability, o.rule, False) for o in found.weakest),
            unsafe_allow_html=True)
    if not found.failed and not found.weakest:
        st.caption("Nothing in particular holds it back.")


@st.fragment
def what_if(engine: Engine) -> None:
    """Sliders over the most influential facts; each move decides again at once."""
    result = st.session_state.get("result")
    if result is None:
        return
    decision: Decision = result["decision"]
    bundle: Bundle = result["bundle"]
    facts = engine.what_if_facts(decision, WHAT_IF_FACTS)
    if not facts:
        st.info("No fact of this decision takes a probability.")
        return
    left, right = st.columns(2, gap="large")
    changes: dict[str, float] = {}
    with left:
        for fact in facts:
            key = f"whatif.{fact.fact}"
            if key not in st.session_state:
                st.session_state[key] = fact.probability
            value = st.slider(fact.fact, 0.0, 1.0, step=0.01, format="%.3f", key=key,
                              help=f"{fact.source.get('kind')}: {describe_source(fact.source)}"
                                   f" (now {fact.probability:.4f})")
            if abs(value - fact.probability) > 1e-9:
                changes[fact.fact] = float(value)
        st.button("Reset", key="whatif.reset", on_click=_reset_what_if,
                  icon=":material/restart_alt:")
    with right:
        if not changes:
            changed = decision
        else:
            record = result["case"].get("record") if isinstance(result["case"], Mapping) \
                else None
            try:
                changed = engine.what_if(decision, record, changes)
            except NesyError as exc:
                st.error(str(exc))
                return
        label = _shared.REFER if changed.abstained else _shared.pretty(changed.label)
        moved = changed.decided != decision.decided or changed.abstained != decision.abstained
        st.metric("What-if decision", label, delta="another decision" if moved else None,
                  delta_color="off")
        st.metric("What-if probability", f"{changed.probability:.4f}",
                  delta=f"{changed.probability - decision.probability:+.4f}"
                  if changes else None)
        st.html(_label_bars(changed, ranked_labels(changed, bundle)[:6], "nesy-what-if"))
        if not changes:
            st.caption("Move a slider: the case is decided again with that probability, "
                       "from the compiled rules, without running the networks. A network's "
                       "other classes for the same input move with it (they add up to 1).")


def results(engine: Engine) -> None:
    """Everything about the kept decision."""
    result = st.session_state.get("result")
    if result is None:
        return
    decision: Decision = result["decision"]
    bundle: Bundle = result["bundle"]
    st.divider()
    left, right = st.columns([2, 3], gap="large")
    with left:
        decision_card(decision, bundle)
        timing = decision.timing_ms
        parts = ", ".join(f"{name} {timing[name]:.2f}" for name in
                          ("check", "neural", "grounding", "inference", "explanation")
                          if name in timing)
        st.caption(f"Decided in {result['ms']:.1f} ms (engine, ms: {parts}).")
    with right:
        alternatives(decision, bundle)

    with st.container(key="given"):
        st.subheader("What the rules were given", divider="gray")
        if bundle.inputs:
            network_outputs(engine, result["case"], bundle)
        facts_table(decision)

    if result.get("fresh"):
        # Let the browser draw the decision before it lays out the proofs' graph (graphviz
        # in the browser: a few hundred milliseconds on a slow machine).
        result["fresh"] = False
        time.sleep(PAINT_PAUSE)
    with st.container(key="proofs"):
        st.subheader("Why: the proofs", divider="gray")
        explanation_graph(decision)

    left, right = st.columns(2, gap="large")
    with left, st.container(key="influence"):
        st.subheader("What mattered", divider="gray")
        influence_chart(decision)
    with right, st.container(key="why-not"):
        other = runner_up(decision, bundle)
        st.subheader(f"Why not {_shared.pretty(other) if other else 'another label'}?",
                     divider="gray")
        why_not(decision)

    with st.container(key="what-if"):
        st.subheader("What if", divider="gray")
        what_if(engine)


def main() -> None:
    _html.style()
    st.title("Diagnose")
    bundle = _shared.bundle()
    cases = _shared.bundle_cases()
    labels = ", ".join(_shared.pretty(label) for label in bundle.decision.labels[:6])
    more = "…" if len(bundle.decision.labels) > 6 else ""
    st.caption(f"Decide a case with the **{bundle.name}** bundle ({labels}{more}): "
               "the networks read its inputs, the knowledge graph and the record add their "
               "facts, and the rules decide, with their reasons.")
    engine = _shared.engine()
    source = st.segmented_control("Case from", SOURCES, default=SOURCES[0] if cases else
                                  SOURCES[1], required=True, key="source")
    case: Any = None
    problem: str | None = None
    try:
        if source == "Bundled case" and cases:
            case = bundled_case(cases, bundle)
        elif source == "Bundled case":
            raise CaseError("this bundle has no example cases: enter one")
        elif source == "Enter a case":
            case = entered_case(cases, bundle)
        else:
            case = pasted_case(cases)
    except CaseError as exc:
        problem = str(exc)
    if st.button("Decide", type="primary", key="decide", icon=":material/play_arrow:"):
        if problem is not None:
            st.session_state.pop("result", None)
            st.error(problem[:1].upper() + problem[1:], icon=":material/error:")
        else:
            decide(engine, case, bundle)
    results(engine)


if __name__ == "__main__":
    main()
