"""Settings come from TOML and TINBAO_* variables; a bad one is named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_API_URL, ConfigError, load_settings


def test_defaults_need_nothing() -> None:
    settings = load_settings({})
    assert settings.telegram_api_url == DEFAULT_API_URL
    assert settings.bot_token == ""
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("data/tinbao.sqlite3")


def test_environment_overrides_every_key_of_the_file(tmp_path: Path) -> None:
    config = tmp_path / "tinbao.toml"
    config.write_text(
        'console_port = 9000\ndata_dir = "/srv/tinbao"\ntelegram_api_url = "http://a/bot"\n',
        encoding="utf-8",
    )
    settings = load_settings(
        {
            "TINBAO_CONFIG": str(config),
            "TINBAO_CONSOLE_PORT": "9100",
            "TINBAO_BOT_TOKEN": "123456:" + "A" * 30,
        }
    )
    assert settings.console_port == 9100
    assert settings.data_dir == Path("/srv/tinbao")
    assert settings.telegram_api_url == "http://a/bot"
    assert settings.file_api_url == "http://a/file/bot"


def test_secrets_do_not_show_in_repr() -> None:
    settings = load_settings({"TINBAO_KEY_PASSPHRASE": "very secret words"})
    assert "very secret words" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TINBAO_CONSOLE_PORT": "http"}, "TINBAO_CONSOLE_PORT: not a number (got 'http')"),
        ({"TINBAO_CONSOLE_PORT": "70000"}, "TINBAO_CONSOLE_PORT: expected a port number"),
        ({"TINBAO_BOT_TOKEN": "hello"}, "TINBAO_BOT_TOKEN: expected a bot token"),
        ({"TINBAO_TELEGRAM_API_URL": "ftp://x"}, "TINBAO_TELEGRAM_API_URL: expected an http"),
        ({"TINBAO_DATABASE_URL": "mysql://x"}, "TINBAO_DATABASE_URL: expected a sqlite+aiosqlite"),
        ({"TINBAO_DATABASE_URL": "::"}, "TINBAO_DATABASE_URL: expected a SQLAlchemy URL"),
        ({"TINBAO_TIPS_PER_DAY": "0"}, "TINBAO_TIPS_PER_DAY: expected a whole number"),
        ({"TINBAO_DEFAULT_LANGUAGE": "fr"}, "TINBAO_DEFAULT_LANGUAGE: expected vi or en"),
        ({"TINBAO_CONFIG": "/nonexistent/tinbao.toml"}, "TINBAO_CONFIG: file /nonexistent"),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_unknown_and_malformed_files_are_refused(tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("consol_port = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'consol_port'"):
        load_settings({"TINBAO_CONFIG": str(unknown)})
    broken = tmp_path / "broken.toml"
    broken.write_text("console_port = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings({"TINBAO_CONFIG": str(broken)})
    wrong_type = tmp_path / "wrong.toml"
    wrong_type.write_text('console_port = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="TINBAO_CONSOLE_PORT"):
        load_settings({"TINBAO_CONFIG": str(wrong_type)})
