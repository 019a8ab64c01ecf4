"""杭州市公交集团余杭公司: the bus network and ridership system (公交线网与客流系统).

Stops stand outside compounds and village centres, more of them where more people live;
routes run between busy stops through the stops along the way. Coordinates are GCJ-02, as
the company's maps (Gaode) draw them. Daily boardings follow the population within about
500 m of a stop. No personal data.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo.coords import wgs84_to_gcj02
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.world import World

DEPARTMENT = "杭州市公交集团余杭公司"
_KM_PER_DEG_LON = 111.32 * np.cos(np.radians(30.4))
_KM_PER_DEG_LAT = 110.95
_CATCHMENT_KM = 0.5
_FEEDER_KM = 5.0  # a stop further off every route gets its own feeder line
_ROUTE_NUMBERS = [*range(301, 400), *range(501, 600), *range(801, 900)]


def _km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([lon * _KM_PER_DEG_LON, lat * _KM_PER_DEG_LAT])


def _candidates(world: World) -> pl.DataFrame:
    """Places a stop could serve: compounds and village centres, with their residents."""
    p = world["persons"].select("house_id")
    h = world["houses"].select("house_id", "compound_id", "village_code", "town_code", "kind")
    ph = p.join(h, on="house_id", how="left")
    by_compound = ph.filter(pl.col("compound_id").is_not_null()).group_by("compound_id").len()
    comp = (
        world["compounds"]
        .join(by_compound, on="compound_id", how="left")
        .select(
            "lon",
            "lat",
            "name",
            pl.col("len").fill_null(0).alias("pop"),
            pl.col("village_code"),
        )
    )
    by_village = ph.filter(pl.col("kind") == "village_house").group_by("village_code").len()
    villages = world.layout.villages.filter(pl.col("kind") == "village")
    vil = villages.join(by_village, left_on="code", right_on="village_code", how="left").select(
        "lon",
        "lat",
        pl.col("short_name").alias("name"),
        pl.col("len").fill_null(0).alias("pop"),
        pl.col("code").alias("village_code"),
    )
    towns = world.layout.villages.select(pl.col("code").alias("village_code"), "town_code")
    return pl.concat([comp, vil]).join(towns, on="village_code", how="left", maintain_order="left")


def _roads(world: World) -> dict[str, list[str]]:
    """Road names of each town, as its enterprises' addresses use them."""
    towns = world.layout.towns.select(
        pl.col("code").alias("town_code"), pl.col("name").alias("town")
    )
    e = world["enterprises"].select("town_code", "address").join(towns, on="town_code", how="left")
    road = (
        e.select(
            "town_code",
            pl.col("address")
            .str.strip_prefix("杭州市余杭区")
            .str.strip_prefix(pl.col("town"))
            .str.replace(r"\d+号$", "")
            .alias("road"),
        )
        .unique()
        .sort("town_code", "road")
    )
    out: dict[str, list[str]] = {}
    for town, r in road.iter_rows():
        out.setdefault(town, []).append(r)
    return out


def _town_short(world: World, code: str) -> str:
    name = world.layout.towns.filter(pl.col("code") == code)["name"].item()
    return name.removesuffix("街道").removesuffix("镇")


def _unique_names(names: np.ndarray) -> np.ndarray:
    seen: dict[str, int] = {}
    out = []
    for name in names.tolist():
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}({'东西南北'[k - 1]})" if k < 5 else f"{name}{k}")
    return np.array(out, dtype=object)


def _place_stops(world: World, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = round(1_500 * max(world.spec.scale, 0.05))
    c = _candidates(world)
    w = c["pop"].to_numpy().astype(float) ** 0.8 + 1.0
    k = min(n, c.height)
    pick = rng.choice(c.height, k, replace=False, p=w / w.sum())
    if n > k:  # more stops than places: second stops at the busiest places
        pick = np.concatenate([pick, rng.choice(c.height, n - k, p=w / w.sum())])
    lon0 = c["lon"].to_numpy()[pick]
    lat0 = c["lat"].to_numpy()[pick]
    # On the road outside: 80-300 m away in some direction.
    dist = rng.uniform(0.08, 0.3, n)
    ang = rng.uniform(0, 2 * np.pi, n)
    lon = lon0 + dist * np.cos(ang) / _KM_PER_DEG_LON
    lat = lat0 + dist * np.sin(ang) / _KM_PER_DEG_LAT
    grid = world.layout.locate(lon, lat)
    inside = grid >= 0
    lon, lat = np.where(inside, lon, lon0), np.where(inside, lat, lat0)
    grid = world.layout.locate(lon, lat)
    grid_code = np.where(
        grid >= 0, world.layout.grids["code"].to_numpy()[np.maximum(grid, 0)], None
    )

    town = c["town_code"].to_numpy()[pick]
    roads = _roads(world)
    by_road = rng.random(n) < 0.3
    road = np.array(
        [
            rng.choice(roads[t]) if b and roads.get(t) else ""
            for t, b in zip(town, by_road, strict=True)
        ],
        dtype=object,
    )
    place = c["name"].to_numpy()[pick].astype(object)
    names = np.where(road != "", road + "口", place + "站")
    return {"lon": lon, "lat": lat, "grid": grid_code, "name": _unique_names(names), "town": town}


def _residents(world: World) -> pl.DataFrame:
    """house_id -> number of residents (households' members summed)."""
    size = pl.col("elders").cast(pl.Int64) + pl.col("adults") + pl.col("children")
    return world["households"].group_by("house_id").agg(size.sum().alias("residents"))


def _boardings(
    world: World, lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Daily boardings from the residents within the catchment of each stop, summed over a
    100 m population raster."""
    h = world["houses"].select("house_id", "lon", "lat").join(_residents(world), on="house_id")
    xy = _km(h["lon"].to_numpy(), h["lat"].to_numpy())
    sxy = _km(lon, lat)
    cell = 0.1
    r = int(np.ceil(_CATCHMENT_KM / cell))
    origin = np.minimum(xy.min(axis=0), sxy.min(axis=0)) - (r + 1) * cell
    ij = ((xy - origin) / cell).astype(np.int64)
    sij = ((sxy - origin) / cell).astype(np.int64)
    shape = np.maximum(ij.max(axis=0), sij.max(axis=0)) + r + 2
    raster = np.zeros(shape, dtype=np.float64)
    np.add.at(raster, (ij[:, 0], ij[:, 1]), h["residents"].to_numpy().astype(np.float64))
    pop = np.zeros(lon.size)
    for di in range(-r, r + 1):
        for dj in range(-r, r + 1):
            if di * di + dj * dj <= r * r:
                pop += raster[sij[:, 0] + di, sij[:, 1] + dj]
    return np.round((pop * 0.08 + 5) * np.exp(rng.normal(0.0, 0.35, lon.size))).astype(np.int64)


def _routes(
    xy: np.ndarray, weight: np.ndarray, n_routes: int, rng: np.random.Generator
) -> tuple[list[list[int]], list[list[int]]]:
    """Each route: from a busy stop to another 4-18 km away, bending through a stop near the
    middle, calling at the stops within 600 m of its two legs."""
    n = xy.shape[0]
    p = weight / weight.sum()
    routes = []
    for _ in range(n_routes):
        a = int(rng.choice(n, p=p))
        d = np.hypot(*(xy - xy[a]).T)
        far = np.flatnonzero((d > 4) & (d < 18))
        b = int(rng.choice(far, p=p[far] / p[far].sum())) if far.size else int(np.argmax(d))
        mid = (xy[a] + xy[b]) / 2
        dm = np.hypot(*(xy - mid).T)
        near_mid = np.flatnonzero(dm < max(1.5, 0.25 * d[b]))
        via = int(rng.choice(near_mid)) if near_mid.size else a
        seq: list[int] = [a]
        for s, e in ((a, via), (via, b)):
            seg = xy[e] - xy[s]
            length2 = max(float(seg @ seg), 1e-9)
            t = ((xy - xy[s]) @ seg) / length2
            off = np.hypot(*(xy - xy[s] - np.outer(t, seg)).T)
            on = np.flatnonzero((t > 0) & (t < 1) & (off < 0.6))
            if on.size > 18:  # express sections skip the quieter stops
                on = np.sort(rng.choice(on, 18, replace=False, p=p[on] / p[on].sum()))
            seq += [int(i) for i in on[np.argsort(t[on])] if i not in seq]
            if e not in seq:
                seq.append(e)
        routes.append(seq)
    # Stops no route reaches join the route where they add the least detour; far ones get a
    # town-and-village feeder (镇村公交) from the nearest served stop.
    served = np.unique(np.concatenate([np.array(r) for r in routes]))
    feeders: list[list[int]] = []
    for stop in np.setdiff1d(np.arange(n), served).tolist():
        if not _insert_cheapest([*routes, *feeders], xy, stop, _FEEDER_KM):
            on = np.unique(np.concatenate([np.array(r) for r in [*routes, *feeders]]))
            nearest = int(on[np.argmin(np.hypot(*(xy[on] - xy[stop]).T))])
            feeders.append([nearest, stop])
    return routes, feeders


def _insert_cheapest(routes: list[list[int]], xy: np.ndarray, stop: int, limit: float) -> bool:
    """Put `stop` between the two consecutive stops (or at the end of the route) of the route
    it lengthens least, unless that is more than `limit` km; say whether it was placed."""
    best = (np.inf, 0, 0)
    for k, r in enumerate(routes):
        pts = xy[r]
        to_stop = np.hypot(*(pts - xy[stop]).T)
        leg = np.hypot(*np.diff(pts, axis=0).T)
        detour = to_stop[:-1] + to_stop[1:] - leg  # between stop i and i + 1
        cands = [(float(detour.min()), k, int(detour.argmin()) + 1)] if detour.size else []
        cands += [(float(to_stop[0]), k, 0), (float(to_stop[-1]), k, len(r))]
        best = min([best, *cands])
    if best[0] > limit:
        return False
    routes[best[1]].insert(best[2], stop)
    return True


def _network(world: World, rng: np.random.Generator) -> list[Table]:
    s = _place_stops(world, rng)
    n = s["lon"].size
    board = _boardings(world, s["lon"], s["lat"], rng)
    xy = _km(s["lon"], s["lat"])
    n_routes = round(120 * max(world.spec.scale, 0.1))
    trunk, feeders = _routes(xy, board.astype(float) + 1.0, n_routes, rng)
    routes = trunk + feeders
    numbers = rng.choice(_ROUTE_NUMBERS, min(len(trunk), len(_ROUTE_NUMBERS)), replace=False)
    route_names = [f"余杭{k}路" for k in numbers.tolist()]
    route_names += [f"余杭{k}路" for k in range(1001, 1001 + len(trunk) - len(route_names))]
    per_town: dict[str, int] = {}
    for r in feeders:
        town = _town_short(world, s["town"][r[-1]])
        per_town[town] = per_town.get(town, 0) + 1
        route_names.append(f"{town}{per_town[town]}路")
    stop_ids = np.array(
        [f"YH{v:05d}" for v in rng.choice(90_000, n, replace=False) + 10_000], dtype=object
    )

    lines_at: list[list[str]] = [[] for _ in range(n)]
    for name, r in zip(route_names, routes, strict=True):
        for stop in r:
            lines_at[stop].append(name)
    share = board / np.maximum([len(x) for x in lines_at], 1)
    glon, glat = wgs84_to_gcj02(s["lon"], s["lat"])
    stops = pl.DataFrame(
        {
            "record_id": record_ids("BS", n, 6),
            "站点编号": stop_ids,
            "站点名称": s["name"],
            "经度": np.round(glon, 6),
            "纬度": np.round(glat, 6),
            "途经线路": [",".join(x) for x in lines_at],
            "日均上客量": board,
            "__grid": pl.Series(s["grid"], dtype=pl.Utf8),
        }
    )
    first = rng.choice(["05:30", "05:45", "06:00", "06:15", "06:30"], len(routes))
    last = rng.choice(["18:00", "19:00", "20:00", "20:30", "21:00", "21:30", "22:00"], len(routes))
    length = [float(np.hypot(*np.diff(xy[r], axis=0).T).sum()) * 1.25 for r in routes]
    riders = [round(float(share[r].sum()) * rng.lognormal(0.0, 0.15)) for r in routes]
    route_rows = pl.DataFrame(
        {
            "record_id": record_ids("BL", len(routes), 4),
            "线路编号": route_names,
            "起点站": [s["name"][r[0]] for r in routes],
            "终点站": [s["name"][r[-1]] for r in routes],
            "站点序列": pl.Series([stop_ids[r].tolist() for r in routes], dtype=pl.List(pl.Utf8)),
            "站点数": [len(r) for r in routes],
            "线路长度(公里)": np.round(length, 1),
            "首班": first,
            "末班": last,
            "日均客流": riders,
        }
    )
    return [Table("stops", stops), Table("routes", route_rows)]


SYSTEMS = [
    SourceSystem(
        "bus_network",
        DEPARTMENT,
        "公交线网与客流系统",
        "jsonl",
        _network,
        "Bus stops (GCJ-02) with daily boardings, and routes with their stop sequences.",
    ),
]
