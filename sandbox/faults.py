"""Fault injection: failing or hanging Bot API calls, blocked users, kicked bots."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sandbox.model import Chat, User
    from sandbox.world import World

HangThen = Literal["drop", "process"]


@dataclass
class Fault:
    """What to do to one call instead of answering it normally."""

    status: int | None = None
    description: str | None = None
    hang: float = 0.0
    then: HangThen = "drop"

    @property
    def code(self) -> int:
        """HTTP status of the answer (504 after a hang that drops the call)."""
        return self.status or int(HTTPStatus.GATEWAY_TIMEOUT)

    def body(self) -> dict[str, Any]:
        text = self.description or HTTPStatus(self.code).phrase
        return {"ok": False, "error_code": self.code, "description": text}


@dataclass
class _Rule:
    method: str | None
    remaining: int
    fault: Fault


class Faults:
    """Rules consulted before each Bot API call; the first matching rule is used up."""

    def __init__(self, world: World | None = None) -> None:
        self._world = world
        self._rules: list[_Rule] = []
        self._random: random.Random | None = None
        self._rate = 0.0
        self._statuses: tuple[int, ...] = ()
        self._random_methods: frozenset[str] | None = None
        self.injected: list[tuple[str, Fault]] = []

    def fail_next(
        self,
        method: str | None = None,
        *,
        times: int = 1,
        status: int = 500,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` (any but getUpdates when None) fail with `status`."""
        fault = Fault(status=status, description=description)
        self._rules.append(_Rule(_norm(method), times, fault))

    def hang_next(
        self,
        method: str | None = None,
        *,
        seconds: float = 30.0,
        times: int = 1,
        then: HangThen = "drop",
    ) -> None:
        """The next calls wait `seconds` first; then 504 ("drop") or carry on ("process")."""
        # "process" sends the message although the client may have timed out already: a real
        # timeout can still deliver, and retrying code must expect duplicates.
        self._rules.append(_Rule(_norm(method), times, Fault(hang=seconds, then=then)))

    def random_failures(
        self,
        rate: float,
        *,
        seed: int = 0,
        statuses: Iterable[int] = (500, 502, 503),
        methods: Iterable[str] | None = None,
    ) -> None:
        """Fail a share `rate` of calls (reproducible with `seed`); rate 0 switches it off."""
        self._random = random.Random(seed)
        self._rate = rate
        self._statuses = tuple(statuses)
        self._random_methods = None if methods is None else frozenset(m.lower() for m in methods)

    def clear(self) -> None:
        """Remove every rule and the random failure rate."""
        self._rules.clear()
        self._rate = 0.0

    def take(self, method: str) -> Fault | None:
        """The fault for this call of `method`, if any (used by the Bot API server)."""
        method = method.lower()
        for rule in self._rules:
            if rule.method == method or (rule.method is None and method != "getupdates"):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                self.injected.append((method, rule.fault))
                return rule.fault
        chosen = self._random_methods is None or method in self._random_methods
        if self._rate <= 0 or self._random is None or method == "getupdates" or not chosen:
            return None
        if self._random.random() >= self._rate:
            return None
        fault = Fault(status=self._random.choice(self._statuses))
        self.injected.append((method, fault))
        return fault

    def block_bot(self, user: User) -> None:
        """The user blocks the bot: sends to them answer 403, the bot gets my_chat_member."""
        self._need_world().block_bot(user)

    def kick_bot(self, chat: Chat) -> None:
        """The bot is removed from a group: sends answer 403, the bot gets my_chat_member."""
        world = self._need_world()
        world.remove_bot_from_group(chat, world.default_bot, kicked=True)

    def _need_world(self) -> World:
        if self._world is None:
            raise RuntimeError("these faults need the world they belong to")
        return self._world


def _norm(method: str | None) -> str | None:
    return None if method is None else method.lower()
