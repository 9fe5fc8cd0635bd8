"""The HPKE `info` of every sealed value: it binds a ciphertext to its row and purpose."""

from __future__ import annotations

import uuid

from storage.crypto import make_context


def tip_context(tip_id: uuid.UUID) -> bytes:
    """Tip content, sealed to the console key (DESIGN §4: b"tinbao/tip/v1/" + id)."""
    return make_context("tip", str(tip_id))


def tipster_key_context(tip_id: uuid.UUID) -> bytes:
    """The tipster's private key, wrapped by the receipt key."""
    return make_context("tipster-key", str(tip_id))


def reply_route_context(tip_id: uuid.UUID) -> bytes:
    """A tip's reply route (chat id and language), sealed to the relay key."""
    return make_context("reply-route", str(tip_id))


def tip_message_context(message_id: uuid.UUID) -> bytes:
    """The console's copy of a follow-up, reply or note."""
    return make_context("tip-message", str(message_id))


def tipster_message_context(message_id: uuid.UUID) -> bytes:
    """The tipster's copy of an officer reply, sealed to the tipster's key."""
    return make_context("tipster-message", str(message_id))


def attachment_context(attachment_id: uuid.UUID, part: str = "stripped") -> bytes:
    """An attachment: the stripped copy, or the untouched original kept as evidence."""
    return make_context("attachment", f"{attachment_id}/{part}")


def totp_context(officer_id: int) -> bytes:
    """An officer's TOTP secret."""
    return make_context("totp", officer_id)


def outbox_context(message_id: uuid.UUID) -> bytes:
    """An outbox payload, sealed to the relay key."""
    return make_context("outbox", str(message_id))


def subscriber_chat_context(subscriber_id: uuid.UUID) -> bytes:
    """A subscriber's chat id, sealed to the relay key."""
    return make_context("subscriber-chat", str(subscriber_id))


def forum_question_context(question_id: uuid.UUID) -> bytes:
    """A forum question's text and display name, sealed to the console key."""
    return make_context("forum-question", str(question_id))


def forum_route_context(question_id: uuid.UUID) -> bytes:
    """A forum question's reply route (chat id and language), sealed to the relay key."""
    return make_context("forum-route", str(question_id))
