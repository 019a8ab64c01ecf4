"""One long operation at a time: while a page action runs (the service call is already in a
worker thread, PageCtx.call → run.io_bound), the button that started it spins and its
siblings are disabled; a second click meanwhile does nothing, so a double-click acts once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nicegui import ui

T = TypeVar("T")


class Busy:
    def __init__(self) -> None:
        self.running = False
        self.buttons: list[ui.button] = []

    def reset(self) -> None:
        """Forget the buttons (call where a refreshable redraws them)."""
        self.buttons = []

    def button(self, *args: Any, **kw: Any) -> ui.button:
        b = ui.button(*args, **kw)
        self.buttons.append(b)
        return b

    async def run(self, clicked: ui.button | None, work: Callable[[], Awaitable[T]]) -> T | None:
        if self.running:
            return None
        self.running = True
        alive = [b for b in self.buttons if not b.is_deleted]
        for b in alive:
            b.disable()
        if clicked is not None:
            clicked.props("loading")
        try:
            return await work()
        finally:
            self.running = False
            for b in alive:
                if not b.is_deleted:
                    b.enable()
            if clicked is not None and not clicked.is_deleted:
                clicked.props(remove="loading")
