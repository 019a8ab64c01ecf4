import polars as pl
import pytest

from zhili.hub.fusion.engine import exact_u


def test_exact_u_is_the_share_of_equal_pairs_among_pairs_with_values():
    # a a a b c None: 6 ordered pairs of (a, a) among 5 * 4 ordered pairs with values.
    t = pl.DataFrame({"x": ["a", "a", "a", "b", "c", None]})
    assert exact_u({"t": t}, "x") == pytest.approx(6 / 20)


def test_exact_u_across_two_tables_counts_cross_pairs():
    left = pl.DataFrame({"x": ["a", "a", "b"]})
    right = pl.DataFrame({"x": ["a", "c", None]})
    assert exact_u({"l": left, "r": right}, "x") == pytest.approx(2 / 6)


def test_exact_u_without_pairs_is_none():
    assert exact_u({"t": pl.DataFrame({"x": ["a", None]})}, "x") is None
