"""The console's defences: CSRF, escaping of tip content, security headers, redirects."""

from __future__ import annotations

import re

import pytest

from storage.core import Core
from storage.tips import NewAttachment, TipContent, submit_tip
from tests.support.console import add_officer, add_tip, console_client, csrf_of, sign_in
from tests.support.officers import unit_id

SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


async def test_a_form_without_its_csrf_token_is_refused(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    async with console_client(core) as client:
        await sign_in(client, lan)
        missing = await client.post(f"/tips/{tip.ref}/note", data={"text": "ghi chú số 7"})
        assert missing.status == 403
        wrong = await client.post(
            f"/tips/{tip.ref}/note", data={"text": "ghi chú số 7", "csrf_token": "forged"}
        )
        assert wrong.status == 403
        assert "biểu mẫu đã hết hạn" in await wrong.text()
        page = await client.get(f"/tips/{tip.ref}")
        assert "ghi chú số 7" not in await page.text()
        # The same form with the token works.
        ok = await client.post(
            f"/tips/{tip.ref}/note",
            data={"text": "ghi chú số 7", "csrf_token": csrf_of(await page.text())},
        )
        assert ok.status == 200 and "ghi chú số 7" in await ok.text()


async def test_the_sign_in_form_needs_its_token_too(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        response = await client.post(
            "/login", data={"username": "lan", "password": lan.password}, allow_redirects=False
        )
        assert response.status == 403


async def test_a_script_in_a_tip_is_shown_as_text(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"), SCRIPT)
    async with console_client(core) as client:
        await sign_in(client, lan)
        page = await client.get(f"/tips/{tip.ref}")
        html = await page.text()
        assert "<script>alert" not in html
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html
        # A note and a reply with markup come back as text as well.
        await client.post(
            f"/tips/{tip.ref}/note", data={"text": SCRIPT, "csrf_token": csrf_of(html)}
        )
        again = await (await client.get(f"/tips/{tip.ref}")).text()
        assert "<script>" not in again
        response = await client.get(f"/tips/{tip.ref}")
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_every_page_carries_the_security_headers(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    tip = await add_tip(core, await unit_id(core, "LS-THANH-LONG"))
    async with console_client(core) as client:
        await sign_in(client, lan)
        for path in ("/login", "/tips", f"/tips/{tip.ref}", "/nowhere", "/api/v1/tips"):
            response = await client.get(path)
            headers = response.headers
            csp = headers["Content-Security-Policy"]
            for directive in (
                "default-src 'self'",
                "script-src 'self'",
                "object-src 'none'",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'self'",
            ):
                assert directive in csp, (path, directive)
            assert "unsafe-inline" not in csp
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "no-referrer"
            assert headers["X-Frame-Options"] == "DENY"
            assert headers["Cache-Control"] == "no-store", path
        page = await (await client.get("/tips")).text()
        assert "<script" not in page and "style=" not in page


async def test_attachments_are_never_cached_and_unsafe_types_are_downloads(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    submitted = await submit_tip(
        core,
        category="drugs",
        content=TipContent(text="ảnh", place_unit_id=await unit_id(core, "LS-THANH-LONG")),
        attachments=[
            NewAttachment("photo", "image/png", "cho.png", b"\x89PNG fake"),
            NewAttachment("document", "image/svg+xml", "x.svg", svg),
        ],
    )
    async with console_client(core) as client:
        await sign_in(client, lan)
        html = await (await client.get(f"/tips/{submitted.ref}")).text()
        links = sorted(set(_attachment_links(html)))
        assert len(links) == 2
        kinds = {}
        for link in links:
            response = await client.get(link)
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
            assert "sandbox" in response.headers["Content-Security-Policy"]
            kinds[response.content_type] = response.headers["Content-Disposition"]
        assert kinds["image/png"].startswith("inline")
        assert kinds["application/octet-stream"] == 'attachment; filename="x.svg"'


def _attachment_links(html: str) -> list[str]:
    return re.findall(r'href="(/tips/TB-[0-9-]+/attachments/[0-9a-f-]+)"', html)


async def test_after_sign_in_only_local_pages_are_followed(core: Core) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        page = await client.get("/login?next=//evil.example/")
        html = await page.text()
        assert 'name="next" value="/"' in html
        await sign_in(client, lan)
        back = await client.get("/login?next=https://evil.example/", allow_redirects=False)
        assert back.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example/", "/\n/evil.example/", "/\\evil.example/", "/ /evil.example", "/\x7f/x"],
)
async def test_paths_a_browser_would_turn_into_another_host_are_refused(
    core: Core, target: str
) -> None:
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        back = await client.get("/login", params={"next": target}, allow_redirects=False)
        assert back.status == 303
        assert back.headers["Location"] == "/"
