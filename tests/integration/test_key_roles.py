"""Each process unlocks only what its role needs, and never makes keys outside demo mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import open_core
from bot.config import ConfigError, Settings, load_settings
from storage import residents, tips
from storage.core import Core, KeyUnavailable
from storage.crypto import KeyStore

N = 2**10
BOT = "the bot host's passphrase"
CONSOLE = "the console host's passphrase"


def _settings(data_dir: Path, **env: str) -> Settings:
    return load_settings({"TINBAO_DATA_DIR": str(data_dir)} | env)


def _console_host(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "console-host" / "keys", scrypt_n=N)
    store.initialize(BOT, console_passphrase=CONSOLE)
    return store


async def _open(settings: Settings, role: str, *, demo: bool = False) -> Core:
    return await open_core(settings, role, demo=demo, say=lambda _: None)  # type: ignore[arg-type]


async def test_console_role_needs_only_the_console_passphrase_and_gets_no_secrets(
    tmp_path: Path,
) -> None:
    store = _console_host(tmp_path)
    settings = _settings(store.directory.parent, TINBAO_CONSOLE_KEY_PASSPHRASE=CONSOLE)
    core = await _open(settings, "console")
    try:
        assert core.vault.require_console().public == store.public_key("console")
        assert core.vault.relay_ring is None and core.vault.secrets is None
        # Officers cannot turn a Telegram user id into a resident's pseudonym, nor test a
        # receipt: the console process has neither the pseudonym key nor the receipt salt.
        with pytest.raises(KeyUnavailable, match="install secrets"):
            residents.resident_key(core, "language", 123456789)
        with pytest.raises(KeyUnavailable, match="install secrets"):
            await tips.unlock_with_receipt(core, "ABCD-EFGH-JKMN-PQRS-TVWX")
        with pytest.raises(KeyUnavailable, match="relay"):
            core.vault.require_relay()
    finally:
        await core.db.dispose()


async def test_bot_role_runs_on_the_exported_keys_with_the_bot_passphrase_only(
    tmp_path: Path,
) -> None:
    store = _console_host(tmp_path)
    bot_host = tmp_path / "bot-host"
    store.export_bot(bot_host / "keys")
    core = await _open(_settings(bot_host, TINBAO_KEY_PASSPHRASE=BOT), "bot")
    try:
        assert core.vault.console_ring is None
        assert core.vault.require_relay().public == store.public_key("relay")
        assert core.vault.require_secrets() == store.secrets(BOT)
        assert core.vault.console_public == store.public_key("console")
        with pytest.raises(KeyUnavailable, match="console"):
            core.vault.require_console()
    finally:
        await core.db.dispose()
    # The same material cannot run a console: it has no console private key.
    with pytest.raises(ConfigError) as caught:
        await _open(
            _settings(bot_host, TINBAO_KEY_PASSPHRASE=BOT, TINBAO_CONSOLE_KEY_PASSPHRASE=CONSOLE),
            "console",
        )
    message = str(caught.value)
    assert message.startswith(f"TINBAO_DATA_DIR: missing console/{store.current_id('console')}.key")
    assert "`tinbao keys init`" in message and "\n" not in message


@pytest.mark.parametrize(
    ("role", "advice"),
    [
        ("bot", "on the console host run `tinbao keys export-bot DIR`"),
        ("console", "run `tinbao keys init` on the console host"),
        ("all", "run `tinbao keys init` on the console host"),
    ],
)
async def test_no_keys_stops_with_one_line_and_creates_nothing(
    tmp_path: Path, role: str, advice: str
) -> None:
    settings = _settings(tmp_path, TINBAO_KEY_PASSPHRASE=BOT)
    with pytest.raises(ConfigError) as caught:
        await _open(settings, role)
    message = str(caught.value)
    assert message.startswith(f"TINBAO_DATA_DIR: no keys in {tmp_path / 'keys'}; ")
    assert advice in message and "\n" not in message
    assert not (tmp_path / "keys").exists()
    assert not (tmp_path / "DEMO-PASSPHRASE.txt").exists()


async def test_a_half_copied_bot_host_names_the_missing_files(tmp_path: Path) -> None:
    store = _console_host(tmp_path)
    bot_host = tmp_path / "bot-host"
    store.export_bot(bot_host / "keys")
    (bot_host / "keys" / "secrets.key").unlink()
    with pytest.raises(ConfigError, match=r"missing secrets\.key in .*export-bot"):
        await _open(_settings(bot_host, TINBAO_KEY_PASSPHRASE=BOT), "bot")


async def test_each_wrong_passphrase_is_named(tmp_path: Path) -> None:
    store = _console_host(tmp_path)
    data_dir = store.directory.parent
    with pytest.raises(ConfigError, match=r"^TINBAO_CONSOLE_KEY_PASSPHRASE: cannot unlock"):
        await _open(
            _settings(data_dir, TINBAO_KEY_PASSPHRASE=BOT, TINBAO_CONSOLE_KEY_PASSPHRASE=BOT),
            "all",
        )
    # Unset, the console key falls back to the key passphrase: the message says which.
    with pytest.raises(ConfigError, match=r"^TINBAO_KEY_PASSPHRASE: cannot unlock the console"):
        await _open(_settings(data_dir, TINBAO_KEY_PASSPHRASE=BOT), "all")
    with pytest.raises(ConfigError, match=r"^TINBAO_KEY_PASSPHRASE: cannot unlock the bot's"):
        await _open(_settings(data_dir, TINBAO_KEY_PASSPHRASE=CONSOLE), "bot")
    with pytest.raises(ConfigError, match=r"^TINBAO_KEY_PASSPHRASE: required"):
        await _open(_settings(data_dir, TINBAO_CONSOLE_KEY_PASSPHRASE=CONSOLE), "bot")
    with pytest.raises(ConfigError, match=r"^TINBAO_CONSOLE_KEY_PASSPHRASE: required"):
        await _open(_settings(data_dir), "console")
    core = await _open(
        _settings(data_dir, TINBAO_KEY_PASSPHRASE=BOT, TINBAO_CONSOLE_KEY_PASSPHRASE=CONSOLE),
        "all",
    )
    try:
        assert core.vault.console_ring and core.vault.relay_ring and core.vault.secrets
    finally:
        await core.db.dispose()


async def test_demo_mode_makes_one_passphrase_keys_and_reuses_them(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = await _open(settings, "all", demo=True)
    await first.db.dispose()
    passphrase = (tmp_path / "DEMO-PASSPHRASE.txt").read_text().strip()
    store = KeyStore(tmp_path / "keys")
    store.unlock("console", passphrase)
    store.unlock("relay", passphrase)
    again = await _open(settings, "all", demo=True)
    try:
        assert again.vault.console_public == first.vault.console_public
        assert again.vault.require_secrets() == first.vault.require_secrets()
    finally:
        await again.db.dispose()
