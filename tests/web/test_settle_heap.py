"""The server freezes its start-up heap once warm, so full collections skip it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from zhili.web import app as web_app


def test_settle_heap_warms_then_freezes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    warmed: list[Path] = []
    monkeypatch.setattr(web_app.routes, "warm", warmed.append)
    long_lived = [object() for _ in range(1_000)]  # stands for the layout and the caches
    assert gc.get_freeze_count() == 0
    try:
        web_app.settle_heap(tmp_path)
        assert warmed == [tmp_path]
        assert gc.get_freeze_count() >= len(long_lived)
    finally:
        gc.unfreeze()
