"""Dates and datetimes in every source style."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.hub.standardize import parse_dates, to_date, to_datetime
from zhili.twin.sources import noise

DATE_FORMATS = {
    "iso": "%Y-%m-%d",
    "slash": "%Y/%m/%d",
    "compact": "%Y%m%d",
    "chinese": "%Y年%m月%d日",
    "dotted": "%Y.%m.%d",
}
DATETIME_STYLES = ("iso", "space", "slash", "compact")  # noise.datetimes styles
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
datetimes = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1))


def test_examples() -> None:
    values = pl.Series(
        ["2019-06-30", "2019/6/3", "20190630", "2018年03月05日", "2018年3月5日", "2019.06.30",
         "2019-06-30 00:00:00", "2019-06-30T12:01:02", "2019/06/30 12:30", "20190630123000",
         "43646", "２０１９－０６－３０", None, "2019063", "abc", "2019-02-30"]
    )  # fmt: skip
    out = parse_dates(values)
    d = dt.date
    assert out.values.to_list() == [
        d(2019, 6, 30), d(2019, 6, 3), d(2019, 6, 30), d(2018, 3, 5), d(2018, 3, 5),
        d(2019, 6, 30), d(2019, 6, 30), d(2019, 6, 30), d(2019, 6, 30), d(2019, 6, 30),
        d(2019, 6, 30), d(2019, 6, 30), None, None, None, None,
    ]  # fmt: skip
    assert out.unparsed == 3  # the 7-digit typo, text, and 30 February; null is not counted
    assert out.counts["iso"] == 2
    assert out.style[10] == "excel"


def test_datetimes() -> None:
    values = pl.Series(["2019-06-30T12:01:02", "2019/06/30 12:30", "20190630", "43646.5"])
    assert to_datetime(values).to_list() == [
        dt.datetime(2019, 6, 30, 12, 1, 2),
        dt.datetime(2019, 6, 30, 12, 30),
        dt.datetime(2019, 6, 30),
        dt.datetime(2019, 6, 30, 12),
    ]


def test_typed_and_numeric_columns() -> None:
    assert to_date(pl.Series([dt.datetime(2019, 6, 30, 8)])).to_list() == [dt.date(2019, 6, 30)]
    assert to_date(pl.Series([20190630, None])).to_list() == [dt.date(2019, 6, 30), None]
    assert to_date(pl.Series([43646.0])).to_list() == [dt.date(2019, 6, 30)]


@settings(max_examples=25, deadline=None)
@given(st.lists(dates, min_size=1, max_size=60))
def test_every_date_style_round_trips(values: list[dt.date]) -> None:
    series = pl.Series(values, dtype=pl.Date)
    for style in DATE_FORMATS:
        written = noise.dates(series, style)  # exactly as the twin's sources write them
        out = parse_dates(written)
        assert out.values.to_list() == values, style
        assert out.unparsed == 0
    for fmt in DATE_FORMATS.values():  # and as datetimes at midnight
        written = series.dt.strftime(fmt)
        assert to_datetime(written).to_list() == [
            dt.datetime(v.year, v.month, v.day) for v in values
        ]


@settings(max_examples=25, deadline=None)
@given(st.lists(datetimes, min_size=1, max_size=60))
def test_every_datetime_style_round_trips(values: list[dt.datetime]) -> None:
    series = pl.Series(values, dtype=pl.Datetime("us"))
    for style in DATETIME_STYLES:
        written = noise.datetimes(series, style)
        keep_seconds = style != "slash"  # "%Y/%m/%d %H:%M"
        expected = [
            v.replace(microsecond=0) if keep_seconds else v.replace(second=0, microsecond=0)
            for v in values
        ]
        out = parse_dates(written, "datetime")
        assert out.values.to_list() == expected, style
        assert to_date(written).to_list() == [v.date() for v in values], style


@settings(max_examples=30, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1927, 6, 1), max_value=dt.date(2100, 1, 1)), min_size=1))
def test_excel_serials(values: list[dt.date]) -> None:
    serials = [str((v - dt.date(1899, 12, 30)).days) for v in values]
    assert to_date(pl.Series(serials)).to_list() == values
