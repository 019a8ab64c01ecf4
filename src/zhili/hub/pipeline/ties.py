"""Ties after the probabilistic model: person mentions that carry too little to be matched on
their own fields (a name only, a surname and a title, a phone only) joined to the one master
that the row's relations or exact keys point to.

- Legal representatives: an enterprise has one legal representative, so the persons that the
  contracts declare `legal_representative` of the same master enterprise, with the same name
  (or its pinyin), are one person (the tax ledger gives only the name).
- Callers who give a surname and a title (王女士, 张先生): the one master that holds the
  same phone under a name with that surname (and, when known, that sex).
- Anonymous callers (匿名): the one master that holds the same phone.
- A bare name (a plaintiff, a party to a mediation, the subject of an incident: nothing but
  the name; or a utility account holder: a name at a house; or a caller from a landline)
  carried by exactly one master that has an ID, mobile phone or birth date: that master.
  How often that holds falls with the population: it is a last resort that only fires on
  names no other such master carries.

A tie never joins two masters that both carry an ID number (two different people by their
IDs); it only attaches masters without one to a master with one, or to each other.

Enterprises: a master known only by a name (no code, no address in any of its records) to
the one master with a credit code carrying that name (or its pinyin). A mention without a
credit code (a utility account) at the canonical address of
exactly one master enterprise with a credit code, under that enterprise's name or its legal
representative's name (an individual business's account is in the operator's name), is that
enterprise. Masters sharing a valid credit code are one. A master holding two valid credit
codes is two enterprises (a shared trade name in two towns, bridged by an account that names
only the trade name): it is split by code, each record without a code going to the code at
its address, else in its town, else the larger.
"""

from __future__ import annotations

import polars as pl

from zhili.hub.contracts.schema import Contract
from zhili.hub.pipeline.mentions import source_name

# Caller names that are a surname and a title; the title gives the sex.
_TITLED = r"^(\p{Han}{1,2})(先生|女士|小姐)$"
_TITLE_SEX = {"先生": "M", "女士": "F", "小姐": "F"}
_ANONYMOUS = ("匿名", "无名", "不详", "未知")


def relation_roles(
    contracts: dict[str, Contract], relation: str, source: str, target: str
) -> pl.DataFrame:
    """Where the contracts declare `relation` from a `source` entity to a `target` one: the
    table (as named in links), the role of each end."""
    rows = []
    for contract in contracts.values():
        for table in contract.tables.values():
            for d in table.relations():
                f_entity, _, f_role = (d.from_ or "").partition(":")
                t_entity, _, t_role = (d.to or "").partition(":")
                if d.relation == relation and f_entity == source and t_entity == target:
                    rows.append(
                        (
                            source_name(contract.system, table.name),
                            f_role or "subject",
                            t_role or "subject",
                        )
                    )
    return pl.DataFrame(rows, schema=["source", "from_role", "to_role"], orient="row")


def _find(parent: dict[str, str], x: str) -> str:
    root = x
    while parent.get(root, root) != root:
        root = parent[root]
    while parent.get(x, x) != root:
        parent[x], x = root, parent[x]
    return root


def _union(edges: pl.DataFrame, anchored: set[str]) -> dict[str, str]:
    """Connected components over (a, b) cluster edges; never two anchored clusters in one."""
    parent: dict[str, str] = {}
    has_anchor: dict[str, bool] = {}
    for a, b in edges.iter_rows():
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        anchor_a = has_anchor.get(ra, ra in anchored)
        anchor_b = has_anchor.get(rb, rb in anchored)
        if anchor_a and anchor_b:
            continue
        # The anchored root stays the root, so master ids follow the identified person.
        if anchor_a or (not anchor_b and ra < rb):
            parent[rb] = ra
            has_anchor[ra] = anchor_a or anchor_b
        else:
            parent[ra] = rb
            has_anchor[rb] = anchor_a or anchor_b
    return {x: _find(parent, x) for x in parent}


def _one_candidate(weak: pl.DataFrame, candidates: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Edges (weak cluster, candidate cluster) where the key has exactly one candidate."""
    cands = candidates.select(*keys, "cluster_id").unique()
    single = cands.group_by(keys).agg(pl.col("cluster_id").first(), pl.len().alias("n"))
    single = single.filter(pl.col("n") == 1).drop("n")
    return (
        weak.select(*keys, pl.col("cluster_id").alias("a"))
        .join(single, on=keys)
        .select("a", pl.col("cluster_id").alias("b"))
    )


def tie_persons(
    persons: pl.DataFrame,
    enterprises: pl.DataFrame | None,
    contracts: dict[str, Contract],
) -> pl.DataFrame:
    """`persons`: prepared person records with `cluster_id`; `enterprises`: enterprise records
    with theirs. Returns `persons` with ties applied to `cluster_id`."""
    k = ["source", "record_id"]
    anchored_ids = (
        persons.filter(pl.col("id_number").is_not_null())
        .select(pl.col("cluster_id").unique())
        .to_series()
    )
    anchored = set(anchored_ids.to_list())
    weak_cluster = ~pl.col("cluster_id").is_in(anchored_ids.implode())
    edges: list[pl.DataFrame] = []

    # Legal representatives of one master enterprise.
    roles = relation_roles(contracts, "legal_representative", "person", "enterprise")
    if enterprises is not None and roles.height:
        reps = (
            persons.join(roles, left_on=["source", "role"], right_on=["source", "from_role"])
            .join(
                enterprises.select(*k, "role", pl.col("cluster_id").alias("enterprise")),
                left_on=[*k, "to_role"],
                right_on=[*k, "role"],
            )
            .filter(pl.col("name").is_not_null())
        )
        for key in ("name", "name_pinyin"):
            keys = ["enterprise", key]
            edges.append(
                _one_candidate(reps.filter(weak_cluster), reps.filter(~weak_cluster), keys)
            )
            # Reps without an ID of one enterprise, the same name: one person among them.
            weak = reps.filter(weak_cluster).select(*keys, "cluster_id").unique()
            edges.append(
                weak.join(weak, on=keys, suffix="_b")
                .filter(pl.col("cluster_id") != pl.col("cluster_id_b"))
                .select(pl.col("cluster_id").alias("a"), pl.col("cluster_id_b").alias("b"))
            )

    # Callers by phone: a surname and a title, or no name at all.
    # Narrow frames only: every full-width copy of 12.7 M person records costs gigabytes.
    with_phone = persons.select("cluster_id", "phone", "name", "sex", "id_number").filter(
        pl.col("phone").is_not_null()
    )
    titled = pl.col("name").str.extract_groups(_TITLED)
    with_phone = with_phone.with_columns(
        _surname=titled.struct.field("1"),
        _title_sex=titled.struct.field("2").replace_strict(_TITLE_SEX, default=None),
        _anonymous=pl.col("name").is_null() | pl.col("name").is_in(_ANONYMOUS),
        _sex=pl.coalesce(
            pl.col("sex"),
            pl.when(pl.col("id_number").is_not_null()).then(
                pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
                .then(pl.lit("M"))
                .otherwise(pl.lit("F"))
            ),
        ),
    )
    named = with_phone.filter(pl.col("_surname").is_null() & ~pl.col("_anonymous"))
    callers = with_phone.filter(pl.col("_surname").is_not_null() & weak_cluster)
    for n in (1, 2):
        cands = named.drop("_title_sex").with_columns(_surname=pl.col("name").str.slice(0, n))
        cands = cands.join(
            callers.select("phone", "_surname", "_title_sex").unique(), on=["phone", "_surname"]
        )
        cands = cands.filter(
            pl.col("_sex").is_null()
            | pl.col("_title_sex").is_null()
            | (pl.col("_sex") == pl.col("_title_sex"))
        )
        edges.append(
            _one_candidate(
                callers.filter(pl.col("_surname").str.len_chars() == n),
                cands,
                ["phone", "_surname", "_title_sex"],
            )
        )
    edges.append(
        _one_candidate(with_phone.filter(pl.col("_anonymous") & weak_cluster), named, ["phone"])
    )

    # Bare names: the one master with an ID, phone or birth date that carries the name.
    # A landline (0571-…) is a household's or an office's, not a person's: it does not count.
    mobile = pl.col("phone").is_not_null() & ~pl.col("phone").str.starts_with("0")
    bare = pl.col("id_number").is_null() & pl.col("birth_date").is_null() & ~mobile
    town = ["town"] if "town" in persons.columns else []
    flagged = persons.select(
        "cluster_id", "name", *town, _all_bare=bare.all().over("cluster_id")
    ).filter(pl.col("name").is_not_null())
    edges.append(
        _one_candidate(
            flagged.filter(pl.col("_all_bare") & pl.col("name").is_not_null()),
            flagged.filter(~pl.col("_all_bare") & pl.col("name").is_not_null()),
            ["name"],
        )
    )
    # Still ambiguous: the one such master with that name in the town of the mention's
    # address or of its event (the police station's town, the mediation committee's village).
    if "town" in flagged.columns:
        strong = flagged.filter(~pl.col("_all_bare") & pl.col("name").is_not_null())
        towns = strong.select("cluster_id", "town").drop_nulls().unique()
        cands = strong.select("cluster_id", "name").unique().join(towns, on="cluster_id")
        edges.append(
            _one_candidate(
                flagged.filter(pl.col("_all_bare") & pl.col("name").is_not_null()),
                cands,
                ["name", "town"],
            )
        )
        del strong, towns
    del with_phone, named, callers, cands, flagged
    tied = _relabel(persons, edges, anchored)
    # Two valid ID numbers are two people (a father and son of one name at one house).
    return _split_by_key(tied, "id_number", "id_valid", ("phone", "address", "birth_date"))


def _relabel(records: pl.DataFrame, edges: list[pl.DataFrame], anchored: set[str]) -> pl.DataFrame:
    all_edges = pl.concat(edges).unique() if edges else None
    if all_edges is None or all_edges.height == 0:
        return records
    roots = _union(all_edges, anchored)
    mapping = pl.DataFrame(
        {"cluster_id": list(roots), "_root": list(roots.values())},
        schema={"cluster_id": pl.Utf8, "_root": pl.Utf8},
    )
    # Only the cluster ids are joined: the records' other columns are not copied.
    relabelled = (
        records.select("cluster_id")
        .join(mapping, on="cluster_id", how="left", maintain_order="left")
        .select(pl.coalesce("_root", "cluster_id"))
        .to_series()
    )
    return records.with_columns(relabelled.alias("cluster_id"))


def _by_row(n: int, values: pl.DataFrame, column: str) -> pl.Series:
    """`values` (`_i`, `column`) spread over rows 0..n-1, null where absent."""
    return (
        pl.DataFrame({"_i": pl.int_range(n, eager=True, dtype=pl.UInt32)})
        .join(values.select(pl.col("_i").cast(pl.UInt32), column), on="_i", how="left")
        .sort("_i")[column]
    )


def tie_enterprises(enterprises: pl.DataFrame) -> pl.DataFrame:
    """`enterprises`: prepared enterprise records with `cluster_id` (and `address`,
    `legal_rep`, `code_valid`). Returns them with ties applied to `cluster_id`."""
    if "address" not in enterprises.columns or "code_valid" not in enterprises.columns:
        return enterprises
    # One valid credit code is one enterprise, whatever its names (于杭远南洗衣 / 远南洗衣).
    coded = enterprises.filter(pl.col("code_valid")).select("credit_code", "cluster_id")
    first = coded.group_by("credit_code").agg(pl.col("cluster_id").min().alias("b"))
    same = coded.unique().join(first, on="credit_code").rename({"cluster_id": "a"})
    same = same.filter(pl.col("a") != pl.col("b")).select("a", "b")
    enterprises = _relabel(enterprises, [same], set())

    anchored_ids = (
        enterprises.filter(pl.col("credit_code").is_not_null())
        .select(pl.col("cluster_id").unique())
        .to_series()
    )
    # A master known only by its name (no record with a code or an address: a social
    # insurance employer, a court's party) is the one master with a credit code that carries
    # that name. The model leaves these at a match probability near one half whatever the
    # scale (an exact name is about as common among random pairs as the true pairs are), so
    # it cannot be trusted to join them; a name two coded masters share joins neither.
    coded = pl.col("cluster_id").is_in(anchored_ids.implode())
    named_only = enterprises.filter(
        (pl.col("credit_code").is_null() & pl.col("address").is_null()).all().over("cluster_id")
    )
    edges = [
        _one_candidate(
            named_only.filter(pl.col(key).is_not_null()),
            enterprises.filter(coded & pl.col(key).is_not_null()),
            [key],
        )
        for key in ("name_core", "name_core_pinyin")
    ]
    enterprises = _relabel(enterprises, edges, set(anchored_ids.to_list()))
    strong = enterprises.filter(pl.col("cluster_id").is_in(anchored_ids.implode()))
    names = pl.concat(
        [
            strong.select("cluster_id", pl.col("name_core").alias("_name")),
            strong.select("cluster_id", pl.col("legal_rep").alias("_name")),
        ]
    ).drop_nulls()
    places = strong.select("cluster_id", "address").drop_nulls()
    # Distinct first: a big employer's thousands of rows would multiply out in the join.
    cands = places.unique().join(names.unique(), on="cluster_id")
    # Record by record (not cluster by cluster): the model may have put an operator-named
    # account with a namesake's account, or with a different enterprise of the same operator.
    records = enterprises.with_row_index("_i")
    weak = records.filter(pl.col("credit_code").is_null() & pl.col("address").is_not_null()).select(
        "_i", "address", pl.col("name_core").alias("_name")
    )
    moves = _one_candidate(weak.rename({"_i": "cluster_id"}), cands, ["address", "_name"]).select(
        pl.col("a").alias("_i"), pl.col("b").alias("_to")
    )
    records = records.drop("_i").with_columns(
        cluster_id=pl.coalesce(_by_row(records.height, moves, "_to"), "cluster_id")
    )
    return _split_by_key(records, "credit_code", "code_valid", ("address", "town_code", "org_code"))


def _split_by_key(records: pl.DataFrame, key: str, valid: str, by: tuple[str, ...]) -> pl.DataFrame:
    """Split every master holding two or more valid values of `key` (credit codes, ID
    numbers) into one per value; a record without a valid value goes to the value whose
    records share its first of `by` that points to exactly one, else to the larger."""
    if valid not in records.columns:
        return records
    coded_all = records.filter(pl.col(valid)).select("cluster_id", key).unique()
    multi = coded_all.group_by("cluster_id").len().filter(pl.col("len") > 1)["cluster_id"]
    if multi.len() == 0:
        return records
    records = records.with_row_index("_i")
    inside = records.filter(pl.col("cluster_id").is_in(multi.implode()))
    coded = inside.filter(pl.col(valid)).with_columns(_code=pl.col(key))
    rest = inside.filter(~pl.col(valid))
    picked = rest.select("_i", "cluster_id")
    for col in by:
        known = coded.select("cluster_id", col, "_code").drop_nulls().unique()
        single = known.group_by("cluster_id", col).agg(pl.col("_code").first(), pl.len().alias("n"))
        single = single.filter(pl.col("n") == 1).drop("n")
        hit = rest.select("_i", "cluster_id", col).join(single, on=["cluster_id", col])
        picked = picked.join(
            hit.select("_i", pl.col("_code").alias(f"_by_{col}")), on="_i", how="left"
        )
    larger = (
        coded.group_by("cluster_id", "_code").len().sort("len", "_code", descending=[True, False])
    )
    larger = larger.unique("cluster_id", keep="first").select(
        "cluster_id", pl.col("_code").alias("_big")
    )
    picked = picked.join(larger, on="cluster_id", how="left").select(
        "_i", _code=pl.coalesce(*(f"_by_{col}" for col in by), "_big")
    )
    assigned = pl.concat([coded.select("_i", "_code"), picked])
    code = _by_row(records.height, assigned, "_code")
    return records.drop("_i").with_columns(
        cluster_id=pl.when(code.is_not_null())
        .then(pl.format("{}:{}", "cluster_id", code))
        .otherwise("cluster_id")
    )
