"""Typed settings base (STYLE habit 7): built once per app, failing fast, the only place that
reads the environment. Each service subclasses ``BaseServiceSettings``."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_KEY_ENCRYPTION_SECRET", "BaseServiceSettings"]

# The only secret allowed to appear in source: refused outside dev mode (see below).
DEV_KEY_ENCRYPTION_SECRET = "dev-only-key-encryption-secret-DO-NOT-USE-IN-PRODUCTION"  # noqa: S105
_PLACEHOLDERS = {"", "changethis", "changeme", "secret", DEV_KEY_ENCRYPTION_SECRET}


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ELICENSE_", extra="ignore", frozen=True)

    mode: Literal["dev", "prod"] = "dev"
    database_url: str = "sqlite:///./var/elicense.db"
    # Encrypts private keys at rest (keys/). In dev mode a fixed, loudly marked dev secret.
    key_encryption_secret: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_SECRET)
    # Public origin under which /issuer, /wallet and /verifier are mounted.
    public_url: str = "http://127.0.0.1:8000"
    allowed_algs: tuple[str, ...] = ("ES256", "EdDSA")
    # Seconds of clock skew tolerated on exp / nbf / iat.
    leeway_s: int = 60
    # PKCS#11 HSM (keys/pkcs11.py): the module (.so) path, the token holding the keys and
    # the user PIN. Unset = no HSM; keys with backend "pkcs11" then cannot sign.
    hsm_module: str | None = None
    hsm_token_label: str | None = None
    hsm_pin: SecretStr | None = None
    # Operations (elicense/ops.py, docs/operations.md): the bearer token that opens
    # GET /<service>/metrics to a non-loopback caller (unset = loopback only), and the token
    # buckets "N/S" (N requests per S seconds) on wallet login (per username, and per client
    # IP: looser, many citizens share a carrier NAT) and on redemption (per verifier client);
    # "0/1" turns one off.
    metrics_token: SecretStr | None = None
    rate_login: str = "10/60"
    rate_login_ip: str = "60/60"
    rate_redeem: str = "600/60"

    @model_validator(mode="after")
    def _refuse_placeholders_outside_dev(self) -> BaseServiceSettings:
        if self.mode != "dev":
            secret = self.key_encryption_secret.get_secret_value()
            if secret in _PLACEHOLDERS or len(secret) < 32:
                raise ValueError(
                    "ELICENSE_KEY_ENCRYPTION_SECRET must be set to a real secret "
                    "(>= 32 characters) outside dev mode"
                )
        bad = set(self.allowed_algs) - {"ES256", "EdDSA"}
        if bad:
            raise ValueError(f"unsupported algorithms in allowed_algs: {sorted(bad)}")
        return self

    @property
    def is_dev(self) -> bool:
        return self.mode == "dev"
