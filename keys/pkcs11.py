"""PKCS#11 (HSM) signer behind ``core.signing.Signer`` (DESIGN §8: keys "from a PKCS#11 HSM").

The key pair is generated INSIDE the token (``CKA_TOKEN``, ``CKA_PRIVATE``,
``CKA_SENSITIVE`` true, ``CKA_EXTRACTABLE`` false: PKCS#11 v2.40 §4.9) and the private key
never leaves it; only its public half is read back (``CKA_EC_POINT``) to build the JWK, whose
``kid`` is the RFC 7638 thumbprint. Signatures, in the form JWS needs (RFC 7518 §3.4, RFC 8037
§3.1):

- ES256: ``CKM_ECDSA`` over SHA-256 of the signing input, computed here (SoftHSM2 2.6 has no
  ``CKM_ECDSA_SHA256``); the token already returns raw ``r||s`` (PKCS#11 v2.40 §2.3.1).
- EdDSA: ``CKM_EDDSA`` (PKCS#11 v3.0 §2.3.14, pure Ed25519) over the signing input.

Sessions: PKCS#11 login state belongs to the application and token, not to one session, and
``C_Logout`` on any session logs every session out (v2.40 §5.5/§5.6). So one ``_Token`` per
(module, token label) logs in once on an anchor session that stays open, and each signer then
opens its own session (already authenticated through the anchor) guarded by its own lock,
because one session must not be used by two threads at once (v2.40 §6.7.7).

Errors: every python-pkcs11 exception is translated into ``keys.errors`` at one boundary
(``_translated``); a test walks ``pkcs11.exceptions`` to prove none escapes raw.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING, Any

import pkcs11
from asn1crypto.core import ObjectIdentifier, OctetString, PrintableString
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11

from core.errors import SignatureError
from core.jose import b64u_encode, public_key_from_jwk, thumbprint, verify_signature
from keys.errors import (
    HsmKeyNotFound,
    HsmLoginFailed,
    HsmNotConfigured,
    HsmTokenNotFound,
    HsmUnavailable,
    KeyAlgorithmUnsupported,
    KeyStateInvalid,
)

if TYPE_CHECKING:
    from core.settings import BaseServiceSettings
    from keys.models import SigningKey

__all__ = [
    "Pkcs11Signer",
    "close_all",
    "generate_for_owner",
    "generate_in_token",
    "hsm_config",
    "map_pkcs11_error",
    "open_signer",
    "signer_for_row",
]

log = logging.getLogger("keys.pkcs11")

_P256_OID = "1.2.840.10045.3.1.7"
_ED25519_OID = "1.3.101.112"
# Mechanisms each algorithm needs: (key-pair generation, signature).
_MECHANISMS = {
    "ES256": (Mechanism.EC_KEY_PAIR_GEN, Mechanism.ECDSA),
    "EdDSA": (Mechanism.EC_EDWARDS_KEY_PAIR_GEN, Mechanism.EDDSA),
}

# --- the one error boundary -----------------------------------------------------------

# Most specific first: the first class in an exception's MRO found here wins.
_ERROR_MAP: dict[type[p11.PKCS11Error], type[HsmUnavailable]] = {
    p11.PinIncorrect: HsmLoginFailed,
    p11.PinInvalid: HsmLoginFailed,
    p11.PinLenRange: HsmLoginFailed,
    p11.PinExpired: HsmLoginFailed,
    p11.PinLocked: HsmLoginFailed,
    p11.UserPinNotInitialized: HsmLoginFailed,
    p11.UserNotLoggedIn: HsmLoginFailed,
    p11.NoSuchToken: HsmTokenNotFound,
    p11.MultipleTokensReturned: HsmTokenNotFound,
    p11.TokenNotPresent: HsmTokenNotFound,
    p11.TokenNotRecognised: HsmTokenNotFound,
    p11.SlotIDInvalid: HsmTokenNotFound,
    p11.NoSuchKey: HsmKeyNotFound,
    p11.MultipleObjectsReturned: HsmKeyNotFound,
    p11.KeyHandleInvalid: HsmKeyNotFound,
    p11.ObjectHandleInvalid: HsmKeyNotFound,
    p11.PKCS11Error: HsmUnavailable,  # device errors, sessions, memory, anything else
}


def map_pkcs11_error(exc: BaseException) -> HsmUnavailable:
    """Our error for a python-pkcs11 exception (also: a module that cannot be loaded)."""
    for cls in type(exc).__mro__:
        target = _ERROR_MAP.get(cls)
        if target is not None:
            return target(f"PKCS#11: {type(exc).__name__}")
    return HsmUnavailable(f"PKCS#11: {type(exc).__name__}")


# Failures after which a fresh session (or a fresh login) may succeed.
_SESSION_LOST = (p11.SessionHandleInvalid, p11.SessionClosed, p11.KeyHandleInvalid,
                 p11.ObjectHandleInvalid)
_LOGIN_LOST = (p11.UserNotLoggedIn, p11.DeviceRemoved, p11.TokenNotPresent, p11.DeviceError)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except p11.PKCS11Error as exc:
        raise map_pkcs11_error(exc) from exc


# --- logged-in tokens -----------------------------------------------------------------


@dataclass
class _Token:
    token: Any  # pkcs11.Token
    anchor: Any  # the logged-in pkcs11.Session; closing it logs every session out
    pin_digest: bytes
    lock: Lock = field(default_factory=Lock)


_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = Lock()


def _login(module_path: str, token_label: str, pin: str) -> _Token:
    """The process's login to this token, made once. A PIN other than the one that logged
    in is refused (PKCS#11 cannot check a second PIN while the token is logged in)."""
    digest = hashlib.sha256(pin.encode()).digest()
    with _tokens_lock:
        tok = _tokens.get((module_path, token_label))
        if tok is None:
            with _translated():
                token = pkcs11.lib(module_path).get_token(token_label=token_label)
                anchor = token.open(user_pin=pin, rw=True)
            tok = _tokens[(module_path, token_label)] = _Token(token, anchor, digest)
            log.info("logged in to PKCS#11 token %r", token_label)
    if not hmac.compare_digest(tok.pin_digest, digest):
        raise HsmLoginFailed("PIN differs from the one this process logged in with")
    return tok


def _forget_login(module_path: str, token_label: str) -> None:
    """Drop this process's login to a token (it was lost); the next ``_login`` logs in."""
    with _tokens_lock:
        tok = _tokens.pop((module_path, token_label), None)
    if tok is not None:
        with suppress(p11.PKCS11Error):  # already gone with the login
            tok.anchor.close()


# --- the signer -----------------------------------------------------------------------


class Pkcs11Signer:
    """A ``core.signing.Signer`` whose private key stays in a PKCS#11 token."""

    __slots__ = ("_alg", "_key", "_kid", "_lock", "_public", "_session", "key_label", "lost",
                 "token_label")

    def __init__(self, *, session: Any, private_key: Any, public: dict[str, Any], alg: str,
                 token_label: str, key_label: str) -> None:
        self._session = session
        self._key = private_key
        self._public = public
        self._alg = alg
        self._kid = thumbprint(public)
        self._lock = Lock()
        self.token_label = token_label
        self.key_label = key_label
        # Set when the session or the token's login is gone (HSM reset, failover, logout):
        # ``signer_for_row`` then replaces this signer instead of failing for ever.
        self.lost: str | None = None

    def __repr__(self) -> str:
        return (f"Pkcs11Signer(alg={self._alg!r}, kid={self._kid!r}, "
                f"token={self.token_label!r}, key={self.key_label!r})")

    @property
    def alg(self) -> str:
        return self._alg

    @property
    def kid(self) -> str:
        return self._kid

    def public_jwk(self) -> dict[str, Any]:
        return {**self._public, "kid": self._kid, "alg": self._alg, "use": "sig"}

    def sign(self, signing_input: bytes) -> bytes:
        if self._alg == "ES256":
            data, mechanism = hashlib.sha256(signing_input).digest(), Mechanism.ECDSA
        else:
            data, mechanism = signing_input, Mechanism.EDDSA
        with self._lock:
            if self._session is None:
                raise HsmUnavailable("signer is closed")
            try:
                signature = bytes(self._key.sign(data, mechanism=mechanism))
            except p11.PKCS11Error as exc:
                if isinstance(exc, _LOGIN_LOST):
                    self.lost = "login"
                elif isinstance(exc, _SESSION_LOST):
                    self.lost = self.lost or "session"
                raise map_pkcs11_error(exc) from exc
        if len(signature) != 64:
            raise HsmUnavailable(f"token returned a {len(signature)}-byte signature")
        return signature

    def close(self) -> None:
        """Close this signer's session (the token stays logged in for other signers)."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            with _translated():
                session.close()


def _point(raw: bytes, size: int) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING (v2.40 §2.3.3); some tokens give the bare point."""
    if len(raw) == size:
        return raw
    try:
        value = OctetString.load(raw).native
    except ValueError as exc:
        raise HsmKeyNotFound("CKA_EC_POINT is not an OCTET STRING") from exc
    if not isinstance(value, bytes) or len(value) != size:
        raise HsmKeyNotFound("CKA_EC_POINT has the wrong size")
    return value


def _curve(params: bytes) -> str:
    """The curve named by CKA_EC_PARAMS (an OID, or a PrintableString for Edwards curves)."""
    for kind in (ObjectIdentifier, PrintableString):
        try:
            return str(kind.load(params).native)
        except ValueError:
            continue
    return "?"


def _public_of(public_key: Any) -> tuple[str, dict[str, Any]]:
    """(alg, public JWK) from the token's public-key object, checked to be on its curve."""
    key_type = public_key[Attribute.KEY_TYPE]
    curve = _curve(bytes(public_key[Attribute.EC_PARAMS]))
    raw = bytes(public_key[Attribute.EC_POINT])
    try:
        if key_type == KeyType.EC and curve in (_P256_OID, "secp256r1"):
            point = _point(raw, 65)
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            return "ES256", {"kty": "EC", "crv": "P-256", "x": b64u_encode(point[1:33]),
                             "y": b64u_encode(point[33:])}
        if key_type == KeyType.EC_EDWARDS and curve in (_ED25519_OID, "ed25519",
                                                         "edwards25519"):
            x = _point(raw, 32)
            ed25519.Ed25519PublicKey.from_public_bytes(x)
            return "EdDSA", {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(x)}
    except ValueError as exc:
        raise HsmKeyNotFound("token public key is not a valid point") from exc
    raise KeyAlgorithmUnsupported(f"token key is {key_type!r} on {curve}: need P-256 or Ed25519")


def _check_pair(signer: Pkcs11Signer) -> None:
    """Sign once and verify with the public half: the two labelled objects are one pair."""
    probe = b"elicense keys.pkcs11 pair check"
    try:
        verify_signature(public_key_from_jwk(signer.public_jwk()), signer.sign(probe), probe)
    except SignatureError as exc:
        raise HsmKeyNotFound("private and public key objects of this label do not match") from exc


def _signer_in(tok: _Token, *, token_label: str, key_label: str) -> Pkcs11Signer:
    with _translated():
        session = tok.token.open(rw=False)  # authenticated through the anchor's login
    try:
        with _translated():
            private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
            public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key_label)
            if private[Attribute.EXTRACTABLE] or not private[Attribute.SENSITIVE]:
                raise KeyStateInvalid(f"key {key_label!r} is extractable or not sensitive")
        alg, jwk = _public_of(public)
        signer = Pkcs11Signer(session=session, private_key=private, public=jwk, alg=alg,
                              token_label=token_label, key_label=key_label)
        _check_pair(signer)
    except BaseException:
        with _translated():
            session.close()
        raise
    return signer


def open_signer(*, module_path: str, token_label: str, pin: str,
                key_label: str) -> Pkcs11Signer:
    """A signer over an existing key pair (private and public objects share ``key_label``)."""
    tok = _login(module_path, token_label, pin)
    return _signer_in(tok, token_label=token_label, key_label=key_label)


def generate_in_token(*, module_path: str, token_label: str, pin: str, alg: str,
                      key_label: str) -> Pkcs11Signer:
    """Generate a non-extractable key pair inside the token and return its signer.

    Both objects get ``CKA_LABEL = key_label`` and ``CKA_ID = kid`` (so that token tools
    such as ``pkcs11-tool --list-objects`` show which JWKS entry a key is).
    """
    if alg not in _MECHANISMS:
        raise KeyAlgorithmUnsupported(f"unsupported algorithm {alg!r}")
    tok = _login(module_path, token_label, pin)
    keygen, sign = _MECHANISMS[alg]
    with tok.lock, _translated():
        if not {keygen, sign} <= set(tok.token.slot.get_mechanisms()):
            raise KeyAlgorithmUnsupported(f"token {token_label!r} cannot do {alg}")
        with tok.token.open(rw=True) as session:
            if any(True for _ in session.get_objects({Attribute.LABEL: key_label})):
                raise KeyStateInvalid(f"token already holds objects labelled {key_label!r}")
            if alg == "ES256":
                key_type, params = KeyType.EC, ObjectIdentifier(_P256_OID).dump()
            else:
                key_type, params = KeyType.EC_EDWARDS, ObjectIdentifier(_ED25519_OID).dump()
            public, private = session.generate_keypair(
                key_type, store=True, label=key_label, mechanism=keygen,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                public_template={Attribute.EC_PARAMS: params},
                private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                                  Attribute.PRIVATE: True})
            kid = thumbprint(_public_of(public)[1])
            public[Attribute.ID] = private[Attribute.ID] = kid.encode()
    log.info("generated %s key kid=%s in token %r label=%r", alg, kid, token_label, key_label)
    return _signer_in(tok, token_label=token_label, key_label=key_label)


# --- keys.service integration ---------------------------------------------------------

_row_signers: dict[tuple[str, str, str], Pkcs11Signer] = {}
_row_lock = Lock()


def hsm_config(settings: BaseServiceSettings) -> tuple[str, str, str]:
    """(module path, token label, PIN) from the settings; all three must be set."""
    if not (settings.hsm_module and settings.hsm_token_label and settings.hsm_pin):
        raise HsmNotConfigured("set ELICENSE_HSM_MODULE, ELICENSE_HSM_TOKEN_LABEL and "
                               "ELICENSE_HSM_PIN")
    return settings.hsm_module, settings.hsm_token_label, settings.hsm_pin.get_secret_value()


def generate_for_owner(*, settings: BaseServiceSettings, owner: str,
                       alg: str) -> Pkcs11Signer:
    """A new key in the settings' token, labelled ``elicense:<owner>:<random>``."""
    module, token_label, pin = hsm_config(settings)
    return generate_in_token(module_path=module, token_label=token_label, pin=pin, alg=alg,
                             key_label=f"elicense:{owner}:{secrets.token_hex(8)}")


def signer_for_row(row: SigningKey, settings: BaseServiceSettings) -> Pkcs11Signer:
    """The (cached) signer of a ``backend = pkcs11`` key row; its kid must be the row's.
    A signer whose session or login was lost is replaced (one new session or login)."""
    module, _, pin = hsm_config(settings)
    if not (row.hsm_token_label and row.hsm_key_label):
        raise HsmKeyNotFound(f"key {row.kid!r} names no token key")
    _login(module, row.hsm_token_label, pin)  # checks the PIN even on a cache hit
    ck = (module, row.hsm_token_label, row.hsm_key_label)
    with _row_lock:
        signer = _row_signers.get(ck)
        if signer is not None and signer.lost is not None:
            del _row_signers[ck]
    recovering = signer is not None and signer.lost is not None
    if signer is not None and recovering:
        log.warning("PKCS#11 %s lost for key %r: reopening", signer.lost, row.kid)
        with suppress(HsmUnavailable):  # its session is gone already
            signer.close()
        if signer.lost == "login":
            _forget_login(module, row.hsm_token_label)  # open_signer logs in afresh
        signer = None
    if signer is None:
        try:
            signer = open_signer(module_path=module, token_label=row.hsm_token_label,
                                 pin=pin, key_label=row.hsm_key_label)
        except (HsmKeyNotFound, HsmLoginFailed):
            if not recovering:
                raise
            # A lost handle can mean a lost login (private objects are then invisible).
            _forget_login(module, row.hsm_token_label)
            signer = open_signer(module_path=module, token_label=row.hsm_token_label,
                                 pin=pin, key_label=row.hsm_key_label)
        with _row_lock:
            signer = _row_signers.setdefault(ck, signer)
    if (signer.kid, signer.alg) != (row.kid, row.alg):
        raise HsmKeyNotFound(f"token key {row.hsm_key_label!r} is not key {row.kid!r}")
    return signer


def close_all() -> None:
    """Close every signer session, then log out of every token (shutdown, tests)."""
    with _row_lock:
        signers = list(_row_signers.values())
        _row_signers.clear()
    for signer in signers:
        with suppress(HsmUnavailable):  # shutting down: a dead session is fine
            signer.close()
    with _tokens_lock:
        tokens = list(_tokens.values())
        _tokens.clear()
    for tok in tokens:
        with suppress(p11.PKCS11Error):
            tok.anchor.close()
