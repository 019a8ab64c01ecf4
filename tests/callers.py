"""Clients for every demo role against the real server, and a scan of every response body:
no unmasked ID number or phone may reach a caller who neither unmasked nor asked for their own.

The scan looks for the twin's real residents' ID numbers and phones: an enterprise's unified
social credit code is often eighteen digits too, and it is public (printed on the licence).

The fixtures are registered once, in tests/conftest.py, so that every package (api, community,
web) shares one login per role and one set of API keys per session."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import polars as pl
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from zhili.privacy.identity.demo import DEMO_PASSWORD, DEMO_USERNAMES
from zhili.privacy.models import User

# Digits inside longer tokens (hashes, decimals) are not identifiers.
UNMASKED_ID = re.compile(r"(?<![\dA-Za-z.])\d{17}[\dXx](?![\dA-Za-z.])")
UNMASKED_PHONE = re.compile(r"(?<![\dA-Za-z.])1[3-9]\d{9}(?![\dA-Za-z.])")


@dataclass
class Caller:
    role: str
    headers: dict[str, str] = field(default_factory=dict)
    person_id: str | None = None
    scope: str = ""
    responses: int = 0
    identifiers: frozenset[str] = frozenset()  # every resident's ID number and phones

    def request(
        self, base: str, method: str, path: str, *, own: bool = False, unmask: bool = False, **kw
    ) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}  # extra headers add to the login
        r = httpx.request(method, base + path, headers=headers, timeout=30, **kw)
        self.responses += 1
        if not (own or unmask):
            body = r.text
            ids = [m for m in UNMASKED_ID.findall(body) if m.upper() in self.identifiers]
            assert not ids, f"{self.role} {method} {path}: unmasked ID {ids[0]} in {body[:300]}"
            phones = [m for m in UNMASKED_PHONE.findall(body) if m in self.identifiers]
            assert not phones, f"{self.role} {method} {path}: unmasked phone in {body[:300]}"
        return r


@pytest.fixture(scope="session")
def accounts(server: str, data_dir: Path) -> dict[str, User]:
    engine = create_engine(f"sqlite:///{data_dir / 'zhili.db'}")
    # Only the demo accounts: other tests create users (the matrix's POST /api/users) whose
    # role would otherwise shadow a demo account's and whose password is not the demo one.
    with Session(engine) as s:
        demo = select(User).where(User.username.in_(DEMO_USERNAMES)).order_by(User.id)
        users = {u.role: u for u in s.scalars(demo)}
    engine.dispose()
    return users


@pytest.fixture(scope="session")
def identifiers(truth) -> frozenset[str]:
    persons = truth("persons")
    values = pl.concat([persons["id_number"], persons["phone"], persons["phone2"]])
    return frozenset(values.drop_nulls().str.to_uppercase().to_list())


@pytest.fixture(scope="session")
def callers(server: str, accounts: dict[str, User], identifiers) -> dict[str, Caller]:
    out = {"anonymous": Caller("anonymous", identifiers=identifiers)}
    for role, user in accounts.items():
        r = httpx.post(
            f"{server}/api/auth/login", json={"username": user.username, "password": DEMO_PASSWORD}
        )
        assert r.status_code == 200, (role, r.text)
        token = r.json()["token"]
        out[role] = Caller(
            role, {"Authorization": f"Bearer {token}"}, user.person_id, user.scope, 0, identifiers
        )
    # Systems act with API keys, issued by the security administrator.
    for role, scope, department in (
        ("department_system", "330110", "police"),
        ("device_gateway", "330110010248", None),
        ("open311_client", "330110", None),
    ):
        r = out["security_admin"].request(
            server,
            "POST",
            "/api/keys",
            json={"name": f"matrix_{role}", "role": role, "scope": scope, "department": department},
        )
        assert r.status_code == 201, r.text
        out[role] = Caller(role, {"X-API-Key": r.json()["key"]}, None, scope, 0, identifiers)
    return out


@pytest.fixture(scope="session")
def residents(truth) -> Callable[[str], str]:
    """A resident id inside a given area prefix (from the twin's truth)."""
    persons = truth("persons").select("person_id", "grid_code")

    def inside(prefix: str) -> str:
        return persons.filter(pl.col("grid_code").str.starts_with(prefix))["person_id"][0]

    return inside
