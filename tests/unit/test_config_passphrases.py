"""Two key passphrases: the bot's, and the console key's falling back to it on one host."""

from __future__ import annotations

from bot.config import load_settings


def test_console_passphrase_falls_back_to_the_key_passphrase() -> None:
    single = load_settings({"TINBAO_KEY_PASSPHRASE": "one for every key"})
    assert single.console_passphrase == "one for every key"
    assert single.console_passphrase_name == "TINBAO_KEY_PASSPHRASE"
    split = load_settings(
        {
            "TINBAO_KEY_PASSPHRASE": "the bot's words",
            "TINBAO_CONSOLE_KEY_PASSPHRASE": "the console's words",
        }
    )
    assert split.key_passphrase == "the bot's words"
    assert split.console_passphrase == "the console's words"
    assert split.console_passphrase_name == "TINBAO_CONSOLE_KEY_PASSPHRASE"
    assert "the console's words" not in repr(split) and "the bot's words" not in repr(split)
    console_only = load_settings({"TINBAO_CONSOLE_KEY_PASSPHRASE": "the console's words"})
    assert console_only.key_passphrase == ""
    assert console_only.console_passphrase == "the console's words"
    assert load_settings({}).console_passphrase_name == "TINBAO_CONSOLE_KEY_PASSPHRASE"
