"""Standardized records per entity type, in the columns the fusion models compare."""

from __future__ import annotations

import polars as pl

from zhili.hub.standardize import (
    name_pinyin,
    normalize_names,
    parse_addresses,
    standardize_credit_codes,
    standardize_phones,
    standardize_plates,
    standardize_resident_ids,
    to_date,
)

# The town in a canonical address (杭州市余杭区良渚街道…).
_TOWN_OF_CANONICAL = r"^杭州市余杭区(.+?(?:街道|镇))"

# Words that every company name carries and that say nothing about which company it is.
_NAME_NOISE = r"^(杭州市?|浙江省?)|余杭区?|有限责任公司$|股份有限公司$|有限公司$|\(个体\)|（个体）"


def _col(df: pl.DataFrame, name: str) -> pl.Series:
    return df[name] if name in df.columns else pl.Series(name, [None] * df.height, dtype=pl.Utf8)


def prepare_persons(
    mentions: pl.DataFrame,
    houses: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """`houses`: prepared house mentions; a person's address is the house its record names.
    `events`: event mentions; `town` is the town of the person's address, else of the place
    (or handler: a police station, a village mediation committee) of the event its row is
    about. The model does not compare `town`; the ties use it (`ties.py`)."""
    standardized = standardize_resident_ids(_col(mentions, "id_number"))
    ids = standardized["value"]
    ids = pl.select(pl.when(ids.str.len_chars() == 18).then(ids).otherwise(None)).to_series()
    names = normalize_names(_col(mentions, "name"))
    birth = to_date(_col(mentions, "birth_date"))
    from_id = ids.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    out = mentions.select("source", "record_id", "role").with_columns(
        id_number=ids,
        id_valid=standardized["valid"].fill_null(False) & ids.is_not_null(),
        name=names,
        name_pinyin=name_pinyin(names),
        birth_date=pl.coalesce(birth, from_id).cast(pl.Utf8),
        sex=_col(mentions, "sex"),
        phone=standardize_phones(_col(mentions, "phone"))["value"],
        id_region=ids.str.slice(0, 6),
    )
    if houses is not None:
        at = (
            houses.filter(pl.col("role") == "subject")
            .select("source", "record_id", pl.col("canonical").alias("address"))
            .unique(["source", "record_id"], keep="first")
        )
        out = out.join(at, on=["source", "record_id"], how="left", maintain_order="left")
    else:
        out = out.with_columns(address=pl.lit(None, pl.Utf8))
    out = out.with_columns(town=pl.col("address").str.extract(_TOWN_OF_CANONICAL, 1))
    if events is not None and events.height:
        place = parse_addresses(_col(events, "place"))["town"]
        handler = parse_addresses(_col(events, "handler"))["town"]
        where = (
            events.select("source", "record_id")
            .with_columns(_event_town=pl.coalesce(place, handler))
            .drop_nulls()
            .unique(["source", "record_id"], keep="first")
        )
        out = out.join(where, on=["source", "record_id"], how="left", maintain_order="left")
        out = out.with_columns(town=pl.coalesce("town", "_event_town")).drop("_event_town")
    # A mention with neither name, id nor phone cannot be placed.
    keep = out["name"].is_not_null() | out["id_number"].is_not_null() | out["phone"].is_not_null()
    return out.filter(keep)


def prepare_enterprises(mentions: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    codes = _col(mentions, "credit_code").fill_null(_col(mentions, "tax_number"))
    standardized = standardize_credit_codes(codes, check_org_code=False)
    std = standardized["value"]
    # Fields that take a person or an enterprise (a vehicle's owner, a court's defendant)
    # carry resident ID numbers too: 18 characters, but a person's, not a credit code.
    resident = standardize_resident_ids(codes)["valid"].fill_null(False)
    std = pl.select(pl.when(resident).then(None).otherwise(std)).to_series()
    code = pl.select(pl.when(std.str.len_chars() == 18).then(std).otherwise(None)).to_series()
    # The organisation code (GB 11714) sits inside the credit code and is all an old tax
    # number (330110 + 9 characters) carries.
    org = pl.select(
        pl.when(std.str.len_chars() == 18)
        .then(std.str.slice(8, 9))
        .when(std.str.len_chars() == 15)
        .then(std.str.slice(6, 9))
        .otherwise(None)
    ).to_series()
    names = normalize_names(_col(mentions, "name"))
    core = names.str.replace_all(_NAME_NOISE, "")
    addr = parse_addresses(_col(mentions, "address"))
    reps = (
        persons.filter(pl.col("role") == "legal_rep")
        .select("source", "record_id", pl.col("name").alias("legal_rep"))
        .unique(["source", "record_id"], keep="first")
    )
    out = mentions.select("source", "record_id", "role").with_columns(
        credit_code=code,
        code_valid=standardized["valid"].fill_null(False) & code.is_not_null(),
        org_code=org,
        name_core=core,
        name_core_pinyin=name_pinyin(core),
        town_code=addr["town_code"],
        address=addr["canonical"],
    )
    out = out.join(reps, on=["source", "record_id"], how="left", maintain_order="left")
    keep = out["credit_code"].is_not_null() | out["name_core"].is_not_null()
    return out.filter(keep)


def prepare_houses(mentions: pl.DataFrame, persons: pl.DataFrame | None = None) -> pl.DataFrame:
    """`persons`: the raw person mentions; with them, houses given only as a compound code and
    a room (`house.compound_id` + `house.room`, 幢-单元-室) are placed too (`_place_rooms`)."""
    parsed = parse_addresses(_col(mentions, "address"))
    out = mentions.select("source", "record_id", "role").with_columns(canonical=parsed["canonical"])
    if persons is not None and "compound_id" in mentions.columns and "room" in mentions.columns:
        placed = _place_rooms(mentions, parsed, persons)
        out = out.with_columns(canonical=pl.coalesce("canonical", placed))
    return out.filter(pl.col("canonical").is_not_null())


_ROOM = r"^(\d+)-(\d+)-(\d+)$"


def _place_rooms(mentions: pl.DataFrame, parsed: pl.DataFrame, persons: pl.DataFrame) -> pl.Series:
    """The canonical address of houses given as a compound code + 幢-单元-室 room.

    A compound's code (a property manager's own, 小区编码) is in no gazetteer, so which
    compound it is is learnt from the people: the residents a row names at a room of that code
    are voted against the people other systems place, by name, at the same building, unit and
    room of a parsed address; the compound (its canonical address up to the building) with
    most such votes, and at least twice the runner-up's, is the code's compound."""
    k = ["source", "record_id"]
    rooms = (
        mentions.select(*k, "role", "compound_id", "room")
        .with_row_index("_i")
        .with_columns(pl.col("room").str.strip_chars().str.extract_groups(_ROOM).alias("_r"))
        .with_columns(
            *(
                pl.col("_r").struct.field(str(n + 1)).cast(pl.Int64, strict=False).alias(c)
                for n, c in enumerate(("building", "unit", "flat"))
            )
        )
        .drop("_r")
    )
    flats = (
        mentions.select(*k, "role")
        .with_columns(
            parsed.select(
                "canonical", "building", "unit", pl.col("room").alias("flat"), "kind"
            ).to_struct("_p")
        )
        .unnest("_p")
        .filter((pl.col("kind") == "flat") & pl.col("unit").is_not_null())
        .with_columns(
            stem=pl.col("canonical").str.replace(r"\d+幢\d+单元\d+室$", ""),
        )
    )
    names = (
        (persons.select(*k).with_columns(name=normalize_names(_col(persons, "name"))))
        .drop_nulls()
        .unique()
    )
    at_flat = flats.select(*k, "stem", "building", "unit", "flat").join(names, on=k)
    at_code = (
        rooms.filter(pl.col("compound_id").is_not_null() & pl.col("flat").is_not_null())
        .select(*k, "compound_id", "building", "unit", "flat")
        .join(names, on=k)
    )
    votes = (
        at_code.join(at_flat.drop(k), on=["name", "building", "unit", "flat"])
        .unique(["compound_id", "stem", "name", "building", "unit", "flat"])
        .group_by("compound_id", "stem")
        .len()
        .sort("compound_id", "len", "stem", descending=[False, True, False])
    )
    best = votes.group_by("compound_id", maintain_order=True).agg(
        pl.col("stem").first(),
        pl.col("len").first().alias("top"),
        pl.col("len").get(1, null_on_oob=True).fill_null(0).alias("second"),
    )
    best = best.filter(pl.col("top") >= 2 * pl.col("second").clip(lower_bound=1))
    placed = rooms.join(
        best.select("compound_id", "stem"), on="compound_id", how="left", maintain_order="left"
    ).sort("_i")
    return placed.select(
        pl.when(pl.col("stem").is_not_null() & pl.col("flat").is_not_null())
        .then(
            pl.format("{}{}幢{}单元{}室", "stem", "building", "unit", "flat"),
        )
        .otherwise(None)
    ).to_series()


def prepare_vehicles(mentions: pl.DataFrame) -> pl.DataFrame:
    plates = standardize_plates(_col(mentions, "plate"))["value"]
    return (
        mentions.select("source", "record_id", "role")
        .with_columns(plate=plates)
        .filter(pl.col("plate").is_not_null())
    )
