"""Shared hypothesis strategies for the identifier tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

# Anything a dirty spreadsheet cell might hold.
garbage = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789xX -+.·()（）０１２３４５６７８９浙AaDFIO挂", max_size=25),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
)

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2019, 12, 31))
area_codes = st.sampled_from(["330110", "330184", "330125", "341221", "411525", "522427", "110105"])
