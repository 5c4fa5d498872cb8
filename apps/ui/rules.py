"""Rules: edit the bundle's rule files, check them, run the rule tests, save a new version.

The page holds the editors and shows what :class:`bridge.RuleWorkspace` says: Check runs
the rule checker on the edited texts as the bundle's one program, Test runs the bundle's
rule tests on an engine built from them, Save writes them only when the check finds no
error, keeping the replaced version in ``.history/``. Saving changes the rule files, hence
the key of the shared engine: every page serves the saved rules from its next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from apps.ui import _shared
from bridge import (
    HISTORY,
    CheckReport,
    NesyError,
    RuleTestRun,
    RuleWorkspace,
    SaveResult,
    unified_diff,
)

_MONOSPACE = """<style>
.st-key-rules-editors textarea {
  font-family: "Source Code Pro", ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: 0.84rem; line-height: 1.5; tab-size: 4; white-space: pre; overflow-x: auto;
}
</style>"""
_OUTCOME = "rules-outcome"
_BASE = "rules-base"


def text_key(file: str) -> str:
    """The session-state key of a rule file's editor."""
    return "rules-text-" + "".join(c if c.isalnum() else "-" for c in file)


def main() -> None:
    st.title("Rules")
    try:
        workspace = RuleWorkspace(_shared.bundle_path())
    except NesyError as exc:
        st.error(f"The bundle's rules cannot be opened: {exc}")
        return
    disk = workspace.texts()
    _sync_editors(workspace, disk)
    st.caption(
        f"The rule files of **{workspace.bundle.name}**, read together as one program. "
        "**Check** lints the text in the editors, **Test** runs the bundle's rule tests "
        "on it, **Save** writes it when the check finds no error — warnings are fine — "
        f"and keeps the replaced version in `{HISTORY}/`. Nothing reaches the engine "
        "before it is saved.")
    texts = _editors(workspace, disk)
    edited = [name for name in workspace.files if texts[name] != disk[name]]
    _buttons(workspace, texts, edited)
    _outcome(texts)
    st.divider()
    _history(workspace, disk)


# ------------------------------------------------------------------ editors


def _sync_editors(workspace: RuleWorkspace, disk: Mapping[str, str]) -> None:
    """Fill the editors from disk; follow a save made elsewhere when not edited here."""
    base: dict[str, str] = st.session_state.setdefault(_BASE, {})
    for name in workspace.files:
        key = text_key(name)
        if key not in st.session_state or (st.session_state[key] == base.get(name)
                                            and base.get(name) != disk[name]):
            st.session_state[key] = disk[name]
            base[name] = disk[name]


def _editors(workspace: RuleWorkspace, disk: Mapping[str, str]) -> dict[str, str]:
    st.html(_MONOSPACE)
    base: dict[str, str] = st.session_state[_BASE]
    texts = {}
    with st.container(key="rules-editors"):
        for tab, name in zip(st.tabs(list(workspace.files)), workspace.files, strict=True):
            with tab:
                text = st.session_state[text_key(name)]
                if base.get(name) != disk[name]:
                    st.warning(f"{name} was saved elsewhere since you opened it: Save will "
                               "refuse it. **Discard changes** loads the saved version.",
                               icon=":material/sync_problem:")
                elif text != disk[name]:
                    st.caption(f":orange[:material/edit: edited, not saved] · {_lines(text)}")
                else:
                    st.caption(f":material/check: as saved · {_lines(text)}")
                texts[name] = st.text_area(name, key=text_key(name), height=460,
                                           label_visibility="collapsed")
                with st.expander("With line numbers"):
                    st.code(texts[name], language="prolog", line_numbers=True)
    return texts


def _lines(text: str) -> str:
    count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return f"{count} line{'' if count == 1 else 's'}"


def _digest(texts: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------ actions


def _buttons(workspace: RuleWorkspace, texts: dict[str, str], edited: list[str]) -> None:
    check, test, save, discard, note = st.columns([1, 1, 1, 1.6, 4.4],
                                                  vertical_alignment="center")
    if check.button("Check", key="rules-check", icon=":material/spellcheck:",
                    width="stretch"):
        with st.spinner("Checking the rules..."):
            _remember("check", workspace.check(texts), texts)
    if test.button("Test", key="rules-test", icon=":material/science:",
                   width="stretch"):
        with st.spinner("Running the rule tests..."):
            _remember("test", workspace.test(texts), texts)
    if save.button("Save", key="rules-save", type="primary", icon=":material/save:",
                   width="stretch"):
        with st.spinner("Checking and saving..."):
            result = workspace.save({name: texts[name] for name in edited},
                                    base=st.session_state[_BASE])
        if result.saved:
            st.session_state[_BASE].update(workspace.texts())
            st.session_state["rules-history-file"] = result.changed[0]
        _remember("save", result, texts)
        st.rerun()  # the editors' state and the engine follow the saved files
    discard.button("Discard changes", key="rules-discard", icon=":material/undo:",
                   on_click=_discard, args=(workspace,), disabled=not edited
                   and all(st.session_state[_BASE].get(n) == t for n, t in texts.items()),
                   width="stretch")
    note.caption(f"Edited: {', '.join(edited)}" if edited else "No unsaved edits.")


def _discard(workspace: RuleWorkspace) -> None:
    disk = workspace.texts()
    for name in workspace.files:
        st.session_state[text_key(name)] = disk[name]
    st.session_state[_BASE] = dict(disk)
    st.session_state.pop(_OUTCOME, None)


def _remember(kind: str, result: Any, texts: Mapping[str, str]) -> None:
    st.session_state[_OUTCOME] = (kind, result, _digest(texts))


def _outcome(texts: Mapping[str, str]) -> None:
    found = st.session_state.get(_OUTCOME)
    if found is None:
        return
    kind, result, digest = found
    if digest != _digest(texts) and not (kind == "save" and result.saved):
        st.caption(":material/info: The editors changed since: run it again for the "
                   "current text.")
    if kind == "check":
        _check_report(result, texts)
    elif kind == "test":
        _test_run(result)
    else:
        _save_result(result, texts)


def _check_report(report: CheckReport, texts: Mapping[str, str],
                  heading: str = "Check") -> None:
    st.subheader(heading)
    files = len(report.files)
    if not report.diagnostics:
        st.success(f"No problems in the {files - 1} rule files and bundle.toml.",
                   icon=":material/check_circle:")
        return
    summary = f"{_count(report.errors, 'error')}, {_count(report.warnings, 'warning')}"
    if report.errors:
        st.error(f"{summary}: the rules cannot be saved until the errors are fixed.",
                 icon=":material/error:")
    else:
        st.warning(f"{summary}: the rules can be saved; the warnings point at rules that "
                   "may not do what was meant.", icon=":material/warning:")
    rows = []
    for d in report.diagnostics:
        line = d.location.line
        source = texts.get(d.location.file, "").splitlines()
        rows.append({"where": str(d.location),
                     "severity": d.severity, "code": d.code, "message": d.message,
                     "source": source[line - 1].strip() if line and line <= len(source)
                     else ""})
    st.dataframe(pd.DataFrame(rows), hide_index=True,
                 column_config={"where": st.column_config.TextColumn("where", width="medium"),
                                "severity": st.column_config.TextColumn("severity",
                                                                        width="small"),
                                "code": st.column_config.TextColumn("code", width="medium"),
                                "message": st.column_config.TextColumn("message",
                                                                       width="large"),
                                "source": st.column_config.TextColumn("source line",
                                                                      width="medium")})


def _test_run(run: RuleTestRun) -> None:
    st.subheader("Test")
    if run.error is not None:
        st.error(f"No engine can be built from these rules, so no test ran: {run.error}",
                 icon=":material/error:")
        return
    if not run.results:
        st.info("The bundle has no rule tests (tests/*.toml).")
        return
    total = len(run.results)
    if run.failed:
        st.error(f"{run.failed} of {total} rule tests fail:", icon=":material/error:")
        for result in run.results:
            if not result.passed:
                reasons = "".join(f"\n    - {problem}" for problem in result.problems)
                st.markdown(f"- **FAIL** {result.test.name} (`{result.test.location}`)"
                            f"{reasons}")
    else:
        st.success(f"All {total} rule tests pass.", icon=":material/check_circle:")
    rows = [{"result": "PASS" if r.passed else "FAIL", "test": r.test.name,
             "where": str(r.test.location), "decided": r.decided or "",
             "reasons": "; ".join(r.problems)} for r in run.results]
    st.dataframe(pd.DataFrame(rows), hide_index=True,
                 column_config={"result": st.column_config.TextColumn("result", width="small"),
                                "test": st.column_config.TextColumn("test", width="large"),
                                "where": st.column_config.TextColumn("where", width="medium"),
                                "decided": st.column_config.TextColumn("decided",
                                                                       width="medium"),
                                "reasons": st.column_config.TextColumn("reasons",
                                                                       width="large")})


def _save_result(result: SaveResult, texts: Mapping[str, str]) -> None:
    st.subheader("Save")
    if not result.saved:
        if result.reason.startswith("nothing to save"):
            st.info(result.reason.capitalize() + ".", icon=":material/info:")
        else:
            st.error(result.reason.capitalize() + ".", icon=":material/block:")
        if result.report is not None and result.report.diagnostics:
            _check_report(result.report, texts, heading="What the check found")
        return
    kept = ", ".join(f"`{version.path.name}`" for version in result.kept)
    st.success(f"Saved {', '.join(result.changed)}. The version it replaced is kept in "
               f"`{HISTORY}/` ({kept}).", icon=":material/task_alt:")
    _engine_note()
    st.code(result.diff, language="diff")
    if result.report is not None and result.report.diagnostics:
        _check_report(result.report, texts, heading="Warnings of the saved rules")


def _engine_note() -> None:
    """Load the engine of the saved rules now, so that every page serves them."""
    try:
        engine = _shared.engine()
    except NesyError as exc:
        st.warning(f"The rules are saved, but the engine could not be rebuilt: {exc}")
        return
    st.caption(f":material/autorenew: The console's engine now serves rules version "
               f"`{engine.versions['rules'][:12]}`.")


# ------------------------------------------------------------------ history


def _history(workspace: RuleWorkspace, disk: Mapping[str, str]) -> None:
    st.subheader("Earlier versions")
    file_column, version_column = st.columns(2)
    file = file_column.selectbox("Rule file", workspace.files, key="rules-history-file")
    versions = workspace.history(file)
    if not versions:
        st.caption(f"No earlier version of {file} yet: each save keeps the version it "
                   f"replaces in `{HISTORY}/`.")
        return
    labels = {version.path.name: version for version in versions}
    chosen = version_column.selectbox(
        "Version", list(labels), key="rules-history-version",
        format_func=lambda name: f"the text until {labels[name].label}")
    version = labels[chosen]
    diff = unified_diff(version.text(), disk[file], file, f"until {version.label}", "saved")
    if diff:
        st.code(diff, language="diff")
    else:
        st.caption("This version is the same as the saved file.")
    st.button("Restore this version", key="rules-restore", icon=":material/history:",
              on_click=_restore, args=(workspace, file, chosen), disabled=not diff,
              help="Saves the version's text through the same check as Save.")


def _restore(workspace: RuleWorkspace, file: str, name: str) -> None:
    version = next(v for v in workspace.history(file) if v.path.name == name)
    result = workspace.restore(version, base=st.session_state.get(_BASE))
    if result.saved:
        disk = workspace.texts()
        st.session_state[text_key(file)] = disk[file]
        st.session_state[_BASE] = dict(disk)
    texts = {n: st.session_state.get(text_key(n), "") for n in workspace.files}
    _remember("save", result, texts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


if __name__ == "__main__":
    main()
