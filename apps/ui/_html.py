"""Small HTML pieces of the console: the decision card, probability bars, the facts table.

Plain HTML and one style sheet (:data:`CSS`, put on a page once by :func:`style`) instead
of chart and grid widgets: they draw at once in the browser, which keeps a decision on screen
within a few tens of milliseconds of the click. Each piece carries stable ids and ``data-``
attributes for the end-to-end tests. The functions return strings; pages pass them to
``st.html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import streamlit as st

from apps.render import KIND_COLOURS, describe_source

__all__ = ["CSS", "Bar", "bars", "card", "chip", "facts_table", "legend", "style"]

CSS = """
<style>
.nesy-card {border-radius: 0.75rem; padding: 1rem 1.25rem; border: 1px solid #cbd5e1;
            background: #f8fafc; color: #0f172a;}
.nesy-card.nesy-ok {background: #f0fdf4; border-color: #86efac;}
.nesy-card.nesy-refer {background: #fff7ed; border-color: #fdba74;}
.nesy-kicker {font-size: 0.75rem; letter-spacing: 0.06em; text-transform: uppercase;
              color: #475569;}
.nesy-label {font-size: 1.9rem; font-weight: 700; line-height: 1.2; margin: 0.2rem 0 0.35rem;}
.nesy-meta {font-size: 0.9rem; color: #334155; line-height: 1.5;}
.nesy-meta b {color: #0f172a;}
.nesy-bars {display: grid; grid-template-columns: minmax(6rem, max-content) 1fr 4.2rem;
            gap: 0.35rem 0.75rem; align-items: center; font-size: 0.9rem; margin: 0.25rem 0;}
.nesy-bar-name {color: #334155; white-space: nowrap; overflow: hidden;
                text-overflow: ellipsis; max-width: 22rem;}
.nesy-bar-name code {font-size: 0.82rem;}
.nesy-bar-track {position: relative; height: 0.85rem; background: #f1f5f9;
                 border-radius: 0.25rem; overflow: hidden;}
.nesy-bar-fill {position: absolute; top: 0; bottom: 0; left: 0; background: #cbd5e1;
                border-radius: 0.25rem;}
.nesy-top .nesy-bar-fill {background: #2563eb;}
.nesy-bar-name.nesy-top {color: #0f172a; font-weight: 600;}
.nesy-signed .nesy-bar-track::after {content: ""; position: absolute; left: 50%; top: -2px;
                                     bottom: -2px; border-left: 1px solid #94a3b8;}
.nesy-raises .nesy-bar-fill {background: #16a34a;}
.nesy-lowers .nesy-bar-fill {background: #dc2626;}
.nesy-bar-value {font-variant-numeric: tabular-nums; color: #334155; text-align: right;}
.nesy-table {width: 100%; border-collapse: collapse; font-size: 0.88rem;}
.nesy-table th {text-align: left; font-weight: 600; color: #475569; padding: 0.4rem 0.6rem;
                border-bottom: 1px solid #cbd5e1;}
.nesy-table td {padding: 0.35rem 0.6rem; border-bottom: 1px solid #e2e8f0;
                vertical-align: middle;}
.nesy-table td.nesy-number {font-variant-numeric: tabular-nums; white-space: nowrap;}
.nesy-table code {font-size: 0.82rem; background: none; padding: 0;}
.nesy-mini {display: inline-block; width: 4rem; height: 0.5rem; background: #f1f5f9;
            border-radius: 0.2rem; margin-right: 0.45rem; vertical-align: middle;
            overflow: hidden;}
.nesy-mini > span {display: block; height: 100%; background: #2563eb;}
.nesy-legend {display: flex; flex-wrap: wrap; gap: 0.4rem; font-size: 0.8rem;
              margin: 0.1rem 0 0.4rem; align-items: center; color: #475569;}
.nesy-chip {border-radius: 999px; padding: 0.05rem 0.55rem; border: 1px solid;
            font-size: 0.78rem; color: #0f172a; white-space: nowrap;}
.nesy-note {font-size: 0.8rem; color: #64748b; margin-top: 0.3rem;}
.nesy-scroll {max-height: 26rem; overflow-y: auto; border-bottom: 1px solid #e2e8f0;}
.nesy-scroll thead th {position: sticky; top: 0; background: #ffffff;}
</style>
"""


def style() -> None:
    """Put the console's style sheet on the page (once a run; it takes no room)."""
    st.html(CSS)


def _attributes(data: Mapping[str, Any]) -> str:
    return "".join(f' data-{escape(key)}="{escape(str(value))}"' for key, value in data.items())


def card(kind: str, kicker: str, title: str, meta: str, element_id: str,
         data: Mapping[str, Any]) -> str:
    """A card: ``kind`` "ok" (green), "refer" (orange) or "" (grey); ``meta`` is HTML."""
    return (f'<div class="nesy-card nesy-{escape(kind)}" id="{escape(element_id)}"'
            f"{_attributes(data)}>"
            f'<div class="nesy-kicker">{escape(kicker)}</div>'
            f'<div class="nesy-label">{escape(title)}</div>'
            f'<div class="nesy-meta">{meta}</div></div>')


@dataclass(frozen=True)
class Bar:
    """One row of :func:`bars`: a name, a value, whether it stands out, its data attributes."""

    name: str
    value: float
    top: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)
    code: bool = False  # write the name as code (a fact)


def bars(rows: Sequence[Bar], element_id: str, signed: bool = False,
         scale: float | None = None, digits: int = 4) -> str:
    """Horizontal bars with their values: probabilities in [0, 1], or signed values
    (``signed``: green to the right, red to the left of a middle line, up to ``scale``).

    >>> html = bars([Bar("biopsy", 0.75, top=True, data={"label": "biopsy"})], "alts")
    >>> 'id="alts"' in html and 'data-label="biopsy"' in html and "width: 75.00%" in html
    True
    """
    top = scale or max((abs(row.value) for row in rows), default=1.0) or 1.0
    parts = [f'<div class="nesy-bars{" nesy-signed" if signed else ""}" '
             f'id="{escape(element_id)}">']
    for row in rows:
        name = f"<code>{escape(row.name)}</code>" if row.code else escape(row.name)
        if signed:
            share = min(1.0, abs(row.value) / top) * 50
            side = "left: 50%" if row.value >= 0 else f"left: {50 - share:.2f}%"
            fill = f"{side}; width: {share:.2f}%"
            classes = "nesy-raises" if row.value >= 0 else "nesy-lowers"
            value = f"{row.value:+.{digits}g}"
        else:
            fill = f"width: {100 * min(1.0, max(0.0, row.value)):.2f}%"
            classes = "nesy-top" if row.top else ""
            value = f"{row.value:.{digits}f}"
        # a grid has no row element: each of the row's three cells carries its classes
        attributes = _attributes({"value": f"{row.value:.6g}", **row.data})
        parts.append(
            f'<span class="nesy-bar-name {classes}"{attributes}>{name}</span>'
            f'<span class="nesy-bar-track {classes}"><span class="nesy-bar-fill" '
            f'style="{fill}"></span></span>'
            f'<span class="nesy-bar-value">{value}</span>')
    parts.append("</div>")
    return "".join(parts)


def chip(kind: str) -> str:
    """A source kind as a coloured chip (the colours of the explanation graph)."""
    fill, border = KIND_COLOURS.get(kind, ("#f8fafc", "#94a3b8"))
    return (f'<span class="nesy-chip" style="background: {fill}; border-color: {border}">'
            f"{escape(kind)}</span>")


def legend(kinds: Iterable[str] = KIND_COLOURS) -> str:
    """The source kinds and their colours."""
    return ('<div class="nesy-legend">Leaves by source: '
            + "".join(chip(kind) for kind in kinds) + "</div>")


def facts_table(facts: Sequence[Any], element_id: str = "nesy-facts") -> str:
    """Facts (``GroundedFact``: fact, probability, source) as a table: probability, source
    kind and where it came from; each row has ``data-fact`` and ``data-kind``."""
    rows = []
    for fact in facts:
        kind = str(fact.source.get("kind"))
        width = 100 * min(1.0, max(0.0, fact.probability))
        rows.append(
            f'<tr{_attributes({"fact": fact.fact, "kind": kind})}>'
            f"<td><code>{escape(fact.fact)}</code></td>"
            f'<td class="nesy-number"><span class="nesy-mini"><span style="width: '
            f'{width:.2f}%"></span></span>{fact.probability:.4f}</td>'
            f"<td>{chip(kind)}</td>"
            f"<td>{escape(describe_source(fact.source))}</td></tr>")
    return (f'<div class="nesy-scroll"><table class="nesy-table" id="{escape(element_id)}">'
            "<thead><tr><th>Fact</th><th>Probability</th><th>Source</th><th>From</th></tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table></div>")
