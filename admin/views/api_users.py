"""`/api/v1/users`: officer accounts of the administrator's jurisdiction."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from admin import kit
from storage import accounts, officers, triage
from storage.accounts import Account

P = kit.API_PREFIX
ACCOUNT_SCHEMA = {
    "type": "object",
    "required": ["id", "username", "display_name", "roles", "unit", "active", "totp_enabled"],
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "unit": {"type": "object", "required": ["id", "code", "name"]},
        "active": {"type": "boolean"},
        "totp_enabled": {"type": "boolean"},
        "locked_until": {"type": ["string", "null"], "format": "date-time"},
        "last_login_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def account_json(account: Account) -> dict[str, Any]:
    """An account as JSON (never a hash or a secret)."""
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "roles": list(account.roles),
        "unit": {"id": account.unit_id, "code": account.unit_code, "name": account.unit_name},
        "active": account.active,
        "totp_enabled": account.totp_enabled,
        "locked_until": account.locked_until,
        "last_login_at": account.last_login_at,
    }


@kit.api_requires("admin")
async def list_users(request: web.Request) -> web.Response:
    """GET /api/v1/users."""
    rows = await accounts.list_accounts(kit.core(request), kit.current(request).identity)
    return kit.json_ok({"items": [account_json(a) for a in rows]})


@kit.api_requires("admin")
async def create_user(request: web.Request) -> web.Response:
    """POST /api/v1/users."""
    body = await kit.json_body(request)
    roles = kit.field(body, "roles", list)
    if not all(isinstance(r, str) for r in roles):
        raise kit.ApiError(400, "'roles' must be a list of strings")
    try:
        account = await accounts.create_account(
            kit.core(request),
            kit.current(request).identity,
            username=kit.field(body, "username", str),
            password=kit.field(body, "password", str),
            roles=roles,
            unit_id=kit.field(body, "unit_id", int),
            display_name=kit.field(body, "display_name", str, required=False) or "",
        )
    except triage.NotFound:
        raise kit.ApiError(404, "no such unit in your jurisdiction") from None
    except officers.OfficerError as exc:
        raise kit.ApiError(400, str(exc)) from None
    return kit.json_ok(account_json(account), status=201)


@kit.api_requires("admin")
async def disable_user(request: web.Request) -> web.Response:
    """POST /api/v1/users/{id}/disable."""
    officer_id = int(request.match_info["officer_id"])
    who = kit.current(request).identity
    core = kit.core(request)
    try:
        await accounts.disable_account(core, who, officer_id)
        account = await accounts.get_account(core, who, officer_id)
    except triage.NotFound:
        raise kit.ApiError(404, "no such officer in your jurisdiction") from None
    except officers.OfficerError as exc:
        raise kit.ApiError(409, str(exc)) from None
    return kit.json_ok(account_json(account))


def register(app: web.Application) -> None:
    """Routes and OpenAPI description of the users API."""
    app.router.add_get(f"{P}/users", list_users)
    app.router.add_post(f"{P}/users", create_user)
    app.router.add_post(rf"{P}/users/{{officer_id:\d+}}/disable", disable_user)
    ref = kit.schema(app, "Account", ACCOUNT_SCHEMA)
    kit.document(app, f"{P}/users", "get", {
        "summary": "Officers of the administrator's unit and the units below it",
        "responses": {
            "200": kit.json_response("the officers", kit.items_of(ref)),
            **kit.error_responses(401, 403),
        },
    })  # fmt: skip
    kit.document(app, f"{P}/users", "post", {
        "summary": "Create an officer (TOTP is enrolled at their first sign-in)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["username", "password", "roles", "unit_id"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                           "roles": {"type": "array", "items": {"type": "string"}},
                           "unit_id": {"type": "integer"}, "display_name": {"type": "string"}},
        }}}},
        "responses": {"201": kit.json_response("the officer", ref),
                      **kit.error_responses(400, 401, 403, 404)},
    })  # fmt: skip
    kit.document(app, f"{P}/users/{{officer_id}}/disable", "post", {
        "summary": "Disable an officer: their sessions and tokens stop working",
        "parameters": [{"name": "officer_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {"200": kit.json_response("the officer", ref),
                      **kit.error_responses(401, 403, 404, 409)},
    })  # fmt: skip
