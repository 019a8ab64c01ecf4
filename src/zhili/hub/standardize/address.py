"""Addresses parsed against the district gazetteer into town / village / compound / building /
unit / room (flats), town / village / group / number (village houses) or town / road / number
(enterprises on a road), with one canonical string per place so that every written form of a
house compares equal.

How an address is read, all as polars string expressions over the distinct values:
1. clean: half-width, no spaces, dashes unified; drop 浙江省 / 杭州市 / 余杭区 in front;
2. town: the longest gazetteer alias at the start: 良渚街道, 良渚镇 (the name before 2001),
   良渚 (what people say);
3. village or community: the longest alias next: 谢村村委会, 谢村村, 西大街社区, or the bare
   谢村 (only when a village group follows: 谢村三组56号; otherwise 谢村苑 would lose its 谢村);
   a village that does not belong to the town found in step 2 is not taken;
4. the rest: building-unit-room (5幢2单元301室, 5-2-301), group and number (3组56号, 三组56号),
   road and number (良渚大道123号), or free text (hotline places: 东新苑二期附近).

Short forms leave the village out (良渚昌运里5-2-301). Compound names are not in the
gazetteer, so `CompoundIndex` learns, from the addresses that do name the village, which
village each compound of a town lies in; `parse_addresses` applies it in a second pass.

Everything here is the project's own code on the public division list; no GPL parser.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import polars as pl

from zhili.geo import load_divisions
from zhili.hub.standardize._text import align, tidy

CITY_PREFIX = "杭州市余杭区"
# Province, city and district in front, in any combination people write them.
_PREFIX = r"^(?:浙江省|浙江)?(?:杭州市|杭州)?(?:余杭区)?"
_DASHES = r"[\u2010-\u2015\u2212\ufe58\ufe63~〜]"  # hyphens, en/em dashes, minus, tilde
_CN_DIGITS = "〇一二三四五六七八九"
_CN_NUMERAL = "[〇零一二两三四五六七八九十]+"

# Building, unit, room: 5幢2单元301室, 5栋2单元301, 5号楼2单元301室, 5-2-301.
_FLAT = (
    r"^(?P<compound>.*?)(?P<building>[0-9]+)(?:幢|栋|号楼|#|-)"
    rf"(?P<unit>[0-9]+|{_CN_NUMERAL})(?:单元|-)(?P<room>[0-9]+)室?$"
)
# Building and room without a unit: 5幢301室.
_FLAT_NO_UNIT = r"^(?P<compound>.*?)(?P<building>[0-9]+)(?:幢|栋|号楼)(?P<room>[0-9]+)室?$"
# Village group and house number: 3组56号, 三组56号, 十二组7号.
_GROUP = rf"^(?P<group>[0-9]+|{_CN_NUMERAL})(?:村民小组|小组|组)(?P<number>[0-9]+)号?$"
# Road and number: 良渚大道123号, 西大街622号.
_ROAD = r"^(?P<road>[^0-9]*(?:路|街|道|巷|弄))(?P<number>[0-9]+)号$"

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "address": pl.String,
    "kind": pl.String,
    "town_code": pl.String,
    "town": pl.String,
    "village_code": pl.String,
    "village": pl.String,
    "village_from": pl.String,
    "compound": pl.String,
    "building": pl.Int64,
    "unit": pl.Int64,
    "room": pl.Int64,
    "group": pl.Int64,
    "number": pl.Int64,
    "road": pl.String,
    "detail": pl.String,
    "canonical": pl.String,
}
KINDS = ("flat", "village_house", "road", "area", "place", "unparsed")


def chinese_numeral(text: str) -> int | None:
    """1..99 written in Chinese numerals (三, 十二, 二十, 二十一, 两, 〇七) or digits."""
    if text.isascii() and text.isdigit():
        return int(text)
    text = text.replace("两", "二").replace("零", "〇")
    if not text or any(c not in _CN_DIGITS + "十" for c in text):
        return None
    if "十" not in text:
        value = 0
        for c in text:
            value = value * 10 + _CN_DIGITS.index(c)
        return value
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    return (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(ones) if ones else 0)


@functools.cache
def _numerals() -> dict[str, int]:
    """Every spelling of 1..99 that `chinese_numeral` reads, as a lookup table for polars:
    all strings of up to three numeral characters, kept where the function gives 1..99."""
    chars = "〇零一二两三四五六七八九十"
    out: dict[str, int] = {}
    for text in itertools.chain.from_iterable(
        ("".join(p) for p in itertools.product(chars, repeat=k)) for k in (1, 2, 3)
    ):
        value = chinese_numeral(text)
        if value is not None and 1 <= value <= 99:
            out[text] = value
    return out


def _digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_integer(strict=False).cast(pl.Int64)


def _number(expr: pl.Expr) -> pl.Expr:
    """Digits or Chinese numerals to Int64 (null if neither)."""
    digits = expr.str.to_integer(strict=False)
    spelled = expr.replace_strict(_numerals(), default=None, return_dtype=pl.Int64)
    return pl.coalesce(digits, spelled).cast(pl.Int64)


@dataclass(frozen=True)
class Gazetteer:
    """Towns and villages of the district with every alias an address may use."""

    town_alias: dict[str, str]  # alias -> town code
    town_name: dict[str, str]  # code -> official name (良渚街道)
    village_alias: pl.DataFrame  # alias, town_code, village_code, bare
    village_name: dict[str, str]  # code -> name as addresses write it (谢村村, 西大街社区)
    village_town: dict[str, str]  # village code -> town code

    @functools.cached_property
    def town_regex(self) -> str:
        return _alternation(self.town_alias)

    @functools.cached_property
    def village_regex(self) -> str:
        return _alternation(self.village_alias["alias"].unique().to_list())

    @functools.cached_property
    def town_short(self) -> dict[str, str]:
        """town code -> bare short name (良渚)."""
        return {code: _town_short(name) for code, name in self.town_name.items()}

    @functools.cached_property
    def _keyed(self) -> pl.DataFrame:
        """key, village_code, bare: "town_code|alias" for every alias, and "|alias" for the
        aliases that name one village in the whole district (addresses with no town)."""
        va = self.village_alias
        unique = va.filter(pl.col("village_code").n_unique().over("alias") == 1).unique("alias")
        return pl.concat(
            [
                va.select(
                    key=pl.col("town_code") + "|" + pl.col("alias"),
                    v=pl.col("village_code"),
                    b=pl.col("bare"),
                ),
                unique.select(
                    key="|" + pl.col("alias"), v=pl.col("village_code"), b=pl.col("bare")
                ),
            ]
        )

    @functools.cached_property
    def code_by_key(self) -> dict[str, str]:
        k = self._keyed
        return dict(zip(k["key"].to_list(), k["v"].to_list(), strict=True))

    @functools.cached_property
    def bare_by_key(self) -> dict[str, bool]:
        k = self._keyed
        return dict(zip(k["key"].to_list(), k["b"].to_list(), strict=True))


def _alternation(words) -> str:
    # Longest first: the regex engine takes the first alternative that matches, so 良渚街道
    # must be tried before 良渚.
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "^(?:" + "|".join(ordered) + ")"


def _town_short(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@functools.cache
def load_gazetteer() -> Gazetteer:
    """The gazetteer of `zhili.geo.load_divisions()` with its aliases."""
    towns, villages = load_divisions()
    town_alias: dict[str, str] = {}
    for t in towns:
        short = _town_short(t.name)
        # Official name, the bare name people say, and the 镇 / 街道 forms: several 街道
        # were 镇 until 2001 and old registers still say 良渚镇.
        for alias in (t.name, short, short + "镇", short + "街道"):
            town_alias.setdefault(alias, t.code)
    rows: list[tuple[str, str, str, bool]] = []
    village_name: dict[str, str] = {}
    for v in villages:
        village_name[v.code] = v.short_name
        aliases = {v.name, v.short_name}
        if v.kind == "community":
            aliases |= {v.short_name + "居委会", v.short_name + "居民委员会"}
        else:
            aliases |= {v.short_name + "委会", v.short_name + "民委员会"}
        rows.extend((a, v.town_code, v.code, False) for a in aliases)
        # 谢村村 -> 谢村: short forms drop the final 村 (valid only before a group number).
        if v.kind == "village" and v.short_name.endswith("村") and len(v.short_name) >= 2:
            rows.append((v.short_name[:-1], v.town_code, v.code, True))
    alias_frame = pl.DataFrame(
        rows,
        schema={
            "alias": pl.String,
            "town_code": pl.String,
            "village_code": pl.String,
            "bare": pl.Boolean,
        },
        orient="row",
    )
    # One village per alias within a town: a full name beats another village's bare short
    # form; two villages of one town sharing an alias (none in 2019) would both be dropped.
    alias_frame = (
        alias_frame.sort("bare", "village_code")
        .unique(["alias", "town_code", "village_code"], keep="first", maintain_order=True)
        .with_columns(_rank=pl.col("bare").rank("dense").over("alias", "town_code"))
        .filter(pl.col("_rank") == 1)
        .filter(pl.len().over("alias", "town_code") == 1)
        .drop("_rank")
    )
    return Gazetteer(
        town_alias=town_alias,
        town_name={t.code: t.name for t in towns},
        village_alias=alias_frame,
        village_name=village_name,
        village_town={v.code: v.town_code for v in villages},
    )


@dataclass(frozen=True)
class CompoundIndex:
    """Which village each residential compound lies in, learnt from addresses naming both.

    `by_town`: (town_code, compound) -> village_code, the village most addresses give;
    `by_name`: compound -> (town_code, village_code) for compound names found in one town
    only (to place addresses that name no town either).
    """

    by_town: pl.DataFrame  # town_code, compound, village_code
    by_name: pl.DataFrame  # compound, town_code, village_code

    @classmethod
    def build(cls, parsed: pl.DataFrame, min_votes: int = 1) -> CompoundIndex:
        """Learn from the output of `parse_addresses` (any number of batches concatenated)."""
        known = parsed.filter(
            (pl.col("kind") == "flat")
            & (pl.col("village_from") == "address")
            & pl.col("compound").is_not_null()
            & (pl.col("compound") != "")
            & pl.col("town_code").is_not_null()
        )
        votes = known.group_by("town_code", "compound", "village_code").agg(pl.len().alias("n"))
        by_town = (
            votes.filter(pl.col("n") >= min_votes)
            .sort(["n", "village_code"], descending=[True, False])
            .unique(["town_code", "compound"], keep="first", maintain_order=True)
            .select("town_code", "compound", "village_code")
            .sort("town_code", "compound")
        )
        return cls._from_by_town(by_town)

    @classmethod
    def _from_by_town(cls, by_town: pl.DataFrame) -> CompoundIndex:
        towns_per_name = by_town.group_by("compound").agg(pl.len().alias("towns"))
        by_name = (
            by_town.join(towns_per_name.filter(pl.col("towns") == 1), on="compound")
            .select("compound", "town_code", "village_code")
            .sort("compound")
        )
        return cls(by_town=by_town, by_name=by_name)

    def merge(self, other: CompoundIndex) -> CompoundIndex:
        """This index with `other`'s entries added where this one has none."""
        by_town = (
            pl.concat([self.by_town, other.by_town])
            .unique(["town_code", "compound"], keep="first", maintain_order=True)
            .sort("town_code", "compound")
        )
        return CompoundIndex._from_by_town(by_town)

    def __len__(self) -> int:
        return self.by_town.height


def _clean(values: pl.Series) -> pl.Series:
    """Half-width, no spaces, one kind of dash, no province/city/district in front."""
    cleaned = tidy(values)
    dashed = cleaned.str.contains(_DASHES).fill_null(False)
    if dashed.any():
        fixed = cleaned.filter(dashed).str.replace_all(_DASHES, "-")
        cleaned = cleaned.scatter(dashed.arg_true(), fixed)
    return cleaned.str.replace(_PREFIX, "")


def _village_after(frame: pl.DataFrame, start: pl.Expr, tag: str, gaz: Gazetteer) -> pl.DataFrame:
    """Look for a village alias right after the first `start` characters of the cleaned text.

    The alias must name a village of the town found (or, with no town, exactly one village
    of the district); a bare short name (谢村) counts only before a group number.
    """
    r1 = pl.col("_s").str.slice(start)
    frame = frame.with_columns(**{f"_r1{tag}": r1}).with_columns(
        **{f"_vtext{tag}": pl.col(f"_r1{tag}").str.extract(gaz.village_regex, 0)}
    )
    vtext = pl.col(f"_vtext{tag}")
    # "town|alias", or "|alias" when no town was found (unique aliases only).
    key = pl.concat_str([pl.col("town_code").fill_null(""), pl.lit("|"), vtext])
    code = key.replace_strict(gaz.code_by_key, default=None, return_dtype=pl.String)
    bare = key.replace_strict(gaz.bare_by_key, default=None, return_dtype=pl.Boolean)
    bare = bare.fill_null(False)
    r2 = pl.col(f"_r1{tag}").str.slice(vtext.str.len_chars().fill_null(0))
    return frame.with_columns(
        **{f"_r2{tag}": r2, f"_code{tag}": code, f"_bare{tag}": bare}
    ).with_columns(
        **{
            f"_keep{tag}": pl.col(f"_code{tag}").is_not_null()
            & (~pl.col(f"_bare{tag}") | pl.col(f"_r2{tag}").str.contains(_GROUP))
        }
    )


def _read(distinct: pl.Series, gaz: Gazetteer) -> pl.DataFrame:
    """Pass 1 over distinct address strings: everything the text itself says."""
    frame = pl.DataFrame({"address": distinct, "_s": _clean(distinct)})
    frame = frame.with_columns(_town_text=pl.col("_s").str.extract(gaz.town_regex, 0))
    frame = frame.with_columns(
        town_code=pl.col("_town_text").replace_strict(
            gaz.town_alias, default=None, return_dtype=pl.String
        ),
    )
    frame = _village_after(frame, pl.col("_town_text").str.len_chars().fill_null(0), "", gaz)
    # 百丈镇东社区 is 百丈 + 镇东社区, not 百丈镇 + 东社区: when the longest town alias leaves no
    # village, try again after the town's bare short name.
    short_len = (
        pl.col("town_code")
        .replace_strict(gaz.town_short, default=None, return_dtype=pl.String)
        .str.len_chars()
    )
    frame = frame.with_row_index("_i").with_columns(_short_len=short_len)
    retry = frame.filter(
        ~pl.col("_keep")
        & pl.col("_short_len").is_not_null()
        & (pl.col("_short_len") < pl.col("_town_text").str.len_chars())
    )
    alt = _village_after(retry, pl.col("_short_len"), "_alt", gaz).filter("_keep_alt")
    frame = frame.join(alt.select("_i", "_code_alt", "_r2_alt"), on="_i", how="left")
    use_alt = ~pl.col("_keep") & pl.col("_code_alt").is_not_null()
    frame = frame.with_columns(
        village_code=pl.when("_keep").then("_code").when(use_alt).then("_code_alt"),
        _rest=pl.when("_keep").then("_r2").when(use_alt).then("_r2_alt").otherwise("_r1"),
    )
    frame = frame.with_columns(
        town_code=pl.coalesce(
            "town_code",
            pl.col("village_code").replace_strict(
                gaz.village_town, default=None, return_dtype=pl.String
            ),
        ),
        village_from=pl.when(pl.col("village_code").is_not_null()).then(pl.lit("address")),
    )
    return _read_rest(frame)


def _read_rest(frame: pl.DataFrame) -> pl.DataFrame:
    """What follows the town and village: flat, village house, road number or free text."""
    rest = pl.col("_rest")
    flat = rest.str.extract_groups(_FLAT)
    flat2 = rest.str.extract_groups(_FLAT_NO_UNIT)
    group = rest.str.extract_groups(_GROUP)
    road = rest.str.extract_groups(_ROAD)
    frame = frame.with_columns(_flat=flat, _flat2=flat2, _group=group, _road=road)
    is_flat = pl.col("_flat").struct.field("building").is_not_null()
    is_flat2 = pl.col("_flat2").struct.field("building").is_not_null()
    is_group = pl.col("_group").struct.field("number").is_not_null()
    is_road = pl.col("_road").struct.field("number").is_not_null()
    has_place = pl.col("town_code").is_not_null() | pl.col("village_code").is_not_null()
    kind = (
        pl.when(is_flat | is_flat2)
        .then(pl.lit("flat"))
        .when(is_group)
        .then(pl.lit("village_house"))
        .when(is_road)
        .then(pl.lit("road"))
        .when(has_place & (rest == ""))
        .then(pl.lit("area"))
        .when(has_place)
        .then(pl.lit("place"))
        .otherwise(pl.lit("unparsed"))
    )

    def flat_field(name: str) -> pl.Expr:
        """A field of the building-unit-room match, or of the building-room one."""
        return (
            pl.coalesce(pl.col("_flat").struct.field(name), pl.col("_flat2").struct.field(name))
            if name in ("compound", "building", "room")
            else pl.col("_flat").struct.field(name)
        )

    frame = frame.with_columns(kind=kind).with_columns(
        compound=pl.when(pl.col("kind") == "flat").then(flat_field("compound")),
        building=pl.when(pl.col("kind") == "flat").then(_digits(flat_field("building"))),
        unit=pl.when(pl.col("kind") == "flat").then(_number(flat_field("unit"))),
        room=pl.when(pl.col("kind") == "flat").then(_digits(flat_field("room"))),
        group=pl.when(pl.col("kind") == "village_house").then(
            _number(pl.col("_group").struct.field("group"))
        ),
        number=pl.when(pl.col("kind") == "village_house")
        .then(_digits(pl.col("_group").struct.field("number")))
        .when(pl.col("kind") == "road")
        .then(_digits(pl.col("_road").struct.field("number"))),
        road=pl.when(pl.col("kind") == "road").then(pl.col("_road").struct.field("road")),
        detail=pl.when(pl.col("kind").is_in(["place", "unparsed"])).then(rest),
    )
    frame = frame.with_columns(
        compound=pl.when(pl.col("compound") == "").then(None).otherwise("compound")
    )
    return frame


def _resolve(frame: pl.DataFrame, index: CompoundIndex | None) -> pl.DataFrame:
    """Pass 2: flats with a compound but no village get the village the index knows."""
    if index is None or not len(index):
        return frame
    need = (pl.col("kind") == "flat") & pl.col("village_code").is_null()
    by_town = index.by_town.rename({"village_code": "_iv"})
    frame = frame.join(by_town, on=["town_code", "compound"], how="left")
    by_name = index.by_name.rename({"town_code": "_nt", "village_code": "_nv"})
    frame = frame.join(by_name, on="compound", how="left")
    no_town = pl.col("town_code").is_null()
    found = pl.when(no_town).then("_nv").otherwise("_iv")
    return frame.with_columns(
        village_code=pl.when(need).then(found).otherwise("village_code"),
        village_from=pl.when(need & found.is_not_null())
        .then(pl.lit("compound"))
        .otherwise("village_from"),
        town_code=pl.when(need & no_town).then("_nt").otherwise("town_code"),
    ).drop("_iv", "_nt", "_nv")


def _finish(frame: pl.DataFrame, gaz: Gazetteer) -> pl.DataFrame:
    town = pl.col("town_code").replace_strict(gaz.town_name, default=None, return_dtype=pl.String)
    village = pl.col("village_code").replace_strict(
        gaz.village_name, default=None, return_dtype=pl.String
    )
    frame = frame.with_columns(town=town, village=village)
    head = pl.concat_str(
        [pl.lit(CITY_PREFIX), pl.col("town").fill_null(""), pl.col("village").fill_null("")]
    )
    b, u, r = (pl.col(c).cast(pl.String) for c in ("building", "unit", "room"))
    flat_tail = (
        pl.when(pl.col("unit").is_not_null())
        .then(
            pl.concat_str(
                [
                    pl.col("compound").fill_null(""),
                    b,
                    pl.lit("幢"),
                    u,
                    pl.lit("单元"),
                    r,
                    pl.lit("室"),
                ]
            )
        )
        .otherwise(
            pl.concat_str([pl.col("compound").fill_null(""), b, pl.lit("幢"), r, pl.lit("室")])
        )
    )
    group_tail = pl.concat_str(
        [
            pl.col("group").cast(pl.String),
            pl.lit("组"),
            pl.col("number").cast(pl.String),
            pl.lit("号"),
        ]
    )
    road_tail = pl.concat_str([pl.col("road"), pl.col("number").cast(pl.String), pl.lit("号")])
    by_kind = {
        "flat": pl.concat_str([head, flat_tail]),
        "village_house": pl.concat_str([head, group_tail]),
        # Road addresses name no village: the road is the finer place.
        "road": pl.concat_str([pl.lit(CITY_PREFIX), pl.col("town").fill_null(""), road_tail]),
        "area": head,
        "place": pl.concat_str([head, pl.col("detail")]),
        "unparsed": pl.col("_s"),
    }
    # One kind at a time: a when/then chain would build every kind's string for every row.
    # Row order is free here (parse_addresses joins back by address), so no sort after.
    frame = frame.select(*(c for c in OUTPUT_SCHEMA if c != "canonical"), "_s")
    parts = [
        part.with_columns(canonical=by_kind[str(kind)])
        for (kind,), part in frame.partition_by("kind", as_dict=True).items()
    ]
    frame = pl.concat(parts) if parts else frame.with_columns(canonical=pl.lit(None))
    frame = frame.with_columns(
        canonical=pl.when(pl.col("_s") == "").then(None).otherwise("canonical")
    )
    return frame.select(list(OUTPUT_SCHEMA))


def parse_addresses(
    values: pl.Series,
    index: CompoundIndex | None = None,
    learn: bool = True,
    gazetteer: Gazetteer | None = None,
) -> pl.DataFrame:
    """Parse a column of addresses; one output row per input row (columns: OUTPUT_SCHEMA).

    `index` places flats whose address names no village; with `learn` (the default) the
    compounds of this batch are learnt too (merged after `index`), so one call on a whole
    column already does both passes. `village_from` says where the village came from:
    "address" (written in it) or "compound" (the index).
    """
    gaz = gazetteer or load_gazetteer()
    text = values.cast(pl.String)
    distinct = text.drop_nulls().unique()
    frame = _read(distinct, gaz)
    if learn:
        learnt = CompoundIndex.build(frame)
        index = learnt if index is None else index.merge(learnt)
    frame = _finish(_resolve(frame, index), gaz)
    out = align(text, frame, "address")
    return out.select(pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items())


def canonical_address(address: str | None, index: CompoundIndex | None = None) -> str | None:
    """Canonical form of one address (see `parse_addresses`)."""
    if address is None:
        return None
    out = parse_addresses(pl.Series([address], dtype=pl.String), index=index)
    return out["canonical"].item()
