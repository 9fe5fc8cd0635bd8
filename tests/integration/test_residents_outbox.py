"""What the bot keeps of residents, and the outbox, never hold a Telegram id in clear.

Rate limits keep nothing at all: tests/unit/test_resident_limits.py and
tests/integration/test_no_trace.py.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from storage import outbox, residents, rotation
from storage.contexts import tip_context
from storage.core import Core
from storage.crypto import seal
from storage.models import OutboxMessage, ResidentPreference, Tip, utcnow

USER_ID = 987654321


async def test_language_choice_is_remembered_under_a_pseudonym(core: Core) -> None:
    assert await residents.get_language(core, USER_ID) is None
    await residents.set_language(core, USER_ID, "en")
    await residents.set_language(core, USER_ID, "vi")
    assert await residents.get_language(core, USER_ID) == "vi"
    assert await residents.get_language(core, USER_ID + 1) is None
    async with core.db.read() as session:
        rows = (await session.scalars(select(ResidentPreference))).all()
    assert len(rows) == 1
    assert str(USER_ID).encode() not in rows[0].pseudonym
    assert rows[0].pseudonym != USER_ID.to_bytes(8, "big")


async def test_outbox_round_trip_wipes_content_once_sent(core: Core) -> None:
    payload = outbox.Payload(chat_id=USER_ID, text="<b>Trả lời</b> của Công an")
    async with core.db.write() as session:
        row = outbox.enqueue(
            session, core.vault.relay_public, "tip_reply", payload, dedupe_key="r1"
        )
    async with core.db.read() as session:
        stored = await session.get(OutboxMessage, row.id)
        assert stored is not None and stored.sealed is not None
        assert "Trả lời".encode() not in stored.sealed
        assert str(USER_ID).encode() not in stored.sealed
    ring = core.vault.require_relay()
    claimed = await outbox.claim_due(core, ring)
    assert [c.payload for c in claimed] == [payload]
    # Leased: a second worker does not take the same row.
    assert await outbox.claim_due(core, ring) == []
    await outbox.mark_sent(core, row.id)
    async with core.db.read() as session:
        sent = await session.get(OutboxMessage, row.id)
        assert sent is not None and sent.state == "sent" and sent.sealed is None


async def test_outbox_retry_and_expired_lease(core: Core) -> None:
    ring = core.vault.require_relay()
    async with core.db.write() as session:
        row = outbox.enqueue(
            session, core.vault.relay_public, "tip_reply", outbox.Payload(chat_id=1, text="x")
        )
    (claimed,) = await outbox.claim_due(core, ring)
    await outbox.retry_later(core, claimed.id, error="TimedOut", delay=dt.timedelta(seconds=0))
    (again,) = await outbox.claim_due(core, ring)
    assert again.id == row.id
    # A worker that died holding the row: after the lease it is taken again.
    async with core.db.write() as session:
        stored = await session.get(OutboxMessage, row.id)
        assert stored is not None
        stored.lease_until = utcnow() - dt.timedelta(seconds=1)
    (resumed,) = await outbox.claim_due(core, ring)
    assert resumed.id == row.id and resumed.attempts == 1


async def test_rotation_reseals_tips_and_routes(core: Core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.crypto import KeyStore
    from tests.conftest import TEST_PASSPHRASE, TEST_SCRYPT_N

    store = KeyStore(tmp_path / "keys", scrypt_n=TEST_SCRYPT_N)
    store.initialize(TEST_PASSPHRASE)
    old = store.unlock("console", TEST_PASSPHRASE)
    tip_id = uuid.uuid4()
    async with core.db.write() as session:
        session.add(
            Tip(
                id=tip_id,
                ref="TB-2026-000001",
                category="drugs",
                unit_id=1,
                key_id=old.public.key_id,
                sealed=seal(old.public, b"noi dung", tip_context(tip_id)),
                receipt_lookup=b"l" * 32,
                tipster_public_key=b"p",
                tipster_private_wrapped=b"w",
            )
        )
    store.rotate("console", TEST_PASSPHRASE)
    ring = store.unlock("console", TEST_PASSPHRASE)
    assert await rotation.reseal_all(core.db, "console", ring, ring.public) == 1
    assert await rotation.key_ids_in_use(core.db, "console") == {ring.public.key_id}
    async with core.db.read() as session:
        tip = await session.get(Tip, tip_id)
    assert tip is not None and tip.key_id == ring.public.key_id
    assert ring.open(tip.key_id, tip.sealed, tip_context(tip_id)) == b"noi dung"
    # Running it again finds nothing left to do.
    assert await rotation.reseal_all(core.db, "console", ring, ring.public) == 0
