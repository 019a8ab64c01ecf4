"""Row checks against an oracle: a value passes a date check exactly when it has the format's
shape and is a real date; ints, codes and patterns likewise."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.hub.contracts.schema import TableSpec
from zhili.hub.ingest.validate import check, typed

FORMATS = ["%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"]


def _table(**field) -> TableSpec:
    return TableSpec.model_validate(
        {
            "name": "t",
            "file": "t.csv",
            "fields": {"record_id": {"type": "string", "required": True}, "v": field},
        }
    )


def _frame(values: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row": list(range(1, len(values) + 1)),
            "record_id": [f"R{i}" for i in range(len(values))],
            "v": pl.Series(values, dtype=pl.String),
        }
    )


def _passes(table: TableSpec, values: list[str | None]) -> list[bool]:
    good = set(check(_frame(values), table).good["record_id"])
    return [f"R{i}" in good for i in range(len(values))]


def _shape(fmt: str) -> str:
    parts = re.split(r"(%[YmdHMS])", fmt)
    width = {"%Y": 4}
    return "".join(
        rf"[0-9]{{{width.get(p, 2)}}}" if p.startswith("%") and len(p) == 2 else re.escape(p)
        for p in parts
    )


def _oracle_date(value: str, fmt: str) -> bool:
    if not re.fullmatch(_shape(fmt), value):
        return False
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
    fmt=st.sampled_from(FORMATS),
)
@settings(max_examples=150, deadline=None)
def test_every_real_date_passes_and_parses_back(day: dt.date, fmt: str) -> None:
    table = _table(type="date", formats=[fmt])
    text = day.strftime(fmt)
    assert _passes(table, [text]) == [True]
    back = _frame([text]).select(typed(table.fields["v"])).item()
    assert back == (day.replace(day=1) if "%d" not in fmt else day)


_DATEISH = st.text(alphabet="0123456789-/. 年月日:T", min_size=1, max_size=12)


@given(values=st.lists(_DATEISH, min_size=1, max_size=20), fmt=st.sampled_from(FORMATS))
@settings(max_examples=150, deadline=None)
def test_date_check_agrees_with_the_oracle(values: list[str], fmt: str) -> None:
    table = _table(type="date", formats=[fmt])
    expected = [v.isspace() or _oracle_date(v, fmt) for v in values]  # blank = absent
    assert _passes(table, values) == expected


@given(
    moment=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    fmt=st.sampled_from(DATETIME_FORMATS),
)
@settings(max_examples=60, deadline=None)
def test_datetimes_pass(moment: dt.datetime, fmt: str) -> None:
    table = _table(type="datetime", formats=[fmt])
    assert _passes(table, [moment.strftime(fmt)]) == [True]
    # The same instant in another system's habit is not this system's format.
    other = next(f for f in DATETIME_FORMATS if f != fmt)
    assert _passes(table, [moment.strftime(other)]) == [False]


@given(st.lists(st.text(alphabet="+-0123456789 .e", min_size=1, max_size=22), max_size=20))
@settings(max_examples=150, deadline=None)
def test_int_check_agrees_with_the_oracle(values: list[str]) -> None:
    def oracle(v: str) -> bool:
        if v.isspace():
            return True  # blank: absent, and the field is optional
        return bool(re.fullmatch(r"[+-]?[0-9]+", v)) and -(2**63) <= int(v) < 2**63

    assert _passes(_table(type="int"), values) == [oracle(v) for v in values]


def test_codes_patterns_and_required() -> None:
    codes = _table(type="string", codes={"1": "M", "2": "F"}, required=True)
    assert _passes(codes, ["1", "2", "3", " 1", None, "", " "]) == [
        True, True, False, False, False, False, False
    ]  # fmt: skip
    pattern = _table(type="string", pattern=r"\d{2}:\d{2}")
    assert _passes(pattern, ["05:30", "5:30", "05:30x", None]) == [True, False, False, True]
    yes_no = _table(type="bool", codes={"Y": True, "N": False})
    assert _passes(yes_no, ["Y", "N", "y", None]) == [True, True, False, True]
    assert _frame(["Y", "N", None]).select(typed(yes_no.fields["v"])).to_series().to_list() == [
        True, False, None
    ]  # fmt: skip


def test_every_failure_is_named_in_field_order() -> None:
    table = TableSpec.model_validate(
        {
            "name": "t",
            "file": "t.csv",
            "fields": {
                "record_id": {"required": True},
                "d": {"type": "date", "formats": ["%Y%m%d"]},
                "n": {"type": "float"},
            },
        }
    )
    frame = pl.DataFrame(
        {"_row": [1, 2, 3], "record_id": ["a", "b", "a"], "d": ["19851340", None, None],
         "n": ["1,5", "2.5", None]}
    )  # fmt: skip
    checked = check(frame, table)
    assert checked.good["record_id"].to_list() == ["b"]
    assert checked.bad["_reason"].to_list() == [
        "d: '19851340' is not a date in %Y%m%d; n: '1,5' is not a number",
        "record_id: 'a' is a duplicate key (first at row 1)",
    ]


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%Y%m%d"])
def test_lenient_polars_shapes_are_refused(fmt: str) -> None:
    """polars alone would take these for dates in the format."""
    table = _table(type="date", formats=[fmt])
    values = ["2019-6-3", " 2019-06-03", "19-06-03"] if "-" in fmt else ["1985011", " 19850101"]
    assert _passes(table, values) == [False] * len(values)
