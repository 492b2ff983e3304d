"""Holder side: choosing disclosures and adding Key Binding (RFC 9901 §7.2, §4.3).

The holder keeps a disclosure when its path is asked for, when it is the parent of one
asked for (a nested disclosure is only reachable through its parent, §4.2.6), or when it
lies under one asked for. The KB-JWT binds ``aud``, ``nonce``, ``iat`` and ``sd_hash``
(§4.3.1: the digest over the presented SD-JWT, disclosures included).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from core.credential._common import DOTS, KB_TYP, SD, digest
from core.errors import BadRequest, MalformedError
from core.jose import b64u_decode, b64u_encode, json_dumps, json_loads, parse_compact
from core.signing import Signer

__all__ = ["present", "present_selected"]

MAX_DEPTH = 64


def present(
    sd_jwt: str,
    *,
    disclose: Iterable[str],
    holder: Signer | None = None,
    nonce: str | None = None,
    aud: str | None = None,
    iat: int | None = None,
) -> str:
    """Keep the disclosures for ``disclose`` (top-level names / dotted paths, a digit for
    an array element) and, if ``holder`` is given, append a KB-JWT it signs.

    ``iat`` defaults to the wall clock; pass it explicitly wherever a ``Clock`` exists.
    """
    wanted = {p.strip(".") for p in disclose}

    def select(path: str) -> bool:
        return path in wanted or any(
            w.startswith(path + ".") or path.startswith(w + ".") for w in wanted
        )

    return present_selected(sd_jwt, select=select, holder=holder, nonce=nonce, aud=aud, iat=iat)


def present_selected(
    sd_jwt: str,
    *,
    select: Callable[[str], bool],
    holder: Signer | None = None,
    nonce: str | None = None,
    aud: str | None = None,
    iat: int | None = None,
) -> str:
    """``present`` with a predicate over dotted disclosure paths (array index = position
    as issued). A disclosure is kept only if it and every disclosure above it are."""
    if not sd_jwt.endswith("~"):
        raise BadRequest("expected an SD-JWT ending in '~' (no Key Binding JWT)")
    jwt, *disclosures, _ = sd_jwt.split("~")
    _, payload, _, _ = parse_compact(jwt)
    by_digest: dict[str, tuple[str, list[Any]]] = {}
    for text in disclosures:
        content = json_loads(b64u_decode(text))
        if not isinstance(content, list) or len(content) not in (2, 3):
            raise MalformedError("invalid disclosure")
        by_digest[digest(text)] = (text, content)
    chosen: list[str] = []

    def walk(value: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise MalformedError("nesting too deep")
        prefix = path + "." if path else ""
        if isinstance(value, dict):
            for dg in value.get(SD, ()) if isinstance(value.get(SD), list) else ():
                found = by_digest.get(dg) if isinstance(dg, str) else None
                if found and len(found[1]) == 3 and isinstance(found[1][1], str):
                    sub = prefix + found[1][1]
                    if select(sub):
                        chosen.append(found[0])
                        walk(found[1][2], sub, depth + 1)
            for key, item in value.items():
                if key != SD:
                    walk(item, prefix + str(key), depth + 1)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                sub = prefix + str(i)
                if isinstance(item, dict) and len(item) == 1 and DOTS in item:
                    found = by_digest.get(item[DOTS]) if isinstance(item[DOTS], str) else None
                    if found and len(found[1]) == 2 and select(sub):
                        chosen.append(found[0])
                        walk(found[1][1], sub, depth + 1)
                else:
                    walk(item, sub, depth + 1)

    walk(payload, "", 0)
    presented = jwt + "~" + "".join(d + "~" for d in chosen)
    if holder is None:
        return presented
    if nonce is None or aud is None:
        raise BadRequest("a Key Binding JWT needs nonce and aud")
    kb_payload = {
        "iat": int(time.time()) if iat is None else iat,
        "aud": aud,
        "nonce": nonce,
        "sd_hash": digest(presented),
    }
    header = {"alg": holder.alg, "typ": KB_TYP}
    signing_input = b64u_encode(json_dumps(header)) + "." + b64u_encode(json_dumps(kb_payload))
    signature = holder.sign(signing_input.encode("ascii"))
    return presented + signing_input + "." + b64u_encode(signature)
