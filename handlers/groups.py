"""The bot in neighbourhood groups: registration when added, /register CODE, removal.

Also a resident blocking the bot in private: their warning subscription pauses.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.error import TelegramError
from telegram.ext import ChatMemberHandler, CommandHandler, MessageHandler, filters

from handlers.context import Context, TinbaoApp, core_of, language_of
from handlers.i18n import t
from storage import groups, subscriptions, units

log = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = ()  # /register is typed in groups, not offered in private menus
PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)
GONE = (ChatMember.LEFT, ChatMember.BANNED)
CODE_ATTEMPTS_PER_HOUR = 5


def _joined(change: ChatMemberUpdated) -> bool | None:
    """True when the bot arrived, False when it left or was removed, None otherwise."""
    old, new = change.old_chat_member.status, change.new_chat_member.status
    if new in PRESENT and old not in PRESENT:
        return True
    if new in GONE and old not in GONE:
        return False
    return None


async def my_membership(update: Update, context: Context) -> None:
    """The bot was added to or removed from a group, or blocked in a private chat."""
    change = update.my_chat_member
    if change is None:
        return
    core = core_of(context)
    joined = _joined(change)
    chat = change.chat
    if chat.type == chat.PRIVATE:
        if joined is False:
            await subscriptions.deactivate_user(core, change.from_user.id)
        return
    if chat.type not in (chat.GROUP, chat.SUPERGROUP) or joined is None:
        return
    if not joined:
        await groups.bot_removed(core, chat.id)
        return
    registration = await groups.bot_added(core, chat.id, chat.title or "")
    language = await language_of(update, context)
    key = "groups.back" if registration.status == "approved" else "groups.registered"
    try:
        await context.bot.send_message(
            chat.id, t(language, key, number=registration.group_id), parse_mode="HTML"
        )
    except TelegramError as exc:  # e.g. the group does not let members post
        log.warning("could not greet a group: %s", type(exc).__name__)


async def register_code(update: Update, context: Context) -> None:
    """/register CODE in a group, by an admin: approve the group for the code's unit."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    language = await language_of(update, context)
    if chat.type not in (chat.GROUP, chat.SUPERGROUP):
        await message.reply_html(t(language, "groups.register_in_group"))
        return
    code = " ".join(context.args or [])
    if not code:
        await message.reply_html(t(language, "groups.code_usage"))
        return
    member = await context.bot.get_chat_member(chat.id, user.id)
    if member.status not in (ChatMember.ADMINISTRATOR, ChatMember.OWNER):
        await message.reply_html(t(language, "groups.code_admins_only"))
        return
    core = core_of(context)
    allowed = core.limits.take(
        chat.id, "group_code", limit=CODE_ATTEMPTS_PER_HOUR, window_seconds=3600
    )
    if not allowed:
        await message.reply_html(t(language, "groups.code_too_many"))
        return
    unit = await groups.redeem_code(core, chat.id, chat.title or "", code)
    if unit is None:
        await message.reply_html(t(language, "groups.code_bad"))
        return
    await message.reply_html(t(language, "groups.approved", place=units.place_name(unit, language)))


async def migrated(update: Update, context: Context) -> None:
    """The group became a supergroup: follow it to its new chat id."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id is not None:
        await groups.migrated(core_of(context), message.chat.id, message.migrate_to_chat_id)


async def retitled(update: Update, context: Context) -> None:
    """Keep the title officers see in the console up to date."""
    message = update.effective_message
    if message is not None and message.new_chat_title:
        await groups.retitle(core_of(context), message.chat.id, message.new_chat_title)


def register(application: TinbaoApp) -> None:
    """Membership changes, /register, and group housekeeping messages."""
    application.add_handler(ChatMemberHandler(my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CommandHandler("register", register_code))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
    application.add_handler(MessageHandler(filters.StatusUpdate.NEW_CHAT_TITLE, retitled))
