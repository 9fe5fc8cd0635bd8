"""The real bot against the sandbox Bot API, over a real database: for e2e tests and benchmarks."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.runner import RunningBot, serve_bot
from sandbox.limits import FloodLimits
from sandbox.server import SandboxServer, start_sandbox
from sandbox.testing import Group, Resident
from storage.core import Core


@dataclass
class BotEnv:
    """A running bot, the sandbox it talks to, and the core it shares with the console."""

    sandbox: SandboxServer
    core: Core
    bot: RunningBot

    def resident(self, name: str = "Lan", language_code: str | None = "vi") -> Resident:
        """A new resident with a private chat to the bot."""
        return self.sandbox.resident(name, language_code)

    def group(self, title: str, members: list[Resident], *, add_bot: bool = True) -> Group:
        """A new neighbourhood group."""
        return self.sandbox.group(title, members, add_bot=add_bot)


def random_token() -> str:
    """A token of the shape @BotFather hands out."""
    return f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(27)}"


@contextlib.asynccontextmanager
async def running_bot(core: Core, *, limits: FloodLimits | None = None) -> AsyncIterator[BotEnv]:
    """Start the sandbox and the real bot (real Application, real HTTP); stop both after."""
    token = random_token()
    async with (
        await start_sandbox(bot_token=token, limits=limits) as box,
        serve_bot(
            core,
            token=token,
            api_url=box.api_base_url,
            file_api_url=box.file_base_url,
            poll_timeout=5,
        ) as running,
    ):
        yield BotEnv(sandbox=box, core=core, bot=running)
