"""余杭区教育局: the national student-status register (学籍) of kindergartens, primary and
middle schools, and the schools with their approved seats.

The student number is "G" + the ID number; children without an ID number at enrolment carry
a temporary "L" number instead. Guardians are one parent, with a phone that is often the
only working contact the district has for a migrant family.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import SEX_CN, houses_for, parents_of, record_ids, sample_rows
from zhili.twin.world import World

DEPARTMENT = "余杭区教育局"
LEVEL_CN = {"kindergarten": "幼儿园", "primary": "小学", "middle": "初中"}
# Grade names by level, from the first year at that level.
_GRADES = {
    "kindergarten": (3, ["小班", "中班", "大班"]),
    "primary": (6, ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]),
    "middle": (12, ["七年级", "八年级", "九年级"]),
}


def _grades(level: pl.Series, age: pl.Series) -> pl.Series:
    lv = level.to_numpy()
    a = age.to_numpy().astype(np.int64)
    out = np.full(lv.size, None, dtype=object)
    for name, (first, grades) in _GRADES.items():
        rows = lv == name
        idx = np.clip(a[rows] - first, 0, len(grades) - 1)
        out[rows] = np.array(grades, dtype=object)[idx]
    return pl.Series("grade", out.tolist(), dtype=pl.Utf8)


def _register(world: World, rng: np.random.Generator) -> list[Table]:
    schools = world["schools"]
    enrol = sample_rows(world["enrolment"], rng, 0.995)
    persons = world["persons"]
    kids = enrol.join(
        persons.select(
            "person_id",
            "id_number",
            "name",
            "sex",
            "birth_date",
            "age",
            "household_id",
            "house_id",
        ),
        on="person_id",
        how="left",
        maintain_order="left",
    )
    kids = kids.join(
        schools.select("school_id", pl.col("name").alias("school")),
        on="school_id",
        how="left",
        maintain_order="left",
    )
    par = kids.select("household_id").join(
        parents_of(persons, kids["household_id"]),
        on="household_id",
        how="left",
        maintain_order="left",
    )
    n = kids.height
    # The guardian: mostly the mother; the father when she is absent or by the family's choice.
    mother_first = rng.random(n) < 0.6
    use_mother = par["person_id"].is_not_null().to_numpy() & (
        mother_first | par["person_id_f"].is_null().to_numpy()
    )
    pick = pl.Series(use_mother)
    guardian = pl.select(
        pl.when(pick).then(par["person_id"]).otherwise(par["person_id_f"])
    ).to_series()
    g_name = pl.select(pl.when(pick).then(par["name"]).otherwise(par["name_f"])).to_series()
    g_phone = pl.select(pl.when(pick).then(par["phone"]).otherwise(par["phone_f"])).to_series()

    # No ID number at enrolment (unregistered births, late hukou): a temporary L number.
    no_id = rng.random(n) < 0.01
    temp = pl.Series(rng.integers(0, 10**8, n)).cast(pl.Utf8).str.zfill(8)
    temp_no = pl.concat_str(
        [pl.lit("L"), noise.dates(kids["birth_date"], "compact"), temp], separator=""
    )
    ids = noise.id_numbers(kids["id_number"], rng, swap=0.002, digit=0.003, lower_x=0.0)
    student_no = pl.select(
        pl.when(pl.Series(no_id)).then(temp_no).otherwise(pl.concat_str([pl.lit("G"), ids]))
    ).to_series()
    addr = noise.addresses(
        houses_for(world, kids["house_id"]),
        rng,
        {"full": 0.3, "town": 0.3, "short": 0.25, "district": 0.15},
    )
    students = pl.DataFrame(
        {
            "record_id": record_ids("XJ", n, 8),
            "全国学籍号": student_no,
            "姓名": noise.names(kids["name"], rng, homophone=0.006),
            "性别": kids["sex"].replace_strict(SEX_CN),
            "出生日期": noise.dates(kids["birth_date"], "iso"),
            "学校名称": kids["school"],
            "学段": kids["level"].replace_strict(LEVEL_CN),
            "年级": _grades(kids["level"], kids["age"]),
            "监护人": noise.names(g_name, rng, homophone=0.015, spaced=0.005),
            "监护人电话": noise.phones(
                g_phone,
                rng,
                {"plain": 0.85, "dashed": 0.05, "spaced": 0.1},
                missing=0.03,
            ),
            "家庭住址": addr,
            "__person": kids["person_id"],
            "__person:guardian": guardian,
            "__school": kids["school_id"],
            "__house": kids["house_id"],
        }
    )
    students = noise.duplicates(students, rng, 0.002)

    towns = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town")
    )
    s = schools.join(towns, on="town_code", how="left", maintain_order="left")
    count = world["enrolment"].group_by("school_id").len()
    s = s.join(count, on="school_id", how="left", maintain_order="left")
    codes = rng.choice(900_000, s.height, replace=False) + 100_000
    school_rows = pl.DataFrame(
        {
            "record_id": record_ids("XX", s.height, 5),
            "学校标识码": pl.Series(codes).cast(pl.Utf8).str.replace("^", "2133"),
            "学校名称": s["name"],
            "学段": s["level"].replace_strict(LEVEL_CN),
            "所属镇街": s["town"],
            "核定学位数": s["seats"],
            "在校生数": s["len"].fill_null(0).cast(pl.Int64),
            "经度": s["lon"].round(6),
            "纬度": s["lat"].round(6),
            "__school": s["school_id"],
        }
    )
    return [Table("students", students), Table("schools", school_rows)]


SYSTEMS = [
    SourceSystem(
        "education_students",
        DEPARTMENT,
        "中小学生学籍管理系统",
        "csv-utf8",
        _register,
        "Student-status register (kindergarten to middle school) and schools with seats.",
    ),
]
