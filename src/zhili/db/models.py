"""Every operational table, imported in one place so metadata and migrations see them all."""

from zhili.hub import models as hub_models
from zhili.privacy import models as privacy_models

__all__ = ["hub_models", "privacy_models"]
