"""Settings from ZHILI_* environment variables (pydantic-settings); one data directory."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings; each field can be set as ZHILI_<FIELD> (ZHILI_DATA=/srv/zhili)."""

    model_config = SettingsConfigDict(env_prefix="ZHILI_", extra="ignore")

    data: Path = Path("./var")
    # Operational database; empty means SQLite in the data directory (zhili.db).
    database_url: str | None = None
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000
    # Basemap tiles are off by default: a deployed district may be air-gapped.
    tile_url: str | None = None
    language: str = "zh-CN"
    # `zhili demo` sets it: / opens the big screen and the login page names the demo accounts.
    demo: bool = False
    # DuckDB's memory for fusion and the search index; beyond it DuckDB spills to disk
    # (its default, 80 % of the machine, let fusion at scale 1.0 grow past 18 GB).
    duckdb_memory: str = "6GB"
    # FastAPI's native OpenTelemetry (traces, metrics, logs), for a district that runs a
    # collector. Off by default: nothing is exported then, yet the check of the global
    # providers on every request took 4 % of the intake's event-loop time (decision 51).
    otel: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def data_dir(override: Path | None = None) -> Path:
    """The data directory: an explicit --data beats ZHILI_DATA beats ./var."""
    path = override if override is not None else get_settings().data
    return Path(path)
