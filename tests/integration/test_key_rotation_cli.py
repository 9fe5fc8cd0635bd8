"""`tinbao keys rotate` then `keys retire`: every tip, reply and route stays readable."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import open_core
from bot.config import load_settings
from storage import officers, rotation, tip_replies, tips, units
from storage.contexts import tip_context, tip_message_context
from storage.crypto import KeyStore
from storage.models import Tip, TipMessage
from storage.rotation import SEALED_COLUMNS
from tests.support.cli import tinbao

PASSPHRASE = "rotation test passphrase"


async def test_rotate_and_retire_keep_everything_readable(tmp_path: Path) -> None:
    settings = load_settings(
        {"TINBAO_DATA_DIR": str(tmp_path), "TINBAO_KEY_PASSPHRASE": PASSPHRASE}
    )
    core = await open_core(settings, "all", demo=True, say=lambda _: None)
    try:
        async with core.db.read() as session:
            if await units.count_units(session) == 0:
                await units.import_units_file(core.db, units.DEMO_UNITS_CSV)
        officer = await officers.add_officer(
            core.db, username="hoa", password="đủ dài để an toàn", roles=["triage"], unit_code="LS"
        )
        submitted = [
            await tips.submit_tip(
                core,
                category="weapons",
                content=tips.TipContent(text=f"Tin báo số {i}: cất giấu vũ khí"),
                attachments=[tips.NewAttachment("photo", "image/jpeg", "a.jpg", b"jpeg")],
                reply_route=tips.ReplyRoute(chat_id=1000 + i, language="vi"),
            )
            for i in range(5)
        ]
        for item in submitted:
            await tip_replies.reply_to_tipster(
                core, item.tip_id, officer_id=officer.id, text="Đã nhận"
            )
    finally:
        await core.db.dispose()
    store = KeyStore(tmp_path / "keys")
    old_console, old_relay = store.current_id("console"), store.current_id("relay")

    rotated = tinbao(["keys", "rotate"], tmp_path, TINBAO_KEY_PASSPHRASE=PASSPHRASE)
    assert rotated.returncode == 0, rotated.stderr
    assert "tip: 5 re-sealed" in rotated.stdout
    assert "keys retire" in rotated.stdout
    assert store.current_id("console") != old_console
    assert set(store.key_ids("console")) >= {old_console, store.current_id("console")}

    retired = tinbao(["keys", "retire"], tmp_path, TINBAO_KEY_PASSPHRASE=PASSPHRASE)
    assert retired.returncode == 0, retired.stderr
    assert f"deleted old key {old_console}" in retired.stdout
    assert f"deleted old key {old_relay}" in retired.stdout
    assert store.key_ids("console") == (store.current_id("console"),)

    core = await open_core(settings, "all", demo=True, say=lambda _: None)
    try:
        for column in SEALED_COLUMNS:
            used = await rotation.key_ids_in_use(core.db, column.kind)
            assert used <= {store.current_id(column.kind)}
        ring = core.vault.require_console()
        async with core.db.read() as session:
            for tip in (await session.scalars(select(Tip))).all():
                content = tips.TipContent.from_bytes(
                    ring.open(tip.key_id, tip.sealed, tip_context(tip.id))
                )
                assert content.text.startswith("Tin báo số")
            for message in (await session.scalars(select(TipMessage))).all():
                assert (
                    ring.open(message.key_id, message.sealed, tip_message_context(message.id))
                    == "Đã nhận".encode()
                )
        for item in submitted:
            route = await tip_replies.resolve_route(core, item.tip_id)
            assert route is not None and 1000 <= route.chat_id < 1005
            access = await tips.unlock_with_receipt(core, item.receipt)
            assert access is not None
            view = await tips.tipster_view(core, access)
            assert view is not None and view.thread[0].text == "Đã nhận"
    finally:
        await core.db.dispose()
