"""Shared fixtures: a tiny twin (scale 0.002, about 6,400 residents) generated once per session."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest

from zhili.twin.generate import generate
from zhili.twin.spec import TwinSpec

TWIN_SCALE = 0.002
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, reason: str) -> None:
    """Skip for a missing facility on a developer's machine; in CI it must be there."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding a generated twin under twin/ (as `zhili demo` leaves it)."""
    data = tmp_path_factory.mktemp("data")
    generate(TwinSpec(scale=TWIN_SCALE, seed=7), data / "twin")
    return data


@pytest.fixture(scope="session")
def twin_dir(data_dir: Path) -> Path:
    return data_dir / "twin"


@pytest.fixture(scope="session")
def summary(twin_dir: Path) -> dict:
    return json.loads((twin_dir / "summary.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def truth(twin_dir: Path):
    def read(name: str) -> pl.DataFrame:
        return pl.read_parquet(twin_dir / "truth" / f"{name}.parquet")

    return read


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def hub_lake(data_dir: Path) -> Path:
    """The tiny twin through the data hub as `zhili demo` leaves it: DATA/lake ingested,
    fused (scored against the truth) and indexed for search."""
    from zhili.hub.ingest import ingest
    from zhili.hub.pipeline.fuse import fuse
    from zhili.hub.search.build import build_index

    lake = data_dir / "lake"
    ingest(data_dir / "twin" / "sources", lake)
    fuse(lake, data_dir / "twin" / "truth")
    build_index(lake)
    return lake


@pytest.fixture(scope="session")
def server(data_dir: Path, hub_lake: Path) -> Iterator[str]:
    """`zhili serve` as a real process over the tiny twin, with the demo accounts created."""
    cli = [sys.executable, "-m", "zhili.cli"]
    subprocess.run(
        [*cli, "users", "demo", "--data", str(data_dir)], check=True, capture_output=True
    )
    subprocess.run(
        [*cli, "events", "load-workers", "--data", str(data_dir)], check=True, capture_output=True
    )
    port = _free_port()
    # The log goes to a file: a pipe nobody reads fills up and blocks the server.
    log_path = data_dir / "server.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [*cli, "serve", "--data", str(data_dir), "--port", str(port)],
        env={**os.environ, "ZHILI_ESCALATION_SECONDS": "2"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(log_path.read_text("utf-8", "replace")[-4000:] or "server exited")
    else:
        proc.kill()
        raise RuntimeError("server did not start within 90 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


# Callers for every demo role against the `server` (defined once for every package).
from tests.callers import accounts, callers, identifiers, residents  # noqa: E402, F401
