"""Running tinbao: bot and console together, each alone, or the sandbox Telegram."""

from __future__ import annotations

import argparse

from bot.config import ConfigError, Settings


async def cmd_run(settings: Settings, args: argparse.Namespace) -> None:
    """Bot and console; the sandbox as well when no bot token is set."""
    from bot.runner import Parts, run

    parts = Parts(bot=True, console=True, sandbox=not settings.bot_token)
    await run(settings, parts)


async def cmd_bot(settings: Settings, args: argparse.Namespace) -> None:
    """The bot alone (long polling)."""
    from bot.runner import Parts, run

    if not settings.bot_token:
        raise ConfigError("TINBAO_BOT_TOKEN: required for `tinbao bot`")
    await run(settings, Parts(bot=True, console=False, sandbox=False))


async def cmd_console(settings: Settings, args: argparse.Namespace) -> None:
    """The console alone."""
    from bot.runner import Parts, run

    await run(settings, Parts(bot=False, console=True, sandbox=False))


async def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> None:
    """The sandbox Telegram alone, for a bot started elsewhere."""
    from bot.sandbox_only import run_sandbox

    await run_sandbox(settings, token=args.token)
