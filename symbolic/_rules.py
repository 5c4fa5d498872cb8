"""Rule metadata: the ``%!`` comment block right above a clause.

A block gives the clause an id, a text for people and a source::

    %! id: biopsy_high_risk
    %! text: Suspicious cytology in a patient over 40 warrants biopsy
    %! source: Screening guideline, section 4.2
    biopsy(P) :- suspicious(P), age_over(P, 40).

The lines are comments, so the file stays a valid ProbLog program. A line
without ``key:`` continues the value of the line before. A clause without a
block (or without an ``id``) gets the automatic id ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from nesy.errors import Location

from ._source import Segment

__all__ = ["KEYS", "MetadataProblem", "Rule", "read_rules"]

KEYS = ("id", "text", "source")
_LINE = re.compile(r"^[ \t]*%!(?P<body>.*)$")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z_][\w-]*)\s*:\s?(?P<value>.*)$")


@dataclass(frozen=True)
class Rule:
    """A clause as an explanation shows it.

    ``text`` is the ``%! text`` of the clause, or the clause as written when it has
    none; ``source`` is where the rule comes from (a guideline and its section).
    """

    id: str
    text: str
    source: str | None
    location: Location
    clause: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "source": self.source,
                "location": str(self.location), "clause": self.clause}


@dataclass(frozen=True)
class MetadataProblem:
    """Something wrong with a ``%!`` block (reported by the rule checker)."""

    location: Location
    code: str
    message: str


@dataclass
class _Block:
    start_line: int
    end_line: int
    values: dict[str, str]
    attached: bool = False


def read_rules(
    text: str, name: str, spans: dict[int, tuple[int, int]]
) -> tuple[dict[int, Rule], list[MetadataProblem]]:
    """The :class:`Rule` of every clause (by clause number) and the blocks' problems.

    ``spans`` gives each clause's start and end character offsets in ``text``.

    >>> text = "%! id: r1\\n%! text: a holds when b does\\na :- b.\\n0.5::b.\\n"
    >>> rules, problems = read_rules(text, "f.pl", {1: (39, 45), 2: (47, 53)})
    >>> rules[1].id, rules[1].text, rules[2].id, rules[2].text
    ('r1', 'a holds when b does', 'f.pl:4', '0.5::b.')
    """
    problems: list[MetadataProblem] = []
    blocks = _blocks(text.split("\n"), name, problems)
    block_ending_at = {block.end_line: block for block in blocks}
    base = PurePath(name).name if not name.startswith("<") else name

    rules: dict[int, Rule] = {}
    first_on_line: set[int] = set()
    segment = Segment(name, text, 0, 1)
    for clause in sorted(spans, key=lambda k: spans[k][0]):
        start, end = spans[clause]
        line, column = segment.line_column(start)
        source_text = " ".join(text[start:end].split()) + "." if end > start else ""
        block = None
        first = line not in first_on_line
        if first:
            first_on_line.add(line)
            block = block_ending_at.get(line - 1)
        values: dict[str, str] = {}
        if block is not None and not block.attached:
            block.attached = True
            values = block.values
        automatic = f"{base}:{line}" if first else f"{base}:{line}:{column}"
        rules[clause] = Rule(
            id=values.get("id") or automatic,
            text=values.get("text") or source_text,
            source=values.get("source") or None,
            location=Location(name, line, column),
            clause=source_text,
        )
    for block in blocks:
        if not block.attached:
            problems.append(MetadataProblem(
                Location(name, block.start_line, 1), "metadata-detached",
                "this %! block is not right above a clause (a blank line or a comment between?)"))
    return rules, problems


def _blocks(lines: list[str], name: str, problems: list[MetadataProblem]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    last_key: str | None = None
    for number, line in enumerate(lines, start=1):
        match = _LINE.match(line)
        if match is None:
            current, last_key = None, None
            continue
        if current is None:
            current = _Block(number, number, {})
            blocks.append(current)
        current.end_line = number
        body = match.group("body")
        keyed = _KEY.match(body)
        if keyed is not None:
            key, value = keyed.group("key").lower(), keyed.group("value").strip()
            if key not in KEYS:
                problems.append(MetadataProblem(
                    Location(name, number, 1), "metadata-key",
                    f"unknown metadata key {key!r} (known: {', '.join(KEYS)})"))
            elif key in current.values:
                problems.append(MetadataProblem(
                    Location(name, number, 1), "metadata-key",
                    f"metadata key {key!r} given twice in one block"))
            elif key == "id" and not re.fullmatch(r"[^\s]+", value):
                problems.append(MetadataProblem(
                    Location(name, number, 1), "metadata-key",
                    f"a rule id is one word without spaces, not {value!r}"))
            else:
                current.values[key] = value
            last_key = key if key in KEYS else None
        elif body.strip() and last_key is not None and last_key != "id":
            current.values[last_key] = f"{current.values.get(last_key, '')} {body.strip()}".strip()
    return blocks
