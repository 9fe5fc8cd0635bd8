"""Backups: the database and the (passphrase-protected) key files in one archive.

The archive holds only what is already protected at rest: sealed content and encrypted
key files. Two passphrases guard the key files (storage.crypto.keystore): the bot's
(relay key, install secrets) and the console key's. The console private key is the one
file that, with its passphrase, opens every tip; ``console_private_key=False`` leaves it
out, for archives kept where the bot's passphrase is known, or on a bot host (which holds
no console private key anyway). Without it a restored installation cannot read its tips,
so the console host must keep a copy of that key somewhere: in its full backups, or apart.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.crypto.keystore import KeyStore, is_console_private


class BackupError(RuntimeError):
    """A backup that could not be made; the message says why."""


@dataclass(frozen=True)
class BackupReport:
    """Where the archive went and what it holds."""

    path: Path
    database_bytes: int
    key_files: int
    # Whether a console private key is in the archive.
    console_private_key: bool = False


def _sqlite_copy(database: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot while the bot keeps writing.
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _postgres_dump(url: str, target: Path) -> None:
    parsed = make_url(url)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed (Debian package postgresql-client)")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    command = [
        pg_dump,
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--host={parsed.host or 'localhost'}",
        f"--port={parsed.port or 5432}",
        f"--username={parsed.username or 'postgres'}",
        parsed.database or "postgres",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1:]}")


def make_backup(
    database_url: str, key_dir: Path, destination: Path, *, console_private_key: bool = True
) -> BackupReport:
    """Write `tinbao-<UTC time>.tar.gz` under `destination` (a directory); blocking.

    ``console_private_key=False`` leaves the console private keys out of the archive.
    """
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    archive = destination / f"tinbao-{stamp}.tar.gz"
    url = make_url(database_url)
    with tempfile.TemporaryDirectory(dir=destination) as tmp:
        if url.get_backend_name() == "sqlite":
            if not url.database:
                raise BackupError("an in-memory SQLite database cannot be backed up")
            dump = Path(tmp) / "tinbao.sqlite3"
            _sqlite_copy(Path(url.database), dump)
        else:
            dump = Path(tmp) / "tinbao.pgdump"
            _postgres_dump(database_url, dump)
        key_files = KeyStore(key_dir).files(console_private=console_private_key)
        with_console = any(is_console_private(p.relative_to(key_dir)) for p in key_files)
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            tar.add(dump, arcname=dump.name)
            for path in key_files:
                tar.add(path, arcname=str(Path("keys") / path.relative_to(key_dir)))
        size = dump.stat().st_size
    return BackupReport(
        path=archive,
        database_bytes=size,
        key_files=len(key_files),
        console_private_key=with_console,
    )
