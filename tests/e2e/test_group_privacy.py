"""Nothing that could expose a tipster happens in a group, whatever a member presses there."""

from __future__ import annotations

from tests.support.botenv import BotEnv


async def test_the_tip_and_status_flows_never_start_in_a_group(bot_env: BotEnv) -> None:
    lan, minh = bot_env.resident("Lan"), bot_env.resident("Minh")
    group = bot_env.group("Zalo an ninh thôn Nà Tàn", [lan, minh])
    await group.send("/lang", sender=lan)
    await group.expect("Chọn ngôn ngữ")
    await group.press("🇻🇳 Tiếng Việt", by=lan)
    await group.expect("Đã chuyển sang")
    # No main menu (and so no "send a tip" button) is posted into the group.
    assert not any(m.button("📝 Gửi tin báo") for m in group.messages)

    # A menu forwarded from somewhere else: its tip and status buttons refuse to start.
    await group.send("/tip", sender=lan)
    await group.expect("nhắn riêng")
    await group.send("/status", sender=minh)
    await group.expect("nhắn riêng")
    assert not any("mã biên nhận" in m.text for m in group.messages)
    assert not any("Bước" in m.text for m in group.messages)


async def test_a_menu_button_pressed_in_a_group_answers_privately(bot_env: BotEnv) -> None:
    lan = bot_env.resident("Lan")
    group = bot_env.group("Tổ tự quản", [lan])
    await group.send("/start", sender=lan)
    notice = await group.expect("nhắn riêng")
    before = len(group.messages)
    for data in ("menu:tip", "menu:status"):
        answer = await group.press_forged(data, notice, by=lan)
        assert answer.show_alert and "nhắn riêng" in answer.text
    assert len(group.messages) == before
