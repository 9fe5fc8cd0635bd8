"""HPKE sealing (RFC 9180 base mode, ML-KEM-768+X25519 / HKDF-SHA256 / AES-256-GCM)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from storage.crypto.errors import SealError

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
MLKEM_PUBLIC_LEN = 1184
MLKEM_SEED_LEN = 64
X25519_LEN = 32
PUBLIC_KEY_LEN = MLKEM_PUBLIC_LEN + X25519_LEN
PRIVATE_KEY_LEN = MLKEM_SEED_LEN + X25519_LEN
# Encapsulated key (1,088 + 32) plus the AES-GCM tag: what sealing adds to a plaintext.
SEAL_OVERHEAD = hpke.KEM.MLKEM768_X25519.enc_length() + 16


def key_id_for(public_bytes: bytes) -> str:
    """Return the key id: the first 16 hex characters of SHA-256 of the public key bytes."""
    return hashlib.sha256(public_bytes).hexdigest()[:16]


def make_context(purpose: str, row_id: int | str | bytes, *, version: int = 1) -> bytes:
    """Build an HPKE info such as ``b"tinbao/tip/v1/" + tip_id`` that binds a blob to its row."""
    if not purpose or "/" in purpose:
        raise ValueError("purpose must be a non-empty word without '/'")
    rid = row_id if isinstance(row_id, bytes) else str(row_id).encode()
    if not rid:
        raise ValueError("row_id must not be empty")
    return f"tinbao/{purpose}/v{version}/".encode() + rid


@dataclass(frozen=True)
class PublicKey:
    """A hybrid public key with its id; ``raw`` keeps the bytes the HPKE object cannot export."""

    key_id: str
    key: hpke.MLKEM768X25519PublicKey = field(repr=False, compare=False)
    raw: bytes = field(repr=False)

    def to_bytes(self) -> bytes:
        """Return ML-KEM-768 public key (1,184 bytes) ‖ X25519 public key (32 bytes)."""
        return self.raw

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicKey:
        """Rebuild a public key from :meth:`to_bytes` output (ValueError if malformed)."""
        data = bytes(data)
        if len(data) != PUBLIC_KEY_LEN:
            raise ValueError(f"a public key is {PUBLIC_KEY_LEN} bytes, got {len(data)}")
        mk = mlkem.MLKEM768PublicKey.from_public_bytes(data[:MLKEM_PUBLIC_LEN])
        xk = x25519.X25519PublicKey.from_public_bytes(data[MLKEM_PUBLIC_LEN:])
        return cls(key_id_for(data), hpke.MLKEM768X25519PublicKey(mk, xk), data)


@dataclass(frozen=True)
class KeyPair:
    """A hybrid key pair; the component keys are kept because the hybrid key has no serializer."""

    key_id: str
    private: hpke.MLKEM768X25519PrivateKey = field(repr=False, compare=False)
    public: PublicKey
    mlkem_key: mlkem.MLKEM768PrivateKey = field(repr=False, compare=False)
    x25519_key: x25519.X25519PrivateKey = field(repr=False, compare=False)

    @classmethod
    def generate(cls) -> KeyPair:
        """Generate a fresh key pair."""
        return cls._build(mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, data: bytes) -> KeyPair:
        """Rebuild a key pair from :meth:`private_bytes` output (ValueError if malformed)."""
        data = bytes(data)
        if len(data) != PRIVATE_KEY_LEN:
            raise ValueError(f"a private key is {PRIVATE_KEY_LEN} bytes, got {len(data)}")
        return cls._build(
            mlkem.MLKEM768PrivateKey.from_seed_bytes(data[:MLKEM_SEED_LEN]),
            x25519.X25519PrivateKey.from_private_bytes(data[MLKEM_SEED_LEN:]),
        )

    @classmethod
    def _build(cls, mk: mlkem.MLKEM768PrivateKey, xk: x25519.X25519PrivateKey) -> KeyPair:
        raw = mk.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()
        hybrid = hpke.MLKEM768X25519PrivateKey(mk, xk)
        public = PublicKey(key_id_for(raw), hybrid.public_key(), raw)
        return cls(public.key_id, hybrid, public, mk, xk)

    def private_bytes(self) -> bytes:
        """Return ML-KEM-768 seed (64 bytes) ‖ X25519 private key (32 bytes); handle with care."""
        return self.mlkem_key.private_bytes_raw() + self.x25519_key.private_bytes_raw()


def seal(public: PublicKey, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt ``plaintext`` to ``public``; ``context`` (HPKE info) binds the blob to its row."""
    if not context:
        # An empty info would let a blob be moved between rows unnoticed.
        raise ValueError("context must not be empty")
    return SUITE.encrypt(plaintext, public.key, info=context)


def open_sealed(keypair: KeyPair, blob: bytes, context: bytes) -> bytes:
    """Decrypt a blob made by :func:`seal`; raise SealError if anything does not match."""
    if len(blob) < SEAL_OVERHEAD:
        raise SealError("sealed value is truncated")
    try:
        return SUITE.decrypt(blob, keypair.private, info=context)
    except (InvalidTag, ValueError) as exc:
        raise SealError(f"cannot open sealed value with key {keypair.key_id}") from exc


class KeyRing:
    """Several key pairs of one kind by id, one of them current (the one new values go to)."""

    def __init__(self, keypairs: Iterable[KeyPair], current_id: str) -> None:
        self._pairs = {kp.key_id: kp for kp in keypairs}
        if current_id not in self._pairs:
            raise SealError(f"current key {current_id} is not in the key ring")
        self._current_id = current_id

    def __repr__(self) -> str:
        return f"KeyRing(current={self._current_id!r}, key_ids={self.key_ids!r})"

    @property
    def current(self) -> KeyPair:
        """The key pair new values are sealed to."""
        return self._pairs[self._current_id]

    @property
    def public(self) -> PublicKey:
        """The current public key."""
        return self.current.public

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every key pair in the ring."""
        return tuple(self._pairs)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._pairs

    def get(self, key_id: str) -> KeyPair:
        """Return the key pair with this id; SealError if the ring does not hold it."""
        try:
            return self._pairs[key_id]
        except KeyError:
            raise SealError(f"no key {key_id!r} in the key ring (retired?)") from None

    def open(self, key_id: str, blob: bytes, context: bytes) -> bytes:
        """Open a blob that was sealed to the key ``key_id``."""
        return open_sealed(self.get(key_id), blob, context)


def reseal(ring: KeyRing, key_id: str, blob: bytes, context: bytes, new_public: PublicKey) -> bytes:
    """Open a blob with the ring and seal it again to ``new_public`` under the same context."""
    return seal(new_public, ring.open(key_id, blob, context), context)
