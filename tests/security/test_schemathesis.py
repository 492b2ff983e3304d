"""schemathesis over each service's own OpenAPI document (issue 7, docs/security.md §7):
for every documented operation of the issuer, wallet and verifier, generated requests
(valid and invalid: hypothesis, ``max_examples`` per operation) go through the all-in-one
app of the authorization matrix with the credentials of a role the matrix allows (public
operations anonymously), and every response must:

- not be a 5xx (``not_a_server_error``; a server exception counts as a 500);
- have a status, content type, headers and body the document declares
  (``status_code_conformance``, ``content_type_conformance``,
  ``response_schema_conformance``, ``response_headers_conformance``);
- be RFC 9457 problem+json with a stable ``code`` when it is an error (``problem_json``).

Findings are collected (not shrunk) and reported together per service; the counts of
operations and cases run are printed (``-s``) for docs/security.md §7.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.clock import FixedClock
from core.web import install_problem_handlers
from tests.security.authz_world import PUBLIC, World, build_world
from tests.security.test_authz_matrix import TABLE

MAX_EXAMPLES = int(os.environ.get("ELICENSE_SCHEMATHESIS_EXAMPLES", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


@dataclass
class Run:
    operations: int = 0
    cases: int = 0
    escaped: int = 0  # requests whose path left the service's mount (see below)
    findings: dict[str, str] = field(default_factory=dict)  # "op: kind" → one example


def _role_for(service: str, method: str, path: str) -> str:
    """A role the authorization matrix lets through this operation (anonymous if public)."""
    key = f"{method} /{service}{path}"
    row = next(r for r in TABLE if r.key == key)
    if "*" in row.allowed or not row.allowed:
        return "anonymous"
    return row.allowed[0]


def _problem_json(response: Any) -> str | None:
    if response.status_code < 400:
        return None
    ctype = response.headers.get("content-type", "")
    if not ctype.startswith("application/problem+json"):
        return f"error {response.status_code} as {ctype or 'no content type'}"
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return f"error {response.status_code} without a code"
    return None


def _part(value: Any) -> Any:
    if isinstance(value, tuple):
        return (value[0], _part(value[1]), *value[2:])
    return value if isinstance(value, bytes | str) or hasattr(value, "read") else str(value)


def _fuzz_operation(http: Any, run: Run, op: Any, base: str, headers: dict[str, str],
                    name: str) -> Any:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        case = data.draw(op.as_strategy())
        run.cases += 1
        kwargs = case.as_transport_kwargs(base_url=base, headers=dict(headers))
        http.cookies.clear()
        http.cookies.update(kwargs.pop("cookies", None) or {})
        if kwargs.get("files"):  # requests str()s multipart values; httpx wants str/bytes
            kwargs["files"] = [(k, _part(v)) for k, v in kwargs["files"]]
        if isinstance(kwargs.get("data"), bytes | str):  # a raw body (requests' spelling)
            kwargs["content"] = kwargs.pop("data")
        try:
            response = http.request(
                kwargs.pop("method"), kwargs.pop("url"), follow_redirects=False,
                **{k: v for k, v in kwargs.items() if v is not None})
            response.request.read()  # multipart bodies stream; schemathesis reads them
        except Exception as exc:  # the TestClient re-raises a server exception
            run.findings.setdefault(f"{name}: server exception {type(exc).__name__}",
                                    repr(exc)[:300])
            return
        if response.status_code == 404 and any(c in response.request.url.path for c in "\r\n"):
            # An encoded newline escapes the service's mount (Mount's ``.*``): the test
            # rig's bare parent app answered, not the service. The all-in-one app answers
            # problem+json there (test_schemathesis_findings).
            run.escaped += 1
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                detail = f"{response.status_code} {failure.title}: {failure.message}"
                run.findings.setdefault(f"{name}: {failure.title}", detail[:400])
        except Failure as failure:
            run.findings.setdefault(f"{name}: {failure.title}",
                                    f"{response.status_code} {failure.message}"[:400])
        problem = _problem_json(response)
        if problem is not None:
            run.findings.setdefault(f"{name}: {problem}",
                                    f"{response.request.url.raw_path!r} {response.text[:200]}")

    return one


def fuzz(http: Any, base: str, headers_for: Callable[[str, str], dict[str, str]]) -> Run:
    """Fuzz every operation of the OpenAPI document at ``{base}/openapi.json``."""
    doc = http.get(f"{base}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(doc)
    run = Run()
    for result in schema.get_all_operations():
        op = result.ok()  # type: ignore[union-attr]  # an Err (bad document) fails here
        run.operations += 1
        method = op.method.upper()
        _fuzz_operation(http, run, op, base, headers_for(method, op.path),
                        f"{method} {op.path}")()
    return run


def fuzz_service(world: World, service: str) -> Run:
    return fuzz(world.http, f"{PUBLIC}/{service}", lambda method, path: world.for_role(
        _role_for(service, method, path), service))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Generator[World, None, None]:
    from core.db import migrate
    from tests.conftest import NOW

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    migrate(url)
    yield from build_world(url, FixedClock(NOW))


@pytest.mark.slow
@pytest.mark.parametrize("service", ["issuer", "wallet", "verifier"])
def test_service_conforms_to_its_openapi(world: World, service: str) -> None:
    run = fuzz_service(world, service)
    print(f"\nschemathesis {service}: {run.operations} operations, {run.cases} cases "
          f"({run.escaped} left the mount), {len(run.findings)} findings")
    assert run.operations > 0 and run.cases >= run.operations
    assert not run.findings, "\n".join(f"{k}\n    {v}" for k, v in sorted(run.findings.items()))


def test_the_harness_finds_a_500_an_undocumented_status_and_a_non_problem_error() -> None:
    from starlette.testclient import TestClient

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom/{n}")
    def boom(n: int) -> dict[str, int]:
        if n > 3:
            raise RuntimeError("unexpected")
        return {"n": n}

    @app.get("/teapot", responses={200: {"description": "ok"}})
    def teapot() -> JSONResponse:
        return JSONResponse({"error": "teapot"}, status_code=418)

    with TestClient(app, base_url=PUBLIC) as http:
        run = fuzz(http, PUBLIC, lambda _m, _p: {})
    found = set(run.findings)
    assert "GET /boom/{n}: server exception RuntimeError" in found
    assert "GET /teapot: Undocumented Content-Type" in found  # 4XX is problem+json
    assert "GET /teapot: error 418 as application/json" in found
