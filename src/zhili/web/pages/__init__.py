"""One module per page; `register_pages` mounts them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zhili.web.context import WebContext


def register_pages(web: WebContext) -> None:
    from zhili.web.pages import audit, citizen, home, kpi, login, mobile, qr, screen, workbench

    home.register(web.data)
    login.register()
    screen.register(web)
    workbench.register(web)
    mobile.register(web)
    citizen.register(web)
    kpi.register(web)
    audit.register(web)
    qr.register(web)
