"""The operational store: SQLite (WAL) by default, PostgreSQL at scale, via SQLAlchemy 2."""

from zhili.db.base import Base
from zhili.db.engine import database_url, make_engine, make_sessionmaker

__all__ = ["Base", "database_url", "make_engine", "make_sessionmaker"]
