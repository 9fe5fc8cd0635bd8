"""Signing in to the console: password, TOTP enrolment and reuse, lockout, sessions."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from storage.core import Core
from storage.models import AuditEvent, ConsoleSession, Officer, utcnow
from tests.support.console import add_officer, console_client, csrf_of, sign_in


async def _password(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def,type-arg]
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(await page.text())},
        allow_redirects=False,
    )


async def _actions(core: Core, prefix: str) -> list[str]:
    async with core.db.read() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.seq)
        )
        return list(rows.all())


async def test_first_sign_in_enrols_totp_and_the_next_one_asks_for_a_code(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        # Before the second factor, the console stays closed.
        response = await _password(client, "lan", lan.password)
        assert response.headers["Location"] == "/login/enrol"
        blocked = await client.get("/tips", allow_redirects=False)
        assert blocked.status == 303 and blocked.headers["Location"].startswith("/login")
        enrol = await client.get("/login/enrol")
        html = await enrol.text()
        assert 'src="/login/enrol/qr.svg"' in html
        qr = await client.get("/login/enrol/qr.svg")
        assert qr.content_type == "image/svg+xml" and b"<svg" in await qr.read()
        assert qr.headers["Cache-Control"] == "no-store"
        secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', html)
        assert secret
        lan.totp_secret = secret.group(1)
        wrong = await client.post(
            "/login/enrol", data={"code": "000000", "csrf_token": csrf_of(html)}
        )
        assert wrong.status == 401
        assert "Mã không đúng" in await wrong.text()
        done = await client.post(
            "/login/enrol",
            data={"code": lan.code(), "csrf_token": csrf_of(html)},
            allow_redirects=False,
        )
        assert done.status == 303
        queue = await client.get("/tips")
        assert queue.status == 200
        assert "Đã bật xác thực hai lớp" in await queue.text()
    # The secret is stored sealed, never in clear.
    async with core.db.read() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == "lan"))
        assert officer is not None and officer.totp_enabled and officer.totp_sealed
        assert lan.totp_secret.encode() not in officer.totp_sealed
    async with console_client(core) as client:
        response = await _password(client, "lan", lan.password)
        assert response.headers["Location"] == "/login/totp"
        await sign_in_code(client, lan.code())
        assert (await client.get("/tips")).status == 200
    assert await _actions(core, "auth.") == [
        "auth.login_failed",
        "auth.totp_enrolled",
        "auth.login",
        "auth.login",
    ]


async def sign_in_code(client: TestClient, code: str) -> None:  # type: ignore[type-arg]
    form = await client.get("/login/totp")
    response = await client.post(
        "/login/totp",
        data={"code": code, "csrf_token": csrf_of(await form.text())},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()


async def test_a_used_totp_code_is_refused(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
    used = str(lan.code())
    async with console_client(core) as client:
        await _password(client, "lan", lan.password)
        await sign_in_code(client, used)
    # Someone who saw that code cannot use it again.
    async with console_client(core) as client:
        await _password(client, "lan", lan.password)
        form = await client.get("/login/totp")
        again = await client.post(
            "/login/totp", data={"code": used, "csrf_token": csrf_of(await form.text())}
        )
        assert again.status == 401
        assert (await client.get("/tips", allow_redirects=False)).status == 303


async def test_repeated_failures_lock_the_account_with_growing_pauses(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        for _ in range(4):
            response = await _password(client, "lan", "wrong password!")
            assert response.status == 401
            assert "không đúng" in await response.text()
        fifth = await _password(client, "lan", "wrong password!")
        assert "tạm khóa" in await fifth.text()
        # Even the right password is refused during the pause.
        right = await _password(client, "lan", lan.password)
        assert right.status == 401
        assert "tạm khóa" in await right.text()
    async with core.db.read() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == "lan"))
        assert officer is not None and officer.locked_until is not None
        first_pause = officer.locked_until - utcnow()
    assert dt.timedelta(seconds=50) < first_pause <= dt.timedelta(minutes=1)
    # After the pause one more failure locks for twice as long.
    async with core.db.write() as session:
        await session.execute(
            update(Officer).where(Officer.username == "lan").values(locked_until=utcnow())
        )
    async with console_client(core) as client:
        await _password(client, "lan", "still wrong!!")
    async with core.db.read() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == "lan"))
        assert officer is not None and officer.locked_until is not None
        assert officer.locked_until - utcnow() > dt.timedelta(seconds=110)
    actions = await _actions(core, "auth.")
    assert actions.count("auth.lockout") == 2
    assert actions.count("auth.login_failed") == 7
    # Once the pause is over, the right password works and the count starts again.
    async with core.db.write() as session:
        await session.execute(
            update(Officer).where(Officer.username == "lan").values(locked_until=utcnow())
        )
    async with console_client(core) as client:
        await sign_in(client, lan)
    async with core.db.read() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == "lan"))
        assert officer is not None and officer.failed_logins == 0


async def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(core: Core) -> None:
    await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        unknown = await _password(client, "nobody", "whatever password")
        wrong = await _password(client, "lan", "whatever password")
        assert unknown.status == wrong.status == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in await unknown.text()
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in await wrong.text()


async def test_an_expired_session_sends_the_officer_back_to_sign_in(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        assert (await client.get("/tips")).status == 200
        async with core.db.write() as session:
            await session.execute(
                update(ConsoleSession).values(expires_at=utcnow() - dt.timedelta(seconds=1))
            )
        response = await client.get("/tips", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/login?expired=1&next=")
        page = await client.get(response.headers["Location"])
        assert "Phiên làm việc đã hết hạn" in await page.text()


async def test_an_idle_session_expires_before_its_lifetime(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core, idle_minutes=15) as client:
        await sign_in(client, lan)
        async with core.db.write() as session:
            await session.execute(
                update(ConsoleSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=16))
            )
        response = await client.get("/tips", allow_redirects=False)
        assert response.status == 303 and "expired=1" in response.headers["Location"]


async def test_session_cookie_is_httponly_strict_and_secure_on_https(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core, secure_cookies=True) as client:
        page = await client.get("/login")
        pre = page.cookies["__Host-tinbao-csrf"]
        assert pre["secure"] and pre["httponly"] and pre["samesite"] == "Strict"
        # The test client speaks plain http and would not send back a Secure cookie itself.
        response = await client.post(
            "/login",
            data={"username": "lan", "password": lan.password, "csrf_token": pre.value},
            cookies={"__Host-tinbao-csrf": pre.value},
            allow_redirects=False,
        )
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-tinbao-session=")
        for attribute in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
            assert attribute in cookie
        assert "Domain" not in cookie


async def test_signing_out_kills_the_session_on_the_server(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        jar = client.session.cookie_jar.filter_cookies(client.make_url("/"))
        cookie = {name: morsel.value for name, morsel in jar.items()}
        page = await client.get("/tips")
        out = await client.post(
            "/logout", data={"csrf_token": csrf_of(await page.text())}, allow_redirects=False
        )
        assert out.status == 303
    # Replaying the old cookie gets nothing.
    async with console_client(core) as client:
        replay = await client.get("/tips", cookies=cookie, allow_redirects=False)
        assert replay.status == 303


async def test_disabling_an_officer_ends_their_session(core: Core) -> None:
    from storage import officers

    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        await officers.disable_officer(core.db, "lan")
        assert (await client.get("/tips", allow_redirects=False)).status == 303


async def test_changing_the_password_signs_out_the_other_sessions(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "moderator")
    async with console_client(core) as phone, console_client(core) as laptop:
        await sign_in(phone, lan)
        await sign_in(laptop, lan)
        page = await (await laptop.get("/account")).text()
        wrong = await laptop.post(
            "/account/password",
            data={
                "current": "nope",
                "new": "x" * 12,
                "repeat": "x" * 12,
                "csrf_token": csrf_of(page),
            },
        )
        assert "Mật khẩu hiện tại không đúng" in await wrong.text()
        done = await laptop.post(
            "/account/password",
            data={
                "current": lan.password,
                "new": "a brand new passphrase",
                "repeat": "a brand new passphrase",
                "csrf_token": csrf_of(page),
            },
        )
        assert "Đã đổi mật khẩu" in await done.text()
        assert (await phone.get("/account", allow_redirects=False)).status == 303
        assert (await laptop.get("/account", allow_redirects=False)).status == 200
    async with console_client(core) as client:
        old = await _password(client, "lan", lan.password)
        assert old.status == 401
        lan.password = "a brand new passphrase"
        await sign_in(client, lan)
