"""The application: FastAPI with the REST API and the NiceGUI pages on one server."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from nicegui import ui

from zhili import __version__
from zhili.api import district
from zhili.web.pages import home


def create_app(data: Path) -> FastAPI:
    app = FastAPI(title="Zhili API", version=__version__)
    app.state.data = Path(data)
    app.include_router(district.router)
    home.register(app.state.data)
    ui.run_with(
        app, title="智理 Zhili", language="zh-CN", show_welcome_message=False, reconnect_timeout=10
    )
    return app
