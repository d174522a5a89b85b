"""Checkpoints: a ledger position (seq + head hash), optionally sealed with HMAC-SHA256.

A checkpoint is kept *outside* the database (printed in a report, mailed to the supervising
office, stored in another system). Checked later against the store, it catches what the chain
alone cannot: a chain rewritten from some entry on with fresh hashes, a cut tail, or an older
copy of the database restored. Sealing it with a key (never stored in the database) stops
someone who can rewrite the database from also writing a matching checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import attrs

__all__ = ["Checkpoint"]

_PREFIX = "gpcp1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes) or not key:
        raise ValueError("key: give a non-empty bytes or str key")
    return key


@attrs.frozen
class Checkpoint:
    """Ledger position ``seq`` with head hash ``hash``; ``seal`` is the HMAC-SHA256 (hex) of the
    position under a key, or None. ``str(cp)`` is the short text form ``Checkpoint.parse`` reads:
    ``gpcp1:<seq>:<hash>[:<seal>]``."""

    seq: int
    hash: str
    seal: str | None = None

    @classmethod
    def at(cls, seq: int, head_hash: str, key: bytes | str | None = None) -> Checkpoint:
        """A checkpoint of position (seq, hash), sealed when ``key`` is given."""
        checkpoint = cls(seq, head_hash)
        if key is None:
            return checkpoint
        return attrs.evolve(checkpoint, seal=checkpoint._mac(_key_bytes(key)))

    def _mac(self, key: bytes) -> str:
        return hmac.new(key, f"{_PREFIX}:{self.seq}:{self.hash}".encode(), hashlib.sha256).hexdigest()

    @property
    def sealed(self) -> bool:
        """Whether the checkpoint carries a seal."""
        return self.seal is not None

    def seal_matches(self, key: bytes | str) -> bool:
        """Whether the seal was made with ``key`` over this very position (constant time)."""
        return self.seal is not None and hmac.compare_digest(self.seal, self._mac(_key_bytes(key)))

    def __str__(self) -> str:
        text = f"{_PREFIX}:{self.seq}:{self.hash}"
        return text if self.seal is None else f"{text}:{self.seal}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read the text form; a ValueError naming the part that is wrong."""
        if not isinstance(text, str):
            raise TypeError(f"checkpoint: {text!r} is not a string")
        parts = text.strip().split(":")
        if parts[0] != _PREFIX:
            raise ValueError(f"checkpoint: {text!r} does not start with {_PREFIX}:")
        if len(parts) not in (3, 4):
            raise ValueError(f"checkpoint: {text!r} is not {_PREFIX}:<seq>:<hash>[:<seal>]")
        if not parts[1].isdigit():
            raise ValueError(f"checkpoint: seq {parts[1]!r} is not a whole number")
        if not _HEX64.match(parts[2]):
            raise ValueError(f"checkpoint: hash {parts[2]!r} is not 64 lowercase hex digits")
        if len(parts) == 4 and not _HEX64.match(parts[3]):
            raise ValueError(f"checkpoint: seal {parts[3]!r} is not 64 lowercase hex digits")
        return cls(int(parts[1]), parts[2], parts[3] if len(parts) == 4 else None)
