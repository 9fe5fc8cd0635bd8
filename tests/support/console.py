"""Helpers for console tests: officers, tips, and a signed-in aiohttp test client."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pyotp
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from admin.app import create_app
from admin.settings import ConsoleSettings
from storage import officers
from storage.core import Core
from storage.models import Tip, utcnow
from storage.tips import ReplyRoute, Submitted, TipContent, submit_tip

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Officer:
    """An officer made for a test, and what they need to sign in."""

    username: str
    password: str = PASSWORD
    totp_secret: str | None = None
    last_step: int = field(default=0)

    def code(self) -> str:
        """A fresh TOTP code, never the one used last (codes work once per step)."""
        assert self.totp_secret is not None
        step = int(time.time()) // 30
        if step <= self.last_step:
            step = self.last_step + 1
        self.last_step = step
        return str(pyotp.TOTP(self.totp_secret).at(step * 30))


async def add_officer(
    core: Core, username: str, unit: str, *roles: str, password: str = PASSWORD
) -> Officer:
    """Create an officer account in the database."""
    await officers.add_officer(
        core.db,
        username=username,
        password=password,
        roles=roles or ("triage",),
        unit_code=unit,
        display_name=username.title(),
    )
    return Officer(username, password)


async def add_tip(
    core: Core,
    unit_id: int | None,
    text: str = "Có người bán ma túy ở chợ",
    *,
    category: str = "drugs",
    route_chat_id: int | None = None,
) -> Submitted:
    """Submit a tip the way the bot does."""
    route = ReplyRoute(chat_id=route_chat_id, language="vi") if route_chat_id else None
    return await submit_tip(
        core,
        category=category,
        content=TipContent(text=text, place_unit_id=unit_id, address="Thôn 3"),
        reply_route=route,
    )


def console_settings(**overrides: object) -> ConsoleSettings:
    """Settings for tests: no background jobs, no frozen garbage collector."""
    values: dict[str, object] = {"run_jobs": False, "freeze_gc_at_start": False}
    values.update(overrides)
    return ConsoleSettings(**values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def console_client(core: Core, **overrides: object) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The console app behind a test server, with a cookie-keeping client."""
    app = create_app(core, console_settings(**overrides))
    async with TestClient(TestServer(app)) as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def post_form(client: TestClient, path: str, data: dict[str, str], *, page: str) -> object:  # type: ignore[type-arg]
    """POST a form with the CSRF token taken from `page` (a GET path)."""
    response = await client.get(page)
    token = csrf_of(await response.text())
    return await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)


async def sign_in(client: TestClient, officer: Officer) -> None:  # type: ignore[type-arg]
    """Password, then TOTP (enrolling on the first sign-in); asserts the console opens."""
    page = await client.get("/login")
    token = csrf_of(await page.text())
    response = await client.post(
        "/login",
        data={"username": officer.username, "password": officer.password, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    location = response.headers["Location"]
    if location.startswith("/login/enrol"):
        enrol = await client.get("/login/enrol")
        html = await enrol.text()
        secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', html)
        assert secret
        officer.totp_secret = secret.group(1)
        response = await client.post(
            "/login/enrol",
            data={"code": officer.code(), "csrf_token": csrf_of(html)},
            allow_redirects=False,
        )
    elif location.startswith("/login/totp"):
        form = await client.get("/login/totp")
        response = await client.post(
            "/login/totp",
            data={"code": officer.code(), "csrf_token": csrf_of(await form.text())},
            allow_redirects=False,
        )
    assert response.status == 303, await response.text()
    assert not response.headers["Location"].startswith("/login")


async def backdate_tip(core: Core, ref: str, hours: float) -> None:
    """Make a tip look as if it arrived `hours` ago (e.g. past the 24-hour hand-over rule)."""
    async with core.db.write() as session:
        await session.execute(
            update(Tip)
            .where(Tip.ref == ref)
            .values(created_at=utcnow() - dt.timedelta(hours=hours))
        )
