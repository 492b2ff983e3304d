"""The public surface of keys/: every exported name exists; private keys stay inside."""

from __future__ import annotations

import importlib

import pytest

from keys.software import generate_signer


@pytest.mark.parametrize("module", ["keys.service", "keys.models", "keys.errors",
                                    "keys.software", "keys.cli"])
def test_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__, module
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_error_codes_are_unique_and_in_the_tree() -> None:
    from core.errors import ELicenseError, error_codes
    from keys import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, ELicenseError)
        assert error_codes()[cls.code] is cls


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_software_signer_repr_hides_private_key(alg: str) -> None:
    signer = generate_signer(alg)
    d = signer.private_jwk()["d"]
    assert d not in repr(signer) and d not in str(signer)
    assert signer.kid in repr(signer)
