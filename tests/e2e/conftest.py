"""E2E fixtures: the real bot talking HTTP to the sandbox Bot API, over a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.core import Core
from tests.support.botenv import BotEnv, running_bot


@pytest.fixture
async def bot_env(core: Core) -> AsyncIterator[BotEnv]:
    """The sandbox plus the real bot; `bot_env.resident()` gives a person to act as."""
    async with running_bot(core) as env:
        yield env
