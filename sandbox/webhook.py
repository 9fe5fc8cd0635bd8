"""Webhook delivery: queued updates are POSTed to the URL a bot set, in order, with retries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from sandbox.botapi import WORLD_KEY
from sandbox.model import BotAccount
from sandbox.world import World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)  # growing pauses after failed deliveries
REQUEST_SECONDS = 10.0


async def _deliver_one(session: aiohttp.ClientSession, world: World, bot: BotAccount) -> bool:
    """POST the oldest pending update; True when the webhook took it."""
    hook = bot.webhook
    assert hook is not None
    update_id, update = bot.updates[0]
    headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    try:
        async with session.post(hook.url, json=update, headers=headers, timeout=timeout) as reply:
            if 200 <= reply.status < 300:
                if bot.updates and bot.updates[0][0] == update_id:
                    bot.updates.pop(0)
                return True
            problem = f"Wrong response from the webhook: {reply.status} {reply.reason}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        problem = f"Connection failed: {exc.__class__.__name__}"
    hook.last_error_date = int(world.now())
    hook.last_error_message = problem
    return False


async def _pump(world: World, bot: BotAccount) -> None:
    failures = 0
    async with aiohttp.ClientSession() as session:
        while not world.closed:
            if bot.webhook is None or not bot.updates:
                await bot.pulse.wait(60.0)
                continue
            if await _deliver_one(session, world, bot):
                failures = 0
                continue
            pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            await asyncio.sleep(pause)


async def webhook_context(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: one delivery task per bot while the app runs."""
    world = app[WORLD_KEY]
    tasks = [asyncio.ensure_future(_pump(world, bot)) for bot in world.bots.values()]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
