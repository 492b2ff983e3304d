"""core.settings: dev mode accepts the built-in secret; prod refuses it and any placeholder;
allowed_algs is validated; values come from ELICENSE_* environment variables."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from core.settings import DEV_KEY_ENCRYPTION_SECRET, BaseServiceSettings

REAL = "Zq3-8Yd0yV6rS1nW4kT9uB2xH7mC5eJ0aL8pQ3fG"


def _error_types(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e["type"] for e in exc.value.errors()]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ELICENSE_MODE", "ELICENSE_KEY_ENCRYPTION_SECRET", "ELICENSE_ALLOWED_ALGS",
                 "ELICENSE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_dev_mode_accepts_the_dev_secret() -> None:
    s = BaseServiceSettings()
    assert s.is_dev and s.mode == "dev"
    assert s.key_encryption_secret.get_secret_value() == DEV_KEY_ENCRYPTION_SECRET
    assert DEV_KEY_ENCRYPTION_SECRET not in repr(s)  # SecretStr hides it


@pytest.mark.parametrize("secret", [DEV_KEY_ENCRYPTION_SECRET, "changethis", "changeme",
                                    "secret", "", "short-but-not-a-placeholder"])
def test_prod_refuses_placeholder_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError) as exc:
        BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr(secret))
    assert _error_types(exc) == ["value_error"]


def test_prod_accepts_a_real_secret() -> None:
    s = BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr(REAL))
    assert not s.is_dev


def test_prod_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELICENSE_MODE", "prod")
    with pytest.raises(ValidationError):
        BaseServiceSettings()  # prod with the default (dev) secret
    monkeypatch.setenv("ELICENSE_KEY_ENCRYPTION_SECRET", REAL)
    monkeypatch.setenv("ELICENSE_DATABASE_URL", "postgresql://db/elicense")
    s = BaseServiceSettings()
    assert (s.mode, s.database_url) == ("prod", "postgresql://db/elicense")


def test_unknown_mode_refused() -> None:
    with pytest.raises(ValidationError):
        BaseServiceSettings(mode="production")  # type: ignore[arg-type]


@pytest.mark.parametrize("algs", [("ES256",), ("EdDSA",), ("ES256", "EdDSA")])
def test_allowed_algs_accepted(algs: tuple[str, ...]) -> None:
    assert BaseServiceSettings(allowed_algs=algs).allowed_algs == algs


@pytest.mark.parametrize("algs", [("RS256",), ("ES256", "none"), ("HS256",)])
def test_allowed_algs_refuses_others(algs: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError):
        BaseServiceSettings(allowed_algs=algs)


def test_settings_are_frozen() -> None:
    s = BaseServiceSettings()
    with pytest.raises(ValidationError):
        s.mode = "prod"  # type: ignore[misc]
