"""A resident subscribes to warnings in the bot, receives one, reads /warnings, blocks the
bot and unsubscribes: through the sandbox, the real bot and its delivery worker."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage import subscriptions, warnings
from storage.models import Subscriber
from tests.support.botenv import BotEnv
from tests.support.broadcasting import broadcaster
from tests.support.officers import unit_id

SCAM = "Giả danh nhân viên ngân hàng gửi đường link lạ"
DRUGS = "Thủ đoạn trồng cây có chứa chất ma túy trong vườn nhà"


async def _send(env: BotEnv, title: str, category: str, unit_code: str, **extra: str) -> int:
    officer = await broadcaster(env.core, f"bc{abs(hash(title)) % 10**6}")
    draft = warnings.WarningDraft(
        title_vi=title,
        body_vi="Người dân <b>tuyệt đối không</b> bấm vào đường link lạ.",
        category=category,
        severity="Severe",
        urgency=extra.get("urgency", "Expected"),
        unit_ids=[await unit_id(env.core, unit_code)],
    )
    warning_id = await warnings.create(env.core, officer, draft)
    await warnings.send_now(env.core, officer, warning_id)
    env.bot.worker.wake()
    return warning_id


async def test_a_resident_subscribes_and_receives_only_their_warnings(bot_env: BotEnv) -> None:
    lan = bot_env.resident("Lan")
    await lan.send("/subscribe")
    await lan.expect("bước 1/3")
    await lan.press("📂 tỉnh Lạng Sơn")
    await lan.expect(lambda m: m.button("⬜ xã Thanh Long") is not None)
    await lan.press("⬜ xã Thanh Long")
    await lan.expect(lambda m: "Đã chọn: xã Thanh Long" in m.text)
    await lan.press("Tiếp tục ➡️")
    await lan.expect("bước 2/3")
    await lan.press("⬜ 💻 Lừa đảo qua mạng, công nghệ cao")
    await lan.expect(lambda m: m.button("✅ 💻 Lừa đảo qua mạng, công nghệ cao") is not None)
    await lan.press("Tiếp tục ➡️")
    await lan.expect("bước 3/3")
    await lan.press("Không cần giờ yên lặng")
    await lan.expect("Xác nhận đăng ký")
    await lan.press("✅ Lưu đăng ký")
    await lan.expect("Đã đăng ký nhận cảnh báo")
    # Stored by pseudonym, the chat id sealed: nothing in the row names the resident.
    async with bot_env.core.db.read() as session:
        row = (await session.scalars(select(Subscriber))).one()
    assert str(lan.user.id).encode() not in row.chat_sealed + row.resident_key

    await _send(bot_env, DRUGS, "drugs", "LS-THANH-LONG")  # not a category she chose
    await _send(bot_env, SCAM, "fraud", "LS")  # the province covers her commune
    warning = await lan.expect(SCAM, timeout=15)
    assert "CẢNH BÁO" in warning.text and "tuyệt đối không" in warning.html
    assert not any(DRUGS in m.text for m in lan.messages)

    await lan.send("/warnings")
    listing = await lan.expect("Cảnh báo đang có hiệu lực")
    # Newest first; on request she sees every kind of warning for her area.
    assert [b.text for b in listing.buttons[:2]] == ["🟠 " + SCAM, "🟠 " + DRUGS[:47] + "…"]
    await lan.press(listing.buttons[0].text)
    await lan.expect(lambda m: SCAM in m.text and m.message_id != warning.message_id)

    await lan.send("/unsubscribe")
    await lan.expect("Đã hủy đăng ký")
    assert await subscriptions.get(bot_env.core, lan.user.id) is None


async def test_blocking_the_bot_pauses_the_subscription(bot_env: BotEnv) -> None:
    tam = bot_env.resident("Tâm")
    await tam.send("/start")
    await tam.expect("Xin chào")
    await subscriptions.subscribe(
        bot_env.core, tam.user.id, tam.user.id, unit_ids=[await unit_id(bot_env.core, "LS")]
    )
    tam.block_bot()  # the bot learns it from my_chat_member
    deadline = asyncio.get_running_loop().time() + 10
    while (found := await subscriptions.get(bot_env.core, tam.user.id)) and found.active:
        assert asyncio.get_running_loop().time() < deadline, "the subscription stayed active"
        await asyncio.sleep(0.05)
