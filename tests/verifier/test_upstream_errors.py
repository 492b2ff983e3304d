"""Every httpx failure and every wallet refusal is translated at one boundary each:
status-list fetches → ``upstream_error`` (then ``status_unavailable`` in the verdict), the
online redeem → ``RedeemFailed`` carrying the wallet's own problem code."""

from __future__ import annotations

import httpx
import pytest

from core.errors import UpstreamError
from verifier.errors import RedeemFailed
from verifier.redeem import http_redeemer
from verifier.status import http_fetcher

FAILURES = [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError,
            httpx.ReadError, httpx.WriteError, httpx.PoolTimeout, httpx.ProxyError,
            httpx.UnsupportedProtocol, httpx.LocalProtocolError]


def _raising(exc_type: type[Exception]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)  # type: ignore[call-arg]

    return httpx.Client(transport=httpx.MockTransport(handler))


def _answering(status: int, body: bytes, ctype: str = "application/json") -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"content-type": ctype})))


@pytest.mark.parametrize("exc_type", FAILURES)
def test_status_fetch_failures_are_upstream_errors(exc_type: type[Exception]) -> None:
    with pytest.raises(UpstreamError) as exc:
        http_fetcher(_raising(exc_type))("https://city.example/issuer/status-lists/1")
    assert exc.value.code == "upstream_error"


def test_status_fetch_http_error_status() -> None:
    with pytest.raises(UpstreamError):
        http_fetcher(_answering(404, b"{}"))("https://city.example/issuer/status-lists/9")
    with pytest.raises(UpstreamError):
        http_fetcher(httpx.Client())("not a url at all")


def _redeem(client: httpx.Client) -> str:
    return http_redeemer(client, url="https://w.example/wallet/v1/presentations/redeem",
                         client_secret="s")(token="ELR1:X", nonce="n", aud="a",
                                            scenario="hotel_checkin")


@pytest.mark.parametrize("exc_type", FAILURES)
def test_redeem_network_failures(exc_type: type[Exception]) -> None:
    with pytest.raises(RedeemFailed) as exc:
        _redeem(_raising(exc_type))
    assert exc.value.wallet_code == "wallet_unreachable"


@pytest.mark.parametrize(("status", "body", "code"), [
    (410, b'{"code": "token_used", "status": 410}', "token_used"),
    (400, b'{"code": "Not A Code!"}', "redeem_failed"),
    (500, b"<html>oops</html>", "redeem_failed"),
    (200, b'{"presentation": 5}', "redeem_failed"),
    (200, b'{"presentation": "x~", "scenario": "internet_cafe"}', "redeem_failed"),
    (200, b"[]", "redeem_failed"),
])
def test_redeem_refusals_keep_the_wallet_code(status: int, body: bytes, code: str) -> None:
    with pytest.raises(RedeemFailed) as exc:
        _redeem(_answering(status, body))
    assert exc.value.wallet_code == code


def test_redeem_sends_the_contract_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"presentation": "a~b~", "scenario": "hotel_checkin"})

    assert _redeem(httpx.Client(transport=httpx.MockTransport(handler))) == "a~b~"
    assert seen[0].headers["authorization"] == "Bearer s"
    import json

    assert json.loads(seen[0].content) == {"token": "ELR1:X", "nonce": "n", "aud": "a",
                                           "scenario": "hotel_checkin"}
