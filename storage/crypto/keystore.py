"""The key directory: console and relay HPKE keys, rotation, and the install-wide secrets.

Two passphrases, one per host role (DESIGN §4: a compromised bot host cannot read tips):

- the **bot passphrase** protects the bot's material: the relay keys and ``secrets.key``
  (pseudonym key and receipt salt), which only the bot uses;
- the **console passphrase** protects the console keys, which open tips.

A single-host installation may use one passphrase for both; a host that runs only the
bot gets the bot's material and the console's public keys (:meth:`KeyStore.export_bot`),
never a console private key.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_bytes, token_hex
from typing import Literal

from storage.crypto._fs import DIR_MODE, atomic_write, ensure_private_dir, fsync_dir
from storage.crypto.errors import KeyFileError
from storage.crypto.keyfile import (
    DEFAULT_SCRYPT_N,
    read_header,
    read_private_key,
    read_public_key,
    read_secret_file,
    write_private_key,
    write_public_key,
    write_secret_file,
)
from storage.crypto.sealing import KeyPair, KeyRing, PublicKey

KeyKind = Literal["console", "relay"]
KINDS: tuple[KeyKind, ...] = ("console", "relay")
SECRETS_FILE = "secrets.key"
CURRENT_FILE = "CURRENT"
# The passphrase of the relay keys also protects secrets.key: both belong to the bot.
SECRETS_KIND: KeyKind = "relay"
_KEY_ID = re.compile(r"[0-9a-f]{16}")


def is_console_private(relative: Path) -> bool:
    """Whether a path relative to a key directory names a console private key."""
    return Path(relative).parts[:1] == ("console",) and Path(relative).suffix == ".key"


@dataclass(frozen=True)
class InstallSecrets:
    """Install-wide secrets: the pseudonym HMAC key and the receipt KDF salt."""

    pseudonym_key: bytes = field(repr=False)
    receipt_salt: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> InstallSecrets:
        """Draw fresh random secrets."""
        return cls(token_bytes(32), token_bytes(32))

    def to_dict(self) -> dict[str, bytes]:
        """Return the secrets by name, as stored in the secrets file."""
        return {"pseudonym_key": self.pseudonym_key, "receipt_salt": self.receipt_salt}


class KeyStore:
    """A key directory: ``<kind>/<key_id>.key|.pub``, ``<kind>/CURRENT`` and ``secrets.key``.

    Private keys of one kind share a passphrase; ``secrets.key`` shares the relay's.
    """

    def __init__(self, directory: Path, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
        self.directory = Path(directory)
        self.scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    def _dir(self, kind: str) -> Path:
        if kind not in KINDS:
            raise KeyFileError(f"unknown key kind {kind!r} (expected one of {', '.join(KINDS)})")
        return self.directory / kind

    @staticmethod
    def _check_id(key_id: str) -> str:
        # Key ids become file names: refuse anything that is not one.
        if not _KEY_ID.fullmatch(key_id):
            raise KeyFileError(f"{key_id!r} is not a key id (16 lower-case hex characters)")
        return key_id

    def exists(self) -> bool:
        """Whether any part of a key store is present in the directory."""
        names = [SECRETS_FILE, *(f"{k}/{CURRENT_FILE}" for k in KINDS)]
        return any((self.directory / n).exists() for n in names)

    def initialize(
        self, passphrase: str | bytes, *, console_passphrase: str | bytes | None = None
    ) -> None:
        """Create both key kinds and the install secrets; refuse to touch an existing store.

        ``passphrase`` protects the bot's material (relay key and install secrets),
        ``console_passphrase`` the console key (``passphrase`` too when not given).
        """
        if self.exists() or any((self.directory / n).exists() for n in (*KINDS, SECRETS_FILE)):
            raise KeyFileError(f"{self.directory}: a key store already exists; not overwriting")
        console_passphrase = console_passphrase or passphrase
        ensure_private_dir(self.directory)
        os.chmod(self.directory, DIR_MODE)
        # Build everything aside, then move it in, so a failure leaves no half store behind.
        staging = self.directory / f".init-{token_hex(6)}"
        try:
            staged = KeyStore(staging, scrypt_n=self.scrypt_n)
            staged._add("console", KeyPair.generate(), console_passphrase)
            staged._add("relay", KeyPair.generate(), passphrase)
            write_secret_file(
                staging / SECRETS_FILE,
                InstallSecrets.generate().to_dict(),
                passphrase,
                scrypt_n=self.scrypt_n,
            )
            for name in (*KINDS, SECRETS_FILE):
                os.replace(staging / name, self.directory / name)
            fsync_dir(self.directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def missing(self, *, private: Iterable[KeyKind] = (), secrets: bool = False) -> list[str]:
        """Key files a process needs that are absent, as paths relative to the directory.

        Every process needs the current public key of both kinds; ``private`` names the
        kinds whose current private key it unlocks, ``secrets`` whether it reads
        ``secrets.key``. An empty list means nothing is missing.
        """
        absent: list[str] = []
        for kind in KINDS:
            if not (self._dir(kind) / CURRENT_FILE).exists():
                absent.append(f"{kind}/{CURRENT_FILE}")
                continue
            key_id = self.current_id(kind)
            wanted = [".pub", ".key"] if kind in private else [".pub"]
            absent += [
                f"{kind}/{key_id}{ext}"
                for ext in wanted
                if not (self._dir(kind) / f"{key_id}{ext}").exists()
            ]
        if secrets and not (self.directory / SECRETS_FILE).exists():
            absent.append(SECRETS_FILE)
        return absent

    def files(self, *, console_private: bool = True) -> list[Path]:
        """Every key file of the store (for backups); console private keys only if asked."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.rglob("*")):
            relative = path.relative_to(self.directory)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue  # staging directories and half-written temporary files
            if not console_private and is_console_private(relative):
                continue
            found.append(path)
        return found

    def bot_files(self) -> list[Path]:
        """What a host that runs only the bot needs, relative to the directory.

        The relay keys (private and public), ``secrets.key``, and the console's public
        keys and ``CURRENT``: never a console private key.
        """
        absent = self.missing(private=("relay",), secrets=True)
        if absent:
            raise KeyFileError(f"{self.directory}: missing {', '.join(absent)}")
        names = [Path(SECRETS_FILE)]
        wanted: tuple[tuple[KeyKind, tuple[str, ...]], ...] = (
            ("relay", (".key", ".pub")),
            ("console", (".pub",)),  # never ".key": that opens tips
        )
        for kind, suffixes in wanted:
            names.append(Path(kind, CURRENT_FILE))
            names += [
                Path(kind, f"{key_id}{suffix}")
                for key_id in self.key_ids(kind)
                for suffix in suffixes
                if (self.directory / kind / f"{key_id}{suffix}").exists()
            ]
        return names

    def export_bot(self, target: Path) -> list[Path]:
        """Write :meth:`bot_files` into ``target``, a new key directory; return what it holds.

        ``target`` must not exist or be empty: an export never overwrites keys.
        """
        target = Path(target)
        if target.resolve() == self.directory.resolve():
            raise KeyFileError(f"{target}: is this key store itself")
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise KeyFileError(f"{target}: already exists and is not empty; not overwriting")
        names = self.bot_files()
        ensure_private_dir(target.parent)
        # Copy aside, then rename into place, so a failure leaves no half export behind.
        staging = target.parent / f".{target.name}.export-{token_hex(6)}"
        try:
            ensure_private_dir(staging)
            for name in names:
                atomic_write(staging / name, (self.directory / name).read_bytes())
            os.replace(staging, target)  # replaces an empty directory, never a full one
            fsync_dir(target.parent)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return names

    def _add(self, kind: KeyKind, keypair: KeyPair, passphrase: str | bytes) -> None:
        d = self._dir(kind)
        write_private_key(
            d / f"{keypair.key_id}.key", keypair, kind, passphrase, scrypt_n=self.scrypt_n
        )
        write_public_key(d / f"{keypair.key_id}.pub", keypair.public, kind)
        atomic_write(d / CURRENT_FILE, f"{keypair.key_id}\n".encode("ascii"))

    def current_id(self, kind: KeyKind) -> str:
        """Return the id of the current key of ``kind``."""
        path = self._dir(kind) / CURRENT_FILE
        try:
            text = path.read_text("ascii").strip()
        except FileNotFoundError:
            raise KeyFileError(f"{path}: not found (run `tinbao keys init`?)") from None
        except (OSError, UnicodeDecodeError):
            raise KeyFileError(f"{path}: unreadable or corrupt") from None
        if not _KEY_ID.fullmatch(text):
            raise KeyFileError(f"{path}: does not hold a key id")
        return text

    def key_ids(self, kind: KeyKind) -> tuple[str, ...]:
        """Ids of every key of ``kind`` present (private or public part), sorted."""
        d = self._dir(kind)
        if not d.is_dir():
            return ()
        ids = {p.stem for p in d.iterdir() if p.suffix in (".key", ".pub")}
        return tuple(sorted(i for i in ids if _KEY_ID.fullmatch(i)))

    def created_at(self, kind: KeyKind, key_id: str) -> str | None:
        """Creation time recorded in a key's public file, if any (for listings)."""
        path = self._dir(kind) / f"{self._check_id(key_id)}.pub"
        return read_header(path).get("created_at")

    def public_key(self, kind: KeyKind) -> PublicKey:
        """Return the current public key of ``kind``; needs no passphrase."""
        key_id = self.current_id(kind)
        public = read_public_key(self._dir(kind) / f"{key_id}.pub", kind=kind)
        if public.key_id != key_id:
            raise KeyFileError(f"{self._dir(kind)}: {key_id}.pub holds key {public.key_id}")
        return public

    def _read_pair(self, kind: KeyKind, key_id: str, passphrase: str | bytes) -> KeyPair:
        path = self._dir(kind) / f"{key_id}.key"
        if not path.exists():
            raise KeyFileError(
                f"{path}: private {kind} key not found (this host may hold only the public key)"
            )
        keypair = read_private_key(path, passphrase, kind=kind)
        if keypair.key_id != key_id:
            raise KeyFileError(f"{path}: holds key {keypair.key_id}, not {key_id}")
        return keypair

    def unlock(self, kind: KeyKind, passphrase: str | bytes) -> KeyRing:
        """Decrypt every private key of ``kind`` present; the current one must be among them."""
        current = self.current_id(kind)
        ids = self._private_ids(kind)
        if current not in ids:
            ids.append(current)  # so _read_pair reports the missing file clearly
        return KeyRing([self._read_pair(kind, i, passphrase) for i in ids], current)

    def rotate(self, kind: KeyKind, passphrase: str | bytes) -> str:
        """Make a new current key of ``kind``; old keys stay until retired. Return the new id."""
        # Opening the current key first proves the passphrase: keys of a kind share one.
        self._read_pair(kind, self.current_id(kind), passphrase)
        keypair = KeyPair.generate()
        self._add(kind, keypair, passphrase)
        return keypair.key_id

    def retire(self, kind: KeyKind, key_id: str) -> None:
        """Delete an old key once nothing refers to it; never the current one."""
        self._check_id(key_id)
        if key_id == self.current_id(kind):
            raise KeyFileError(f"{kind} key {key_id} is the current key; rotate first")
        paths = [self._dir(kind) / f"{key_id}{ext}" for ext in (".key", ".pub")]
        if not any(p.exists() for p in paths):
            raise KeyFileError(f"{self._dir(kind)}: no {kind} key {key_id}")
        for p in paths:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        fsync_dir(self._dir(kind))

    def secrets(self, passphrase: str | bytes) -> InstallSecrets:
        """Decrypt the install-wide secrets (under the bot passphrase, like the relay keys)."""
        path = self.directory / SECRETS_FILE
        values = read_secret_file(path, passphrase)
        try:
            result = InstallSecrets(values["pseudonym_key"], values["receipt_salt"])
        except KeyError as exc:
            raise KeyFileError(f"{path}: secret {exc.args[0]!r} is missing") from None
        if len(result.pseudonym_key) < 32 or len(result.receipt_salt) < 16:
            raise KeyFileError(f"{path}: a secret is too short")
        return result

    def change_passphrase(self, kind: KeyKind, old: str | bytes, new: str | bytes) -> None:
        """Re-encrypt the private keys of ``kind`` under a new passphrase.

        The relay passphrase also protects ``secrets.key``, which changes with it; the
        console passphrase protects the console keys only.
        """
        self._dir(kind)
        # Decrypt everything first: a wrong old passphrase must change nothing.
        pairs = [self._read_pair(kind, i, old) for i in self._private_ids(kind)]
        secret_path = self.directory / SECRETS_FILE
        values = None
        if kind == SECRETS_KIND and secret_path.exists():
            values = read_secret_file(secret_path, old)
        if not pairs and values is None:
            raise KeyFileError(f"{self._dir(kind)}: no private {kind} key here")
        for kp in pairs:
            path = self._dir(kind) / f"{kp.key_id}.key"
            created = read_header(path).get("created_at")
            write_private_key(path, kp, kind, new, scrypt_n=self.scrypt_n, created_at=created)
        if values is not None:
            created = read_header(secret_path).get("created_at")
            write_secret_file(secret_path, values, new, scrypt_n=self.scrypt_n, created_at=created)

    def _private_ids(self, kind: KeyKind) -> list[str]:
        return [i for i in self.key_ids(kind) if (self._dir(kind) / f"{i}.key").exists()]
