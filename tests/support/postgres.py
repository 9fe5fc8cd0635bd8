"""A throwaway PostgreSQL cluster from Debian's packages, started by the tests themselves."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bin(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package creates the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PostgresServer:
    """A running cluster that accepts the superuser `tinbao` without a password on loopback."""

    directory: Path
    port: int
    pg_ctl: str

    @property
    def admin_url(self) -> str:
        """URL of the maintenance database."""
        return f"postgresql+asyncpg://tinbao@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """URL of one database in the cluster."""
        return f"postgresql+asyncpg://tinbao@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        subprocess.run(
            _as_postgres(
                [self.pg_ctl, "-D", str(self.directory / "data"), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def available() -> bool:
    """True when PostgreSQL's server programs are installed."""
    return _bin("initdb") is not None and _bin("pg_ctl") is not None


def start() -> PostgresServer:
    """initdb a fresh cluster in a temporary directory and start it, tuned for tests."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    assert initdb and pg_ctl, "PostgreSQL server programs not found"
    directory = Path(tempfile.mkdtemp(prefix="tinbao-pg-"))
    os.chmod(directory, 0o755)  # noqa: S103 (the postgres user must reach its data dir)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    subprocess.run(
        _as_postgres(
            [initdb, "-D", str(data), "-U", "tinbao", "-A", "trust", "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        _as_postgres(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(directory / "log"), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    return PostgresServer(directory=directory, port=port, pg_ctl=pg_ctl)
