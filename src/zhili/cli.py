"""The `zhili` command line. Every command that reads or writes stored data takes --data DIR
(default $ZHILI_DATA, else ./var)."""

from __future__ import annotations

import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from zhili.community.cli import community_app
from zhili.config import data_dir, get_settings
from zhili.events.cli import events_app
from zhili.logging import setup_logging

app = typer.Typer(help="Zhili (治理): a social-governance city brain.", no_args_is_help=True)
twin_app = typer.Typer(help="The synthetic district (twin).", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks: each prints one JSON line of measured figures.", no_args_is_help=True
)
db_app = typer.Typer(help="The operational database.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
hub_app = typer.Typer(help="The data hub.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention of raw movement data.", no_args_is_help=True)
export_app = typer.Typer(help="Exports of hub data.", no_args_is_help=True)
app.add_typer(twin_app, name="twin")
app.add_typer(bench_app, name="bench")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(hub_app, name="hub")
app.add_typer(retention_app, name="retention")
app.add_typer(export_app, name="export")
app.add_typer(events_app, name="events")
app.add_typer(community_app, name="community")
# Devices (#6): registry, MQTT credentials, quarantine, simulator (zhili/devices/cli.py).
from zhili.devices.cli import bench_mqtt_cmd, demo_pipeline, devices_app, simulate_cmd  # noqa: E402

app.add_typer(devices_app, name="devices")
app.command("simulate")(simulate_cmd)
bench_app.command("mqtt")(bench_mqtt_cmd)
log = logging.getLogger("zhili")

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Data directory (default $ZHILI_DATA or ./var).")
]
ScaleOpt = Annotated[
    float, typer.Option("--scale", help="1.0 = the seed's district (3.2 M residents).")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Same seed, same district, same bytes.")]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    setup_logging("DEBUG" if verbose else get_settings().log_level)


def _twin_dir(data: Path | None) -> Path:
    return data_dir(data) / "twin"


def _generate(scale: float, seed: int, out: Path, show_progress: bool) -> dict:
    from zhili.twin.generate import generate
    from zhili.twin.spec import TwinSpec

    spec = TwinSpec(scale=scale, seed=seed)
    if not show_progress:
        return generate(spec, out)
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("twin", total=1)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        return generate(spec, out, progress)


@twin_app.command("generate")
def twin_generate(
    scale: ScaleOpt = 0.01,
    seed: SeedOpt = 7,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory (default DATA/twin).")
    ] = None,
    data: DataOpt = None,
) -> None:
    """Generate the twin: DIR/sources/<system>/…, DIR/truth/…, DIR/summary.json."""
    target = out or _twin_dir(data)
    try:
        summary = _generate(scale, seed, target, show_progress=sys.stderr.isatty())
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    c = summary["counts"]
    typer.echo(
        f"twin written to {target}: {c['persons']:,} persons, {c['houses']:,} houses, "
        f"{c['enterprises']:,} enterprises, {summary['systems']} systems of "
        f"{summary['departments']} "
        f"departments, {summary['records']:,} source records in {summary['seconds']} s"
    )


@bench_app.command("twin")
def bench_twin(
    scale: ScaleOpt = 0.1,
    seed: SeedOpt = 7,
    repeats: Annotated[int, typer.Option(help="Runs; seconds is their median.")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Time `twin generate` and report its peak memory (this process: run it on its own)."""
    times = []
    for _ in range(max(1, repeats)):
        with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
            started = time.perf_counter()
            summary = _generate(scale, seed, Path(tmp), show_progress=False)
            times.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    figures = {
        "bench": "twin",
        "scale": scale,
        "repeats": len(times),
        "seconds": round(statistics.median(times), 2),
        "peak_rss_mb": round(peak_mb, 1),
        "persons": summary["counts"]["persons"],
        "records": summary["records"],
    }
    lines = "\n".join(f"{k}: {v}" for k, v in figures.items())
    typer.echo(json.dumps(figures) if json_out else lines)


class _Store:
    """The console's way into the store: the operator actor, a session, the privacy context.
    Console commands are maintenance (no personal data leaves them), authorized and audited."""

    def __init__(self, data: Path | None, action: str) -> None:
        import getpass

        from zhili.db import database_url, make_engine, make_sessionmaker
        from zhili.db.migrate import upgrade
        from zhili.privacy.actors import cli_operator
        from zhili.privacy.context import PrivacyContext
        from zhili.privacy.policy import authorize

        self.data = data_dir(data)
        url = database_url(self.data)
        upgrade(url)
        self.engine = make_engine(url)
        self.session = make_sessionmaker(self.engine)()
        self.ctx = PrivacyContext(keys_dir=self.data / "keys")
        self.actor = cli_operator(getpass.getuser())
        authorize(self.actor, action)

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


@db_app.command("upgrade")
def db_upgrade(data: DataOpt = None) -> None:
    """Create or migrate the operational schema (SQLite in DATA, or $ZHILI_DATABASE_URL)."""
    store = _Store(data, "db.upgrade")
    store.close()
    typer.echo("schema is current")


@users_app.command("demo")
def users_demo(
    data: DataOpt = None,
    markdown: Annotated[Path | None, typer.Option(help="Also write the list as markdown.")] = None,
) -> None:
    """Create the documented demo accounts, one per role, in the twin's real areas."""
    from rich.console import Console
    from rich.table import Table

    from zhili.geo import get_layout
    from zhili.privacy.identity import create_demo_users, write_markdown

    store = _Store(data, "user.create")
    twin = _twin_dir(data)
    accounts = create_demo_users(store.session, get_layout(), twin if twin.exists() else None)
    store.ctx.audit(
        store.session,
        store.actor,
        "user.create",
        resource="demo accounts",
        result_count=len(accounts),
    )
    store.session.commit()
    store.close()
    table = Table("username", "role", "scope", "department", "name")
    for a in accounts:
        table.add_row(a.username, a.role, a.scope, a.department or "", a.display_name)
    Console().print(table)
    if markdown:
        write_markdown(accounts, markdown)


@audit_app.command("verify")
def audit_verify(data: DataOpt = None) -> None:
    """Check the whole chain and its signed checkpoints; name the first bad record."""
    from zhili.privacy.audit import verify

    store = _Store(data, "audit.verify")
    report = verify(store.session, store.ctx.public_key)
    store.ctx.audit(
        store.session,
        store.actor,
        "audit.verify",
        resource="audit",
        result_count=report.records,
        outcome="ok" if report.ok else "broken",
    )
    store.session.commit()
    store.close()
    if report.ok:
        typer.echo(f"audit chain intact: {report.records:,} records")
        return
    typer.echo(f"audit chain BROKEN at record {report.first_bad_seq}: {report.reason}", err=True)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(data: DataOpt = None) -> None:
    """Sign a Merkle checkpoint over the records since the last one."""
    from zhili.privacy.audit import write_checkpoint

    store = _Store(data, "audit.checkpoint")
    cp = write_checkpoint(store.session, store.ctx.signing_key)
    store.session.commit()
    store.close()
    typer.echo(
        f"checkpoint over records {cp.first_seq}-{cp.last_seq}" if cp else "nothing new to sign"
    )


@hub_app.command("load-twin")
def hub_load_twin(data: DataOpt = None) -> None:
    """Load the twin's residents and gate passages into the operational store."""
    from zhili.hub.load import load_twin

    store = _Store(data, "hub.load")
    counts = load_twin(store.session, _twin_dir(data))
    store.ctx.audit(
        store.session, store.actor, "hub.load", resource="twin", result_count=counts["residents"]
    )
    store.session.commit()
    store.close()
    typer.echo(", ".join(f"{v:,} {k}" for k, v in counts.items()) + " loaded")


@retention_app.command("run")
def retention_run(
    data: DataOpt = None,
    days: Annotated[int, typer.Option(help="Keep raw passages this many days.")] = 30,
) -> None:
    """Reduce raw gate passages older than DAYS to daily counts and delete them (audited)."""
    from zhili.privacy.retention import run_retention

    store = _Store(data, "retention.run")
    result = run_retention(store.session, store.ctx, store.actor, days)
    store.close()
    typer.echo(
        f"deleted {result['deleted']:,} raw passages, kept {result['daily_rows']:,} daily counts"
    )


@app.command()
def ingest(
    sources: Annotated[Path, typer.Argument(help="Directory of department exports (<system>/…).")],
    data: DataOpt = None,
) -> None:
    """Land every export in the lake (DATA/lake): validated, with lineage and quarantine."""
    from zhili.hub.ingest import ingest as run_ingest

    if not sources.is_dir():
        typer.echo(f"error: {sources} is not a directory", err=True)
        raise typer.Exit(2)
    report = run_ingest(sources, data_dir(data) / "lake")
    typer.echo(report.format_table())
    failed = [b for b in report.batches if b.status == "failed"]
    if failed:
        typer.echo(f"{len(failed)} batch(es) failed; the others landed", err=True)
        raise typer.Exit(1)


@app.command()
def fuse(
    data: DataOpt = None,
    truth: Annotated[Path | None, typer.Option(help="Twin truth dir to score against.")] = None,
    retrain: Annotated[bool, typer.Option(help="Retrain the saved models.")] = False,
    engine: Annotated[
        str, typer.Option(help="duckdb, or spark (the spark extra, Java 17)")
    ] = "duckdb",
) -> None:
    """Fuse the lake's mentions into master persons, enterprises, houses and vehicles."""
    from zhili.hub.pipeline.fuse import fuse as run_fuse

    root = data_dir(data)
    truth = truth or (root / "twin" / "truth")
    if engine not in ("duckdb", "spark"):
        typer.echo("error: --engine must be duckdb or spark", err=True)
        raise typer.Exit(2)
    report = run_fuse(root / "lake", truth if truth.exists() else None, retrain, engine)
    for entity, n in report.mentions.items():
        masters, seconds = report.masters[entity], report.seconds[entity]
        line = f"{entity:<10} {n:>10,} mentions → {masters:>9,} masters in {seconds} s"
        s = report.scores.get(entity)
        if s:
            line += (
                f"  pairwise P/R/F1 {s.pairwise_precision:.4f}/{s.pairwise_recall:.4f}/"
                f"{s.pairwise_f1:.4f}  cluster F1 {s.cluster_f1:.4f}"
            )
        typer.echo(line)


@app.command()
def index(data: DataOpt = None) -> None:
    """Build the search index from the fused masters: keys, records, relations, areas."""
    from zhili.hub.search.build import build_index

    try:
        report = build_index(data_dir(data) / "lake")
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    masters = ", ".join(f"{n:,} {e}" for e, n in sorted(report.masters.items()))
    typer.echo(f"masters: {masters}")
    typer.echo("seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()))
    typer.echo(
        f"{report.keys:,} keys, {report.records:,} records, {report.edges:,} relation ends "
        f"→ {report.path} in {sum(report.seconds.values()):.1f} s"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="ID, phone, name, pinyin, address, code, plate")],
    user: Annotated[str, typer.Option(help="Your account (the search runs as you).")],
    purpose_basis: Annotated[str, typer.Option(help="Legal basis (statutory_duty …).")],
    case: Annotated[str | None, typer.Option(help="Case or event id the search serves.")] = None,
    purpose_text: Annotated[str, typer.Option(help="What the data is needed for.")] = "",
    unmask: Annotated[bool, typer.Option(help="Show identifiers in full (audited).")] = False,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
    data: DataOpt = None,
) -> None:
    """Search every department's data as a named user (password from ZHILI_PASSWORD or a
    prompt), through the same authorization, masking and audit as the API. Prints JSON."""
    import os

    from zhili.hub.search.index import IndexMissing
    from zhili.hub.search.service import search as run_search
    from zhili.privacy.actors import Actor
    from zhili.privacy.identity import AuthError
    from zhili.privacy.identity.users import authenticate
    from zhili.privacy.policy import AuthorizationError
    from zhili.privacy.purpose import Purpose, PurposeError

    store = _Store(data, "db.upgrade")
    try:
        password = os.environ.get("ZHILI_PASSWORD") or typer.prompt("password", hide_input=True)
        account = authenticate(store.session, user, password)
        actor = Actor(
            id=f"user:{account.id}",
            role=account.role,
            scope=account.scope or "",
            department=account.department,
            person_id=account.person_id,
            display_name=account.display_name,
        )
        stated = Purpose(legal_basis=purpose_basis, case_id=case, text=purpose_text)
        answer = run_search(
            store.session,
            store.ctx,
            actor,
            store.data / "lake",
            query,
            stated,
            limit=limit,
            unmask=unmask,
        )
    except (AuthError, AuthorizationError, PurposeError, ValueError, IndexMissing) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        store.close()
    typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@export_app.command("links")
def export_links_cmd(
    entity: Annotated[str, typer.Option(help="person, house, enterprise or vehicle")],
    out: Annotated[Path, typer.Option(help="Parquet file to write.")],
    data: DataOpt = None,
) -> None:
    """Every source record's master entity (source, record_id, master_id, role)."""
    from zhili.hub.pipeline.fuse import ENTITIES, export_links

    if entity not in ENTITIES:
        typer.echo(f"error: --entity must be one of {', '.join(ENTITIES)}", err=True)
        raise typer.Exit(2)
    n = export_links(data_dir(data) / "lake", entity, out)
    typer.echo(f"{n:,} links written to {out}")


@bench_app.command("fusion")
def bench_fusion(
    scale: ScaleOpt = 0.1,
    seed: SeedOpt = 7,
    data: Annotated[
        Path | None,
        typer.Option(help="Work here: a twin of this scale is reused, DATA/bench-lake rebuilt."),
    ] = None,
    queries: Annotated[int, typer.Option(help="Searches timed (after 50 warm-up).")] = 500,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """The hub's pipeline (ingest → fuse → index) timed per stage, peak memory, ingest rate,
    warm search p95 and cluster F1 per entity type (run it on its own: peak memory is this
    process's)."""
    from zhili.hub.bench import run

    figures = run(scale, seed, data, queries)
    lines = "\n".join(f"{k}: {v}" for k, v in figures.items())
    typer.echo(json.dumps(figures) if json_out else lines)


@bench_app.command("privacy")
def bench_privacy(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Authorization checks/s, audit appends/s (SQLite, one transaction each), verify s/1M."""
    from zhili.privacy.bench import run as run_bench

    figures = run_bench()
    lines = "\n".join(f"{k}: {v}" for k, v in figures.items())
    typer.echo(json.dumps(figures) if json_out else lines)


@bench_app.command("intake")
def bench_intake(
    db: Annotated[
        str, typer.Option("--db", help="sqlite or postgres (a fresh database, dropped after).")
    ] = "sqlite",
    seconds: Annotated[float, typer.Option(help="Sustained load; the paced run as long.")] = 10.0,
    connections: Annotated[int, typer.Option(help="Keep-alive connections of the load.")] = 96,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """The event hub's HTTP intake through a real `zhili serve` (one core, the load on the
    other): acknowledged events/s, the database's raw insert rate of the same rows, p99 at a
    paced 500 events/s, and dispatch p99 at the full workforce (run it on its own)."""
    from zhili.events.bench_intake import run as run_bench

    if db not in ("sqlite", "postgres", "postgresql"):
        typer.echo("error: --db must be sqlite or postgres", err=True)
        raise typer.Exit(2)
    figures = run_bench(db, seconds=seconds, connections=connections)
    lines = "\n".join(f"{k}: {v}" for k, v in figures.items())
    typer.echo(json.dumps(figures, ensure_ascii=False) if json_out else lines)


@bench_app.command("ui")
def bench_ui(
    clients: Annotated[int, typer.Option(help="Big screens open at once (browser pages).")] = 20,
    workers: Annotated[int, typer.Option(help="Workers on duty, each a dot.")] = 37_000,
    events: Annotated[int, typer.Option(help="Open events, each a dot.")] = 10_000,
    reports: Annotated[int, typer.Option(help="Events posted to time the live updates.")] = 30,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """The big screen under load with real Chromium pages: server RSS growth per connected
    screen, and the time from an event entering the hub to its dot on every screen (p95)."""
    from zhili.web.bench_ui import run as run_bench

    figures = run_bench(clients=clients, workers=workers, events=events, reports=reports)
    lines = "\n".join(f"{k}: {v}" for k, v in figures.items())
    typer.echo(json.dumps(figures) if json_out else lines)


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the web app and API over the data directory."""
    import uvicorn

    from zhili.web.app import create_app

    settings = get_settings()
    # The store must be ready (schema, twin residents) before the first request.
    _prepare_store(data)
    uvicorn.run(
        create_app(data_dir(data)),
        host=host or settings.host,
        port=port or settings.port,
        # One access-log line per request at INFO; ZHILI_LOG_LEVEL=WARNING turns it off (the
        # audit trail, not the access log, is the record of who did what).
        log_level=settings.log_level.lower(),
    )


def _prepare_store(data: Path | None) -> None:
    """Migrate the schema; load the twin's residents once, if a twin is there."""
    from sqlalchemy import func, select

    from zhili.hub.models import Resident

    twin = _twin_dir(data)
    store = _Store(data, "db.upgrade")
    empty = not store.session.scalar(select(func.count()).select_from(Resident))
    store.close()
    if empty and (twin / "truth" / "persons.parquet").exists():
        hub_load_twin(data)


def _hub_pipeline(data: Path | None) -> None:
    """The data hub over the twin's exports: ingest → standardize and fuse → search index."""
    typer.echo("data hub: ingest the 25 department systems …")
    ingest(_twin_dir(data) / "sources", data)
    typer.echo("data hub: fuse master persons, enterprises, houses, vehicles …")
    fuse(data, truth=None, retrain=False, engine="duckdb")
    typer.echo("data hub: build the search index …")
    index(data)


def _event_pipeline(data: Path | None) -> None:
    """The event hub over the twin: its grid workforce and its history of closed events."""
    from zhili.events.cli import load_history_cmd, load_workers_cmd

    typer.echo("event hub: load the grid workforce and the historical events …")
    load_workers_cmd(data)
    load_history_cmd(data)


@app.command()
def demo(
    data: DataOpt = None,
    scale: ScaleOpt = 0.01,
    seed: SeedOpt = 7,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """The main job: build a small twin district (unless one is there), run every pipeline
    stage that exists, and serve the web app at http://127.0.0.1:8000."""
    twin = _twin_dir(data)
    summary_file = twin / "summary.json"
    current = json.loads(summary_file.read_text("utf-8")) if summary_file.exists() else None
    if not current or current.get("scale") != scale or current.get("seed") != seed:
        typer.echo(f"generating the twin district (scale {scale}, seed {seed}) in {twin} …")
        _generate(scale, seed, twin, show_progress=sys.stderr.isatty())
        hub_load_twin(data)
        _hub_pipeline(data)
    else:
        typer.echo(f"using the twin district in {twin}")
        from zhili.hub.search.build import index_path

        if not index_path(data_dir(data) / "lake").exists():
            _hub_pipeline(data)
    users_demo(data, markdown=None)
    _event_pipeline(data)
    demo_pipeline(data)  # devices and smart communities (#6)
    import os

    from zhili.privacy.identity import DEMO_PASSWORD

    os.environ["ZHILI_DEMO"] = "1"  # the web app opens on the big screen (#7)
    _demo_broker_port()
    get_settings.cache_clear()
    url = f"http://127.0.0.1:{port or get_settings().port}/"
    typer.echo(f"big screen: {url} (log in as commander, password {DEMO_PASSWORD})")
    serve(data=data, host=None, port=port)


def _demo_broker_port() -> None:
    """The demo's embedded MQTT broker: on 1883 unless that port is taken (development and CI
    machines run a Mosquitto there), then on the next free port, and say so: the devices and
    `zhili simulate` must talk to the demo's own broker, which knows their passwords. A
    configured ZHILI_MQTT_URL or ZHILI_MQTT_PORT is left as it is (decision 55)."""
    import os
    import socket

    if os.environ.get("ZHILI_MQTT_URL") or os.environ.get("ZHILI_MQTT_PORT"):
        return
    for port in range(1883, 1900):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port != 1883:
            os.environ["ZHILI_MQTT_PORT"] = str(port)
            typer.echo(
                f"MQTT: port 1883 is taken; the demo's broker listens on {port} "
                f"(simulate with `ZHILI_MQTT_PORT={port} zhili simulate --rate 100`)"
            )
        return
    typer.echo("MQTT: ports 1883-1899 are taken; the demo runs without device ingest")


if __name__ == "__main__":
    app()
