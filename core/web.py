"""Web helpers shared by the three services: RFC 9457 problem+json rendering.

The one core module that imports a web framework (Starlette/FastAPI); the codecs never do,
and nothing in core imports this module. Every error leaves a service as problem+json with
a stable ``code``; a database that cannot be reached or written is 503
``database_unavailable``; an unexpected exception becomes a bare 500 ``internal_error``
with no detail (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from core.errors import DatabaseUnavailable, ELicenseError, ValidationFailed, field_errors

__all__ = ["PROBLEM_JSON", "PROBLEM_SCHEMA", "install_problem_handlers", "problem_response"]

log = logging.getLogger("elicense.web")
# Operational failures of the database drivers (not programming errors such as a violated
# constraint, which stay a 500): SQLAlchemy's wrapper and the raw drivers' own.
_DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlalchemy.exc.OperationalError,
                                                 sqlalchemy.exc.InterfaceError,
                                                 sqlite3.OperationalError,
                                                 psycopg.OperationalError,
                                                 psycopg.InterfaceError)
PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


# The RFC 9457 members every error carries (extension members such as ``errors`` follow).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "code": {"type": "string"},
                   "detail": {"type": "string"}, "instance": {"type": "string"}},
}


def _document_problems(app: FastAPI) -> None:
    """Declare in the OpenAPI document what the handlers below do: every 4xx is
    problem+json (a ``4XX`` response on each operation), 422 included (FastAPI would
    declare it as plain JSON ``HTTPValidationError``)."""
    generate = app.openapi
    problem = {"description": "Error (RFC 9457 problem+json with a stable code)",
               "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}

    def openapi() -> dict[str, Any]:
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in components:
            components["Problem"] = PROBLEM_SCHEMA
            for item in schema.get("paths", {}).values():
                for op in item.values():
                    responses = op.setdefault("responses", {})
                    if "422" in responses:
                        responses["422"] = {**problem, "description": "Validation failed"}
                    responses.setdefault("4XX", problem)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_response(exc: ELicenseError, request: Request | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(
        exc.to_problem(instance=str(request.url.path) if request else None),
        status_code=exc.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def _elicense(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ELicenseError)
        return problem_response(exc, request)

    async def _validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(ValidationFailed(errors=field_errors(exc.errors())), request)

    async def _http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = {"type": f"https://elicense.example/problems/{code}", "title": str(exc.detail),
                "status": exc.status_code, "code": code, "detail": str(exc.detail),
                "instance": request.url.path}
        return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM_JSON,
                            headers=getattr(exc, "headers", None))

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # The database is down, unreachable, locked past the busy timeout or not migrated:
        # 503 "try again", typed; the driver's message (hosts, users) only goes to the log.
        log.warning("database unavailable on %s %s", request.method, request.url.path,
                    exc_info=True)
        return problem_response(DatabaseUnavailable("the database is unavailable; try again"),
                                request)

    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {"type": "https://elicense.example/problems/internal_error",
                "title": "Internal error", "status": 500, "code": "internal_error",
                "detail": "Internal error", "instance": request.url.path}
        return JSONResponse(body, status_code=500, media_type=PROBLEM_JSON)

    app.add_exception_handler(ELicenseError, _elicense)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    for db_error in _DATABASE_ERRORS:
        app.add_exception_handler(db_error, _database)
    app.add_exception_handler(Exception, _unexpected)
    _document_problems(app)
