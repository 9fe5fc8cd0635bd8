"""Plain records of the sandbox world (users, bots, chats, messages) and their Bot API JSON."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sandbox.limits import FloodControl

JSON = dict[str, Any]

# Update kinds a bot only gets when it asks for them in allowed_updates (Bot API default).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Pulse:
    """A broadcast wake-up: waiters take the current event, fire() sets it and starts a new one."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every current waiter."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait until the next fire() or `seconds`; True when fired."""
        event = self._event
        try:
            async with asyncio.timeout(max(seconds, 0.0)):
                await event.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class User:
    """A Telegram account: a resident or a bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    phone_number: str | None = None
    deactivated: bool = False

    @property
    def name(self) -> str:
        """First and last name."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Webhook:
    """What setWebhook stored."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotAccount:
    """A bot known to the sandbox, with its update queue and settings."""

    token: str
    user: User
    flood: FloodControl
    privacy_mode: bool = True
    updates: list[tuple[int, JSON]] = field(default_factory=list)
    next_update_id: int = 700_000_001
    allowed_updates: frozenset[str] | None = None
    pulse: Pulse = field(default_factory=Pulse)
    poll_generation: int = 0
    webhook: Webhook | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    menu_buttons: dict[int | None, JSON] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        """The bot's user id."""
        return self.user.id

    def wants(self, kind: str) -> bool:
        """Whether updates of this kind are queued (allowed_updates, default when unset)."""
        if self.allowed_updates is None:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed_updates

    def me(self) -> JSON:
        """The getMe result."""
        return {
            **self.user.to_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }


@dataclass
class Chat:
    """A private chat (one bot and one user) or a group / supergroup."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    peer: User | None = None
    bot: BotAccount | None = None
    members: dict[int, str] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    started: bool = False
    blocked: bool = False
    reply_keyboard: JSON | None = None
    force_reply: JSON | None = None

    @property
    def key(self) -> str:
        """Stable name used by the web chat and the harness."""
        if self.type == "private":
            assert self.bot is not None
            return f"p{self.bot.id}-{self.id}"
        return f"g{self.id}"

    @property
    def is_group(self) -> bool:
        """Group or supergroup."""
        return self.type in ("group", "supergroup")

    @property
    def display_name(self) -> str:
        """Title of a group, name of the person in a private chat."""
        if self.peer is not None:
            return self.peer.name
        return self.title or str(self.id)

    def to_dict(self) -> JSON:
        if self.peer is not None:
            data: JSON = {"id": self.id, "first_name": self.peer.first_name, "type": "private"}
            if self.peer.last_name:
                data["last_name"] = self.peer.last_name
            if self.peer.username:
                data["username"] = self.peer.username
            return data
        data = {"id": self.id, "title": self.title or "", "type": self.type}
        if self.username:
            data["username"] = self.username
        return data

    def full_info(self) -> JSON:
        """The getChat result (ChatFullInfo)."""
        return {
            **self.to_dict(),
            "accent_color_id": abs(self.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def member_status(self, user_id: int) -> str:
        """Status of a user in the chat ('left' when not in a group)."""
        if not self.is_group:
            return "member"
        return self.members.get(user_id, "left")

    def allocate_message_id(self) -> int:
        """The next message id of this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class Message:
    """A message in a chat; content holds the Bot API fields of what it carries."""

    message_id: int
    chat: Chat
    sender: User
    date: int
    content: JSON
    reply_markup: JSON | None = None
    reply_to: Message | None = None
    edit_date: int | None = None
    media_group_id: str | None = None
    forward_origin: JSON | None = None
    silent: bool = False
    protected: bool = False
    service: bool = False
    deleted: bool = False

    @property
    def text(self) -> str:
        """Text or caption ('' when there is none)."""
        return str(self.content.get("text", self.content.get("caption", "")))

    @property
    def entities(self) -> list[JSON]:
        """Entities of the text or the caption."""
        found = self.content.get("entities", self.content.get("caption_entities"))
        return list(found or [])

    @property
    def kind(self) -> str:
        """What the message carries: text, photo, document, location, ... or service."""
        for key in ("text", "photo", "document", "video", "voice", "audio", "location", "contact"):
            if key in self.content:
                return key
        return "service" if self.service else "other"

    def to_dict(self, *, with_reply: bool = True) -> JSON:
        data: JSON = {
            "message_id": self.message_id,
            "from": self.sender.to_dict(),
            "chat": self.chat.to_dict(),
            "date": self.date,
        }
        if self.forward_origin is not None:
            data["forward_origin"] = self.forward_origin
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_dict(with_reply=False)
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.protected:
            data["has_protected_content"] = True
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        data.update(self.content)
        if self.reply_markup is not None:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class CallbackQuery:
    """A pressed inline button waiting for answerCallbackQuery."""

    id: str
    bot: BotAccount
    user: User
    message: Message
    data: str
    created: float
    answered: bool = False
    answer: JSON | None = None


@dataclass
class Event:
    """Something observers (web chat, harness) may want to see, in order."""

    seq: int
    kind: str
    chat_key: str | None
    data: JSON
