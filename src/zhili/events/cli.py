"""`zhili events …`: load the workforce and the historical events, run the escalation sweep,
show the three rates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zhili.config import data_dir

events_app = typer.Typer(help="The event hub.", no_args_is_help=True)
DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (default ./var).")]


def _store(data: Path | None):  # type: ignore[no-untyped-def]
    from zhili.db import database_url, make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade

    url = database_url(data_dir(data))
    upgrade(url)
    return url, make_sessionmaker(make_engine(url))


@events_app.command("load-workers")
def load_workers_cmd(data: DataOpt = None) -> None:
    """Load the grid workforce (full- and part-time workers) from the twin."""
    from zhili.events.workers import load_workers

    _, sessions = _store(data)
    with sessions() as session:
        n = load_workers(session, data_dir(data) / "twin")
        session.commit()
    typer.echo(f"workers: {n:,}")


@events_app.command("load-history")
def load_history_cmd(data: DataOpt = None) -> None:
    """Load the twin's historical events (2016-2018) as closed events."""
    from zhili.events.history import load_history

    url, _ = _store(data)
    result = load_history(url, data_dir(data) / "twin")
    typer.echo(json.dumps(result, ensure_ascii=False))


@events_app.command("sweep")
def sweep_cmd(data: DataOpt = None) -> None:
    """Fire every deadline that has passed (the server does this every 30 s)."""
    from zhili.events.escalation import sweep
    from zhili.events.hub import district_layout
    from zhili.events.runtime import HubState
    from zhili.privacy.context import PrivacyContext

    _, sessions = _store(data)
    state = HubState(layout=district_layout(data_dir(data)))
    with sessions() as session:
        n = sweep(session, state, PrivacyContext(keys_dir=data_dir(data) / "keys"))
    typer.echo(f"timers fired: {n}")
