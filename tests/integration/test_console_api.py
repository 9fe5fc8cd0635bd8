"""The JSON API: bearer tokens, the same operations as the pages, and an honest OpenAPI."""

from __future__ import annotations

import re
from typing import Any

from admin.app import create_app
from storage import officers
from storage.core import Core
from storage.tips import NewAttachment, TipContent, submit_tip
from tests.support.console import add_officer, add_tip, console_client, console_settings
from tests.support.officers import unit_id

Schema = dict[str, Any]


def check(value: Any, schema: Schema, document: Schema, where: str = "$") -> None:
    """A small JSON Schema check: type, enum, required, properties, items, $ref."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        check(value, document["components"]["schemas"][name], document, where)
        return
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        python = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "null": type(None),
        }
        assert any(
            isinstance(value, python[t]) and not (t in ("integer", "number") and value is True)
            for t in allowed
        ), f"{where}: {value!r} is not {allowed}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key!r}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                check(value[key], sub, document, f"{where}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                check(item, extra, document, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], document, f"{where}[{i}]")


def _documented(document: Schema, path: str, method: str, status: int) -> Schema:
    responses = document["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method} {path} answered an undocumented {status}"
    content = responses[str(status)].get("content", {})
    return dict(content.get("application/json", {}).get("schema", {}))


async def test_every_documented_path_exists_and_answers_in_its_documented_shape(
    core: Core,
) -> None:
    thanh_long = await unit_id(core, "LS-THANH-LONG")
    tip = await submit_tip(
        core,
        category="drugs",
        content=TipContent(text="Ma túy", place_unit_id=thanh_long, latitude=21.8, longitude=106.7),
        attachments=[NewAttachment("photo", "image/jpeg", "a.jpg", b"\xff\xd8 jpeg")],
    )
    other = await add_tip(core, thanh_long)
    await add_officer(core, "hoa", "LS", "admin", "triage")
    await add_officer(core, "lan", "LS-THANH-LONG", "triage")
    hoa = {"Authorization": f"Bearer {await officers.issue_token(core.db, 'hoa')}"}
    app = create_app(core, console_settings())
    routes = {
        (r.method.lower(), re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", r.resource.canonical))
        for r in app.router.routes()
        if r.resource is not None
    }
    async with console_client(core) as client:
        document = await (await client.get("/api/v1/openapi.json")).json()
        assert document["openapi"].startswith("3.1")
        for path, operations in document["paths"].items():
            for method in operations:
                assert (method, path) in routes, f"{method} {path} is documented but not served"
        served = {p for m, p in routes if p.startswith("/api/v1/") and p != "/api/v1/openapi.json"}
        assert served == set(document["paths"]), "every API route is documented"

        lan_id = (await (await client.get("/api/v1/users", headers=hoa)).json())["items"]
        lan_id = next(a["id"] for a in lan_id if a["username"] == "lan")
        calls: list[tuple[str, str, str, Any, int]] = [
            ("get", "/api/v1/me", "/api/v1/me", None, 200),
            ("get", "/api/v1/tips", "/api/v1/tips?status=all&per_page=5", None, 200),
            ("get", "/api/v1/tips/{ref}", f"/api/v1/tips/{tip.ref}", None, 200),
            ("post", "/api/v1/tips/{ref}/priority", f"/api/v1/tips/{tip.ref}/priority",
             {"priority": "high"}, 200),
            ("post", "/api/v1/tips/{ref}/assign", f"/api/v1/tips/{tip.ref}/assign",
             {"unit_id": thanh_long, "officer_id": lan_id}, 200),
            ("post", "/api/v1/tips/{ref}/status", f"/api/v1/tips/{tip.ref}/status",
             {"status": "investigating"}, 200),
            ("post", "/api/v1/tips/{ref}/notes", f"/api/v1/tips/{tip.ref}/notes",
             {"text": "ghi chú"}, 201),
            ("post", "/api/v1/tips/{ref}/replies", f"/api/v1/tips/{tip.ref}/replies",
             {"text": "Cảm ơn"}, 201),
            ("post", "/api/v1/tips/{ref}/duplicate", f"/api/v1/tips/{other.ref}/duplicate",
             {"of": tip.ref}, 200),
            ("post", "/api/v1/tips/{ref}/status", f"/api/v1/tips/{tip.ref}/status",
             {"status": "closed"}, 400),
            ("post", "/api/v1/tips/{ref}/status", f"/api/v1/tips/{tip.ref}/status",
             {"status": "new"}, 409),
            ("get", "/api/v1/tips/{ref}", "/api/v1/tips/TB-2020-999999", None, 404),
            ("get", "/api/v1/users", "/api/v1/users", None, 200),
            ("post", "/api/v1/users", "/api/v1/users",
             {"username": "minh", "password": "a long enough password", "roles": ["triage"],
              "unit_id": thanh_long}, 201),
            ("post", "/api/v1/users", "/api/v1/users", {"username": "x"}, 400),
        ]  # fmt: skip
        for method, documented, url, body, status in calls:
            response = await client.request(method, url, json=body, headers=hoa)
            assert response.status == status, (url, await response.text())
            schema = _documented(document, documented, method, status)
            check(await response.json(), schema, document, f"{method} {url}")
        detail = await (await client.get(f"/api/v1/tips/{tip.ref}", headers=hoa)).json()
        assert detail["content"]["text"] == "Ma túy"
        assert detail["status"] == "investigating" and detail["priority"] == "high"
        assert [m["direction"] for m in detail["thread"]] == ["note", "officer"]
        attachment = await client.get(detail["attachments"][0]["url"], headers=hoa)
        assert attachment.status == 200 and await attachment.read() == b"\xff\xd8 jpeg"
        minh = (await (await client.get("/api/v1/users", headers=hoa)).json())["items"]
        minh_id = next(a["id"] for a in minh if a["username"] == "minh")
        disabled = await client.post(f"/api/v1/users/{minh_id}/disable", headers=hoa)
        check(await disabled.json(), _documented(document, "/api/v1/users/{officer_id}/disable",
                                                 "post", 200), document)  # fmt: skip
        assert (await disabled.json())["active"] is False


async def test_api_errors_are_json_and_tokens_are_required(core: Core) -> None:
    await add_officer(core, "mai", "LS", "broadcaster")
    await add_officer(core, "hoa", "LS", "admin")
    mai = {"Authorization": f"Bearer {await officers.issue_token(core.db, 'mai')}"}
    hoa = {"Authorization": f"Bearer {await officers.issue_token(core.db, 'hoa')}"}
    async with console_client(core) as client:
        for headers, status in (
            ({}, 401),
            ({"Authorization": "Bearer tb_not-a-real-token"}, 401),
            (mai, 403),
        ):
            response = await client.get("/api/v1/tips", headers=headers)
            assert response.status == status
            body = await response.json()
            assert set(body) == {"error"} and body["error"]
        missing = await client.get("/api/v1/nothing-here", headers=mai)
        assert missing.status == 404 and "error" in await missing.json()
        not_json = await client.post(
            "/api/v1/users", data=b"{not json", headers={**hoa, "Content-Type": "application/json"}
        )
        assert not_json.status == 400
        assert await not_json.json() == {"error": "the body must be a JSON object"}
        wrong_type = await client.post(
            "/api/v1/users",
            json={"username": "x", "password": 5, "roles": [], "unit_id": 1},
            headers=hoa,
        )
        assert await wrong_type.json() == {"error": "'password' must be a str"}


async def test_a_browser_session_cookie_does_not_open_the_api(core: Core) -> None:
    from tests.support.console import sign_in

    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        assert (await client.get("/tips")).status == 200
        response = await client.get("/api/v1/tips")
        assert response.status == 401


async def test_metrics_count_tips_logins_and_the_outbox(core: Core) -> None:
    from tests.support.console import sign_in

    await add_tip(core, None, route_chat_id=5)
    lan = await add_officer(core, "lan", "LS", "triage")
    async with console_client(core) as client:
        await sign_in(client, lan)
        text = await (await client.get("/metrics")).text()
    assert 'tinbao_tips{status="new"} 1.0' in text
    assert "tinbao_console_logins_total 1.0" in text
    assert 'tinbao_outbox_messages{state="pending"} 0.0' in text


async def test_metrics_are_not_public(core: Core) -> None:
    async with console_client(core) as client:
        # Through a reverse proxy, without a token: refused.
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status == 403
        assert "tinbao_tips" not in await proxied.text()
    async with console_client(core, metrics_token="scrape-secret-123") as client:
        assert (await client.get("/metrics")).status == 403
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 403
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
        assert right.status == 200
        assert "tinbao_tips" in await right.text()
