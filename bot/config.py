"""Configuration: an optional TOML file (TINBAO_CONFIG), each key overridable by TINBAO_*."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "TINBAO_"
DEFAULT_API_URL = "https://api.telegram.org/bot"


class ConfigError(Exception):
    """A setting that is missing or wrong; the message names it in one line."""


def _env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError("expected a port number from 0 to 65535")
    return port


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("expected a whole number of at least 1")
    return number


def _http_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("expected an http:// or https:// URL")
    return value


def _database_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError("expected a SQLAlchemy URL such as sqlite+aiosqlite:///path") from exc
    if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError("expected a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
    return value


def _language(value: str) -> str:
    if value not in ("vi", "en"):
        raise ValueError("expected vi or en")
    return value


def _token(value: str) -> str:
    bot_id, _, secret = value.partition(":")
    if not bot_id.isdigit() or len(secret) < 20:
        raise ValueError("expected a bot token from @BotFather, like 123456:ABC-DEF...")
    return value


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("expected a number such as 30 or 0.5") from None
    if not 0 < number <= 10_000:
        raise ValueError("expected a rate above 0")
    return number


def _text(value: str) -> str:
    return value


def _parser(key: str) -> Callable[[str], Any]:
    return _PARSERS.get(key, _text)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "bot_token": _token,
    "telegram_api_url": _http_url,
    "database_url": _database_url,
    "console_port": _port,
    "sandbox_port": _port,
    "default_language": _language,
    "tips_per_hour": _positive,
    "tips_per_day": _positive,
    "receipt_attempts_per_hour": _positive,
    "attachments_per_tip": _positive,
    "draft_minutes": _positive,
    "follow_ups_per_hour": _positive,
    "forum_questions_per_hour": _positive,
    "forum_reports_to_hide": _positive,
    "retention_days": _positive,
    "session_minutes": _positive,
    "public_url": _http_url,
    "delivery_per_second": _rate,
    "delivery_group_per_minute": _rate,
    "delivery_private_per_second": _rate,
    "delivery_concurrency": _positive,
    "delivery_lease_seconds": _positive,
}


@dataclass(frozen=True)
class Settings:
    """Every setting of a tinbao installation, with its default."""

    data_dir: Path = Path("data")
    bot_token: str = ""
    telegram_api_url: str = DEFAULT_API_URL
    database_url: str = ""
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8081
    public_url: str = ""
    # Protects the bot's material: the relay key and the install secrets.
    key_passphrase: str = field(default="", repr=False)
    # Protects the console key, which opens tips; unset, the key passphrase is used.
    console_key_passphrase: str = field(default="", repr=False)
    default_language: str = "vi"
    tips_per_hour: int = 3
    tips_per_day: int = 10
    receipt_attempts_per_hour: int = 10
    attachments_per_tip: int = 10
    draft_minutes: int = 30
    follow_ups_per_hour: int = 10
    metrics_token: str = field(default="", repr=False)
    forum_questions_per_hour: int = 5
    forum_reports_to_hide: int = 3
    retention_days: int = 365
    session_minutes: int = 480
    log_level: str = "INFO"
    # Telegram's flood limits the delivery worker keeps to (DESIGN §5).
    delivery_per_second: float = 30.0
    delivery_group_per_minute: float = 20.0
    delivery_private_per_second: float = 1.0
    delivery_concurrency: int = 8
    delivery_lease_seconds: int = 60

    @property
    def resolved_database_url(self) -> str:
        """The database URL, or SQLite under the data dir when none is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tinbao.sqlite3').resolve()}"

    @property
    def console_passphrase(self) -> str:
        """The console key's passphrase: its own, or on a single host the key passphrase."""
        return self.console_key_passphrase or self.key_passphrase

    @property
    def console_passphrase_name(self) -> str:
        """The variable the console passphrase came from, for error messages."""
        if self.console_key_passphrase or not self.key_passphrase:
            return "TINBAO_CONSOLE_KEY_PASSPHRASE"
        return "TINBAO_KEY_PASSPHRASE"

    @property
    def file_api_url(self) -> str:
        """Where Bot API files are downloaded: .../bot → .../file/bot."""
        base = self.telegram_api_url.rstrip("/")
        head, _, tail = base.rpartition("/")
        return f"{head}/file/{tail}"

    @property
    def console_url(self) -> str:
        """The address officers open."""
        return self.public_url or f"http://{self.console_host}:{self.console_port}"


KEYS = tuple(f.name for f in dataclasses.fields(Settings))


def _read_toml(path: Path) -> Mapping[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"TINBAO_CONFIG: file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TINBAO_CONFIG: {path} is not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}")
    return data


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file named by TINBAO_CONFIG, then apply TINBAO_* environment variables."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if env.get("TINBAO_CONFIG"):
        raw.update(_read_toml(Path(env["TINBAO_CONFIG"])))
    for key in KEYS:
        if _env_name(key) in env:
            raw[key] = env[_env_name(key)]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = _env_name(key)
        try:
            text = value if isinstance(value, str) else str(value)
            parsed = _parser(key)(text.strip())
        except ValueError as exc:
            detail = str(exc) if not str(exc).startswith("invalid literal") else "not a number"
            raise ConfigError(f"{name}: {detail} (got {str(value)!r})") from None
        values[key] = Path(parsed) if key == "data_dir" else parsed
    return Settings(**values)
