"""The twin's truth: the district as it really is, before any department system looks at it."""

from zhili.twin.world.model import World

__all__ = ["World"]
