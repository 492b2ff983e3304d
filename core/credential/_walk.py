"""Processing the embedded digests of an SD-JWT payload (RFC 9901 §7.1 step 3-5).

Each ``_sd`` digest and ``{"...": digest}`` array element is replaced by its disclosure,
recursively; a digest seen twice is ``digest_duplicated``, reserved or existing names are
refused, undisclosed array elements dropped. The caller checks afterwards that every
disclosure was used (``used``) and reads the disclosed paths (``paths``). The SD-JWT VC
never-disclosable claims (``iss exp nbf vct cnf status``, and anything under them) are
enforced when the walk starts with ``top=True``.
"""

from __future__ import annotations

from typing import Any

from core.credential._common import DOTS, NEVER_DISCLOSABLE, SD, SD_ALG
from core.errors import (
    ClaimNameExists,
    DigestDuplicated,
    DisclosureError,
    MalformedError,
    NestingTooDeep,
    ReservedClaimName,
    TooManyDigests,
)

__all__ = ["MAX_DEPTH", "MAX_DIGESTS", "Walker"]

MAX_DEPTH = 32  # core.credential.Limits.depth
MAX_DIGESTS = 1024  # core.credential.Limits.digests
_RESERVED = frozenset({SD, DOTS, SD_ALG})  # RFC 9901 §4.2.1 (and _sd_alg: §4.1.1)
_ABSENT = object()


class Walker:
    """Replaces embedded digests by their disclosures, recursively (§7.1 step 3).

    ``top`` marks the payload itself (where the SD-JWT VC never-disclosable names apply);
    ``protected`` a subtree under one of those names, where no digest may appear at all.
    """

    __slots__ = ("disclosures", "max_depth", "max_digests", "paths", "seen", "used")

    def __init__(self, disclosures: dict[str, list[Any]], *, max_depth: int = MAX_DEPTH,
                 max_digests: int = MAX_DIGESTS) -> None:
        self.disclosures = disclosures
        self.max_depth = max_depth
        self.max_digests = max_digests
        self.seen: set[str] = set()
        self.used = 0
        self.paths: list[str] = []

    def _lookup(self, dg: Any) -> list[Any] | None:
        if type(dg) is not str:
            raise MalformedError("a digest must be a string")
        if dg in self.seen:
            raise DigestDuplicated()
        if len(self.seen) >= self.max_digests:
            raise TooManyDigests(f"more than {self.max_digests} digests")
        self.seen.add(dg)
        found = self.disclosures.get(dg)
        if found is not None:
            self.used += 1
        return found

    def object(self, obj: dict[str, Any], path: str, depth: int, top: bool,
               protected: bool) -> dict[str, Any]:
        """Process ``obj`` in place (it was just parsed for us alone) and return it."""
        if depth > self.max_depth:
            raise NestingTooDeep(f"nesting deeper than {self.max_depth}")
        digests = obj.pop(SD, _ABSENT)
        if DOTS in obj:
            raise ReservedClaimName("'...' outside an array element")
        if depth and SD_ALG in obj:
            raise MalformedError("_sd_alg only at the top level")
        for name, item in obj.items():
            kind = type(item)
            if kind is dict:
                self.object(item, f"{path}.{name}" if path else name, depth + 1, False,
                            protected or (top and name in NEVER_DISCLOSABLE))
            elif kind is list:
                # replacing the value of an existing key while iterating is allowed
                obj[name] = self.array(item, f"{path}.{name}" if path else name, depth + 1,
                                       protected or (top and name in NEVER_DISCLOSABLE))
        if digests is _ABSENT:
            return obj
        if type(digests) is not list:
            raise MalformedError("_sd must be an array of digests")
        if protected and digests:
            raise ReservedClaimName("a never-disclosable claim holds digests")
        seen, disclosures = self.seen, self.disclosures
        if len(seen) + len(digests) > self.max_digests:
            raise TooManyDigests(f"more than {self.max_digests} digests")
        for dg in digests:
            if type(dg) is not str:
                raise MalformedError("a digest must be a string")
            if dg in seen:
                raise DigestDuplicated()
            seen.add(dg)
            content = disclosures.get(dg)
            if content is None:
                continue  # decoy, or not disclosed
            self.used += 1
            if len(content) != 3 or type(content[1]) is not str:
                raise DisclosureError("an object property disclosure has three elements")
            name = content[1]
            if name in _RESERVED or (top and name in NEVER_DISCLOSABLE):
                raise ReservedClaimName(f"{name!r} may not be disclosed")
            if name in obj:
                raise ClaimNameExists(f"{name!r} already exists")
            sub = f"{path}.{name}" if path else name
            self.paths.append(sub)
            value = content[2]
            kind = type(value)
            if kind is dict:
                value = self.object(value, sub, depth + 1, False, False)
            elif kind is list:
                value = self.array(value, sub, depth + 1, False)
            obj[name] = value
        return obj

    def value(self, value: Any, path: str, depth: int) -> Any:
        kind = type(value)
        if kind is dict:
            return self.object(value, path, depth + 1, False, False)
        if kind is list:
            return self.array(value, path, depth + 1, False)
        return value

    def array(self, arr: list[Any], path: str, depth: int, protected: bool) -> list[Any]:
        if depth > self.max_depth:
            raise NestingTooDeep(f"nesting deeper than {self.max_depth}")
        out: list[Any] = []
        for i, item in enumerate(arr):
            kind = type(item)
            if kind is dict:
                if len(item) == 1 and DOTS in item:
                    if protected:
                        raise ReservedClaimName("a never-disclosable claim holds digests")
                    content = self._lookup(item[DOTS])
                    if content is None:
                        continue  # §7.1 step 3.4: undisclosed element removed
                    if len(content) != 2:
                        raise DisclosureError("an array element disclosure has two elements")
                    sub = f"{path}.{i}"
                    self.paths.append(sub)
                    out.append(self.value(content[1], sub, depth))
                else:
                    out.append(self.object(item, f"{path}.{i}", depth + 1, False, protected))
            elif kind is list:
                out.append(self.array(item, f"{path}.{i}", depth + 1, protected))
            else:
                out.append(item)
        return out
