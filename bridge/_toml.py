"""Where the tables, keys and values of a ``bundle.toml`` are, for messages that point there.

:mod:`tomllib` gives values without positions; a bundle's errors and the checker's
diagnostics should still say ``bundle.toml:14:11``. :class:`TomlPlaces` reads the lines
of the file once (headers, ``key =`` lines, where each value runs) and answers by key
path, falling back to the nearest enclosing key or table, then to the file alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nesy.errors import Location

__all__ = ["TomlPlaces", "decode_error_location"]

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"[^\"]*\"|'[^']*'"
_KEY = re.compile(rf"^(?P<indent>\s*)(?P<key>(?:{_BARE}|{_QUOTED})"
                  rf"(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*)\s*=")
_PART = re.compile(rf"{_BARE}|{_QUOTED}")
_DECODE_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)\s*$")


def _parts(dotted: str) -> list[str]:
    return [part.strip("\"'") for part in _PART.findall(dotted)]


@dataclass(frozen=True)
class _Key:
    line: int  # 1-based
    column: int  # 1-based, of the key
    last: int  # the last line of its value (multi-line arrays and inline tables)


@dataclass
class TomlPlaces:
    """Key paths (``("decision", "labels")``) of a TOML text to their line and column.

    >>> places = TomlPlaces("b.toml", '[decision]\\nquery = "act"\\nlabels = ["a",\\n  "b"]\\n')
    >>> str(places.at("decision", "labels", value="b"))
    'b.toml:4:3'
    >>> str(places.at("decision", "policy")), str(places.at("inputs"))
    ('b.toml:1:1', 'b.toml')
    """

    file: str
    text: str
    _lines: list[str] = field(init=False, repr=False)
    _tables: dict[tuple[str, ...], int] = field(init=False, repr=False)
    _keys: dict[tuple[str, ...], _Key] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._lines = self.text.split("\n")
        self._tables = {}
        self._keys = {}
        table: tuple[str, ...] = ()
        open_key: tuple[str, ...] | None = None
        quote: str | None = None  # inside a multi-line string
        for number, line in enumerate(self._lines, start=1):
            if quote is not None:
                if line.count(quote) % 2 == 1:
                    quote = None
                if open_key is not None:
                    self._extend(open_key, number)
                continue
            header = _HEADER.match(line)
            key = _KEY.match(line) if header is None else None
            if header is not None:
                table = tuple(_parts(header.group("name")))
                self._tables.setdefault(table, number)
                open_key = None
            elif key is not None:
                open_key = table + tuple(_parts(key.group("key")))
                self._keys.setdefault(open_key, _Key(number, len(key.group("indent")) + 1,
                                                     number))
            elif open_key is not None and line.strip() and not line.lstrip().startswith("#"):
                self._extend(open_key, number)  # the value goes on
            for mark in ('"""', "'''"):
                if line.count(mark) % 2 == 1:
                    quote = mark
                    break

    def _extend(self, key: tuple[str, ...], number: int) -> None:
        place = self._keys[key]
        self._keys[key] = _Key(place.line, place.column, number)

    def at(self, *path: str, value: str | None = None) -> Location:
        """Where the key ``path`` is (or ``value``, a string in it), as near as can be told.

        A key inside an inline table (``("record", "age", "predicate")``) is looked for
        on the lines of its enclosing key; a missing key falls back to its table.
        """
        for size in range(len(path), 0, -1):
            prefix = path[:size]
            key = self._keys.get(prefix)
            if key is not None:
                return self._within(key, path[size:], value)
            if prefix in self._tables:
                return Location(self.file, self._tables[prefix], 1)
        return Location(self.file)

    def _within(self, key: _Key, rest: tuple[str, ...], value: str | None) -> Location:
        line, column = key.line, key.column
        for part in rest:  # a key of an inline table: the first `part =` after here
            found = self._find(rf"(?<![\w-]){re.escape(part)}\s*=", key, line, column)
            if found is None:
                break
            line, column = found
        if value is not None:
            found = self._find(rf"([\"']){re.escape(value)}\1", key, line, column)
            if found is not None:
                line, column = found
        return Location(self.file, line, column)

    def _find(self, pattern: str, key: _Key, line: int, column: int) -> tuple[int, int] | None:
        regex = re.compile(pattern)
        for number in range(line, key.last + 1):
            text = self._lines[number - 1]
            start = column - 1 if number == line else 0
            match = regex.search(text, start)
            if match is not None:
                return number, match.start() + 1
        return None


def decode_error_location(file: str, message: str) -> tuple[Location, str]:
    """The location tomllib puts at the end of a decode error, and the message without it.

    >>> location, message = decode_error_location("b.toml", "Invalid value (at line 3, column 8)")
    >>> str(location), message
    ('b.toml:3:8', 'Invalid value')
    """
    match = _DECODE_POSITION.search(message)
    if match is None:
        return Location(file), message
    return (Location(file, int(match.group("line")), int(match.group("column"))),
            message[:match.start()])
