"""keys.pkcs11 against a real SoftHSM2 token: keys generated in the token and never
extractable, SD-JWT VCs signed by the HSM verified by core.credential and by pyjwt, rotation
and revocation through keys.service and the CLI, and every PKCS#11 failure as a typed error.

SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the module is first loaded in a process, and a
token initialised later is not seen; so each pytest worker initialises its tokens in a fresh
temporary directory once, before any test loads the module. Skipped when SoftHSM2 is not
installed, except under ``CI=true`` where that is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from typer.testing import CliRunner

from core.clock import FixedClock
from core.credential import StaticKeys, issue, present, verify
from core.db import make_engine
from core.errors import ELicenseError
from core.jose import public_key_from_jwk, thumbprint, verify_signature
from core.settings import BaseServiceSettings
from core.signing import Signer
from keys import service
from keys.cli import app as keys_cli
from keys.models import SigningKey
from keys.software import generate_signer

from .conftest import SECRET

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN, SO_PIN = "test", "1234", "5678"
FRESH_TOKEN = "pin-test"  # never logged in before the wrong-PIN test
ISS = "https://issuer.example/issuer"
VCT = "https://issuer.example/issuer/vct/id_card"
DAY = 86400

if not (os.path.exists(MODULE) and shutil.which("softhsm2-util")):
    if os.environ.get("CI") == "true":
        pytest.fail("SoftHSM2 is required in CI (apt-get install softhsm2)", pytrace=False)
    pytest.skip("SoftHSM2 not installed", allow_module_level=True)

import pkcs11 as p11lib  # noqa: E402 - only once SoftHSM2 is known to be there
from pkcs11 import Attribute, ObjectClass  # noqa: E402
from pkcs11 import exceptions as p11exc  # noqa: E402

from keys import pkcs11  # noqa: E402


@dataclass(frozen=True)
class Hsm:
    conf: Path


@pytest.fixture(scope="session")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hsm]:
    root = tmp_path_factory.mktemp("softhsm2")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by SoftHSM2 itself, not by elicense
    for label in (TOKEN, FRESH_TOKEN):
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                        "--pin", PIN, "--so-pin", SO_PIN], check=True, capture_output=True)
    yield Hsm(conf)
    pkcs11.close_all()
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(autouse=True)
def _fresh_sessions(hsm: Hsm) -> Iterator[None]:
    yield
    pkcs11.close_all()  # each test logs in anew; no signer survives a test


@pytest.fixture
def hsm_settings() -> BaseServiceSettings:
    return BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr(SECRET),
                               hsm_module=MODULE, hsm_token_label=TOKEN,
                               hsm_pin=SecretStr(PIN))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    service.clear_cache()
    with Session(engine, expire_on_commit=False) as s:
        yield s
    service.clear_cache()


_label_seq = iter(range(10**6))


def _label(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_label_seq)}"


def _generate(alg: str, label: str | None = None) -> pkcs11.Pkcs11Signer:
    try:
        return pkcs11.generate_in_token(module_path=MODULE, token_label=TOKEN, pin=PIN,
                                        alg=alg, key_label=label or _label(alg))
    except ELicenseError as exc:  # SoftHSM2 < 2.6 has no CKM_EDDSA (PKCS#11 3.0)
        if alg == "EdDSA" and exc.code == "key_alg_unsupported":
            pytest.skip("this SoftHSM2 has no CKM_EDDSA")
        raise


def _code(exc: pytest.ExceptionInfo[ELicenseError]) -> str:
    return exc.value.code


def _credential(signer: Signer, iat: int) -> tuple[str, Signer]:
    holder = generate_signer("ES256")
    sd_jwt = issue(signer=signer, iss=ISS, vct=VCT, claims={"name": "张三", "age_over_18": True},
                   sd=["name", "age_over_18"], holder_jwk=holder.public_jwk(), iat=iat,
                   exp=iat + 365 * DAY)
    return sd_jwt, holder


def _verify(sd_jwt: str, holder: Signer, jwks: dict[str, object], now: int) -> dict[str, object]:
    shown = present(sd_jwt, disclose=["age_over_18"], holder=holder, nonce="n-1",
                    aud="urn:test", iat=now)
    verified = verify(shown, keys=StaticKeys({ISS: jwks}), key_binding=True, now=now,
                      nonce="n-1", aud="urn:test")
    return dict(verified.claims)


# --- the signer ---------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_token_key_issues_credentials_that_verify(alg: str, clock: FixedClock) -> None:
    signer = _generate(alg)
    assert isinstance(signer, Signer)
    jwk = signer.public_jwk()
    assert (signer.alg, jwk["alg"], jwk["use"]) == (alg, alg, "sig")
    assert "d" not in jwk and signer.kid == jwk["kid"] == thumbprint(jwk)
    sd_jwt, holder = _credential(signer, clock.now())
    claims = _verify(sd_jwt, holder, {"keys": [jwk]}, clock.now())
    assert claims["age_over_18"] is True and "name" not in claims
    # pyjwt as a second implementation of the issuer-signed JWT
    issuer_jwt = sd_jwt.split("~")[0]
    header = jwt.get_unverified_header(issuer_jwt)
    assert (header["alg"], header["kid"], header["typ"]) == (alg, signer.kid, "dc+sd-jwt")
    payload = jwt.decode(issuer_jwt, key=jwt.PyJWK(jwk).key, algorithms=[alg],
                         options={"verify_exp": False, "verify_iat": False})
    assert (payload["iss"], payload["vct"]) == (ISS, VCT)
    # a key that is not the token's does not verify it
    other = generate_signer(alg).public_jwk()
    with pytest.raises(ELicenseError) as exc:
        _verify(sd_jwt, holder, {"keys": [other]}, clock.now())
    assert _code(exc) == "unknown_key"


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_open_signer_finds_the_same_key(alg: str) -> None:
    label = _label("reopen")
    first = _generate(alg, label)
    again = pkcs11.open_signer(module_path=MODULE, token_label=TOKEN, pin=PIN, key_label=label)
    assert (again.kid, again.alg, again.public_jwk()) == (first.kid, alg, first.public_jwk())
    probe = b"header.payload"
    verify_signature(public_key_from_jwk(first.public_jwk()), again.sign(probe), probe)


def test_es256_signatures_are_raw_r_s_and_randomised() -> None:
    signer = _generate("ES256")
    a, b = signer.sign(b"x"), signer.sign(b"x")
    assert len(a) == len(b) == 64 and a != b  # ECDSA: fresh k per signature


def test_private_key_never_leaves_the_token() -> None:
    label = _label("sealed")
    signer = _generate("ES256", label)
    assert not hasattr(signer, "private_jwk")
    assert label in repr(signer) and signer.kid in repr(signer)
    token = p11lib.lib(MODULE).get_token(token_label=TOKEN)
    with token.open(rw=True) as s:  # authenticated through keys.pkcs11's login
        private = s.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
        assert private[Attribute.EXTRACTABLE] is False
        assert private[Attribute.SENSITIVE] is True
        assert private[Attribute.NEVER_EXTRACTABLE] is True
        assert private[Attribute.ALWAYS_SENSITIVE] is True
        assert private[Attribute.TOKEN] is True and private[Attribute.PRIVATE] is True
        assert bytes(private[Attribute.ID]) == signer.kid.encode()
        with pytest.raises(p11exc.AttributeSensitive):
            _ = private[Attribute.VALUE]  # reading the scalar d is the attack
        with pytest.raises(p11exc.PKCS11Error):  # CKA_EXTRACTABLE can only go true → false
            private[Attribute.EXTRACTABLE] = True
        assert private[Attribute.EXTRACTABLE] is False


def test_signer_is_safe_to_share_between_threads() -> None:
    signer = _generate("ES256")
    key = public_key_from_jwk(signer.public_jwk())
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                msg = f"{n}.{i}".encode()
                verify_signature(key, signer.sign(msg), msg)
        except BaseException as exc:  # collected for the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_closed_signer_refuses() -> None:
    signer = _generate("EdDSA")
    signer.close()
    with pytest.raises(ELicenseError) as exc:
        signer.sign(b"x")
    assert _code(exc) == "hsm_unavailable"


# --- typed errors ---------------------------------------------------------------------


def test_wrong_pin_is_a_typed_error() -> None:
    with pytest.raises(ELicenseError) as exc:  # C_Login itself refuses it
        pkcs11.open_signer(module_path=MODULE, token_label=FRESH_TOKEN, pin="0000",
                           key_label="any")
    assert _code(exc) == "hsm_login_failed"
    assert exc.value.status == 503
    assert isinstance(exc.value.__cause__, p11exc.PinIncorrect)
    signer = pkcs11.generate_in_token(module_path=MODULE, token_label=FRESH_TOKEN, pin=PIN,
                                      alg="ES256", key_label=_label("pin"))
    with pytest.raises(ELicenseError) as exc:  # logged in already: a different PIN is refused
        pkcs11.open_signer(module_path=MODULE, token_label=FRESH_TOKEN, pin="0000",
                           key_label=signer.key_label)
    assert _code(exc) == "hsm_login_failed"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"key_label": "no-such-key"}, "hsm_key_not_found"),
    ({"token_label": "no-such-token"}, "hsm_token_not_found"),
    ({"module_path": "/nonexistent/libpkcs11.so"}, "hsm_unavailable"),
])
def test_missing_key_token_or_module(kwargs: dict[str, str], code: str) -> None:
    args = {"module_path": MODULE, "token_label": TOKEN, "pin": PIN, "key_label": "x",
            **kwargs}
    with pytest.raises(ELicenseError) as exc:
        pkcs11.open_signer(**args)
    assert _code(exc) == code


def test_label_in_use_and_unsupported_alg_are_refused() -> None:
    label = _label("taken")
    _generate("ES256", label)
    with pytest.raises(ELicenseError) as exc:
        _generate("EdDSA", label)
    assert _code(exc) == "key_state_invalid"
    with pytest.raises(ELicenseError) as exc:
        _generate("RS256")
    assert _code(exc) == "key_alg_unsupported"


def test_mismatched_key_pair_under_one_label_is_refused() -> None:
    a, b = _generate("ES256"), _generate("ES256")
    token = p11lib.lib(MODULE).get_token(token_label=TOKEN)
    with token.open(rw=True) as s:  # relabel: b's public key now sits under a's label
        s.get_key(object_class=ObjectClass.PUBLIC_KEY, label=a.key_label)[
            Attribute.LABEL] = "orphan-" + a.key_label
        s.get_key(object_class=ObjectClass.PUBLIC_KEY, label=b.key_label)[
            Attribute.LABEL] = a.key_label
    with pytest.raises(ELicenseError) as exc:
        pkcs11.open_signer(module_path=MODULE, token_label=TOKEN, pin=PIN,
                           key_label=a.key_label)
    assert _code(exc) == "hsm_key_not_found"


def test_every_pkcs11_exception_is_translated() -> None:
    classes = [c for c in vars(p11exc).values()
               if isinstance(c, type) and issubclass(c, p11exc.PKCS11Error)]
    assert len(classes) > 50
    for cls in classes:
        err = pkcs11.map_pkcs11_error(cls())
        assert isinstance(err, ELicenseError) and err.code.startswith("hsm_"), cls
        assert err.status == 503
    expect = {p11exc.PinIncorrect: "hsm_login_failed", p11exc.PinLocked: "hsm_login_failed",
              p11exc.NoSuchToken: "hsm_token_not_found",
              p11exc.TokenNotPresent: "hsm_token_not_found",
              p11exc.NoSuchKey: "hsm_key_not_found", p11exc.DeviceError: "hsm_unavailable",
              p11exc.SessionHandleInvalid: "hsm_unavailable"}
    assert {cls: pkcs11.map_pkcs11_error(cls()).code for cls in expect} == expect


# --- keys.service: rows, rotation, revocation -------------------------------------------


def test_service_rotation_and_compromise_drill_with_hsm_keys(
        session: Session, hsm_settings: BaseServiceSettings, clock: FixedClock) -> None:
    first = service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                             settings=hsm_settings, state="active", backend="pkcs11")
    assert (first.backend, first.hsm_token_label, first.private_ciphertext) == (
        "pkcs11", TOKEN, None)
    assert first.hsm_key_label and first.hsm_key_label.startswith("elicense:issuer:")
    signer = service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    assert isinstance(signer, pkcs11.Pkcs11Signer) and signer.kid == first.kid
    old_vc, old_holder = _credential(signer, clock.now())

    clock.advance(DAY)
    now = clock.now()
    second = service.rotate(session=session, owner="issuer", settings=hsm_settings,
                            clock=clock, retain_s=365 * DAY)
    assert second.backend == "pkcs11" and second.kid != first.kid  # rotation stays in the HSM
    new = service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    assert new.kid == second.kid
    new_vc, new_holder = _credential(new, now)
    jwks = service.jwks(session=session, owner="issuer", now=now)
    assert [k["kid"] for k in jwks["keys"]] == [second.kid, first.kid]
    assert _verify(old_vc, old_holder, jwks, now)["age_over_18"] is True
    assert _verify(new_vc, new_holder, jwks, now)["age_over_18"] is True
    with pytest.raises(ELicenseError) as exc:  # a retired key no longer signs
        service.signer_for_kid(session=session, kid=first.kid, settings=hsm_settings)
    assert _code(exc) == "key_state_invalid"

    # key-compromise drill: revoke the old key; it leaves the JWKS; its credentials fail
    service.revoke(session=session, kid=first.kid, clock=clock)
    jwks = service.jwks(session=session, owner="issuer", now=now)
    assert [k["kid"] for k in jwks["keys"]] == [second.kid]
    with pytest.raises(ELicenseError) as exc:
        _verify(old_vc, old_holder, jwks, now)
    assert _code(exc) == "unknown_key"
    assert _verify(new_vc, new_holder, jwks, now)["age_over_18"] is True


def test_software_and_hsm_keys_rotate_into_each_other(
        session: Session, hsm_settings: BaseServiceSettings, clock: FixedClock) -> None:
    soft = service.generate(session=session, owner="issuer", alg="EdDSA", clock=clock,
                            settings=hsm_settings, state="active")
    assert soft.backend == "software" and soft.private_ciphertext
    waiting = service.generate(session=session, owner="issuer", alg="EdDSA", clock=clock,
                               settings=hsm_settings)  # a pending software key
    moved = service.rotate(session=session, owner="issuer", settings=hsm_settings,
                           clock=clock, backend="pkcs11")  # is passed over: HSM asked for
    assert (moved.backend, moved.alg) == ("pkcs11", "EdDSA")
    assert service.get_key(session=session, kid=waiting.kid).state == "pending"
    back = service.rotate(session=session, owner="issuer", settings=hsm_settings, clock=clock)
    assert back.kid == waiting.kid  # no backend given: the pending key is promoted
    moved = service.rotate(session=session, owner="issuer", settings=hsm_settings,
                           clock=clock, backend="pkcs11")
    signer = service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    sd_jwt, holder = _credential(signer, clock.now())
    jwks = service.jwks(session=session, owner="issuer", now=clock.now())
    assert _verify(sd_jwt, holder, jwks, clock.now())["age_over_18"] is True


def test_hsm_key_without_hsm_settings(session: Session, hsm_settings: BaseServiceSettings,
                                      clock: FixedClock) -> None:
    plain = BaseServiceSettings(mode="prod", key_encryption_secret=SecretStr(SECRET))
    with pytest.raises(ELicenseError) as exc:
        service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                         settings=plain, backend="pkcs11")
    assert _code(exc) == "hsm_not_configured"
    service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                     settings=hsm_settings, state="active", backend="pkcs11")
    with pytest.raises(ELicenseError) as exc:
        service.active_signer(session=session, owner="issuer", settings=plain)
    assert _code(exc) == "hsm_not_configured"
    wrong_pin = hsm_settings.model_copy(update={"hsm_pin": SecretStr("0000")})
    service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    with pytest.raises(ELicenseError) as exc:  # even with the signer cached
        service.active_signer(session=session, owner="issuer", settings=wrong_pin)
    assert _code(exc) == "hsm_login_failed"


def test_row_whose_token_key_is_another_key_is_refused(
        session: Session, hsm_settings: BaseServiceSettings, clock: FixedClock) -> None:
    row = service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                           settings=hsm_settings, state="active", backend="pkcs11")
    other = _generate("ES256")
    row.hsm_key_label = other.key_label  # a row pointing at the wrong token key
    session.add(row)
    session.commit()
    with pytest.raises(ELicenseError) as exc:
        service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    assert _code(exc) == "hsm_key_not_found"


def test_backend_constraint_in_the_database(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    base = {"owner": "o", "alg": "ES256", "created_at": 1, "public_jwk": "{}"}
    bad = [SigningKey(kid="a", backend="pkcs11", private_ciphertext="v1.x",
                      hsm_token_label="t", hsm_key_label="k", **base),
           SigningKey(kid="b", backend="pkcs11", hsm_token_label="t", **base),
           SigningKey(kid="c", backend="software", **base),
           SigningKey(kid="d", backend="other", private_ciphertext="v1.x", **base)]
    try:
        for row in bad:
            with Session(engine) as s:
                s.add(row)
                with pytest.raises(IntegrityError):
                    s.commit()
        with Session(engine) as s:
            s.add(SigningKey(kid="e", backend="pkcs11", hsm_token_label="t",
                             hsm_key_label="k", **base))
            s.commit()
    finally:
        engine.dispose()


# --- CLI --------------------------------------------------------------------------------


def test_cli_generates_and_rotates_in_the_hsm(db_url: str) -> None:
    env = {"ELICENSE_DATABASE_URL": db_url, "ELICENSE_MODE": "prod",
           "ELICENSE_KEY_ENCRYPTION_SECRET": SECRET, "ELICENSE_HSM_MODULE": MODULE,
           "ELICENSE_HSM_TOKEN_LABEL": TOKEN, "ELICENSE_HSM_PIN": PIN}

    def run(*args: str) -> str:
        result = CliRunner().invoke(keys_cli, list(args), env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    kid1, alg, state = run("generate", "--owner", "issuer", "--alg", "ES256", "--hsm",
                           "--activate").split()
    assert (alg, state) == ("ES256", "active")
    kid2 = run("rotate", "--owner", "issuer").split()[0]
    kid3 = run("rotate", "--owner", "issuer", "--software").split()[0]
    rows = {json.loads(line)["kid"]: json.loads(line)
            for line in run("list", "--json").splitlines()}
    assert {k: (rows[k]["backend"], rows[k]["state"]) for k in (kid1, kid2, kid3)} == {
        kid1: ("pkcs11", "retired"), kid2: ("pkcs11", "retired"), kid3: ("software", "active")}
    assert "backend=pkcs11" in run("list")
    assert PIN not in run("list") + run("list", "--json")
    bad = CliRunner().invoke(keys_cli, ["generate", "--owner", "x", "--hsm"],
                             env={**env, "ELICENSE_HSM_TOKEN_LABEL": "no-such-token"})
    assert bad.exit_code == 1 and "hsm_token_not_found" in bad.output


# --- recovery: a lost session or login is replaced, not fatal for ever --------------------


def _hsm_row_signer(session: Session, settings: BaseServiceSettings,
                    clock: FixedClock) -> pkcs11.Pkcs11Signer:
    service.generate(session=session, owner="issuer", alg="ES256", clock=clock,
                     settings=settings, state="active", backend="pkcs11")
    signer = service.active_signer(session=session, owner="issuer", settings=settings)
    assert isinstance(signer, pkcs11.Pkcs11Signer)
    return signer


def test_lost_session_is_reopened(session: Session, hsm_settings: BaseServiceSettings,
                                  clock: FixedClock) -> None:
    signer = _hsm_row_signer(session, hsm_settings, clock)
    signer._session.close()  # the HSM dropped the session (reset, failover)
    with pytest.raises(ELicenseError) as exc:
        signer.sign(b"x")
    assert _code(exc) == "hsm_unavailable" and signer.lost == "session"
    again = service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    assert again is not signer and again.kid == signer.kid
    probe = b"after reopen"
    verify_signature(public_key_from_jwk(again.public_jwk()), again.sign(probe), probe)


def test_lost_login_is_renewed(session: Session, hsm_settings: BaseServiceSettings,
                               clock: FixedClock) -> None:
    signer = _hsm_row_signer(session, hsm_settings, clock)
    pkcs11._tokens[(MODULE, TOKEN)].anchor.close()  # C_Logout: every session logged out
    with pytest.raises(ELicenseError) as exc:  # SoftHSM2: the key handle is now invalid
        signer.sign(b"x")
    assert _code(exc).startswith("hsm_") and signer.lost is not None
    again = service.active_signer(session=session, owner="issuer", settings=hsm_settings)
    assert again is not signer and again.kid == signer.kid
    probe = b"after login"
    verify_signature(public_key_from_jwk(again.public_jwk()), again.sign(probe), probe)
