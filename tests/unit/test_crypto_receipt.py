"""Receipts: entropy, what phones do to them, and the KDF off the event loop."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter

import pytest

from storage.crypto import (
    CHEAP_KDF_PARAMS,
    RECEIPT_ALPHABET,
    KdfParams,
    derive_receipt_keys,
    derive_receipt_keys_async,
    format_receipt,
    new_receipt,
    normalize_receipt,
)

SALT = bytes(range(16))


def test_format_and_entropy() -> None:
    receipt = new_receipt()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", receipt)
    assert len(set(RECEIPT_ALPHABET)) == 32
    canonical = normalize_receipt(receipt)
    assert canonical is not None
    assert len(canonical) * math.log2(len(RECEIPT_ALPHABET)) >= 100
    assert format_receipt(canonical) == receipt


def test_receipts_are_uniform() -> None:
    n = 10_000
    receipts = [normalize_receipt(new_receipt()) or "" for _ in range(n)]
    assert len(set(receipts)) == n
    counts = Counter("".join(receipts))
    expected = n * 20 / 32
    chi2 = sum((counts[c] - expected) ** 2 / expected for c in RECEIPT_ALPHABET)
    # 31 degrees of freedom: mean 31; 90 is far in the tail (p ≈ 1e-7).
    assert chi2 < 90, chi2
    for pos in range(20):
        assert len({r[pos] for r in receipts}) == 32


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("7KQ2-M9XD-0A1B-CDEF-GHJK", "7KQ2M9XD0A1BCDEFGHJK"),
        ("7kq2 m9xd oa1b cdef ghjk", "7KQ2M9XD0A1BCDEFGHJK"),
        ("7KQ2M9XDOAIBCDEFGHJK", "7KQ2M9XD0A1BCDEFGHJK"),
        (" 7kq2–m9xd—0alb cdef\u00a0ghjk ", "7KQ2M9XD0A1BCDEFGHJK"),
        ("７ＫＱ２-M9XD-0A1B-CDEF-GHJK", "7KQ2M9XD0A1BCDEFGHJK"),
    ],
)
def test_normalize_accepts_what_people_type(typed: str, canonical: str) -> None:
    assert normalize_receipt(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "7KQ2-M9XD-0A1B-CDEF-GHJ",
        "7KQ2-M9XD-0A1B-CDEF-GHJKM",
        "7KQ2-M9XD-0A1B-CDEF-GHJU",
        "7KQ2-M9XD-0A1B-CDEF-GHJ*",
        "7KQ2-M9XD-0A1B-CDEF-GHJĐ",
    ],
)
def test_normalize_rejects_non_receipts(typed: str) -> None:
    assert normalize_receipt(typed) is None


def test_sloppy_typing_derives_the_same_keys_and_a_typo_does_not() -> None:
    receipt = "7KQ2-M9XD-0A1B-CDEF-GHJK"
    keys = derive_receipt_keys(receipt, SALT, CHEAP_KDF_PARAMS)
    assert len(keys.lookup) == len(keys.wrapping_key) == 32
    assert keys.lookup != keys.wrapping_key
    assert keys.wrapping_key.hex() not in repr(keys)
    assert derive_receipt_keys("7kq2 m9xd oaib cdef ghjk", SALT, CHEAP_KDF_PARAMS) == keys
    typo = derive_receipt_keys("7KQ2-M9XD-0A1B-CDEF-GHJM", SALT, CHEAP_KDF_PARAMS)
    assert typo.lookup != keys.lookup
    assert typo.wrapping_key != keys.wrapping_key
    other_salt = derive_receipt_keys(receipt, b"t" * 16, CHEAP_KDF_PARAMS)
    assert other_salt.lookup != keys.lookup


def test_derive_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        derive_receipt_keys("not a receipt", SALT, CHEAP_KDF_PARAMS)
    with pytest.raises(ValueError):
        derive_receipt_keys(new_receipt(), b"short", CHEAP_KDF_PARAMS)


def test_kdf_params() -> None:
    default = KdfParams()
    assert (default.memory_kib, default.iterations, default.parallelism) == (19456, 2, 1)
    assert KdfParams.from_dict(default.to_dict()) == default
    with pytest.raises(ValueError):
        KdfParams(memory_kib=4)


async def test_async_matches_sync() -> None:
    receipt = new_receipt()
    got = await derive_receipt_keys_async(receipt, SALT, CHEAP_KDF_PARAMS)
    assert got == derive_receipt_keys(receipt, SALT, CHEAP_KDF_PARAMS)


async def test_async_derivation_does_not_block_the_event_loop() -> None:
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    receipts = [new_receipt() for _ in range(10)]
    results = await asyncio.gather(
        *(derive_receipt_keys_async(r, SALT, KdfParams()) for r in receipts)
    )
    stop.set()
    await tick
    assert len({r.lookup for r in results}) == 10
    # Each derivation takes tens of ms; had one run on the loop, a gap would show it.
    assert max(gaps) < 0.05, max(gaps)
    assert len(gaps) > 5
