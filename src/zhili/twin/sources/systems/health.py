"""余杭区卫生健康局: birth medical certificates (出生医学证明) of the last three years.

Every child born in a hospital gets a certificate with both parents' names and ID numbers,
so this is the one register that ties a newborn to its parents before the hukou does. A
sixth of newborns are not yet named when the certificate is issued; children of migrants
were often born back home, so fewer of them are here.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import SEX_CN, houses_for, parents_of, record_ids
from zhili.twin.world import World

DEPARTMENT = "余杭区卫生健康局"
_FIRST, _LAST = "2016-07-01", "2019-06-30"
# Where Yuhang's children are born: (hospital, share in the east, share in the west).
_HOSPITALS = [
    ("余杭区第一人民医院", 0.30, 0.10),
    ("余杭区妇幼保健院", 0.25, 0.15),
    ("余杭区第二人民医院", 0.05, 0.30),
    ("余杭区第五人民医院", 0.03, 0.12),
    ("浙江大学医学院附属邵逸夫医院(下沙院区)", 0.12, 0.02),
    ("浙江大学医学院附属妇产科医院", 0.10, 0.12),
    ("杭州市妇产科医院", 0.08, 0.10),
    ("余杭区第三人民医院", 0.07, 0.09),
]
# Towns west of this longitude (the old 余杭镇 side) go to the 2nd hospital rather than 临平's.
_WEST_OF = 120.12
# Certificate series letter by year of issue, 2016 to 2019.
_SERIES = np.array(["P", "Q", "R", "S"], dtype=object)


def _certificates(world: World, rng: np.random.Generator) -> list[Table]:
    p = world["persons"]
    born = pl.col("birth_date").is_between(
        pl.lit(_FIRST).str.to_date(), pl.lit(_LAST).str.to_date()
    )
    kids = p.filter(born)
    # Natives are nearly all born here; a quarter of migrants' children were born back home.
    kept = rng.random(kids.height) < np.where(kids["migrant"].to_numpy(), 0.76, 0.97)
    kids = kids.filter(pl.Series(kept))
    par = parents_of(p, kids["household_id"])
    k = kids.select("household_id").join(par, on="household_id", how="left", maintain_order="left")
    n = kids.height

    towns = world.layout.towns
    west_towns = towns.filter(pl.col("lon") < _WEST_OF)["code"]
    west = kids["town_code"].is_in(west_towns.implode()).to_numpy()
    east_p = np.array([h[1] for h in _HOSPITALS])
    west_p = np.array([h[2] for h in _HOSPITALS])
    names_h = np.array([h[0] for h in _HOSPITALS], dtype=object)
    hosp = np.where(
        west,
        names_h[rng.choice(len(_HOSPITALS), n, p=west_p / west_p.sum())],
        names_h[rng.choice(len(_HOSPITALS), n, p=east_p / east_p.sum())],
    )
    year = kids["birth_date"].dt.year().to_numpy()
    letter = _SERIES[np.clip(year - 2016, 0, 3)]
    serial = rng.choice(900_000_000, n, replace=False) + 100_000_000 if n else np.zeros(0, int)
    cert_no = pl.Series(letter) + pl.Series(serial).cast(pl.Utf8)
    minutes = rng.integers(0, 24 * 60, n)
    hhmm = pl.Series([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)])[minutes]

    no_father = rng.random(n) < 0.02  # unmarried mothers, fathers unknown to the hospital
    addr = noise.addresses(
        houses_for(world, kids["house_id"]),
        rng,
        {"full": 0.45, "town": 0.35, "short": 0.1, "district": 0.1},
    )
    rows = pl.DataFrame(
        {
            "record_id": record_ids("CS", n, 8),
            "出生医学证明编号": cert_no,
            "新生儿姓名": noise.blank(noise.names(kids["name"], rng, homophone=0.01), rng, 0.15),
            "性别": kids["sex"].replace_strict(SEX_CN),
            "出生日期": noise.dates(kids["birth_date"], "chinese"),
            "出生时间": hhmm,
            "出生地点": pl.Series(hosp, dtype=pl.Utf8),
            "母亲姓名": noise.names(k["name"], rng, homophone=0.012, spaced=0.003),
            "母亲身份证号": noise.id_numbers(
                k["id_number"],
                rng,
                swap=0.003,
                digit=0.004,
                missing=0.005,
                lower_x=0.4,
            ),
            "父亲姓名": noise.names(k["name_f"], rng, homophone=0.012).set(
                pl.Series(no_father), None
            ),
            "父亲身份证号": noise.id_numbers(
                k["id_number_f"],
                rng,
                swap=0.003,
                digit=0.004,
                missing=0.01,
                lower_x=0.4,
            ).set(pl.Series(no_father), None),
            "家庭住址": addr,
            "__person": kids["person_id"],
            "__person:mother": k["person_id"],
            "__person:father": k["person_id_f"].set(pl.Series(no_father), None),
            "__house": kids["house_id"],
        }
    )
    return [Table("birth_certificates", noise.duplicates(rows, rng, 0.003))]


SYSTEMS = [
    SourceSystem(
        "health_births",
        DEPARTMENT,
        "出生医学证明管理系统",
        "csv-utf8",
        _certificates,
        "Birth certificates 2016-07 to 2019-06: newborn, hospital, both parents' names and IDs.",
    ),
]
