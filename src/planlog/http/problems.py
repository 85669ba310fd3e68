"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from planlog.domain.errors import PlanlogError
from planlog.service.errors import TooLarge
from planlog.service.outcomes import Outcome, outcome

__all__ = ["PreconditionFailed", "TooLarge", "install", "problem"]

PROBLEM = "application/problem+json"


class PreconditionFailed(PlanlogError):
    code = "precondition_failed"


#: The API's one table: what a refusal means (planlog.service.outcomes) as an HTTP status.
STATUS = {
    Outcome.UNAUTHORIZED: 401,
    Outcome.FORBIDDEN: 403,
    Outcome.NOT_FOUND: 404,
    Outcome.CONFLICT: 409,
    Outcome.STALE: 412,
    Outcome.TOO_LARGE: 413,
    Outcome.INVALID: 422,  # planlog.domain.values.InvalidValue: the field and the problem
    Outcome.REFUSED: 422,
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
        status = STATUS[outcome(error)]
        details = {k: v for k, v in error.details.items() if k not in ("code", "message")}
        return problem(status, error.message, error.code, **details)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in error.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"])
        # Chinese first, as every other refusal; pydantic's own words follow in English
        detail = f"请求内容不合规：{where}（{where}: {first['msg']}）"
        return problem(422, detail, "invalid_request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), f"http_{error.status_code}")
