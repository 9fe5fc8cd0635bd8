"""`tinbao user`: officer accounts and their API tokens."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.commands.common import CommandFailed, database
from bot.config import Settings


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandFailed("give the password on standard input with --password-stdin")
    first = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise CommandFailed("the two passwords differ")
    return first


async def cmd_user_add(settings: Settings, args: argparse.Namespace) -> None:
    """Create an officer account."""
    from storage import officers

    db = await database(settings)
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

    db = await database(settings)
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

    db = await database(settings)
    try:
        await officers.disable_officer(db, args.username)
    finally:
        await db.dispose()
    print(f"Disabled {args.username}; their sessions and API tokens no longer work.")


async def cmd_user_token(settings: Settings, args: argparse.Namespace) -> None:
    """Issue an API bearer token."""
    from storage import officers

    db = await database(settings)
    try:
        token = await officers.issue_token(db, args.username, label=args.label or "")
    finally:
        await db.dispose()
    print(token)
    print(
        "This token is shown once. Send it as `Authorization: Bearer <token>` to /api/v1.",
        file=sys.stderr,
    )
