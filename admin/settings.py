"""What the console needs to know, handed in by whoever starts it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsoleSettings:
    """Settings of the officer console."""

    public_url: str = "http://127.0.0.1:8080"
    session_minutes: int = 480
    # Cookies are marked Secure whenever the console is served over https.
    secure_cookies: bool = False
    default_language: str = "vi"
