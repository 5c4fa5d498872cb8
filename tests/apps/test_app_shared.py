"""What the console's pages share (apps/ui/_shared.py), outside a page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apps.ui import _shared


def _touch_later(path: Path) -> None:
    """Move a file's or folder's time a second on (a later edit, on any file system)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_rules_version_follows_the_rule_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.pl").write_text("act(yes).\n")
    (tmp_path / "bundle.toml").write_text(
        '[bundle]\nname = "plain"\n\n[decision]\nquery = "act"\nlabels = ["yes"]\n')
    monkeypatch.setenv("NESY_BUNDLE", str(tmp_path))
    first = _shared.rules_version(tmp_path)
    assert _shared.rules_version(tmp_path) == first
    (rules / "a.pl").write_text("act(yes) :- true.\n")  # saved: the same files, new text
    edited = _shared.rules_version(tmp_path)
    assert edited != first
    (rules / "b.pl").write_text("other(no).\n")  # a rule file added beside the others
    _touch_later(rules)
    assert _shared.rules_version(tmp_path) != edited
    assert [p.name for p in _shared.bundle().rule_files] == ["a.pl", "b.pl"]
