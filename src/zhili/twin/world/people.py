"""People: names, birth dates, valid ID numbers, origins, phones, and who moved where.

ID numbers carry the birthplace code of their time: Yuhang natives 330125 (余杭县) before
1994, 330184 (余杭市) 1994-2000, 330110 (余杭区) from 2001; migrants their origin county.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.identifiers import phone, resident_id
from zhili.identifiers.origins import load_origin_counties
from zhili.twin.names import sample_given_names, sample_surnames
from zhili.twin.rng import stream
from zhili.twin.spec import REFERENCE_DATE, TwinSpec
from zhili.twin.text import text
from zhili.twin.world.households import ROLE_ADULT, ROLE_CHILD, ROLE_ELDER, expand_members

_REF = np.datetime64(REFERENCE_DATE, "D")


def native_birth_area(birth_year: np.ndarray) -> np.ndarray:
    return np.where(birth_year < 1994, 330125, np.where(birth_year <= 2000, 330184, 330110))


def build_people(spec: TwinSpec, households: pl.DataFrame) -> pl.DataFrame:
    rng = stream(spec.seed, "people")
    m = expand_members(rng, households)
    n = m.height
    hh = m["household_index"].to_numpy()
    role = m["role"].to_numpy()
    male = m["male"].to_numpy()
    age = m["age"].to_numpy()
    migrant = m["migrant"].to_numpy()

    birth = _REF - np.round(age * 365.25).astype("timedelta64[D]")
    birth_year = birth.astype("datetime64[Y]").astype(int) + 1970

    # Family surname: men and children carry it; wives and the elders' wives keep their own.
    fam = sample_surnames(rng, households.height)[hh]
    own = sample_surnames(rng, n)
    carries = (role == ROLE_CHILD) | male
    surname = np.where(carries, fam, own)
    name = (text(surname) + pl.Series(sample_given_names(rng, male, birth_year))).to_numpy()

    # Origins: one county per migrant household, weighted by where Yuhang's migrants come from.
    origins = load_origin_counties()
    w = origins["weight"].to_numpy().astype(float)
    hh_origin = rng.choice(origins.height, size=households.height, p=w / w.sum())
    origin_row = hh_origin[hh]
    origin_code = np.where(migrant, origins["code6"].cast(pl.Int64).to_numpy()[origin_row], 0)
    area = np.where(migrant, origin_code, native_birth_area(birth_year))
    seq = resident_id.assign_seq(area, birth, rng)
    ids = resident_id.make_ids(area, birth, seq, male)

    # Phones: nearly every adult has one, fewer of the oldest; some adults carry two.
    p_phone = np.select(
        [age < 12, age < 16, age < 70, age < 80], [0.0, 0.4, 0.97, 0.75], default=0.45
    )
    has_phone = rng.random(n) < p_phone
    second = has_phone & (age >= 20) & (age < 60) & (rng.random(n) < 0.08)
    numbers = phone.make_numbers(rng, int(has_phone.sum() + second.sum()))
    phone1 = np.full(n, None, dtype=object)
    phone2 = np.full(n, None, dtype=object)
    k = int(has_phone.sum())
    phone1[has_phone] = numbers[:k]
    phone2[second] = numbers[k:]

    relation = np.select(
        [
            m["position"].to_numpy() == 0,
            (role == ROLE_ADULT)
            | ((role == ROLE_ELDER) & (households["adults"].to_numpy()[hh] == 0)),
            role == ROLE_CHILD,
        ],
        ["户主", "配偶", "子女"],
        default="父母",
    )
    # Who moved within the district since registering (stale addresses in some registers).
    moved = rng.random(n) < np.where(migrant, 0.18, 0.04)
    moved_days = rng.integers(30, 900, n)
    people = pl.DataFrame(
        {
            "person_id": pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(8),
            "household_index": hh,
            "id_number": ids,
            "name": text(name),
            "surname": text(surname),
            "sex": np.where(male, "M", "F"),
            "birth_date": birth,
            "age": np.floor(age).astype(np.int16),
            "migrant": migrant,
            "origin_code": pl.Series(np.where(migrant, origin_code, 0)).replace(0, None),
            "relation": relation,
            "phone": pl.Series(phone1.tolist(), dtype=pl.Utf8),
            "phone2": pl.Series(phone2.tolist(), dtype=pl.Utf8),
            "moved": moved,
            "moved_on": np.where(
                moved, _REF - moved_days.astype("timedelta64[D]"), np.datetime64("NaT")
            ),
        }
    )
    people = people.with_columns(pl.format("P{}", pl.col("person_id")).alias("person_id"))
    if origins.height:
        origin_tbl = origins.select(
            pl.col("code6").cast(pl.Int64).alias("origin_code"), "province", "prefecture", "county"
        ).unique("origin_code")
        people = people.join(origin_tbl, on="origin_code", how="left", maintain_order="left")
    return people
