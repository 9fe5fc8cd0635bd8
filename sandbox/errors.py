"""Bot API errors with Telegram's status codes and descriptions."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: {"ok": false, "error_code": status, "description": ...}."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body of the error answer."""
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(detail: str) -> ApiError:
    """400 Bad Request: detail."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """403 Forbidden: detail."""
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 with parameters.retry_after, as Telegram answers flood."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def not_found() -> ApiError:
    """404, for malformed tokens and unknown methods."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """401, for well-formed tokens nobody registered."""
    return ApiError(401, "Unauthorized")


def conflict(detail: str) -> ApiError:
    """409 Conflict: detail."""
    return ApiError(409, f"Conflict: {detail}")


QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
