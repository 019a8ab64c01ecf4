"""Vehicles: private cars of residents and the fleets of enterprises (construction trucks are
the traffic police's key vehicles, S8)."""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.identifiers import plate
from zhili.twin.rng import stream
from zhili.twin.spec import REFERENCE_DATE, TwinSpec

_BRANDS = [
    "大众",
    "丰田",
    "本田",
    "别克",
    "吉利",
    "比亚迪",
    "日产",
    "长安",
    "哈弗",
    "宝马",
    "奔驰",
    "奥迪",
    "五菱",
    "特斯拉",
]
_TRUCK_BRANDS = ["东风", "解放", "重汽", "陕汽", "福田"]
_COLORS = ["白", "黑", "银", "灰", "红", "蓝"]


def build_vehicles(spec: TwinSpec, people: pl.DataFrame, enterprises: pl.DataFrame) -> pl.DataFrame:
    rng = stream(spec.seed, "vehicles")
    age = people["age"].to_numpy()
    migrant = people["migrant"].to_numpy()
    p_car = np.where((age >= 23) & (age <= 72), np.where(migrant, 0.12, 0.42), 0.0)
    owners = people["person_id"].to_numpy()[rng.random(age.size) < p_car]
    builders = enterprises.filter(
        (pl.col("industry").is_in(["E", "G"])) & (pl.col("status") == "存续")
    )
    fleet = np.repeat(builders["enterprise_id"].to_numpy(), rng.integers(1, 6, builders.height))
    n_p, n_e = owners.size, fleet.size
    n = n_p + n_e
    plates = plate.make_plates(rng, n, new_energy_share=0.05)
    truck = np.r_[np.zeros(n_p, bool), rng.random(n_e) < 0.7]
    kind = np.where(
        truck,
        "重型自卸货车",
        np.where(np.r_[np.zeros(n_p, bool), np.ones(n_e, bool)], "轻型厢式货车", "小型普通客车"),
    )
    brands = np.where(
        truck,
        np.array(_TRUCK_BRANDS)[rng.integers(0, len(_TRUCK_BRANDS), n)],
        np.array(_BRANDS)[rng.integers(0, len(_BRANDS), n)],
    )
    registered = np.datetime64(REFERENCE_DATE, "D") - rng.integers(30, 15 * 365, n).astype(
        "timedelta64[D]"
    )
    return pl.DataFrame(
        {
            "vehicle_id": [f"V{i:07d}" for i in range(1, n + 1)],
            "plate": plates,
            "owner_kind": np.r_[np.full(n_p, "person"), np.full(n_e, "enterprise")],
            "owner_id": np.r_[owners, fleet],
            "kind": kind,
            "key_vehicle": truck,
            "brand": brands,
            "color": np.array(_COLORS)[rng.integers(0, len(_COLORS), n)],
            "registered_on": registered,
        }
    )
