"""The device registry: loaded from the twin (`zhili devices load`), held in memory by the
ingest for lookups at message rate."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from zhili.devices.credentials import hash_secret, new_secret, write_private
from zhili.devices.models import Device
from zhili.devices.topics import KINDS

_FIELDS = (
    "kind",
    "vendor",
    "area_code",
    "compound_id",
    "building_id",
    "house_id",
    "lon",
    "lat",
    "power_cut",
    "role",
    "facing",
    "floor_from",
    "floor_to",
    "installed_on",
)


@dataclass(frozen=True)
class LoadResult:
    devices: int
    new: int
    updated: int
    secrets_file: Path | None


def load_devices(
    session: Session, twin: Path, secrets_out: Path | None = None, now: dt.datetime | None = None
) -> LoadResult:
    """Upsert the twin's devices; a new device gets its MQTT secret, written once (with its id
    and kind) to `secrets_out` (mode 0600) for the installer or the simulator, stored only as
    a hash. Existing devices keep their secret; their place and attributes are refreshed."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    df = pl.read_parquet(twin / "truth" / "devices.parquet").rename({"grid_code": "area_code"})
    unknown = set(df["kind"].unique().to_list()) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown device kinds in the twin: {sorted(unknown)}")
    rows = df.select("device_id", *_FIELDS).to_dicts()
    existing = set(session.scalars(select(Device.id)))
    new_rows, old_rows, secrets = [], [], []
    for r in rows:
        dev_id = r.pop("device_id")
        if dev_id in existing:
            old_rows.append({"b_id": dev_id, **r})
            continue
        secret = new_secret()
        secrets.append((dev_id, r["kind"], secret))
        new_rows.append(
            {
                "id": dev_id,
                **r,
                "secret_hash": hash_secret(secret),
                "secret_issued_at": now,
                "active": True,
                "status": "new",
            }
        )
    conn = session.connection()
    for i in range(0, len(new_rows), 5000):
        conn.execute(insert(Device), new_rows[i : i + 5000])
    if old_rows:
        stmt = (
            update(Device.__table__)
            .where(Device.__table__.c.id == bindparam("b_id"))
            .values({f: bindparam(f) for f in _FIELDS})
        )
        for i in range(0, len(old_rows), 5000):
            conn.execute(stmt, old_rows[i : i + 5000])
    written = None
    if secrets and secrets_out is not None:
        append_secrets(secrets_out, secrets)
        written = secrets_out
    return LoadResult(len(rows), len(new_rows), len(old_rows), written)


def append_secrets(path: Path, secrets: list[tuple[str, str, str]]) -> None:
    """Add device_id,kind,password lines to a private CSV (a re-issued id's last line wins)."""
    old = path.read_text("utf-8").splitlines() if path.exists() else ["device_id,kind,password"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(secrets)
    write_private(path, [*old, *buf.getvalue().splitlines()])


def read_secrets(path: Path) -> dict[str, str]:
    """device id → password from a secrets CSV (the simulator's and the tests' view)."""
    with path.open(encoding="utf-8") as f:
        return {r["device_id"]: r["password"] for r in csv.DictReader(f)}


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    kind: str
    area_code: str
    lon: float
    lat: float
    power_cut: bool
    house_id: str | None
    active: bool


_INFO = select(
    Device.id,
    Device.kind,
    Device.area_code,
    Device.lon,
    Device.lat,
    Device.power_cut,
    Device.house_id,
    Device.active,
)


class DeviceCache:
    """Every device by id in memory; a miss asks the database once (a device registered after
    start), and an unknown id is remembered for a while so a flood of them costs no queries."""

    def __init__(self, negative_ttl_s: float = 30.0) -> None:
        self._by_id: dict[str, DeviceInfo] = {}
        self._unknown: dict[str, float] = {}
        self._lock = threading.Lock()
        self.negative_ttl_s = negative_ttl_s

    def __len__(self) -> int:
        return len(self._by_id)

    def load(self, session: Session) -> int:
        infos = {r.id: DeviceInfo(*r) for r in session.execute(_INFO)}
        with self._lock:
            self._by_id = infos
            self._unknown.clear()
        return len(infos)

    def get(self, session_factory, device_id: str) -> DeviceInfo | None:  # type: ignore[no-untyped-def]
        found = self._by_id.get(device_id)
        if found is not None:
            return found
        now = time.monotonic()
        with self._lock:
            if self._unknown.get(device_id, 0.0) > now:
                return None
        with session_factory() as session:
            row = session.execute(_INFO.where(Device.id == device_id)).first()
        with self._lock:
            if row is None:
                if len(self._unknown) > 100_000:
                    self._unknown.clear()
                self._unknown[device_id] = now + self.negative_ttl_s
                return None
            info = DeviceInfo(*row)
            self._by_id[device_id] = info
        return info
