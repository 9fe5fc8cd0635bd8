"""`tinbao keys`: create, export for a bot host, change passphrases, rotate and retire."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.commands.common import CommandFailed
from bot.config import ConfigError, Settings
from storage.crypto import KeyKind

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
