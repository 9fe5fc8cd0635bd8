"""Run the bot, the console and (without a token) the sandbox in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from admin.app import create_app
from admin.settings import ConsoleSettings
from bot.app import build_application, publish_commands
from bot.bootstrap import DemoLogin, Role, ensure_demo_content, open_core
from bot.config import Settings
from bot.delivery import DeliveryWorker, WorkerSettings
from bot.pacing import FloodBudget, Pacer
from bot.telegram_client import worker_bot
from handlers.context import TinbaoApp
from storage.core import Core

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parts:
    """Which parts this process runs."""

    bot: bool
    console: bool
    sandbox: bool

    @property
    def role(self) -> Role:
        """Which private keys the process unlocks."""
        if self.bot and self.console:
            return "all"
        return "bot" if self.bot else "console" if self.console else "none"


def console_settings(settings: Settings) -> ConsoleSettings:
    """The console's share of the settings."""
    return ConsoleSettings(
        public_url=settings.console_url,
        session_minutes=settings.session_minutes,
        secure_cookies=settings.console_url.startswith("https://"),
        default_language=settings.default_language,
        metrics_token=settings.metrics_token,
    )


@contextlib.asynccontextmanager
async def serve_console(core: Core, settings: Settings) -> AsyncIterator[str]:
    """The console on its host and port until the block ends; yields its URL."""
    runner = web.AppRunner(create_app(core, console_settings(settings)), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.console_host, settings.console_port)
        await site.start()
        yield settings.console_url
    finally:
        await runner.cleanup()


@dataclass
class RunningBot:
    """The bot's parts while it runs."""

    application: TinbaoApp
    worker: DeliveryWorker


@dataclass(frozen=True)
class DeliveryConfig:
    """The flood budget and how the delivery worker runs."""

    budget: FloodBudget = field(default_factory=FloodBudget)
    worker: WorkerSettings = field(default_factory=WorkerSettings)


def delivery_config(settings: Settings) -> DeliveryConfig:
    """The delivery worker's share of the settings."""
    return DeliveryConfig(
        FloodBudget(
            overall_per_second=settings.delivery_per_second,
            group_per_minute=settings.delivery_group_per_minute,
            private_per_second=settings.delivery_private_per_second,
        ),
        WorkerSettings(
            concurrency=settings.delivery_concurrency,
            lease_seconds=float(settings.delivery_lease_seconds),
        ),
    )


@contextlib.asynccontextmanager
async def serve_bot(
    core: Core,
    *,
    token: str,
    api_url: str,
    file_api_url: str,
    poll_timeout: int = 20,
    delivery: DeliveryConfig | None = None,
) -> AsyncIterator[RunningBot]:
    """The bot polling its Bot API, and the delivery worker, until the block ends.

    Replies and broadcasts share one flood budget (`Pacer`): the Application's rate
    limiter and the worker draw on it, so together they keep to Telegram's limits.
    """
    delivery = delivery or DeliveryConfig()
    pacer = Pacer(delivery.budget)
    application = build_application(
        token=token, api_url=api_url, file_api_url=file_api_url, core=core, pacer=pacer
    )
    sender = worker_bot(token, api_url, file_api_url, delivery.worker.concurrency)
    worker = DeliveryWorker(core, sender, pacer=pacer, settings=delivery.worker)
    async with application, sender:
        try:
            await publish_commands(application)
        except TelegramError as exc:
            # The bot still works without its menu; the operator sees why in the log.
            log.warning("could not publish the command menu: %s", exc)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, timeout=poll_timeout
        )
        worker.start()
        try:
            yield RunningBot(application, worker)
        finally:
            await worker.stop()
            await application.updater.stop()
            await application.stop()


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def _describe_login(login: DemoLogin | None, say: Callable[[str], None]) -> None:
    if login is None:
        say("  Sign in with an account made by `tinbao user add`.")
        return
    say(f"  Sign in as {login.username!r} with password {login.password!r}.")
    if login.created_now:
        say("  (Demo account: kept in the data dir; create real accounts with `tinbao user add`.)")


async def run(settings: Settings, parts: Parts, *, say: Callable[[str], None] = print) -> None:
    """Start the chosen parts, print where they are, and stop them all on Ctrl-C."""
    core = await open_core(settings, parts.role, demo=parts.sandbox, say=say)
    stop = _stop_event()
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(core.db.dispose)
        login = await ensure_demo_content(settings, core.db) if parts.sandbox else None
        if parts.sandbox:
            from sandbox.server import start_sandbox

            token = f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(27)}"
            box = await start_sandbox(settings.sandbox_host, settings.sandbox_port, bot_token=token)
            stack.push_async_callback(box.close)
            settings = replace(settings, bot_token=token, telegram_api_url=box.api_base_url)
            say(f"Sandbox Telegram (web chat): {box.chat_url}")
        if parts.console:
            url = await stack.enter_async_context(serve_console(core, settings))
            say(f"Officer console: {url}")
            _describe_login(login, say)
        if parts.bot:
            await stack.enter_async_context(
                serve_bot(
                    core,
                    token=settings.bot_token,
                    api_url=settings.telegram_api_url,
                    file_api_url=settings.file_api_url,
                    delivery=delivery_config(settings),
                )
            )
            say("Bot: polling for updates.")
        say("Press Ctrl-C to stop.")
        await stop.wait()
        say("Stopping…")
