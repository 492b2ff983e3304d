"""Typed settings of the issuer service (STYLE habit 7): the only place reading the
environment for it (``ELICENSE_ISSUER_*`` besides the shared ``ELICENSE_*``)."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from core.settings import BaseServiceSettings

__all__ = ["IssuerSettings"]


class IssuerSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ELICENSE_", extra="ignore", frozen=True)

    # Algorithm of the issuer signing key created by bootstrap (Ed25519 is the cheap one).
    issuer_alg: str = "EdDSA"
    # OAuth2 client-credentials access tokens (agency API clients).
    access_token_ttl_s: int = 600
    # Status List shards (draft-ietf-oauth-status-list §4): 2^20 entries of 2 bits each;
    # a shard stops taking new indices at ``status_list_fill`` of its size so random draws
    # stay cheap and the herd stays large.
    status_list_size: int = 2**20
    status_list_fill: float = 0.5
    # ``ttl`` claim and Cache-Control max-age of a status list token.
    status_list_ttl_s: int = 300
    # Lifetime of a status list token (``exp`` = iat + this).
    status_list_token_lifetime_s: int = 86_400
    # Coalescing: a changed list is re-signed on read at most once per this many seconds.
    status_list_min_refresh_s: int = 10
    # OpenID4VCI pre-authorized offers.
    offer_ttl_s: int = 7 * 86_400
    offer_max_pin_attempts: int = 5
    c_nonce_ttl_s: int = 300
    proof_max_age_s: int = 300
    max_batch_proofs: int = 10
    # Identity-document portraits (base64 JPEG).
    portrait_max_bytes: int = 64 * 1024
    portrait_max_side: int = 1024
    # UTC offset of the city (age_over_18 / age_over_60 are computed on its calendar).
    local_utc_offset_s: int = 8 * 3600
    # argon2id cost of client secrets (RFC 9106 second recommendation by default); tests
    # lower it, prod refuses less than the default memory.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    # How long an Idempotency-Key is remembered (a replay after that issues anew).
    idempotency_ttl_s: int = 86_400
    # Largest NDJSON body POST /v1/credentials:batch accepts (larger imports: the CLI).
    batch_max_bytes: int = 32 * 1024 * 1024
    # Web page session lifetime.
    session_ttl_s: int = 3600
    # License-event webhooks (issue 8, issuer.events_delivery): the app's background loop
    # runs every ``events_poll_s`` seconds (0: no loop); a failed delivery is retried after
    # base * 2^(attempt-1) seconds (at most ``events_backoff_max_s``) and goes to the
    # dead-letter list after ``events_max_attempts``; ``expiring`` fires this long before exp.
    events_poll_s: float = 5.0
    events_max_attempts: int = 8
    events_backoff_base_s: int = 30
    events_backoff_max_s: int = 6 * 3600
    events_timeout_s: float = 10.0
    events_expiring_window_s: int = 30 * 86_400

    @model_validator(mode="after")
    def _check_issuer(self) -> IssuerSettings:
        if self.issuer_alg not in ("ES256", "EdDSA"):
            raise ValueError("issuer_alg must be ES256 or EdDSA")
        if not 0 < self.status_list_fill <= 1:
            raise ValueError("status_list_fill must be in (0, 1]")
        if not self.is_dev and self.argon2_memory_kib < 65_536:
            raise ValueError("argon2_memory_kib below 64 MiB is for tests only")
        if self.status_list_size < 16 or self.status_list_size % 8:
            raise ValueError("status_list_size must be a multiple of 8, at least 16")
        return self

    @property
    def issuer_url(self) -> str:
        """The issuer identifier ``iss`` and the OpenID4VCI credential issuer."""
        return self.public_url.rstrip("/") + "/issuer"

    def vct(self, type_: str) -> str:
        return f"{self.issuer_url}/vct/{type_}"

    def status_list_uri(self, list_id: int) -> str:
        return f"{self.issuer_url}/status-lists/{list_id}"
