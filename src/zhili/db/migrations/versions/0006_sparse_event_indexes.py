"""partial indexes on the events columns most events leave empty

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:00:00

incident_id (set on merged reports), reporter_person (citizens' reports) and token (Open311)
are NULL on most events, and every lookup on them is an equality, which implies IS NOT NULL:
indexing only the rows where they are set saves three index entries on each intake insert.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SPARSE = (
    ("ix_events_incident", "incident_id"),
    ("ix_events_reporter_person", "reporter_person"),
    ("ix_events_token", "token"),
)


def upgrade() -> None:
    for name, column in _SPARSE:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, column in _SPARSE:
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", [column])
