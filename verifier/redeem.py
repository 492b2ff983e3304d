"""Online presentation (DESIGN §4.1, docs/team-contracts.md "Showing a license"): redeem an
``ELR1:`` token at the wallet with the verifier's client secret, a fresh nonce and the
organisation's audience. Every httpx failure and every wallet refusal becomes a
``RedeemFailed`` here, carrying the wallet's own problem ``code`` when it sent one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from verifier.errors import RedeemFailed

__all__ = ["Redeemer", "http_redeemer"]

Redeemer = Callable[..., str]
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def http_redeemer(http: httpx.Client, *, url: str, client_secret: str) -> Redeemer:
    def redeem(*, token: str, nonce: str, aud: str, scenario: str) -> str:
        try:
            resp = http.post(url, json={"token": token, "nonce": nonce, "aud": aud,
                                        "scenario": scenario},
                             headers={"Authorization": f"Bearer {client_secret}"})
        except httpx.HTTPError as exc:
            raise RedeemFailed(f"wallet unreachable: {type(exc).__name__}",
                               wallet_code="wallet_unreachable") from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200 or not isinstance(body, dict):
            code = body.get("code") if isinstance(body, dict) else None
            raise RedeemFailed(f"wallet refused: HTTP {resp.status_code}",
                               wallet_code=code if isinstance(code, str) and _CODE.match(code)
                               else "redeem_failed")
        presentation = body.get("presentation")
        if not isinstance(presentation, str) or body.get("scenario", scenario) != scenario:
            raise RedeemFailed("wallet answer has no presentation for this scenario",
                               wallet_code="redeem_failed")
        return presentation

    return redeem
