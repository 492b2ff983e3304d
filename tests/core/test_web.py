"""core.web.install_problem_handlers: every error leaves a service as RFC 9457
``application/problem+json`` with a stable ``code``; a 500 never shows the exception."""

from __future__ import annotations

import logging
import sqlite3
import warnings
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.exceptions import StarletteDeprecationWarning

from core.errors import CredentialExpired, NotFound, Unauthenticated
from core.web import PROBLEM_JSON, install_problem_handlers

with warnings.catch_warnings():
    # starlette 1.x warns at import that its TestClient wants "httpx2"; it runs on httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "postgresql://admin:hunter2@db.internal/elicense"


class Body(BaseModel):
    scenario: str
    count: int


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/expired")
    def expired() -> None:
        raise CredentialExpired("expired at 1700000000")

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        if item_id != 1:
            raise NotFound("no such item")
        return {"id": 1}

    @app.get("/private")
    def private() -> None:
        raise Unauthenticated()

    @app.post("/things")
    def things(body: Body) -> dict[str, str]:
        return {"scenario": body.scenario}

    @app.get("/db/sqlalchemy")
    def db_sqlalchemy() -> None:
        from sqlalchemy import text

        from core.db import make_engine

        engine = make_engine("postgresql://admin:hunter2@127.0.0.1:1/elicense",
                             connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as conn:  # a real connection refused
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()

    @app.get("/db/sqlite")
    def db_sqlite() -> None:
        raise sqlite3.OperationalError("database is locked")

    @app.get("/db/psycopg")
    def db_psycopg() -> None:
        raise psycopg.OperationalError(f"connection to {SECRET} failed")

    @app.get("/db/constraint")
    def db_constraint() -> None:
        raise sqlite3.IntegrityError("UNIQUE constraint failed")  # a bug, not an outage

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"cannot connect to {SECRET}")

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app(), raise_server_exceptions=False)


def _problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status
    assert resp.headers["content-type"] == PROBLEM_JSON
    body = resp.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"https://elicense.example/problems/{code}"
    assert {"type", "title", "status", "detail"} <= set(body)
    return body


def test_an_elicense_error_renders_its_code_status_and_detail(client: TestClient) -> None:
    body = _problem(client.get("/expired"), 422, "credential_expired")
    assert body["detail"] == "expired at 1700000000"
    assert body["instance"] == "/expired"


def test_not_found_raised_by_a_route(client: TestClient) -> None:
    assert client.get("/items/1").json() == {"id": 1}
    _problem(client.get("/items/2"), 404, "not_found")


def test_unauthenticated_carries_www_authenticate(client: TestClient) -> None:
    resp = client.get("/private")
    _problem(resp, 401, "unauthenticated")
    assert resp.headers["www-authenticate"] == "Bearer"


def test_request_validation_error_lists_the_fields(client: TestClient) -> None:
    resp = client.post("/things", json={"count": "many"})
    body = _problem(resp, 422, "validation_failed")
    fields = {e["field"]: e["code"] for e in body["errors"]}
    assert set(fields) == {"scenario", "count"}
    assert fields["scenario"] == "missing"
    assert all(isinstance(e["message"], str) for e in body["errors"])


def test_malformed_json_body_is_a_validation_problem(client: TestClient) -> None:
    resp = client.post("/things", content=b"{not json",
                       headers={"content-type": "application/json"})
    _problem(resp, 422, "validation_failed")


def test_path_parameter_of_the_wrong_type(client: TestClient) -> None:
    body = _problem(client.get("/items/abc"), 422, "validation_failed")
    assert body["errors"][0]["field"] == "path.item_id"


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = _problem(client.get("/nowhere"), 404, "not_found")
    assert body["instance"] == "/nowhere"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    resp = client.delete("/expired")
    _problem(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["allow"]


def test_unexpected_exception_is_a_bare_500_that_leaks_nothing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="elicense.web"):
        resp = client.get("/boom")
    body = _problem(resp, 500, "internal_error")
    assert body["detail"] == "Internal error"
    assert "hunter2" not in resp.text and "RuntimeError" not in resp.text
    assert "connect" not in resp.text
    # the traceback goes to the log, not to the client
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.parametrize("path", ["/db/sqlalchemy", "/db/sqlite", "/db/psycopg"])
def test_an_unavailable_database_is_a_typed_503_that_leaks_nothing(client: TestClient,
                                                                    path: str) -> None:
    resp = client.get(path)
    _problem(resp, 503, "database_unavailable")
    assert "hunter2" not in resp.text and "127.0.0.1" not in resp.text
    assert "locked" not in resp.text and "Error" not in resp.text


def test_a_violated_constraint_stays_a_500(client: TestClient) -> None:
    _problem(client.get("/db/constraint"), 500, "internal_error")
