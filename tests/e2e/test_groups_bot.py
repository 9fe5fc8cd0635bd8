"""Neighbourhood groups: the bot asks for approval when added, an unapproved group gets
nothing, an officer's approval or a one-time code opens it, removing the bot closes it."""

from __future__ import annotations

import asyncio

from storage import groups, warnings
from tests.support.botenv import BotEnv
from tests.support.broadcasting import broadcaster
from tests.support.officers import unit_id

TITLE = "Cảnh giác thủ đoạn lừa đảo “việc nhẹ lương cao”"


async def _send_warning(env: BotEnv) -> None:
    officer = await broadcaster(env.core, f"bc{len(TITLE)}{asyncio.get_running_loop().time():.0f}")
    draft = warnings.WarningDraft(
        title_vi=TITLE,
        body_vi="Không nộp tiền đặt cọc để nhận việc qua mạng.",
        category="fraud",
        severity="Moderate",
        urgency="Expected",
        unit_ids=[await unit_id(env.core, "LS")],
    )
    warning_id = await warnings.create(env.core, officer, draft)
    await warnings.send_now(env.core, officer, warning_id)
    env.bot.worker.wake()


async def test_only_an_approved_group_receives_warnings(bot_env: BotEnv) -> None:
    hoa, minh = bot_env.resident("Hoa"), bot_env.resident("Minh")
    approved = bot_env.group("Zalo an ninh thôn Nà Tàn", [hoa])
    waiting = bot_env.group("Nhóm tổ dân phố 5", [minh])
    request = await approved.expect("Số yêu cầu của nhóm")
    await waiting.expect("phê duyệt")
    number = int(request.html.split("Số yêu cầu của nhóm: <b>")[1].split("<")[0])

    officer = await broadcaster(bot_env.core, "duyet")
    await groups.approve(
        bot_env.core, officer, number, await unit_id(bot_env.core, "LS-THANH-LONG")
    )
    bot_env.bot.worker.wake()
    await approved.expect("Nhóm đã được phê duyệt", timeout=15)

    await _send_warning(bot_env)
    await approved.expect(TITLE, timeout=15)
    await asyncio.sleep(0.5)
    assert not any(TITLE in m.text for m in waiting.messages)

    approved.remove_bot(hoa)
    found = None
    for _ in range(100):
        found = await groups.status_of(bot_env.core, approved.chat.id)
        if found is not None and not found.active:
            break
        await asyncio.sleep(0.05)
    assert found is not None and not found.active


async def test_a_group_admin_activates_the_group_with_a_one_time_code(bot_env: BotEnv) -> None:
    admin, member = bot_env.resident("Quân"), bot_env.resident("Nga")
    group = bot_env.group("Tổ an ninh xã Bảo Lâm", [admin, member])
    await group.expect("phê duyệt")
    officer = await broadcaster(bot_env.core, "macode")
    code = await groups.new_code(bot_env.core, officer, await unit_id(bot_env.core, "LS-BAO-LAM"))

    await group.send(f"/register {code}", member)
    await group.expect("Chỉ quản trị viên")
    await group.send("/register ABCD-EFGH-JKMN", admin)
    await group.expect("Mã không đúng")
    await group.send(f"/register {code.lower()}", admin)
    await group.expect("nhận cảnh báo của Công an về xã Bảo Lâm")
    await group.send(f"/register {code}", admin)  # a code works once
    await group.expect("Mã không đúng")

    await _send_warning(bot_env)
    await group.expect(TITLE, timeout=15)
