"""`zhili bench intake`: the event hub's HTTP intake through a real server (issue #5 items 8, 11).

One run on a fresh data directory (and, for PostgreSQL, a fresh database dropped afterwards):

1. `zhili serve` starts as a subprocess pinned to one core; a department_system key is issued.
2. Latency at a paced 500 events/s, first, on the fresh database: open loop, each request
   timed from its scheduled send time (a request that waits for a free connection counts
   that wait: no coordinated omission); the first `warmup` seconds are not counted.
3. Sustained intake: a raw-asyncio HTTP/1.1 keep-alive client in its own process (pinned to
   the other core) posts realistic reports (random leaf categories, random points in random
   grids, some by grid code only) on ~96 connections for N seconds; events_per_s counts the
   acknowledged (2xx) responses completed inside the window.
4. The ceiling: the same events rows, read back from the table the server wrote, inserted
   straight into the same schema (executemany on SQLite, COPY on PostgreSQL) in batches of the
   server's mean batch size, one commit per batch, like the writer.
5. Batch push: the same server takes POST /api/events/batch (100 reports a request, each
   with its own idempotency key) on 8 connections for N seconds, as a department system
   syncing its queue would send them; `batch_events_per_s` counts the events the answers
   say were created.
6. Dispatch latency at the full workforce (`bench_dispatch.measure_dispatch`).

Batches are counted from the table itself: every event of one group commit shares its
`created_at` (the writer stamps one `now` per batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

PG_ADMIN = os.environ.get(
    "ZHILI_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_SERVE = [sys.executable, "-m", "zhili.cli", "serve"]
KEY_SCOPE = "330110"  # the whole district
KEY_DEPARTMENT = "urban"
AREA_ONLY_SHARE = 0.1  # reports that name a grid code, not a point
CROWD_SHARE = 0.02  # reports that state a crowd size
BATCH_SIZE = 100  # reports per POST /api/events/batch in the batch phase
BATCH_CONNECTIONS = 8
BATCH_ITEMS_PER_S = 8_000  # reports prepared per second of the batch phase (never resent)


# -- the database and the server ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fresh_database(db: str, data: Path) -> Iterator[str]:
    """The URL of an empty database: SQLite in DATA, or a new PostgreSQL database (dropped)."""
    if db == "sqlite":
        yield f"sqlite:///{(data / 'zhili.db').resolve()}"
        return
    if db not in ("postgres", "postgresql"):
        raise ValueError(f"--db must be sqlite or postgres, not {db!r}")
    from sqlalchemy import create_engine, text

    name = f"zhili_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def issue_key(url: str, name: str = "bench-intake") -> tuple[str, str]:
    """Migrate the schema and issue a department_system key: (raw key, actor id)."""
    from sqlalchemy import select

    from zhili.db import make_engine, make_sessionmaker
    from zhili.db.migrate import upgrade
    from zhili.privacy.identity import issue_api_key
    from zhili.privacy.models import ApiKey

    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            key = issue_api_key(session, name, "department_system", KEY_SCOPE, KEY_DEPARTMENT)
            key_id = session.scalar(select(ApiKey.id).where(ApiKey.name == name))
            session.commit()
    finally:
        engine.dispose()
    return key, f"key:{key_id}"


class Server:
    """`zhili serve` as a subprocess on DATA and URL (optionally pinned to some cores)."""

    def __init__(
        self, data: Path, url: str, port: int | None = None, cpus: set[int] | None = None
    ) -> None:
        self.data, self.url, self.port = data, url, port or _free_port()
        self.cpus = cpus
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        env = {**os.environ, "ZHILI_DATABASE_URL": self.url, "ZHILI_LOG_LEVEL": "WARNING"}
        cpus = self.cpus
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*_SERVE, "--data", str(self.data), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/health", timeout=1) as r:
                    if r.status == 200:
                        self._settle(deadline)
                        return
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer within {timeout} s")

    def _settle(self, deadline: float) -> None:
        """Wait until the server's start-up work (outline caches, worker index) is done: its
        CPU use over half a second falls below a tenth of a core."""
        assert self.proc is not None
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if self.cpu_seconds() - before < 0.05:
                return

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, all threads)."""
        assert self.proc is not None
        _, fields = _proc_stat(Path(f"/proc/{self.proc.pid}/stat"))
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def thread_cpu_seconds(self) -> dict[str, float]:
        """CPU time so far of the server's event loop (its main thread) and of the intake
        writer (the thread named zhili-intake); the rest of its threads under "other"."""
        from zhili.events.writer import WRITER_THREAD

        assert self.proc is not None
        out = {"loop": 0.0, "writer": 0.0, "other": 0.0}
        tick = os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                _, fields = _proc_stat(task / "stat")
                name = (task / "comm").read_text().strip()
            except OSError:  # the thread ended while we looked
                continue
            kind = "loop" if task.name == str(self.proc.pid) else "other"
            kind = "writer" if name == WRITER_THREAD else kind
            out[kind] += (int(fields[11]) + int(fields[12])) / tick
        return out

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """kill -9: no shutdown hook runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# -- realistic reports --------------------------------------------------------------------


def event_bodies(n: int, seed: int = 5) -> list[bytes]:
    """n JSON reports: random leaf categories, random points in random grids (some by grid
    code only), a description, an external id, now and then a crowd."""
    from zhili.events.categories import tree
    from zhili.geo import get_layout

    rng = np.random.default_rng(seed)
    layout = get_layout()
    cats = list(tree().categories.values())
    codes = layout.grids["code"].to_numpy()
    grid = rng.integers(0, codes.size, n)
    lon, lat = layout.sample_points(grid, rng)
    # Six decimals, as a phone sends them; a point that rounding moves off the district's
    # edge is sent by its grid code instead (the server would rightly refuse it with a 422).
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    outside = layout.locate(lon, lat) < 0
    pick = rng.integers(0, len(cats), n)
    by_area = rng.random(n) < AREA_ONLY_SHARE
    crowd = rng.random(n) < CROWD_SHARE
    severity = rng.integers(1, 4, n)
    out = []
    for i in range(n):
        c = cats[int(pick[i])]
        body: dict[str, Any] = {
            "category": c.code,
            "description": f"{c.zh}：巡查发现，请尽快处置（编号 {i}）",
            "severity": int(severity[i]),
            "external_id": f"bench-{seed}-{i}",
        }
        if by_area[i] or outside[i]:
            body["area_code"] = str(codes[grid[i]])
        else:
            body["lon"], body["lat"] = float(lon[i]), float(lat[i])
        if crowd[i]:
            body["crowd_size"] = int(rng.integers(1, 60))
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


# -- the load generator (a raw HTTP/1.1 keep-alive client) ----------------------------------


class _Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.body = b""  # the last response's body

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, data: bytes) -> int:
        """Send one request, read the whole response; the status code."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"content-length:")
        if at < 0:  # every JSON answer has a length; anything else ends the connection
            self.close()
            return status
        end = lower.index(b"\r\n", at)
        self.body = await self.reader.readexactly(int(lower[at + 15 : end]))
        if b"connection: close" in lower:
            self.close()
        return status


def _request(host: str, port: int, key: str, body: bytes, path: str = "/api/events") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nx-api-key: {key}\r\n"
        f"Idempotency-Key: {uuid.uuid4().hex}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def batch_bodies(bodies: list[bytes], size: int, items: int) -> list[bytes]:
    """`items` reports (the bodies again if need be) as POST /api/events/batch bodies of
    `size`, each item with its own idempotency key, as a department system sends them: a
    body sent twice would only be answered from the first time."""
    keyed = [
        b[:-1] + b',"idempotency_key":"' + uuid.uuid4().hex.encode() + b'"}'
        for b in (bodies[i % len(bodies)] for i in range(items))
    ]
    return [b'{"events":[' + b",".join(keyed[i : i + size]) + b"]}" for i in range(0, items, size)]


async def _sustained(
    host: str,
    port: int,
    key: str,
    bodies: list[bytes],
    conns: int,
    warmup: float,
    seconds: float,
    batch: bool = False,
) -> dict:
    """Closed-loop load; with `batch`, the bodies go to /api/events/batch and each answer
    counts the events it says it created."""
    path = "/api/events/batch" if batch else "/api/events"
    loop = asyncio.get_running_loop()
    pool = [_Conn(host, port) for _ in range(conns)]
    await asyncio.gather(*(c.open() for c in pool))
    nxt = 0
    start = loop.time() + warmup
    end = start + seconds
    ok = errors = 0
    statuses: dict[int, int] = {}
    lat: list[float] = []

    async def worker(c: _Conn) -> None:
        nonlocal nxt, ok, errors
        while (t0 := loop.time()) < end:
            body = bodies[nxt % len(bodies)]
            nxt += 1
            try:
                status = await c.request(_request(host, port, key, body, path))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                c.close()
                status = 0
            t1 = loop.time()
            if t0 < start or t1 > end:
                continue  # warm-up, or answered after the window
            statuses[status] = statuses.get(status, 0) + 1
            if 200 <= status < 300:
                ok += json.loads(c.body)["created"] if batch else 1
                lat.append(t1 - t0)
            else:
                errors += 1

    await asyncio.gather(*(worker(c) for c in pool))
    for c in pool:
        c.close()
    ms = np.array(lat) * 1000 if lat else np.zeros(1)
    return {
        "acknowledged": ok,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": seconds,
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


async def _paced(
    host: str,
    port: int,
    key: str,
    bodies: list[bytes],
    conns: int,
    rate: float,
    warmup: float,
    seconds: float,
) -> dict:
    loop = asyncio.get_running_loop()
    free: asyncio.Queue[_Conn] = asyncio.Queue()
    for c in [_Conn(host, port) for _ in range(conns)]:
        await c.open()
        free.put_nowait(c)
    skip = int(rate * warmup)  # the warm-up's requests are sent on schedule, not counted
    n = skip + int(rate * seconds)
    lat = np.full(n, np.nan)
    statuses: dict[int, int] = {}

    async def one(i: int, scheduled: float) -> None:
        c = await free.get()
        try:
            status = await c.request(_request(host, port, key, bodies[i % len(bodies)]))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            c.close()
            status = 0
        if i >= skip:
            statuses[status] = statuses.get(status, 0) + 1
            if 200 <= status < 300:
                lat[i] = loop.time() - scheduled
        free.put_nowait(c)

    tasks = []
    t0 = loop.time() + 0.05
    for i in range(n):
        at = t0 + i / rate
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, at)))
    await asyncio.gather(*tasks)
    while not free.empty():
        free.get_nowait().close()
    ms = lat[~np.isnan(lat)] * 1000
    ms = ms if ms.size else np.zeros(1)
    return {
        "requests": n - skip,
        "acknowledged": int((~np.isnan(lat)).sum()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def _client(conn: Any, cpus: set[int] | None, mode: str, kwargs: dict) -> None:
    """The load generator's process: run one phase, send its figures back."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    phase = _sustained if mode == "sustained" else _paced
    cpu0 = time.process_time()
    figures = asyncio.run(phase(**kwargs))
    figures["client_cpu_s"] = time.process_time() - cpu0
    conn.send(figures)
    conn.close()


def _in_process(mode: str, cpus: set[int] | None, **kwargs: Any) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_client, args=(child, cpus, mode, kwargs), daemon=True)
    p.start()
    child.close()
    try:
        result = parent.recv()
    finally:
        p.join(30)
    return result


def _proc_stat(path: Path) -> tuple[str, list[str]]:
    """/proc/<pid>/stat as "<pid> (<name>" and the fields after the name (utime is [11])."""
    head, rest = path.read_text().rsplit(")", 1)
    return head, rest.split()


def postgres_cpu_seconds() -> float | None:
    """CPU time all local PostgreSQL processes have used so far, those that exited included
    (the postmaster reaps its backends, so theirs is in its children's time); None when no
    PostgreSQL runs on this machine or /proc is not readable."""
    procs: dict[int, list[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, fields = _proc_stat(stat)
        except OSError:  # exited while we looked
            continue
        if head.endswith("(postgres"):
            procs[int(stat.parent.name)] = fields
    if not procs:
        return None
    ticks = 0
    for f in procs.values():
        ticks += int(f[11]) + int(f[12])
        if int(f[1]) not in procs:  # the postmaster: add its reaped children
            ticks += int(f[13]) + int(f[14])
    return ticks / os.sysconf("SC_CLK_TCK")


# -- what the server wrote, and the database's own ceiling ----------------------------------


def _batches(url: str) -> tuple[int, int]:
    """(events, group commits so far): one commit stamps one created_at on all its events."""
    from sqlalchemy import distinct, func, select

    from zhili.db import make_engine
    from zhili.events.models import Event

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            n, b = c.execute(select(func.count(), func.count(distinct(Event.created_at)))).one()
    finally:
        engine.dispose()
    return int(n), int(b)


def raw_inserts(url: str, rows: int, batch: int) -> dict:
    """Insert `rows` copies of the events the server wrote straight into the same table, in
    batches of `batch`, one commit per batch: the database's ceiling for these rows."""
    from sqlalchemy import select

    from zhili.db import make_engine
    from zhili.db.sqlite_text import sqlite_datetime
    from zhili.events.models import Event

    table = Event.__table__
    cols = [c.name for c in table.columns if c.name != "id"]
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            sample = [list(r) for r in c.execute(select(*[table.c[n] for n in cols]).limit(rows))]
        if not sample:
            return {"raw_inserts_per_s": None}
        sqlite = url.startswith("sqlite")
        code_at, key_at = cols.index("code"), cols.index("idempotency_key")
        entities_at = cols.index("entities")
        tag = uuid.uuid4().hex[:6]
        todo = []
        for i in range(rows):
            r = list(sample[i % len(sample)])
            r[code_at] = f"R{tag}{i:09d}"
            r[key_at] = f"raw-{tag}-{i}"
            if r[entities_at] is not None:
                r[entities_at] = json.dumps(r[entities_at])
            if sqlite:  # stored as SQLAlchemy stores them: text with microseconds
                r = [sqlite_datetime(v) for v in r]
            todo.append(r)
        raw = engine.raw_connection()
        try:
            started = time.perf_counter()
            cur = raw.cursor()
            if sqlite:
                marks = ", ".join("?" * len(cols))
                sql = f"INSERT INTO events ({', '.join(cols)}) VALUES ({marks})"
                for i in range(0, rows, batch):
                    cur.executemany(sql, todo[i : i + batch])
                    raw.commit()
            else:
                for i in range(0, rows, batch):
                    with cur.copy(f"COPY events ({', '.join(cols)}) FROM STDIN") as copy:
                        for r in todo[i : i + batch]:
                            copy.write_row(r)
                    raw.commit()
            seconds = time.perf_counter() - started
        finally:
            raw.close()
    finally:
        engine.dispose()
    return {"raw_inserts_per_s": round(rows / seconds), "raw_rows": rows, "raw_batch": batch}


# -- the whole run -------------------------------------------------------------------------


def run(
    db: str,
    seconds: float = 10,
    connections: int = 96,
    paced_rate: float = 500,
    paced_seconds: float | None = None,
    warmup: float = 2.0,
    pin: bool = True,
    dispatch: bool = True,
) -> dict:
    """Measure intake on `db` ("sqlite" or "postgres"); one dict of figures.

    The paced run comes first, on the fresh database (after `warmup` seconds at the same
    rate), so that its latency does not depend on how much the sustained run wrote."""
    db = "postgres" if db == "postgresql" else db
    two = pin and len(os.sched_getaffinity(0)) >= 2
    server_cpus, client_cpus = ({0}, {1}) if two else (None, None)
    paced_seconds = paced_seconds if paced_seconds is not None else seconds
    bodies = event_bodies(max(20_000, int(3_000 * seconds)))
    figures: dict[str, Any] = {"bench": "intake", "db": db}
    with tempfile.TemporaryDirectory(prefix="zhili-bench-intake-") as tmp:
        data = Path(tmp)
        with fresh_database(db, data) as url:
            key, _ = issue_key(url)
            server = Server(data, url, cpus=server_cpus)
            server.start()
            try:
                common = {"host": "127.0.0.1", "port": server.port, "key": key, "warmup": warmup}
                paced = _in_process(
                    "paced",
                    client_cpus,
                    **common,
                    bodies=bodies[::-1],
                    conns=min(connections, 64),
                    rate=paced_rate,
                    seconds=paced_seconds,
                )
                n0, b0 = _batches(url)
                cpu0 = server.cpu_seconds()
                threads0 = server.thread_cpu_seconds()
                db0 = postgres_cpu_seconds() if db == "postgres" else None
                sus = _in_process(
                    "sustained",
                    client_cpus,
                    **common,
                    bodies=bodies,
                    conns=connections,
                    seconds=seconds,
                )
                n1, b1 = _batches(url)
                cpu1 = server.cpu_seconds()
                threads1 = server.thread_cpu_seconds()
                db1 = postgres_cpu_seconds() if db0 is not None else None
                # Department systems may push many reports per request instead.
                bat = _in_process(
                    "sustained",
                    client_cpus,
                    **common,
                    bodies=batch_bodies(
                        bodies, BATCH_SIZE, BATCH_ITEMS_PER_S * int(seconds + warmup + 1)
                    ),
                    conns=BATCH_CONNECTIONS,
                    seconds=seconds,
                    batch=True,
                )
                n2, _ = _batches(url)
                cpu2 = server.cpu_seconds()
            finally:
                server.stop()
            mean_batch = (n1 - n0) / (b1 - b0) if b1 > b0 else 0.0
            raw = raw_inserts(url, max(20_000, n1), max(1, round(mean_batch)))
        figures.update(
            {
                "events_per_s": round(sus["acknowledged"] / seconds),
                "raw_inserts_per_s": raw["raw_inserts_per_s"],
                "p99_ms_at_500": paced["p99_ms"],
                "dispatch_p99_ms": None,
                # The server's own CPU per event in the sustained run (warm-up included, so a
                # little high): what the rate would be on an idle core, whatever else the
                # shared machine is doing.
                "server_cpu_ms_per_event": round(1000 * (cpu1 - cpu0) / max(1, n1 - n0), 3),
                "events_per_core_s": round((n1 - n0) / max(1e-9, cpu1 - cpu0)),
                # The same CPU split between the HTTP loop and the group-commit writer.
                "loop_cpu_ms_per_event": round(
                    1000 * (threads1["loop"] - threads0["loop"]) / max(1, n1 - n0), 3
                ),
                "writer_cpu_ms_per_event": round(
                    1000 * (threads1["writer"] - threads0["writer"]) / max(1, n1 - n0), 3
                ),
                # Where the rest of the two cores went per event: the load generator, and
                # PostgreSQL's own processes (SQLite runs inside the server: null).
                "client_cpu_ms_per_event": round(1000 * sus["client_cpu_s"] / max(1, n1 - n0), 3),
                "db_cpu_ms_per_event": (
                    round(1000 * (db1 - db0) / max(1, n1 - n0), 3) if db1 is not None else None
                ),
                "batch_events_per_s": round(bat["acknowledged"] / seconds),
                "batch_size": BATCH_SIZE,
                "batch_p99_ms": bat["p99_ms"],
                "batch_server_cpu_ms_per_event": round(1000 * (cpu2 - cpu1) / max(1, n2 - n1), 3),
                "p50_ms_at_500": paced["p50_ms"],
                "max_ms_at_500": paced["max_ms"],
                "paced_rate": paced_rate,
                "paced_requests": paced["requests"],
                "paced_mean_batch": round(n0 / b0, 2) if b0 else None,
                "sustained_p50_ms": sus["p50_ms"],
                "sustained_p99_ms": sus["p99_ms"],
                "errors": sus["errors"] + paced["requests"] - paced["acknowledged"],
                "statuses": sus["statuses"],
                "connections": connections,
                "seconds": seconds,
                "batches": b1 - b0,
                "mean_batch": round(mean_batch, 1),
                "events_in_table": n1,
                "raw_rows": raw.get("raw_rows"),
                "raw_batch": raw.get("raw_batch"),
                "pinned": two,
            }
        )
    if dispatch:
        figures.update(_dispatch())
    return figures


def _dispatch() -> dict:
    try:
        from zhili.events.bench_dispatch import measure_dispatch
    except ImportError:  # not there yet: the key stays null
        return {}
    d = measure_dispatch()
    return {"dispatch_p99_ms": d["dispatch_p99_ms"], "dispatch_p50_ms": d["dispatch_p50_ms"]}
