"""The tipster's receipt: generation, normalisation and the memory-hard key derivation."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
RECEIPT_LENGTH = 20  # 20 × 5 = 100 bits
RECEIPT_GROUP = 4
# What phones and people do to a receipt: Crockford's look-alikes, and a Unicode zoo
# of spaces and dashes from auto-correcting keyboards.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = frozenset(" -_.\t\n\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u202f\u3000")
_LOOKUP_INFO = b"tinbao/receipt/lookup/v1"
_WRAP_INFO = b"tinbao/receipt/wrap/v1"


def new_receipt() -> str:
    """Return a fresh receipt: 20 Crockford base32 characters in groups of 4."""
    return format_receipt("".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH)))


def format_receipt(canonical: str) -> str:
    """Group a canonical receipt as ``XXXX-XXXX-XXXX-XXXX-XXXX`` for display."""
    return "-".join(canonical[i : i + RECEIPT_GROUP] for i in range(0, len(canonical), 4))


def normalize_receipt(text: str) -> str | None:
    """Return the canonical 20-character receipt from what a person typed, or None."""
    # NFKC folds full-width letters and digits that some keyboards produce.
    folded = unicodedata.normalize("NFKC", text).upper().translate(_ALIASES)
    chars = "".join(c for c in folded if c not in _SEPARATORS)
    if len(chars) != RECEIPT_LENGTH or any(c not in RECEIPT_ALPHABET for c in chars):
        return None
    return chars


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost; the defaults are OWASP's minimum (19 MiB, t=2, p=1).

    One derivation takes 20-45 ms on the 2-core target (benchmarks/crypto.py), so 10 tips/s
    use at most ~0.45 of one core's 2, queueing stays short and p99 < 0.5 s holds; two
    concurrent derivations (the pool below) hold 38 MiB. The receipt's 100 bits, not the
    KDF, stop guessing; the KDF adds margin if a database copy leaks with the salt.
    """

    memory_kib: int = 19456
    iterations: int = 2
    parallelism: int = 1

    def __post_init__(self) -> None:
        if self.parallelism < 1 or self.iterations < 1 or self.memory_kib < 8 * self.parallelism:
            raise ValueError("invalid Argon2id parameters")

    @classmethod
    def cheap(cls) -> KdfParams:
        """Tiny parameters for unit tests only."""
        return cls(memory_kib=64, iterations=1, parallelism=1)

    def to_dict(self) -> dict[str, int]:
        """Return a JSON-storable form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KdfParams:
        """Rebuild from :meth:`to_dict` output."""
        return cls(int(data["memory_kib"]), int(data["iterations"]), int(data["parallelism"]))


CHEAP_KDF_PARAMS = KdfParams.cheap()


@dataclass(frozen=True)
class ReceiptKeys:
    """What a receipt yields: a lookup value to store, and a wrapping key never stored."""

    lookup: bytes
    wrapping_key: bytes = field(repr=False)


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def derive_receipt_keys(receipt: str, salt: bytes, params: KdfParams) -> ReceiptKeys:
    """Run Argon2id over the canonical receipt and salt, then split it with HKDF (blocking)."""
    canonical = normalize_receipt(receipt)
    if canonical is None:
        raise ValueError("not a receipt")
    if len(salt) < 16:
        raise ValueError("receipt salt must be at least 16 bytes")
    master = hash_secret_raw(
        canonical.encode("ascii"),
        salt,
        time_cost=params.iterations,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )
    return ReceiptKeys(_hkdf(master, _LOOKUP_INFO), _hkdf(master, _WRAP_INFO))


# A pool of our own, one thread per core: a burst of receipts queues here instead of
# taking every default-executor thread and 19 MiB each.
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _kdf_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            workers = max(1, min(os.cpu_count() or 1, 8))
            _executor = ThreadPoolExecutor(workers, thread_name_prefix="tinbao-receipt-kdf")
        return _executor


async def derive_receipt_keys_async(receipt: str, salt: bytes, params: KdfParams) -> ReceiptKeys:
    """Derive the receipt keys in a worker thread, never on the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_kdf_executor(), derive_receipt_keys, receipt, salt, params)


def shutdown_kdf_executor() -> None:
    """Stop the KDF worker threads (for orderly shutdown; a later call restarts them)."""
    global _executor
    with _executor_lock:
        if _executor is not None:
            _executor.shutdown(wait=True)
            _executor = None
