"""Administrators manage the officers of their jurisdiction from the console."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from storage.core import Core
from storage.models import AuditEvent, Officer
from tests.support.console import Officer as Credentials
from tests.support.console import add_officer, console_client, csrf_of, sign_in
from tests.support.officers import unit_id


async def test_an_admin_creates_an_officer_who_then_signs_in(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    async with console_client(core) as client:
        await sign_in(client, hoa)
        page = await (await client.get("/users")).text()
        assert "Yên Bái" not in page  # another province's units are not offered
        form = {"username": "tuan", "roles": "triage", "csrf_token": csrf_of(page)}
        thanh_long = str(await unit_id(core, "LS-THANH-LONG"))
        short = await client.post(
            "/users", data={**form, "password": "short", "unit_id": thanh_long}
        )
        assert short.status == 400 and "ít nhất 12 ký tự" in await short.text()
        elsewhere = str(await unit_id(core, "YB-SON-THINH"))
        outside = await client.post(
            "/users", data={**form, "password": "a long enough password", "unit_id": elsewhere}
        )
        assert "Đơn vị không thuộc phạm vi quản lý" in await outside.text()
        created = await client.post(
            "/users",
            data={
                **form,
                "display_name": "Nguyễn Văn Tuấn",
                "password": "a long enough password",
                "unit_id": thanh_long,
            },
        )
        html = await created.text()
        assert "Đã tạo tài khoản" in html and "Nguyễn Văn Tuấn" in html
        officer_id = re.search(
            r'action="/users/(\d+)/token"', html.split('data-username="tuan"')[1]
        )
        assert officer_id
        token_page = await client.post(
            f"/users/{officer_id.group(1)}/token", data={"csrf_token": csrf_of(html)}
        )
        token = re.search(r'id="api-token">(tb_[\w-]+)<', await token_page.text())
        assert token
        disabled = await client.post(
            f"/users/{officer_id.group(1)}/disable", data={"csrf_token": csrf_of(html)}
        )
        assert "Đã vô hiệu hóa tài khoản" in await disabled.text()
        api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
        assert api.status == 401
    async with core.db.read() as session:
        officer = await session.scalar(select(Officer).where(Officer.username == "tuan"))
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.subject_type == "officer",
                    AuditEvent.subject_id == str(officer.id if officer else 0),
                )
            )
        ).all()
    assert officer is not None and not officer.active
    assert list(actions) == ["officer.create", "token.issue", "officer.disable"]


async def test_a_commune_admin_cannot_touch_province_officers(core: Core) -> None:
    await add_officer(core, "hoa", "LS", "admin", "triage")
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "admin", "triage")
    async with core.db.read() as session:
        hoa_id = await session.scalar(select(Officer.id).where(Officer.username == "hoa"))
    async with console_client(core) as client:
        await sign_in(client, lan)
        page = await (await client.get("/users")).text()
        assert 'data-username="hoa"' not in page
        response = await client.post(f"/users/{hoa_id}/disable", data={"csrf_token": csrf_of(page)})
        assert response.status == 404


async def _create_tuan(client: TestClient, core: Core) -> str:  # type: ignore[type-arg]
    """Create officer 'tuan' through the users page; returns the page after it."""
    page = await (await client.get("/users")).text()
    created = await client.post(
        "/users",
        data={
            "username": "tuan",
            "roles": "triage",
            "password": "mật khẩu do quản trị đặt",
            "unit_id": str(await unit_id(core, "LS-THANH-LONG")),
            "csrf_token": csrf_of(page),
        },
    )
    return await created.text()


async def test_an_officer_chooses_their_own_password_before_anything_else(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    async with console_client(core) as admin:
        await sign_in(admin, hoa)
        listing = await _create_tuan(admin, core)
    assert "chưa đổi mật khẩu ban đầu" in listing.split('data-username="tuan"')[1]
    tuan = Credentials("tuan", "mật khẩu do quản trị đặt")
    async with console_client(core) as client:
        await sign_in(client, tuan)
        # Every page but the account page leads there, with the reason.
        for path in ("/", "/tips", "/audit"):
            response = await client.get(path, allow_redirects=False)
            assert (response.status, response.headers["Location"]) == (303, "/account")
        account = await (await client.get("/account")).text()
        assert "Hãy đặt mật khẩu mới của riêng bạn" in account
        changed = await client.post(
            "/account/password",
            data={
                "current": "mật khẩu do quản trị đặt",
                "new": "mật khẩu riêng của Tuấn",
                "repeat": "mật khẩu riêng của Tuấn",
                "csrf_token": csrf_of(account),
            },
        )
        assert changed.url.path == "/" and "Đã đổi mật khẩu" in await changed.text()
        assert (await client.get("/tips")).status == 200
    # An officer created by the CLI or a test chose their own password: no detour.
    async with console_client(core) as admin:
        await sign_in(admin, hoa)
        assert (await admin.get("/tips", allow_redirects=False)).status == 200


async def test_an_admin_resets_a_forgotten_password_once_and_in_person(core: Core) -> None:
    hoa = await add_officer(core, "hoa", "LS", "admin", "triage")
    lan = await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        async with core.db.read() as session:
            lan_id = await session.scalar(select(Officer.id).where(Officer.username == "lan"))
            hoa_id = await session.scalar(select(Officer.id).where(Officer.username == "hoa"))
        async with console_client(core) as admin:
            await sign_in(admin, hoa)
            page = await (await admin.get("/users")).text()
            own = await admin.post(
                f"/users/{hoa_id}/reset-password", data={"csrf_token": csrf_of(page)}
            )
            assert "Không thể đặt lại mật khẩu của chính mình" in await own.text()
            reset = await admin.post(
                f"/users/{lan_id}/reset-password", data={"csrf_token": csrf_of(page)}
            )
            html = await reset.text()
            found = re.search(r'id="temporary-password">([\w-]{16})<', html)
            assert found and "chỉ hiển thị một lần" in html
            # Shown once: the users page does not carry it.
            assert found.group(1) not in await (await admin.get("/users")).text()
        # Lan's session ended with the reset; the old password no longer works.
        ended = await client.get("/tips", allow_redirects=False)
        assert ended.headers["Location"].startswith("/login")
    async with console_client(core) as client:
        token = csrf_of(await (await client.get("/login")).text())
        form = {"username": "lan", "password": lan.password, "csrf_token": token}
        old = await client.post("/login", data=form)
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in await old.text()
    lan.password = found.group(1)
    async with console_client(core) as client:
        await sign_in(client, lan)
        detour = await client.get("/tips", allow_redirects=False)
        assert detour.headers["Location"] == "/account"
    async with core.db.read() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.subject_type == "officer", AuditEvent.subject_id == str(lan_id)
                )
            )
        ).all()
    assert "auth.password_reset" in actions
