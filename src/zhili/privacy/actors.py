"""Who is acting: a logged-in user, a system with an API key, the local operator, or nobody."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: str  # "user:12", "key:3", "cli:root", "anonymous"
    role: str
    scope: str = ""  # an area-code prefix; "" means no area at all
    department: str | None = None
    person_id: str | None = None  # a citizen's own master person id
    display_name: str = ""

    @property
    def authenticated(self) -> bool:
        return self.role != "anonymous"


ANONYMOUS = Actor(id="anonymous", role="anonymous")


def cli_operator(login: str) -> Actor:
    """The person at the server's console: maintenance commands only, never personal data."""
    return Actor(id=f"cli:{login}", role="operator", display_name=login)
