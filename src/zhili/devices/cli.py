"""`zhili devices …`: load the registry from the twin, issue credentials, write Mosquitto's
password and ACL files, look at (and purge) the quarantine."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from zhili.config import data_dir

devices_app = typer.Typer(
    help="Devices: registry, MQTT credentials, quarantine.", no_args_is_help=True
)
DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (default ./var).")]


def _store(data: Path | None):  # type: ignore[no-untyped-def]
    from zhili.db import database_url, make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade

    url = database_url(data_dir(data))
    upgrade(url)
    return make_sessionmaker(make_engine(url))


def secrets_path(data: Path | None) -> Path:
    return data_dir(data) / "keys" / "device-secrets.csv"


@devices_app.command("load")
def load_cmd(
    data: DataOpt = None,
    secrets: Annotated[
        Path | None,
        typer.Option(
            help="Where new devices' passwords go (DATA/keys/device-secrets.csv, mode 0600)."
        ),
    ] = None,
) -> None:
    """Load the twin's devices into the registry; new devices get an MQTT password."""
    from zhili.devices.registry import load_devices

    sessions = _store(data)
    out = secrets or secrets_path(data)
    with sessions() as session:
        result = load_devices(session, data_dir(data) / "twin", out)
        session.commit()
    typer.echo(
        f"devices: {result.devices:,} ({result.new:,} new, {result.updated:,} updated)"
        + (f"; new passwords in {result.secrets_file}" if result.secrets_file else "")
    )


@devices_app.command("issue")
def issue_cmd(device_id: str, data: DataOpt = None) -> None:
    """Issue a new password for one device (the old one stops working) and print it once."""
    from zhili.devices.credentials import issue
    from zhili.devices.models import Device
    from zhili.devices.registry import append_secrets

    sessions = _store(data)
    with sessions() as session:
        try:
            secret = issue(session, device_id)
        except KeyError as exc:
            raise typer.BadParameter(str(exc)) from exc
        kind = session.get(Device, device_id).kind  # type: ignore[union-attr]
        session.commit()
    append_secrets(secrets_path(data), [(device_id, kind, secret)])
    typer.echo(secret)


@devices_app.command("credentials")
def credentials_cmd(
    data: DataOpt = None,
    mosquitto: Annotated[
        Path | None, typer.Option(help="Write a Mosquitto password file here.")
    ] = None,
    acl: Annotated[Path | None, typer.Option(help="Write a Mosquitto ACL file here.")] = None,
    hub_password: Annotated[
        str | None,
        typer.Option(
            envvar="ZHILI_MQTT_HUB_PASSWORD", help="Also add the hub's account (zhili-hub)."
        ),
    ] = None,
    root: Annotated[str, typer.Option(envvar="ZHILI_MQTT_ROOT", help="Topic root.")] = "zhili",
) -> None:
    """Files for an external Mosquitto: every device's stored hash (Mosquitto's own $7$ format,
    no password needed) and an ACL confining each device to its own topics."""
    from zhili.devices.credentials import mosquitto_acl, mosquitto_password_file, write_private

    if mosquitto is None and acl is None:
        raise typer.BadParameter("give --mosquitto FILE and/or --acl FILE")
    sessions = _store(data)
    if mosquitto is not None:
        with sessions() as session:
            lines = mosquitto_password_file(session, hub_password)
        write_private(mosquitto, lines)
        typer.echo(f"{mosquitto}: {len(lines):,} accounts")
    if acl is not None:
        write_private(acl, mosquitto_acl(root))
        typer.echo(f"{acl}: ACL for topics under {root}/")


@devices_app.command("quarantine")
def quarantine_cmd(
    data: DataOpt = None,
    limit: Annotated[int, typer.Option(help="How many recent payloads to show.")] = 20,
    reason: Annotated[str | None, typer.Option(help="Only this reason.")] = None,
) -> None:
    """Counts per reason, and the most recent quarantined payloads with why."""
    from sqlalchemy import func, select

    from zhili.devices.models import DeviceQuarantine, DeviceQuarantineCount

    sessions = _store(data)
    with sessions() as session:
        counts = session.execute(
            select(DeviceQuarantineCount.reason, func.sum(DeviceQuarantineCount.count))
            .group_by(DeviceQuarantineCount.reason)
            .order_by(DeviceQuarantineCount.reason)
        ).all()
        q = select(DeviceQuarantine).order_by(DeviceQuarantine.id.desc()).limit(limit)
        if reason:
            q = q.where(DeviceQuarantine.reason == reason)
        rows = session.scalars(q).all()
        typer.echo(json.dumps({r: int(n) for r, n in counts}, ensure_ascii=False))
        for r in rows:
            typer.echo(
                f"{r.at:%Y-%m-%d %H:%M:%S} {r.reason:<16} {r.topic} {r.detail} "
                f"{r.payload[:120].decode('utf-8', 'replace')!r}"
            )


@devices_app.command("purge")
def purge_cmd(
    data: DataOpt = None,
    days: Annotated[int, typer.Option(help="Keep quarantined payloads this many days.")] = 30,
) -> None:
    """Delete quarantined payloads older than the period (the counts per reason stay)."""
    from sqlalchemy import delete

    from zhili.devices.models import DeviceQuarantine

    sessions = _store(data)
    cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days)
    with sessions() as session:
        n = session.execute(delete(DeviceQuarantine).where(DeviceQuarantine.at < cutoff)).rowcount
        session.commit()
    typer.echo(f"quarantined payloads deleted: {n:,}")


def simulate_cmd(
    data: DataOpt = None,
    rate: Annotated[float, typer.Option(help="Messages a second, all devices together.")] = 100.0,
    duration: Annotated[float, typer.Option(help="Seconds to run.")] = 60.0,
    devices: Annotated[int, typer.Option(help="How many of the registry's devices speak.")] = 300,
    alarm_every: Annotated[float, typer.Option(help="Seconds between alarms (0: none).")] = 60.0,
    seed: Annotated[int, typer.Option(help="Same seed, same devices and traffic.")] = 7,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Replay the twin's devices as live MQTT traffic to the broker (the embedded one of a
    running `zhili serve`, or ZHILI_MQTT_URL's), each device logged in as itself."""
    import asyncio

    from zhili.devices.config import DISABLED, settings_from_env
    from zhili.devices.registry import read_secrets
    from zhili.devices.simulator import gate_credentials, pick, simulate
    from zhili.devices.traffic import Traffic, fleet

    settings = settings_from_env()
    if settings.mode == DISABLED:
        raise typer.BadParameter("ZHILI_MQTT_URL=none: there is no broker to talk to")
    path = secrets_path(data)
    if not path.exists():
        raise typer.BadParameter(f"no {path}: run `zhili devices load` first")
    sessions = _store(data)
    with sessions() as session:
        chosen = pick(fleet(session), devices, seed)
        credentials = gate_credentials(session, chosen)
    result = asyncio.run(
        simulate(
            settings.host,
            settings.port,
            settings.root,
            chosen,
            read_secrets(path),
            Traffic(credentials, seed),
            rate,
            duration,
            alarm_every,
            seed,
        )
    )
    figures = {"broker": settings.describe(), **result.as_dict()}
    if json_out:
        typer.echo(json.dumps(figures, ensure_ascii=False))
    else:
        typer.echo("\n".join(f"{k}: {v}" for k, v in figures.items()))


def bench_mqtt_cmd(
    broker: Annotated[str, typer.Option(help="amqtt (embedded) or mosquitto.")] = "amqtt",
    messages: Annotated[int, typer.Option(help="Messages of the throughput runs.")] = 60_000,
    devices: Annotated[int, typer.Option(help="Simulated devices, each its own login.")] = 200,
    alarm_seconds: Annotated[float, typer.Option(help="Length of the alarm run.")] = 20.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Device messages through a real broker on a fresh tiny twin: processed by the ingest
    per second, the broker's raw rate of the same messages (the ceiling), and alarm → event
    → dispatch p99 under 1,000 msg/s of telemetry (devices/bench_mqtt.py)."""
    from zhili.devices.bench_mqtt import run

    if broker not in ("amqtt", "mosquitto"):
        raise typer.BadParameter("--broker must be amqtt or mosquitto")
    figures = run(broker, messages=messages, devices=devices, alarm_seconds=alarm_seconds)
    if json_out:
        typer.echo(json.dumps(figures, ensure_ascii=False))
    else:
        typer.echo("\n".join(f"{k}: {v}" for k, v in figures.items()))


def demo_pipeline(data: Path | None) -> None:
    """`zhili demo`'s devices: the registry from the twin (new devices get the passwords
    `zhili simulate` logs in with) and the smart communities (places, QR codes, the gates'
    credential register). Both reloads keep what was issued before."""
    from zhili.community.cli import load_twin_cmd

    typer.echo("devices: the registry and the smart communities …")
    load_cmd(data, secrets=None)
    load_twin_cmd(data)
    typer.echo("devices: live traffic with `zhili simulate --rate 100` beside the server")
