"""Verifier settings (STYLE habit 7): built once per app, the only place reading the
environment (``ELICENSE_*``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr, model_validator

from core.settings import BaseServiceSettings

__all__ = ["DEV_WALLET_CLIENT_SECRET", "Settings"]

DEV_WALLET_CLIENT_SECRET = "demo-verifier-wallet-secret"  # noqa: S105 - dev-only, refused in prod


class Settings(BaseServiceSettings):
    # Same ``ELICENSE_`` prefix as the base (``ELICENSE_DATABASE_URL`` etc. are shared in
    # the all-in-one app); verifier-only names below are ``ELICENSE_OFFLINE_BUNDLE`` etc.

    # The trust anchor's public JWK (JSON text), pinned: the only key a trust list or an
    # offline bundle is checked against. In dev mode, when unset, the anchor key that
    # bootstrap keeps in keys/ (owner "trust_anchor") is pinned instead.
    trust_anchor_jwk: str | None = None
    # Where the signed trust list comes from: an http(s) URL, a file path, or None = the
    # newest list installed in this service's database (``elicense trust sign --install``).
    trust_list_source: str | None = None
    # Re-read the trust list at least this often (and whenever its ``exp`` passes).
    trust_refresh_s: int = 300
    # Where ELR1: tokens are redeemed (None = {public_url}/wallet) and how we authenticate.
    wallet_url: str | None = None
    wallet_client_id: str = "verifier"
    wallet_client_secret: SecretStr = SecretStr(DEV_WALLET_CLIENT_SECRET)
    # Offline mode: verify ELV1: only, from this signed bundle, with no network.
    offline_bundle: Path | None = None
    # Status-list fetches: never wait longer than this on an issuer.
    http_timeout_s: float = 5.0
    # Upper bound on how long a fetched status list is used before refetching (the list's
    # own ``ttl`` / ``exp`` may shorten it; a scenario's ``max_staleness_s`` too).
    status_cache_max_s: int = 300
    # Authenticated API keys / sessions are cached per process this long (a revoked key
    # stops working within this time).
    auth_cache_s: int = 30
    # Staff web sessions.
    session_ttl_s: int = 8 * 3600
    # Largest uploaded QR image accepted by verify-image.
    max_image_bytes: int = 5_000_000

    @model_validator(mode="after")
    def _verifier_checks(self) -> Settings:
        if self.trust_anchor_jwk is not None:
            try:
                jwk = json.loads(self.trust_anchor_jwk)
            except ValueError as exc:
                raise ValueError("trust_anchor_jwk must be a JSON JWK") from exc
            if not isinstance(jwk, dict) or "d" in jwk:
                raise ValueError("trust_anchor_jwk must be a public JWK object")
        if not self.is_dev:
            if self.trust_anchor_jwk is None:
                raise ValueError("ELICENSE_TRUST_ANCHOR_JWK must be pinned outside dev")
            if self.wallet_client_secret.get_secret_value() == DEV_WALLET_CLIENT_SECRET:
                raise ValueError("ELICENSE_WALLET_CLIENT_SECRET must be set outside dev")
        return self

    @property
    def anchor_jwk(self) -> dict[str, Any] | None:
        return None if self.trust_anchor_jwk is None else json.loads(self.trust_anchor_jwk)

    @property
    def redeem_url(self) -> str:
        base = self.wallet_url or f"{self.public_url.rstrip('/')}/wallet"
        return f"{base.rstrip('/')}/v1/presentations/redeem"

    def org_audience(self, org_id: str) -> str:
        """KB-JWT ``aud`` of an online presentation made for ``org_id`` (team contract)."""
        return f"{self.public_url.rstrip('/')}/verifier/orgs/{org_id}"
