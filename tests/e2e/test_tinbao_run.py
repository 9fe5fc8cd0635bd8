"""`tinbao run` as an operator starts it: against any Bot API server, and in demo mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests.support.cli import start_tinbao
from tests.support.cli import tinbao as tinbao_cli

PASSPHRASE = "a real passphrase for this test"


def _keys_init(data_dir: Path) -> None:
    init = tinbao_cli(["keys", "init"], data_dir, TINBAO_KEY_PASSPHRASE=PASSPHRASE)
    assert init.returncode == 0, init.stderr


async def test_run_against_an_external_bot_api_answers_start(
    tmp_path: Path, external_api: tuple[str, SandboxServer]
) -> None:
    token, box = external_api
    _keys_init(tmp_path)
    tinbao = await start_tinbao(
        tmp_path,
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,
        TINBAO_KEY_PASSPHRASE=PASSPHRASE,
    )
    try:
        await tinbao.wait_for_line(r"Bot: polling")
        assert not any("Created encryption keys" in line for line in tinbao.lines)
        resident = box.resident("Hùng", "vi")
        await resident.send("/start")
        menu = await resident.expect("Xin chào", timeout=20)
        assert "📝 Gửi tin báo" in [b.text for b in menu.buttons]
        assert not any("Sandbox" in line for line in tinbao.lines)
    finally:
        code = await tinbao.stop()
    assert code == 0, "\n".join(tinbao.lines)
    assert any("Stopping" in line for line in tinbao.lines)
    # Outside demo mode no passphrase or password is written to disk.
    assert not (tmp_path / "DEMO-PASSPHRASE.txt").exists()


async def test_run_with_a_token_but_no_passphrase_stops_with_one_line(
    tmp_path: Path, external_api: tuple[str, SandboxServer]
) -> None:
    token, box = external_api
    _keys_init(tmp_path)
    tinbao = await start_tinbao(
        tmp_path,
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,
    )
    code = await tinbao.stop(interrupt=False)
    assert code == 2
    assert tinbao.lines[-1].startswith("tinbao: configuration: TINBAO_KEY_PASSPHRASE")
    assert not any("Traceback" in line for line in tinbao.lines)


@pytest.mark.parametrize("command", ["run", "bot"])
async def test_a_host_without_keys_stops_and_creates_none(
    tmp_path: Path, external_api: tuple[str, SandboxServer], command: str
) -> None:
    # Keys made here by accident would seal tips to a console key whose private half
    # sits on the bot host: only `tinbao keys init` / `keys export-bot` provide keys.
    token, box = external_api
    tinbao = await start_tinbao(
        tmp_path,
        command,
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,
        TINBAO_KEY_PASSPHRASE=PASSPHRASE,
    )
    code = await tinbao.stop(interrupt=False)
    assert code == 2
    last = tinbao.lines[-1]
    assert last.startswith(f"tinbao: configuration: TINBAO_DATA_DIR: no keys in {tmp_path}")
    assert "`tinbao keys init`" in last and "`tinbao keys export-bot DIR`" in last
    assert not any("Traceback" in line for line in tinbao.lines)
    assert not (tmp_path / "keys").exists()
    assert not (tmp_path / "DEMO-PASSPHRASE.txt").exists()


async def test_demo_mode_prints_urls_and_login_and_the_bot_answers(tmp_path: Path) -> None:
    tinbao = await start_tinbao(tmp_path)
    try:
        chat = await tinbao.wait_for_line(r"Sandbox Telegram \(web chat\): (\S+)")
        console = await tinbao.wait_for_line(r"Officer console: (\S+)")
        login = await tinbao.wait_for_line(r"Sign in as '(\w+)' with password '(\S+)'")
        passphrase = await tinbao.wait_for_line(r"Demo key passphrase: (\S+)")
        await tinbao.wait_for_line(r"Bot: polling")
        assert chat.group(1).startswith("http://127.0.0.1:")
        assert console.group(1).startswith("http://127.0.0.1:")
        assert login.group(1) == "admin"
        assert passphrase.group(1)
    finally:
        code = await tinbao.stop()
    assert code == 0, "\n".join(tinbao.lines)
    # A second start reuses the keys and the demo account instead of making new ones.
    again = await start_tinbao(tmp_path)
    try:
        await again.wait_for_line(r"Bot: polling")
        assert not any("Created encryption keys" in line for line in again.lines)
        relogin = await again.wait_for_line(r"Sign in as '(\w+)' with password '(\S+)'")
        assert relogin.group(2) == login.group(2)
    finally:
        await again.stop()
