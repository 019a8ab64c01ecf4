"""The partitioning building blocks on small synthetic rasters."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.geo.build import allocate
from zhili.geo.partition import (
    clean_fragments,
    component_counts,
    power_partition,
    representative_cells,
    spread_seeds,
)


def test_allocate_is_exact_with_minimum() -> None:
    weights = np.array([100.0, 1e-6, 1e-6, 3.0, 50.0])
    out = allocate(20, weights)
    assert out.sum() == 20 and (out >= 1).all()
    assert out[0] > out[4] > out[3]
    assert allocate(5, weights).tolist() == [1, 1, 1, 1, 1]
    with pytest.raises(ValueError):
        allocate(4, weights)


def test_power_partition_reaches_targets() -> None:
    side = np.arange(100) + 0.5
    xy = np.array(np.meshgrid(side, side)).reshape(2, -1).T
    rng = np.random.default_rng(0)
    seeds = spread_seeds(xy, 6, rng)
    targets = np.array([500, 1000, 1500, 2000, 2500, 2500], dtype=float)
    labels, _ = power_partition(xy, seeds, targets, point_area=1.0)
    counts = np.bincount(labels, minlength=6)
    assert np.all(np.abs(counts - targets) <= np.maximum(0.01 * targets, 1))


def test_clean_fragments_joins_strays_to_their_neighbour() -> None:
    raster = np.array(
        [
            [0, 0, 0, 1, 1],
            [0, 1, 0, 1, 1],  # the lone 1 is a stray piece inside 0
            [0, 0, 0, 1, 0],  # the 0 at the right is a stray piece inside 1
            [2, 2, 2, 1, 1],
            [-1, 2, 2, 2, -1],
        ]
    )
    parent = np.array([0, 0, 0])
    out = clean_fragments(raster, parent)
    assert out[1, 1] == 0 and out[2, 4] == 1
    assert (component_counts(out, 3) == 1).all()
    assert (out[raster < 0] == -1).all()


def test_clean_fragments_respects_parents() -> None:
    # label 1's stray piece touches label 2 (another parent) far more than label 0
    raster = np.array(
        [
            [0, 0, 1, 1],
            [0, 1, 2, 2],
            [0, 0, 2, 2],
        ]
    )
    parent = np.array([0, 0, 1])
    out = clean_fragments(raster, parent)
    assert out[1, 1] == 0  # to 0, its only neighbour under the same parent


def test_representative_cells_are_deep_inside() -> None:
    raster = np.zeros((9, 9), dtype=np.int64)
    raster[:, 6:] = 1
    rep = representative_cells(raster, 2)
    rows, cols = np.divmod(rep, 9)
    assert raster[rows, cols].tolist() == [0, 1]
    # as far from the region's border as possible: 2 cells for the 9 x 6 block ...
    assert 2 <= rows[0] <= 6 and 2 <= cols[0] <= 3
    # ... and the middle column of the 3-wide strip
    assert cols[1] == 7 and 1 <= rows[1] <= 7
