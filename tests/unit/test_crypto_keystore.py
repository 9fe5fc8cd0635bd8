"""The key directory: init, rotation, retirement, a bot host holding only public keys."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from storage.crypto import KeyFileError, KeyStore, SealError, reseal, seal

N = 2**10
PASS = "correct horse battery staple"
CTX = b"tinbao/tip/v1/1"


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    s = KeyStore(tmp_path / "data" / "keys", scrypt_n=N)
    s.initialize(PASS)
    return s


def test_initialize_creates_private_files(store: KeyStore) -> None:
    assert store.exists()
    files = [p for p in store.directory.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"CURRENT", "secrets.key"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for d in (store.directory, store.directory / "console", store.directory / "relay"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert not any(p.name.startswith(".") for p in store.directory.rglob("*"))


def test_initialize_refuses_to_overwrite(store: KeyStore) -> None:
    before = store.public_key("console")
    with pytest.raises(KeyFileError, match="already exists"):
        store.initialize(PASS)
    assert store.public_key("console") == before


def test_empty_directory_does_not_exist(tmp_path: Path) -> None:
    assert not KeyStore(tmp_path / "keys").exists()


def test_public_key_needs_no_passphrase_and_matches_unlock(store: KeyStore) -> None:
    for kind in ("console", "relay"):
        ring = store.unlock(kind, PASS)
        assert ring.public == store.public_key(kind)
    assert store.public_key("console") != store.public_key("relay")


def test_wrong_passphrase(store: KeyStore) -> None:
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.unlock("console", "nope")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.secrets("nope")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.rotate("console", "nope")
    assert len(store.key_ids("console")) == 1


def test_secrets(store: KeyStore) -> None:
    s = store.secrets(PASS)
    assert len(s.pseudonym_key) == 32 and len(s.receipt_salt) >= 16
    assert s.pseudonym_key != s.receipt_salt
    assert s.pseudonym_key.hex() not in repr(s)
    assert store.secrets(PASS) == s


def test_rotation_reseal_and_retire(store: KeyStore) -> None:
    old_public = store.public_key("console")
    blob = seal(old_public, b"tip sealed before rotation", CTX)

    new_id = store.rotate("console", PASS)
    assert new_id != old_public.key_id
    assert store.current_id("console") == new_id
    assert store.public_key("console").key_id == new_id

    ring = store.unlock("console", PASS)
    assert set(ring.key_ids) == {old_public.key_id, new_id}
    assert ring.open(old_public.key_id, blob, CTX) == b"tip sealed before rotation"
    moved = reseal(ring, old_public.key_id, blob, CTX, ring.public)

    with pytest.raises(KeyFileError, match="current"):
        store.retire("console", new_id)
    store.retire("console", old_public.key_id)
    ring = store.unlock("console", PASS)
    assert ring.key_ids == (new_id,)
    assert ring.open(new_id, moved, CTX) == b"tip sealed before rotation"
    with pytest.raises(SealError):
        ring.open(old_public.key_id, blob, CTX)
    with pytest.raises(KeyFileError, match="no console key"):
        store.retire("console", old_public.key_id)


def test_bad_kind_and_key_id(store: KeyStore) -> None:
    with pytest.raises(KeyFileError, match="unknown key kind"):
        store.public_key("tips")  # type: ignore[arg-type]
    with pytest.raises(KeyFileError, match="not a key id"):
        store.retire("console", "../secrets")


def test_bot_host_with_only_public_console_key(store: KeyStore, tmp_path: Path) -> None:
    bot_keys = tmp_path / "bot" / "keys"
    shutil.copytree(store.directory, bot_keys)
    for p in (bot_keys / "console").glob("*.key"):
        p.unlink()
    bot = KeyStore(bot_keys, scrypt_n=N)
    blob = seal(bot.public_key("console"), b"tip", CTX)
    assert bot.unlock("relay", PASS).public == store.public_key("relay")
    with pytest.raises(KeyFileError, match="only the public key"):
        bot.unlock("console", PASS)
    assert store.unlock("console", PASS).current.key_id == bot.public_key("console").key_id
    assert store.unlock("console", PASS).open(bot.current_id("console"), blob, CTX) == b"tip"


def test_change_passphrase(store: KeyStore) -> None:
    store.rotate("relay", PASS)
    secrets_before = store.secrets(PASS)
    ids_before = store.unlock("relay", PASS).key_ids
    with pytest.raises(KeyFileError):
        store.change_passphrase("nope", "new passphrase")
    store.change_passphrase(PASS, "new passphrase")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.unlock("console", PASS)
    assert store.unlock("relay", "new passphrase").key_ids == ids_before
    store.unlock("console", "new passphrase")
    assert store.secrets("new passphrase") == secrets_before
