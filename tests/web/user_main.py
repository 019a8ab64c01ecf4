"""The pages for NiceGUI's `user` fixture (pyproject: `-p nicegui.testing.user_plugin`,
`main_file`): the fixture resets NiceGUI's globals and runs this file, so the pages are
registered here, with the same WebContext and `register_pages` that `create_app` uses; only
the outer FastAPI app (REST API, /web/login), the writer threads, devices and the live feed
are left out. The test module sets ZHILI_USER_TEST_DATA to a data directory with the twin and
a database holding the demo users, and logs in by putting a token in the session cookie."""

from __future__ import annotations

import os
from pathlib import Path

from nicegui import app, ui

from zhili.db import database_url, make_engine, make_sessionmaker
from zhili.events.hub import build_event_hub
from zhili.privacy.context import PrivacyContext
from zhili.web.context import WebContext
from zhili.web.pages import register_pages

data = Path(os.environ["ZHILI_USER_TEST_DATA"])
sessions = make_sessionmaker(make_engine(database_url(data, None)))
privacy = PrivacyContext(keys_dir=data / "keys")
web = WebContext(data, sessions, privacy, build_event_hub(data, sessions, privacy))
app.add_static_files("/zhili-static", Path(__file__).parents[2] / "src/zhili/web/static")
register_pages(web)
ui.run(storage_secret="zhili user simulation", language="zh-CN", show_welcome_message=False)
