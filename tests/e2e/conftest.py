"""E2E fixtures: the real bot talking HTTP to the sandbox Bot API, over a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.server import SandboxServer, start_sandbox
from storage.core import Core
from tests.support.botenv import BotEnv, random_token, running_bot


@pytest.fixture
async def bot_env(core: Core) -> AsyncIterator[BotEnv]:
    """The sandbox plus the real bot; `bot_env.resident()` gives a person to act as."""
    async with running_bot(core) as env:
        yield env


@pytest.fixture
async def external_api() -> AsyncIterator[tuple[str, SandboxServer]]:
    """Any server that speaks the Bot API, for a bot in another process: here the sandbox,
    started on its own; yields the bot token it accepts and the server."""
    token = random_token()
    async with await start_sandbox(bot_token=token) as box:
        yield token, box
