"""Alembic environment: one metadata (zhili.db.Base) for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context

from zhili.db import Base, make_engine
from zhili.db import models as _models  # noqa: F401  (registers every table)

config = context.config
url = config.get_main_option("sqlalchemy.url")


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),  # SQLite alters tables by copying
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
