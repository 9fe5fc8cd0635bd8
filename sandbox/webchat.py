"""The web chat: a page where a person plays residents and groups, and its JSON endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.botapi import WORLD_KEY, commands_for
from sandbox.media import MediaError
from sandbox.model import JSON, Chat, User
from sandbox.world import World

STATIC = Path(__file__).parent / "static"
NAME = "tinbao sandbox"
POLL_SECONDS = 25.0
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Cross-site pages can't add a custom header without a CORS preflight the server never grants.
GUARD_HEADER = "X-Sandbox-Chat"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Strict CSP on the page and its API; state changes need the guard header."""
    is_chat = request.path in ("/", "/favicon.ico") or request.path.startswith(
        ("/static/", "/chat/")
    )
    if is_chat and request.method == "POST" and request.headers.get(GUARD_HEADER) != "1":
        return web.json_response({"error": f"missing {GUARD_HEADER} header"}, status=403)
    try:
        response = await handler(request)
    except ValueError as exc:
        if not is_chat:
            raise
        response = web.json_response({"error": str(exc)}, status=400)
    if is_chat:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
    return response


def _world(request: web.Request) -> World:
    return request.app[WORLD_KEY]


def _user_json(world: World, user: User) -> JSON:
    chat = world.private_chat(world.default_bot, user)
    return {
        **user.to_dict(),
        "name": user.name,
        "chat_key": chat.key,
        "blocked": chat.blocked,
        "deactivated": user.deactivated,
    }


def _group_json(world: World, chat: Chat) -> JSON:
    members = [
        {
            "id": uid,
            "name": world.users[uid].name,
            "status": status,
            "is_bot": world.users[uid].is_bot,
        }
        for uid, status in chat.members.items()
        if uid in world.users
    ]
    return {
        **chat.to_dict(),
        "chat_key": chat.key,
        "members": members,
        "bot_status": chat.member_status(world.default_bot.id),
    }


def _message_json(chat: Chat) -> list[JSON]:
    return [
        {"message": m.to_dict(), "outgoing": m.sender.is_bot, "silent": m.silent}
        for m in chat.messages.values()
    ]


async def page(request: web.Request) -> web.FileResponse:
    """The chat page."""
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-store"})


async def favicon(request: web.Request) -> web.FileResponse:
    """The page icon (browsers ask for it)."""
    return web.FileResponse(STATIC / "favicon.svg", headers={"Content-Type": "image/svg+xml"})


async def state(request: web.Request) -> web.Response:
    """Bot, residents and groups for the sidebar."""
    world = _world(request)
    bot = world.default_bot
    return web.json_response(
        {
            "name": NAME,
            "bot": bot.user.to_dict(),
            "users": [_user_json(world, u) for u in world.users.values() if not u.is_bot],
            "groups": [_group_json(world, g) for g in world.groups.values()],
            "last_seq": world.last_seq,
        }
    )


async def create_user(request: web.Request) -> web.Response:
    """The page adds a resident."""
    world = _world(request)
    body = await _body(request)
    name = str(body.get("first_name", "")).strip()
    if not name:
        raise ValueError("a name is needed")
    language = str(body.get("language_code") or "vi")
    user = world.add_user(name[:64], language_code=language if language in ("vi", "en") else "vi")
    return web.json_response(_user_json(world, user))


async def create_group(request: web.Request) -> web.Response:
    """The page creates a group (optionally with the bot)."""
    world = _world(request)
    body = await _body(request)
    title = str(body.get("title", "")).strip()
    if not title:
        raise ValueError("a title is needed")
    members = [_user(world, uid) for uid in body.get("member_ids", [])]
    kind = "supergroup" if body.get("kind") == "supergroup" else "group"
    chat = world.add_group(title[:128], members, kind=kind)
    if body.get("add_bot"):
        world.add_bot_to_group(chat, by=members[0] if members else None)
    return web.json_response(_group_json(world, chat))


async def group_bot(request: web.Request) -> web.Response:
    """Add, remove, promote or demote the bot in a group."""
    world = _world(request)
    chat = _group(world, request.match_info["chat_id"])
    body = await _body(request)
    by = _user(world, body["by"]) if body.get("by") else None
    action = body.get("action")
    if action == "add":
        world.add_bot_to_group(chat, by=by)
    elif action == "remove":
        world.remove_bot_from_group(chat, by=by)
    elif action in ("admin", "unadmin"):
        world.set_bot_admin(chat, action == "admin")
    else:
        raise ValueError("action must be add, remove, admin or unadmin")
    return web.json_response(_group_json(world, chat))


async def group_member(request: web.Request) -> web.Response:
    """Add or remove a resident in a group."""
    world = _world(request)
    chat = _group(world, request.match_info["chat_id"])
    body = await _body(request)
    user = _user(world, body.get("user_id"))
    if body.get("action") == "remove":
        world.remove_member(chat, user)
    else:
        world.add_member(chat, user)
    return web.json_response(_group_json(world, chat))


async def block(request: web.Request) -> web.Response:
    """A resident blocks or unblocks the bot."""
    world = _world(request)
    user = _user(world, request.match_info["user_id"])
    body = await _body(request)
    if body.get("blocked"):
        world.block_bot(user)
    else:
        world.unblock_bot(user)
    return web.json_response(_user_json(world, user))


async def chat_view(request: web.Request) -> web.Response:
    """A chat's messages, keyboard and command menu."""
    world = _world(request)
    chat = _chat(world, request.match_info["key"])
    viewer = int(request.query.get("user_id") or chat.id)
    language = world.users[viewer].language_code if viewer in world.users else None
    return web.json_response(
        {
            "key": chat.key,
            "title": chat.display_name,
            "type": chat.type,
            "messages": _message_json(chat),
            "reply_keyboard": chat.reply_keyboard,
            "force_reply": chat.force_reply,
            "commands": commands_for(world.default_bot, chat, viewer, language),
        }
    )


async def send(request: web.Request) -> web.Response:
    """A resident posts text, a location, a contact, or a file (multipart) in a chat."""
    world = _world(request)
    chat = _chat(world, request.match_info["key"])
    if request.content_type == "multipart/form-data":
        form = await request.post()
        user = _user(world, form.get("user_id"))
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise ValueError("choose a file")
        data = upload.file.read()
        caption = world.caption_content(str(form.get("caption") or ""))
        try:
            if form.get("kind") == "photo":
                stored = world.store_photo(data)
            else:
                stored = world.files.add_file(
                    "document", data, file_name=upload.filename, mime_type=upload.content_type
                )
        except MediaError as exc:
            raise ValueError(f"not a picture Telegram can read ({exc})") from None
        content = {**stored.to_message_content(), **caption}
        reply_to = None
    else:
        body = await _body(request)
        user = _user(world, body.get("user_id"))
        content = _typed_content(world, user, body)
        reply_id = body.get("reply_to")
        reply_to = chat.messages.get(int(reply_id)) if reply_id else None
    message = world.user_send(chat, user, content, reply_to=reply_to)
    return web.json_response({"message_id": message.message_id})


def _typed_content(world: World, user: User, body: JSON) -> JSON:
    location = body.get("location")
    if isinstance(location, dict):
        latitude, longitude = float(location["latitude"]), float(location["longitude"])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("latitude must be within ±90 and longitude within ±180")
        return {"location": {"latitude": latitude, "longitude": longitude}}
    if body.get("contact"):
        phone = user.phone_number or ""
        return {
            "contact": {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
        }
    return world.text_content(str(body.get("text", "")))


async def press(request: web.Request) -> web.Response:
    """A resident presses an inline button (the answer comes as an event)."""
    world = _world(request)
    chat = _chat(world, request.match_info["key"])
    body = await _body(request)
    user = _user(world, body.get("user_id"))
    message = chat.messages.get(int(body.get("message_id", 0)))
    if message is None:
        raise ValueError("that message is gone")
    query = world.press_button(user, message, str(body.get("data", "")))
    return web.json_response({"query_id": query.id})


async def events(request: web.Request) -> web.Response:
    """Long poll: events after `after`, waiting up to `timeout` seconds for the first one."""
    world = _world(request)
    after = int(request.query.get("after", "0"))
    timeout = min(float(request.query.get("timeout", POLL_SECONDS)), POLL_SECONDS)
    if after > world.last_seq:  # the sandbox restarted: start over
        after = 0
    if not world.events_after(after) and not world.closed:
        await world.event_pulse.wait(timeout)
    found = world.events_after(after)
    return web.json_response(
        {
            "events": [
                {"seq": e.seq, "kind": e.kind, "chat_key": e.chat_key, "data": e.data}
                for e in found
            ],
            "last_seq": found[-1].seq if found else after,
        }
    )


async def file(request: web.Request) -> web.Response:
    """Bytes of a stored file for the page (photos, downloads)."""
    world = _world(request)
    stored = world.files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    return web.Response(body=stored.data, content_type=stored.mime_type)


async def _body(request: web.Request) -> JSON:
    try:
        body: Any = await request.json()
    except ValueError:
        raise ValueError("send JSON") from None
    if not isinstance(body, dict):
        raise ValueError("send a JSON object")
    return body


def _user(world: World, raw: object) -> User:
    try:
        user = world.users.get(int(str(raw)))
    except ValueError:
        user = None
    if user is None or user.is_bot:
        raise ValueError("no such resident")
    return user


def _group(world: World, raw: str) -> Chat:
    chat = world.groups.get(int(raw))
    if chat is None:
        raise ValueError("no such group")
    return chat


def _chat(world: World, key: str) -> Chat:
    chat = world.chat_by_key(key)
    if chat is None:
        raise ValueError("no such chat")
    return chat


def add_routes(app: web.Application) -> None:
    """Register the page, its static files and its JSON API."""
    app.middlewares.append(security_headers)
    app.router.add_get("/", page)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/chat/api/state", state)
    app.router.add_post("/chat/api/users", create_user)
    app.router.add_post("/chat/api/users/{user_id}/block", block)
    app.router.add_post("/chat/api/groups", create_group)
    app.router.add_post("/chat/api/groups/{chat_id}/bot", group_bot)
    app.router.add_post("/chat/api/groups/{chat_id}/members", group_member)
    app.router.add_get("/chat/api/chats/{key}", chat_view)
    app.router.add_post("/chat/api/chats/{key}/messages", send)
    app.router.add_post("/chat/api/chats/{key}/press", press)
    app.router.add_get("/chat/api/events", events)
    app.router.add_get("/chat/api/files/{file_id}", file)
