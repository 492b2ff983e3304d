"""The wallet's one boundary to other services over HTTP (issuer, verifier).

Every httpx failure, non-2xx answer or non-JSON body is translated here into the caller's
``UpstreamError`` subclass (STYLE: third-party errors translated at one boundary), and
GETs of public, slowly changing documents (issuer metadata, JWKS, status lists, the
scenario catalog) are cached for a caller-given time. ``now`` comes from the app's clock.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from core.clock import Clock
from core.errors import UpstreamError

__all__ = ["Upstream"]


class Upstream:
    def __init__(self, http: httpx.Client, clock: Clock) -> None:
        self._http = http
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[int, Any]] = {}
        self._lock = threading.Lock()

    def invalidate(self, url: str) -> None:
        with self._lock:
            for key in [k for k in self._cache if k[1] == url]:
                del self._cache[key]

    def get(self, url: str, *, error: type[UpstreamError], ttl: int = 0,
            as_json: bool = True, headers: dict[str, str] | None = None) -> Any:
        key = ("json" if as_json else "text", url)
        now = self._clock.now()
        if ttl:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = self._read(self._send("GET", url, error=error, headers=headers), as_json,
                           error)
        if ttl:
            with self._lock:
                self._cache[key] = (now + ttl, value)
        return value

    def post(self, url: str, *, error: type[UpstreamError], json: Any = None,
             data: dict[str, str] | None = None, headers: dict[str, str] | None = None,
             auth: tuple[str, str] | None = None) -> Any:
        resp = self._send("POST", url, error=error, json=json, data=data, headers=headers,
                          auth=auth)
        return self._read(resp, True, error)

    def _send(self, method: str, url: str, *, error: type[UpstreamError],
              **kwargs: Any) -> httpx.Response:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            resp = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise error(f"{method} {url}: {type(exc).__name__}") from exc
        if resp.status_code >= 400:
            extra: dict[str, Any] = {}
            try:
                body = resp.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                extra = {"upstream_code": body.get("code") or body.get("error")}
                extra.update({k: body[k] for k in ("reason", "attempts_left") if k in body})
            raise error(f"{method} {url}: HTTP {resp.status_code}",
                        upstream_status=resp.status_code, **extra)
        return resp

    @staticmethod
    def _read(resp: httpx.Response, as_json: bool, error: type[UpstreamError]) -> Any:
        if not as_json:
            return resp.text
        try:
            return resp.json()
        except ValueError as exc:
            raise error(f"{resp.request.url}: not JSON") from exc
