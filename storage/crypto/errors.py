"""Errors raised by storage.crypto."""


class CryptoError(Exception):
    """Base class of every error raised by storage.crypto."""


class SealError(CryptoError):
    """A sealed or wrapped value could not be opened: wrong key, wrong context or tampered."""


class KeyFileError(CryptoError):
    """A key file is missing, corrupt or locked with another passphrase (never names it)."""
