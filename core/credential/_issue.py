"""Issuing an SD-JWT VC (RFC 9901 §4.1, §4.2; SD-JWT VC §2.2).

``issue`` takes plain claims plus the dotted paths to make selectively disclosable and
turns them into the structured form (``Sd`` markers), which ``issue_structured`` encodes:
one disclosure per marker with a fresh 128-bit salt (§9.3), ``_sd`` digests sorted so the
claim order is hidden (§4.2.4.1), optional decoy digests (§4.2.5), ``_sd_alg: sha-256``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core.credential._common import DOTS, NEVER_DISCLOSABLE, SD, SD_ALG, SHA256, VC_TYP, Sd, digest
from core.errors import BadRequest
from core.jose import b64u_encode, json_dumps, sign_compact
from core.signing import Signer

__all__ = ["issue", "issue_structured", "mark_sd"]

SALT_BYTES = 16  # 128 bits (RFC 9901 §9.3)
_RESERVED = frozenset({SD, DOTS, SD_ALG})
_PUBLIC_JWK_MEMBERS = ("kty", "crv", "x", "y")
# set by ``issue`` from its own arguments, never taken from ``claims``
_SET_BY_ISSUER = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", SD_ALG})


def issue(
    *,
    signer: Signer,
    iss: str,
    vct: str,
    claims: Mapping[str, Any],
    sd: Iterable[str],
    holder_jwk: Mapping[str, Any],
    iat: int,
    exp: int | None = None,
    nbf: int | None = None,
    status: Mapping[str, Any] | None = None,
    typ: str = VC_TYP,
    decoys: int = 0,
    token_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """A compact SD-JWT VC ending in ``~`` with every disclosure.

    ``sd`` lists the claims to make selectively disclosable as dotted paths (``name``,
    ``address.street``; a digit selects an array element: ``nationalities.0``). Paths
    naming a claim the credential does not have are ignored, so a catalog's full list can
    be passed for every credential. ``iss exp nbf vct cnf status`` can never be in ``sd``.
    """
    clash = _SET_BY_ISSUER.intersection(claims)
    if clash:
        raise BadRequest(f"claims may not carry {sorted(clash)}: they are issue() arguments")
    if "d" in holder_jwk:
        raise BadRequest("holder_jwk must be a public key")
    payload: dict[str, Any] = {"iss": iss, "iat": iat}
    if nbf is not None:
        payload["nbf"] = nbf
    if exp is not None:
        payload["exp"] = exp
    payload["vct"] = vct
    payload["cnf"] = {"jwk": {k: holder_jwk[k] for k in _PUBLIC_JWK_MEMBERS if k in holder_jwk}}
    if status is not None:
        payload["status"] = dict(status)
    payload.update(mark_sd(claims, sd))
    return issue_structured(signer=signer, payload=payload, typ=typ, decoys=decoys,
                            token_bytes=token_bytes)


def mark_sd(claims: Mapping[str, Any], sd: Iterable[str]) -> dict[str, Any]:
    """Claims with ``Sd`` markers at the given dotted paths (structured form)."""
    tree: Any = _copy(claims)
    # deepest first, so a parent's marker does not hide the child's container
    for path in sorted({p for p in sd}, key=lambda p: -p.count(".")):
        parts = path.split(".")
        if parts[0] in NEVER_DISCLOSABLE:
            raise BadRequest(f"{parts[0]!r} can never be selectively disclosable")
        node = tree
        for part in parts[:-1]:
            node = _child(node, part)
            if node is None:
                break
        else:
            _mark(node, parts[-1])
    return dict(tree)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _child(node: Any, part: str) -> Any:
    if isinstance(node, Sd):
        node = node.value
    if isinstance(node, dict):
        for key, value in node.items():
            if (key.value if isinstance(key, Sd) else key) == part:
                return value.value if isinstance(value, Sd) else value
        return None
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        value = node[int(part)]
        return value.value if isinstance(value, Sd) else value
    return None


def _mark(node: Any, part: str) -> None:
    if isinstance(node, dict) and part in node:
        node[Sd(part)] = node.pop(part)
    elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
        i = int(part)
        if not isinstance(node[i], Sd):
            node[i] = Sd(node[i])


def issue_structured(
    *,
    signer: Signer,
    payload: Mapping[Any, Any],
    typ: str = VC_TYP,
    decoys: int = 0,
    header: Mapping[str, Any] | None = None,
    token_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """Encode a structured claims tree (``Sd`` markers) as a compact SD-JWT."""
    disclosures: list[str] = []

    def salt() -> str:
        return b64u_encode(token_bytes(SALT_BYTES))

    def disclose(content: list[Any]) -> str:
        text = b64u_encode(json_dumps(content))
        disclosures.append(text)
        return digest(text)

    def encode(value: Any) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            digests: list[str] = []
            for key, item in value.items():
                name = key.value if isinstance(key, Sd) else key
                if not isinstance(name, str) or name in _RESERVED:
                    raise BadRequest(f"invalid claim name {name!r}")
                if isinstance(key, Sd):
                    digests.append(disclose([salt(), name, encode(item)]))
                else:
                    out[name] = encode(item)
            if digests:
                out[SD] = sorted(digests)
            return out
        if isinstance(value, list | tuple):
            return [
                {DOTS: disclose([salt(), encode(v.value)])} if isinstance(v, Sd) else encode(v)
                for v in value
            ]
        if isinstance(value, Sd):
            raise BadRequest("an Sd marker belongs on a dict key or a list element")
        return value

    body = encode(payload)
    if decoys:
        body[SD] = sorted([*body.get(SD, []),
                           *(digest(b64u_encode(token_bytes(SALT_BYTES))) for _ in range(decoys))])
    if SD in body or disclosures:
        body[SD_ALG] = SHA256
    jws = sign_compact({**(header or {}), "typ": typ}, body, signer)
    return jws + "~" + "".join(d + "~" for d in disclosures)
