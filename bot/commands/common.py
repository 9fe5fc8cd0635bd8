"""What every command group shares: the one-line failure and the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from storage.db import Database


class CommandFailed(Exception):
    """An operator error worth one line, not a traceback."""


async def database(settings: Settings) -> Database:
    """An up-to-date database for commands that need no keys."""
    from bot.bootstrap import ensure_data_dir
    from storage import migrate
    from storage.db import Database

    ensure_data_dir(settings)
    await migrate.upgrade(settings.resolved_database_url)
    return Database(settings.resolved_database_url)
