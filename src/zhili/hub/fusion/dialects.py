"""Saved models that move between SQL engines.

Splink saves a model as JSON whose comparison levels and blocking rules are SQL in the
dialect of the engine that trained it (DuckDB: `"name_l"`, `jaro_winkler_similarity`,
`try_strptime(x, '%Y%m%d')`; Spark: `` `name_l` ``, the jar's `jaro_winkler`,
`try_to_timestamp(x, 'yyyyMMdd')`). The hub's models are recipes (`EntityModel`), so a
saved model is carried to another engine by regenerating the recipe's SQL in that engine's
dialect and keeping everything trained (λ, every level's m and u, term-frequency settings)
from the JSON. Before it does, it checks that the JSON is the recipe: the recipe rendered in
the JSON's own dialect must give the JSON's SQL, level by level; otherwise the model and
the recipe have drifted apart and the model must be retrained.

Date formats: recipes are written in the DuckDB convention (strftime, `%Y%m%d`); in Spark
SQL they become Java patterns (`yyyyMMdd`).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from zhili.hub.fusion.models import EntityModel

# strftime directive → Java DateTimeFormatter pattern (Spark's datetime patterns).
_STRFTIME_TO_JAVA = {
    "Y": "yyyy",
    "y": "yy",
    "m": "MM",
    "d": "dd",
    "H": "HH",
    "I": "hh",
    "M": "mm",
    "S": "ss",
    "f": "SSSSSS",
    "p": "a",
    "b": "MMM",
    "B": "MMMM",
    "a": "EEE",
    "A": "EEEE",
    "j": "DDD",
    "z": "Z",
    "%": "%",
}
# A format argument of a Spark date/time parser, as Splink writes it.
_SPARK_PARSE = re.compile(
    r"(?P<fn>\b(?:try_to_timestamp|to_timestamp|to_date|try_to_date|unix_timestamp)\s*\()"
    r"(?P<args>[^()]*?),\s*'(?P<fmt>[^']*%[^']*)'\s*\)",
    re.IGNORECASE,
)


class ModelMismatch(ValueError):
    """The saved JSON model is not the recipe's model: retrain it."""


def java_date_format(strftime: str) -> str:
    """`%Y%m%d` → `yyyyMMdd`, `%Y-%m-%d %H:%M:%S` → `yyyy-MM-dd HH:mm:ss`. Letters outside
    directives are quoted as Java literals (`\\'T\\'` inside a SQL string)."""
    out: list[str] = []
    i = 0
    while i < len(strftime):
        ch = strftime[i]
        if ch == "%" and i + 1 < len(strftime):
            directive = strftime[i + 1]
            if directive not in _STRFTIME_TO_JAVA:
                raise ValueError(f"no Spark equivalent for %{directive} in {strftime!r}")
            out.append(_STRFTIME_TO_JAVA[directive])
            i += 2
            continue
        out.append(f"\\'{ch}\\'" if ch.isalpha() else ch)
        i += 1
    return "".join(out)


def spark_date_formats(sql: str) -> str:
    """Rewrite strftime formats handed to Spark's date parsers as Java patterns."""
    return _SPARK_PARSE.sub(lambda m: f"{m['fn']}{m['args']}, '{java_date_format(m['fmt'])}')", sql)


def _fix_levels(settings: dict[str, Any], fix) -> dict[str, Any]:
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = fix(level["sql_condition"])
    for rule in settings["blocking_rules_to_generate_predictions"]:
        rule["blocking_rule"] = fix(rule["blocking_rule"])
    return settings


def recipe_settings(model: EntityModel, dialect: str) -> dict[str, Any]:
    """The model's untrained settings rendered in `dialect` ("duckdb" or "spark")."""
    settings = model.settings.create_settings_dict(dialect)
    for rule in settings["blocking_rules_to_generate_predictions"]:
        # As when Splink loads a model from a path: the rule's SQL is in the model's dialect.
        rule.pop("sql_dialect", None)
        if rule.get("arrays_to_explode") is None:
            rule.pop("arrays_to_explode", None)
    if dialect == "spark":
        _fix_levels(settings, spark_date_formats)
    return settings


def _shape(settings: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (c["output_column_name"], [lvl["sql_condition"] for lvl in c["comparison_levels"]])
        for c in settings["comparisons"]
    ]


def _rules(settings: dict[str, Any]) -> list[str]:
    return [
        r["blocking_rule"] if isinstance(r, dict) else str(r)
        for r in settings["blocking_rules_to_generate_predictions"]
    ]


def saved_dialect(model_path: Path) -> str:
    return json.loads(model_path.read_text("utf-8")).get("sql_dialect", "duckdb")


def port_saved_model(model: EntityModel, model_path: Path, dialect: str) -> dict[str, Any]:
    """The saved model at `model_path` as a settings dict in `dialect`, trained parameters
    kept. Raises ModelMismatch when the JSON is not the recipe's model."""
    saved = json.loads(model_path.read_text("utf-8"))
    source = saved.get("sql_dialect", "duckdb")
    expected = recipe_settings(model, source)
    if _shape(saved) != _shape(expected) or _rules(saved) != _rules(expected):
        raise ModelMismatch(
            f"{model_path} is not the {model.entity} model's recipe rendered for {source}: "
            "the recipe changed since it was trained; retrain it"
        )
    target = recipe_settings(model, dialect)
    ported = copy.deepcopy(saved)
    ported["sql_dialect"] = dialect
    for comparison, native in zip(ported["comparisons"], target["comparisons"], strict=True):
        for level, native_level in zip(
            comparison["comparison_levels"], native["comparison_levels"], strict=True
        ):
            level["sql_condition"] = native_level["sql_condition"]
    ported["blocking_rules_to_generate_predictions"] = target[
        "blocking_rules_to_generate_predictions"
    ]
    return ported


def settings_for(model: EntityModel, model_path: Path, dialect: str) -> str | dict[str, Any]:
    """What to hand Splink's Linker to reuse the saved model on an engine of `dialect`: the
    JSON path itself when it was saved in that dialect, else the ported settings."""
    if saved_dialect(model_path) == dialect:
        return str(model_path)
    return port_saved_model(model, model_path, dialect)
