from __future__ import annotations

import numpy as np

from zhili.geo import gcj02_to_wgs84, wgs84_to_gcj02

# (wgs lat, wgs lon, gcj lat, gcj lon): reference pairs of the widely used eviltransform tests
PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def test_wgs84_to_gcj02_known_pairs() -> None:
    wlat, wlon, glat, glon = map(np.array, zip(*PAIRS, strict=True))
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert np.allclose(lon, glon, atol=1e-7) and np.allclose(lat, glat, atol=1e-7)


def test_gcj02_round_trip() -> None:
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(119.6, 120.4, 1000), rng.uniform(30.1, 30.6, 1000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.allclose(back_lon, lon, atol=1e-8) and np.allclose(back_lat, lat, atol=1e-8)


def test_offset_in_yuhang_is_a_few_hundred_metres() -> None:
    lon, lat = wgs84_to_gcj02(np.array([120.3]), np.array([30.42]))
    assert 0.003 < lon[0] - 120.3 < 0.006
    assert -0.004 < lat[0] - 30.42 < 0


def test_outside_china_unchanged() -> None:
    lon, lat = wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert lon[0] == 2.35 and lat[0] == 48.85
