"""Area scope inside queries: a list only ever selects rows within the actor's scope."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from zhili.privacy.actors import Actor


def scope_condition(actor: Actor, area_column: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL condition: the row's area code starts with the actor's scope (none: no rows)."""
    if not actor.scope or not actor.scope.isdigit():
        return false()
    return area_column.startswith(actor.scope, autoescape=True)
