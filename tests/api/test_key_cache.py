"""API keys are cached for a few seconds (systems push hundreds of events a second): a
revocation made elsewhere takes effect within KEY_TTL_S, and unknown keys are never cached."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from zhili.api import deps
from zhili.db import make_engine, make_sessionmaker
from zhili.db.migrate import upgrade
from zhili.privacy.identity import AuthError, issue_api_key, revoke_api_key


@pytest.fixture()
def request_and_sessions(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'zhili.db'}"
    upgrade(url)
    engine = make_engine(url)
    deps.forget_keys()
    yield (
        SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(engine=engine))),
        (make_sessionmaker(engine)),
    )
    deps.forget_keys()
    engine.dispose()


def test_revocation_takes_effect_within_the_ttl(request_and_sessions, monkeypatch) -> None:
    request, sessions = request_and_sessions
    with sessions() as s:
        key = issue_api_key(s, "police-push", "department_system", "330110", "police")
        s.commit()
    assert deps._key_actor(request, key).role == "department_system"
    with sessions() as s:
        assert revoke_api_key(s, "police-push")
        s.commit()
    # Still inside the TTL: the cached row answers (the documented delay).
    assert deps._key_actor(request, key).id.startswith("key:")
    monkeypatch.setattr(deps, "KEY_TTL_S", 0.0)  # the TTL has passed
    with pytest.raises(AuthError, match="revoked"):
        deps._key_actor(request, key)


def test_unknown_keys_are_not_cached(request_and_sessions) -> None:
    request, _ = request_and_sessions
    with pytest.raises(AuthError, match="unknown"):
        deps._key_actor(request, "zk_" + "0" * 40)
    assert deps._key_cache == {}
