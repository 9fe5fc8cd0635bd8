"""The sandbox HTTP server: Bot API, file downloads and the web chat in one aiohttp app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from types import TracebackType

from aiohttp import web

from sandbox import botapi, webchat, webhook
from sandbox.limits import FloodLimits
from sandbox.media import UPLOAD_LIMIT
from sandbox.model import BotAccount
from sandbox.testing import Group, Resident
from sandbox.world import World

SHUTDOWN_SECONDS = 1.0


def create_app(world: World) -> web.Application:
    """The aiohttp application serving `world` (the bots must already be added to it)."""
    app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
    app[botapi.WORLD_KEY] = world
    botapi.add_routes(app)
    webchat.add_routes(app)
    app.cleanup_ctx.append(webhook.webhook_context)
    return app


class SandboxServer:
    """A running sandbox: where it listens, its world, and the harness entry points."""

    def __init__(self, world: World, runner: web.AppRunner, url: str, bot: BotAccount) -> None:
        self.world = world
        self.bot = bot
        self.url = url
        self._runner = runner

    @property
    def token(self) -> str:
        """The bot token the sandbox accepts."""
        return self.bot.token

    @property
    def api_base_url(self) -> str:
        """The value for python-telegram-bot's base_url (the token is appended to it)."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """The value for python-telegram-bot's base_file_url."""
        return f"{self.url}/file/bot"

    @property
    def chat_url(self) -> str:
        """The web chat page."""
        return f"{self.url}/"

    def resident(
        self,
        name: str = "Lan",
        language_code: str | None = "vi",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> Resident:
        """A new person who can talk to the bot in private."""
        user = self.world.add_user(
            name, last_name=last_name, username=username, language_code=language_code
        )
        return Resident(self.world, user, self.bot)

    def group(
        self,
        title: str,
        members: Iterable[Resident] = (),
        *,
        add_bot: bool = True,
        kind: str = "group",
        username: str | None = None,
    ) -> Group:
        """A new group of residents (the first is its creator), with the bot unless told not."""
        people = list(members)
        chat = self.world.add_group(title, [r.user for r in people], kind=kind, username=username)
        group = Group(self.world, chat, self.bot, people)
        if add_bot:
            group.add_bot()
        return group

    async def close(self) -> None:
        """Stop serving; pending long polls return at once."""
        self.world.close()
        pending = self._runner.app[botapi.BACKGROUND_KEY]
        for task in list(pending):
            task.cancel()
        await asyncio.sleep(0)
        await self._runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    bot_token: str,
    bot_username: str = "tinbao_bot",
    bot_name: str = "tinbao",
    limits: FloodLimits | None = None,
    privacy_mode: bool = True,
    world: World | None = None,
) -> SandboxServer:
    """Start a sandbox on host:port (0 picks a free port) that accepts `bot_token`."""
    world = world or World(limits=limits)
    bot = world.bots.get(bot_token) or world.add_bot(
        bot_token, bot_username, first_name=bot_name, privacy_mode=privacy_mode
    )
    if limits is not None:
        bot.flood.reset(limits)
    runner = web.AppRunner(
        create_app(world),
        handle_signals=False,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_SECONDS,
        access_log=None,
    )
    await runner.setup()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    site = web.SockSite(runner, sock)
    await site.start()
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return SandboxServer(world, runner, f"http://{shown}:{bound}", bot)
