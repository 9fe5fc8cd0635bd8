"""Officer accounts and units through the real `tinbao` command line."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from bot.cli import build_parser
from storage import officers
from storage.core import Core
from tests.support.cli import tinbao


def _command_paths(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    """Every command and sub-command the parser knows."""
    found = {path}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _command_paths(sub, (*path, name))
    return found


def test_every_command_has_help(tmp_path: Path) -> None:
    commands = (
        [],
        ["run"],
        ["sandbox"],
        ["bot"],
        ["console"],
        ["db", "upgrade"],
        ["db"],
        ["keys"],
        ["keys", "init"],
        ["keys", "rotate"],
        ["keys", "retire"],
        ["keys", "export-bot"],
        ["keys", "passphrase"],
        ["user"],
        ["user", "add"],
        ["user", "list"],
        ["user", "disable"],
        ["user", "token"],
        ["unit"],
        ["unit", "import"],
        ["purge"],
        ["backup"],
    )
    # A new command must be added here too.
    assert {tuple(c) for c in commands} == _command_paths(build_parser())
    for command in commands:
        result = tinbao([*command, "--help"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "usage: tinbao" in result.stdout


def test_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = tinbao(["db", "upgrade"], tmp_path, TINBAO_CONSOLE_PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tinbao: configuration: TINBAO_CONSOLE_PORT: not a number (got 'eighty')"
    ]
    result = tinbao(["bot"], tmp_path)
    assert result.returncode == 2
    assert "TINBAO_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_units_and_officers_lifecycle(tmp_path: Path) -> None:
    csv = tmp_path / "units.csv"
    csv.write_text(
        "code,name,kind,parent_code\nLS,Lạng Sơn,province,\nLS-XUAT-LE,Xuất Lễ,commune,LS\n",
        encoding="utf-8",
    )
    imported = tinbao(["unit", "import", str(csv)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "2 units created" in imported.stdout

    added = tinbao(
        ["user", "add", "hoa", "--unit", "LS-XUAT-LE", "--role", "triage", "--password-stdin"],
        tmp_path,
        stdin="một mật khẩu đủ dài\n",
    )
    assert added.returncode == 0, added.stderr
    short = tinbao(
        ["user", "add", "binh", "--unit", "LS", "--role", "admin", "--password-stdin"],
        tmp_path,
        stdin="short\n",
    )
    assert short.returncode == 1
    assert "at least 12 characters" in short.stderr
    nounit = tinbao(
        ["user", "add", "binh", "--unit", "NOPE", "--role", "admin", "--password-stdin"],
        tmp_path,
        stdin="a long enough password\n",
    )
    assert "no unit with code 'NOPE'" in nounit.stderr

    listing = tinbao(["user", "list"], tmp_path).stdout
    assert "hoa" in listing and "LS-XUAT-LE" in listing and "active" in listing

    token = tinbao(["user", "token", "hoa", "--label", "laptop"], tmp_path)
    assert token.returncode == 0
    assert token.stdout.strip().startswith("tb_")
    assert "shown once" in token.stderr

    disabled = tinbao(["user", "disable", "hoa"], tmp_path)
    assert disabled.returncode == 0
    assert "disabled" in tinbao(["user", "list"], tmp_path).stdout
    again = tinbao(["user", "token", "hoa"], tmp_path)
    assert again.returncode == 1 and "disabled" in again.stderr


def test_keys_init_refuses_to_overwrite(tmp_path: Path) -> None:
    first = tinbao(["keys", "init"], tmp_path, TINBAO_KEY_PASSPHRASE="a passphrase long enough")
    assert first.returncode == 0, first.stderr
    assert "console:" in first.stdout and "relay:" in first.stdout
    second = tinbao(["keys", "init"], tmp_path, TINBAO_KEY_PASSPHRASE="a passphrase long enough")
    assert second.returncode == 1
    assert "already exist" in second.stderr


async def test_passwords_are_argon2id_and_tokens_are_digests(core: Core) -> None:
    officer = await officers.add_officer(
        core.db, username="lan", password="mật khẩu rất dài 123", roles=["triage"], unit_code="LS"
    )
    assert officer.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(officer.password_hash, "mật khẩu rất dài 123")
    token = await officers.issue_token(core.db, "lan")
    async with core.db.read() as session:
        from sqlalchemy import select

        from storage.models import ApiToken

        stored = (await session.scalars(select(ApiToken))).one()
    assert stored.token_hash == officers.token_digest(token)
    assert token.encode() not in stored.token_hash


async def test_roles_and_usernames_are_validated(core: Core) -> None:
    with pytest.raises(officers.OfficerError, match="unknown role 'chief'"):
        await officers.add_officer(
            core.db, username="lan", password="x" * 12, roles=["chief"], unit_code="LS"
        )
    with pytest.raises(officers.OfficerError, match="username"):
        await officers.add_officer(
            core.db, username="L a n", password="x" * 12, roles=["triage"], unit_code="LS"
        )
    await officers.add_officer(
        core.db, username="lan", password="x" * 12, roles=["triage"], unit_code="LS"
    )
    with pytest.raises(officers.OfficerError, match="taken"):
        await officers.add_officer(
            core.db, username="LAN", password="x" * 12, roles=["triage"], unit_code="LS"
        )
