"""Fusion: entity resolution of department records into master persons, houses, enterprises
and vehicles with Splink on DuckDB (models as data, trained without labels, saved as JSON)."""

from zhili.hub.fusion.engine import FusionResult, dedupe
from zhili.hub.fusion.metrics import Scores, score_clusters

__all__ = ["FusionResult", "Scores", "dedupe", "score_clusters"]
