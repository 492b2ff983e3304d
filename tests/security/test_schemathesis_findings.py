"""Regression tests for what schemathesis found (docs/security.md §7), fast enough to run
without the ``slow`` fuzz run: each fails on the code before its fix."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from core.clock import FixedClock
from core.errors import NotFound
from core.web import PROBLEM_JSON, install_problem_handlers
from tests.security.authz_world import PUBLIC, World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Generator[World, None, None]:
    from core.db import migrate
    from tests.conftest import NOW

    url = f"sqlite:///{tmp_path_factory.mktemp('findings') / 'findings.db'}"
    migrate(url)
    yield from build_world(url, FixedClock(NOW))


def test_status_list_id_beyond_a_database_integer_is_a_422_not_a_500(world: World) -> None:
    # Finding: GET /issuer/status-lists/{2**63} raised OverflowError (SQLite) → 500.
    for list_id in (2**63, 2**31, -1):
        r = world.http.get(f"/issuer/status-lists/{list_id}")
        assert r.status_code == 422, (list_id, r.text)
        assert r.headers["content-type"] == PROBLEM_JSON
        assert r.json()["code"] == "validation_failed"
    assert world.http.get("/issuer/status-lists/1").status_code == 200


@pytest.mark.parametrize("service", ["issuer", "wallet", "verifier"])
def test_every_operation_declares_problem_json_errors(world: World, service: str) -> None:
    # Finding: 4xx answers (401/403/404/409/…) were undocumented, and 422 was declared as
    # application/json (HTTPValidationError) while the service answers problem+json.
    doc = world.http.get(f"/{service}/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status in ("4XX", "422"):
                if status in op["responses"]:
                    assert list(op["responses"][status]["content"]) == [PROBLEM_JSON], (
                        method, path, status)
            assert "4XX" in op["responses"], (method, path)


@pytest.mark.parametrize(("service", "path", "media_type"), [
    ("issuer", "/status-lists/{list_id}", "application/statuslist+jwt"),
    ("issuer", "/v1/credentials:batch", "application/x-ndjson"),
    ("verifier", "/v1/trust-list", "application/trustlist+jwt"),
])
def test_non_json_bodies_are_declared(world: World, service: str, path: str,
                                      media_type: str) -> None:
    # Finding: these answered a media type the document did not declare (it said JSON).
    doc = world.http.get(f"/{service}/openapi.json").json()
    [op] = doc["paths"][path].values()
    assert list(op["responses"]["200"]["content"]) == [media_type]


def test_the_problem_declarations_come_with_the_problem_handlers() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/thing/{n}")
    def thing(n: int) -> dict[str, int]:
        raise NotFound("no such thing")

    with TestClient(app, base_url=PUBLIC) as http:
        r = http.get("/thing/1")
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
        op = http.get("/openapi.json").json()["paths"]["/thing/{n}"]["get"]
    assert set(op["responses"]) == {"200", "422", "4XX"}
    assert op["responses"]["422"]["content"][PROBLEM_JSON]["schema"] == {
        "$ref": "#/components/schemas/Problem"}


def test_the_all_in_one_app_answers_an_unmounted_path_with_problem_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Finding: /wallet/v1/credentials/%0A/qr escaped the /wallet mount (Mount's regex ``.*``
    # stops at a newline) and the root app answered {"detail": "Not Found"} as plain JSON.
    from core.db import migrate
    from elicense.app import create_combined_app

    url = f"sqlite:///{tmp_path / 'aio.db'}"
    migrate(url)
    monkeypatch.setenv("ELICENSE_DATABASE_URL", url)
    with TestClient(create_combined_app(), base_url=PUBLIC) as http:
        for path in ("/wallet/v1/credentials/%0A/qr", "/nowhere"):
            r = http.post(path)
            assert r.status_code in (404, 405), (path, r.text)
            assert r.headers["content-type"] == PROBLEM_JSON, path
            assert r.json()["code"] in ("not_found", "method_not_allowed")
