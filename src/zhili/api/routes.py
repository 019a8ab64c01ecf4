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

# The intake first: the app tries routes in this order, and systems post thousands of reports
# a second (matching past every other route cost about a tenth of such a request).
ROUTERS = [
    events.router,
    event_batch.router,
    district.router,
    auth.router,
    me.router,
    residents.router,
    audit.router,
    users.router,
    search.router,
    open311.router,
    devices.router,
    community.router,
]
