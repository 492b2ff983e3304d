"""AES-256-GCM at rest (keys._crypto): round trip, wrong secret, kid as associated data."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from core.settings import BaseServiceSettings
from keys import _crypto
from keys._crypto import KeyWrapper, wrapper_for
from keys.errors import KeyDecryptionFailed

A = "a" * 40
B = "b" * 40


def test_round_trip_and_fresh_nonce() -> None:
    w = KeyWrapper(A)
    c1, c2 = w.encrypt(b"secret jwk", kid="k1"), w.encrypt(b"secret jwk", kid="k1")
    assert c1 != c2 and c1.startswith("v1.")
    assert b"secret" not in c1.encode()
    assert w.decrypt(c1, kid="k1") == b"secret jwk"


def test_wrong_secret_fails_typed() -> None:
    stored = KeyWrapper(A).encrypt(b"x", kid="k1")
    with pytest.raises(KeyDecryptionFailed) as exc:
        KeyWrapper(B).decrypt(stored, kid="k1")
    assert exc.value.code == "key_decryption_failed"


def test_kid_is_associated_data() -> None:
    w = KeyWrapper(A)
    with pytest.raises(KeyDecryptionFailed):
        w.decrypt(w.encrypt(b"x", kid="k1"), kid="k2")


@pytest.mark.parametrize("stored", ["", "v2.AAAA", "v1.not*base64", "v1.AAAA"])
def test_malformed_ciphertext_fails_typed(stored: str) -> None:
    with pytest.raises(KeyDecryptionFailed):
        KeyWrapper(A).decrypt(stored, kid="k1")


def test_tampered_ciphertext_fails() -> None:
    w = KeyWrapper(A)
    stored = w.encrypt(b"hello", kid="k1")
    flipped = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    with pytest.raises(KeyDecryptionFailed):
        w.decrypt(flipped, kid="k1")


def test_fingerprint_differs_per_secret_and_repr_hides_key() -> None:
    assert KeyWrapper(A).fingerprint != KeyWrapper(B).fingerprint
    assert A not in repr(KeyWrapper(A))


def test_dev_secret_warns_once(caplog: pytest.LogCaptureFixture,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_crypto, "_dev_warned", False)
    dev = BaseServiceSettings(mode="dev")
    with caplog.at_level(logging.WARNING, logger="keys"):
        wrapper_for(dev)
        wrapper_for(dev)
    warnings = [r for r in caplog.records if "DEV secret" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_real_secret_does_not_warn(caplog: pytest.LogCaptureFixture,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_crypto, "_dev_warned", False)
    with caplog.at_level(logging.WARNING, logger="keys"):
        wrapper_for(BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr(A)))
    assert not caplog.records
