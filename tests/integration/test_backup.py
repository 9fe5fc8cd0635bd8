"""`tinbao backup` writes a consistent database copy and the key files, nothing in clear."""

from __future__ import annotations

import sqlite3
import tarfile
from pathlib import Path

from storage import backup, tips
from storage.core import Core


async def test_backup_holds_database_and_keys_without_clear_content(
    core: Core, key_dir: Path, tmp_path: Path
) -> None:
    await tips.submit_tip(
        core, category="fraud", content=tips.TipContent(text="Lừa đảo qua điện thoại giả công an")
    )
    report = backup.make_backup(core.settings.database_url, key_dir, tmp_path / "backups")
    assert report.path.exists() and report.path.stat().st_mode & 0o077 == 0
    assert report.key_files >= 5
    with tarfile.open(report.path) as tar:
        names = tar.getnames()
        assert any(n.startswith("keys/console/") for n in names)
        assert "keys/secrets.key" in names
        database = next(n for n in names if n.startswith("tinbao."))
        data = tar.extractfile(database)
        assert data is not None
        blob = data.read()
    assert "Lừa đảo".encode() not in blob
    if database.endswith(".sqlite3"):
        copy = tmp_path / "restored.sqlite3"
        copy.write_bytes(blob)
        connection = sqlite3.connect(copy)
        try:
            assert connection.execute("SELECT count(*) FROM tip").fetchone() == (1,)
            assert connection.execute("SELECT count(*) FROM unit").fetchone()[0] > 10
        finally:
            connection.close()
    else:
        assert blob.startswith(b"PGDMP")
