"""The `tinbao` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sqlite3
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from storage.crypto import KeyKind

EXIT_USAGE = 2
EXIT_FAILED = 1


class CommandFailed(Exception):
    """An operator error worth one line, not a traceback."""


def configure_logging(level: str) -> None:
    """Plain logs to stderr; HTTP client logs held back because their URLs carry the token."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "aiohttp.access", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _passphrase(settings: Settings, *, confirm: bool) -> str:
    if settings.key_passphrase:
        return settings.key_passphrase
    if not sys.stdin.isatty():
        raise ConfigError("TINBAO_KEY_PASSPHRASE: required (no terminal to ask on)")
    first = getpass.getpass("Key passphrase: ")
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise CommandFailed("the two passphrases differ")
    if len(first) < 12:
        raise CommandFailed("the passphrase must have at least 12 characters")
    return first


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandFailed("give the password on standard input with --password-stdin")
    first = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise CommandFailed("the two passwords differ")
    return first


# ---- commands -----------------------------------------------------------------------


async def cmd_run(settings: Settings, args: argparse.Namespace) -> None:
    """Bot and console; the sandbox as well when no bot token is set."""
    from bot.runner import Parts, run

    parts = Parts(bot=True, console=True, sandbox=not settings.bot_token)
    await run(settings, parts)


async def cmd_bot(settings: Settings, args: argparse.Namespace) -> None:
    """The bot alone (long polling)."""
    from bot.runner import Parts, run

    if not settings.bot_token:
        raise ConfigError("TINBAO_BOT_TOKEN: required for `tinbao bot`")
    await run(settings, Parts(bot=True, console=False, sandbox=False))


async def cmd_console(settings: Settings, args: argparse.Namespace) -> None:
    """The console alone."""
    from bot.runner import Parts, run

    await run(settings, Parts(bot=False, console=True, sandbox=False))


async def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> None:
    """The sandbox Telegram alone, for a bot started elsewhere."""
    from bot.sandbox_only import run_sandbox

    await run_sandbox(settings, token=args.token)


async def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    """Apply the database migrations."""
    from bot.bootstrap import ensure_data_dir
    from storage import migrate

    ensure_data_dir(settings)
    await migrate.upgrade(settings.resolved_database_url)
    revision = await migrate.current_revision(settings.resolved_database_url)
    print(f"Database is at revision {revision}.")


async def cmd_keys_init(settings: Settings, args: argparse.Namespace) -> None:
    """Create the console and relay keys and the install secrets."""
    from bot.bootstrap import ensure_data_dir, key_store

    ensure_data_dir(settings)
    store = key_store(settings)
    if store.exists():
        raise CommandFailed(f"keys already exist in {store.directory}; use `tinbao keys rotate`")
    passphrase = _passphrase(settings, confirm=True)
    await asyncio.to_thread(store.initialize, passphrase)
    print(f"Created keys in {store.directory}:")
    for kind in ("console", "relay"):
        print(f"  {kind}: {store.current_id(kind)}")


async def _reseal(
    settings: Settings, kinds: Sequence[KeyKind], *, rotate: bool, retire: bool
) -> None:
    from bot.bootstrap import key_store
    from storage import migrate, rotation
    from storage.db import Database

    store = key_store(settings)
    if not store.exists():
        raise CommandFailed("no keys yet; run `tinbao keys init`")
    passphrase = _passphrase(settings, confirm=False)
    await migrate.upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)

    def report(table: str, done: int) -> None:
        print(f"  {table}: {done} re-sealed", flush=True)

    try:
        for kind in kinds:
            if rotate:
                new_id = await asyncio.to_thread(store.rotate, kind, passphrase)
                print(f"{kind}: new key {new_id}; re-sealing stored values…")
            ring = await asyncio.to_thread(store.unlock, kind, passphrase)
            count = await rotation.reseal_all(db, kind, ring, ring.public, progress=report)
            print(f"{kind}: {count} values re-sealed; all now under {ring.public.key_id}.")
            if retire:
                in_use = await rotation.key_ids_in_use(db, kind)
                for old in store.key_ids(kind):
                    if old != ring.public.key_id and old not in in_use:
                        store.retire(kind, old)
                        print(f"  deleted old key {old}")
    finally:
        await db.dispose()


async def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> None:
    """Make a new key current and re-seal everything stored under the old ones."""
    await _reseal(settings, args.kind, rotate=True, retire=False)
    print(
        "Restart every tinbao process (copy *.pub and CURRENT to hosts that run only the bot),"
        " then run `tinbao keys retire` to delete the old keys."
    )


async def cmd_keys_retire(settings: Settings, args: argparse.Namespace) -> None:
    """Re-seal stragglers to the current keys, then delete old keys nothing refers to."""
    await _reseal(settings, args.kind, rotate=False, retire=True)


async def cmd_user_add(settings: Settings, args: argparse.Namespace) -> None:
    """Create an officer account."""
    from storage import officers

    db = await _database(settings)
    try:
        officer = await officers.add_officer(
            db,
            username=args.username,
            password=_password(args),
            roles=args.role,
            unit_code=args.unit,
            display_name=args.display_name or "",
        )
    finally:
        await db.dispose()
    print(f"Created officer {officer.username} ({officer.roles}) in unit {args.unit}.")
    if {"admin", "triage"} & officer.role_set:
        print("Two-factor sign-in (TOTP) is enrolled at the first console login.")


async def cmd_user_list(settings: Settings, args: argparse.Namespace) -> None:
    """List officer accounts."""
    from storage import officers

    db = await _database(settings)
    try:
        rows = await officers.list_officers(db)
    finally:
        await db.dispose()
    if not rows:
        print("No officers yet; add one with `tinbao user add`.")
        return
    print(f"{'username':<20} {'unit':<18} {'roles':<38} {'2FA':<4} state")
    for row in rows:
        state = "active" if row.active else "disabled"
        twofa = "on" if row.totp_enabled else "off"
        print(
            f"{row.username:<20} {row.unit_code:<18} {','.join(row.roles):<38} {twofa:<4} {state}"
        )


async def cmd_user_disable(settings: Settings, args: argparse.Namespace) -> None:
    """Disable an officer: sessions and tokens stop working."""
    from storage import officers

    db = await _database(settings)
    try:
        await officers.disable_officer(db, args.username)
    finally:
        await db.dispose()
    print(f"Disabled {args.username}; their sessions and API tokens no longer work.")


async def cmd_user_token(settings: Settings, args: argparse.Namespace) -> None:
    """Issue an API bearer token."""
    from storage import officers

    db = await _database(settings)
    try:
        token = await officers.issue_token(db, args.username, label=args.label or "")
    finally:
        await db.dispose()
    print(token)
    print(
        "This token is shown once. Send it as `Authorization: Bearer <token>` to /api/v1.",
        file=sys.stderr,
    )


async def cmd_unit_import(settings: Settings, args: argparse.Namespace) -> None:
    """Import the unit tree from CSV."""
    from storage import units

    path = Path(args.file)
    db = await _database(settings)
    try:
        report = await units.import_units_file(db, path)
    except (FileNotFoundError, IsADirectoryError):
        raise CommandFailed(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CommandFailed(f"{path}: not UTF-8 text") from None
    finally:
        await db.dispose()
    print(f"Imported {path}: {report.created} units created, {report.updated} updated.")


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    """Archive the database and the key files."""
    from bot.bootstrap import key_store
    from storage import backup

    try:
        report = await asyncio.to_thread(
            backup.make_backup,
            settings.resolved_database_url,
            key_store(settings).directory,
            Path(args.destination),
        )
    except (backup.BackupError, sqlite3.Error, OSError) as exc:
        raise CommandFailed(f"backup failed: {exc}") from None
    print(
        f"Wrote {report.path} (database {report.database_bytes:,} bytes,"
        f" {report.key_files} key files)."
    )
    print("The key files inside are protected by the passphrase; keep the archive safe anyway.")


async def cmd_purge(settings: Settings, args: argparse.Namespace) -> None:
    """Delete closed tips whose retention period has passed (kept when on legal hold)."""
    from storage import retention

    db = await _database(settings)
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


async def _database(settings: Settings) -> Any:
    """An up-to-date database for commands that need no keys."""
    from bot.bootstrap import ensure_data_dir
    from storage import migrate
    from storage.db import Database

    ensure_data_dir(settings)
    await migrate.upgrade(settings.resolved_database_url)
    return Database(settings.resolved_database_url)


# ---- parser -------------------------------------------------------------------------

Handler = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, None]]


def _add(subparsers: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """All commands and their options."""
    parser = argparse.ArgumentParser(
        prog="tinbao",
        description="tinbao: anonymous crime tip-offs, the police forum and warnings "
        "over Telegram, with an officer console. Settings come from TINBAO_CONFIG "
        "(a TOML file) and TINBAO_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add(sub, "run", cmd_run, "run the bot and the console (and the sandbox without a token)")
    sandbox = _add(sub, "sandbox", cmd_sandbox, "run only the sandbox Telegram and its web chat")
    sandbox.add_argument("--token", help="the bot token the sandbox accepts (default: random)")
    _add(sub, "bot", cmd_bot, "run only the bot (needs TINBAO_BOT_TOKEN)")
    _add(sub, "console", cmd_console, "run only the officer console")

    db = sub.add_parser("db", help="database maintenance", description="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    _add(db_sub, "upgrade", cmd_db_upgrade, "apply the database migrations")

    keys = sub.add_parser("keys", help="encryption keys", description="encryption keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    _add(keys_sub, "init", cmd_keys_init, "create the console and relay keys")
    rotate = _add(keys_sub, "rotate", cmd_keys_rotate, "new keys, and re-seal everything to them")
    retire = _add(
        keys_sub,
        "retire",
        cmd_keys_retire,
        "after a rotation and a restart: re-seal leftovers and delete the old keys",
    )
    for command in (rotate, retire):
        command.add_argument(
            "--kind",
            action="append",
            choices=("console", "relay"),
            help="which key (repeatable; default: both)",
        )

    user = sub.add_parser("user", help="officer accounts", description="officer accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = _add(user_sub, "add", cmd_user_add, "create an officer account")
    add.add_argument("username")
    add.add_argument("--unit", required=True, help="unit code, e.g. LS-THANH-LONG")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=("admin", "triage", "moderator", "broadcaster"),
        help="a role (repeatable)",
    )
    add.add_argument("--display-name", help="name shown in the console")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _add(user_sub, "list", cmd_user_list, "list officer accounts")
    disable = _add(user_sub, "disable", cmd_user_disable, "disable an officer account")
    disable.add_argument("username")
    token = _add(user_sub, "token", cmd_user_token, "issue an API bearer token")
    token.add_argument("username")
    token.add_argument("--label", help="what the token is for")

    unit = sub.add_parser("unit", help="police units", description="police units")
    unit_sub = unit.add_subparsers(dest="unit_command", required=True, metavar="ACTION")
    imp = _add(unit_sub, "import", cmd_unit_import, "import units from CSV")
    imp.add_argument("file", help="CSV with columns code,name,kind,parent_code")

    purge = _add(
        sub,
        "purge",
        cmd_purge,
        "delete closed tips past TINBAO_RETENTION_DAYS unless on legal hold (the console"
        " also does this daily)",
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    backup = _add(sub, "backup", cmd_backup, "archive the database and the key files")
    backup.add_argument("destination", help="directory to write tinbao-<time>.tar.gz into")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "kind", "unset") is None:
        args.kind = ["console", "relay"]
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        asyncio.run(args.handler(settings, args))
    except ConfigError as exc:
        print(f"tinbao: configuration: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    except CommandFailed as exc:
        print(f"tinbao: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        from storage.crypto import CryptoError
        from storage.officers import OfficerError
        from storage.units import UnitImportError

        if isinstance(exc, OfficerError | UnitImportError | CryptoError):
            print(f"tinbao: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_FAILED) from None
        raise


if __name__ == "__main__":
    main()
