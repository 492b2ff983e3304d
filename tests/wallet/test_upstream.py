"""The one HTTP boundary: every httpx failure, refusal and non-JSON answer becomes the
caller's UpstreamError subclass; cached GETs expire with the clock."""

from __future__ import annotations

import httpx
import pytest

from core.clock import FixedClock
from wallet.errors import CatalogUnavailable, IssuerFailed
from wallet.upstream import Upstream


def _client(handler) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                                 httpx.RemoteProtocolError("bad"), httpx.TooManyRedirects("x")])
def test_transport_errors_are_mapped(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with _client(handler) as http, pytest.raises(IssuerFailed):
        Upstream(http, FixedClock(0)).get("http://x/", error=IssuerFailed)


def test_refusal_carries_the_upstream_code_and_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_grant", "reason": "wrong_tx_code",
                                         "attempts_left": 4})

    with _client(handler) as http, pytest.raises(IssuerFailed) as err:
        Upstream(http, FixedClock(0)).post("http://x/token", error=IssuerFailed, data={})
    assert err.value.extra == {"upstream_status": 400, "upstream_code": "invalid_grant",
                               "reason": "wrong_tx_code", "attempts_left": 4}


def test_non_json_and_server_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/html":
            return httpx.Response(200, text="<html>")
        return httpx.Response(503, text="down")

    with _client(handler) as http:
        up = Upstream(http, FixedClock(0))
        with pytest.raises(CatalogUnavailable):
            up.get("http://x/html", error=CatalogUnavailable)
        with pytest.raises(CatalogUnavailable) as err:
            up.get("http://x/down", error=CatalogUnavailable)
        assert err.value.extra["upstream_status"] == 503
        assert up.get("http://x/html", error=CatalogUnavailable, as_json=False) == "<html>"


def test_cache_expires_with_the_clock() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json={"n": len(calls)})

    clock = FixedClock(1000)
    with _client(handler) as http:
        up = Upstream(http, clock)
        assert up.get("http://x/a", error=IssuerFailed, ttl=60) == {"n": 1}
        clock.advance(59)
        assert up.get("http://x/a", error=IssuerFailed, ttl=60) == {"n": 1}
        clock.advance(1)
        assert up.get("http://x/a", error=IssuerFailed, ttl=60) == {"n": 2}
        up.invalidate("http://x/a")
        assert up.get("http://x/a", error=IssuerFailed, ttl=60) == {"n": 3}
