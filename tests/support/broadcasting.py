"""Helpers for warning and delivery tests: officers, groups and subscribers in bulk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert

from bot.pacing import FloodBudget
from sandbox.model import Chat
from sandbox.world import World
from storage.auth import Identity
from storage.contexts import subscriber_chat_context
from storage.core import Core
from storage.crypto import seal
from storage.models import ChatGroup, Subscriber, SubscriptionUnit, utcnow
from storage.residents import resident_key
from storage.subscriptions import PURPOSE
from tests.support.officers import officer_identity, unit_id


async def broadcaster(core: Core, username: str = "thu", unit_code: str = "LS") -> Identity:
    """A broadcaster of a unit, as the console identifies them."""
    return await officer_identity(core, username, unit_code, "broadcaster")


async def many_groups(core: Core, chat_ids: list[int], unit_code: str) -> None:
    """Approved groups in bulk (as if each had been approved in the console)."""
    if not chat_ids:
        return
    unit = await unit_id(core, unit_code)
    now = utcnow()
    async with core.db.write() as session:
        await session.execute(
            insert(ChatGroup),
            [
                {
                    "chat_id": chat_id,
                    "title": f"Nhóm an ninh {i}",
                    "status": "approved",
                    "active": True,
                    "unit_id": unit,
                    "language": "vi",
                    "requested_at": now,
                    "updated_at": now,
                }
                for i, chat_id in enumerate(chat_ids)
            ],
        )


async def many_subscribers(
    core: Core, user_ids: list[int], unit_code: str, *, language: str = "vi"
) -> None:
    """Subscribers in bulk, sealed exactly as /subscribe stores them."""
    if not user_ids:
        return
    unit = await unit_id(core, unit_code)
    relay = core.vault.relay_public
    now = utcnow()
    subs, links = [], []
    for user_id in user_ids:
        sub_id = uuid.uuid4()
        subs.append(
            {
                "id": sub_id,
                "resident_key": resident_key(core, PURPOSE, user_id),
                "key_id": relay.key_id,
                "chat_sealed": seal(relay, str(user_id).encode(), subscriber_chat_context(sub_id)),
                "language": language,
                "categories": "",
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        links.append({"subscriber_id": sub_id, "unit_id": unit})
    async with core.db.write() as session:
        await session.execute(insert(Subscriber), subs)
        await session.execute(insert(SubscriptionUnit), links)


def scaled_budget(scale: float) -> FloodBudget:
    """The worker's budget matching a sandbox whose limits are scaled by `scale`."""
    base = FloodBudget()
    return FloodBudget(
        overall_per_second=base.overall_per_second * scale,
        group_per_minute=base.group_per_minute * scale,
        private_per_second=base.private_per_second * scale,
        # The same slack in time as at the real rate, at most half the sandbox's 30.
        overall_burst=min(15, round(base.overall_burst * scale)),
    )


@dataclass
class Audience:
    """Sandbox chats that stand for approved groups and subscribed residents."""

    groups: list[Chat]
    residents: list[Chat]


async def audience(
    core: Core, world: World, *, groups: int, residents: int, unit_code: str = "LS-THANH-LONG"
) -> Audience:
    """Groups with the bot in them and residents who started it, registered in bulk."""
    bot = world.default_bot
    group_chats = []
    for number in range(groups):
        chat = world.add_group(f"Tổ an ninh {number}", [])
        chat.members[bot.id] = "member"
        group_chats.append(chat)
    private_chats = []
    for number in range(residents):
        user = world.add_user(f"Dân {number}")
        chat = world.private_chat(bot, user)
        chat.started = True
        private_chats.append(chat)
    await many_groups(core, [c.id for c in group_chats], unit_code)
    await many_subscribers(core, [c.id for c in private_chats], unit_code)
    return Audience(group_chats, private_chats)


def bot_messages(world: World, chat: Chat) -> list[str]:
    """Texts (or captions) the bot posted in a chat."""
    bot_id = world.default_bot.id
    texts = []
    for message in chat.messages.values():
        if message.sender.id == bot_id:
            data = message.to_dict()
            texts.append(str(data.get("text", data.get("caption", ""))))
    return texts
