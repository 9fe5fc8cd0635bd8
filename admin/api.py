"""JSON API helpers for `/api/v1`: bodies, errors, and the OpenAPI 3.1 document.

A feature documents each operation next to its route with `document(app, path, method,
operation)`; `/api/v1/openapi.json` serves whatever was documented, and a test checks
that every documented path exists and answers in the documented shape.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from aiohttp import web

from admin.access import public
from admin.state import OPENAPI_PATHS, OPENAPI_SCHEMAS

API_PREFIX = "/api/v1"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


class ApiError(web.HTTPException):
    """An API failure answered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": message}, ensure_ascii=False),
            content_type="application/json",
        )


def _default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_ok(data: object, status: int = 200) -> web.Response:
    """A JSON answer (UTF-8, datetimes as ISO 8601 UTC)."""
    body = json.dumps(data, ensure_ascii=False, default=_default)
    return web.Response(text=body, status=status, content_type="application/json")


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a 400 JSON error."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def field(data: dict[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    """`data[name]` checked to be of `kind`; 400 when missing (if required) or mistyped."""
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"{name!r} is required")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ApiError(400, f"{name!r} must be a {kind.__name__}")
    return value


def error_responses(*codes: int) -> dict[str, Any]:
    """OpenAPI responses for the given error codes, all `{"error": "..."}`."""
    descriptions = {
        400: "invalid request",
        401: "missing or invalid bearer token",
        403: "not allowed for the officer's roles",
        404: "not found (or outside the officer's jurisdiction)",
        409: "conflicts with the current state",
    }
    return {
        str(code): {
            "description": descriptions.get(code, "error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI response with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def items_of(item: dict[str, Any]) -> dict[str, Any]:
    """The schema of a list answer, `{"items": [item, ...]}`."""
    return {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item}},
    }


def document(app: web.Application, path: str, method: str, operation: dict[str, Any]) -> None:
    """Add one operation (`path` like "/api/v1/tips/{ref}", `method` "get") to the document."""
    operation = {"security": [{"bearer": []}], **operation}
    app[OPENAPI_PATHS].setdefault(path, {})[method.lower()] = operation


def schema(app: web.Application, name: str, definition: dict[str, Any]) -> dict[str, str]:
    """Add a named schema to `components`; returns the `$ref` to use in operations."""
    app[OPENAPI_SCHEMAS][name] = definition
    return {"$ref": f"#/components/schemas/{name}"}


def openapi_document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 description of everything documented so far."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tinbao officer API",
            "version": "1",
            "description": "Triage of anonymous tips, for officers holding a bearer token "
            "(`tinbao user token NAME`). An officer sees their unit and the units below it; "
            "anything else answers 404.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(app[OPENAPI_PATHS].items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA, **dict(sorted(app[OPENAPI_SCHEMAS].items()))},
        },
    }


@public
async def openapi_json(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json."""
    return json_ok(openapi_document(request.app))
