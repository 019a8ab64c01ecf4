"""Merkle roots over record hashes: binary tree, the last node duplicated on odd levels.

Leaves and inner nodes are hashed with different prefixes (0x00, 0x01), so a leaf can never
pass for a node. Duplicating the last node lets [a, b, c] and [a, b, c, c] share a root; that
is harmless here because a checkpoint signs its first and last seq, hence its leaf count.
The builder is streaming: it keeps one node per level, so a million leaves need no list.
"""

from __future__ import annotations

from collections.abc import Iterable

from zhili.privacy.audit.chain import DEFAULT_ALGORITHM, hasher

LEAF = b"\x00"
NODE = b"\x01"


class MerkleBuilder:
    """Add record hashes (hex) in order, then ask for the root (hex)."""

    def __init__(self, algorithm: str = DEFAULT_ALGORITHM) -> None:
        self._new = hasher(algorithm)
        self._stack: list[tuple[int, bytes]] = []  # perfect subtrees, levels strictly falling
        self.count = 0

    def add(self, record_hash: str) -> None:
        new = self._new
        node = new(LEAF + bytes.fromhex(record_hash)).digest()
        level = 0
        stack = self._stack
        while stack and stack[-1][0] == level:
            node = new(NODE + stack.pop()[1] + node).digest()
            level += 1
        stack.append((level, node))
        self.count += 1

    def root(self) -> str:
        if not self._stack:
            raise ValueError("no leaves: a Merkle root needs at least one record")
        new = self._new
        level, node = self._stack[-1]
        for left_level, left in reversed(self._stack[:-1]):
            while level < left_level:  # the last node of an odd level pairs with itself
                node = new(NODE + node + node).digest()
                level += 1
            node = new(NODE + left + node).digest()
            level += 1
        return node.hex()


def merkle_root(record_hashes: Iterable[str], algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The root over the hashes, level by level (the plain definition the builder streams)."""
    new = hasher(algorithm)
    level = [new(LEAF + bytes.fromhex(h)).digest() for h in record_hashes]
    if not level:
        raise ValueError("no leaves: a Merkle root needs at least one record")
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [new(NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()
