"""The ``nesy`` command: a table of sub-commands, each ``main(argv) -> int``.

Exit status: 0 ok, 1 a check or test found problems, 2 bad input or usage,
with a one-line reason on standard error and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nesy.errors import InputError, NesyError

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _format_problog(results: dict[str, float]) -> str:
    """ProbLog's plain output: right-aligned ``term:<TAB>probability`` lines, sorted."""
    if not results:
        return ""
    width = max(len(term) for term in results)
    lines = []
    for term, probability in sorted(results.items()):
        value = f"{probability:.8g}"
        lines.append(f"{term:>{width}}:\t{value:<10}")
    return "\n".join(lines)


def query_main(argv: Sequence[str]) -> int:
    """``nesy query FILE.pl [--json]``: evaluate the file's queries."""
    parser = _parser("query", "evaluate the queries of a ProbLog file")
    parser.add_argument("file", help="a ProbLog program (.pl)")
    parser.add_argument("--json", action="store_true", help='print {"queries": {term: p}}')
    parser.add_argument("--timeout", type=float, default=None, help="time limit in seconds")
    args = parser.parse_args(argv)
    from symbolic import Limits, Program

    limits = Limits(time=args.timeout) if args.timeout else None
    program = Program.from_file(args.file, limits=limits)
    results = program.query()
    if args.json:
        print(json.dumps({"queries": results}, indent=2, sort_keys=True))
    else:
        text = _format_problog(results)
        if text:
            print(text)
    return EXIT_OK


def explain_main(argv: Sequence[str]) -> int:
    """``nesy explain FILE.pl QUERY [--k N] [--json]``: a query's probability with its reasons."""
    parser = _parser("explain", "explain a query: its most probable proofs, influence, why not")
    parser.add_argument("file", help="a ProbLog program (.pl)")
    parser.add_argument("query", help="a ground query, e.g. 'path(a,d)'")
    parser.add_argument("--k", type=int, default=3, help="how many proofs (default 3)")
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    parser.add_argument("--timeout", type=float, default=None, help="time limit in seconds")
    args = parser.parse_args(argv)
    from symbolic import Limits, Program

    from .render import render_text

    limits = Limits(time=args.timeout) if args.timeout else None
    program = Program.from_file(args.file, limits=limits)
    explanation = program.explain(args.query, k=args.k)
    if args.json:
        print(json.dumps(explanation.to_dict(), indent=2))
    else:
        print(render_text(explanation))
    return EXIT_OK


def check_main(argv: Sequence[str]) -> int:
    """``nesy check PATH...``: every problem of bundles, rule files and folders of them.

    A bundle folder is checked as one program with its ``bundle.toml``; a rule file of a
    bundle as part of its bundle; any other ``*.pl`` on its own (see
    :func:`bridge.check_paths`).
    """
    parser = _parser("check", "check rules and bundles: print every problem as path:line:col")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a bundle folder, a rule file or a folder of rule files")
    args = parser.parse_args(argv)
    from bridge import check_paths

    report = check_paths(args.paths)
    for diagnostic in report.diagnostics:
        print(diagnostic)
    print(f"{_count(report.errors, 'error')}, {_count(report.warnings, 'warning')} in "
          f"{_count(len(report.files), 'file')}", file=sys.stderr)
    return EXIT_PROBLEMS if report.errors else EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def decide_main(argv: Sequence[str]) -> int:
    """``nesy decide BUNDLE CASE.json [--json]`` or ``--batch CASES.jsonl [--out FILE]``."""
    parser = _parser("decide", "decide cases with a bundle")
    parser.add_argument("bundle", help="a bundle folder (with bundle.toml)")
    parser.add_argument("case", nargs="?", help="a case as JSON")
    parser.add_argument("--batch", help="cases as JSON lines; decisions are written as JSON lines")
    parser.add_argument("--out", help="with --batch: write the decisions here (default stdout)")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    args = parser.parse_args(argv)
    if (args.case is None) == (args.batch is None):
        raise _UsageError("nesy decide: give one CASE.json or --batch CASES.jsonl")
    from bridge import Engine

    engine = Engine.from_bundle(args.bundle)
    if args.case is not None:
        decision = engine.decide(_read_json(args.case))
        if args.json:
            print(json.dumps(decision.to_dict(), indent=2))
        else:
            print(_format_decision(decision.to_dict()))
        return EXIT_OK
    cases = _read_json_lines(args.batch)
    lines = [json.dumps(d.to_dict(), separators=(",", ":")) for d in engine.decide_many(cases)]
    text = "\n".join(lines) + ("\n" if lines else "")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def train_main(argv: Sequence[str]) -> int:
    """``nesy train BUNDLE``: train the bundle's models (deterministic)."""
    parser = _parser("train", "train the models of a bundle")
    parser.add_argument("bundle", help="a bundle folder (with bundle.toml)")
    args = parser.parse_args(argv)
    from bridge import Bundle, train_bundle

    bundle = Bundle.read(args.bundle)
    train_bundle(bundle)
    print(f"trained the models of {bundle.name} in {bundle.root / 'models'}")
    return EXIT_OK


def test_main(argv: Sequence[str]) -> int:
    """``nesy test BUNDLE [-k TEXT] [--json]``: run the bundle's rule tests (``tests/*.toml``)."""
    parser = _parser("test", "run the rule tests of a bundle (tests/*.toml)")
    parser.add_argument("bundle", help="a bundle folder (with bundle.toml)")
    parser.add_argument("-k", dest="match", help="only the tests whose name contains TEXT")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    from bridge import Engine, read_rule_tests, run_rule_tests

    engine = Engine.from_bundle(args.bundle)
    tests = read_rule_tests(engine.bundle)
    if args.match:
        tests = [test for test in tests if args.match in test.name]
    results = run_rule_tests(engine, tests)
    failed = sum(not result.passed for result in results)
    if args.json:
        print(json.dumps({"bundle": engine.bundle.name, "passed": len(results) - failed,
                          "failed": failed, "tests": [r.to_dict() for r in results]},
                         indent=2))
    else:
        for result in results:
            print(result.line())
        print(f"{len(results)} tests: {len(results) - failed} passed, {failed} failed")
    return EXIT_PROBLEMS if failed else EXIT_OK


APP = Path(__file__).resolve().parent / "ui" / "app.py"
DEFAULT_BUNDLE = Path(__file__).resolve().parents[1] / "examples" / "clinic"
APP_HELP = """usage: nesy app [BUNDLE] [STREAMLIT OPTIONS]

Start the diagnostic console, a Streamlit app over the engine, on a bundle (default: the
clinic bundle of this repository). Other options go to `streamlit run`, e.g.
--server.port 8599, --server.address 0.0.0.0, --server.headless true, --theme.base dark.
Streamlit opens a browser unless it runs headless (by default it does when Linux has no
display); it prints the address either way. Ctrl-C stops it.
"""


def app_main(argv: Sequence[str]) -> int:
    """``nesy app [BUNDLE] [--server.port N ...]``: the Streamlit console on a bundle.

    Checks the bundle first (a bad one is exit status 2 with a one-line reason, before
    Streamlit starts), then becomes ``python -m streamlit run apps/ui/app.py [options] --
    BUNDLE`` (the same process: a signal to it reaches Streamlit, nothing is left behind).
    """
    bundles: list[str] = []
    options: list[str] = []
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in ("-h", "--help"):
            print(APP_HELP, end="")
            return EXIT_OK
        if arg.startswith("--"):
            options.append(arg)
            if "=" not in arg and rest and not rest[0].startswith("-"):
                options.append(rest.pop(0))  # the option's value: --server.port 8599
        elif arg.startswith("-"):
            raise _UsageError(f"nesy app: unknown option {arg} (Streamlit's options are "
                              "--section.name VALUE)")
        else:
            bundles.append(arg)
    if len(bundles) > 1:
        raise _UsageError(f"nesy app: one bundle at a time, not {len(bundles)}")
    if not bundles and not (DEFAULT_BUNDLE / "bundle.toml").is_file():
        raise _UsageError("nesy app: give a bundle folder (no default bundle here)")
    import importlib.util

    from bridge import Bundle

    bundle = Bundle.read(bundles[0] if bundles else DEFAULT_BUNDLE)  # BundleError: exit 2
    if importlib.util.find_spec("streamlit") is None:
        raise _UsageError('nesy app: Streamlit is not installed (pip install "nesy-engine[app]")')
    command = [sys.executable, "-m", "streamlit", "run", str(APP), *options, "--",
               str(bundle.root.resolve())]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path} as JSON: {exc}") from exc


def _read_json_lines(path: str) -> list[Any]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    cases = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON: {exc}") from exc
    return cases


def _format_decision(data: dict[str, Any]) -> str:
    label = data["label"] if not data["abstained"] else f"abstain (refer to a human; " \
        f"most probable: {data['decided']})"
    lines = [f"case {data['case']}: {label}  (p = {data['probability']:.4g})", "alternatives:"]
    lines += [f"  {name}: {p:.4g}" for name, p in sorted(data["alternatives"].items(),
                                                       key=lambda item: -item[1])]
    proofs = data["explanation"]["proofs"]
    if proofs:
        lines.append("because:")
        for leaf in proofs[0]["leaves"]:
            source = leaf["source"]
            lines.append(f"  {'not ' if leaf['negated'] else ''}{leaf['fact']}  "
                         f"{leaf['probability']:.4g}  [{source['kind']}]")
    return "\n".join(lines)


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "query": (query_main, "evaluate the queries of a ProbLog file"),
    "check": (check_main, "check rules and bundles: every problem as path:line:col"),
    "explain": (explain_main, "explain a query: proofs, influence, why not"),
    "decide": (decide_main, "decide cases with a bundle"),
    "test": (test_main, "run the rule tests of a bundle"),
    "train": (train_main, "train the models of a bundle"),
    "app": (app_main, "start the diagnostic console (Streamlit) on a bundle"),
}


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    return _Parser(prog=f"nesy {command}", description=description)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _usage() -> str:
    lines = ["usage: nesy COMMAND [ARGS]", "", "commands:"]
    lines += [f"  {name:<10} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nesy`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return EXIT_OK if argv else EXIT_USAGE
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"nesy: unknown command {command!r} (known: {', '.join(COMMANDS)})",
              file=sys.stderr)
        return EXIT_USAGE
    function, _ = COMMANDS[command]
    try:
        return function(rest)
    except _UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except NesyError as exc:
        print(f"nesy {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"nesy {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
