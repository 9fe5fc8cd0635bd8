"""The data itself: database migrations, the unit tree, retention and backups."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from pathlib import Path

from bot.commands.common import CommandFailed, database
from bot.config import Settings


async def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    """Apply the database migrations."""
    from bot.bootstrap import ensure_data_dir
    from storage import migrate

    ensure_data_dir(settings)
    await migrate.upgrade(settings.resolved_database_url)
    revision = await migrate.current_revision(settings.resolved_database_url)
    print(f"Database is at revision {revision}.")


async def cmd_unit_import(settings: Settings, args: argparse.Namespace) -> None:
    """Import the unit tree from CSV."""
    from storage import units

    path = Path(args.file)
    db = await database(settings)
    try:
        report = await units.import_units_file(db, path)
    except (FileNotFoundError, IsADirectoryError):
        raise CommandFailed(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CommandFailed(f"{path}: not UTF-8 text") from None
    finally:
        await db.dispose()
    print(f"Imported {path}: {report.created} units created, {report.updated} updated.")


async def cmd_purge(settings: Settings, args: argparse.Namespace) -> None:
    """Delete closed tips whose retention period has passed (kept when on legal hold)."""
    from storage import retention

    db = await database(settings)
    try:
        if args.dry_run:
            report = await retention.due(db)
            print(f"{report.purged} closed tips are past retention and would be deleted;", end=" ")
        else:
            report = await retention.purge_due(db, actor="cli")
            print(f"Deleted {report.purged} closed tips past retention;", end=" ")
    finally:
        await db.dispose()
    print(f"{report.held} kept on legal hold (retention: {settings.retention_days} days).")


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    """Archive the database and the key files (the console private key as chosen)."""
    from bot.bootstrap import key_store
    from storage import backup

    store = key_store(settings)
    if args.console_key is True and store.missing(private=("console",)):
        raise CommandFailed(
            f"--with-console-key: no console private key in {store.directory} (this host"
            " holds only the bot's keys)"
        )
    try:
        report = await asyncio.to_thread(
            backup.make_backup,
            settings.resolved_database_url,
            store.directory,
            Path(args.destination),
            console_private_key=args.console_key is not False,
        )
    except (backup.BackupError, sqlite3.Error, OSError) as exc:
        raise CommandFailed(f"backup failed: {exc}") from None
    print(
        f"Wrote {report.path} (database {report.database_bytes:,} bytes,"
        f" {report.key_files} key files)."
    )
    if report.console_private_key:
        print(
            "It holds the console private key, which opens every tip with the console"
            " passphrase: store it apart from the bot host and its passphrase."
        )
    else:
        print("It holds no console private key: back that key up on its own (see README).")
    print("The key files inside are protected by the passphrases; keep the archive safe anyway.")
