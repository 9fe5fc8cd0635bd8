"""Start-up: data dir, migrations, keys, and (for the demo) units and an admin."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.config import ConfigError, Settings
from storage import migrate, officers, units
from storage.core import Core, Vault
from storage.crypto import KeyFileError, KeyStore
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


def resolve_passphrase(settings: Settings, *, demo: bool) -> str:
    """The key passphrase: from the settings, or in demo mode one generated and kept aside."""
    if settings.key_passphrase:
        return settings.key_passphrase
    demo_file = settings.data_dir / DEMO_PASSPHRASE_FILE
    if not demo:
        raise ConfigError("TINBAO_KEY_PASSPHRASE: required to unlock the keys outside demo mode")
    if demo_file.exists():
        return demo_file.read_text(encoding="utf-8").strip()
    if key_store(settings).exists():
        raise ConfigError("TINBAO_KEY_PASSPHRASE: the keys exist but no passphrase was given")
    passphrase = "-".join(secrets.token_hex(3) for _ in range(4))
    _write_private_text(demo_file, passphrase + "\n")
    return passphrase


def ensure_keys(settings: Settings, passphrase: str) -> bool:
    """Create the key store on first run; True when it was created now."""
    store = key_store(settings)
    if store.exists():
        return False
    store.initialize(passphrase)
    return True


def load_vault(settings: Settings, passphrase: str, role: Role) -> Vault:
    """Public keys and secrets, plus the private rings this role may hold."""
    store = key_store(settings)
    try:
        return Vault(
            console_public=store.public_key("console"),
            relay_public=store.public_key("relay"),
            secrets=store.secrets(passphrase),
            console_ring=store.unlock("console", passphrase)
            if role in ("console", "all")
            else None,
            relay_ring=store.unlock("relay", passphrase) if role in ("bot", "all") else None,
        )
    except KeyFileError as exc:
        raise ConfigError(f"TINBAO_KEY_PASSPHRASE: cannot unlock the keys ({exc})") from None


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
    """Everything a process needs before it serves: run migrations, unlock keys, build the core."""
    ensure_data_dir(settings)
    passphrase = resolve_passphrase(settings, demo=demo)
    if await asyncio.to_thread(ensure_keys, settings, passphrase):
        say(f"Created encryption keys in {settings.data_dir / 'keys'}.")
        if demo:
            kept = settings.data_dir / DEMO_PASSPHRASE_FILE
            say(
                f"Demo key passphrase: {passphrase} (kept in {kept}; for real use set"
                " TINBAO_KEY_PASSPHRASE and create fresh keys)."
            )
    await migrate.upgrade(settings.resolved_database_url)
    vault = await asyncio.to_thread(load_vault, settings, passphrase, role)
    return Core(
        db=Database(settings.resolved_database_url), vault=vault, settings=core_settings(settings)
    )
