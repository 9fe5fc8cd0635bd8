"""In-memory Telegram: accounts, chats, messages, files and the updates that people cause."""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sandbox.entities import format_text
from sandbox.errors import QUERY_TOO_OLD, bad_request, forbidden
from sandbox.faults import Faults
from sandbox.limits import FloodControl, FloodLimits
from sandbox.media import FileStore, StoredFile, encode_photo_sizes
from sandbox.model import JSON, BotAccount, CallbackQuery, Chat, Event, Message, Pulse, User

EVENT_KEEP = 5000  # observers only need the recent past
API_CALLS_KEPT = 20_000
DELETE_WINDOW = 48 * 3600  # bots may delete messages younger than 48 hours


def member_dict(user: User, status: str) -> JSON:
    """A ChatMember object for `status` with the fields python-telegram-bot requires."""
    data: JSON = {"status": status, "user": user.to_dict()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        rights = [
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
        ]
        data.update(dict.fromkeys(rights, True))
        data.update(
            can_be_edited=False,
            is_anonymous=False,
            can_promote_members=False,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
        )
    elif status == "kicked":
        data["until_date"] = 0
    return data


@dataclass
class ApiCall:
    """One Bot API request as the sandbox answered it."""

    method: str
    status: int
    at: float


class World:
    """Everything the sandbox knows; people act through its methods, bots through the Bot API."""

    def __init__(
        self,
        *,
        limits: FloodLimits | None = None,
        strict_html: bool = True,
        callback_ttl: float = 15.0,
    ) -> None:
        self.limits = limits
        self.strict_html = strict_html
        self.callback_ttl = callback_ttl
        self.bots: dict[str, BotAccount] = {}
        self.users: dict[int, User] = {}
        self.groups: dict[int, Chat] = {}
        self.private: dict[tuple[int, int], Chat] = {}
        self.files = FileStore()
        self.faults = Faults(self)
        self.callbacks: dict[str, CallbackQuery] = {}
        self.events: list[Event] = []
        self.event_pulse = Pulse()
        self.api_calls: deque[ApiCall] = deque(maxlen=API_CALLS_KEPT)
        self.closed = False
        self.time_offset = 0.0
        self._seq = 0
        self._next_user_id = 100_000_001
        self._next_group = 1

    # --- time and events ------------------------------------------------------------------

    def now(self) -> float:
        """Wall-clock time as the sandbox sees it (tests may move it forward)."""
        return time.time() + self.time_offset

    def advance_time(self, seconds: float) -> None:
        """Pretend `seconds` passed (message age rules, callback expiry)."""
        self.time_offset += seconds

    def emit(self, kind: str, chat: Chat | None, **data: Any) -> Event:
        """Record an observable event and wake whoever waits for one."""
        self._seq += 1
        event = Event(self._seq, kind, chat.key if chat else None, data)
        self.events.append(event)
        if len(self.events) > EVENT_KEEP * 2:
            del self.events[:-EVENT_KEEP]
        self.event_pulse.fire()
        return event

    def events_after(self, seq: int) -> list[Event]:
        """Observable events newer than seq, oldest first."""
        if not self.events:
            return []
        # Sequence numbers are consecutive, so the position follows from the first one.
        return self.events[max(seq - self.events[0].seq + 1, 0) :]

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest event (0 before any)."""
        return self._seq

    def close(self) -> None:
        """Wake every long poll so the server can stop at once."""
        self.closed = True
        self.event_pulse.fire()
        for bot in self.bots.values():
            bot.pulse.fire()

    # --- accounts and chats ---------------------------------------------------------------

    def add_bot(
        self, token: str, username: str, *, first_name: str = "tinbao", privacy_mode: bool = True
    ) -> BotAccount:
        """Register a bot account; its id is the number before ':' in the token."""
        head = token.split(":", 1)[0]
        user_id = int(head) if head.isdigit() else self._new_user_id()
        user = User(user_id, first_name, username=username, is_bot=True)
        bot = BotAccount(token, user, FloodControl(self.limits), privacy_mode=privacy_mode)
        self.bots[token] = bot
        self.users[user.id] = user
        return bot

    @property
    def default_bot(self) -> BotAccount:
        """The first bot added: the one the web chat and the harness talk to."""
        return next(iter(self.bots.values()))

    def _new_user_id(self) -> int:
        user_id = self._next_user_id
        self._next_user_id += 1
        return user_id

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        phone_number: str | None = None,
    ) -> User:
        """A new resident account (language_code 'vi' unless told)."""
        user = User(self._new_user_id(), first_name, last_name, username, language_code or None)
        user.phone_number = phone_number or f"+8490{user.id % 10_000_000:07d}"
        self.users[user.id] = user
        self.emit("state", None)
        return user

    def add_group(
        self,
        title: str,
        members: Iterable[User] = (),
        *,
        kind: str = "group",
        username: str | None = None,
    ) -> Chat:
        """A group whose first member is its creator (add bots with add_bot_to_group)."""
        number = self._next_group
        self._next_group += 1
        chat_id = (
            -(1_000_000_000_000 + number) if kind == "supergroup" else -(4_000_000_000 + number)
        )
        chat = Chat(chat_id, kind, title=title, username=username)
        for index, user in enumerate(members):
            chat.members[user.id] = "creator" if index == 0 else "member"
            chat.users[user.id] = user
        self.groups[chat_id] = chat
        self.emit("state", None)
        return chat

    def private_chat(self, bot: BotAccount, user: User) -> Chat:
        """The private chat between a bot and a user (created on first use)."""
        found = self.private.get((bot.id, user.id))
        if found is not None:
            return found
        chat = Chat(user.id, "private", peer=user, bot=bot)
        self.private[(bot.id, user.id)] = chat
        return chat

    def chat_by_key(self, key: str) -> Chat | None:
        """A chat by its key (see Chat.key)."""
        for chat in (*self.private.values(), *self.groups.values()):
            if chat.key == key:
                return chat
        return None

    def chat_for_bot(self, bot: BotAccount, chat_id: object) -> Chat | None:
        """The chat a bot means by chat_id (number or @username), or None: "chat not found"."""
        text = str(chat_id).strip()
        if text.startswith("@"):
            name = text[1:].lower()
            for group in self.groups.values():
                if (group.username or "").lower() == name and bot.id in group.members:
                    return group
            return None
        try:
            number = int(text)
        except ValueError:
            return None
        if number > 0:
            user = self.users.get(number)
            if user is None or user.is_bot:
                return None
            return self.private_chat(bot, user)
        found = self.groups.get(number)
        return found if found is not None and bot.id in found.members else None

    def lookup_user(self, user_id: int) -> JSON | None:
        """User JSON for text_mention entities, None when unknown."""
        user = self.users.get(user_id)
        return user.to_dict() if user else None

    # --- updates ------------------------------------------------------------------------------

    def enqueue(self, bot: BotAccount, kind: str, payload: JSON) -> None:
        """Queue an update for a bot (dropped when allowed_updates excludes it)."""
        if not bot.wants(kind):
            return
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.updates.append((update_id, {"update_id": update_id, kind: payload}))
        bot.pulse.fire()

    def _member_update(
        self, bot: BotAccount, chat: Chat, actor: User, subject: User, old: str, new: str
    ) -> None:
        kind = "my_chat_member" if subject.id == bot.id else "chat_member"
        payload = {
            "chat": chat.to_dict(),
            "from": actor.to_dict(),
            "date": int(self.now()),
            "old_chat_member": member_dict(subject, old),
            "new_chat_member": member_dict(subject, new),
        }
        self.enqueue(bot, kind, payload)

    def _bots_in(self, chat: Chat) -> list[BotAccount]:
        if not chat.is_group:
            return [chat.bot] if chat.bot is not None and not chat.blocked else []
        present = ("member", "administrator", "creator")
        return [b for b in self.bots.values() if chat.members.get(b.id) in present]

    def _receives(self, bot: BotAccount, message: Message) -> bool:
        """Privacy mode: in groups a bot sees commands, replies to it and service messages."""
        chat = message.chat
        if not chat.is_group or message.service or not bot.privacy_mode:
            return True
        if chat.members.get(bot.id) == "administrator":
            return True
        if message.reply_to is not None and message.reply_to.sender.id == bot.id:
            return True
        for entity in message.entities:
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = message.text[: entity["length"]]
                target = command.partition("@")[2].lower()
                return not target or target == (bot.user.username or "").lower()
        return False

    def _deliver(self, message: Message, kind: str = "message") -> None:
        for bot in self._bots_in(message.chat):
            if bot.id != message.sender.id and self._receives(bot, message):
                self.enqueue(bot, kind, message.to_dict())

    # --- what people do ------------------------------------------------------------------------

    def _post(self, chat: Chat, sender: User, content: JSON, **extra: Any) -> Message:
        message = Message(
            chat.allocate_message_id(), chat, sender, int(self.now()), content, **extra
        )
        chat.messages[message.message_id] = message
        return message

    def user_send(
        self, chat: Chat, user: User, content: JSON, *, reply_to: Message | None = None
    ) -> Message:
        """A person posts `content` (Bot API message fields) in a chat; bots get the update."""
        if user.deactivated:
            raise ValueError(f"{user.name}'s account is deleted")
        if chat.is_group and chat.members.get(user.id) not in (
            "member",
            "administrator",
            "creator",
        ):
            raise ValueError(f"{user.name} is not a member of {chat.title}")
        if not chat.is_group:
            chat.started = True
            if chat.blocked:
                self.unblock_bot(user, chat.bot)
        message = self._post(chat, user, content, reply_to=reply_to)
        self.emit("message", chat, message=message.to_dict(), outgoing=False)
        self._deliver(message)
        return message

    def text_content(self, text: str) -> JSON:
        """Message fields for typed text, with the entities Telegram detects (/commands...)."""
        plain, entities = format_text(text, lookup_user=self.lookup_user)
        if not plain:
            raise ValueError("message text is empty")
        content: JSON = {"text": plain}
        if entities:
            content["entities"] = entities
        return content

    def caption_content(self, caption: str | None) -> JSON:
        """Message fields for a typed caption (empty when there is none)."""
        if not caption:
            return {}
        plain, entities = format_text(caption, lookup_user=self.lookup_user)
        content: JSON = {"caption": plain} if plain else {}
        if entities:
            content["caption_entities"] = entities
        return content

    def store_photo(self, data: bytes) -> StoredFile:
        """Keep a photo the way Telegram does: re-encoded JPEG sizes (raises MediaError)."""
        return self.files.add_photo(encode_photo_sizes(data))

    def press_button(
        self, user: User, message: Message, data: str, *, forged: bool = False
    ) -> CallbackQuery:
        """A person presses an inline button with callback_data `data`.

        `forged` plays a modified client that sends data no button on the message carries.
        """
        if message.deleted:
            raise ValueError("the message with that button was deleted")
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        if not forged and not any(b.get("callback_data") == data for row in rows for b in row):
            raise ValueError(f"no button with callback_data {data!r} on that message")
        bot = self.bots_by_id()[message.sender.id]
        query = CallbackQuery(str(secrets.randbits(63)), bot, user, message, data, self.now())
        self.callbacks[query.id] = query
        chat_instance = str(abs(hash((bot.id, message.chat.id))) % 10**18)
        payload = {
            "id": query.id,
            "from": user.to_dict(),
            "message": message.to_dict(),
            "chat_instance": chat_instance,
            "data": data,
        }
        self.emit("callback", message.chat, query_id=query.id, user_id=user.id, data=data)
        self.enqueue(bot, "callback_query", payload)
        return query

    def bots_by_id(self) -> dict[int, BotAccount]:
        """Bots keyed by their user id."""
        return {bot.id: bot for bot in self.bots.values()}

    def edit_user_message(self, message: Message, text: str) -> Message:
        """A person edits their text message; bots get edited_message."""
        message.content = self.text_content(text)
        message.edit_date = int(self.now())
        self.emit("edit", message.chat, message=message.to_dict(), outgoing=False)
        self._deliver(message, "edited_message")
        return message

    def block_bot(self, user: User, bot: BotAccount | None = None) -> None:
        """The user blocks the bot."""
        chat = self.private_chat(bot or self.default_bot, user)
        if not chat.blocked:
            chat.blocked = True
            assert chat.bot is not None
            self._member_update(chat.bot, chat, user, chat.bot.user, "member", "kicked")
            self.emit("state", chat, blocked=True)

    def unblock_bot(self, user: User, bot: BotAccount | None = None) -> None:
        """The user unblocks (restarts) the bot."""
        chat = self.private_chat(bot or self.default_bot, user)
        if chat.blocked:
            chat.blocked = False
            assert chat.bot is not None
            self._member_update(chat.bot, chat, user, chat.bot.user, "kicked", "member")
            self.emit("state", chat, blocked=False)

    def deactivate_user(self, user: User) -> None:
        """The account is deleted: bots get 403 "user is deactivated"."""
        user.deactivated = True
        self.emit("state", None)

    def _actor(self, chat: Chat, by: User | None) -> User:
        if by is not None:
            return by
        for user_id, status in chat.members.items():
            if status == "creator" and user_id in chat.users:
                return chat.users[user_id]
        return next(iter(chat.users.values()), self.default_bot.user)

    def add_bot_to_group(
        self, chat: Chat, bot: BotAccount | None = None, *, by: User | None = None
    ) -> None:
        """Someone adds the bot: my_chat_member (left → member) and a new_chat_members message."""
        bot = bot or self.default_bot
        old = chat.members.get(bot.id, "left")
        if old in ("member", "administrator"):
            return
        actor = self._actor(chat, by)
        chat.members[bot.id] = "member"
        self._member_update(bot, chat, actor, bot.user, old, "member")
        service = self._post(chat, actor, {"new_chat_members": [bot.user.to_dict()]}, service=True)
        self.emit("message", chat, message=service.to_dict(), outgoing=False)
        self._deliver(service)
        self.emit("state", chat)

    def remove_bot_from_group(
        self,
        chat: Chat,
        bot: BotAccount | None = None,
        *,
        by: User | None = None,
        kicked: bool = True,
    ) -> None:
        """Someone removes the bot: my_chat_member (→ kicked or left); sends then answer 403."""
        bot = bot or self.default_bot
        old = chat.members.get(bot.id, "left")
        if old in ("left", "kicked"):
            return
        new = "kicked" if kicked else "left"
        chat.members[bot.id] = new
        self._member_update(bot, chat, self._actor(chat, by), bot.user, old, new)
        self.emit("state", chat)

    def set_bot_admin(self, chat: Chat, admin: bool = True, bot: BotAccount | None = None) -> None:
        """Promote or demote the bot in a group (admins see every message)."""
        bot = bot or self.default_bot
        old = chat.members.get(bot.id, "left")
        new = "administrator" if admin else "member"
        if old in ("left", "kicked") or old == new:
            return
        chat.members[bot.id] = new
        self._member_update(bot, chat, self._actor(chat, None), bot.user, old, new)
        self.emit("state", chat)

    def add_member(self, chat: Chat, user: User, *, by: User | None = None) -> None:
        """A person joins a group: a new_chat_members message for the bots there."""
        old = chat.members.get(user.id, "left")
        chat.members[user.id] = "member"
        chat.users[user.id] = user
        actor = by or user
        service = self._post(chat, actor, {"new_chat_members": [user.to_dict()]}, service=True)
        self.emit("message", chat, message=service.to_dict(), outgoing=False)
        self._deliver(service)
        for bot in self._bots_in(chat):
            if chat.members.get(bot.id) == "administrator":
                self._member_update(bot, chat, actor, user, old, "member")
        self.emit("state", chat)

    def remove_member(self, chat: Chat, user: User) -> None:
        """A person leaves a group: a left_chat_member message for the bots there."""
        chat.members[user.id] = "left"
        service = self._post(chat, user, {"left_chat_member": user.to_dict()}, service=True)
        self.emit("message", chat, message=service.to_dict(), outgoing=False)
        self._deliver(service)
        self.emit("state", chat)

    # --- what bots do (called by the Bot API; errors are Bot API errors) -----------------------

    def check_can_send(self, bot: BotAccount, chat: Chat) -> None:
        """Raise the 403 Telegram gives when the bot may not post in this chat."""
        if chat.is_group:
            where = "supergroup chat" if chat.type == "supergroup" else "group chat"
            status = chat.members.get(bot.id, "left")
            if status == "kicked":
                raise forbidden(f"bot was kicked from the {where}")
            if status == "left":
                raise forbidden(f"bot is not a member of the {where}")
            return
        assert chat.peer is not None
        if chat.peer.deactivated:
            raise forbidden("user is deactivated")
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        if not chat.started:
            raise forbidden("bot can't initiate conversation with a user")

    def bot_post(
        self,
        bot: BotAccount,
        chat: Chat,
        content: JSON,
        *,
        markup: JSON | None = None,
        **extra: Any,
    ) -> Message:
        """Store a message the bot sent and show it (reply keyboards change chat state)."""
        inline = markup if markup and "inline_keyboard" in markup else None
        message = self._post(chat, bot.user, content, reply_markup=inline, **extra)
        if markup and "keyboard" in markup:
            chat.reply_keyboard, chat.force_reply = markup, None
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        elif markup and markup.get("force_reply"):
            chat.force_reply = markup
        self.emit(
            "message",
            chat,
            message=message.to_dict(),
            outgoing=True,
            silent=message.silent,
            reply_keyboard=chat.reply_keyboard,
            force_reply=chat.force_reply,
        )
        return message

    def bot_edit(self, message: Message, content: JSON | None, markup: JSON | None) -> Message:
        """Apply an edit by the bot (content None keeps it; markup None removes the keyboard)."""
        if content is not None:
            message.content = content
        message.reply_markup = markup
        message.edit_date = int(self.now())
        self.emit("edit", message.chat, message=message.to_dict(), outgoing=True)
        return message

    def bot_delete(self, bot: BotAccount, message: Message) -> None:
        """Delete a message for everyone, with Telegram's rules for bots."""
        chat = message.chat
        own = message.sender.id == bot.id
        admin = chat.members.get(bot.id) == "administrator"
        allowed = own or not chat.is_group or admin
        if not allowed or self.now() - message.date > DELETE_WINDOW:
            raise bad_request("message can't be deleted")
        message.deleted = True
        del chat.messages[message.message_id]
        self.emit("delete", chat, message_id=message.message_id)

    def answer_callback(self, bot: BotAccount, query_id: str, answer: JSON) -> None:
        """Record answerCallbackQuery; unknown, foreign, answered or expired ids fail."""
        query = self.callbacks.get(query_id)
        expired = query is None or self.now() - query.created > self.callback_ttl
        if query is None or expired or query.answered or query.bot is not bot:
            raise bad_request(QUERY_TOO_OLD)
        query.answered = True
        query.answer = answer
        self.emit(
            "callback_answer",
            query.message.chat,
            query_id=query_id,
            user_id=query.user.id,
            **answer,
        )
