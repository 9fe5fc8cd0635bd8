"""One chat's updates run in order; other chats are not held up, even by a flood."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.updates import FairUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(id=chat_id, first_name="A", is_bot=False)
    chat = Chat(id=chat_id, type="private")
    message = Message(message_id=update_id, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id=update_id, message=message)


async def test_same_chat_is_serial_other_chats_run_alongside() -> None:
    processor = FairUpdateProcessor(max_concurrent_updates=64, backlog_per_chat=50)
    log: list[str] = []
    release = asyncio.Event()

    async def slow(name: str) -> None:
        log.append(f"start {name}")
        await release.wait()
        log.append(f"end {name}")

    async def quick(name: str) -> None:
        log.append(f"quick {name}")

    first = asyncio.create_task(processor.process_update(_update(1, 10), slow("a1")))
    second = asyncio.create_task(processor.process_update(_update(2, 10), quick("a2")))
    other = asyncio.create_task(processor.process_update(_update(3, 20), quick("b1")))
    await asyncio.wait_for(other, 1)
    assert log == ["start a1", "quick b1"]
    release.set()
    await asyncio.gather(first, second)
    assert log == ["start a1", "quick b1", "end a1", "quick a2"]


async def test_a_flood_from_one_chat_is_cut_and_others_still_pass() -> None:
    processor = FairUpdateProcessor(max_concurrent_updates=32, backlog_per_chat=5)
    release = asyncio.Event()
    handled: list[int] = []

    async def handle(chat: int) -> None:
        if chat == 1:
            await release.wait()
        handled.append(chat)

    flood = [
        asyncio.create_task(processor.process_update(_update(i, 1), handle(1))) for i in range(100)
    ]
    await asyncio.sleep(0)
    calm = asyncio.create_task(processor.process_update(_update(1000, 2), handle(2)))
    await asyncio.wait_for(calm, 1)
    assert handled == [2]
    release.set()
    await asyncio.gather(*flood)
    assert handled.count(1) == 5
    assert processor.dropped == 95
