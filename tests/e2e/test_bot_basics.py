"""A resident meets the bot: /start, /help, /lang, /cancel, and stray buttons."""

from __future__ import annotations

from tests.support.botenv import BotEnv


async def test_start_shows_the_vietnamese_menu(bot_env: BotEnv) -> None:
    lan = bot_env.resident("Lan", "vi")
    await lan.send("/start")
    welcome = await lan.expect("Xin chào")
    assert "Toàn dân bảo vệ an ninh Tổ quốc" in welcome.text
    assert "113" in welcome.text
    labels = [b.text for b in welcome.buttons]
    assert labels == [
        "📝 Gửi tin báo",
        "🔎 Tin báo của tôi",
        "💬 Diễn đàn",
        "⚠️ Cảnh báo",
        "🌐 Ngôn ngữ / Language",
        "❓ Hướng dẫn",
    ]


async def test_english_client_gets_english_and_lang_switches(bot_env: BotEnv) -> None:
    tom = bot_env.resident("Tom", "en")
    await tom.send("/start")
    await tom.expect("Hello!")
    await tom.send("/lang")
    await tom.expect("Choose your language")
    await tom.press("🇻🇳 Tiếng Việt")
    await tom.expect("Đã chuyển sang")
    await tom.send("/help")
    await tom.expect("Hướng dẫn sử dụng")


async def test_language_choice_survives_a_new_chat_session(bot_env: BotEnv) -> None:
    mai = bot_env.resident("Mai", "vi")
    await mai.send("/lang")
    await mai.expect("Chọn ngôn ngữ")
    await mai.press("🇬🇧 English")
    await mai.expect("Language set to")
    # The in-memory cache is gone after a restart; the pseudonymous preference remains.
    bot_env.bot.application.drop_user_data(mai.user.id)
    await mai.send("/help")
    await mai.expect("How to use this bot")


async def test_cancel_with_nothing_to_cancel(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await lan.send("/cancel")
    await lan.expect("Không có thao tác nào")


async def test_forged_callback_data_gets_a_clear_answer(bot_env: BotEnv) -> None:
    lan = bot_env.resident()
    await lan.send("/start")
    menu = await lan.expect("Xin chào")
    for data in ("tip:confirm:../../etc", "lang:fr", "x" * 64, "menu:nothing"):
        answer = await lan.press_forged(data, menu)
        assert answer.show_alert
        assert "hết hạn" in answer.text or "chưa được bật" in answer.text
    # The menu still works afterwards.
    await lan.press("❓ Hướng dẫn")
    await lan.expect("Hướng dẫn sử dụng")


async def test_commands_are_registered_for_both_languages(bot_env: BotEnv) -> None:
    from telegram import BotCommandScopeAllPrivateChats

    bot = bot_env.bot.application.bot
    scope = BotCommandScopeAllPrivateChats()
    vietnamese = {c.command: c.description for c in await bot.get_my_commands(scope=scope)}
    english = {
        c.command: c.description for c in await bot.get_my_commands(scope=scope, language_code="en")
    }
    assert next(iter(vietnamese)) == "start"
    assert {"start", "help", "lang", "cancel"} <= set(vietnamese)
    assert set(vietnamese) == set(english)
    assert vietnamese["help"] == "Hướng dẫn sử dụng"
    assert english["help"] == "How to use this bot"
