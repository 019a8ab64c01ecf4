"""`zhili twin generate`: build the world, render every department system, write it all.

Layout of the output directory:
  sources/<system>/<table>.<ext>   what the departments export (no truth in here)
  truth/<table>.parquet            the world itself; truth/links.parquet maps every source
                                   record to its true entities; truth/facts.json the ids
                                   scenarios need (S2, S7, the pilot)
  geo/                             the district layout (towns, villages, grids)
  summary.json                     counts per entity type and per source
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from zhili.geo import get_layout
from zhili.twin.rng import stream
from zhili.twin.sources.catalog import all_systems
from zhili.twin.sources.systems.property import s2_targets
from zhili.twin.sources.writers import links_of, write_system
from zhili.twin.spec import TwinSpec
from zhili.twin.world.build import build_world

Progress = Callable[[str, int, int], None]  # (step name, done, total)


def generate(spec: TwinSpec, out: Path, progress: Progress | None = None) -> dict:
    """Write a complete twin to `out` (replacing sources/, truth/ and geo/ there)."""
    report = progress or (lambda _n, _d, _t: None)
    started = time.perf_counter()
    systems = all_systems()
    total = 5 + len(systems) + 1
    done = 0

    def step(name: str) -> None:
        nonlocal done
        report(name, done, total)
        done += 1

    for sub in ("sources", "truth", "geo"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    layout = get_layout()
    layout.save(out / "geo")
    world = build_world(spec, layout, progress=step)
    world.facts["s2"] = s2_targets(world)

    sources_dir = out / "sources"
    source_entries = []
    links = []
    for system in systems:
        step(f"source {system.name}")
        tables = system.render(world, stream(spec.seed, f"source.{system.name}"))
        files = write_system(system, tables, sources_dir)
        links.extend(links_of(system, t) for t in tables)
        source_entries.append(
            {
                "name": system.name,
                "department": system.department,
                "title": system.title,
                "format": system.format,
                "records": sum(f["records"] for f in files),
                "files": files,
                "description": system.description,
            }
        )
    step("truth")
    truth = out / "truth"
    truth.mkdir()
    for name, table in world.tables.items():
        table.write_parquet(truth / f"{name}.parquet", statistics=False)
    all_links = pl.concat(links)
    all_links.write_parquet(truth / "links.parquet", statistics=False)
    (truth / "facts.json").write_text(
        json.dumps(world.facts, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )

    summary = _summary(spec, world, source_entries)
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    summary["seconds"] = round(
        time.perf_counter() - started, 2
    )  # not written: keeps files reproducible
    report("done", total, total)
    return summary


def _summary(spec: TwinSpec, world, sources: list[dict]) -> dict:
    t = world.tables
    layout = world.layout
    counts = {
        "persons": t["persons"].height,
        "migrants": int(t["persons"]["migrant"].sum()),
        "households": t["households"].height,
        "houses": t["houses"].height,
        "rented_houses": int(t["houses"]["rented"].sum()),
        "compounds": t["compounds"].height,
        "buildings": t["buildings"].height,
        "enterprises": t["enterprises"].height,
        "projects": t["projects"].height,
        "bank_accounts": t["bank_accounts"].height,
        "vehicles": t["vehicles"].height,
        "phones": int(
            t["persons"]["phone"].is_not_null().sum() + t["persons"]["phone2"].is_not_null().sum()
        ),
        "elderly_living_alone": int(t["persons"]["elderly_alone"].sum()),
        "grid_workers_full_time": int((t["workers"]["kind"] == "full_time").sum()),
        "grid_workers_part_time": int((t["workers"]["kind"] == "part_time").sum()),
        "devices": t["devices"].height,
        "schools": t["schools"].height,
        "events_history": t["events_history"].height,
    }
    return {
        "scale": spec.scale,
        "seed": spec.seed,
        "reference_date": "2019-06-30",
        "towns": layout.towns.height,
        "villages": layout.villages.height,
        "grids": layout.grids.height,
        "counts": counts,
        "departments": len({s["department"] for s in sources}),
        "systems": len(sources),
        "records": sum(s["records"] for s in sources),
        "sources": sources,
    }
