"""``nesy app``: a bad bundle is exit status 2 before Streamlit starts; a good one serves."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from apps.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _nesy(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apps.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)


@pytest.mark.parametrize(("args", "match"), [
    (["/nonexistent"], "is not a bundle"),
    (["examples/clinic", "examples/digits"], "one bundle at a time"),
    (["-x"], "unknown option -x"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], match: str) -> None:
    run = _nesy("app", *args)
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert match in run.stderr and "Traceback" not in run.stderr


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: nesy app [BUNDLE]") and "--server.port" in out
    assert main(["--help"]) == 0
    assert "app" in capsys.readouterr().out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_console_serves_a_bundle(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "streamlit.log"
    with log.open("w") as out, subprocess.Popen(
            [sys.executable, "-m", "apps.cli", "app", "examples/digits", "--server.port",
             str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT) as process:
        try:
            deadline = time.monotonic() + 90
            healthy = ""
            while not healthy and time.monotonic() < deadline and process.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                                timeout=2) as response:
                        healthy = response.read().decode()
                except OSError:
                    time.sleep(0.5)
            assert healthy == "ok", log.read_text()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
                assert page.status == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in log.read_text()
