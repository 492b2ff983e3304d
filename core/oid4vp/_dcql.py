"""Digital Credentials Query Language for SD-JWT VC (OpenID4VP 1.0 §6, §7, Appendix B.3).

- ``build_dcql_query`` — the verifier's query: one Credential Query, ``format dc+sd-jwt``,
  ``meta.vct_values``, one Claims Query per claim (a claims path pointer per name, §7).
- ``validate_dcql`` — structural checks of any query received (§6.1-§6.3): both sides call it.
- ``match_dcql`` — wallet side, §6.4: the claims to disclose from one credential, or a
  ``DcqlNoMatch`` (the wallet then answers ``access_denied``).
- ``check_dcql_within_policy`` — wallet side: a query asking for a claim the scenario does
  not allow is refused (``dcql_claim_not_allowed``) before anything is shown to the citizen.

Claims path pointers are mapped to the dotted paths of ``core.credential`` (``address.street``,
``nationalities.1``); the ``null`` wildcard (all array elements) is not supported by our
wallet and is refused as ``dcql_invalid`` rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from core.oid4vp.errors import (
    DcqlClaimMissing,
    DcqlClaimNotAllowed,
    DcqlFormatMismatch,
    DcqlInvalid,
    DcqlVctMismatch,
)

__all__ = [
    "SD_JWT_VC_FORMAT",
    "build_dcql_query",
    "check_dcql_within_policy",
    "claim_paths",
    "credential_query",
    "match_dcql",
    "requested_claim_sets",
    "validate_dcql",
]

SD_JWT_VC_FORMAT = "dc+sd-jwt"
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


def build_dcql_query(*, credential_id: str, vcts: Sequence[str], claims: Iterable[str]
                     ) -> dict[str, Any]:
    """A DCQL query for one SD-JWT VC of one of ``vcts`` with each of ``claims`` (top-level
    names, or dotted paths for nested members) — all required, no ``claim_sets``."""
    names = list(dict.fromkeys(claims))  # §6.1: the same claim at most once
    query: dict[str, Any] = {
        "credentials": [{
            "id": credential_id,
            "format": SD_JWT_VC_FORMAT,
            "meta": {"vct_values": list(vcts)},
            **({"claims": [{"path": _pointer(n)} for n in names]} if names else {}),
        }]
    }
    validate_dcql(query)
    return query


def _pointer(name: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in name.split(".")]


def validate_dcql(query: Any) -> None:
    """Raise ``DcqlInvalid`` unless ``query`` is a well-formed DCQL query (§6). Unknown
    properties are ignored (§6: "Implementations MUST ignore any unknown properties")."""
    if not isinstance(query, Mapping):
        raise DcqlInvalid("a DCQL query is a JSON object")
    creds = query.get("credentials")
    if not isinstance(creds, list) or not creds:
        raise DcqlInvalid("credentials must be a non-empty array")
    ids: set[str] = set()
    for cq in creds:
        if not isinstance(cq, Mapping):
            raise DcqlInvalid("a Credential Query is an object")
        cid = cq.get("id")
        if not isinstance(cid, str) or not ID_PATTERN.fullmatch(cid):
            raise DcqlInvalid("Credential Query id must be [A-Za-z0-9_-]+")
        if cid in ids:
            raise DcqlInvalid(f"Credential Query id {cid!r} appears twice")
        ids.add(cid)
        if not isinstance(cq.get("format"), str):
            raise DcqlInvalid("format must be a string")
        if not isinstance(cq.get("meta"), Mapping):
            raise DcqlInvalid("meta is required and is an object")
        if cq["format"] == SD_JWT_VC_FORMAT:
            vcts = cq["meta"].get("vct_values")
            if (not isinstance(vcts, list) or not vcts
                    or not all(isinstance(v, str) for v in vcts)):
                raise DcqlInvalid("meta.vct_values must be a non-empty array of strings")
        for flag in ("multiple", "require_cryptographic_holder_binding"):
            if flag in cq and not isinstance(cq[flag], bool):
                raise DcqlInvalid(f"{flag} must be a boolean")
        _validate_claims(cq)
    sets = query.get("credential_sets")
    if sets is not None:
        if not isinstance(sets, list) or not sets:
            raise DcqlInvalid("credential_sets must be a non-empty array")
        for cs in sets:
            options = cs.get("options") if isinstance(cs, Mapping) else None
            if (not isinstance(options, list) or not options or not all(
                    isinstance(o, list) and o and all(isinstance(i, str) and i in ids for i in o)
                    for o in options)):
                raise DcqlInvalid("credential_sets options must reference credential ids")
            if "required" in cs and not isinstance(cs["required"], bool):
                raise DcqlInvalid("required must be a boolean")


def _validate_claims(cq: Mapping[str, Any]) -> None:
    claims = cq.get("claims")
    if claims is None:
        if "claim_sets" in cq:
            raise DcqlInvalid("claim_sets without claims")
        return
    if not isinstance(claims, list) or not claims:
        raise DcqlInvalid("claims must be a non-empty array")
    claim_ids: set[str] = set()
    for c in claims:
        if not isinstance(c, Mapping):
            raise DcqlInvalid("a Claims Query is an object")
        _dotted(c.get("path"))
        if "id" in c:
            if not isinstance(c["id"], str) or not ID_PATTERN.fullmatch(c["id"]):
                raise DcqlInvalid("Claims Query id must be [A-Za-z0-9_-]+")
            if c["id"] in claim_ids:
                raise DcqlInvalid(f"Claims Query id {c['id']!r} appears twice")
            claim_ids.add(c["id"])
        values = c.get("values")
        if values is not None and (not isinstance(values, list) or not values or not all(
                isinstance(v, str | int | bool) for v in values)):
            raise DcqlInvalid("values must be a non-empty array of strings, integers, booleans")
    claim_sets = cq.get("claim_sets")
    if claim_sets is not None:
        if len(claim_ids) != len(claims):
            raise DcqlInvalid("with claim_sets every Claims Query needs an id")
        if not isinstance(claim_sets, list) or not claim_sets or not all(
                isinstance(s, list) and s and all(isinstance(i, str) and i in claim_ids for i in s)
                for s in claim_sets):
            raise DcqlInvalid("claim_sets must reference Claims Query ids")


def _dotted(path: Any) -> str:
    """A claims path pointer (§7) as a ``core.credential`` dotted path."""
    if not isinstance(path, list) or not path:
        raise DcqlInvalid("path must be a non-empty array")
    parts: list[str] = []
    for p in path:
        if isinstance(p, str) and p and "." not in p and not p.isdigit():
            parts.append(p)
        elif type(p) is int and p >= 0:
            parts.append(str(p))
        elif p is None:
            raise DcqlInvalid("the null (all elements) path component is not supported")
        else:
            raise DcqlInvalid(f"unsupported path component {p!r}")
    return ".".join(parts)


def credential_query(query: Mapping[str, Any], credential_id: str | None = None
                     ) -> Mapping[str, Any]:
    """The Credential Query ``credential_id`` — or the only one when it is None."""
    validate_dcql(query)
    creds = query["credentials"]
    if credential_id is None:
        if len(creds) != 1:
            raise DcqlInvalid("several Credential Queries: name the one to match")
        return creds[0]
    for cq in creds:
        if cq["id"] == credential_id:
            return cq
    raise DcqlInvalid(f"no Credential Query {credential_id!r}")


def claim_paths(cq: Mapping[str, Any]) -> list[str]:
    """Every dotted path the Credential Query names (any of them may be asked for)."""
    return [_dotted(c["path"]) for c in cq.get("claims") or ()]


def requested_claim_sets(cq: Mapping[str, Any]) -> list[list[str]]:
    """The alternative claim combinations, in the verifier's order of preference (§6.4.1):
    one set of every claim without ``claim_sets``, no claims at all without ``claims``."""
    claims = cq.get("claims")
    if not claims:
        return [[]]
    by_id = {c.get("id"): _dotted(c["path"]) for c in claims}
    if cq.get("claim_sets") is None:
        return [[_dotted(c["path"]) for c in claims]]
    return [[by_id[i] for i in option] for option in cq["claim_sets"]]


def match_dcql(
    query: Mapping[str, Any],
    *,
    vct: str,
    available_claims: Collection[str],
    credential_id: str | None = None,
    claim_values: Mapping[str, Any] | None = None,
) -> list[str]:
    """The claims (dotted paths) to disclose from an SD-JWT VC of type ``vct`` having
    ``available_claims``, for the Credential Query ``credential_id`` (or the only one).

    §6.4.1: without ``claim_sets`` every claim is needed; with them, the first option the
    credential satisfies wins. A claim with ``values`` counts as present only when its
    value (from ``claim_values``, when the caller knows it) is one of them. Raises a
    ``DcqlNoMatch`` subclass when the credential cannot answer the query.

    ``available_claims`` is what the wallet's own check of the stored credential gives:
    ``set(verified.claims) | verified.disclosed`` (top-level names and nested paths).
    """
    cq = credential_query(query, credential_id)
    if cq["format"] != SD_JWT_VC_FORMAT:
        raise DcqlFormatMismatch(f"format {cq['format']!r}")
    if vct not in cq["meta"]["vct_values"]:
        raise DcqlVctMismatch()
    have = set(available_claims)
    for c in cq.get("claims") or ():
        path = _dotted(c["path"])
        if (claim_values is not None and "values" in c and path in have
                and not _value_matches(claim_values.get(path), c["values"])):
            have.discard(path)
    for option in requested_claim_sets(cq):
        if all(p in have for p in option):
            return option
    missing = sorted({p for o in requested_claim_sets(cq) for p in o} - have)
    raise DcqlClaimMissing(f"missing {missing}", claims=missing)


def _value_matches(value: Any, allowed: list[Any]) -> bool:
    # §6.3: type and value both match exactly (True is not 1)
    return any(type(value) is type(a) and value == a for a in allowed)


def check_dcql_within_policy(query: Mapping[str, Any], allowed_claims: Collection[str]
                             ) -> None:
    """Refuse (``dcql_claim_not_allowed``) a query naming any claim outside
    ``allowed_claims`` (the scenario's ``disclose`` list) — in any Credential Query and any
    ``claim_sets`` option, since the verifier could pick any. A nested path is allowed when
    it lies under an allowed claim (``address.city`` under ``address``)."""
    validate_dcql(query)
    allowed = set(allowed_claims)
    refused = sorted({
        p for cq in query["credentials"] for p in claim_paths(cq)
        if not any(p == a or p.startswith(a + ".") for a in allowed)
    })
    if refused:
        raise DcqlClaimNotAllowed(f"not allowed: {refused}", claims=refused)
