"""`tinbao keys` and `tinbao backup` as an operator splitting bot and console hosts uses them."""

from __future__ import annotations

import tarfile
from pathlib import Path

from storage.crypto import KeyFileError, KeyStore
from tests.support.cli import tinbao

BOT = "the bot host's passphrase"
CONSOLE = "the console host's passphrase"
SPLIT = {"TINBAO_KEY_PASSPHRASE": BOT, "TINBAO_CONSOLE_KEY_PASSPHRASE": CONSOLE}


def _opens(store: KeyStore, kind: str, passphrase: str) -> bool:
    try:
        store.unlock(kind, passphrase)  # type: ignore[arg-type]
    except KeyFileError:
        return False
    return True


def test_init_with_two_passphrases_then_export_bot(tmp_path: Path) -> None:
    console_host, bot_host = tmp_path / "console-host", tmp_path / "bot-host"
    init = tinbao(["keys", "init"], console_host, **SPLIT)
    assert init.returncode == 0, init.stderr
    assert "One passphrase protects every key" not in init.stdout
    assert "export-bot" in init.stdout
    store = KeyStore(console_host / "keys")
    assert _opens(store, "console", CONSOLE) and not _opens(store, "console", BOT)
    assert _opens(store, "relay", BOT) and not _opens(store, "relay", CONSOLE)
    store.secrets(BOT)

    # Exporting needs no passphrase at all: the files stay encrypted.
    export = tinbao(["keys", "export-bot", str(bot_host)], console_host)
    assert export.returncode == 0, export.stderr
    assert f"to {bot_host / 'keys'}" in export.stdout
    assert "never the console key's passphrase" in export.stdout
    assert export.stderr == ""
    exported = {str(p.relative_to(bot_host / "keys")) for p in bot_host.rglob("*") if p.is_file()}
    console_id, relay_id = store.current_id("console"), store.current_id("relay")
    assert exported == {
        "secrets.key",
        "console/CURRENT",
        f"console/{console_id}.pub",
        "relay/CURRENT",
        f"relay/{relay_id}.key",
        f"relay/{relay_id}.pub",
    }
    again = tinbao(["keys", "export-bot", str(bot_host)], console_host)
    assert again.returncode == 1
    assert "not empty; not overwriting" in again.stderr

    nothing = tinbao(["keys", "export-bot", str(tmp_path / "x")], tmp_path / "empty")
    assert nothing.returncode == 1 and "tinbao keys init" in nothing.stderr


def test_one_passphrase_is_flagged_and_split_with_keys_passphrase(tmp_path: Path) -> None:
    init = tinbao(["keys", "init"], tmp_path, TINBAO_KEY_PASSPHRASE=BOT)
    assert init.returncode == 0, init.stderr
    assert "One passphrase protects every key" in init.stdout
    export = tinbao(
        ["keys", "export-bot", str(tmp_path / "out")], tmp_path, **{"TINBAO_KEY_PASSPHRASE": BOT}
    )
    assert export.returncode == 0, export.stderr
    assert "warning: TINBAO_KEY_PASSPHRASE also opens the console key" in export.stderr

    store = KeyStore(tmp_path / "keys")
    same = tinbao(
        ["keys", "passphrase", "--kind", "console", "--new-passphrase-stdin"],
        tmp_path,
        stdin=BOT + "\n",
        TINBAO_KEY_PASSPHRASE=BOT,
    )
    assert same.returncode == 1 and "must differ" in same.stderr
    short = tinbao(
        ["keys", "passphrase", "--kind", "console", "--new-passphrase-stdin"],
        tmp_path,
        stdin="short\n",
        TINBAO_KEY_PASSPHRASE=BOT,
    )
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    wrong = tinbao(
        ["keys", "passphrase", "--kind", "console", "--new-passphrase-stdin"],
        tmp_path,
        stdin=CONSOLE + "\n",
        TINBAO_KEY_PASSPHRASE="not the passphrase",
    )
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    assert _opens(store, "console", BOT)

    changed = tinbao(
        ["keys", "passphrase", "--kind", "console", "--new-passphrase-stdin"],
        tmp_path,
        stdin=CONSOLE + "\n",
        TINBAO_KEY_PASSPHRASE=BOT,
    )
    assert changed.returncode == 0, changed.stderr
    assert "TINBAO_CONSOLE_KEY_PASSPHRASE" in changed.stdout
    assert _opens(store, "console", CONSOLE) and not _opens(store, "console", BOT)
    assert _opens(store, "relay", BOT)
    store.secrets(BOT)
    # Now the export no longer warns.
    export = tinbao(["keys", "export-bot", str(tmp_path / "out2")], tmp_path, **SPLIT)
    assert export.returncode == 0 and export.stderr == ""


def test_rotation_asks_each_kind_for_its_own_passphrase(tmp_path: Path) -> None:
    assert tinbao(["keys", "init"], tmp_path, **SPLIT).returncode == 0
    store = KeyStore(tmp_path / "keys")
    console_id, relay_id = store.current_id("console"), store.current_id("relay")
    only_console = {"TINBAO_CONSOLE_KEY_PASSPHRASE": CONSOLE}
    rotated = tinbao(["keys", "rotate", "--kind", "console"], tmp_path, **only_console)
    assert rotated.returncode == 0, rotated.stderr
    assert "export-bot" in rotated.stdout
    assert store.current_id("console") != console_id
    assert _opens(store, "console", CONSOLE) and not _opens(store, "console", BOT)
    relay = tinbao(["keys", "rotate", "--kind", "relay"], tmp_path, **only_console)
    assert relay.returncode == 2
    assert relay.stderr.startswith("tinbao: configuration: TINBAO_KEY_PASSPHRASE: required")
    assert store.current_id("relay") == relay_id
    relay = tinbao(["keys", "rotate", "--kind", "relay"], tmp_path, TINBAO_KEY_PASSPHRASE=BOT)
    assert relay.returncode == 0, relay.stderr
    assert store.current_id("relay") != relay_id
    assert _opens(store, "relay", BOT) and not _opens(store, "relay", CONSOLE)


def _key_names(archive: Path) -> set[str]:
    with tarfile.open(archive) as tar:
        return {n.removeprefix("keys/") for n in tar.getnames() if n.startswith("keys/")}


def test_backup_with_and_without_the_console_key(tmp_path: Path) -> None:
    console_host, bot_host = tmp_path / "console-host", tmp_path / "bot-host"
    assert tinbao(["keys", "init"], console_host, **SPLIT).returncode == 0
    assert tinbao(["db", "upgrade"], console_host).returncode == 0
    console_key = f"console/{KeyStore(console_host / 'keys').current_id('console')}.key"

    full = tinbao(["backup", str(tmp_path / "full")], console_host)
    assert full.returncode == 0, full.stderr
    assert "holds the console private key" in full.stdout
    (archive,) = (tmp_path / "full").glob("tinbao-*.tar.gz")
    assert console_key in _key_names(archive) and "secrets.key" in _key_names(archive)

    explicit = tinbao(["backup", str(tmp_path / "explicit"), "--with-console-key"], console_host)
    assert explicit.returncode == 0, explicit.stderr
    (archive,) = (tmp_path / "explicit").glob("tinbao-*.tar.gz")
    assert console_key in _key_names(archive)

    without = tinbao(["backup", str(tmp_path / "without"), "--without-console-key"], console_host)
    assert without.returncode == 0, without.stderr
    assert "holds no console private key" in without.stdout
    (archive,) = (tmp_path / "without").glob("tinbao-*.tar.gz")
    names = _key_names(archive)
    assert not any(n.startswith("console/") and n.endswith(".key") for n in names)
    assert {"secrets.key", "console/CURRENT"} <= names

    both = tinbao(
        ["backup", str(tmp_path / "x"), "--with-console-key", "--without-console-key"],
        console_host,
    )
    assert both.returncode == 2 and "not allowed with" in both.stderr

    # A bot host has no console private key to include.
    assert tinbao(["keys", "export-bot", str(bot_host)], console_host).returncode == 0
    assert tinbao(["db", "upgrade"], bot_host).returncode == 0
    refused = tinbao(["backup", str(tmp_path / "bot"), "--with-console-key"], bot_host)
    assert refused.returncode == 1 and "no console private key" in refused.stderr
    assert not (tmp_path / "bot").exists()
