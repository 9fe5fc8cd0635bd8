"""The real `tinbao` command in a child process, in a clean TINBAO_* environment: run to
completion, or started and read line by line like an operator's terminal."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path


def _environment(data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any TINBAO_* setting, plus the data dir and `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    return clean | {"TINBAO_DATA_DIR": str(data_dir)} | env


def tinbao(
    args: list[str], data_dir: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real console script in a clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_environment(data_dir, env),
        timeout=120,
        check=False,
    )


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
    environment = _environment(
        data_dir,
        {
            "TINBAO_CONSOLE_PORT": str(_free_port()),
            "TINBAO_SANDBOX_PORT": str(_free_port()),
            "PYTHONUNBUFFERED": "1",
        }
        | env,
    )
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
