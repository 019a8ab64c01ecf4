from __future__ import annotations

import numpy as np
import polars as pl

from zhili.identifiers import origins


def test_origin_counties_table() -> None:
    df = origins.load_origin_counties()
    assert df.columns == ["code6", "county", "prefecture", "province", "weight"]
    assert df.schema["code6"] == pl.String and df.schema["weight"] == pl.Float64
    assert 150 <= df.height <= 250
    assert df["code6"].n_unique() == df.height
    assert df["code6"].str.contains(r"^\d{6}$").all()
    assert abs(df["weight"].sum() - 1.0) < 1e-4
    assert (df["weight"] > 0).all()
    # Every code sits in the province its row names.
    assert all(origins.province_of(c) == p for c, p in df.select("code6", "province").iter_rows())
    shares = dict(df.group_by("province").agg(pl.col("weight").sum()).iter_rows())
    assert abs(shares["安徽省"] - 0.25) < 0.005
    assert abs(shares["河南省"] - 0.13) < 0.005
    assert max(shares, key=shares.__getitem__) == "安徽省"
    linquan = df.filter(pl.col("code6") == "341221").row(0, named=True)
    assert linquan["county"] == "临泉县" and linquan["prefecture"] == "阜阳市"


def test_load_returns_independent_copy() -> None:
    a = origins.load_origin_counties()
    b = a.with_columns(pl.lit(0.0).alias("weight"))
    assert origins.load_origin_counties()["weight"].sum() > 0.99
    assert b["weight"].sum() == 0.0


def test_province_of() -> None:
    assert len(origins.PROVINCES) == 31
    assert origins.province_of("330110") == "浙江省"
    assert origins.province_of(341221) == "安徽省"
    assert origins.province_of("500101") == "重庆市"
    for bad in ["990000", "3301", "33011a", None, 3.3, "", "３３０１１０"]:
        assert origins.province_of(bad) is None


def test_yuhang_codes() -> None:
    birth = np.array(
        ["1960-01-01", "1993-12-31", "1994-01-01", "2000-12-31", "2001-01-01", "2019-06-01"],
        dtype="datetime64[D]",
    )
    assert origins.yuhang_area_code(birth).tolist() == [
        "330125", "330125", "330184", "330184", "330110", "330110",
    ]  # fmt: skip
    assert origins.YUHANG_DISTRICT == "330110"


def test_sample_origin_codes() -> None:
    codes = origins.sample_origin_codes(np.random.default_rng(3), 50_000)
    known = set(origins.load_origin_counties()["code6"].to_list())
    assert set(codes.tolist()) <= known
    anhui = np.char.startswith(codes, "34").mean()
    assert abs(anhui - 0.25) < 0.01
