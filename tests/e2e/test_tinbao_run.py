"""`tinbao run` as an operator starts it: against any Bot API server, and in demo mode."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.server import start_sandbox
from tests.integration.test_officers_cli import tinbao as tinbao_cli
from tests.support.botenv import random_token

PASSPHRASE = "a real passphrase for this test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningTinbao:
    """`python -m bot run` in a child process, its output collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def wait_for_line(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first output line matching `pattern`, reading more as it comes."""
        regex = re.compile(pattern)
        async with asyncio.timeout(timeout):
            for line in self.lines:
                if found := regex.search(line):
                    return found
            assert self.process.stdout is not None
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError("tinbao exited:\n" + "\n".join(self.lines))
                line = raw.decode().rstrip()
                self.lines.append(line)
                if found := regex.search(line):
                    return found

    async def stop(self, *, interrupt: bool = True) -> int:
        """Ctrl-C, as an operator would (or just wait for the exit); returns the exit code."""
        if interrupt and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        async with asyncio.timeout(60):
            assert self.process.stdout is not None
            rest = await self.process.stdout.read()
            self.lines.extend(rest.decode().splitlines())
            return await self.process.wait()


async def start_tinbao(data_dir: Path, command: str = "run", **env: str) -> RunningTinbao:
    """Start `tinbao <command>` with a clean TINBAO_* environment plus `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    environment |= {
        "TINBAO_DATA_DIR": str(data_dir),
        "TINBAO_CONSOLE_PORT": str(_free_port()),
        "TINBAO_SANDBOX_PORT": str(_free_port()),
        "PYTHONUNBUFFERED": "1",
    } | env
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    return RunningTinbao(process)


@pytest.fixture
async def external_api() -> AsyncIterator[tuple[str, object]]:
    """Any server that speaks the Bot API: here the sandbox, started on its own."""
    token = random_token()
    async with await start_sandbox(bot_token=token) as box:
        yield token, box


async def test_run_against_an_external_bot_api_answers_start(
    tmp_path: Path, external_api: tuple[str, object]
) -> None:
    token, box = external_api
    init = tinbao_cli(["keys", "init"], tmp_path, TINBAO_KEY_PASSPHRASE=PASSPHRASE)
    assert init.returncode == 0, init.stderr
    tinbao = await start_tinbao(
        tmp_path,
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,  # type: ignore[attr-defined]
        TINBAO_KEY_PASSPHRASE=PASSPHRASE,
    )
    try:
        await tinbao.wait_for_line(r"Bot: polling")
        assert not any("Created encryption keys" in line for line in tinbao.lines)
        resident = box.resident("Hùng", "vi")  # type: ignore[attr-defined]
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
    tmp_path: Path, external_api: tuple[str, object]
) -> None:
    token, box = external_api
    init = tinbao_cli(["keys", "init"], tmp_path, TINBAO_KEY_PASSPHRASE=PASSPHRASE)
    assert init.returncode == 0, init.stderr
    tinbao = await start_tinbao(
        tmp_path,
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,  # type: ignore[attr-defined]
    )
    code = await tinbao.stop(interrupt=False)
    assert code == 2
    assert tinbao.lines[-1].startswith("tinbao: configuration: TINBAO_KEY_PASSPHRASE")
    assert not any("Traceback" in line for line in tinbao.lines)


@pytest.mark.parametrize("command", ["run", "bot"])
async def test_a_host_without_keys_stops_and_creates_none(
    tmp_path: Path, external_api: tuple[str, object], command: str
) -> None:
    # Keys made here by accident would seal tips to a console key whose private half
    # sits on the bot host: only `tinbao keys init` / `keys export-bot` provide keys.
    token, box = external_api
    tinbao = await start_tinbao(
        tmp_path,
        command,
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,  # type: ignore[attr-defined]
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
