"""The entity graph: masters of the exact-key entities (projects, bank accounts) and the
relations between masters that the contracts' `describes` declare."""

from zhili.hub.graph.keys import KEYED, key_links
from zhili.hub.graph.relations import build_relations
from zhili.hub.graph.shared import shared_identifier_relations

__all__ = ["KEYED", "build_relations", "key_links", "shared_identifier_relations"]
