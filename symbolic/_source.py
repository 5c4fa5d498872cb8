"""Where a program's text came from: one or more files, joined, with offsets back to each file.

A program read from several rule files is one text for Prolog, the files one after the
other, each starting on a fresh line. The reader reads every file on its own stream, placed
at the file's offset and line in the joined text (a clause never runs across two files), so
every position Prolog reports is an offset (or a line) of the joined text; a
:class:`SourceText` turns it back into the file, line and column it came from.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from nesy.errors import Location

from ._prolog import EncodedTerm, encode_term

__all__ = ["Segment", "SourceText"]


@dataclass(frozen=True)
class Segment:
    """One file of a program: its name, its text, where it starts in the joined text."""

    name: str
    text: str
    start: int  # character offset of its first character in the joined text
    line: int  # line number (1-based) of its first line in the joined text

    @cached_property
    def line_starts(self) -> list[int]:
        """The offsets (in this file's text) at which its lines start."""
        starts = [0]
        index = self.text.find("\n")
        while index >= 0:
            starts.append(index + 1)
            index = self.text.find("\n", index + 1)
        return starts

    def line_column(self, offset: int) -> tuple[int, int]:
        """The line and column (1-based) of an offset of this file's own text."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def location(self, offset: int) -> Location:
        """The location of an offset of this file's own text."""
        return Location(self.name, *self.line_column(offset))


@dataclass(frozen=True)
class SourceText:
    """The files of a program joined into one text, mapping joined positions to files.

    >>> source = SourceText.join([("a.pl", "p.\\nq."), ("b.pl", "r :- p.\\n")])
    >>> source.text
    'p.\\nq.\\nr :- p.\\n'
    >>> str(source.location(6)), str(source.location_at(3, 6))
    ('b.pl:1:1', 'b.pl:1:6')
    """

    segments: tuple[Segment, ...]
    text: str

    @classmethod
    def join(cls, files: Iterable[tuple[str, str]]) -> SourceText:
        """``(name, text)`` pairs, each file starting on a fresh line of the joined text."""
        segments: list[Segment] = []
        parts: list[str] = []
        start, line = 0, 1
        for name, text in files:
            segments.append(Segment(name, text, start, line))
            if text and not text.endswith("\n"):
                text += "\n"
            parts.append(text)
            start += len(text)
            line += text.count("\n")
        if not segments:
            segments.append(Segment("<empty>", "", 0, 1))
        return cls(tuple(segments), "".join(parts))

    @classmethod
    def single(cls, name: str, text: str) -> SourceText:
        """One text, read as it is (no newline added)."""
        return cls((Segment(name, text, 0, 1),), text)

    @property
    def name(self) -> str:
        """The name of the first file (a multi-file program's name)."""
        return self.segments[0].name

    @cached_property
    def _starts(self) -> list[int]:
        return [segment.start for segment in self.segments]

    @cached_property
    def _lines(self) -> list[int]:
        return [segment.line for segment in self.segments]

    def segment_index(self, offset: int) -> int:
        """The index of the file that holds the joined text's ``offset``."""
        return max(0, bisect.bisect_right(self._starts, offset) - 1)

    def location(self, offset: int) -> Location:
        """The file, line and column of a character offset of the joined text."""
        segment = self.segments[self.segment_index(offset)]
        return segment.location(offset - segment.start)

    def location_at(self, line: int, column: int) -> Location:
        """The file, line and column of a line and column of the joined text."""
        index = max(0, bisect.bisect_right(self._lines, line) - 1)
        segment = self.segments[index]
        return Location(segment.name, line - segment.line + 1, column)

    def locate(self, where: str) -> Location:
        """A position as Prolog reports it, an offset (``"17"``) or ``"line:column"``."""
        if ":" in where:
            line, column = where.split(":")
            return self.location_at(int(line), int(column))
        return self.location(int(where))

    def order(self, location: Location) -> tuple[int, int, int]:
        """A sort key: the file's place in the program, then line and column."""
        index = next((i for i, s in enumerate(self.segments) if s.name == location.file), 0)
        return (index, location.line or 0, location.column or 0)

    def split(self, spans: dict[int, tuple[int, int]]
              ) -> list[tuple[Segment, dict[int, tuple[int, int]]]]:
        """Spans ``{key: (start, end)}`` of the joined text, per file in the file's offsets."""
        per_file: list[dict[int, tuple[int, int]]] = [{} for _ in self.segments]
        for key, (start, end) in spans.items():
            index = self.segment_index(start)
            base = self.segments[index].start
            per_file[index][key] = (start - base, end - base)
        return list(zip(self.segments, per_file, strict=True))

    def encode(self) -> EncodedTerm | str:
        """The files as the Prolog readers take them (``source_segments/2``): one file's
        text as it is, several as ``segments([segment(Start, Line, Text), ...])``."""
        if len(self.segments) == 1:
            return self.text
        return encode_term("segments", [encode_term("segment", s.start, s.line, s.text)
                                        for s in self.segments])

