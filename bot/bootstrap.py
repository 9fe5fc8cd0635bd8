"""Start-up: data dir, migrations, keys, and (for the demo) units and an admin."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.config import ConfigError, Settings
from storage import migrate, officers, units
from storage.core import Core, Vault
from storage.crypto import KeyFileError, KeyKind, KeyStore
from storage.db import Database
from storage.settings import CoreSettings, ForumLimits, TipLimits

Role = Literal["bot", "console", "all", "none"]
DEMO_PASSPHRASE_FILE = "DEMO-PASSPHRASE.txt"  # noqa: S105 (a file name)
DEMO_CREDENTIALS_FILE = "DEMO-CREDENTIALS.txt"
DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    """How to sign in to a demo installation."""

    username: str
    password: str
    created_now: bool


def core_settings(settings: Settings) -> CoreSettings:
    """The part of the settings the core needs."""
    return CoreSettings(
        database_url=settings.resolved_database_url,
        data_dir=settings.data_dir,
        retention_days=settings.retention_days,
        limits=TipLimits(
            tips_per_hour=settings.tips_per_hour,
            tips_per_day=settings.tips_per_day,
            receipt_attempts_per_hour=settings.receipt_attempts_per_hour,
            attachments_per_tip=settings.attachments_per_tip,
            draft_minutes=settings.draft_minutes,
            follow_ups_per_hour=settings.follow_ups_per_hour,
        ),
        forum=ForumLimits(
            questions_per_hour=settings.forum_questions_per_hour,
            reports_to_hide=settings.forum_reports_to_hide,
        ),
    )


def key_store(settings: Settings) -> KeyStore:
    """The key directory of this installation."""
    return KeyStore(settings.data_dir / "keys")


def ensure_data_dir(settings: Settings) -> None:
    """Create the data dir, readable by its owner only."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"TINBAO_DATA_DIR: cannot create {settings.data_dir} ({exc})") from None


def _write_private_text(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@dataclass(frozen=True)
class Passphrases:
    """The passphrases a process was given: the bot's, and the console key's."""

    bot: str = field(default="", repr=False)
    console: str = field(default="", repr=False)


def needs(role: Role) -> tuple[tuple[KeyKind, ...], bool]:
    """Which private key kinds a role unlocks, and whether it reads the install secrets."""
    private: dict[Role, tuple[KeyKind, ...]] = {
        "bot": ("relay",),
        "console": ("console",),
        "all": ("console", "relay"),
        "none": (),
    }
    return private[role], role in ("bot", "all")


def resolve_passphrases(settings: Settings, role: Role, *, demo: bool) -> Passphrases:
    """The passphrases this role needs: from the settings, or in demo mode one generated."""
    private, with_secrets = needs(role)
    bot_needed = "relay" in private or with_secrets
    console_needed = "console" in private
    if demo and not settings.key_passphrase:
        # One generated passphrase, kept in the data dir, for everything but a console
        # passphrase given explicitly.
        shared = _demo_passphrase(settings)
        return Passphrases(bot=shared, console=settings.console_key_passphrase or shared)
    if bot_needed and not settings.key_passphrase:
        raise ConfigError(
            "TINBAO_KEY_PASSPHRASE: required to unlock the bot's keys (relay key, install"
            " secrets) outside demo mode"
        )
    if console_needed and not settings.console_passphrase:
        raise ConfigError(
            "TINBAO_CONSOLE_KEY_PASSPHRASE: required to unlock the console key outside demo"
            " mode (or TINBAO_KEY_PASSPHRASE when one passphrase protects every key)"
        )
    return Passphrases(
        bot=settings.key_passphrase if bot_needed else "",
        console=settings.console_passphrase if console_needed else "",
    )


def _demo_passphrase(settings: Settings) -> str:
    demo_file = settings.data_dir / DEMO_PASSPHRASE_FILE
    if demo_file.exists():
        return demo_file.read_text(encoding="utf-8").strip()
    if key_store(settings).exists():
        raise ConfigError("TINBAO_KEY_PASSPHRASE: the keys exist but no passphrase was given")
    passphrase = "-".join(secrets.token_hex(3) for _ in range(4))
    _write_private_text(demo_file, passphrase + "\n")
    return passphrase


def ensure_keys(settings: Settings, passphrases: Passphrases) -> bool:
    """Create the key store on first run (demo mode only); True when it was created now."""
    store = key_store(settings)
    if store.exists():
        return False
    store.initialize(passphrases.bot, console_passphrase=passphrases.console or None)
    return True


def check_key_files(settings: Settings, role: Role) -> None:
    """Stop with one line when this host lacks a key file the role needs; never create one."""
    store = key_store(settings)
    private, with_secrets = needs(role)
    try:
        absent = store.missing(private=private, secrets=with_secrets)
    except KeyFileError as exc:
        raise ConfigError(f"TINBAO_DATA_DIR: {exc}") from None
    if not absent:
        return
    what = "no keys" if not store.exists() else f"missing {', '.join(absent)}"
    if role == "bot":
        fix = (
            "a bot host needs the relay key, the install secrets and the console's public"
            " key: on the console host run `tinbao keys export-bot DIR` and copy DIR into"
            " this host's TINBAO_DATA_DIR (bot and console on one host: `tinbao keys init`)"
        )
    elif not store.exists():
        fix = (
            "run `tinbao keys init` on the console host (a host that runs only the bot gets"
            " its keys from `tinbao keys export-bot DIR` there)"
        )
    else:
        fix = (
            "the console runs where `tinbao keys init` ran, or from a backup of its keys;"
            " `tinbao keys export-bot DIR` gives a bot host no console private key"
        )
    raise ConfigError(f"TINBAO_DATA_DIR: {what} in {store.directory}; {fix}")


def load_vault(settings: Settings, passphrases: Passphrases, role: Role) -> Vault:
    """Public keys, plus the private rings and secrets this role may hold, nothing more."""
    store = key_store(settings)
    private, with_secrets = needs(role)
    try:
        vault = Vault(
            console_public=store.public_key("console"),
            relay_public=store.public_key("relay"),
        )
    except KeyFileError as exc:
        raise ConfigError(f"TINBAO_DATA_DIR: cannot read the public keys ({exc})") from None
    try:
        if with_secrets:
            vault.secrets = store.secrets(passphrases.bot)
        if "relay" in private:
            vault.relay_ring = store.unlock("relay", passphrases.bot)
    except KeyFileError as exc:
        raise ConfigError(f"TINBAO_KEY_PASSPHRASE: cannot unlock the bot's keys ({exc})") from None
    if "console" in private:
        try:
            vault.console_ring = store.unlock("console", passphrases.console)
        except KeyFileError as exc:
            name = settings.console_passphrase_name
            raise ConfigError(f"{name}: cannot unlock the console key ({exc})") from None
    return vault


async def ensure_demo_content(settings: Settings, db: Database) -> DemoLogin | None:
    """Demo units and an admin account, only on an empty installation."""
    async with db.read() as session:
        if await units.count_units(session) == 0:
            await units.import_units_file(db, units.DEMO_UNITS_CSV)
    credentials = settings.data_dir / DEMO_CREDENTIALS_FILE
    if await officers.count_officers(db) == 0:
        password = secrets.token_urlsafe(12)
        await officers.add_officer(
            db,
            username=DEMO_ADMIN,
            password=password,
            roles=("admin", "triage", "moderator", "broadcaster"),
            unit_code="LS",
            display_name="Quản trị (demo)",
            actor="bootstrap",
        )
        _write_private_text(credentials, f"{DEMO_ADMIN}\n{password}\n")
        return DemoLogin(DEMO_ADMIN, password, created_now=True)
    if credentials.exists():
        username, password = credentials.read_text(encoding="utf-8").split()[:2]
        return DemoLogin(username, password, created_now=False)
    return None


async def open_core(
    settings: Settings,
    role: Role,
    *,
    demo: bool = False,
    say: Callable[[str], None] = print,
) -> Core:
    """Everything a process needs before it serves: run migrations, unlock keys, build the core.

    Keys are created here only in demo mode; anywhere else a missing key file stops
    start-up with the command that provides it (`tinbao keys init` / `keys export-bot`).
    """
    ensure_data_dir(settings)
    if demo:
        passphrases = resolve_passphrases(settings, "all", demo=True)
        if await asyncio.to_thread(ensure_keys, settings, passphrases):
            say(f"Created encryption keys in {settings.data_dir / 'keys'}.")
            kept = settings.data_dir / DEMO_PASSPHRASE_FILE
            if not settings.key_passphrase:  # generated: say where it is kept
                say(
                    f"Demo key passphrase: {passphrases.bot} (kept in {kept}; for real use set"
                    " TINBAO_KEY_PASSPHRASE and create fresh keys with `tinbao keys init`)."
                )
    check_key_files(settings, role)
    passphrases = resolve_passphrases(settings, role, demo=demo)
    await migrate.upgrade(settings.resolved_database_url)
    vault = await asyncio.to_thread(load_vault, settings, passphrases, role)
    return Core(
        db=Database(settings.resolved_database_url), vault=vault, settings=core_settings(settings)
    )
