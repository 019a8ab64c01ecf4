"""Schema migrations (Alembic), run from code: `zhili db upgrade` and at server start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

_HERE = Path(__file__).parent
# Alembic narrates every step at INFO; the console only needs to hear of problems.
logging.getLogger("alembic").setLevel(logging.WARNING)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
