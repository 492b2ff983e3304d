"""The operations layer every service installs with one line in ``create_app``
(docs/operations.md §Health, metrics, logs; issue 7):

- ``GET /healthz`` (liveness: the process answers), ``GET /readyz`` (the database answers
  and the service's keys are present; 503 ``service_unavailable`` otherwise);
- ``GET /metrics`` (Prometheus text, ``elicense.ops_metrics``) for loopback callers or a
  caller presenting ``Authorization: Bearer <ELICENSE_METRICS_TOKEN>``; 403 otherwise;
- one JSON access-log line per request on logger ``elicense.access`` (``JsonFormatter``):
  time, level, service, request id (``X-Request-Id`` if well-formed, else generated; echoed
  in the response), method, route *template*, status, duration — never the raw path,
  query, headers or body, so no personal data or token reaches the log;
- security headers on every response (CSP self-only, nosniff, Referrer-Policy, frame
  denial; HSTS outside dev);
- token-bucket rate limits (``elicense.ratelimit``): wallet login per client IP and per
  username, wallet redemption per verifier client → 429 ``rate_limited`` + Retry-After.

A pure ASGI middleware (no body buffering except the small login form it must read for
the username).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import Forbidden, PayloadTooLarge, RateLimited, ServiceUnavailable
from core.settings import BaseServiceSettings
from core.web import PROBLEM_JSON
from elicense.ops_metrics import ServiceMetrics
from elicense.ratelimit import TokenBuckets, parse_rate, retry_after

__all__ = ["CSP", "LOG_CONFIG", "JsonFormatter", "install", "security_headers"]

access_log = logging.getLogger("elicense.access")

CSP = ("default-src 'self'; script-src 'self'; img-src 'self' data:; "
       "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
# FastAPI's Swagger page loads its script from a CDN: it keeps the other headers only.
_NO_CSP_ROUTES = {"/docs", "/docs/oauth2-redirect"}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_MAX_LOGIN_BODY = 16384


def security_headers(*, dev: bool, csp: bool) -> list[tuple[bytes, bytes]]:
    out = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY")]
    if csp:
        out.append((b"content-security-policy", CSP.encode()))
    if not dev:
        out.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the ``ops`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "ops", {}))
        if record.exc_info:
            line["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


# ``logging.config.dictConfig`` for ``uvicorn.run(log_config=...)``: everything as JSON
# lines on stderr; uvicorn's own access log is off (it prints raw paths and query strings,
# which can carry ids and tokens) — ``elicense.access`` replaces it.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "elicense.ops.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "elicense": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "keys": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


@dataclass(frozen=True)
class _Limit:
    method: str
    path: str
    # each (buckets, key function): a request takes a token from every bucket it keys into
    rules: tuple[tuple[TokenBuckets, Callable[[Scope, bytes], str | None]], ...]
    reads_body: bool = False


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


def _ip_key(scope: Scope, _body: bytes) -> str:
    return f"ip:{_client_ip(scope)}"


def _username_key(_scope: Scope, body: bytes) -> str | None:
    username: Any = None
    try:
        if body.startswith(b"{"):
            username = json.loads(body).get("username")
        else:
            username = parse_qs(body.decode()).get("username", [None])[0]
    except (ValueError, UnicodeDecodeError, AttributeError):
        username = None
    if isinstance(username, str) and username:
        return "user:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return None


def _verifier_client_key(scope: Scope, _body: bytes) -> str:
    auth = dict(scope.get("headers") or []).get(b"authorization", b"")
    # keyed on a digest of the credential: the secret itself is not kept
    return f"client:{hashlib.sha256(auth).hexdigest()[:32]}"


def _limits(service: str, settings: BaseServiceSettings,
            now: Callable[[], float]) -> list[_Limit]:
    if service != "wallet":
        return []
    by_ip = TokenBuckets(parse_rate(settings.rate_login_ip), now=now)
    by_user = TokenBuckets(parse_rate(settings.rate_login), now=now)
    redeem = TokenBuckets(parse_rate(settings.rate_redeem), now=now)
    login = ((by_ip, _ip_key), (by_user, _username_key))
    return [_Limit("POST", "/v1/login", login, reads_body=True),
            _Limit("POST", "/login", login, reads_body=True),
            _Limit("POST", "/v1/presentations/redeem", ((redeem, _verifier_client_key),))]


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return f"{scope.get('root_path', '')}{path}" if path is not None else "<unmatched>"


class _OpsMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, dev: bool, metrics: ServiceMetrics,
                 limits: list[_Limit]) -> None:
        self.app, self.service, self.dev = app, service, dev
        self.metrics, self.limits = metrics, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else hashlib.sha256(
            f"{time.time_ns()}:{id(scope)}".encode()).hexdigest()[:32]
        status = 500
        root = scope.get("root_path", "")
        path = scope["path"][len(root):] if scope["path"].startswith(root) else scope["path"]

        async def send_wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                csp = _route_template(scope)[len(root):] not in _NO_CSP_ROUTES
                headers += [h for h in security_headers(dev=self.dev, csp=csp)
                            if h[0] not in present]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            refused, receive = await self._rate_limit(scope, path, receive)
            if refused is not None:
                await refused(scope, receive, send_wrapped)
            else:
                await self.app(scope, receive, send_wrapped)
        finally:
            seconds = time.perf_counter() - start
            route = _route_template(scope)
            self.metrics.observe(method=scope["method"], route=route, status=status,
                                 seconds=seconds)
            access_log.info("request", extra={"ops": {
                "service": self.service, "request_id": request_id, "method": scope["method"],
                "route": route, "status": status, "duration_ms": round(seconds * 1000, 2)}})

    async def _rate_limit(self, scope: Scope, path: str, receive: Receive
                          ) -> tuple[ASGIApp | None, Receive]:
        limit = next((lim for lim in self.limits
                      if lim.method == scope["method"] and lim.path == path), None)
        if limit is None:
            return None, receive
        body = b""
        if limit.reads_body:
            read, receive = await _buffer(receive, limit=_MAX_LOGIN_BODY)
            if read is None:  # a login form is tiny: refuse before buffering more
                too_big = PayloadTooLarge("login body too large")
                return JSONResponse(too_big.to_problem(instance=scope["path"]),
                                    status_code=413, media_type=PROBLEM_JSON), receive
            body = read
        wait = 0.0
        for buckets, key_of in limit.rules:
            key = key_of(scope, body)
            if key is not None:
                wait = max(wait, buckets.take(key))
        if wait <= 0:
            return None, receive
        after = retry_after(wait)
        exc = RateLimited("too many requests; retry later", retry_after=after)
        response = JSONResponse(exc.to_problem(instance=scope["path"]), status_code=429,
                                media_type=PROBLEM_JSON, headers={"Retry-After": str(after)})
        return response, receive


async def _buffer(receive: Receive, *, limit: int) -> tuple[bytes | None, Receive]:
    """Read the whole body (None past ``limit`` bytes), and a ``receive`` that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            return None, receive
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _ready_checks(service: str, settings: BaseServiceSettings) -> list[tuple[str, str]]:
    """(name, SQL returning a positive count when ready) per service."""
    checks = [("database", "SELECT 1")]
    if service == "issuer":
        checks.append(("keys", "SELECT COUNT(*) FROM keys_signing_key "
                               "WHERE owner = 'issuer' AND state = 'active'"))
    # an offline verifier reads its trust list from the bundle file, checked at start
    if service == "verifier" and getattr(settings, "offline_bundle", None) is None:
        checks.append(("trust_list", "SELECT COUNT(*) FROM verifier_trust_list"))
    return checks


def install(app: FastAPI, *, service: str, settings: BaseServiceSettings,
            engine: Engine | None, now: Callable[[], float] = time.monotonic) -> None:
    """Health, readiness, metrics, access log, security headers and rate limits."""
    metrics = ServiceMetrics(service, engine)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    def readyz() -> JSONResponse:
        failed: list[str] = []
        for name, sql in _ready_checks(service, settings):
            try:
                assert engine is not None
                with engine.connect() as conn:
                    if not conn.execute(text(sql)).scalar():
                        failed.append(name)
            except Exception:  # not ready, whatever the reason; the log has it
                logging.getLogger("elicense.ops").warning("readyz: %s failed", name,
                                                          exc_info=True)
                failed.append(name)
        if failed:
            exc = ServiceUnavailable("not ready", failed=failed)
            return JSONResponse(exc.to_problem(), status_code=503, media_type=PROBLEM_JSON)
        return JSONResponse({"status": "ready", "service": service})

    def metrics_page(request: Request) -> Response:
        host = request.client.host if request.client else ""
        if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
            host = ""  # came through a proxy on this host: not a local caller
        auth = request.headers.get("authorization", "")
        bearer = auth[7:] if auth[:7].lower() == "bearer " else ""
        if host not in _LOOPBACK and not (
                token and bearer and hmac.compare_digest(bearer.encode(), token.encode())):
            raise Forbidden("metrics are for loopback or the metrics token")
        return PlainTextResponse(generate_latest(metrics.registry),
                                 media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics_page, methods=["GET"], include_in_schema=False)
    app.state.ops_metrics = metrics
    app.add_middleware(_OpsMiddleware, service=service, dev=settings.is_dev, metrics=metrics,
                       limits=_limits(service, settings, now))
