"""The tipster's own key pair, wrapped by the receipt key so only its holder reads replies."""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto.errors import SealError
from storage.crypto.sealing import PRIVATE_KEY_LEN, KeyPair

_NONCE_LEN = 12
_AAD_LABEL = b"tinbao/tipster-key/v1/"
WRAPPED_KEY_LEN = _NONCE_LEN + PRIVATE_KEY_LEN + 16


def new_tipster_keys() -> KeyPair:
    """Generate a tipster key pair (same suite as the console key)."""
    return KeyPair.generate()


def _aead(wrapping_key: bytes) -> AESGCM:
    if len(wrapping_key) != 32:
        raise ValueError("wrapping key must be 32 bytes")
    return AESGCM(wrapping_key)


def wrap_private_key(keypair: KeyPair, wrapping_key: bytes, context: bytes) -> bytes:
    """Encrypt the private key with AES-256-GCM; ``context`` (e.g. the tip id) is the AAD."""
    if not context:
        raise ValueError("context must not be empty")
    nonce = secrets.token_bytes(_NONCE_LEN)
    sealed = _aead(wrapping_key).encrypt(nonce, keypair.private_bytes(), _AAD_LABEL + context)
    return nonce + sealed


def unwrap_private_key(blob: bytes, wrapping_key: bytes, context: bytes) -> KeyPair:
    """Decrypt a wrapped key; SealError if the receipt or the context is wrong or it was altered."""
    if len(blob) != WRAPPED_KEY_LEN:
        raise SealError("wrapped tipster key has the wrong length")
    nonce, sealed = blob[:_NONCE_LEN], blob[_NONCE_LEN:]
    try:
        plain = _aead(wrapping_key).decrypt(nonce, sealed, _AAD_LABEL + context)
    except InvalidTag:
        raise SealError("cannot unwrap tipster key: wrong receipt or wrong tip") from None
    return KeyPair.from_private_bytes(plain)
