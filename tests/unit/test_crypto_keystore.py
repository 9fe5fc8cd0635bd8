"""The key directory: init, rotation, retirement, two passphrases, a bot host's export."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage.crypto import KeyFileError, KeyStore, SealError, reseal, seal

N = 2**10
PASS = "correct horse battery staple"
BOT = "the bot host's passphrase"
CONSOLE = "the console host's own passphrase"
CTX = b"tinbao/tip/v1/1"


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    """A single-host store: one passphrase for every key."""
    s = KeyStore(tmp_path / "data" / "keys", scrypt_n=N)
    s.initialize(PASS)
    return s


@pytest.fixture
def split(tmp_path: Path) -> KeyStore:
    """A store for a split deployment: the console key has a passphrase of its own."""
    s = KeyStore(tmp_path / "console-host" / "keys", scrypt_n=N)
    s.initialize(BOT, console_passphrase=CONSOLE)
    return s


def _snapshot(store: KeyStore) -> dict[str, bytes]:
    return {
        str(p.relative_to(store.directory)): p.read_bytes()
        for p in store.directory.rglob("*")
        if p.is_file()
    }


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


def test_change_passphrase_of_the_bot_material(store: KeyStore) -> None:
    store.rotate("relay", PASS)
    secrets_before = store.secrets(PASS)
    ids_before = store.unlock("relay", PASS).key_ids
    files_before = _snapshot(store)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.change_passphrase("relay", "nope", "new passphrase")
    assert _snapshot(store) == files_before
    store.change_passphrase("relay", PASS, "new passphrase")
    assert store.unlock("relay", "new passphrase").key_ids == ids_before
    assert store.secrets("new passphrase") == secrets_before
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.secrets(PASS)
    # The console key keeps its passphrase: this is how a single-host store is split.
    store.unlock("console", PASS)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.unlock("console", "new passphrase")


def test_change_passphrase_of_the_console_key(store: KeyStore) -> None:
    store.rotate("console", PASS)
    ids_before = store.unlock("console", PASS).key_ids
    relay_and_secrets = {k: v for k, v in _snapshot(store).items() if not k.startswith("console")}
    store.change_passphrase("console", PASS, CONSOLE)
    assert store.unlock("console", CONSOLE).key_ids == ids_before
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        store.unlock("console", PASS)
    # The bot's material is untouched, byte for byte, and still opens with its passphrase.
    after = _snapshot(store)
    assert {k: after[k] for k in relay_and_secrets} == relay_and_secrets
    store.unlock("relay", PASS)
    store.secrets(PASS)


def test_two_passphrases_each_open_only_their_own_keys(split: KeyStore) -> None:
    assert split.unlock("console", CONSOLE).public == split.public_key("console")
    assert split.unlock("relay", BOT).public == split.public_key("relay")
    split.secrets(BOT)
    # The bot host's passphrase must not open the console key, from any copy of the file.
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.unlock("console", BOT)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.rotate("console", BOT)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.change_passphrase("console", BOT, "another passphrase")
    # Nor does the console passphrase open the bot's material.
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.unlock("relay", CONSOLE)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.secrets(CONSOLE)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.rotate("relay", CONSOLE)
    assert len(split.key_ids("console")) == len(split.key_ids("relay")) == 1


def test_rotation_keeps_each_kind_under_its_passphrase(split: KeyStore) -> None:
    new_console = split.rotate("console", CONSOLE)
    new_relay = split.rotate("relay", BOT)
    assert split.unlock("console", CONSOLE).current.key_id == new_console
    assert split.unlock("relay", BOT).current.key_id == new_relay
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        split.unlock("console", BOT)


def test_missing_names_what_each_role_lacks(split: KeyStore, tmp_path: Path) -> None:
    assert split.missing(private=("console", "relay"), secrets=True) == []
    console_id, relay_id = split.current_id("console"), split.current_id("relay")
    empty = KeyStore(tmp_path / "nothing")
    assert empty.missing(private=("relay",), secrets=True) == [
        "console/CURRENT",
        "relay/CURRENT",
        "secrets.key",
    ]
    bot = KeyStore(tmp_path / "bot" / "keys", scrypt_n=N)
    split.export_bot(bot.directory)
    assert bot.missing(private=("relay",), secrets=True) == []
    assert bot.missing(private=("console",)) == [f"console/{console_id}.key"]
    (bot.directory / "relay" / f"{relay_id}.key").unlink()
    (bot.directory / "secrets.key").unlink()
    assert bot.missing(private=("relay",), secrets=True) == [f"relay/{relay_id}.key", "secrets.key"]


def test_export_bot_holds_no_console_private_key(split: KeyStore, tmp_path: Path) -> None:
    old_console = split.current_id("console")
    split.rotate("console", CONSOLE)
    split.rotate("relay", BOT)
    target = tmp_path / "bot-host" / "data" / "keys"
    names = split.export_bot(target)

    exported = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert exported == {str(n) for n in names}
    assert not any(n.startswith("console/") and n.endswith(".key") for n in exported)
    expected = {"secrets.key", "relay/CURRENT", "console/CURRENT"}
    expected |= {f"relay/{i}.key" for i in split.key_ids("relay")}
    expected |= {f"relay/{i}.pub" for i in split.key_ids("relay")}
    expected |= {f"console/{i}.pub" for i in split.key_ids("console")}
    assert exported == expected
    for name in exported:  # byte for byte, private to the owner
        assert (target / name).read_bytes() == (split.directory / name).read_bytes()
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600
    for d in (target, target / "console", target / "relay"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert not any(p.name.startswith(".") for p in target.parent.rglob("*"))

    # The exported store is all a bot needs, and it cannot open a tip.
    bot = KeyStore(target, scrypt_n=N)
    assert bot.unlock("relay", BOT).key_ids == split.unlock("relay", BOT).key_ids
    assert bot.secrets(BOT) == split.secrets(BOT)
    assert bot.public_key("console") == split.public_key("console")
    blob = seal(bot.public_key("console"), b"tip", CTX)
    with pytest.raises(KeyFileError, match="only the public key"):
        bot.unlock("console", CONSOLE)
    with pytest.raises(KeyFileError, match="only the public key"):
        bot.rotate("console", CONSOLE)
    assert bot.key_ids("console") == split.key_ids("console")
    assert old_console in bot.key_ids("console")
    assert split.unlock("console", CONSOLE).open(bot.current_id("console"), blob, CTX) == b"tip"


def test_export_bot_never_overwrites(split: KeyStore, tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="this key store itself"):
        split.export_bot(split.directory)
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("keep me")
    with pytest.raises(KeyFileError, match="not empty"):
        split.export_bot(full)
    assert [p.name for p in full.iterdir()] == ["something"]
    empty = tmp_path / "empty"
    empty.mkdir()
    split.export_bot(empty)
    assert (empty / "secrets.key").exists()


def test_export_bot_from_a_store_without_the_bot_material(split: KeyStore, tmp_path: Path) -> None:
    (split.directory / "secrets.key").unlink()
    target = tmp_path / "out" / "keys"
    with pytest.raises(KeyFileError, match=r"missing secrets\.key"):
        split.export_bot(target)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_files_for_a_backup_with_and_without_the_console_key(split: KeyStore) -> None:
    every = {str(p.relative_to(split.directory)) for p in split.files()}
    assert f"console/{split.current_id('console')}.key" in every
    without = {str(p.relative_to(split.directory)) for p in split.files(console_private=False)}
    assert every - without == {f"console/{split.current_id('console')}.key"}
    assert "secrets.key" in without and f"console/{split.current_id('console')}.pub" in without
