"""Fixtures shared by every suite: databases (SQLite and PostgreSQL), keys, the core."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from storage import migrate, units
from storage.core import Core, Vault
from storage.crypto import CHEAP_KDF_PARAMS, KeyStore
from storage.db import Database
from storage.settings import CoreSettings
from tests.support import postgres

TEST_PASSPHRASE = "test passphrase, not for real use"
TEST_SCRYPT_N = 2**10


async def _migrate_with_demo_units(url: str) -> None:
    await migrate.upgrade(url)
    db = Database(url)
    try:
        await units.import_units_file(db, units.DEMO_UNITS_CSV)
    finally:
        await db.dispose()


def run_in_own_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from sync code that may sit inside a running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    """A PostgreSQL cluster for the whole run; CI insists on it, laptops may lack it."""
    if not postgres.available():
        if os.environ.get("TINBAO_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (TINBAO_REQUIRE_POSTGRES) but not installed")
        pytest.skip("PostgreSQL server programs are not installed")
    server = postgres.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo units, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    run_in_own_loop(_migrate_with_demo_units(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: postgres.PostgresServer) -> str:
    """A migrated PostgreSQL database with the demo units, used as CREATE DATABASE template."""

    async def build() -> None:
        connection = await asyncpg.connect(postgres_server.admin_url.replace("+asyncpg", ""))
        try:
            await connection.execute("CREATE DATABASE tinbao_template")
        finally:
            await connection.close()
        await _migrate_with_demo_units(postgres_server.url("tinbao_template"))

    run_in_own_loop(build())
    return "tinbao_template"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database with the demo units: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "tinbao.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server.admin_url.replace("+asyncpg", ""))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    yield server.url(name)
    admin = await asyncpg.connect(server.admin_url.replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key store made once per run, with a cheap scrypt so tests stay fast."""
    directory = tmp_path_factory.mktemp("keys") / "keys"
    KeyStore(directory, scrypt_n=TEST_SCRYPT_N).initialize(TEST_PASSPHRASE)
    return directory


@pytest.fixture(scope="session")
def vault(key_dir: Path) -> Vault:
    """Public keys, secrets and both private rings (a process that is bot and console)."""
    store = KeyStore(key_dir, scrypt_n=TEST_SCRYPT_N)
    return Vault(
        console_public=store.public_key("console"),
        relay_public=store.public_key("relay"),
        secrets=store.secrets(TEST_PASSPHRASE),
        console_ring=store.unlock("console", TEST_PASSPHRASE),
        relay_ring=store.unlock("relay", TEST_PASSPHRASE),
    )


@pytest.fixture
async def core(database_url: str, vault: Vault, tmp_path: Path) -> AsyncIterator[Core]:
    """The core over a fresh database, with the cheap receipt KDF."""
    settings = CoreSettings(database_url=database_url, data_dir=tmp_path, kdf=CHEAP_KDF_PARAMS)
    core = Core(db=Database(database_url), vault=vault, settings=settings)
    yield core
    await core.db.dispose()
