"""The Bot API over HTTP: routing, faults, errors, and the methods that are not about messages."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web

from sandbox import messaging
from sandbox.errors import (
    ApiError,
    bad_request,
    conflict,
    forbidden,
    not_found,
    unauthorized,
)
from sandbox.media import DOWNLOAD_LIMIT
from sandbox.model import JSON, BotAccount, Chat, Webhook
from sandbox.params import Call, Params, Registry
from sandbox.world import ApiCall, World, member_dict

WORLD_KEY = web.AppKey("world", World)
BACKGROUND_KEY = web.AppKey("background", set[asyncio.Future[web.Response]])
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
MAX_POLL_SECONDS = 50.0  # like Telegram, cap a long poll
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
SCOPES = frozenset(
    [
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    ]
)

methods = Registry()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _reply(body: JSON, status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


async def _process(
    request: web.Request, world: World, method: str, delay: float = 0.0
) -> web.Response:
    """Answer one call; with a delay, the request is read first and carried out later."""
    token = request.match_info["token"]
    status = 200
    try:
        if not TOKEN_RE.fullmatch(token):
            raise not_found()
        bot = world.bots.get(token)
        if bot is None:
            raise unauthorized()
        handler = ALL_METHODS.get(method)
        if handler is None:
            raise not_found()
        params = await Params.read(request)
        if delay:
            await asyncio.sleep(delay)
        result = await handler(Call(world, bot, params, method))
        body: JSON = {"ok": True, "result": result}
    except ApiError as exc:
        status, body = exc.status, exc.body()
    world.api_calls.append(ApiCall(method, status, world.now()))
    return _reply(body, status)


async def handle_api(request: web.Request) -> web.Response:
    """POST|GET /bot{token}/{method}."""
    world = request.app[WORLD_KEY]
    method = request.match_info["method"].lower()
    fault = world.faults.take(method)
    if fault is None:
        return await _process(request, world, method)
    if fault.hang and fault.then == "process":
        # Shielded: a client that gives up (handler cancelled) does not stop the call.
        task = asyncio.ensure_future(_process(request, world, method, delay=fault.hang))
        background = request.app[BACKGROUND_KEY]
        background.add(task)
        task.add_done_callback(background.discard)
        return await asyncio.shield(task)
    if fault.hang:
        await asyncio.sleep(fault.hang)
    world.api_calls.append(ApiCall(method, fault.code, world.now()))
    return _reply(fault.body(), fault.code)


async def handle_file(request: web.Request) -> web.StreamResponse:
    """GET /file/bot{token}/{file_path}: the bytes of a stored file."""
    world = request.app[WORLD_KEY]
    if request.match_info["token"] not in world.bots:
        return _reply(unauthorized().body(), 401)
    stored = world.files.by_path.get(request.match_info["path"])
    if stored is None or stored.size > DOWNLOAD_LIMIT:
        return _reply(not_found().body(), 404)
    return web.Response(body=stored.data, content_type=stored.mime_type)


# --- the bot itself ---------------------------------------------------------------------------


@methods("getMe")
async def get_me(call: Call) -> JSON:
    return call.bot.me()


@methods("logOut", "close")
async def log_out(call: Call) -> bool:
    return True


@methods("getUpdates")
async def get_updates(call: Call) -> list[JSON]:
    bot, params = call.bot, call.params
    if bot.webhook is not None:
        raise conflict(
            "can't use getUpdates method while webhook is active; use deleteWebhook to delete "
            "the webhook first"
        )
    allowed = params.obj("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = frozenset(map(str, allowed)) if allowed else None
    offset = params.integer("offset")
    if offset is not None and offset > 0:
        bot.updates = [u for u in bot.updates if u[0] >= offset]
    elif offset is not None and offset < 0:
        bot.updates = bot.updates[offset:]
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_POLL_SECONDS)
    # A newer poll ends an older one with 409, as Telegram does.
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.pulse.fire()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if generation != bot.poll_generation:
            raise conflict(
                "terminated by other getUpdates request; make sure that only one bot instance "
                "is running"
            )
        if bot.updates or call.world.closed:
            return [update for _, update in bot.updates[:limit]]
        remaining = deadline - loop.time()
        if remaining <= 0:
            return []
        await bot.pulse.wait(remaining)


@methods("setWebhook")
async def set_webhook(call: Call) -> bool:
    url = call.params.text("url") or ""
    if call.params.flag("drop_pending_updates"):
        call.bot.updates.clear()
    if not url:
        call.bot.webhook = None
        return True
    if not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = call.params.obj("allowed_updates")
    if isinstance(allowed, list):
        call.bot.allowed_updates = frozenset(map(str, allowed)) if allowed else None
    call.bot.webhook = Webhook(
        url,
        secret_token=call.params.text("secret_token"),
        max_connections=call.params.integer("max_connections") or 40,
        allowed_updates=allowed if isinstance(allowed, list) else None,
    )
    call.bot.pulse.fire()
    return True


@methods("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    call.bot.webhook = None
    if call.params.flag("drop_pending_updates"):
        call.bot.updates.clear()
    return True


@methods("getWebhookInfo")
async def get_webhook_info(call: Call) -> JSON:
    hook = call.bot.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(call.bot.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


# --- commands, menu, names --------------------------------------------------------------------


def _scope_key(call: Call) -> tuple[str, str]:
    scope = call.params.obj("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise bad_request("can't parse BotCommandScope: wrong scope type")
    normal: JSON = {"type": scope["type"]}
    if "chat_id" in scope:
        chat = call.world.chat_for_bot(call.bot, scope["chat_id"])
        if chat is None:
            raise bad_request("chat not found")
        normal["chat_id"] = chat.id
    elif scope["type"] in ("chat", "chat_administrators", "chat_member"):
        raise bad_request("chat_id is empty")
    if scope["type"] == "chat_member":
        normal["user_id"] = int(scope.get("user_id", 0))
    language = call.params.text("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return scope_key(normal), language


def scope_key(scope: JSON) -> str:
    return json.dumps(scope, sort_keys=True)


def commands_for(bot: BotAccount, chat: Chat, user_id: int, language: str | None) -> list[JSON]:
    """The command menu a user sees in a chat (most specific scope and language first)."""
    if chat.is_group:
        admin = chat.members.get(user_id) in ("administrator", "creator")
        scopes: list[JSON] = [{"type": "chat_member", "chat_id": chat.id, "user_id": user_id}]
        if admin:
            scopes.append({"type": "chat_administrators", "chat_id": chat.id})
        scopes.append({"type": "chat", "chat_id": chat.id})
        if admin:
            scopes.append({"type": "all_chat_administrators"})
        scopes.append({"type": "all_group_chats"})
    else:
        scopes = [{"type": "chat", "chat_id": chat.id}, {"type": "all_private_chats"}]
    scopes.append({"type": "default"})
    for scope in scopes:
        for lang in (language or "", ""):
            found = bot.commands.get((scope_key(scope), lang))
            if found:
                return found
    return []


@methods("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands = call.params.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    clean: list[JSON] = []
    for item in commands:
        command = str(item.get("command", "")) if isinstance(item, dict) else ""
        description = str(item.get("description", "")) if isinstance(item, dict) else ""
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be 1-256 characters long")
        clean.append({"command": command, "description": description})
    call.bot.commands[_scope_key(call)] = clean
    return True


@methods("getMyCommands")
async def get_my_commands(call: Call) -> list[JSON]:
    return call.bot.commands.get(_scope_key(call), [])


@methods("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.bot.commands.pop(_scope_key(call), None)
    return True


@methods("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    chat_id = call.chat().id if call.params.has("chat_id") else None
    button = call.params.obj("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    call.bot.menu_buttons[chat_id] = button
    return True


@methods("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> JSON:
    chat_id = call.chat().id if call.params.has("chat_id") else None
    buttons = call.bot.menu_buttons
    return buttons.get(chat_id) or buttons.get(None) or {"type": "commands"}


def _text_setting(field: str, limit: int) -> None:
    name = field.replace("_", " ").title().replace(" ", "")

    async def setter(call: Call) -> bool:
        value = call.params.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field.replace('_', ' ')} is too long")
        call.bot.texts[(field, call.params.text("language_code") or "")] = value
        return True

    async def getter(call: Call) -> JSON:
        texts, lang = call.bot.texts, call.params.text("language_code") or ""
        value = texts.get((field, lang)) or texts.get((field, ""), "")
        if field == "name" and not value:
            value = call.bot.user.first_name
        return {field: value}

    methods(f"setMy{name}")(setter)
    methods(f"getMy{name}")(getter)


_text_setting("name", 64)
_text_setting("description", 512)
_text_setting("short_description", 120)


# --- chats ------------------------------------------------------------------------------------


def _member_chat(call: Call) -> Chat:
    chat = call.chat()
    if chat.is_group and chat.members.get(call.bot.id) in ("left", "kicked", None):
        where = "supergroup chat" if chat.type == "supergroup" else "group chat"
        raise forbidden(f"bot is not a member of the {where}")
    return chat


@methods("getChat")
async def get_chat(call: Call) -> JSON:
    return _member_chat(call).full_info()


@methods("getChatMember")
async def get_chat_member(call: Call) -> JSON:
    chat = _member_chat(call)
    user = call.world.users.get(call.params.integer("user_id") or 0)
    if user is None:
        raise bad_request("user not found")
    if not chat.is_group:
        if user.id not in (call.bot.id, chat.id):
            raise bad_request("user not found")
        status = "kicked" if chat.blocked and user.id == call.bot.id else "member"
        return member_dict(user, status)
    return member_dict(user, chat.member_status(user.id))


@methods("getChatAdministrators")
async def get_chat_administrators(call: Call) -> list[JSON]:
    chat = _member_chat(call)
    if not chat.is_group:
        raise bad_request("there are no administrators in the private chat")
    return [
        member_dict(call.world.users[user_id], status)
        for user_id, status in chat.members.items()
        if status in ("creator", "administrator") and user_id in call.world.users
    ]


@methods("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(call: Call) -> int:
    chat = _member_chat(call)
    if not chat.is_group:
        return 2
    present = ("creator", "administrator", "member")
    return sum(1 for status in chat.members.values() if status in present)


@methods("leaveChat")
async def leave_chat(call: Call) -> bool:
    chat = _member_chat(call)
    if not chat.is_group:
        raise bad_request("chat member status can't be changed in private chats")
    call.world.remove_bot_from_group(chat, call.bot, by=call.bot.user, kicked=False)
    return True


@methods("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    chat = call.chat()
    call.world.check_can_send(call.bot, chat)
    action = call.params.text("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    call.world.emit("chat_action", chat, action=action)
    return True


@methods("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    params = call.params
    text = params.text("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer: JSON = {"text": text, "show_alert": params.flag("show_alert")}
    if params.text("url"):
        answer["url"] = params.text("url")
    call.world.answer_callback(call.bot, params.text("callback_query_id") or "", answer)
    return True


@methods("getFile")
async def get_file(call: Call) -> JSON:
    stored = call.world.files.get(call.params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return stored.file_object()


ALL_METHODS = {**methods.handlers, **messaging.methods.handlers}


def add_routes(app: web.Application) -> None:
    """Register the Bot API and file download routes."""
    app[BACKGROUND_KEY] = set()
    app.router.add_route("*", r"/bot{token}/{method}", handle_api)
    app.router.add_get(r"/file/bot{token}/{path:.+}", handle_file)
