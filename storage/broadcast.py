"""Queue a broadcast to the groups and subscribers of some areas: the shared entry point.

Every feature that pushes something to neighbourhood groups and subscribed residents
(warnings, forum sessions and answers) calls these; the delivery worker in `bot` sends.

    from storage.broadcast import groups_of_unit, queue_broadcast

    async with core.db.write() as session:
        count = await queue_broadcast(
            session, core,
            kind="forum", source_id=str(session_id),
            unit_ids=[unit_id],
            texts={"vi": "<b>Diễn đàn</b> …", "en": "<b>Forum</b> …"},
        )

`queue_broadcast(session, core, *, kind, source_id, unit_ids, texts, category=None,
urgent=False, groups=True, subscribers=True, group_ids=None, image=None) -> int`

- joins the caller's transaction: the broadcast and its delivery rows are committed with
  the change that caused them, or not at all;
- `unit_ids`: target areas; each unit covers its descendants. Groups bound to a unit of
  the areas receive it; so do subscribers following such a unit or a unit above it (who
  chose a whole province hears about each of its communes);
- `texts`: Telegram HTML per language, `"vi"` required, `"en"` optional (the Vietnamese
  text goes to English readers when it is missing); checked with `storage.telegram_html`;
- `category`: a warning category (`storage.models.WARNING_CATEGORIES`); subscribers who chose
  categories get only theirs. `None` (forum and other announcements) reaches every
  subscriber of the areas;
- `urgent`: skips subscribers' quiet hours and overtakes queued normal messages;
- `groups` / `subscribers`: which kinds of chats receive it;
- `group_ids`: only these groups (ids from `groups_of_unit`); groups outside the areas,
  unapproved or inactive ones are left out all the same;
- `image`: a picture already stripped of metadata (JPEG or PNG), sent with the text as
  its caption (then the text must fit Telegram's 1,024-character caption);
- returns how many deliveries were queued (one per active target chat, never two).

`groups_of_unit(session, unit_id) -> list[ChatGroup]`: approved, active groups of the
unit and its descendants, by title, for pickers.

`progress(session, kind, source_id) -> Progress`: sent / failed / pending counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.models import (
    Broadcast,
    ChatGroup,
    Delivery,
    Subscriber,
    SubscriptionUnit,
    Unit,
    utcnow,
)
from storage.quiet import quiet_until
from storage.telegram_html import HtmlError, check_html, visible_length
from storage.units import subtree_ids

CAPTION_LIMIT = 1024
MESSAGE_LIMIT = 4096
LANGUAGES = ("vi", "en")


class BroadcastError(ValueError):
    """Texts that Telegram would refuse; the message says which and why."""


@dataclass(frozen=True)
class Progress:
    """Where the deliveries of one source stand."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        """Every delivery queued."""
        return self.sent + self.failed + self.skipped + self.pending

    @property
    def done(self) -> bool:
        """Nothing left to send."""
        return self.pending == 0


def _check_texts(texts: dict[str, str], *, with_image: bool) -> None:
    if not texts.get("vi"):
        raise BroadcastError("a broadcast needs a Vietnamese text")
    limit = CAPTION_LIMIT if with_image else MESSAGE_LIMIT
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise BroadcastError(f"unknown language {language!r}")
        try:
            check_html(text)
        except HtmlError as exc:
            raise BroadcastError(f"{language}: {exc}") from None
        if visible_length(text) > limit:
            raise BroadcastError(f"{language}: longer than Telegram's {limit} characters")


async def _area(session: AsyncSession, unit_ids: list[int]) -> set[int]:
    area: set[int] = set()
    for unit_id in unit_ids:
        area.update(await subtree_ids(session, unit_id))
    return area


async def groups_of_unit(session: AsyncSession, unit_id: int) -> list[ChatGroup]:
    """Approved, active groups bound to the unit or a unit below it, by title."""
    area = await _area(session, [unit_id])
    query = (
        select(ChatGroup)
        .where(
            ChatGroup.status == "approved",
            ChatGroup.active.is_(True),
            ChatGroup.unit_id.in_(area),
        )
        .order_by(ChatGroup.title, ChatGroup.id)
    )
    return list((await session.scalars(query)).all())


async def _group_targets(
    session: AsyncSession, area: set[int], group_ids: list[int] | None
) -> list[tuple[int, str]]:
    query = select(ChatGroup.id, ChatGroup.language).where(
        ChatGroup.status == "approved", ChatGroup.active.is_(True), ChatGroup.unit_id.in_(area)
    )
    if group_ids is not None:
        query = query.where(ChatGroup.id.in_(group_ids))
    return [(int(i), str(lang)) for i, lang in (await session.execute(query)).all()]


async def _with_ancestors(session: AsyncSession, area: set[int]) -> set[int]:
    """The area and every unit above it: who follows a whole province hears of its communes."""
    paths = (await session.scalars(select(Unit.path).where(Unit.id.in_(area)))).all()
    return area | {int(part) for path in paths for part in path.strip("/").split("/") if part}


async def _subscriber_targets(
    session: AsyncSession, area: set[int], category: str | None
) -> list[tuple[uuid.UUID, str, int | None, int | None]]:
    followed = await _with_ancestors(session, area)
    following = select(SubscriptionUnit.subscriber_id).where(SubscriptionUnit.unit_id.in_(followed))
    query = select(
        Subscriber.id,
        Subscriber.language,
        Subscriber.categories,
        Subscriber.quiet_start,
        Subscriber.quiet_end,
    ).where(Subscriber.active.is_(True), Subscriber.id.in_(following))
    targets = []
    for sub_id, language, categories, start, end in (await session.execute(query)).all():
        chosen = [c for c in str(categories).split(",") if c]
        if category is None or not chosen or category in chosen:
            targets.append((sub_id, str(language), start, end))
    return targets


async def queue_broadcast(
    session: AsyncSession,
    core: Core,
    *,
    kind: str,
    source_id: str,
    unit_ids: list[int],
    texts: dict[str, str],
    category: str | None = None,
    urgent: bool = False,
    groups: bool = True,
    subscribers: bool = True,
    group_ids: list[int] | None = None,
    image: bytes | None = None,
    image_mime: str | None = None,
) -> int:
    """Queue one delivery per active target chat of the areas; see the module docstring."""
    del core  # part of the signature so that later policies (per-install limits) fit in
    _check_texts(texts, with_image=image is not None)
    area = await _area(session, unit_ids)
    broadcast = Broadcast(
        kind=kind,
        source_id=source_id,
        text_vi=texts["vi"],
        text_en=texts.get("en") or None,
        category=category,
        urgent=urgent,
        image=image,
        image_mime=(image_mime or "image/jpeg") if image is not None else None,
    )
    session.add(broadcast)
    await session.flush()
    now = utcnow()
    priority = 0 if urgent else 1
    rows: list[dict[str, Any]] = []
    if groups and area:
        for group_id, language in await _group_targets(session, area, group_ids):
            rows.append(
                {"group_id": group_id, "subscriber_id": None, "language": language, "due_at": now}
            )
    if subscribers and area:
        for sub_id, language, start, end in await _subscriber_targets(session, area, category):
            due = now if urgent else (quiet_until(start, end, now) or now)
            rows.append(
                {"group_id": None, "subscriber_id": sub_id, "language": language, "due_at": due}
            )
    for row in rows:
        row.update(broadcast_id=broadcast.id, priority=priority, state="pending", created_at=now)
    if rows:
        await session.execute(insert(Delivery), rows)
    return len(rows)


async def broadcasts_of(session: AsyncSession, kind: str, source_id: str) -> list[int]:
    """The broadcasts a source queued, oldest first."""
    query = (
        select(Broadcast.id)
        .where(Broadcast.kind == kind, Broadcast.source_id == source_id)
        .order_by(Broadcast.id)
    )
    return [int(i) for i in (await session.scalars(query)).all()]


async def progress(session: AsyncSession, kind: str, source_id: str) -> Progress:
    """Sent, failed, skipped and pending deliveries of everything a source queued."""
    query = (
        select(Delivery.state, func.count())
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Broadcast.kind == kind, Broadcast.source_id == source_id)
        .group_by(Delivery.state)
    )
    counts = {str(state): int(n) for state, n in (await session.execute(query)).all()}
    return Progress(
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        pending=counts.get("pending", 0) + counts.get("sending", 0),
    )
