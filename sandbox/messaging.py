"""Bot API methods that post, change or remove messages."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from sandbox.entities import FormatError, format_text, utf16_len
from sandbox.errors import ApiError, bad_request, too_many_requests
from sandbox.limits import TooManyRequests
from sandbox.media import (
    PHOTO_UPLOAD_LIMIT,
    UPLOAD_LIMIT,
    MediaError,
    StoredFile,
    encode_photo_sizes,
)
from sandbox.model import JSON, Chat, Message
from sandbox.params import Call, Params, Registry, Upload
from sandbox.text import checked_link

methods = Registry()

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_MEDIA_KINDS = ("photo", "document", "video", "voice", "audio")


# --- parameters shared by the sending methods --------------------------------------------------


def formatted(
    call: Call, field: str, entities_field: str, *, limit: int, too_long: str
) -> tuple[str, list[JSON]]:
    """Parse a text or caption parameter with parse_mode / entities like Telegram."""
    params = call.params
    try:
        text, entities = format_text(
            params.text(field) or "",
            parse_mode=params.text("parse_mode"),
            entities=params.obj(entities_field),
            strict_ampersand=call.world.strict_html,
            lookup_user=call.world.lookup_user,
        )
    except FormatError as exc:
        raise bad_request(str(exc)) from None
    if utf16_len(text) > limit:
        raise bad_request(too_long)
    return text, entities


def caption_content(call: Call) -> JSON:
    text, entities = formatted(
        call,
        "caption",
        "caption_entities",
        limit=CAPTION_LIMIT,
        too_long="message caption is too long",
    )
    content: JSON = {"caption": text} if text else {}
    if entities:
        content["caption_entities"] = entities
    if call.params.flag("show_caption_above_media"):
        content["show_caption_above_media"] = True
    return content


def _check_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > 100:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not button["text"]:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if sum(1 for key in _BUTTON_ACTIONS if key in button) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and checked_link(str(url)) is None:
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def reply_markup(params: Params, *, inline_only: bool = False) -> JSON | None:
    """The validated reply_markup parameter (None when absent)."""
    error = "can't parse reply keyboard markup JSON object"
    value = params.obj("reply_markup", error)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(error)
    if "inline_keyboard" in value:
        _check_inline_keyboard(value["inline_keyboard"])
        return value
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        rows = value["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        value = dict(value)
        value["keyboard"] = [
            [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows
        ]
        return value
    if value.get("remove_keyboard") or value.get("force_reply"):
        return value
    raise bad_request(error)


def reply_target(call: Call, chat: Chat) -> Message | None:
    """The message replied to (reply_parameters or the older reply_to_message_id)."""
    params = call.params
    options = params.obj("reply_parameters") or {}
    if not isinstance(options, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = options.get("message_id", params.integer("reply_to_message_id"))
    if message_id is None:
        return None
    allow = bool(options.get("allow_sending_without_reply")) or params.flag(
        "allow_sending_without_reply"
    )
    target_chat = chat
    if options.get("chat_id") is not None:
        found = call.world.chat_for_bot(call.bot, options["chat_id"])
        if found is None:
            raise bad_request("chat not found")
        target_chat = found
    message = target_chat.messages.get(int(message_id))
    if message is None and not allow:
        raise bad_request("message to be replied not found")
    return message


def post(
    call: Call, chat: Chat, content: JSON, *, markup: JSON | None = None, **extra: Any
) -> Message:
    """Count the message against flood limits and store it."""
    try:
        call.bot.flood.acquire(chat.id, is_group=chat.is_group)
    except TooManyRequests as exc:
        raise too_many_requests(exc.retry_after) from None
    params = call.params
    options = params.obj("link_preview_options")
    if isinstance(options, dict) and options and "text" in content:
        content["link_preview_options"] = options
    return call.world.bot_post(
        call.bot,
        chat,
        content,
        markup=markup,
        silent=params.flag("disable_notification"),
        protected=params.flag("protect_content"),
        **extra,
    )


def _prepare(call: Call) -> tuple[Chat, JSON | None, Message | None]:
    chat = call.chat()
    call.world.check_can_send(call.bot, chat)
    return chat, reply_markup(call.params), reply_target(call, chat)


# --- files ------------------------------------------------------------------------------------


def _input_file(call: Call, name: str) -> Upload | StoredFile:
    upload = call.params.upload(name)
    if upload is not None:
        return upload
    ref = call.params.text(name)
    if not ref:
        raise bad_request(f"there is no {name} in the request")
    if ref.startswith("attach://"):
        attached = call.params.upload(ref[len("attach://") :])
        if attached is None:
            raise bad_request(f"file {ref} not found in the request")
        return attached
    if ref.startswith(("http://", "https://")):
        # The sandbox never fetches URLs: it would reach the network on behalf of a test.
        raise bad_request("failed to get HTTP URL content (the tinbao sandbox does not fetch URLs)")
    stored = call.world.files.get(ref)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


async def store_media(
    call: Call, kind: str, source: Upload | StoredFile, item: JSON | None = None
) -> StoredFile:
    """Store an upload (or reuse a file_id) as media of `kind`."""
    if isinstance(source, StoredFile):
        if source.kind != kind:
            raise bad_request(
                f"can't use file of type {source.kind.capitalize()} as {kind.capitalize()}"
            )
        return source
    limit = PHOTO_UPLOAD_LIMIT if kind == "photo" else UPLOAD_LIMIT
    if len(source.data) > limit:
        raise ApiError(413, "Request Entity Too Large")
    if not source.data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        try:
            sizes = await asyncio.to_thread(encode_photo_sizes, source.data)
        except MediaError as exc:
            raise bad_request(str(exc)) from None
        return call.world.files.add_photo(sizes)
    params = item or call.params.values

    def number(key: str) -> int | None:
        value = params.get(key)
        return int(value) if value not in (None, "") else None

    return call.world.files.add_file(
        kind,
        source.data,
        file_name=source.filename,
        mime_type=source.content_type
        if source.content_type != "application/octet-stream"
        else None,
        width=number("width"),
        height=number("height"),
        duration=number("duration"),
    )


def _media_method(kind: str) -> None:
    async def send_media(call: Call) -> JSON:
        chat, markup, reply_to = _prepare(call)
        source = _input_file(call, kind)
        stored = await store_media(call, kind, source)
        content = {**stored.to_message_content(), **caption_content(call)}
        if call.params.flag("has_spoiler"):
            content["has_media_spoiler"] = True
        return post(call, chat, content, markup=markup, reply_to=reply_to).to_dict()

    methods("send" + kind.capitalize())(send_media)


for _kind in _MEDIA_KINDS:
    _media_method(_kind)


# --- sending ----------------------------------------------------------------------------------


@methods("sendMessage")
async def send_message(call: Call) -> JSON:
    chat, markup, reply_to = _prepare(call)
    text, entities = formatted(
        call, "text", "entities", limit=TEXT_LIMIT, too_long="message is too long"
    )
    if not text:
        raise bad_request("message text is empty")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return post(call, chat, content, markup=markup, reply_to=reply_to).to_dict()


@methods("sendLocation")
async def send_location(call: Call) -> JSON:
    chat, markup, reply_to = _prepare(call)
    latitude, longitude = call.params.number("latitude"), call.params.number("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")
    location: JSON = {"latitude": latitude, "longitude": longitude}
    accuracy = call.params.number("horizontal_accuracy")
    if accuracy is not None:
        location["horizontal_accuracy"] = accuracy
    return post(call, chat, {"location": location}, markup=markup, reply_to=reply_to).to_dict()


@methods("sendContact")
async def send_contact(call: Call) -> JSON:
    chat, markup, reply_to = _prepare(call)
    phone, first_name = call.params.text("phone_number"), call.params.text("first_name")
    if not phone or not first_name:
        raise bad_request("phone_number and first_name must be non-empty")
    contact: JSON = {"phone_number": phone, "first_name": first_name}
    if call.params.text("last_name"):
        contact["last_name"] = call.params.text("last_name")
    return post(call, chat, {"contact": contact}, markup=markup, reply_to=reply_to).to_dict()


@methods("sendMediaGroup")
async def send_media_group(call: Call) -> list[JSON]:
    chat = call.chat()
    call.world.check_can_send(call.bot, chat)
    reply_to = reply_target(call, chat)
    items = call.params.obj("media")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("media group must include 2-10 items")
    kinds = [item.get("type") if isinstance(item, dict) else None for item in items]
    if any(kind not in ("photo", "video", "document", "audio") for kind in kinds):
        raise bad_request("can't parse InputMedia: unsupported media type")
    if len(set(kinds)) > 1 and ("document" in kinds or "audio" in kinds):
        raise bad_request("documents and audio can't be mixed with other media types")
    prepared: list[JSON] = []
    for item in items:
        ref = str(item.get("media", ""))
        upload = (
            call.params.upload(ref[len("attach://") :]) if ref.startswith("attach://") else None
        )
        source: Upload | StoredFile | None = upload or call.world.files.get(ref)
        if source is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        stored = await store_media(call, str(item["type"]), source, item)
        sub = Params({k: v for k, v in item.items() if k != "media"}, {})
        caption = caption_content(Call(call.world, call.bot, sub, call.method))
        prepared.append({**stored.to_message_content(), **caption})
    try:
        call.bot.flood.acquire(chat.id, is_group=chat.is_group, count=len(prepared))
    except TooManyRequests as exc:
        raise too_many_requests(exc.retry_after) from None
    group_id = str(secrets.randbits(60))
    sent = [
        call.world.bot_post(
            call.bot,
            chat,
            content,
            reply_to=reply_to,
            media_group_id=group_id,
            silent=call.params.flag("disable_notification"),
            protected=call.params.flag("protect_content"),
        )
        for content in prepared
    ]
    return [message.to_dict() for message in sent]


def _source_message(call: Call, missing: str) -> Message:
    source_chat = call.chat("from_chat_id")
    message_id = call.params.integer("message_id")
    message = source_chat.messages.get(message_id or 0)
    if message is None:
        raise bad_request(missing)
    if message.service:
        raise bad_request("message can't be copied")
    if message.protected:
        raise bad_request("message has protected content and can't be forwarded")
    return message


@methods("copyMessage")
async def copy_message(call: Call) -> JSON:
    chat, markup, reply_to = _prepare(call)
    source = _source_message(call, "message to copy not found")
    content = dict(source.content)
    if call.params.has("caption") and "text" not in content:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption_content(call))
    if markup is None and source.reply_markup is not None:
        markup = source.reply_markup
    message = post(call, chat, content, markup=markup, reply_to=reply_to)
    return {"message_id": message.message_id}


@methods("forwardMessage")
async def forward_message(call: Call) -> JSON:
    chat = call.chat()
    call.world.check_can_send(call.bot, chat)
    source = _source_message(call, "message to forward not found")
    origin = {"type": "user", "sender_user": source.sender.to_dict(), "date": source.date}
    return post(call, chat, dict(source.content), forward_origin=origin).to_dict()


# --- changing and deleting --------------------------------------------------------------------


def _own_message(call: Call) -> Message:
    if call.params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = call.chat()
    message = chat.messages.get(call.params.integer("message_id") or 0)
    if message is None:
        raise bad_request("message to edit not found")
    if message.sender.id != call.bot.id:
        raise bad_request("message can't be edited")
    return message


def _apply_edit(call: Call, message: Message, content: JSON | None) -> JSON:
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    markup = reply_markup(call.params, inline_only=True)
    if (content is None or content == message.content) and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    return call.world.bot_edit(message, content, markup).to_dict()


@methods("editMessageText")
async def edit_message_text(call: Call) -> JSON:
    message = _own_message(call)
    if "text" not in message.content:
        raise bad_request("there is no text in the message to edit")
    text, entities = formatted(
        call, "text", "entities", limit=TEXT_LIMIT, too_long="message is too long"
    )
    if not text:
        raise bad_request("message text is empty")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    options = call.params.obj("link_preview_options")
    if isinstance(options, dict) and options:
        content["link_preview_options"] = options
    return _apply_edit(call, message, content)


@methods("editMessageCaption")
async def edit_message_caption(call: Call) -> JSON:
    message = _own_message(call)
    if not any(kind in message.content for kind in _MEDIA_KINDS):
        raise bad_request("there is no caption in the message to edit")
    content = {k: v for k, v in message.content.items() if k not in ("caption", "caption_entities")}
    content.update(caption_content(call))
    return _apply_edit(call, message, content)


@methods("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> JSON:
    return _apply_edit(call, _own_message(call), None)


@methods("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat = call.chat()
    message = chat.messages.get(call.params.integer("message_id") or 0)
    if message is None:
        raise bad_request("message to delete not found")
    call.world.bot_delete(call.bot, message)
    return True


@methods("deleteMessages")
async def delete_messages(call: Call) -> bool:
    chat = call.chat()
    ids = call.params.obj("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 message identifiers")
    for message_id in ids:
        message = chat.messages.get(int(message_id))
        if message is None:
            continue
        try:
            call.world.bot_delete(call.bot, message)
        except ApiError:
            continue  # Telegram silently skips messages it can't delete here
    return True
