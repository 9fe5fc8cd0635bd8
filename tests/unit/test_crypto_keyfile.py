"""Passphrase-protected key files: round trips, permissions, tampering, wrong passphrase."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from storage.crypto import (
    KeyFileError,
    KeyPair,
    read_private_key,
    read_public_key,
    read_secret_file,
    write_private_key,
    write_public_key,
    write_secret_file,
)

N = 2**10  # tests only; the default is 2**17
PASS = "hai con mèo ngồi trên mái nhà"


@pytest.fixture(scope="module")
def keypair() -> KeyPair:
    return KeyPair.generate()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_key_round_trip(tmp_path: Path, keypair: KeyPair) -> None:
    path = tmp_path / "keys" / "console" / f"{keypair.key_id}.key"
    write_private_key(path, keypair, "console", PASS, scrypt_n=N)
    again = read_private_key(path, PASS, kind="console")
    assert again.key_id == keypair.key_id
    assert again.private_bytes() == keypair.private_bytes()
    doc = json.loads(path.read_text())
    assert doc["format"] == "tinbao-key/1"
    assert doc["kind"] == "console"
    assert doc["key_id"] == keypair.key_id
    assert doc["kdf"]["n"] == N
    assert list(tmp_path.glob("keys/console/.*")) == []  # no temp files left behind


def test_files_are_private_and_hold_no_raw_private_bytes(tmp_path: Path, keypair: KeyPair) -> None:
    path = tmp_path / "keys" / "console" / "k.key"
    write_private_key(path, keypair, "console", PASS, scrypt_n=N)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o700
    data = path.read_bytes()
    private = keypair.private_bytes()
    for part in (private, private[:64], private[64:]):
        assert part not in data
        assert part.hex().encode() not in data
        assert base64.b64encode(part)[:40] not in data
    assert PASS.encode() not in data


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path, keypair: KeyPair) -> None:
    path = tmp_path / "console.key"
    write_private_key(path, keypair, "console", PASS, scrypt_n=N)
    with pytest.raises(KeyFileError) as info:
        read_private_key(path, "wrong horse battery")
    message = str(info.value)
    assert str(path) in message
    assert "wrong passphrase" in message
    assert "wrong horse" not in message and PASS not in message
    with pytest.raises(KeyFileError, match="no passphrase"):
        read_private_key(path, "")


def test_every_tampered_byte_fails(tmp_path: Path, keypair: KeyPair) -> None:
    path = tmp_path / "console.key"
    write_private_key(path, keypair, "console", PASS, scrypt_n=N)
    original = path.read_bytes()
    for i in range(len(original)):
        bad = bytearray(original)
        bad[i] ^= 0x01
        path.write_bytes(bytes(bad))
        with pytest.raises(KeyFileError):
            read_private_key(path, PASS)
    path.write_bytes(original + b" ")
    with pytest.raises(KeyFileError):
        read_private_key(path, PASS)


def test_missing_and_wrong_kind(tmp_path: Path, keypair: KeyPair) -> None:
    with pytest.raises(KeyFileError, match="not found"):
        read_private_key(tmp_path / "nope.key", PASS)
    path = tmp_path / "relay.key"
    write_private_key(path, keypair, "relay", PASS, scrypt_n=N)
    with pytest.raises(KeyFileError, match="expected 'console'"):
        read_private_key(path, PASS, kind="console")
    with pytest.raises(KeyFileError, match="not a tinbao-public-key/1"):
        read_public_key(path)


def test_hostile_scrypt_cost_is_refused(tmp_path: Path, keypair: KeyPair) -> None:
    path = tmp_path / "console.key"
    write_private_key(path, keypair, "console", PASS, scrypt_n=N)
    doc = json.loads(path.read_text())
    doc["kdf"]["n"] = 2**30
    path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    with pytest.raises(KeyFileError, match="scrypt n"):
        read_private_key(path, PASS)


def test_public_key_round_trip(tmp_path: Path, keypair: KeyPair) -> None:
    path = tmp_path / "console.pub"
    write_public_key(path, keypair.public, "console")
    assert read_public_key(path, kind="console") == keypair.public
    assert _mode(path) == 0o600
    doc = json.loads(path.read_text())
    doc["key_id"] = "0" * 16
    path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    with pytest.raises(KeyFileError, match="key_id"):
        read_public_key(path)


def test_secret_file_round_trip_and_tamper(tmp_path: Path) -> None:
    path = tmp_path / "secrets.key"
    values = {"pseudonym_key": b"\x01" * 32, "receipt_salt": b"\x02" * 16}
    write_secret_file(path, values, PASS, scrypt_n=N)
    assert read_secret_file(path, PASS) == values
    assert _mode(path) == 0o600
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        read_secret_file(path, "nope")
    doc = json.loads(path.read_text())
    doc["created_at"] = "2000-01-01T00:00:00Z"
    path.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")
    with pytest.raises(KeyFileError):
        read_secret_file(path, PASS)
