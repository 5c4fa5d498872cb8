"""Fixtures of the knowledge-graph tests: the stores, a real SPARQL server, the data files.

The store fixture runs a test once per store: Oxigraph in memory and on disk, rdflib's
memory store, and a remote endpoint — an ``oxigraph serve`` process started for the
session on a free local port (skipped only when the binary is not installed).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge import KnowledgeGraph

DATA = Path(__file__).resolve().parent / "data"
STORE_IDS = ["oxigraph", "oxigraph-disk", "memory", "remote"]


def _oxigraph_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "oxigraph"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    query = urllib.parse.urlencode({"query": "ASK {}"})
    try:
        with urllib.request.urlopen(f"{url}/query?{query}", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def sparql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real ``oxigraph serve`` on a free local port, stopped at the end."""
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed")
    folder = tmp_path_factory.mktemp("oxigraph-server")
    url = f"http://127.0.0.1:{_free_port()}"
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(folder / "db"), "--bind", url[len("http://"):]],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not _answers(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("oxigraph serve did not start: "
                                + (folder / "server.log").read_text(errors="replace"))
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(params=STORE_IDS)
def store(request: pytest.FixtureRequest) -> str:
    """The name of a store; the ``kg`` fixture builds a graph in it."""
    return str(request.param)


@pytest.fixture
def kg(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> KnowledgeGraph:
    """An empty graph in the store of this run (the remote one emptied first)."""
    if store == "remote":
        graph = KnowledgeGraph(request.getfixturevalue("sparql_server"))
        graph.update("DROP ALL")
        return graph
    if store == "oxigraph-disk":
        return KnowledgeGraph("oxigraph", tmp_path / "store")
    return KnowledgeGraph(store)


@pytest.fixture
def data() -> Path:
    """The folder of test data files."""
    return DATA
