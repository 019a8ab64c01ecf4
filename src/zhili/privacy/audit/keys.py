"""Audit key material in a directory (the data directory's keys/), created on first use.

- audit-subject.key: 32 random bytes, the HMAC key that turns person ids into log subjects.
- audit-signing.pem: the Ed25519 private key that signs checkpoints (PKCS#8 PEM).
- audit-signing.pub.pem: its public key, for verifiers (an auditor needs nothing secret).

Secret files are mode 0600 in a 0700 directory. A file appears complete or not at all
(written aside, then hard-linked into place), so two processes starting together agree on
one key instead of each keeping its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SUBJECT_KEY_FILE = "audit-subject.key"
SIGNING_KEY_FILE = "audit-signing.pem"
PUBLIC_KEY_FILE = "audit-signing.pub.pem"
SUBJECT_KEY_BYTES = 32


class KeyFileError(RuntimeError):
    """A key file is malformed or readable by others."""


def _create_once(path: Path, data: bytes, mode: int) -> None:
    """Write the file unless it exists; if another process wins the race, keep its file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic, and fails rather than replace an existing key
    finally:
        tmp.unlink(missing_ok=True)


def _read_secret(path: Path) -> bytes:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise KeyFileError(f"{path} is readable by group or others: chmod 600 it")
    return path.read_bytes()


def load_subject_key(directory: Path | str) -> bytes:
    """The subject HMAC key (32 bytes), created on first use."""
    path = Path(directory) / SUBJECT_KEY_FILE
    if not path.exists():
        _create_once(path, secrets.token_bytes(SUBJECT_KEY_BYTES), 0o600)
    key = _read_secret(path)
    if len(key) != SUBJECT_KEY_BYTES:
        raise KeyFileError(f"{path} holds {len(key)} bytes, not {SUBJECT_KEY_BYTES}")
    return key


def load_signing_key(directory: Path | str) -> Ed25519PrivateKey:
    """The checkpoint signing key, created on first use (its public key is written beside it)."""
    directory = Path(directory)
    path = directory / SIGNING_KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _create_once(path, pem, 0o600)
    key = serialization.load_pem_private_key(_read_secret(path), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    public = directory / PUBLIC_KEY_FILE
    if not public.exists():
        _create_once(public, public_pem(key.public_key()), 0o644)
    return key


def load_public_key(directory: Path | str) -> Ed25519PublicKey:
    """The checkpoint verification key: from the public file, else from the private key."""
    directory = Path(directory)
    public = directory / PUBLIC_KEY_FILE
    if not public.exists():
        return load_signing_key(directory).public_key()
    key = serialization.load_pem_public_key(public.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{public} is not an Ed25519 public key")
    return key


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key: names the key in checkpoints."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
