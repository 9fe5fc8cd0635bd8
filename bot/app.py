"""Compose the python-telegram-bot Application: handlers, commands, rate limiter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import ModuleType
from typing import cast

from telegram import BotCommand, BotCommandScopeAllPrivateChats
from telegram.ext import AIORateLimiter, Application

from bot.pacing import Pacer
from bot.ratelimit import SharedRateLimiter
from bot.updates import FairUpdateProcessor
from handlers import common, forum, groups, status, subscribe, tip, warnings
from handlers.context import CORE_KEY, TinbaoApp
from handlers.i18n import LANGUAGES, as_language, plain
from storage.core import Core

log = logging.getLogger(__name__)

# Each feature module offers `register(application)` and `COMMANDS`, in menu order.
FEATURES: tuple[ModuleType, ...] = (tip, status, forum, warnings, subscribe, groups)


def bot_commands(features: Sequence[ModuleType], language: str) -> list[BotCommand]:
    """The command list shown in Telegram's menu, described in `language`."""
    names = [*common.COMMANDS_FIRST, *(c for f in features for c in f.COMMANDS)]
    names += common.COMMANDS_LAST
    return [BotCommand(name, plain(as_language(language), f"command.{name}")) for name in names]


async def publish_commands(
    application: TinbaoApp, features: Sequence[ModuleType] = FEATURES
) -> None:
    """Tell Telegram the command menu, in Vietnamese by default and in English."""
    for language in LANGUAGES:
        await application.bot.set_my_commands(
            bot_commands(features, language),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=None if language == "vi" else language,
        )


# Libraries whose DEBUG lines print what the threat model keeps out of every log:
# python-telegram-bot prints whole updates, request parameters (tip texts, chat and user
# ids) and conversation keys; Pillow prints the EXIF tags (GPS position, camera) of the
# photos being cleaned.
HUSHED_LIBRARIES = ("telegram", "PIL")


def hush_library_debug() -> None:
    """Hold those libraries at INFO or above, whatever the configured log level."""
    for name in HUSHED_LIBRARIES:
        library = logging.getLogger(name)
        if library.level < logging.INFO:
            library.setLevel(logging.INFO)


def build_application(
    *,
    token: str,
    api_url: str,
    file_api_url: str,
    core: Core,
    features: Sequence[ModuleType] = FEATURES,
    pacer: Pacer | None = None,
) -> TinbaoApp:
    """A ready Application; start it with PTB's manual lifecycle.

    With a `pacer`, replies draw on the flood budget the delivery worker uses.
    """
    application = cast(
        TinbaoApp,
        Application.builder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_api_url)
        .rate_limiter(SharedRateLimiter(pacer) if pacer is not None else AIORateLimiter())
        .concurrent_updates(FairUpdateProcessor())
        .build(),
    )
    application.bot_data[CORE_KEY] = core
    hush_library_debug()
    common.register(application)
    for feature in features:
        feature.register(application)
    common.register_fallbacks(application)
    return application
