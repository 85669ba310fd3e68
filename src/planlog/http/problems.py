"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from planlog.domain.errors import ConcurrencyConflict, NotFound, PlanlogError

PROBLEM = "application/problem+json"


class PreconditionFailed(PlanlogError):
    code = "precondition_failed"


class TooLarge(PlanlogError):
    code = "too_large"


STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "precondition_failed": 412,
    "too_large": 413,
    "already_imported": 409,
    "invalid_value": 422,  # planlog.domain.values.InvalidValue: the field and the problem
}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Unprocessable content",
}


def problem(status: int, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://planlog.example.org/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(PlanlogError)
    async def planlog_error(_: Request, error: PlanlogError) -> JSONResponse:
        if isinstance(error, ConcurrencyConflict):
            status = 409
        elif isinstance(error, NotFound):
            status = 404
        else:
            status = STATUS.get(error.code, 422)
        details = {k: v for k, v in error.details.items() if k not in ("code", "message")}
        return problem(status, error.message, error.code, **details)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in error.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}"
        return problem(422, detail, "invalid_request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), f"http_{error.status_code}")
