"""Renderers of explanations: text for the terminal, graphviz DOT for the console."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from html import escape
from typing import Any

from symbolic import Explanation, Fact, Node, Obstacle, Rule

__all__ = ["KIND_COLOURS", "describe_source", "render_dot", "render_text"]

#: Fill and border colours of a leaf by the kind of its source (the console's legend).
KIND_COLOURS: dict[str, tuple[str, str]] = {
    "neural": ("#dbeafe", "#2563eb"),
    "knowledge": ("#dcfce7", "#16a34a"),
    "case": ("#fef3c7", "#d97706"),
    "rule": ("#ede9fe", "#7c3aed"),
    "program": ("#f1f5f9", "#64748b"),
}
_OTHER_KIND = ("#f8fafc", "#94a3b8")
_WRAP = 34  # characters a line of a rule's text in a graph node

_INFLUENCE_ROWS = 10


def render_text(explanation: Explanation) -> str:
    """An explanation as an indented tree with rule texts and their sources.

    >>> from symbolic import Program
    >>> program = Program.from_string("0.9::rain. wet :- rain.", "demo.pl")
    >>> print(render_text(program.explain("wet")))  # doctest: +NORMALIZE_WHITESPACE
    wet: 0.9
    <BLANKLINE>
    proof 1 (p = 0.9)
      wet  <- demo.pl:1:12  "wet :- rain."
        rain  0.9  [program demo.pl:1]
    <BLANKLINE>
    influence (dP/dp)
      rain  +1  (p = 0.9)
    """
    lines: list[str] = []
    head = f"{explanation.query}: {explanation.probability:.6g}"
    if explanation.evidence:
        given = ", ".join(atom if value else f"\\+ {atom}"
                          for atom, value in explanation.evidence)
        head += f"  (given {given})"
    lines.append(head)
    if not explanation.proofs:
        lines += ["", "no proof"]
    for number, proof in enumerate(explanation.proofs, start=1):
        lines += ["", f"proof {number} (p = {proof.probability:.6g})"]
        _tree(proof.root, 1, lines)
    if not explanation.complete:
        lines += ["", "(the proof search stopped at its budget: more proofs may exist)"]
    if explanation.influence:
        lines += ["", "influence (dP/dp)"]
        shown = explanation.influence[:_INFLUENCE_ROWS]
        width = max(len(item.fact) for item in shown)
        for item in shown:
            lines.append(f"  {item.fact:<{width}}  {item.value:+.4g}  (p = {item.probability:.4g})")
        if len(explanation.influence) > _INFLUENCE_ROWS:
            lines.append(f"  ... {len(explanation.influence) - _INFLUENCE_ROWS} more")
    why_not = explanation.why_not
    if why_not is not None:
        lines += ["", f"why not (p = {why_not.probability:.6g})"]
        if why_not.failed:
            lines.append("  failed outright:")
            lines += [f"    {_obstacle(o)}" for o in why_not.failed]
        if why_not.weakest:
            lines.append("  least probable sub-goals:")
            lines += [f"    {_obstacle(o)}" for o in why_not.weakest]
    return "\n".join(lines)


def _tree(node: Node, depth: int, lines: list[str]) -> None:
    indent = "  " * depth
    if isinstance(node, Fact):
        lines.append(f"{indent}{_fact(node)}")
        return
    lines.append(f"{indent}{node.atom}  <- {_rule(node.rule)}")
    for child in node.children:
        _tree(child, depth + 1, lines)


def _fact(fact: Fact) -> str:
    source = fact.source
    where = " ".join(part for part in (source.kind, source.rule or source.location) if part)
    details = ", ".join(f"{key}={value}" for key, value in source.details.items())
    if details:
        where += f" {details}"
    if fact.negated:
        return f"\\+ {fact.atom}  failed with p = {fact.probability:.6g}  [{where}]"
    return f"{fact.atom}  {fact.probability:.6g}  [{where}]"


def _rule(rule: Rule) -> str:
    text = f'{rule.id}  "{rule.text}"'
    if rule.source:
        text += f"  ({rule.source})"
    return text


def _obstacle(obstacle: Obstacle) -> str:
    text = f"{obstacle.goal}  p = {obstacle.probability:.4g}  ({obstacle.reason})"
    if obstacle.rule is not None:
        text += f"  in {_rule(obstacle.rule)}"
    return text


def describe_source(source: Mapping[str, Any]) -> str:
    """A source (a fact's provenance, as in the decision JSON) in a few words.

    >>> describe_source({"kind": "neural", "model": "cytology", "input": "c1/fna",
    ...                  "class": "malignant"})
    'cytology reads fna: class malignant'
    >>> describe_source({"kind": "case", "field": "age", "value": 52})
    'record field age = 52'
    """
    kind = source.get("kind")
    if kind == "neural":
        read = str(source.get("input", "")).rsplit("/", 1)[-1]
        return f"{source.get('model')} reads {read}: class {source.get('class')}"
    if kind == "case":
        value = source.get("value")
        shown = str(value).lower() if isinstance(value, bool) else value
        return f"record field {source.get('field')} = {shown}"
    if kind == "knowledge":
        triple = source.get("triple")
        if not triple:
            return "given for this case" if source.get("given") else "knowledge graph"
        short = " ".join(_short_iri(str(part)) for part in triple)
        return f"{short} ({'inferred' if source.get('inferred') else 'stated'})"
    if kind == "rule":
        return f"the probability of rule {source.get('rule')}"
    where = source.get("rule") or source.get("location")
    return f"{kind} {where}" if where else str(kind)


def _short_iri(iri: str) -> str:
    """``<http://.../ontology#hasRiskFactor>`` as ``hasRiskFactor``."""
    text = iri.strip("<>")
    for separator in ("#", "/"):
        if separator in text.rstrip(separator):
            text = text.rstrip(separator).rsplit(separator, 1)[-1]
            break
    return text


def render_dot(explanation: Explanation, title: str | None = None) -> str:
    """An explanation's proofs as a graphviz DOT graph, the query on top.

    The query (with its probability) leads to each proof; a proof is a tree of rule
    applications (the ground atom, the rule's id, text and guideline source) down to its
    facts, filled by the kind of their source (:data:`KIND_COLOURS`) with their
    probability; a negated goal has a dashed border and reads ``not ...``.

    >>> from symbolic import Program
    >>> program = Program.from_string("0.9::rain.\\n%! id: wet_rain\\n%! text: Rain wets\\n"
    ...                               "wet :- rain.", "demo.pl")
    >>> dot = render_dot(program.explain("wet"))
    >>> dot.startswith("digraph explanation {"), "wet_rain" in dot, "Rain wets" in dot
    (True, True, True)
    """
    lines = ["digraph explanation {",
             '  graph [rankdir=TB, bgcolor="transparent", nodesep=0.3, ranksep=0.35, '
             'fontname="Helvetica"];',
             '  node [fontname="Helvetica", fontsize=12, shape=box, '
             'style="rounded,filled", penwidth=1.2, margin="0.22,0.08"];',
             '  edge [color="#94a3b8", arrowsize=0.6, dir=back];']
    heading = escape(title or explanation.query)
    lines.append(f'  query [label=<<b>{heading}</b><br/>'
                 f'<font point-size="10">P = {explanation.probability:.4g}</font>>, '
                 'fillcolor="#0f172a", color="#0f172a", fontcolor="white"];')
    if not explanation.proofs:
        lines.append('  none [label="no proof: no rule derives it", fillcolor="#f8fafc", '
                     'color="#94a3b8", fontcolor="#475569"];')
        lines.append("  query -> none;")
    for number, proof in enumerate(explanation.proofs, start=1):
        name = f"p{number}"
        lines.append(f'  {name} [label=<proof {number}<br/><font point-size="10">'
                     f'p = {proof.probability:.4g}</font>>, shape=plain, style="", '
                     'fontcolor="#334155"];')
        lines.append(f"  query -> {name};")
        stack: list[tuple[str, str, Node]] = [(name, f"{name}_0", proof.root)]
        while stack:
            parent, node_id, node = stack.pop()
            lines.append(f"  {node_id} [{_node_attributes(node)}];")
            lines.append(f"  {parent} -> {node_id};")
            if not isinstance(node, Fact):
                for i, child in reversed(list(enumerate(node.children))):
                    stack.append((node_id, f"{node_id}_{i}", child))
    lines.append("}")
    return "\n".join(lines)


def _node_attributes(node: Node) -> str:
    if isinstance(node, Fact):
        fill, border = KIND_COLOURS.get(node.source.kind, _OTHER_KIND)
        atom = escape(("not " if node.negated else "") + node.atom)
        detail = escape(describe_source(node.source.to_dict()))
        style = '"rounded,filled,dashed"' if node.negated else '"rounded,filled"'
        return (f'label=<<b>{atom}</b><br/><font point-size="10">p = {node.probability:.4g}'
                f' · {escape(node.source.kind)}</font><br/><font point-size="9" '
                f'color="#475569">{detail}</font>>, fillcolor="{fill}", color="{border}", '
                f"style={style}")
    rule = node.rule
    text = "<br/>".join(escape(line) for line in _wrap(rule.text))
    parts = [f"<b>{escape(node.atom)}</b>",
             f'<font point-size="10" color="#1e40af">{escape(rule.id)}</font>',
             f'<font point-size="10">{text}</font>']
    if rule.source:
        source = "<br/>".join(escape(line) for line in _wrap(rule.source))
        parts.append(f'<font point-size="9" color="#64748b">{source}</font>')
    return f'label=<{"<br/>".join(parts)}>, fillcolor="white", color="#475569"'


def _wrap(text: str) -> list[str]:
    """Lines of a node's text, broken at spaces only (not inside words or at hyphens)."""
    return textwrap.wrap(text, _WRAP, break_on_hyphens=False, break_long_words=False)
