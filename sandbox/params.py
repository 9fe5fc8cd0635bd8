"""Bot API request parameters (query, form, JSON, multipart) and the method registry."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, bad_request
from sandbox.model import BotAccount, Chat
from sandbox.world import World


@dataclass
class Upload:
    """A file sent in a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """Parameters of one call with Telegram's lenient typing (PTB sends numbers as strings)."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Collect parameters from the query string and whatever body was sent."""
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return cls(values, uploads)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if isinstance(body, dict):
                values.update(body)
            return cls(values, uploads)
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads[name] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                values[name] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        """Whether a non-empty parameter or an upload of that name was sent."""
        return self.values.get(name) not in (None, "") or name in self.uploads

    def text(self, name: str) -> str | None:
        """A parameter as a string (JSON values dumped)."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value).lower() if isinstance(value, bool) else str(value)

    def integer(self, name: str) -> int | None:
        """A parameter as an int, 400 when it is not one."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str) -> float | None:
        """A parameter as a float, 400 when it is not one."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def flag(self, name: str) -> bool:
        """A boolean parameter ('true' / '1' / true)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str, error: str | None = None) -> Any:
        """A JSON-valued parameter: decoded when sent as a string (form data)."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error or f"can't parse {name} JSON object") from None

    def upload(self, name: str) -> Upload | None:
        """The multipart file sent under that name."""
        return self.uploads.get(name)


@dataclass
class Call:
    """One Bot API call: who asks, with what."""

    world: World
    bot: BotAccount
    params: Params
    method: str

    def chat(self, name: str = "chat_id") -> Chat:
        """The chat named by a parameter, or Telegram's 400."""
        raw = self.params.values.get(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        chat = self.world.chat_for_bot(self.bot, raw)
        if chat is None:
            raise bad_request("chat not found")
        return chat


Handler = Callable[[Call], Awaitable[Any]]


class Registry:
    """Bot API methods by lower-case name (Telegram ignores the case of method names)."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def __call__(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self.handlers[name.lower()] = handler
            return handler

        return register
