"""gettext .po catalogs read with Babel: the texts of one language, merged from every .po
file of a folder (one file per feature). The chat and the console keep their own folders
and call this; neither depends on the other."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po


def read_catalogs(folder: Path, language: str) -> dict[str, str]:
    """Message id → translated text, for every translated message under `folder/language`."""
    messages: dict[str, str] = {}
    for path in sorted((folder / language).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and isinstance(message.id, str) and message.string:
                    messages[message.id] = str(message.string)
    return messages
