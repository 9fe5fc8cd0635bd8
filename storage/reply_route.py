"""Where a resident asked to be answered in the chat, for tips and forum questions alike.

The route is a chat id and a language, sealed to the relay key: the console stores and
queues it but only the bot process, which holds the relay key, opens it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from storage.crypto import KeyRing, PublicKey, seal


@dataclass(frozen=True)
class ReplyRoute:
    """The chat to answer in (kept out of `repr`) and the resident's language."""

    chat_id: int = field(repr=False)
    language: str = "vi"

    def seal(self, relay: PublicKey, context: bytes) -> bytes:
        """The route sealed to the relay key, bound to its row by `context`."""
        plain = json.dumps({"chat_id": self.chat_id, "language": self.language}).encode()
        return seal(relay, plain, context)

    @classmethod
    def open(cls, ring: KeyRing, key_id: str, sealed: bytes, context: bytes) -> ReplyRoute:
        """Read back what `seal` wrote (with the relay ring)."""
        raw = json.loads(ring.open(key_id, sealed, context))
        return cls(chat_id=int(raw["chat_id"]), language=str(raw["language"]))
