"""Every operational table, imported in one place so metadata and migrations see them all."""

from zhili.community import models as community_models  # noqa: F401  (issue #6)
from zhili.devices import models as device_models  # noqa: F401  (issue #6)
from zhili.events import models as event_models
from zhili.hub import models as hub_models
from zhili.privacy import models as privacy_models

__all__ = ["event_models", "hub_models", "privacy_models"]
