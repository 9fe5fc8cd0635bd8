"""Test harness: residents and groups that act in the sandbox from the test's own event loop."""

# Waiting methods take `timeout=` because tests read best that way; they use asyncio.timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.entities import to_html
from sandbox.media import StoredFile
from sandbox.model import JSON, BotAccount, Chat, Event, Message, User
from sandbox.world import World

Matcher = str | Callable[["BotMessage"], bool] | None


@dataclass(frozen=True)
class Button:
    """An inline keyboard button."""

    text: str
    callback_data: str | None
    url: str | None
    raw: JSON


@dataclass(frozen=True)
class BotMessage:
    """A message of the bot as the resident sees it at one moment."""

    message_id: int
    chat_id: int
    text: str
    entities: tuple[JSON, ...]
    keyboard: tuple[tuple[Button, ...], ...]
    edited: bool
    kind: str
    raw: JSON

    @classmethod
    def from_dict(cls, data: JSON) -> BotMessage:
        """Snapshot of a Bot API Message dict."""
        text = str(data.get("text", data.get("caption", "")))
        entities = data.get("entities", data.get("caption_entities")) or []
        rows = (data.get("reply_markup") or {}).get("inline_keyboard", [])
        keyboard = tuple(
            tuple(Button(b["text"], b.get("callback_data"), b.get("url"), b) for b in row)
            for row in rows
        )
        kinds = ("text", "photo", "document", "video", "voice", "audio", "location", "contact")
        kind = next((k for k in kinds if k in data), "other")
        return cls(
            message_id=int(data["message_id"]),
            chat_id=int(data["chat"]["id"]),
            text=text,
            entities=tuple(entities),
            keyboard=keyboard,
            edited="edit_date" in data,
            kind=kind,
            raw=data,
        )

    @property
    def html(self) -> str:
        """Text with its formatting as Telegram HTML (<b>, <i>, <a href>...)."""
        return to_html(self.text, self.entities)

    @property
    def buttons(self) -> list[Button]:
        """All inline buttons, row by row."""
        return [button for row in self.keyboard for button in row]

    def button(self, label: str) -> Button | None:
        """The inline button whose text or callback_data is `label`."""
        for button in self.buttons:
            if label in (button.text, button.callback_data):
                return button
        return None

    @property
    def file_id(self) -> str | None:
        """The file the message carries (largest photo size)."""
        if "photo" in self.raw:
            return str(self.raw["photo"][-1]["file_id"])
        for kind in ("document", "video", "voice", "audio"):
            if kind in self.raw:
                return str(self.raw[kind]["file_id"])
        return None

    def __str__(self) -> str:
        shown = self.text or f"[{self.kind}]"
        if self.buttons:
            shown += " [" + " | ".join(b.text for b in self.buttons) + "]"
        return shown


@dataclass(frozen=True)
class CallbackAnswer:
    """What answerCallbackQuery showed the resident."""

    text: str
    show_alert: bool
    url: str | None


def _describe(match: Matcher) -> str:
    if match is None:
        return "any message"
    if isinstance(match, str):
        return f"a message containing {match!r}"
    return f"a message satisfying {getattr(match, '__name__', 'the predicate')}"


def _matches(match: Matcher, message: BotMessage) -> bool:
    if match is None:
        return True
    if isinstance(match, str):
        return match in message.text
    return bool(match(message))


class ChatView:
    """What one chat looks like to the people in it; waiting is event-driven."""

    def __init__(self, world: World, chat: Chat, bot: BotAccount) -> None:
        self.world = world
        self.chat = chat
        self.bot = bot
        self._cursor = world.last_seq

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages currently visible in the chat, oldest first."""
        return [
            BotMessage.from_dict(m.to_dict())
            for m in self.chat.messages.values()
            if m.sender.id == self.bot.id
        ]

    @property
    def last_message(self) -> BotMessage | None:
        """The bot's newest visible message, if any."""
        found = self.messages
        return found[-1] if found else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard shown under the input field, if any."""
        markup = self.chat.reply_keyboard
        if markup is None:
            return None
        return [[str(b["text"]) for b in row] for row in markup["keyboard"]]

    def _events(self, after: int = 0) -> list[Event]:
        return [e for e in self.world.events_after(after) if e.chat_key == self.chat.key]

    def transcript(self) -> str:
        """The chat's story so far, one line per event."""
        lines: list[str] = []
        users = self.world.users
        for event in self._events():
            data = event.data
            if event.kind in ("message", "edit"):
                raw = data["message"]
                sender = users.get(raw["from"]["id"])
                who = "bot" if data.get("outgoing") else (sender.name if sender else "?")
                mark = f" (edited #{raw['message_id']})" if event.kind == "edit" else ""
                lines.append(f"{who}{mark}: {BotMessage.from_dict(raw)}")
            elif event.kind == "delete":
                lines.append(f"(message #{data['message_id']} deleted)")
            elif event.kind == "callback":
                lines.append(f"(pressed button {data['data']!r})")
            elif event.kind == "callback_answer":
                lines.append(f"(callback answered: {data.get('text')!r})")
            elif event.kind == "chat_action":
                lines.append(f"(bot is {data['action']})")
        return "\n".join(lines) or "(nothing happened in this chat)"

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition"
    ) -> None:
        """Wait until condition() holds, re-checking whenever anything happens."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{what} did not happen within {timeout}s in {self.chat.display_name}.\n"
                    f"Transcript:\n{self.transcript()}"
                )
            await self.world.event_pulse.wait(remaining)

    async def expect(self, match: Matcher = None, timeout: float = 10.0) -> BotMessage:
        """The next bot message or edit (after the last one expected) that matches."""
        found: list[BotMessage] = []

        def arrived() -> bool:
            for event in self._events(self._cursor):
                if event.kind not in ("message", "edit") or not event.data.get("outgoing"):
                    continue
                message = BotMessage.from_dict(event.data["message"])
                if _matches(match, message):
                    self._cursor = event.seq
                    found.append(message)
                    return True
            return False

        await self.wait_for(arrived, timeout, f"the bot sending {_describe(match)}")
        return found[0]

    async def expect_deleted(self, message_id: int, timeout: float = 10.0) -> None:
        """Wait until the message is gone from the chat."""
        await self.wait_for(
            lambda: message_id not in self.chat.messages, timeout, f"deletion of #{message_id}"
        )

    def file_bytes(self, message: BotMessage) -> bytes:
        """Content of the file a bot message carries (what the resident would download)."""
        stored: StoredFile | None = self.world.files.get(message.file_id or "")
        if stored is None:
            raise AssertionError(f"message #{message.message_id} carries no file")
        return stored.data

    def _find_button(self, label: str, message: BotMessage | None) -> tuple[Message, Button]:
        candidates = [message] if message is not None else list(reversed(self.messages))
        for candidate in candidates:
            button = candidate.button(label)
            stored = self.chat.messages.get(candidate.message_id)
            if button is not None and stored is not None:
                return stored, button
        raise AssertionError(
            f"no inline button {label!r} on the bot's messages.\nTranscript:\n{self.transcript()}"
        )

    async def _press(
        self, user: User, label: str, message: BotMessage | None, timeout: float
    ) -> CallbackAnswer:
        stored, button = self._find_button(label, message)
        if button.callback_data is None:
            raise AssertionError(f"button {label!r} is not a callback button: {button.raw}")
        query = self.world.press_button(user, stored, button.callback_data)
        await self.wait_for(
            lambda: query.answered, timeout, f"the bot answering the press of {label!r}"
        )
        answer = query.answer or {}
        return CallbackAnswer(
            str(answer.get("text", "")), bool(answer.get("show_alert")), answer.get("url")
        )

    async def _press_forged(
        self, user: User, data: str, message: BotMessage, timeout: float
    ) -> CallbackAnswer:
        stored = self.chat.messages.get(message.message_id)
        if stored is None:
            raise AssertionError(f"message {message.message_id} is not in this chat")
        query = self.world.press_button(user, stored, data, forged=True)
        await self.wait_for(lambda: query.answered, timeout, f"the bot answering forged {data!r}")
        answer = query.answer or {}
        return CallbackAnswer(
            str(answer.get("text", "")), bool(answer.get("show_alert")), answer.get("url")
        )

    def _reply_target(self, reply_to: BotMessage | int | None) -> Message | None:
        if reply_to is None:
            return None
        message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
        return self.chat.messages[message_id]

    async def _send(self, user: User, content: JSON, reply_to: BotMessage | int | None) -> int:
        message = self.world.user_send(
            self.chat, user, content, reply_to=self._reply_target(reply_to)
        )
        await asyncio.sleep(0)  # let the bot's long poll see it
        return message.message_id

    def _file_content(self, kind: str, data: bytes, caption: str | None, **attrs: Any) -> JSON:
        if kind == "photo":
            stored = self.world.store_photo(data)
        else:
            stored = self.world.files.add_file(kind, data, **attrs)
        return {**stored.to_message_content(), **self.world.caption_content(caption)}


class Resident(ChatView):
    """A person in a private chat with the bot."""

    def __init__(self, world: World, user: User, bot: BotAccount) -> None:
        super().__init__(world, world.private_chat(bot, user), bot)
        self.user = user

    @property
    def name(self) -> str:
        """The resident's full name."""
        return self.user.name

    async def send(self, text: str, *, reply_to: BotMessage | int | None = None) -> int:
        """Type and send a message (a leading /command becomes a bot_command entity)."""
        return await self._send(self.user, self.world.text_content(text), reply_to)

    async def send_photo(
        self, data: bytes, caption: str | None = None, filename: str = "photo.jpg"
    ) -> int:
        """Send a picture as a photo (Telegram re-encodes it; use send_document to keep bytes)."""
        del filename  # Telegram drops the name of a photo
        return await self._send(self.user, self._file_content("photo", data, caption), None)

    async def send_document(
        self,
        data: bytes,
        filename: str,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        """Send a file as a document (bytes arrive unchanged, EXIF included)."""
        content = self._file_content(
            "document", data, caption, file_name=filename, mime_type=mime_type
        )
        return await self._send(self.user, content, None)

    async def send_video(
        self,
        data: bytes,
        filename: str = "video.mp4",
        caption: str | None = None,
        *,
        duration: int = 1,
        width: int = 640,
        height: int = 360,
    ) -> int:
        """Send a video file."""
        content = self._file_content(
            "video",
            data,
            caption,
            file_name=filename,
            duration=duration,
            width=width,
            height=height,
        )
        return await self._send(self.user, content, None)

    async def send_voice(
        self, data: bytes, *, duration: int = 1, caption: str | None = None
    ) -> int:
        """Send a voice note."""
        content = self._file_content("voice", data, caption, duration=duration)
        return await self._send(self.user, content, None)

    async def send_location(self, latitude: float, longitude: float) -> int:
        """Share a location (what a request_location button sends too)."""
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return await self._send(self.user, content, None)

    async def press(
        self, label: str, message: BotMessage | None = None, timeout: float = 10.0
    ) -> CallbackAnswer:
        """Press an inline button (by text or callback_data) and wait for the bot's answer."""
        return await self._press(self.user, label, message, timeout)

    async def press_forged(
        self, data: str, message: BotMessage, timeout: float = 10.0
    ) -> CallbackAnswer:
        """Send callback data no button carries, as a modified client could; wait for the answer."""
        return await self._press_forged(self.user, data, message, timeout)

    async def press_reply_button(
        self, text: str, *, latitude: float = 21.0285, longitude: float = 105.8542
    ) -> int:
        """Press a reply-keyboard button; location and contact buttons share those."""
        markup = self.chat.reply_keyboard
        buttons = [b for row in (markup or {}).get("keyboard", []) for b in row]
        button = next((b for b in buttons if b.get("text") == text), None)
        if button is None:
            raise AssertionError(
                f"no reply keyboard button {text!r} (shown: {self.reply_keyboard}).\n"
                f"Transcript:\n{self.transcript()}"
            )
        if markup and markup.get("one_time_keyboard"):
            self.chat.reply_keyboard = None
        if button.get("request_location"):
            return await self.send_location(latitude, longitude)
        if button.get("request_contact"):
            contact = {
                "phone_number": self.user.phone_number,
                "first_name": self.user.first_name,
                "user_id": self.user.id,
            }
            return await self._send(self.user, {"contact": contact}, None)
        return await self.send(text)

    def block_bot(self) -> None:
        """Block the bot: it gets my_chat_member and 403 on every send."""
        self.world.block_bot(self.user, self.bot)

    def unblock_bot(self) -> None:
        """Unblock (restart) the bot: it gets my_chat_member back to member."""
        self.world.unblock_bot(self.user, self.bot)


class Group(ChatView):
    """A group chat with residents (and usually the bot) in it."""

    def __init__(self, world: World, chat: Chat, bot: BotAccount, members: list[Resident]) -> None:
        super().__init__(world, chat, bot)
        self.members = members

    @property
    def title(self) -> str:
        """The group's title."""
        return self.chat.title or ""

    def _sender(self, sender: Resident | None) -> User:
        if sender is not None:
            return sender.user
        if not self.members:
            raise AssertionError("the group has no members to send as")
        return self.members[0].user

    async def send(
        self,
        text: str,
        sender: Resident | None = None,
        *,
        reply_to: BotMessage | int | None = None,
    ) -> int:
        """A member (the first one by default) writes in the group."""
        return await self._send(self._sender(sender), self.world.text_content(text), reply_to)

    async def send_photo(
        self, data: bytes, caption: str | None = None, sender: Resident | None = None
    ) -> int:
        """A member (the first one by default) posts a photo."""
        return await self._send(
            self._sender(sender), self._file_content("photo", data, caption), None
        )

    async def press(
        self,
        label: str,
        by: Resident | None = None,
        message: BotMessage | None = None,
        timeout: float = 10.0,
    ) -> CallbackAnswer:
        """A member presses an inline button and waits for the bot's answer."""
        return await self._press(self._sender(by), label, message, timeout)

    async def press_forged(
        self, data: str, message: BotMessage, by: Resident | None = None, timeout: float = 10.0
    ) -> CallbackAnswer:
        """A member's modified client sends callback data no button carries."""
        return await self._press_forged(self._sender(by), data, message, timeout)

    def add_bot(self, by: Resident | None = None) -> None:
        """Add the bot (by the creator unless told): my_chat_member and new_chat_members."""
        self.world.add_bot_to_group(self.chat, self.bot, by=by.user if by else None)

    def remove_bot(self, by: Resident | None = None) -> None:
        """Kick the bot: it gets my_chat_member and 403 on every send."""
        self.world.remove_bot_from_group(self.chat, self.bot, by=by.user if by else None)

    def make_bot_admin(self, admin: bool = True) -> None:
        """Promote (or demote) the bot; admins see every message."""
        self.world.set_bot_admin(self.chat, admin, self.bot)

    def add_member(self, resident: Resident) -> None:
        """The resident joins: bots get a new_chat_members message."""
        self.world.add_member(self.chat, resident.user)
        self.members.append(resident)

    def remove_member(self, resident: Resident) -> None:
        """The resident leaves: bots get a left_chat_member message."""
        self.world.remove_member(self.chat, resident.user)
        self.members.remove(resident)
