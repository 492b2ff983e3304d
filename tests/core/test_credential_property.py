"""Property: any mutation of a valid presentation is refused with one of our errors or,
for changes the RFC allows (disclosure order only), verifies to the same claims — never
an unhandled exception (RFC 9901 §7; DESIGN §2)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.credential import StaticKeys, issue, present, verify
from core.errors import ELicenseError
from keys.software import generate_signer

ISS = "https://city.example/issuer"
NOW = 1_790_000_000
ISSUER, HOLDER = generate_signer("ES256"), generate_signer("EdDSA")
KEYS = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]}})
CLAIMS = {"name": "李四", "document_number": "310101199001020011", "birthdate": "1990-01-02",
          "address": {"street": "x", "city": "y"}, "nationalities": ["CN", "FR"],
          "age_over_18": True}
SD_JWT = issue(signer=ISSUER, iss=ISS, vct=f"{ISS}/vct/id_card", claims=CLAIMS,
               sd=["name", "document_number", "birthdate", "address", "address.street",
                   "nationalities.0", "age_over_18"],
               holder_jwk=HOLDER.public_jwk(), iat=NOW, exp=NOW + 86400, decoys=2)
PRESENTATION = present(SD_JWT, disclose=["name", "address.street", "nationalities.0",
                                         "age_over_18"],
                       holder=HOLDER, nonce="n", aud="a", iat=NOW)
SD_ONLY = present(SD_JWT, disclose=["name", "address.street", "nationalities.0"])


def _verify(text: Any, key_binding: bool) -> dict[str, Any] | None:
    try:
        return verify(text, keys=KEYS, key_binding=key_binding, now=NOW,
                      nonce="n" if key_binding else None, aud="a" if key_binding else None
                      ).claims
    except ELicenseError:
        return None


EXPECTED_KB = _verify(PRESENTATION, True)
EXPECTED_SD = _verify(SD_ONLY, False)
ALPHABET = st.sampled_from([*"~.-_=+/ AZaz09{}[]\"\\é\x00", "~~", ".."])


def test_baselines_verify() -> None:
    assert EXPECTED_KB is not None and EXPECTED_KB["name"] == "李四"
    assert EXPECTED_SD is not None and "birthdate" not in EXPECTED_SD


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), key_binding=st.booleans())
def test_character_mutations(data: st.DataObject, key_binding: bool) -> None:
    base = PRESENTATION if key_binding else SD_ONLY
    text = base
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        if op == "replace" and i < len(text):
            text = text[:i] + data.draw(ALPHABET) + text[i + 1:]
        elif op == "insert":
            text = text[:i] + data.draw(ALPHABET) + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i]
    result = _verify(text, key_binding)  # raises only if something escapes
    if text == base:
        assert result == (EXPECTED_KB if key_binding else EXPECTED_SD)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), key_binding=st.booleans())
def test_byte_garbage(data: bytes, key_binding: bool) -> None:
    for text in (data.decode("latin-1"), data.decode("utf-8", "replace")):
        assert _verify(text, key_binding) is None
        result = _verify(SD_ONLY + text, key_binding)
        assert result is None or (text == "" and not key_binding)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["swap", "drop", "dup"]),
                              st.integers(0, 10), st.integers(0, 10)), min_size=1,
                    max_size=4),
       key_binding=st.booleans())
def test_disclosure_reorder_remove_duplicate(ops: list[tuple[str, int, int]],
                                             key_binding: bool) -> None:
    base = PRESENTATION if key_binding else SD_ONLY
    jwt, *disclosures, last = base.split("~")
    items = list(disclosures)
    for op, i, j in ops:
        if not items:
            break
        i, j = i % len(items), j % len(items)
        if op == "swap":
            items[i], items[j] = items[j], items[i]
        elif op == "drop":
            items.pop(i)
        else:
            items.insert(j, items[i])
    text = jwt + "~" + "".join(d + "~" for d in items) + last
    result = _verify(text, key_binding)
    expected = EXPECTED_KB if key_binding else EXPECTED_SD
    if items == disclosures:
        assert result == expected
    elif sorted(items) == sorted(disclosures):  # order-only change
        if key_binding:
            assert result is None  # the KB-JWT's sd_hash fixes the order it signed
        else:
            assert result == expected  # same claims (§7.1)
    elif key_binding:
        assert result is None  # any change of the set breaks sd_hash
    elif len(set(items)) != len(items):
        assert result is None  # a disclosure twice: digest_duplicated


# --- issue → present → verify on random claim trees --------------------------------

_KEYS = st.sampled_from(["a", "b", "c", "d", "e", "x", "y", "名"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.text(max_size=8))
_TREES = st.recursive(_SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(_KEYS, kids, max_size=4)), max_leaves=12)


def _paths(value: Any, path: str = "") -> list[str]:
    out: list[str] = []
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    for key, item in items:
        sub = f"{path}.{key}" if path else str(key)
        out += [sub, *_paths(item, sub)]
    return out


def _expected(value: Any, path: str, select: Any) -> Any:
    from core.credential._common import Sd

    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = key.value if isinstance(key, Sd) else key
            sub = f"{path}.{name}" if path else name
            if not isinstance(key, Sd) or select(sub):
                out[name] = _expected(item, sub, select)
        return out
    if isinstance(value, list):
        kept = []
        for i, item in enumerate(value):
            if not isinstance(item, Sd) or select(f"{path}.{i}"):
                kept.append(_expected(item.value if isinstance(item, Sd) else item,
                                      f"{path}.{i}", select))
        return kept
    return value


@settings(max_examples=150, deadline=None)
@given(claims=st.dictionaries(_KEYS, _TREES, min_size=1, max_size=5), data=st.data())
def test_random_round_trip(claims: dict[str, Any], data: st.DataObject) -> None:
    from core.credential._issue import mark_sd

    paths = _paths(claims)
    sd = data.draw(st.lists(st.sampled_from(paths), unique=True) if paths else st.just([]))
    disclose = data.draw(st.lists(st.sampled_from(paths), unique=True) if paths
                         else st.just([]))
    sd_jwt = issue(signer=HOLDER, iss=ISS, vct="urn:t", claims=claims, sd=sd,
                   holder_jwk=HOLDER.public_jwk(), iat=NOW, decoys=data.draw(st.integers(0, 3)))
    presentation = present(sd_jwt, disclose=disclose, holder=HOLDER, nonce="n", aud="a",
                           iat=NOW)
    keys = StaticKeys({ISS: {"keys": [HOLDER.public_jwk()]}})
    result = verify(presentation, keys=keys, key_binding=True, now=NOW, nonce="n", aud="a")
    wanted = set(disclose)

    def select(path: str) -> bool:
        return path in wanted or any(w.startswith(path + ".") or path.startswith(w + ".")
                                     for w in wanted)

    expected = _expected(mark_sd(claims, sd), "", select)
    assert {k: v for k, v in result.claims.items() if k in claims} == expected
