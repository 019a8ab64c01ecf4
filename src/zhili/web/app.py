"""The application: FastAPI with the REST API and the NiceGUI pages on one server."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from fastapi import FastAPI
from nicegui import app as nicegui_app
from nicegui import ui

from zhili import __version__
from zhili.api import direct, errors
from zhili.api import events as event_routes
from zhili.api.routes import ROUTERS
from zhili.config import get_settings
from zhili.db import database_url, make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.devices.service import DeviceService
from zhili.events.hub import build_event_hub
from zhili.privacy.context import PrivacyContext
from zhili.web import routes, session
from zhili.web.context import WebContext
from zhili.web.live import LiveFeed
from zhili.web.pages import register_pages


def settle_heap(data: Path) -> None:
    """Once started: warm the outline caches, then freeze the heap. The district layout, the
    worker index and the caches are millions of objects that live as long as the server;
    frozen, the collector's full passes no longer walk them (each walk took about 200 ms
    of every core-second or ten, holding every request: the p99 of intake, decision 56)."""
    routes.warm(data)
    gc.collect()
    gc.freeze()


def create_app(data: Path, db_url: str | None = None) -> FastAPI:
    otel = get_settings().otel
    app = FastAPI(
        title="Zhili API",
        version=__version__,
        telemetry={"tracing": otel, "metrics": otel, "logs": otel},
    )
    app.state.data = Path(data)
    url = database_url(app.state.data, db_url)
    upgrade(url)  # the schema is always current before the first request
    app.state.engine = make_engine(url)
    app.state.sessions = make_sessionmaker(app.state.engine)
    app.state.privacy = PrivacyContext(keys_dir=app.state.data / "keys")
    # The event hub's writer and escalation sweep run beside the server, stopped with it.
    app.state.events = build_event_hub(app.state.data, app.state.sessions, app.state.privacy)
    app.state.events.start()
    app.router.on_shutdown.append(app.state.events.stop)
    # Devices (#6): the MQTT broker and the device ingest, after the hub they report into.
    app.state.devices = DeviceService(app.state.sessions, app.state.events.state, app.state.privacy)
    app.state.devices.start()
    app.router.on_shutdown.insert(0, app.state.devices.stop)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # The intake's hot route skips the middleware stack and router (api/direct.py).
    direct.install(app, {("POST", "/api/events"): event_routes.report})
    # The role pages (#7): one context to the services, one live feed for every screen.
    web = WebContext(app.state.data, app.state.sessions, app.state.privacy, app.state.events)
    web.feed = LiveFeed(app.state.sessions)
    app.state.web = web
    app.include_router(session.router)
    app.include_router(routes.router)
    nicegui_app.add_static_files("/zhili-static", Path(__file__).parent / "static")
    nicegui_app.on_startup(web.feed.start)
    nicegui_app.on_shutdown(web.feed.stop)
    threading.Thread(target=settle_heap, args=(app.state.data,), daemon=True).start()
    register_pages(web)
    ui.run_with(
        app, title="智理 Zhili", language="zh-CN", show_welcome_message=False, reconnect_timeout=10
    )
    return app
