"""The tipster key: only the receipt holder reads officer replies."""

from __future__ import annotations

import pytest

from storage.crypto import (
    CHEAP_KDF_PARAMS,
    PublicKey,
    SealError,
    derive_receipt_keys,
    new_receipt,
    new_tipster_keys,
    open_sealed,
    seal,
    unwrap_private_key,
    wrap_private_key,
)

SALT = b"s" * 16
TIP = b"tinbao/tip/v1/42"
REPLY = b"tinbao/reply/v1/42/1"


def test_officer_reply_reaches_only_the_receipt_holder() -> None:
    receipt = new_receipt()
    keys = derive_receipt_keys(receipt, SALT, CHEAP_KDF_PARAMS)
    tipster = new_tipster_keys()
    # Stored on the tip row: the public key bytes and the wrapped private key.
    stored_public = tipster.public.to_bytes()
    wrapped = wrap_private_key(tipster, keys.wrapping_key, TIP)
    assert tipster.private_bytes() not in wrapped

    reply = seal(PublicKey.from_bytes(stored_public), "Cảm ơn, đã xác minh.".encode(), REPLY)

    later = derive_receipt_keys(receipt.lower().replace("-", " "), SALT, CHEAP_KDF_PARAMS)
    assert later.lookup == keys.lookup
    unwrapped = unwrap_private_key(wrapped, later.wrapping_key, TIP)
    assert open_sealed(unwrapped, reply, REPLY) == "Cảm ơn, đã xác minh.".encode()


def test_wrong_receipt_fails() -> None:
    tipster = new_tipster_keys()
    right = derive_receipt_keys(new_receipt(), SALT, CHEAP_KDF_PARAMS)
    wrong = derive_receipt_keys(new_receipt(), SALT, CHEAP_KDF_PARAMS)
    wrapped = wrap_private_key(tipster, right.wrapping_key, TIP)
    with pytest.raises(SealError, match="wrong receipt"):
        unwrap_private_key(wrapped, wrong.wrapping_key, TIP)


def test_wrapped_key_moved_to_another_tip_fails() -> None:
    keys = derive_receipt_keys(new_receipt(), SALT, CHEAP_KDF_PARAMS)
    wrapped = wrap_private_key(new_tipster_keys(), keys.wrapping_key, TIP)
    with pytest.raises(SealError):
        unwrap_private_key(wrapped, keys.wrapping_key, b"tinbao/tip/v1/43")


def test_every_tampered_byte_fails() -> None:
    keys = derive_receipt_keys(new_receipt(), SALT, CHEAP_KDF_PARAMS)
    wrapped = wrap_private_key(new_tipster_keys(), keys.wrapping_key, TIP)
    for i in range(len(wrapped)):
        bad = bytearray(wrapped)
        bad[i] ^= 0x80
        with pytest.raises(SealError):
            unwrap_private_key(bytes(bad), keys.wrapping_key, TIP)
    with pytest.raises(SealError):
        unwrap_private_key(wrapped[:-1], keys.wrapping_key, TIP)


def test_wrapping_is_randomised() -> None:
    keys = derive_receipt_keys(new_receipt(), SALT, CHEAP_KDF_PARAMS)
    tipster = new_tipster_keys()
    first = wrap_private_key(tipster, keys.wrapping_key, TIP)
    assert first != wrap_private_key(tipster, keys.wrapping_key, TIP)
