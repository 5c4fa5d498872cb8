"""Renderers of explanations: text for the terminal (graphviz comes with the app)."""

from __future__ import annotations

from symbolic import Explanation, Fact, Node, Obstacle, Rule

__all__ = ["render_text"]

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
