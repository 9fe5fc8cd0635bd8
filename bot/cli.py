"""The `tinbao` command line: the parser and `main`; the commands are in `bot.commands`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot.commands.common import CommandFailed
from bot.commands.data import cmd_backup, cmd_db_upgrade, cmd_purge, cmd_unit_import
from bot.commands.keys import (
    cmd_keys_export_bot,
    cmd_keys_init,
    cmd_keys_passphrase,
    cmd_keys_retire,
    cmd_keys_rotate,
)
from bot.commands.serve import cmd_bot, cmd_console, cmd_run, cmd_sandbox
from bot.commands.users import cmd_user_add, cmd_user_disable, cmd_user_list, cmd_user_token
from bot.config import ConfigError, Settings, load_settings

EXIT_USAGE = 2
EXIT_FAILED = 1


def configure_logging(level: str) -> None:
    """Plain logs to stderr; HTTP client logs held back because their URLs carry the token."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "aiohttp.access", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


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
