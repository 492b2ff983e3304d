"""Verifier settings fail fast outside dev: a pinned anchor and a real wallet secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from verifier.settings import Settings

PROD = {"mode": "prod", "key_encryption_secret": "k" * 40}
ANCHOR = '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'


def test_prod_needs_a_pinned_anchor_and_a_wallet_secret() -> None:
    with pytest.raises(ValidationError, match="TRUST_ANCHOR_JWK"):
        Settings(**PROD, wallet_client_secret="s" * 40)
    with pytest.raises(ValidationError, match="WALLET_CLIENT_SECRET"):
        Settings(**PROD, trust_anchor_jwk=ANCHOR)
    ok = Settings(**PROD, trust_anchor_jwk=ANCHOR, wallet_client_secret="s" * 40)
    assert ok.anchor_jwk is not None and ok.anchor_jwk["crv"] == "Ed25519"


@pytest.mark.parametrize("jwk", ["not json", "[1]",
                                 '{"kty":"OKP","crv":"Ed25519","x":"AA","d":"secret"}'])
def test_anchor_must_be_a_public_jwk(jwk: str) -> None:
    with pytest.raises(ValidationError):
        Settings(trust_anchor_jwk=jwk)


def test_urls() -> None:
    s = Settings(public_url="https://city.example/")
    assert s.redeem_url == "https://city.example/wallet/v1/presentations/redeem"
    assert s.org_audience("demo-hotel") == "https://city.example/verifier/orgs/demo-hotel"
    assert Settings(wallet_url="https://w.example").redeem_url == \
        "https://w.example/v1/presentations/redeem"
