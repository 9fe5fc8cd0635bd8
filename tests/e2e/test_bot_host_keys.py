"""A bot on a host of its own runs on `tinbao keys export-bot` alone and cannot read tips.

Host A (the console host) runs `tinbao keys init` with two passphrases and exports the
bot's keys into host B's data dir; `tinbao bot` on B, given only the bot's passphrase,
answers /start and takes a tip that only A's console key opens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import open_core
from bot.config import load_settings
from sandbox.server import SandboxServer
from storage import tips, units
from storage.contexts import tip_context
from storage.core import KeyUnavailable
from storage.crypto import KeyFileError, KeyStore
from storage.db import Database
from storage.models import Tip
from tests.support.cli import start_tinbao, tinbao
from tests.support.tip_flow import TEXT, Draft, send_tip

BOT_PASSPHRASE = "the bot host's own passphrase"
CONSOLE_PASSPHRASE = "only the console host knows this one"


async def test_bot_host_runs_on_exported_keys_and_cannot_open_tips(
    tmp_path: Path, external_api: tuple[str, SandboxServer]
) -> None:
    token, box = external_api
    host_a, host_b = tmp_path / "console-host", tmp_path / "bot-host"
    shared = tmp_path / "database"
    shared.mkdir()
    database = {"TINBAO_DATABASE_URL": f"sqlite+aiosqlite:///{shared / 'tinbao.sqlite3'}"}
    console_env = database | {
        "TINBAO_KEY_PASSPHRASE": BOT_PASSPHRASE,
        "TINBAO_CONSOLE_KEY_PASSPHRASE": CONSOLE_PASSPHRASE,
    }

    init = tinbao(["keys", "init"], host_a, **console_env)
    assert init.returncode == 0, init.stderr
    imported = tinbao(["unit", "import", str(units.DEMO_UNITS_CSV)], host_a, **database)
    assert imported.returncode == 0, imported.stderr
    export = tinbao(["keys", "export-bot", str(host_b)], host_a, **console_env)
    assert export.returncode == 0, export.stderr
    assert "warning" not in export.stderr
    assert not list((host_b / "keys" / "console").glob("*.key"))

    bot = await start_tinbao(
        host_b,
        "bot",
        TINBAO_BOT_TOKEN=token,
        TINBAO_TELEGRAM_API_URL=box.api_base_url,
        TINBAO_KEY_PASSPHRASE=BOT_PASSPHRASE,  # and no console passphrase at all
        **database,
    )
    try:
        await bot.wait_for_line(r"Bot: polling")
        resident = box.resident("Hùng", "vi")
        await resident.send("/start")
        menu = await resident.expect("Xin chào", timeout=20)
        assert "📝 Gửi tin báo" in [b.text for b in menu.buttons]
        sent = await send_tip(resident, Draft(reply_in_chat=True))
    finally:
        code = await bot.stop()
    assert code == 0, "\n".join(bot.lines)
    assert not any("Created encryption keys" in line for line in bot.lines)
    # The bot host still holds no console private key, and its passphrase opens none.
    bot_keys = KeyStore(host_b / "keys")
    assert not list(bot_keys.directory.glob("console/*.key"))
    with pytest.raises(KeyFileError):
        KeyStore(host_a / "keys").unlock("console", BOT_PASSPHRASE)

    # The tip is sealed to A's console key: A's console opens it, B's keys cannot.
    db = Database(database["TINBAO_DATABASE_URL"])
    try:
        async with db.read() as session:
            tip = (await session.scalars(select(Tip).where(Tip.ref == sent.ref))).one()
    finally:
        await db.dispose()
    assert tip.key_id == KeyStore(host_a / "keys").current_id("console")
    with pytest.raises(KeyFileError, match="only the public key"):
        bot_keys.unlock("console", BOT_PASSPHRASE)

    settings = load_settings(
        {"TINBAO_DATA_DIR": str(host_a), "TINBAO_CONSOLE_KEY_PASSPHRASE": CONSOLE_PASSPHRASE}
        | database
    )
    console = await open_core(settings, "console", say=lambda _: None)
    try:
        ring = console.vault.require_console()
        content = tips.TipContent.from_bytes(ring.open(tip.key_id, tip.sealed, tip_context(tip.id)))
        assert content.text == TEXT
        # The console process holds neither the relay key nor the install secrets.
        assert console.vault.relay_ring is None and console.vault.secrets is None
        with pytest.raises(KeyUnavailable):
            console.vault.require_secrets()
    finally:
        await console.db.dispose()
