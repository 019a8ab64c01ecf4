"""The canonical form, the hash functions and Merkle roots, without a database."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.privacy.audit import GENESIS, MerkleBuilder, canonical, merkle_root, record_hash
from zhili.privacy.audit.chain import FIELDS, UnsupportedAlgorithm, hasher

FIELDS_1 = {
    "seq": 1,
    "at": dt.datetime(2026, 1, 2, 3, 4, 5, 6),
    "actor_id": "user:1",
    "actor_role": "grid_worker",
    "actor_department": None,
    "action": "person.read",
    "resource": "person:P1",
    "subjects": "",
    "purpose": "走访",
    "legal_basis": None,
    "case_id": None,
    "result_count": 1,
    "outcome": "ok",
    "disclose_after": dt.date(2026, 7, 1),
}


def test_canonical_is_deterministic_and_unambiguous() -> None:
    data = canonical(FIELDS_1)
    assert data == canonical(dict(reversed(list(FIELDS_1.items()))))
    assert "走访".encode() in data and b"2026-01-02T03:04:05.000006" in data
    # None and "" differ; a separator inside a value cannot shift it into the next field.
    assert canonical({**FIELDS_1, "purpose": ""}) != canonical({**FIELDS_1, "purpose": None})
    a = canonical({**FIELDS_1, "actor_id": 'a","b', "actor_role": "c"})
    b = canonical({**FIELDS_1, "actor_id": "a", "actor_role": 'b","c'})
    assert a != b
    # An aware time means the same instant in UTC.
    aware = dt.datetime(2026, 1, 2, 11, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert canonical({**FIELDS_1, "at": aware}) == data
    with pytest.raises(KeyError):
        canonical({k: v for k, v in FIELDS_1.items() if k != "outcome"})


def test_record_hash_chains_and_algorithms_differ() -> None:
    h1 = record_hash(GENESIS, FIELDS_1)
    assert len(h1) == 64 and h1 == record_hash(GENESIS, FIELDS_1, "sha256")
    assert record_hash(h1, FIELDS_1) != h1  # the same fields after another record
    sm3 = record_hash(GENESIS, FIELDS_1, "sm3")
    assert len(sm3) == 64 and sm3 != h1
    assert hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f4")  # GB/T 32905 vector


def test_unknown_or_missing_algorithm_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnsupportedAlgorithm, match="md5"):
        hasher("md5")
    real_new = hashlib.new

    def no_sm3(name: str, *args: object) -> object:
        if name == "sm3":
            raise ValueError("unsupported hash type sm3")
        return real_new(name, *args)

    monkeypatch.setattr(hashlib, "new", no_sm3)
    with pytest.raises(UnsupportedAlgorithm, match="SM3 is not available"):
        hasher("sm3")


def test_every_field_is_hashed() -> None:
    assert set(FIELDS) == set(FIELDS_1)
    base = record_hash(GENESIS, FIELDS_1)
    for name in FIELDS:
        changed = dict(FIELDS_1)
        value = changed[name]
        if isinstance(value, int):
            changed[name] = value + 1
        elif isinstance(value, dt.datetime):
            changed[name] = value + dt.timedelta(microseconds=1)
        elif isinstance(value, dt.date):
            changed[name] = value + dt.timedelta(days=1)
        else:
            changed[name] = (value or "") + "x"
        assert record_hash(GENESIS, changed) != base, name


@given(st.integers(min_value=1, max_value=70), st.sampled_from(["sha256", "sm3"]))
def test_streaming_merkle_root_matches_the_plain_definition(n: int, algorithm: str) -> None:
    leaves = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
    builder = MerkleBuilder(algorithm)
    for leaf in leaves:
        builder.add(leaf)
    assert builder.root() == merkle_root(leaves, algorithm)


def test_merkle_shape_and_domain_separation() -> None:
    a, b, c = (hashlib.sha256(x).hexdigest() for x in (b"a", b"b", b"c"))
    sha = hashlib.sha256

    def leaf(h: str) -> bytes:
        return sha(b"\x00" + bytes.fromhex(h)).digest()

    def node(x: bytes, y: bytes) -> bytes:
        return sha(b"\x01" + x + y).digest()

    assert merkle_root([a]) == leaf(a).hex()
    expected = node(node(leaf(a), leaf(b)), node(leaf(c), leaf(c)))  # odd level: c with itself
    assert merkle_root([a, b, c]) == expected.hex()
    assert merkle_root([a, b]) != merkle_root([b, a])
    with pytest.raises(ValueError):
        MerkleBuilder().root()
