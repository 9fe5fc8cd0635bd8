"""Stored files: ids, paths, photo sizes re-encoded the way Telegram does, Bot API objects."""

from __future__ import annotations

import io
import mimetypes
import secrets
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

JSON = dict[str, Any]

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
UPLOAD_LIMIT = 50 * 1024 * 1024  # bots may upload up to 50 MB
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
# Telegram keeps these sizes of a photo (longest side); the largest is capped at 2560.
PHOTO_SIDES = (90, 320, 800, 1280, 2560)

_PREFIX = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "voice": "AwAC", "audio": "CQAC"}
_FOLDER = {"photo": "photos", "document": "documents", "video": "videos", "voice": "voice"}
_FOLDER["audio"] = "music"


class MediaError(ValueError):
    """A file Telegram would refuse; str(error) is the Bot API description after 'Bad Request: '."""


@dataclass
class StoredFile:
    """One file as Telegram keeps it."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    mime_type: str
    file_path: str
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    # For photos: every size of the same picture, smallest first.
    sizes: list[StoredFile] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data)

    def base(self) -> JSON:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id}

    def photo_size(self) -> JSON:
        return {**self.base(), "file_size": self.size, "width": self.width, "height": self.height}

    def to_message_content(self) -> JSON:
        """The Message field carrying this file (photo / document / video / voice / audio)."""
        if self.kind == "photo":
            return {"photo": [s.photo_size() for s in self.sizes or [self]]}
        data: JSON = {**self.base(), "file_size": self.size, "mime_type": self.mime_type}
        if self.file_name and self.kind in ("document", "video", "audio"):
            data["file_name"] = self.file_name
        if self.kind == "video":
            data.update(width=self.width or 640, height=self.height or 360)
        if self.kind in ("video", "voice", "audio"):
            data["duration"] = self.duration or 1
        return {self.kind: data}

    def file_object(self) -> JSON:
        """The getFile result."""
        return {**self.base(), "file_size": self.size, "file_path": self.file_path}


def encode_photo_sizes(data: bytes) -> list[tuple[bytes, int, int]]:
    """Decode an image and re-encode it as JPEG sizes, smallest first (drops EXIF like Telegram)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaError("IMAGE_PROCESS_FAILED") from exc
    longest = max(image.size)
    sides = [s for s in PHOTO_SIDES if s < longest] + ([longest] if longest <= 2560 else [])
    result: list[tuple[bytes, int, int]] = []
    for side in sides:
        copy = image.copy()
        copy.thumbnail((side, side))
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=87)
        result.append((out.getvalue(), copy.width, copy.height))
    return result


def guess_mime(file_name: str | None, default: str = "application/octet-stream") -> str:
    """MIME type from a file name."""
    guessed = mimetypes.guess_type(file_name or "")[0]
    return guessed or default


class FileStore:
    """All files of the sandbox, by file_id and by file_path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def _add(
        self,
        kind: str,
        data: bytes,
        mime_type: str,
        file_name: str | None,
        **attrs: Any,
    ) -> StoredFile:
        self._counter += 1
        suffix = mimetypes.guess_extension(mime_type) or ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1].lower()
        stored = StoredFile(
            file_id=_PREFIX.get(kind, "BQAC") + secrets.token_urlsafe(48),
            file_unique_id="AQAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=data,
            mime_type=mime_type,
            file_path=f"{_FOLDER.get(kind, 'documents')}/file_{self._counter}{suffix}",
            file_name=file_name,
            **attrs,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def add_photo(self, sizes: list[tuple[bytes, int, int]]) -> StoredFile:
        """Store the sizes of one photo; returns the largest, which lists them all."""
        stored = [
            self._add("photo", data, "image/jpeg", None, width=w, height=h) for data, w, h in sizes
        ]
        for item in stored:
            item.sizes = stored
        return stored[-1]

    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
    ) -> StoredFile:
        """Store a document, video, voice note or audio file."""
        default = {"voice": "audio/ogg", "video": "video/mp4", "audio": "audio/mpeg"}
        mime = mime_type or guess_mime(file_name, default.get(kind, "application/octet-stream"))
        return self._add(kind, data, mime, file_name, width=width, height=height, duration=duration)

    def get(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id."""
        return self.by_id.get(file_id)
