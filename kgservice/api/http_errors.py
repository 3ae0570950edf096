"""Errors answered at the HTTP level (a body too large or unreadable, a missing key), in the shape of a
GraphQL error, so a client reads ``errors[0].extensions.code`` whichever layer refused it."""

from __future__ import annotations

from starlette.responses import JSONResponse


def error_response(message: str, code: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
                        headers=headers)
