"""Devices in smart compounds: smoke detectors in rented flats, EV charging piles, distribution
boxes, gates (face/fingerprint terminals, plate barriers) and cameras, including the façade
cameras that look up at each building's windows against objects thrown from height (S3).

The pilot 昌运里 carries the seed's exact set: 210 cameras, 47 of them on façades.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin import spec as S
from zhili.twin.rng import stream
from zhili.twin.spec import TwinSpec

_VENDORS = {
    "smoke_detector": ["海康威视", "泛海三江", "中消云"],
    "ev_charger": ["星星充电", "小绿人", "万马"],
    "distribution_box": ["正泰", "德力西", "良信"],
    "gate_face": ["海康威视", "大华", "宇视"],
    "gate_plate": ["捷顺", "科拓", "立方"],
    "camera": ["海康威视", "大华", "宇视"],
}
# Pilot camera mix besides the 47 façade cameras (sums to 210 with them).
_PILOT_OTHER_CAMERAS = {
    "unit_entrance": 48,
    "gate": 16,
    "underground": 40,
    "perimeter": 36,
    "public_area": 23,
}


def build_devices(
    spec: TwinSpec, houses: pl.DataFrame, compounds: pl.DataFrame, buildings: pl.DataFrame
) -> pl.DataFrame:
    rng = stream(spec.seed, "devices")
    # A quarter of compounds were smart by 2019; the share shrinks in tiny twins, whose
    # compounds are full-size while their people are not.
    smart = compounds["pilot"].to_numpy() | (
        (compounds["kind"].to_numpy() != "old")
        & (rng.random(compounds.height) < min(0.25, 25 * spec.scale))
    )
    compounds = compounds.with_columns(smart=pl.Series(smart))
    smart_ids = set(compounds.filter(pl.col("smart"))["compound_index"].to_list())
    rows: list[pl.DataFrame] = []

    # Smoke detectors: every rented flat of a smart compound.
    flats = houses.filter(pl.col("rented") & pl.col("compound_index").is_in(list(smart_ids)))
    rows.append(
        pl.DataFrame(
            {
                "kind": "smoke_detector",
                "compound_index": flats["compound_index"],
                "building_index": flats["building_index"],
                "house_id": flats["house_id"],
                "lon": flats["lon"],
                "lat": flats["lat"],
                "power_cut": False,
            }
        )
    )
    b = buildings.filter(pl.col("compound_index").is_in(list(smart_ids)))
    # Distribution boxes: one per stairwell (unit) of each building, with automatic cut-off.
    boxes = b.with_columns(pl.int_ranges(1, pl.col("units") + 1).alias("unit")).explode("unit")
    rows.append(
        pl.DataFrame(
            {
                "kind": "distribution_box",
                "compound_index": boxes["compound_index"],
                "building_index": boxes["building_index"],
                "house_id": pl.Series([None] * boxes.height, dtype=pl.Utf8),
                "lon": boxes["lon"],
                "lat": boxes["lat"],
                "power_cut": True,
            }
        )
    )
    # EV charging piles: one bank per two buildings, each with smoke alarm and cut-off.
    piles = b.filter(pl.col("number") % 2 == 1)
    rows.append(
        pl.DataFrame(
            {
                "kind": "ev_charger",
                "compound_index": piles["compound_index"],
                "building_index": piles["building_index"],
                "house_id": pl.Series([None] * piles.height, dtype=pl.Utf8),
                "lon": piles["lon"] + 0.0002,
                "lat": piles["lat"],
                "power_cut": True,
            }
        )
    )
    sc = compounds.filter(pl.col("smart"))
    # Gates: face/fingerprint terminals at each entrance and plate barriers at the car gates.
    entrances = np.where(sc["pilot"].to_numpy(), 4, rng.integers(2, 5, sc.height))
    gate_c = np.repeat(sc["compound_index"].to_numpy(), entrances)
    gate_lon = np.repeat(sc["lon"].to_numpy(), entrances) + rng.normal(0, 0.0004, gate_c.size)
    gate_lat = np.repeat(sc["lat"].to_numpy(), entrances) + rng.normal(0, 0.0004, gate_c.size)
    for kind in ("gate_face", "gate_plate"):
        keep = (
            np.ones(gate_c.size, bool) if kind == "gate_face" else (np.arange(gate_c.size) % 2 == 0)
        )
        rows.append(
            pl.DataFrame(
                {
                    "kind": kind,
                    "compound_index": gate_c[keep],
                    "building_index": pl.Series([None] * int(keep.sum()), dtype=pl.Int64),
                    "house_id": pl.Series([None] * int(keep.sum()), dtype=pl.Utf8),
                    "lon": gate_lon[keep],
                    "lat": gate_lat[keep],
                    "power_cut": False,
                }
            )
        )
    devices = pl.concat(rows, how="diagonal_relaxed")
    cameras = _cameras(rng, sc, b)
    devices = pl.concat([devices, cameras], how="diagonal_relaxed")
    devices = devices.with_columns(
        vendor=pl.Series(
            [str(rng.choice(_VENDORS["camera" if k == "camera" else k])) for k in devices["kind"]]
        ),
        installed_on=pl.Series(
            np.datetime64("2018-08-01")
            + rng.integers(0, 300, devices.height).astype("timedelta64[D]")
        ),
    )
    prefix = {
        "smoke_detector": "SMK",
        "distribution_box": "DBX",
        "ev_charger": "EVC",
        "gate_face": "GTF",
        "gate_plate": "GTP",
        "camera": "CAM",
    }
    return devices.with_columns(
        device_id=pl.format(
            "{}-{}",
            pl.col("kind").replace_strict(prefix),
            pl.int_range(1, devices.height + 1).cast(pl.Utf8).str.zfill(7),
        )
    )


def _cameras(
    rng: np.random.Generator, smart: pl.DataFrame, buildings: pl.DataFrame
) -> pl.DataFrame:
    """Façade cameras on poles south and north of each building (the pilot has 47), plus the
    rest of each compound's cameras by role."""
    rows = []
    for c in smart.iter_rows(named=True):
        bs = buildings.filter(pl.col("compound_index") == c["compound_index"])
        sides = []
        for bb in bs.iter_rows(named=True):
            for side, dlat in (("south", -0.0001), ("north", 0.0001)):
                sides.append((bb, side, dlat))
        if c["pilot"]:
            sides = sides[: S.PILOT_FACADE_CAMERAS]
            others = _PILOT_OTHER_CAMERAS
        else:
            sides = sides if rng.random() < 0.3 else []
            others = {
                "gate": int(rng.integers(2, 6)),
                "unit_entrance": int(bs.height),
                "perimeter": int(rng.integers(2, 10)),
            }
        for bb, side, dlat in sides:
            rows.append(
                {
                    "kind": "camera",
                    "role": "facade",
                    "compound_index": c["compound_index"],
                    "building_index": bb["building_index"],
                    "facing": side,
                    "floor_from": 1,
                    "floor_to": bb["floors"],
                    "lon": bb["lon"],
                    "lat": bb["lat"] + dlat,
                    "power_cut": False,
                }
            )
        for role, k in others.items():
            for _ in range(k):
                rows.append(
                    {
                        "kind": "camera",
                        "role": role,
                        "compound_index": c["compound_index"],
                        "building_index": None,
                        "facing": None,
                        "floor_from": None,
                        "floor_to": None,
                        "lon": c["lon"] + rng.normal(0, 0.0005),
                        "lat": c["lat"] + rng.normal(0, 0.0005),
                        "power_cut": False,
                    }
                )
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, infer_schema_length=None)
