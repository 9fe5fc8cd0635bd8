"""Key rotation: re-seal every stored value to the newest key of its kind.

Each sealed column registers here with how its context is built; a feature that adds a
sealed column adds a `SealedColumn` to `SEALED_COLUMNS`, and rotation covers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from storage import audit
from storage.contexts import (
    attachment_context,
    forum_question_context,
    forum_route_context,
    outbox_context,
    reply_route_context,
    subscriber_chat_context,
    tip_context,
    tip_message_context,
    totp_context,
)
from storage.crypto import KeyKind, KeyRing, PublicKey, reseal
from storage.db import Database
from storage.models import (
    Attachment,
    Base,
    ForumQuestion,
    Officer,
    OutboxMessage,
    Subscriber,
    Tip,
    TipMessage,
)


@dataclass(frozen=True)
class SealedColumn:
    """A column holding sealed values, the column with their key id, and their context."""

    kind: KeyKind
    model: type[Base]
    key_id: InstrumentedAttribute[Any]
    blob: InstrumentedAttribute[Any]
    context: Callable[[Any], bytes]


SEALED_COLUMNS: list[SealedColumn] = [
    SealedColumn("console", Tip, Tip.key_id, Tip.sealed, lambda r: tip_context(r.id)),
    SealedColumn(
        "console",
        TipMessage,
        TipMessage.key_id,
        TipMessage.sealed,
        lambda r: tip_message_context(r.id),
    ),
    SealedColumn(
        "console",
        Attachment,
        Attachment.key_id,
        Attachment.sealed,
        lambda r: attachment_context(r.id),
    ),
    SealedColumn(
        "console",
        Attachment,
        Attachment.key_id,
        Attachment.original_sealed,
        lambda r: attachment_context(r.id, "original"),
    ),
    SealedColumn(
        "console", Officer, Officer.totp_key_id, Officer.totp_sealed, lambda r: totp_context(r.id)
    ),
    SealedColumn(
        "relay",
        Tip,
        Tip.reply_route_key_id,
        Tip.reply_route_sealed,
        lambda r: reply_route_context(r.id),
    ),
    SealedColumn(
        "relay",
        OutboxMessage,
        OutboxMessage.key_id,
        OutboxMessage.sealed,
        lambda r: outbox_context(r.id),
    ),
    SealedColumn(
        "console",
        ForumQuestion,
        ForumQuestion.key_id,
        ForumQuestion.sealed,
        lambda r: forum_question_context(r.id),
    ),
    SealedColumn(
        "relay",
        ForumQuestion,
        ForumQuestion.route_key_id,
        ForumQuestion.route_sealed,
        lambda r: forum_route_context(r.id),
    ),
    SealedColumn(
        "relay",
        Subscriber,
        Subscriber.key_id,
        Subscriber.chat_sealed,
        lambda r: subscriber_chat_context(r.id),
    ),
]


async def reseal_all(
    db: Database,
    kind: KeyKind,
    ring: KeyRing,
    new_public: PublicKey,
    *,
    batch: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> int:
    """Re-seal every value of `kind` not yet under `new_public`; returns how many changed.

    Rows are re-sealed in batches, each batch its own transaction, so a large database
    does not hold one long lock and an interrupted run continues where it stopped.
    """
    total = 0
    # Group by the row model: the same row may hold two blobs under one key id column.
    by_model: dict[type[Base], list[SealedColumn]] = {}
    for column in SEALED_COLUMNS:
        if column.kind == kind:
            by_model.setdefault(column.model, []).append(column)
    for model, columns in by_model.items():
        key_column = columns[0].key_id
        while True:
            async with db.write() as session:
                rows = (
                    await session.scalars(
                        select(model)
                        .where(key_column.is_not(None), key_column != new_public.key_id)
                        .limit(batch)
                    )
                ).all()
                for row in rows:
                    old_id = getattr(row, key_column.key)
                    for column in columns:
                        blob = getattr(row, column.blob.key)
                        if blob is not None:
                            fresh = reseal(ring, old_id, blob, column.context(row), new_public)
                            setattr(row, column.blob.key, fresh)
                    setattr(row, key_column.key, new_public.key_id)
                total += len(rows)
            if progress is not None and rows:
                progress(model.__tablename__, total)
            if len(rows) < batch:
                break
    async with db.write() as session:
        await audit.record(
            session,
            "keys.reseal",
            actor="cli",
            subject_type="key",
            subject_id=new_public.key_id,
            details={"kind": kind, "values": total},
        )
    return total


async def key_ids_in_use(db: Database, kind: KeyKind) -> set[str]:
    """Every key id that some stored value of `kind` still refers to."""
    used: set[str] = set()
    async with db.read() as session:
        for column in SEALED_COLUMNS:
            if column.kind == kind:
                ids = await session.scalars(select(column.key_id).distinct())
                used.update(i for i in ids if i is not None)
    return used
