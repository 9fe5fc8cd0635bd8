"""Officers' replies to a tipster (DESIGN §4): sealed for the console's thread and to the
tipster's key, and pushed to the chat through the outbox when the tipster left a reply
route, which only the bot process opens.
"""

from __future__ import annotations

import uuid

from storage import audit, outbox
from storage.contexts import reply_route_context, tip_message_context, tipster_message_context
from storage.core import Core
from storage.crypto import PublicKey, seal
from storage.models import Tip, TipMessage, utcnow
from storage.reply_route import ReplyRoute
from storage.tips import MAX_TEXT, TipError


async def reply_to_tipster(
    core: Core, tip_id: uuid.UUID, *, officer_id: int, text: str
) -> uuid.UUID:
    """An officer's reply: sealed for the console thread and for the tipster's key.

    When the tipster chose a reply route, the reply is queued for the chat in the same
    transaction; the bot resolves the sealed route, so this process never sees a chat id.
    """
    text = text.strip()
    if not text:
        raise TipError("a reply needs text")
    if len(text) > MAX_TEXT - 200:
        raise TipError(f"the reply is longer than {MAX_TEXT - 200} characters")
    message_id = uuid.uuid4()
    console = core.vault.console_public
    async with core.db.write() as session:
        tip = await session.get(Tip, tip_id)
        if tip is None:
            raise TipError("no such tip")
        tipster_public = PublicKey.from_bytes(tip.tipster_public_key)
        session.add(
            TipMessage(
                id=message_id,
                tip_id=tip.id,
                direction="officer",
                officer_id=officer_id,
                key_id=console.key_id,
                sealed=seal(console, text.encode(), tip_message_context(message_id)),
                tipster_sealed=seal(
                    tipster_public, text.encode(), tipster_message_context(message_id)
                ),
            )
        )
        tip.updated_at = utcnow()
        if tip.reply_route_sealed is not None:
            outbox.enqueue(
                session,
                core.vault.relay_public,
                "tip_reply",
                outbox.Payload(
                    message="tip.reply_pushed",
                    params={"ref": tip.ref, "text": text},
                    route_tip_id=str(tip.id),
                ),
                dedupe_key=f"tip-reply:{message_id}",
            )
        await audit.record(
            session,
            "tip.reply",
            actor=f"officer:{officer_id}",
            officer_id=officer_id,
            subject_type="tip",
            subject_id=tip.ref,
            details={"pushed": tip.reply_route_sealed is not None},
        )
    return message_id


async def resolve_route(core: Core, tip_id: uuid.UUID) -> ReplyRoute | None:
    """Open a tip's reply route with the relay key (only the bot process can)."""
    ring = core.vault.require_relay()
    async with core.db.read() as session:
        tip = await session.get(Tip, tip_id)
        if tip is None or tip.reply_route_sealed is None or tip.reply_route_key_id is None:
            return None
        return ReplyRoute.open(
            ring, tip.reply_route_key_id, tip.reply_route_sealed, reply_route_context(tip.id)
        )
