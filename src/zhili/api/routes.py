"""Every API router, in one list: the app mounts these, and the authorization matrix test
walks them (a router not listed here is not served)."""

from __future__ import annotations

from zhili.api import (
    audit,
    auth,
    community,
    devices,
    district,
    event_batch,
    events,
    me,
    open311,
    residents,
    search,
    users,
)

ROUTERS = [
    district.router,
    auth.router,
    me.router,
    residents.router,
    audit.router,
    users.router,
    search.router,
    events.router,
    event_batch.router,
    open311.router,
    devices.router,
    community.router,
]
