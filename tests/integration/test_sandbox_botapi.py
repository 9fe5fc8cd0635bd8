"""The sandbox Bot API driven by the real python-telegram-bot client, as the tinbao bot uses it."""

import asyncio
import datetime as dtm
import io
import socket
import time
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from sandbox import FloodLimits, SandboxServer, start_sandbox

TOKEN = "123456789:AAH-sandbox_test_token"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(bot_token=TOKEN)
    yield server
    await server.close()


def make_bot(server: SandboxServer, **request_options: float) -> Bot:
    request = HTTPXRequest(**request_options) if request_options else None  # type: ignore[arg-type]
    return Bot(
        TOKEN,
        base_url=server.api_base_url,
        base_file_url=server.file_base_url,
        request=request,
    )


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    async with make_bot(sandbox) as client:
        yield client


def picture(width: int = 1200, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)  # type: ignore[arg-type]


async def test_long_poll_returns_as_soon_as_a_resident_writes(
    sandbox: SandboxServer, bot: Bot
) -> None:
    lan = sandbox.resident("Lan", "vi", last_name="Nguyễn")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await lan.send("/start báo tin")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1.5
    message = updates[0].message
    assert message is not None and message.from_user is not None
    assert message.text == "/start báo tin"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert message.from_user.language_code == "vi"
    assert message.chat.type == "private" and message.chat.id == lan.user.id
    # Confirming with offset removes the update; a poll without news times out empty.
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_html_reaches_the_resident_with_utf16_entities(
    sandbox: SandboxServer, bot: Bot
) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    sent = await bot.send_message(
        lan.user.id,
        "🚨 <b>Cảnh báo</b>: lừa đảo qua điện thoại 📞 <i>Công an phường</i>",
        parse_mode="HTML",
    )
    assert sent.text == "🚨 Cảnh báo: lừa đảo qua điện thoại 📞 Công an phường"
    assert [sent.parse_entity(e) for e in sent.entities] == ["Cảnh báo", "Công an phường"]
    assert [(e.offset, e.length) for e in sent.entities] == [(3, 8), (39, 14)]
    seen = await lan.expect("Cảnh báo")
    assert seen.html == "🚨 <b>Cảnh báo</b>: lừa đảo qua điện thoại 📞 <i>Công an phường</i>"


async def test_malformed_html_is_a_bad_request(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    with pytest.raises(BadRequest, match="start tag"):
        await bot.send_message(lan.user.id, "Mã tin <TB-1>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(lan.user.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(lan.user.id, "đ" * 4097)
    assert lan.messages == []


async def test_flood_limits_answer_retry_after_and_count() -> None:
    async with await start_sandbox(bot_token=TOKEN, limits=FloodLimits()) as server:
        lan = server.resident("Lan")
        await lan.send("/start")
        async with make_bot(server) as client:
            for number in range(3):
                await client.send_message(lan.user.id, f"tin {number}")
            with pytest.raises(RetryAfter) as refused, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await client.send_message(lan.user.id, "quá nhanh")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert seconds(refused.value.retry_after) == 1
            # Edits and chat actions do not count.
            await client.send_chat_action(lan.user.id, "typing")
        flood = server.bot.flood
        assert len(flood.accepted(lan.user.id)) == 3
        assert flood.rejected(lan.user.id) == 1
        assert [m.text for m in lan.messages] == ["tin 0", "tin 1", "tin 2"]


async def test_blocked_resident_and_kicked_group_are_forbidden(
    sandbox: SandboxServer, bot: Bot
) -> None:
    lan, minh = sandbox.resident("Lan"), sandbox.resident("Minh")
    await lan.send("/start")
    lan.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(lan.user.id, "Cảnh báo mới")
    group = sandbox.group("Tổ dân phố 5", [lan, minh])
    group.remove_bot(by=minh)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.chat.id, "Cảnh báo mới")
    updates = await bot.get_updates(timeout=1)
    changes = [u.my_chat_member for u in updates if u.my_chat_member]
    assert [(c.chat.id, c.new_chat_member.status) for c in changes] == [
        (lan.user.id, "kicked"),
        (group.chat.id, "member"),
        (group.chat.id, "kicked"),
    ]
    assert changes[2].from_user.id == minh.user.id


async def test_bot_cannot_write_first_or_to_unknown_chats(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(lan.user.id, "Xin chào")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(987654321, "Xin chào")
    sandbox.world.deactivate_user(lan.user)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(lan.user.id, "Xin chào")


async def test_photo_upload_and_download_round_trip(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    await lan.send_photo(picture(1200, 900), caption="Xe không biển số")
    (update,) = await bot.get_updates(timeout=1)
    message = update.message
    assert message is not None and message.caption == "Xe không biển số"
    sizes = [(p.width, p.height) for p in message.photo]
    assert sizes[-1] == (1200, 900) and sizes[0] == (90, 68)
    file = await bot.get_file(message.photo[-1].file_id)
    data = bytes(await file.download_as_bytearray())
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (1200, 900))
    # The bot sends a document back: the resident gets exactly those bytes.
    sent = await bot.send_document(lan.user.id, b"%PDF-1.4 bien ban", filename="biên bản.pdf")
    assert sent.document is not None and sent.document.file_name == "biên bản.pdf"
    shown = await lan.expect(lambda m: m.kind == "document")
    assert lan.file_bytes(shown) == b"%PDF-1.4 bien ban"


async def test_files_over_twenty_megabytes_cannot_be_fetched(
    sandbox: SandboxServer, bot: Bot
) -> None:
    lan = sandbox.resident("Lan")
    await lan.send_document(b"\0" * (20 * 1024 * 1024 + 1), "camera.mp4", "video/mp4")
    await lan.send_document(b"\0" * (20 * 1024 * 1024), "ok.bin")
    updates = await bot.get_updates(timeout=1)
    big, fine = (u.message.document for u in updates if u.message and u.message.document)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big.file_id)
    assert (await bot.get_file(fine.file_id)).file_size == 20 * 1024 * 1024


async def test_edits_and_deletions_show_in_the_chat(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Hủy", callback_data="cancel")]])
    sent = await bot.send_message(lan.user.id, "Đang gửi…", reply_markup=keyboard)
    assert (await lan.expect("Đang gửi")).buttons[0].text == "Hủy"
    edited = await bot.edit_message_text(
        "<b>Đã gửi</b>", lan.user.id, sent.message_id, parse_mode="HTML"
    )
    assert not isinstance(edited, bool) and edited.edit_date is not None
    seen = await lan.expect("Đã gửi")
    # Like Telegram, an edit without reply_markup drops the keyboard.
    assert seen.edited and seen.buttons == [] and seen.html == "<b>Đã gửi</b>"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Đã gửi</b>", lan.user.id, sent.message_id, parse_mode="HTML"
        )
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(lan.user.id, sent.message_id, caption="x")
    assert await bot.delete_message(lan.user.id, sent.message_id)
    await lan.expect_deleted(sent.message_id)
    assert lan.messages == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(lan.user.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", lan.user.id, sent.message_id)


async def test_deleting_the_residents_messages_within_48_hours(
    sandbox: SandboxServer, bot: Bot
) -> None:
    lan = sandbox.resident("Lan")
    old = await lan.send("tin cũ")
    sandbox.world.advance_time(49 * 3600)
    fresh = await lan.send("tin mới")
    assert await bot.delete_message(lan.user.id, fresh)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(lan.user.id, old)
    assert await bot.delete_messages(lan.user.id, [old, fresh, 999])


async def test_injected_faults_surface_as_network_errors(sandbox: SandboxServer) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    faults = sandbox.world.faults
    async with make_bot(sandbox, read_timeout=0.3) as client:
        faults.fail_next("sendMessage", status=502)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await client.send_message(lan.user.id, "một")
        faults.fail_next("sendMessage", status=500, times=2)
        for _ in range(2):
            with pytest.raises(NetworkError):
                await client.send_message(lan.user.id, "hai")
        faults.hang_next("sendMessage", seconds=1.0)
        with pytest.raises(TimedOut):
            await client.send_message(lan.user.id, "ba")
        # A timed-out call may still have been carried out: the resident gets it.
        faults.hang_next("sendMessage", seconds=0.6, then="process")
        with pytest.raises(TimedOut):
            await client.send_message(lan.user.id, "bốn")
        await lan.expect("bốn", timeout=3)
        await client.send_message(lan.user.id, "năm")
    assert [m.text for m in lan.messages] == ["bốn", "năm"]


async def test_random_failures_are_reproducible(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")

    async def outcomes() -> list[bool]:
        sandbox.world.faults.random_failures(0.5, seed=7, methods=["sendMessage"])
        results = []
        for _ in range(12):
            try:
                await bot.send_message(lan.user.id, "x")
                results.append(True)
            except NetworkError:
                results.append(False)
        return results

    first = await outcomes()
    assert True in first and False in first
    assert await outcomes() == first


async def test_tokens_methods_and_parameter_styles(sandbox: SandboxServer, bot: Bot) -> None:
    stranger = Bot("42:wrong", base_url=sandbox.api_base_url)
    with pytest.raises(InvalidToken):
        await stranger.initialize()
    await stranger.shutdown()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    base = f"{sandbox.api_base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/GETME") as response:
            assert (await response.json())["result"]["username"] == "tinbao_bot"
        payload = {"chat_id": lan.user.id, "text": "<b>JSON</b>", "parse_mode": "HTML"}
        async with http.post(f"{base}/sendMessage", json=payload) as response:
            body = await response.json()
            assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
        form = {"chat_id": str(lan.user.id), "text": "form"}
        async with http.post(f"{base}/sendmessage", data=form) as response:
            assert (await response.json())["result"]["text"] == "form"
        async with http.get(
            f"{base}/sendMessage", params={"chat_id": "-5", "text": "x"}
        ) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }


async def test_a_second_bot_instance_ends_the_first_long_poll(
    sandbox: SandboxServer, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with make_bot(sandbox) as other:
        second = asyncio.create_task(other.get_updates(timeout=dtm.timedelta(seconds=0.5)))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


async def test_commands_by_scope_and_language(sandbox: SandboxServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("baotin", "Gửi tin báo")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="vi",
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    vi = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    assert [c.description for c in vi] == ["Gửi tin báo"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bao-Tin", "x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_group_information(sandbox: SandboxServer, bot: Bot) -> None:
    lan, minh = sandbox.resident("Lan"), sandbox.resident("Minh")
    group = sandbox.group("Tổ dân phố 5", [lan, minh], kind="supergroup")
    chat = await bot.get_chat(group.chat.id)
    assert (chat.title, chat.type) == ("Tổ dân phố 5", "supergroup")
    assert str(chat.id).startswith("-100")
    admins = await bot.get_chat_administrators(group.chat.id)
    assert [(a.user.first_name, a.status) for a in admins] == [("Lan", "creator")]
    assert await bot.get_chat_member_count(group.chat.id) == 3
    member = await bot.get_chat_member(group.chat.id, minh.user.id)
    assert member.status == "member"
    group.make_bot_admin()
    assert (await bot.get_chat_member(group.chat.id, sandbox.bot.id)).status == "administrator"
    assert await bot.leave_chat(group.chat.id)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(group.chat.id, "x")


async def test_media_group_and_reply_keyboard_location(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    sent = await bot.send_media_group(
        lan.user.id,
        [InputMediaPhoto(picture(300, 200), caption="một"), InputMediaPhoto(picture(200, 300))],
    )
    assert len({m.media_group_id for m in sent}) == 1 and sent[0].caption == "một"
    assert [m.kind for m in lan.messages] == ["photo", "photo"]
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Gửi vị trí", request_location=True)], ["Bỏ qua"]],
        one_time_keyboard=True,
    )
    await bot.send_message(lan.user.id, "Vị trí?", reply_markup=keyboard)
    assert lan.reply_keyboard == [["📍 Gửi vị trí"], ["Bỏ qua"]]
    await lan.press_reply_button("📍 Gửi vị trí", latitude=10.7769, longitude=106.7009)
    updates = await bot.get_updates(timeout=1)
    location = updates[-1].message.location  # type: ignore[union-attr]
    assert location is not None and (location.latitude, location.longitude) == (10.7769, 106.7009)
    assert lan.reply_keyboard is None


async def test_replies_quote_the_message(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    asked = await lan.send("Mã tin của tôi là gì?")
    reply = await bot.send_message(
        lan.user.id, "TB-2026-000123", reply_parameters=ReplyParameters(asked)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Mã tin của tôi là gì?"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(lan.user.id, "x", reply_parameters=ReplyParameters(9999))
    loose = ReplyParameters(9999, allow_sending_without_reply=True)
    assert (
        await bot.send_message(lan.user.id, "x", reply_parameters=loose)
    ).reply_to_message is None


async def test_webhook_receives_updates_with_its_secret(sandbox: SandboxServer, bot: Bot) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, object]]] = asyncio.Queue()
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.put_nowait(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=answers.pop(0))

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    port = sock.getsockname()[1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="bi-mat_123")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        lan = sandbox.resident("Lan")
        await lan.send("/start")
        await lan.send("xin chào")
        # The first delivery fails (500) and is retried, so the order holds.
        got = [await asyncio.wait_for(received.get(), 5) for _ in range(3)]
        assert {secret for secret, _ in got} == {"bi-mat_123"}
        texts = [update["message"]["text"] for _, update in got]  # type: ignore[index]
        assert texts == ["/start", "/start", "xin chào"]
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0 and info.last_error_message is not None
        assert await bot.delete_webhook()
    finally:
        await runner.cleanup()


async def test_allowed_updates_filter_what_is_queued(sandbox: SandboxServer, bot: Bot) -> None:
    lan = sandbox.resident("Lan")
    await lan.send("/start")
    (first,) = await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    await lan.send("không ai nghe")
    lan.block_bot()
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()
    await bot.get_updates(allowed_updates=[], timeout=0)  # back to the default kinds
    lan.unblock_bot()
    (update,) = await bot.get_updates(timeout=1)
    assert update.my_chat_member is not None


async def test_copy_forward_and_other_media(sandbox: SandboxServer, bot: Bot) -> None:
    lan, minh = sandbox.resident("Lan"), sandbox.resident("Minh")
    group = sandbox.group("Tổ dân phố 5", [minh])
    await lan.send("/start")
    original = await lan.send("Có người lạ ở ngõ 3")
    copied = await bot.copy_message(group.chat.id, lan.user.id, original)
    shown = await group.expect("ngõ 3")
    assert shown.message_id == copied.message_id and "forward_origin" not in shown.raw
    forwarded = await bot.forward_message(group.chat.id, lan.user.id, original)
    assert forwarded.forward_origin is not None
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(group.chat.id, lan.user.id, 9999)
    await bot.send_voice(lan.user.id, b"OggS voice", duration=3)
    video = await bot.send_video(lan.user.id, b"\0\0\0 ftyp", width=320, height=240)
    assert video.video is not None and (video.video.width, video.video.height) == (320, 240)
    assert [m.kind for m in lan.messages] == ["voice", "video"]
    assert lan.messages[0].raw["voice"]["duration"] == 3
    await bot.set_chat_menu_button(lan.user.id, MenuButtonCommands())
    assert (await bot.get_chat_menu_button(lan.user.id)).type == "commands"
