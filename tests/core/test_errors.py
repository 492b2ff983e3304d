"""The exception tree (core/errors.py, STYLE habit 1): stable, unique snake_case codes with
an HTTP status each, rendered as RFC 9457 problem details."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import defaultdict

import pytest

import core.errors as errors
from core.errors import ELicenseError, error_codes

PACKAGES = ["core", "keys", "issuer", "wallet", "verifier", "elicense"]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _errors_modules() -> list[str]:
    """Every ``<pkg>...errors`` module of the distribution (each package's own codes)."""
    names = []
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(mod.__path__, prefix=f"{pkg}."):
            if info.name.rsplit(".", 1)[-1] == "errors":
                names.append(info.name)
    return names


def _all_error_classes() -> set[type[ELicenseError]]:
    for name in _errors_modules():
        importlib.import_module(name)
    seen: set[type[ELicenseError]] = set()
    stack: list[type[ELicenseError]] = [ELicenseError]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.add(cls)
            stack.extend(cls.__subclasses__())
    return seen


def _package(cls: type) -> str:
    return cls.__module__.split(".", 1)[0]


def test_the_package_errors_modules_are_found() -> None:
    assert "core.errors" in _errors_modules()


def test_codes_are_unique() -> None:
    """One code, one class — except that two services may each define the same code for
    the same answer (same status, same category), e.g. ``credential_not_found``."""
    by_code: dict[str, list[type[ELicenseError]]] = defaultdict(list)
    for cls in _all_error_classes():
        by_code[cls.code].append(cls)
    for code, classes in by_code.items():
        if len(classes) == 1:
            continue
        where = [f"{c.__module__}.{c.__qualname__}" for c in classes]
        packages = [_package(c) for c in classes]
        assert len(set(packages)) == len(packages), f"{code} defined twice in one package: {where}"
        assert "core" not in packages, f"{code} shadows a core code: {where}"
        assert len({c.status for c in classes}) == 1, f"{code} with two statuses: {where}"
        assert len({c.__mro__[1] for c in classes}) == 1, f"{code} in two categories: {where}"


def test_error_codes_maps_every_code_to_a_class_with_that_code() -> None:
    classes = _all_error_classes()
    codes = error_codes()
    assert set(codes) == {c.code for c in classes}
    for code, cls in codes.items():
        assert cls.code == code
    assert codes["internal_error"] is ELicenseError


def _order(cls: type[ELicenseError]) -> tuple[str, str, str]:
    return cls.code, cls.__module__, cls.__qualname__


CLASSES: list[type[ELicenseError]] = list(_all_error_classes())
CLASSES.sort(key=_order)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.code for c in CLASSES])
def test_each_error_has_a_snake_case_code_an_http_status_and_a_title(
    cls: type[ELicenseError],
) -> None:
    assert SNAKE.match(cls.code), cls.code
    assert isinstance(cls.status, int) and 400 <= cls.status <= 599
    assert isinstance(cls.title, str) and cls.title.strip()


def test_every_exported_class_of_core_errors_is_in_the_tree() -> None:
    classes = _all_error_classes()
    exported = [getattr(errors, name) for name in errors.__all__]
    assert error_codes in exported
    for obj in exported:
        if isinstance(obj, type):
            assert obj in classes, obj
            assert error_codes()[obj.code] is obj, obj


def test_to_problem_has_the_rfc_9457_members() -> None:
    exc = errors.CredentialExpired("expired at 1700000000")
    body = exc.to_problem(instance="/verifier/v1/verify")
    assert body == {
        "type": "https://elicense.example/problems/credential_expired",
        "title": "Credential expired",
        "status": 422,
        "code": "credential_expired",
        "detail": "expired at 1700000000",
        "instance": "/verifier/v1/verify",
    }


def test_to_problem_defaults_detail_to_title_and_omits_a_missing_instance() -> None:
    body = errors.NotFound().to_problem()
    assert body["detail"] == body["title"] == "Not found"
    assert body["status"] == 404 and body["code"] == "not_found"
    assert "instance" not in body


def test_to_problem_carries_extension_members() -> None:
    field_errors = [{"field": "scenario", "code": "missing", "message": "required"}]
    body = errors.ValidationFailed(errors=field_errors).to_problem()
    assert body["code"] == "validation_failed" and body["status"] == 422
    assert body["errors"] == field_errors


def test_code_and_status_are_class_attributes_not_arguments() -> None:
    exc = errors.SignatureError("bad")
    assert (exc.code, exc.status, exc.detail) == ("invalid_signature", 422, "bad")
    assert "invalid_signature" in repr(exc)
    assert str(exc) == "bad"


def test_aliases_are_the_same_classes() -> None:
    assert errors.UnknownKey is errors.KeyError_
    assert errors.AlgorithmNotAllowed is errors.AlgorithmError
    assert errors.DisclosureInvalid is errors.DisclosureError


def test_categories_catch_their_subclasses() -> None:
    assert issubclass(errors.StatusListTooLarge, errors.StatusError)
    assert issubclass(errors.StatusError, errors.VerificationError)
    assert issubclass(errors.TypInvalid, errors.MalformedError)
    assert issubclass(errors.PayloadTooLarge, errors.BadRequest)
