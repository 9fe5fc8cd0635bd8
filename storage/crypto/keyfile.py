"""Passphrase-protected key files: scrypt, then AES-256-GCM with the header as AAD."""

from __future__ import annotations

import base64
import binascii
import json
import time
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from secrets import token_bytes
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from storage.crypto._fs import atomic_write
from storage.crypto.errors import KeyFileError
from storage.crypto.sealing import KeyPair, PublicKey

PRIVATE_FORMAT = "tinbao-key/1"
PUBLIC_FORMAT = "tinbao-public-key/1"
SECRETS_FORMAT = "tinbao-secrets/1"
DEFAULT_SCRYPT_N = 2**17  # 128 MiB, ~0.3 s here: paid once per file at start-up.
SCRYPT_R = 8
SCRYPT_P = 1
# Bounds on what a file may ask for: a hostile file must not make us allocate gigabytes.
MIN_SCRYPT_N = 2**10
MAX_SCRYPT_N = 2**20
MAX_FILE_SIZE = 1 << 20
_CIPHERTEXT = "ciphertext"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(path: Path, name: str, value: object) -> bytes:
    # Only the canonical encoding is accepted, so no byte of the file can change unnoticed.
    if not isinstance(value, str):
        raise KeyFileError(f"{path}: field {name!r} is not a string")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path}: field {name!r} is not valid base64") from None
    if _b64(data) != value:
        raise KeyFileError(f"{path}: field {name!r} is not canonical base64")
    return data


def _dump(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, indent=2) + "\n").encode("ascii")


def _aad(doc: Mapping[str, Any]) -> bytes:
    header = {k: v for k, v in doc.items() if k != _CIPHERTEXT}
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _passphrase(path: Path, passphrase: str | bytes) -> bytes:
    if not passphrase:
        raise KeyFileError(f"{path}: no passphrase given")
    if isinstance(passphrase, str):
        # The same passphrase typed on another system may arrive in another Unicode form.
        return unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return bytes(passphrase)


def _derive(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _check_n(path: Path, n: object) -> int:
    if (
        not isinstance(n, int)
        or isinstance(n, bool)
        or n & (n - 1)
        or not (MIN_SCRYPT_N <= n <= MAX_SCRYPT_N)
    ):
        raise KeyFileError(f"{path}: scrypt n must be a power of two in [2**10, 2**20]")
    return n


def _encrypt(
    path: Path, header: dict[str, Any], plaintext: bytes, passphrase: str | bytes, n: int
) -> None:
    secret = _passphrase(path, passphrase)
    _check_n(path, n)
    salt, nonce = token_bytes(16), token_bytes(12)
    doc: dict[str, Any] = {
        **header,
        "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce)},
    }
    key = _derive(secret, salt, n, SCRYPT_R, SCRYPT_P)
    doc[_CIPHERTEXT] = _b64(AESGCM(key).encrypt(nonce, plaintext, _aad(doc)))
    atomic_write(path, _dump(doc))


def _load(path: Path, fmt: str) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_SIZE + 1)
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read key file ({exc.strerror})") from None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise KeyFileError(f"{path}: key file is corrupt (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise KeyFileError(f"{path}: not a {fmt} file")
    if _dump(doc) != raw:
        raise KeyFileError(f"{path}: key file was modified (not in canonical form)")
    return doc


def _field(path: Path, doc: Mapping[str, Any], name: str, kind: type) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind):
        raise KeyFileError(f"{path}: field {name!r} is missing or has the wrong type")
    return value


def _decrypt(path: Path, doc: dict[str, Any], passphrase: str | bytes) -> bytes:
    secret = _passphrase(path, passphrase)
    kdf = _field(path, doc, "kdf", dict)
    cipher = _field(path, doc, "cipher", dict)
    if kdf.get("name") != "scrypt" or cipher.get("name") != "AES-256-GCM":
        raise KeyFileError(f"{path}: unsupported kdf or cipher")
    n = _check_n(path, kdf.get("n"))
    r, p = kdf.get("r"), kdf.get("p")
    if not (isinstance(r, int) and isinstance(p, int) and 1 <= r <= 32 and 1 <= p <= 16):
        raise KeyFileError(f"{path}: scrypt r or p out of range")
    salt = _unb64(path, "kdf.salt", kdf.get("salt"))
    nonce = _unb64(path, "cipher.nonce", cipher.get("nonce"))
    ciphertext = _unb64(path, _CIPHERTEXT, doc.get(_CIPHERTEXT))
    if len(nonce) != 12 or len(salt) < 16:
        raise KeyFileError(f"{path}: bad nonce or salt length")
    try:
        return AESGCM(_derive(secret, salt, n, r, p)).decrypt(nonce, ciphertext, _aad(doc))
    except InvalidTag:
        # AES-GCM cannot tell these apart; say both so the operator knows where to look.
        raise KeyFileError(f"{path}: wrong passphrase, or the file was modified") from None


def _check_kind(path: Path, doc: Mapping[str, Any], kind: str | None) -> str:
    found: str = _field(path, doc, "kind", str)
    if kind is not None and found != kind:
        raise KeyFileError(f"{path}: holds a {found!r} key, expected {kind!r}")
    return found


def _public_from(path: Path, doc: Mapping[str, Any]) -> PublicKey:
    raw = _unb64(path, "public_key", doc.get("public_key"))
    try:
        public = PublicKey.from_bytes(raw)
    except ValueError as exc:
        raise KeyFileError(f"{path}: bad public key ({exc})") from None
    if public.key_id != doc.get("key_id"):
        raise KeyFileError(f"{path}: key_id does not match the public key")
    return public


def write_private_key(
    path: Path,
    keypair: KeyPair,
    kind: str,
    passphrase: str | bytes,
    *,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    created_at: str | None = None,
) -> None:
    """Write ``keypair`` to ``path``, its private part encrypted under ``passphrase``."""
    header = {
        "format": PRIVATE_FORMAT,
        "kind": kind,
        "key_id": keypair.key_id,
        "created_at": created_at or _now(),
        "public_key": _b64(keypair.public.to_bytes()),
    }
    _encrypt(Path(path), header, keypair.private_bytes(), passphrase, scrypt_n)


def read_private_key(path: Path, passphrase: str | bytes, *, kind: str | None = None) -> KeyPair:
    """Read and decrypt a private key file; KeyFileError says what is wrong with which file."""
    path = Path(path)
    doc = _load(path, PRIVATE_FORMAT)
    _check_kind(path, doc, kind)
    public = _public_from(path, doc)
    plain = _decrypt(path, doc, passphrase)
    try:
        keypair = KeyPair.from_private_bytes(plain)
    except ValueError:
        raise KeyFileError(f"{path}: decrypted private key is malformed") from None
    if keypair.public != public:
        raise KeyFileError(f"{path}: private key does not match its public key")
    return keypair


def write_public_key(
    path: Path, public: PublicKey, kind: str, *, created_at: str | None = None
) -> None:
    """Write a public key file (no secret inside)."""
    doc = {
        "format": PUBLIC_FORMAT,
        "kind": kind,
        "key_id": public.key_id,
        "created_at": created_at or _now(),
        "public_key": _b64(public.to_bytes()),
    }
    atomic_write(Path(path), _dump(doc))


def read_public_key(path: Path, *, kind: str | None = None) -> PublicKey:
    """Read a public key file, checking that its key id matches the key."""
    path = Path(path)
    doc = _load(path, PUBLIC_FORMAT)
    _check_kind(path, doc, kind)
    return _public_from(path, doc)


def write_secret_file(
    path: Path,
    secrets: Mapping[str, bytes],
    passphrase: str | bytes,
    *,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    created_at: str | None = None,
) -> None:
    """Write named install-wide secrets, encrypted under ``passphrase``."""
    body = json.dumps({k: _b64(v) for k, v in secrets.items()}, sort_keys=True)
    header = {"format": SECRETS_FORMAT, "kind": "secrets", "created_at": created_at or _now()}
    _encrypt(Path(path), header, body.encode("ascii"), passphrase, scrypt_n)


def read_secret_file(path: Path, passphrase: str | bytes) -> dict[str, bytes]:
    """Read and decrypt a file written by :func:`write_secret_file`."""
    path = Path(path)
    doc = _load(path, SECRETS_FORMAT)
    body = json.loads(_decrypt(path, doc, passphrase))
    if not isinstance(body, dict):
        raise KeyFileError(f"{path}: decrypted secrets are malformed")
    return {str(k): _unb64(path, str(k), v) for k, v in body.items()}


def read_header(path: Path) -> dict[str, str]:
    """Return the plain header fields of any tinbao key file (unauthenticated, for listings)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes()[:MAX_FILE_SIZE])
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found") from None
    except (OSError, ValueError):
        raise KeyFileError(f"{path}: key file is unreadable or corrupt") from None
    if not isinstance(doc, dict):
        raise KeyFileError(f"{path}: key file is corrupt")
    names = ("format", "kind", "key_id", "created_at")
    return {k: doc[k] for k in names if isinstance(doc.get(k), str)}
