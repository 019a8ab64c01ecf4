"""One layout per test session: building it takes a few seconds."""

from __future__ import annotations

import pytest

from zhili.geo import DistrictLayout, get_layout


@pytest.fixture(scope="session")
def layout() -> DistrictLayout:
    return get_layout()
