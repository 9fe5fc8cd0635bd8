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


MIN_PASSPHRASE = 12


def _ask_passphrase(prompt: str, variable: str, *, confirm: bool, empty_ok: bool = False) -> str:
    if not sys.stdin.isatty():
        raise ConfigError(f"{variable}: required (no terminal to ask on)")
    first = getpass.getpass(prompt)
    if empty_ok and not first:
        return ""
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise CommandFailed("the two passphrases differ")
    if len(first) < MIN_PASSPHRASE:
        raise CommandFailed(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    return first


def _bot_passphrase(settings: Settings, *, confirm: bool = False) -> str:
    """TINBAO_KEY_PASSPHRASE: the relay key and the install secrets."""
    if settings.key_passphrase:
        return settings.key_passphrase
    return _ask_passphrase(
        "Bot key passphrase (relay key, install secrets): ",
        "TINBAO_KEY_PASSPHRASE",
        confirm=confirm,
    )


def _console_passphrase(settings: Settings, *, confirm: bool = False, same_as: str = "") -> str:
    """TINBAO_CONSOLE_KEY_PASSPHRASE, else TINBAO_KEY_PASSPHRASE: the console key."""
    if settings.console_passphrase:
        return settings.console_passphrase
    if same_as:
        chosen = _ask_passphrase(
            "Console key passphrase (Enter: the same as the bot's, for a single host): ",
            "TINBAO_CONSOLE_KEY_PASSPHRASE",
            confirm=confirm,
            empty_ok=True,
        )
        return chosen or same_as
    return _ask_passphrase(
        "Console key passphrase: ", "TINBAO_CONSOLE_KEY_PASSPHRASE", confirm=confirm
    )


def _kind_passphrase(settings: Settings, kind: KeyKind) -> str:
    return _console_passphrase(settings) if kind == "console" else _bot_passphrase(settings)


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
    bot = _bot_passphrase(settings, confirm=True)
    console = _console_passphrase(settings, confirm=True, same_as=bot)
    await asyncio.to_thread(store.initialize, bot, console_passphrase=console)
    print(f"Created keys in {store.directory}:")
    print(f"  console: {store.current_id('console')} (opens tips; stays on the console host)")
    print(f"  relay: {store.current_id('relay')} (the bot's, with the install secrets)")
    if console == bot:
        print(
            "One passphrase protects every key: fine when bot and console share this host."
            " Before the bot runs anywhere else, give the console key its own passphrase"
            " (`tinbao keys passphrase --kind console`, then TINBAO_CONSOLE_KEY_PASSPHRASE)."
        )
    print("For a host that runs only the bot: `tinbao keys export-bot DIR`.")


async def cmd_keys_export_bot(settings: Settings, args: argparse.Namespace) -> None:
    """Write what a host that runs only the bot needs; never a console private key."""
    from bot.bootstrap import key_store
    from storage.crypto import KeyFileError

    store = key_store(settings)
    if not store.exists():
        raise CommandFailed(f"no keys in {store.directory}; run `tinbao keys init` first")
    target = Path(args.directory) / "keys"
    names = await asyncio.to_thread(store.export_bot, target)
    print(f"Wrote {len(names)} key files to {target}:")
    for name in names:
        print(f"  {name}")
    print(
        f"Copy {args.directory} into the bot host's TINBAO_DATA_DIR (it must end up as"
        " <data dir>/keys). The bot host needs TINBAO_KEY_PASSPHRASE, never the console"
        " key's passphrase. After a key rotation, export again."
    )
    if settings.key_passphrase and store.missing(private=("console",)) == []:
        try:
            await asyncio.to_thread(store.unlock, "console", settings.key_passphrase)
        except KeyFileError:
            return
        print(
            "warning: TINBAO_KEY_PASSPHRASE also opens the console key, so the bot host's"
            " passphrase would open it from a backup or this host's disk: run `tinbao keys"
            " passphrase --kind console` and set TINBAO_CONSOLE_KEY_PASSPHRASE here.",
            file=sys.stderr,
        )


def _new_passphrase(args: argparse.Namespace) -> str:
    if args.new_passphrase_stdin:
        new = sys.stdin.readline().rstrip("\n")
        if len(new) < MIN_PASSPHRASE:
            raise CommandFailed(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
        return new
    if not sys.stdin.isatty():
        raise CommandFailed("give the new passphrase on standard input with --new-passphrase-stdin")
    return _ask_passphrase("New passphrase: ", "", confirm=True)


async def cmd_keys_passphrase(settings: Settings, args: argparse.Namespace) -> None:
    """Re-encrypt one kind's private keys under a new passphrase."""
    from bot.bootstrap import key_store

    store = key_store(settings)
    if not store.exists():
        raise CommandFailed(f"no keys in {store.directory}; run `tinbao keys init` first")
    kind: KeyKind = args.kind
    old = _kind_passphrase(settings, kind)
    new = _new_passphrase(args)
    other = settings.key_passphrase if kind == "console" else settings.console_key_passphrase
    if new == other:
        raise CommandFailed("the console and bot passphrases must differ; choose another")
    await asyncio.to_thread(store.change_passphrase, kind, old, new)
    if kind == "console":
        print(
            "The console key has a new passphrase: set TINBAO_CONSOLE_KEY_PASSPHRASE to it"
            " wherever the console runs."
        )
        return
    print(
        "The relay key and the install secrets have a new passphrase: set"
        " TINBAO_KEY_PASSPHRASE to it wherever the bot runs, and export the bot's keys again"
        " (`tinbao keys export-bot DIR`) for a bot host."
    )
    if not settings.console_key_passphrase:
        print(
            "The console key keeps the old passphrase: set TINBAO_CONSOLE_KEY_PASSPHRASE to"
            " the old one wherever the console runs."
        )


async def _reseal(
    settings: Settings, kinds: Sequence[KeyKind], *, rotate: bool, retire: bool
) -> None:
    from bot.bootstrap import key_store
    from storage import migrate, rotation
    from storage.db import Database

    store = key_store(settings)
    if not store.exists():
        raise CommandFailed("no keys yet; run `tinbao keys init`")
    passphrases = {kind: _kind_passphrase(settings, kind) for kind in kinds}
    await migrate.upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)

    def report(table: str, done: int) -> None:
        print(f"  {table}: {done} re-sealed", flush=True)

    try:
        for kind in kinds:
            if rotate:
                new_id = await asyncio.to_thread(store.rotate, kind, passphrases[kind])
                print(f"{kind}: new key {new_id}; re-sealing stored values…")
            ring = await asyncio.to_thread(store.unlock, kind, passphrases[kind])
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
    await _reseal(settings, args.kinds, rotate=True, retire=False)
    print(
        "Restart every tinbao process (for a host that runs only the bot, copy a fresh"
        " `tinbao keys export-bot DIR` there first), then run `tinbao keys retire` to delete"
        " the old keys."
    )


async def cmd_keys_retire(settings: Settings, args: argparse.Namespace) -> None:
    """Re-seal stragglers to the current keys, then delete old keys nothing refers to."""
    await _reseal(settings, args.kinds, rotate=False, retire=True)


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
    _add(
        keys_sub,
        "init",
        cmd_keys_init,
        "create the console and relay keys and the install secrets (on the console host)",
    )
    export = _add(
        keys_sub,
        "export-bot",
        cmd_keys_export_bot,
        "write what a host that runs only the bot needs (relay key, install secrets, the"
        " console's public key), never the console private key",
    )
    export.add_argument(
        "directory", help="a new directory; DIR/keys becomes the bot host's <data dir>/keys"
    )
    change = _add(
        keys_sub,
        "passphrase",
        cmd_keys_passphrase,
        "give one kind of key a new passphrase (console: TINBAO_CONSOLE_KEY_PASSPHRASE;"
        " relay and install secrets: TINBAO_KEY_PASSPHRASE)",
    )
    change.add_argument("--kind", required=True, choices=("console", "relay"))
    change.add_argument(
        "--new-passphrase-stdin", action="store_true", help="read the new passphrase from stdin"
    )
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
            dest="kinds",
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
    which = backup.add_mutually_exclusive_group()
    which.add_argument(
        "--with-console-key",
        dest="console_key",
        action="store_const",
        const=True,
        help="include the console private key (fail if this host has none)",
    )
    which.add_argument(
        "--without-console-key",
        dest="console_key",
        action="store_const",
        const=False,
        help="leave the console private key out (default: include it when present)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "kinds", "unset") is None:
        args.kinds = ["console", "relay"]
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
