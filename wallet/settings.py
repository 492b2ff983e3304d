"""Typed settings of the wallet service (STYLE habit 7): built once, failing fast.

Environment variables share the ``ELICENSE_`` prefix of ``core.settings``. Verifier clients
that may redeem online QR tokens (DESIGN §4.1, docs/team-contracts.md "Showing a license")
are configured here; their secrets are hashed as soon as the app is built and may also be
given pre-hashed as ``sha256:<hex>`` so that no plaintext secret sits in a production
environment.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from core.settings import BaseServiceSettings

__all__ = ["DEV_AGENCY_CLIENTS", "DEV_VERIFIER_CLIENTS", "Settings"]

# The dev verifier client of the team contract; refused outside dev mode.
DEV_VERIFIER_CLIENTS = {"verifier": "demo-verifier-wallet-secret"}
# Dev agency clients asking citizens for licenses (issue 8, wallet.consent); dev only.
DEV_AGENCY_CLIENTS = {c: f"demo-{c}-wallet-secret" for c in ("psb", "amr", "hc", "plr")}


class Settings(BaseServiceSettings):
    # Where the scenario catalog lives: GET {verifier_url}/v1/scenarios.
    # None = {public_url}/verifier.
    verifier_url: str | None = None
    # client id → secret (or "sha256:<hex>") of the verifier services allowed to redeem.
    verifier_clients: dict[str, SecretStr] = Field(
        default_factory=lambda: {k: SecretStr(v) for k, v in DEV_VERIFIER_CLIENTS.items()})
    # Holder keys: one fresh key per credential copy (unlinkability, docs/unlinkability.md).
    holder_alg: str = "ES256"
    # Copies asked for per pick-up (capped by the issuer's batch_size).
    batch_size: int = 10
    # Say "running low" in responses when this few unused copies remain.
    copies_low_water: int = 2
    online_token_ttl_s: int = 60
    # The citizen page refreshes a shown QR this often (seconds).
    qr_refresh_s: int = 30
    # Offline refreshes of one showing (``refresh_of``) keep its copy for this long.
    showing_window_s: int = 300
    session_ttl_s: int = 8 * 3600
    catalog_cache_s: int = 300
    status_cache_s: int = 60
    metadata_cache_s: int = 300
    # Cookie "Secure" flag: on by default outside dev (the dev server is plain http).
    cookie_secure: bool | None = None
    min_password_length: int = 8
    # Agency clients (code → secret or "sha256:<hex>") that may ask citizens for licenses
    # (license-free submission, wallet.consent), and how long a request stays answerable.
    agency_clients: dict[str, SecretStr] = Field(
        default_factory=lambda: {k: SecretStr(v) for k, v in DEV_AGENCY_CLIENTS.items()})
    consent_ttl_s: int = 7 * 86_400

    @model_validator(mode="after")
    def _check_wallet(self) -> Settings:
        if self.holder_alg not in ("ES256", "EdDSA"):
            raise ValueError("holder_alg must be ES256 or EdDSA")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not self.is_dev:
            for client, secret in self.verifier_clients.items():
                if secret.get_secret_value() == DEV_VERIFIER_CLIENTS.get(client):
                    raise ValueError("the dev verifier client secret is refused outside dev "
                                     "mode: set ELICENSE_VERIFIER_CLIENTS")
            for client, secret in self.agency_clients.items():
                if secret.get_secret_value() == DEV_AGENCY_CLIENTS.get(client):
                    raise ValueError("the dev agency client secrets are refused outside dev "
                                     "mode: set ELICENSE_AGENCY_CLIENTS")
        return self

    @property
    def catalog_url(self) -> str:
        base = self.verifier_url or f"{self.public_url.rstrip('/')}/verifier"
        return f"{base.rstrip('/')}/v1/scenarios"

    @property
    def secure_cookies(self) -> bool:
        return (not self.is_dev) if self.cookie_secure is None else self.cookie_secure
