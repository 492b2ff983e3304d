"""Trust list (DESIGN §6): a JWS with ``typ: trustlist+jwt`` (our own type, documented in
docs/trust-list.md) signed by the trust anchor, whose public key is pinned in settings.

Payload::

    {"iss": "<anchor id>", "iat": 1790000000, "exp": 1792592000,
     "issuers": [{"iss": "https://city.example/issuer",
                  "name": {"zh": "…", "en": "…"},
                  "jwks": {"keys": [<public JWK>…]},
                  "types": {"<vct>": "id_card", …},
                  "agencies": {"psb": ["id_card", …], …}}]}

A credential is trusted when its ``iss`` is listed (else ``untrusted_issuer``), its ``kid``
is in that issuer's ``jwks`` (else ``unknown_key``), its ``vct`` is one of that issuer's
``types`` and its ``agency`` claim may issue that type (else ``type_not_trusted``).

``TrustStore`` caches the verified list per process and re-reads it from its source when
``trust_refresh_s`` passes or the list's ``exp`` does, and once (rate-limited) when a
trusted issuer presents an unknown ``kid`` — that is how an issuer key rotation is followed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.clock import Clock
from core.errors import ELicenseError, TrustError, UnknownKey
from core.jose import PublicKey, public_key_from_jwk, sign_compact
from core.signing import Signer
from verifier._jws import verify_pinned
from verifier.errors import NoTrustList, TrustListInvalid, TypeNotTrusted, WouldBlock

__all__ = [
    "ANCHOR_OWNER",
    "DEFAULT_AGENCY_TYPES",
    "TRUST_LIST_TYP",
    "TrustKeys",
    "TrustList",
    "TrustStore",
    "TrustedIssuer",
    "issuer_entry",
    "sign_trust_list",
    "verify_trust_list",
]

TRUST_LIST_TYP = "trustlist+jwt"
ANCHOR_OWNER = "trust_anchor"
# Which agency may issue which type (DESIGN §8 demo agencies); the default type map.
DEFAULT_AGENCY_TYPES: dict[str, list[str]] = {
    "psb": ["id_card", "passport", "hk_macau_permit", "driving_license", "vehicle_license",
            "dog_license"],
    "amr": ["business_license", "food_business_permit"],
    "hc": ["public_health_permit", "birth_certificate"],
    "plr": ["real_estate_certificate"],
}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    name: dict[str, str]
    jwks: dict[str, list[dict[str, Any]]]
    types: dict[str, str]
    agencies: dict[str, list[str]]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    iss: str
    iat: int
    exp: int
    issuers: list[_Entry]


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    name: Mapping[str, str]
    keys: Mapping[str, PublicKey]
    types: Mapping[str, str]
    agencies: Mapping[str, frozenset[str]]

    def credential_type(self, *, vct: str, agency: Any) -> str:
        """The type name for ``vct`` if this issuer and ``agency`` may issue it."""
        type_ = self.types.get(vct)
        if type_ is None:
            raise TypeNotTrusted(f"{self.iss} is not trusted for {vct}")
        if not isinstance(agency, str) or type_ not in self.agencies.get(agency, ()):
            raise TypeNotTrusted(f"agency {agency!r} may not issue {type_}")
        return type_


@dataclass(frozen=True)
class TrustList:
    """A verified trust list."""

    jws: str
    iat: int
    exp: int
    issuers: Mapping[str, TrustedIssuer]

    def issuer(self, iss: Any) -> TrustedIssuer:
        found = self.issuers.get(iss) if isinstance(iss, str) else None
        if found is None:
            raise TrustError(f"issuer {iss!r} is not on the trust list")
        return found

    def lookup(self, iss: str, kid: str | None) -> PublicKey:
        """``core.credential.KeyLookup``: only keys the anchor vouched for, never a header's."""
        issuer = self.issuer(iss)
        key = issuer.keys.get(kid or "")
        if key is None:
            raise UnknownKey(f"kid {kid!r} is not a key of {iss}")
        return key


def issuer_entry(*, iss: str, name: Mapping[str, str], jwks: Mapping[str, Any],
                 agencies: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """A trust-list entry; ``vct`` of each type is ``{iss}/vct/{type}`` (team contract)."""
    agencies_out = {code: sorted(set(types)) for code, types in agencies.items()}
    all_types = sorted({t for types in agencies_out.values() for t in types})
    keys = [{k: v for k, v in jwk.items() if k != "d"} for jwk in jwks.get("keys", [])]
    return {"iss": iss, "name": dict(name), "jwks": {"keys": keys},
            "types": {f"{iss.rstrip('/')}/vct/{t}": t for t in all_types},
            "agencies": agencies_out}


def sign_trust_list(*, signer: Signer, anchor_id: str, issuers: list[dict[str, Any]], iat: int,
                    ttl_s: int = 30 * 86400) -> str:
    for entry in issuers:  # refuse to sign anything we could not read back
        _Entry.model_validate(entry)
    payload = {"iss": anchor_id, "iat": iat, "exp": iat + ttl_s, "issuers": issuers}
    return sign_compact({"typ": TRUST_LIST_TYP}, payload, signer)


def verify_trust_list(jws: str, *, anchor: PublicKey, now: int, algorithms: Collection[str],
                      leeway: int = 60) -> TrustList:
    raw = verify_pinned(jws, key=anchor, typ=TRUST_LIST_TYP, algorithms=algorithms,
                        error=TrustListInvalid)
    try:
        payload = _Payload.model_validate(raw)
    except ValidationError as exc:
        raise TrustListInvalid("trust list payload has the wrong shape") from exc
    if payload.exp + leeway < now:
        raise TrustListInvalid("trust list expired")
    if payload.iat - leeway > now:
        raise TrustListInvalid("trust list issued in the future")
    issuers: dict[str, TrustedIssuer] = {}
    for e in payload.issuers:
        try:
            keys = [public_key_from_jwk(j) for j in e.jwks.get("keys", [])]
        except ELicenseError as exc:
            raise TrustListInvalid(f"bad key for {e.iss}") from exc
        issuers[e.iss] = TrustedIssuer(
            iss=e.iss, name=e.name, keys={k.kid: k for k in keys}, types=e.types,
            agencies={a: frozenset(t) for a, t in e.agencies.items()})
    return TrustList(jws=jws, iat=payload.iat, exp=payload.exp, issuers=issuers)


class TrustStore:
    """The current trust list of this process, re-read from ``source`` as it ages.

    ``source()`` returns the signed JWS (from a URL, a file, the database or a bundle).
    A failed refresh keeps the old list while it has not expired.
    """

    KID_REFRESH_MIN_S = 30

    def __init__(self, *, source: Callable[[], str], anchor: Callable[[], PublicKey],
                 clock: Clock, algorithms: Collection[str], refresh_s: int = 300,
                 leeway: int = 60) -> None:
        self._source = source
        self._anchor = anchor
        self._clock = clock
        self._algorithms = tuple(algorithms)
        self._refresh_s = refresh_s
        self._leeway = leeway
        self._current: TrustList | None = None
        self._loaded_at = 0
        self._last_kid_refresh = -(10**9)
        self._lock = threading.Lock()

    def current(self, *, io: bool = True) -> TrustList:
        """The list in force; re-read when due. ``io=False`` (the event loop's fast path)
        raises ``WouldBlock`` instead of reading the source."""
        now = self._clock.now()
        tl = self._current
        if tl is not None and now < self._loaded_at + self._refresh_s and now <= tl.exp:
            return tl
        if not io:
            raise WouldBlock("the trust list is due for a re-read")
        with self._lock:
            return self._reload(now, force=False)

    def refresh(self) -> TrustList:
        with self._lock:
            return self._reload(self._clock.now(), force=True)

    def _reload(self, now: int, *, force: bool) -> TrustList:
        tl = self._current
        if not force and tl is not None and now < self._loaded_at + self._refresh_s \
                and now <= tl.exp:
            return tl  # another thread refreshed while we waited
        try:
            fresh = verify_trust_list(self._source(), anchor=self._anchor(), now=now,
                                      algorithms=self._algorithms, leeway=self._leeway)
        except ELicenseError:
            if tl is not None and now <= tl.exp + self._leeway:
                return tl
            raise
        if tl is not None and fresh.iat < tl.iat:
            fresh = tl  # never roll back to an older list
        self._current, self._loaded_at = fresh, now
        return fresh

    def refresh_for_unknown_kid(self) -> bool:
        """Re-read once per ``KID_REFRESH_MIN_S``: a rotated issuer key appears here."""
        now = self._clock.now()
        with self._lock:
            if now - self._last_kid_refresh < self.KID_REFRESH_MIN_S:
                return False
            self._last_kid_refresh = now
            try:
                self._reload(now, force=True)
            except ELicenseError:
                return False
            return True


class TrustKeys:
    """``KeyLookup`` over a ``TrustStore`` that follows issuer key rotation."""

    def __init__(self, store: TrustStore, *, io: bool = True) -> None:
        self._store = store
        self._io = io

    def lookup(self, iss: str, kid: str | None) -> PublicKey:
        try:
            return self._store.current(io=self._io).lookup(iss, kid)
        except UnknownKey:
            if not self._io:
                raise WouldBlock("an unknown kid: the trust list may need a re-read") from None
            if self._store.refresh_for_unknown_kid():
                return self._store.current().lookup(iss, kid)
            raise


def no_source() -> str:
    raise NoTrustList("no trust list installed")
