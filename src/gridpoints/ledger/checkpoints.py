"""Checkpoints: a ledger position (seq + head hash, and the intake log's head), optionally sealed
with HMAC-SHA256.

A checkpoint is kept *outside* the database (printed in a report, mailed to the supervising
office, stored in another system). Checked later against the store, it catches what the chains
alone cannot: a chain rewritten from some entry on with fresh hashes, a cut tail — of the ledger,
or of the intake log with its event rows — or an older copy of the database restored. Sealing it
with a key (never stored in the database) stops someone who can rewrite the database from also
writing a matching checkpoint.

Text forms: ``gpcp2:<seq>:<hash>:<intake seq>:<intake hash>[:<seal>]``; checkpoints made before
the intake log, ``gpcp1:<seq>:<hash>[:<seal>]``, still parse and verify (they anchor the ledger
only).
"""

from __future__ import annotations

import hashlib
import hmac
import re

import attrs

__all__ = ["Checkpoint"]

_PREFIX = "gpcp1"
_PREFIX_INTAKE = "gpcp2"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes) or not key:
        raise ValueError("key: give a non-empty bytes or str key")
    return key


@attrs.frozen
class Checkpoint:
    """Ledger position ``seq`` with head hash ``hash``; ``intake`` the intake log's head
    ``(seq, hash)`` at the same time (None for a checkpoint made before the intake log);
    ``seal`` is the HMAC-SHA256 (hex) of the position under a key, or None. ``str(cp)`` is the
    short text form ``Checkpoint.parse`` reads."""

    seq: int
    hash: str
    seal: str | None = None
    intake: tuple[int, str] | None = None

    @classmethod
    def at(
        cls, seq: int, head_hash: str, key: bytes | str | None = None, *, intake: tuple[int, str] | None = None
    ) -> Checkpoint:
        """A checkpoint of position (seq, hash) and intake head ``intake``, sealed when ``key`` is given."""
        checkpoint = cls(seq, head_hash, intake=intake)
        if key is None:
            return checkpoint
        return attrs.evolve(checkpoint, seal=checkpoint._mac(_key_bytes(key)))

    def _position(self) -> str:
        if self.intake is None:
            return f"{_PREFIX}:{self.seq}:{self.hash}"
        return f"{_PREFIX_INTAKE}:{self.seq}:{self.hash}:{self.intake[0]}:{self.intake[1]}"

    def _mac(self, key: bytes) -> str:
        return hmac.new(key, self._position().encode(), hashlib.sha256).hexdigest()

    @property
    def sealed(self) -> bool:
        """Whether the checkpoint carries a seal."""
        return self.seal is not None

    def seal_matches(self, key: bytes | str) -> bool:
        """Whether the seal was made with ``key`` over this very position (constant time)."""
        return self.seal is not None and hmac.compare_digest(self.seal, self._mac(_key_bytes(key)))

    def __str__(self) -> str:
        text = self._position()
        return text if self.seal is None else f"{text}:{self.seal}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read the text form; a ValueError naming the part that is wrong."""
        if not isinstance(text, str):
            raise TypeError(f"checkpoint: {text!r} is not a string")
        parts = text.strip().split(":")
        if parts[0] not in (_PREFIX, _PREFIX_INTAKE):
            raise ValueError(f"checkpoint: {text!r} does not start with {_PREFIX_INTAKE}: (or {_PREFIX}:)")
        with_intake = parts[0] == _PREFIX_INTAKE
        fields = 5 if with_intake else 3
        if len(parts) not in (fields, fields + 1):
            shape = f"{_PREFIX}:<seq>:<hash>"
            if with_intake:
                shape = f"{_PREFIX_INTAKE}:<seq>:<hash>:<intake seq>:<intake hash>"
            raise ValueError(f"checkpoint: {text!r} is not {shape}[:<seal>]")
        if not parts[1].isdigit():
            raise ValueError(f"checkpoint: seq {parts[1]!r} is not a whole number")
        if not _HEX64.match(parts[2]):
            raise ValueError(f"checkpoint: hash {parts[2]!r} is not 64 lowercase hex digits")
        intake: tuple[int, str] | None = None
        if with_intake:
            if not parts[3].isdigit():
                raise ValueError(f"checkpoint: intake seq {parts[3]!r} is not a whole number")
            if not _HEX64.match(parts[4]):
                raise ValueError(f"checkpoint: intake hash {parts[4]!r} is not 64 lowercase hex digits")
            intake = (int(parts[3]), parts[4])
        seal = parts[fields] if len(parts) == fields + 1 else None
        if seal is not None and not _HEX64.match(seal):
            raise ValueError(f"checkpoint: seal {seal!r} is not 64 lowercase hex digits")
        return cls(int(parts[1]), parts[2], seal, intake)
