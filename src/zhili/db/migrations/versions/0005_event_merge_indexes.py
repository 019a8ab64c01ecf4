"""event merge lookup indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 17:25:00

The merge lookup (events/merging.py) runs once per report: a point's query walks a band of
latitude inside one family and reads everything else from the index; a grid's query a range
of area codes. With only (family, created_at) it read every row of the family's window:
half of the intake writer's time at a few thousand open events.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_events_merge_point",
        "events",
        ["family", "lat", "lon", "created_at", "incident_id", "state", "area_code", "id"],
    )
    op.create_index("ix_events_merge_grid", "events", ["family", "area_code", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_merge_grid", table_name="events")
    op.drop_index("ix_events_merge_point", table_name="events")
