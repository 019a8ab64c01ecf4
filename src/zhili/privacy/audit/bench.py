"""Measuring the audit log on SQLite: appends/s (one transaction each, or batched) and verify.

Used by benchmarks/bench_audit.py and `zhili bench privacy`. Each function builds a fresh
database at `db_path` (which must not exist yet) and returns one figure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.privacy.audit.checkpoints import maybe_checkpoint
from zhili.privacy.audit.log import AuditEntry, append, append_many
from zhili.privacy.audit.verify import verify

BATCH = 1000
BATCHES_PER_COMMIT = 10  # filling is setup, not what is measured: fewer, larger commits


def sample_entry(i: int) -> AuditEntry:
    """A realistic read: a grid worker looks at two residents for a case."""
    return AuditEntry(
        actor_id=f"user:{i % 1590}",
        actor_role="grid_worker",
        actor_department="综治办",
        action="person.read",
        resource=f"person:P{i:08d}",
        subjects=[f"P{i:08d}", f"P{i + 1:08d}"],
        purpose="走访核实 (home visit)",
        legal_basis="PIPL-13-3",
        case_id=f"EV{i // 10:08d}",
        result_count=2,
    )


def _fresh(db_path: Path):  # type: ignore[no-untyped-def]
    if db_path.exists():
        raise FileExistsError(f"{db_path} exists: the benchmark needs a fresh database")
    url = f"sqlite:///{db_path}"
    upgrade(url)
    engine = make_engine(url)
    return engine, make_sessionmaker(engine)


def measure_appends(n: int, db_path: Path, batch: int = 1) -> float:
    """Appends/s: n records, one transaction (commit) per `batch` records."""
    engine, sessions = _fresh(Path(db_path))
    key = os.urandom(32)
    entries = [sample_entry(i) for i in range(n)]
    try:
        started = time.perf_counter()
        if batch == 1:
            for entry in entries:
                with sessions.begin() as session:
                    append(session, entry, key=key)
        else:
            for i in range(0, n, batch):
                with sessions.begin() as session:
                    append_many(session, entries[i : i + batch], key=key)
        return n / (time.perf_counter() - started)
    finally:
        engine.dispose()


def fill(db_path: Path, n: int, every: int = BATCH) -> Ed25519PrivateKey:
    """A fresh log of n records in batches, with a signed checkpoint every `every` records."""
    engine, sessions = _fresh(Path(db_path))
    key, signing_key = os.urandom(32), Ed25519PrivateKey.generate()
    try:
        for i in range(0, n, BATCH * BATCHES_PER_COMMIT):
            with sessions.begin() as session:
                for j in range(i, min(n, i + BATCH * BATCHES_PER_COMMIT), BATCH):
                    entries = [sample_entry(k) for k in range(j, min(n, j + BATCH))]
                    append_many(session, entries, key=key)
                    maybe_checkpoint(session, signing_key, every=every)
    finally:
        engine.dispose()
    return signing_key


def measure_verify(n: int, db_path: Path) -> float:
    """Seconds to verify a log of n records (with checkpoints every 1,000, signatures checked)."""
    signing_key = fill(Path(db_path), n)
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        with make_sessionmaker(engine)() as session:
            started = time.perf_counter()
            report = verify(session, signing_key.public_key())
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    if not report.ok or report.records != n:
        raise RuntimeError(f"benchmark log does not verify: {report}")
    return seconds
