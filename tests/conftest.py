"""Shared fixtures: a tiny twin (scale 0.002, about 6,400 residents) generated once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
