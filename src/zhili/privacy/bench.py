"""`zhili bench privacy`: authorization checks/s, audit appends/s, verify seconds per 1 M."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from zhili.privacy.actors import Actor
from zhili.privacy.audit.bench import measure_appends, measure_verify
from zhili.privacy.policy import NotFound, Resource, authorize
from zhili.privacy.purpose import Purpose


def measure_authz(n: int = 200_000) -> float:
    """Checks/s over a realistic mix: in-scope and out-of-scope reads, purpose-bound ones."""
    actor = Actor(id="user:1", role="grid_worker", scope="330110010248001")
    purpose = Purpose("statutory_duty", case_id="EV00000001")
    inside = Resource(kind="person", id="P1", area="330110010248001")
    outside = Resource(kind="person", id="P2", area="330110001001002")
    started = time.perf_counter()
    for i in range(n):
        try:
            if i % 2:
                authorize(actor, "person.read", inside, purpose)
            else:
                authorize(actor, "person.read", outside, purpose)
        except NotFound:
            pass
    return n / (time.perf_counter() - started)


def run(repeats: int = 3, appends: int = 20_000, verify_records: int = 1_000_000) -> dict:
    authz = statistics.median(measure_authz() for _ in range(repeats))
    with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
        rates = [measure_appends(appends, Path(tmp) / f"a{i}.db") for i in range(repeats)]
        verify_s = measure_verify(verify_records, Path(tmp) / "v.db")
    return {
        "bench": "privacy",
        "authz_checks_per_s": round(authz),
        "audit_appends_per_s": round(statistics.median(rates)),
        "verify_seconds_per_million": round(verify_s * 1_000_000 / verify_records, 2),
    }
