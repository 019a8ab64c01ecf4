"""Where each master lies, as an area code (village, else town, else the district), so that
search can apply the reader's area scope inside its query. A person lies where the houses
they live in, let or hold utility accounts for lie; a vehicle where its owner does; a project
where its coordinates fall; an account where its project (or holder) lies.

The counting runs in DuckDB over the index build's tables (at twin scale 1.0: 5 M masters,
10 M relations between people, houses and vehicles); only the parsing of each house's
address and the placing of each project's point are done in Python."""

from __future__ import annotations

import duckdb
import polars as pl

from zhili.geo.layout import DistrictLayout
from zhili.hub.standardize import parse_addresses

DISTRICT = "330110"
_HOUSE_TIES = ("residence", "landlord", "utility_account")


def house_areas(house_addresses: pl.DataFrame) -> pl.DataFrame:
    """master_id, area from each house master's canonical address."""
    distinct = house_addresses.unique("master_id")
    parsed = parse_addresses(distinct["canonical"], learn=False)
    return distinct.select("master_id").with_columns(
        area=pl.coalesce(parsed["village_code"], parsed["town_code"])
    )


def project_areas(points: pl.DataFrame, layout: DistrictLayout) -> pl.DataFrame:
    """master_id, area (the grid) of each project mention's point (`points`: master_id, lon,
    lat as floats); a point outside the district has no area."""
    grids = layout.grids["code"]
    cell = layout.locate(points["lon"].to_numpy(), points["lat"].to_numpy())
    return points.select("master_id").with_columns(
        area=pl.Series([grids[int(i)] if i >= 0 else None for i in cell], dtype=pl.Utf8)
    )


def _most_common(rows: str, key: str = "master_id") -> str:
    """One area per master: the one most of its rows (`key`, area) give (ties: the lowest
    code)."""
    return f"""
        SELECT {key} AS master_id, first(area ORDER BY n DESC, area) AS area
        FROM (SELECT {key}, area, count(*) AS n FROM ({rows}) WHERE area IS NOT NULL GROUP BY ALL)
        GROUP BY {key}
    """


def master_areas(
    con: duckdb.DuckDBPyConnection,
    out: str,
    masters: str,
    relations: str,
    houses: str,
    enterprise_towns: str,
    projects: str,
) -> None:
    """Create table `out` (entity, master_id, area) for every master of the table `masters`
    (entity, master_id). The other arguments are tables: `relations` (relation,
    from_entity, from_master, to_entity, to_master), `houses` (master_id, area: see
    `house_areas`), `enterprise_towns` (master_id, town_code, one row per record) and
    `projects` (master_id, area: see `project_areas`)."""
    ties = ", ".join(f"'{r}'" for r in _HOUSE_TIES)
    person = _most_common(
        f"""SELECT r.from_master AS master_id, h.area FROM {relations} r
            JOIN {houses} h ON h.master_id = r.to_master
            WHERE r.from_entity = 'person' AND r.to_entity = 'house' AND r.relation IN ({ties})"""
    )
    enterprise = _most_common(f"SELECT master_id, town_code AS area FROM {enterprise_towns}")
    project = _most_common(f"SELECT master_id, area FROM {projects}")
    con.execute(f"CREATE TEMP TABLE _person_area AS {person}")
    con.execute(f"CREATE TEMP TABLE _enterprise_area AS {enterprise}")
    con.execute(f"CREATE TEMP TABLE _project_area AS {project}")
    vehicle = _most_common(
        f"""SELECT r.to_master AS master_id, o.area FROM {relations} r
            JOIN (SELECT * FROM _person_area UNION ALL SELECT * FROM _enterprise_area) o
              ON o.master_id = r.from_master
            WHERE r.to_entity = 'vehicle'"""
    )
    account = _most_common(
        f"""SELECT r.to_master AS master_id, p.area FROM {relations} r
            JOIN _project_area p ON p.master_id = r.from_master
            WHERE r.relation = 'project_account'
            UNION ALL
            SELECT r.to_master, e.area FROM {relations} r
            JOIN _enterprise_area e ON e.master_id = r.from_master
            WHERE r.relation = 'account_holder'"""
    )
    con.execute(
        f"""
        CREATE TABLE {out} AS
        WITH known AS (
            SELECT 'person' AS entity, * FROM _person_area
            UNION ALL SELECT 'house', master_id, area FROM {houses}
            UNION ALL SELECT 'enterprise', * FROM _enterprise_area
            UNION ALL SELECT 'vehicle', * FROM ({vehicle})
            UNION ALL SELECT 'project', * FROM _project_area
            UNION ALL SELECT 'account', * FROM ({account})
        )
        SELECT m.entity, m.master_id, coalesce(k.area, '{DISTRICT}') AS area
        FROM {masters} m LEFT JOIN known k ON k.entity = m.entity AND k.master_id = m.master_id
        """
    )
    for table in ("_person_area", "_enterprise_area", "_project_area"):
        con.execute(f"DROP TABLE {table}")
