"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from storage import migrate
from storage.db import Database
from storage.models import Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.read_engine.connect() as connection:
            differences = await connection.run_sync(_diff)
    finally:
        await db.dispose()
    assert differences == []


async def test_upgrade_is_idempotent_and_at_head(database_url: str) -> None:
    await migrate.upgrade(database_url)
    assert await migrate.current_revision(database_url) == migrate.head_revision()


async def test_sqlite_runs_in_wal_mode(database_url: str) -> None:
    db = Database(database_url)
    try:
        if not db.sqlite:
            return
        async with db.read() as session:
            mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
            foreign_keys = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
        assert mode == "wal"
        assert foreign_keys == 1
    finally:
        await db.dispose()
