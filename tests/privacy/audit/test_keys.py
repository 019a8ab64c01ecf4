"""Key files: created once, private, stable across loads, named by a key id."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from zhili.privacy.audit import key_id, load_public_key, load_signing_key, load_subject_key
from zhili.privacy.audit.keys import (
    PUBLIC_KEY_FILE,
    SIGNING_KEY_FILE,
    SUBJECT_KEY_FILE,
    KeyFileError,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_subject_key_is_created_once_private_and_stable(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = load_subject_key(keys)
    assert len(first) == 32
    assert mode(keys / SUBJECT_KEY_FILE) == 0o600
    assert mode(keys) == 0o700
    assert load_subject_key(keys) == first
    assert load_subject_key(tmp_path / "other") != first
    assert not [p for p in keys.iterdir() if p.name.startswith(".")]  # no temp files left


def test_signing_key_public_key_and_key_id(tmp_path: Path) -> None:
    signing = load_signing_key(tmp_path)
    assert mode(tmp_path / SIGNING_KEY_FILE) == 0o600
    assert (tmp_path / SIGNING_KEY_FILE).read_bytes().startswith(b"-----BEGIN PRIVATE KEY")
    public = load_public_key(tmp_path)
    assert (tmp_path / PUBLIC_KEY_FILE).exists()
    assert key_id(public) == key_id(signing) == key_id(load_signing_key(tmp_path))
    assert len(key_id(signing)) == 16 and int(key_id(signing), 16) >= 0
    public.verify(signing.sign(b"m"), b"m")


def test_key_files_readable_by_others_are_refused(tmp_path: Path) -> None:
    load_subject_key(tmp_path)
    (tmp_path / SUBJECT_KEY_FILE).chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_subject_key(tmp_path)


def test_a_truncated_subject_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / SUBJECT_KEY_FILE
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="5 bytes"):
        load_subject_key(tmp_path)
