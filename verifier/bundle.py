"""Offline bundle (DESIGN §6): everything a verifier device needs to check ``ELV1:`` QRs
with no network — the signed trust list, the issuers' signed status-list tokens and the
scenario policies — in one JWS (``typ: verifierbundle+jwt``, our own type, documented in
docs/trust-list.md) signed by the trust anchor, with an issue time and an expiry.

Payload::

    {"iss": "<anchor id>", "iat": …, "exp": …, "trust_list": "<trustlist+jwt>",
     "status_lists": {"<uri>": "<statuslist+jwt>", …}, "scenarios": {"scenarios": […]}}

Loading checks the bundle against the pinned anchor key, the trust list likewise, and each
status-list token against the keys of the issuer it sits under (``verifier.status``), at
the bundle's issue time: a token that expired since is old, not forged — the verdict states
the bundle's age and the scenario's ``when_stale`` decides once the bundle expires.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ELicenseError
from core.jose import PublicKey, sign_compact
from core.signing import Signer
from core.statuslist import StatusListToken, verify_status_list_token
from verifier._jws import verify_pinned
from verifier.errors import BundleInvalid
from verifier.policies import Policies
from verifier.status import IssuerKeys
from verifier.trust import TrustList, verify_trust_list

__all__ = ["BUNDLE_TYP", "Bundle", "collect_status_lists", "load_bundle", "make_bundle"]

BUNDLE_TYP = "verifierbundle+jwt"
MAX_PROBE = 1000


@dataclass(frozen=True)
class Bundle:
    iat: int
    exp: int
    trust_list: TrustList
    status_lists: Mapping[str, StatusListToken]
    policies: Policies


def make_bundle(*, signer: Signer, anchor_id: str, trust_list_jws: str,
                status_lists: Mapping[str, str], catalog: Mapping[str, Any], iat: int,
                ttl_s: int = 86400) -> str:
    payload = {"iss": anchor_id, "iat": iat, "exp": iat + ttl_s, "trust_list": trust_list_jws,
               "status_lists": dict(status_lists), "scenarios": dict(catalog)}
    return sign_compact({"typ": BUNDLE_TYP}, payload, signer)


def collect_status_lists(trust: TrustList, fetch: Callable[[str], str | None],
                         extra: Collection[str] = ()) -> dict[str, str]:
    """Each trusted issuer's lists ``{iss}/status-lists/1, 2, …`` until the first missing
    one (``fetch`` returns None), plus any ``extra`` URIs."""
    out: dict[str, str] = {}
    for iss in trust.issuers:
        for n in range(1, MAX_PROBE + 1):
            uri = f"{iss.rstrip('/')}/status-lists/{n}"
            token = fetch(uri)
            if token is None:
                break
            out[uri] = token
    for uri in extra:
        token = fetch(uri)
        if token is None:
            raise BundleInvalid(f"status list {uri} could not be fetched")
        out[uri] = token
    return out


def load_bundle(path: Path | str, *, anchor: PublicKey, now: int,
                algorithms: Collection[str], leeway: int = 60) -> Bundle:
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeError) as exc:
        raise BundleInvalid(f"cannot read bundle: {type(exc).__name__}") from exc
    payload = verify_pinned(text, key=anchor, typ=BUNDLE_TYP, algorithms=algorithms,
                            error=BundleInvalid)
    try:
        iat, exp = int(payload["iat"]), int(payload["exp"])
        trust = verify_trust_list(str(payload["trust_list"]), anchor=anchor, now=now,
                                  algorithms=algorithms, leeway=leeway)
        policies = Policies.from_catalog(payload["scenarios"])
        raw_lists = payload.get("status_lists") or {}
        if not isinstance(raw_lists, dict):
            raise BundleInvalid("status_lists must be an object")
        lists = {uri: _status_token(uri, tok, trust, iat, algorithms, leeway)
                 for uri, tok in raw_lists.items()}
    except BundleInvalid:
        raise
    except (ELicenseError, KeyError, TypeError, ValueError) as exc:
        raise BundleInvalid(f"bundle content invalid: {exc}") from exc
    return Bundle(iat=iat, exp=exp, trust_list=trust, status_lists=lists, policies=policies)


def _status_token(uri: str, token: Any, trust: TrustList, iat: int,
                  algorithms: Collection[str], leeway: int) -> StatusListToken:
    issuer = next((i for i in trust.issuers.values()
                   if uri.startswith(i.iss.rstrip("/") + "/")), None)
    if issuer is None or not isinstance(token, str):
        raise BundleInvalid(f"status list {uri} is not under a trusted issuer")
    return verify_status_list_token(token, keys=IssuerKeys(issuer), sub=uri, now=iat,
                                    leeway=leeway, algorithms=algorithms)
