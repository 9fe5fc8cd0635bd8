"""Sealing to the console key: round trips, row binding, tampering, rotation."""

from __future__ import annotations

import pytest

from storage.crypto import (
    SEAL_OVERHEAD,
    KeyPair,
    KeyRing,
    PublicKey,
    SealError,
    key_id_for,
    make_context,
    open_sealed,
    reseal,
    seal,
)

TIP_7 = b"tinbao/tip/v1/7"
TIP_8 = b"tinbao/tip/v1/8"


@pytest.fixture(scope="module")
def keypair() -> KeyPair:
    return KeyPair.generate()


def test_round_trip(keypair: KeyPair) -> None:
    text = "Có người bán ma túy ở hẻm 12".encode()
    blob = seal(keypair.public, text, TIP_7)
    assert text not in blob
    assert len(blob) == len(text) + SEAL_OVERHEAD
    assert open_sealed(keypair, blob, TIP_7) == text


def test_same_plaintext_seals_differently(keypair: KeyPair) -> None:
    assert seal(keypair.public, b"x", TIP_7) != seal(keypair.public, b"x", TIP_7)


def test_blob_moved_to_another_row_fails(keypair: KeyPair) -> None:
    blob = seal(keypair.public, b"tip text", TIP_7)
    with pytest.raises(SealError):
        open_sealed(keypair, blob, TIP_8)


def test_other_key_fails(keypair: KeyPair) -> None:
    blob = seal(keypair.public, b"tip text", TIP_7)
    with pytest.raises(SealError):
        open_sealed(KeyPair.generate(), blob, TIP_7)


def test_every_tampered_byte_fails(keypair: KeyPair) -> None:
    blob = seal(keypair.public, b"location: 10.77,106.70", TIP_7)
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(SealError):
            open_sealed(keypair, bytes(bad), TIP_7)
    for bad_blob in (blob[:-1], blob + b"\0", b"", blob[: SEAL_OVERHEAD - 1]):
        with pytest.raises(SealError):
            open_sealed(keypair, bad_blob, TIP_7)


def test_empty_context_is_refused(keypair: KeyPair) -> None:
    with pytest.raises(ValueError):
        seal(keypair.public, b"x", b"")


def test_make_context() -> None:
    assert make_context("tip", 7) == TIP_7
    assert make_context("route", "abc", version=2) == b"tinbao/route/v2/abc"
    with pytest.raises(ValueError):
        make_context("tip/x", 1)


def test_key_serialization_round_trip(keypair: KeyPair) -> None:
    private = keypair.private_bytes()
    assert len(private) == 96
    again = KeyPair.from_private_bytes(private)
    assert again.key_id == keypair.key_id
    assert again.public == keypair.public
    public = PublicKey.from_bytes(keypair.public.to_bytes())
    assert len(public.to_bytes()) == 1216
    assert public.key_id == key_id_for(public.to_bytes()) == keypair.key_id
    assert len(public.key_id) == 16
    # A public key rebuilt from bytes seals values that the original private key opens.
    assert open_sealed(again, seal(public, b"ok", TIP_7), TIP_7) == b"ok"


def test_malformed_key_bytes_are_rejected(keypair: KeyPair) -> None:
    with pytest.raises(ValueError):
        PublicKey.from_bytes(keypair.public.to_bytes()[:-1])
    with pytest.raises(ValueError):
        KeyPair.from_private_bytes(keypair.private_bytes() + b"\0")


def test_private_key_not_in_repr(keypair: KeyPair) -> None:
    assert keypair.private_bytes().hex() not in repr(keypair)


def test_rotation_with_a_key_ring() -> None:
    old, new = KeyPair.generate(), KeyPair.generate()
    blob = seal(old.public, b"old tip", TIP_7)

    ring = KeyRing([old, new], new.key_id)
    assert ring.current == new
    assert ring.public == new.public
    assert set(ring.key_ids) == {old.key_id, new.key_id}
    # Old blobs still open while the old key is in the ring.
    assert ring.open(old.key_id, blob, TIP_7) == b"old tip"

    moved = reseal(ring, old.key_id, blob, TIP_7, ring.public)
    assert ring.open(new.key_id, moved, TIP_7) == b"old tip"
    with pytest.raises(SealError):
        reseal(ring, old.key_id, blob, TIP_8, ring.public)

    retired = KeyRing([new], new.key_id)
    with pytest.raises(SealError, match="no key"):
        retired.open(old.key_id, blob, TIP_7)
    assert retired.open(new.key_id, moved, TIP_7) == b"old tip"


def test_key_ring_needs_its_current_key() -> None:
    with pytest.raises(SealError):
        KeyRing([KeyPair.generate()], "0" * 16)
