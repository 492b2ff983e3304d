"""ELV1 / ELR1 envelope (docs/qr-envelope.md): byte-identical round trips of real and
arbitrary presentations, and one typed error code for each kind of hostile input."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.credential import StaticKeys, issue, present, verify
from core.errors import ELicenseError
from core.qr import (
    MAX_DECOMPRESSED,
    MAX_PAYLOAD,
    decode_offline,
    encode_offline,
    new_online_token,
    parse_online,
    parse_payload,
)
from core.qr._base45 import ALPHABET, b45encode
from core.qr._dictionary import DICTIONARY
from core.qr._packing import pack, unpack
from keys.software import generate_signer

ISS = "https://city.example/issuer"
NOW = 1_790_000_000


def _credential(alg: str, claims: dict, decoys: int = 0) -> tuple[str, object, object]:
    issuer, holder = generate_signer(alg), generate_signer(alg)
    sd_jwt = issue(signer=issuer, iss=ISS, vct=f"{ISS}/vct/id_card", claims=claims,
                   sd=[k for k in claims if k != "agency"], holder_jwk=holder.public_jwk(),
                   iat=NOW, exp=NOW + 86400, decoys=decoys,
                   status={"status_list": {"idx": 3, "uri": f"{ISS}/status-lists/1"}})
    return sd_jwt, issuer, holder


CLAIMS = {"agency": "psb", "name": "王小明", "sex": "女", "birthdate": "2001-02-03",
          "address": {"street": "人民路 1 号", "city": "深圳"}, "age_over_18": True,
          "nationalities": ["CN", "HK"], "document_number": "110101200102030021"}


def _presentations() -> list[str]:
    out = []
    for alg in ("ES256", "EdDSA"):
        sd_jwt, _, holder = _credential(alg, CLAIMS, decoys=3)
        out.append(sd_jwt)  # every disclosure, no key binding
        out.append(present(sd_jwt, disclose=[]))  # nothing disclosed, no key binding
        for disclose in (["name"], ["name", "address", "age_over_18"], list(CLAIMS)):
            out.append(present(sd_jwt, disclose=disclose, holder=holder, nonce="n-0S6_WzA2Mj",
                               aud="urn:elicense:offline:hotel_checkin", iat=NOW + 5))
    return out


def test_real_presentations_round_trip_byte_identical_and_still_verify() -> None:
    for alg in ("ES256", "EdDSA"):
        sd_jwt, issuer, holder = _credential(alg, CLAIMS)
        presentation = present(sd_jwt, disclose=["name", "age_over_18"], holder=holder,
                               nonce="abc", aud="urn:elicense:offline:internet_cafe",
                               iat=NOW + 5)
        payload = encode_offline(presentation)
        assert payload.startswith("ELV1:")
        assert set(payload[5:]) <= set(ALPHABET)
        decoded = decode_offline(payload)
        assert decoded == presentation
        verified = verify(decoded, keys=StaticKeys({ISS: [issuer.public_jwk()]}),
                          key_binding=True, now=NOW + 10, nonce="abc",
                          aud="urn:elicense:offline:internet_cafe")
        assert verified.claims["name"] == "王小明"


def test_many_shapes_round_trip() -> None:
    for presentation in _presentations():
        assert decode_offline(encode_offline(presentation)) == presentation


def test_packing_recomputes_disclosure_digests_and_sd_hash() -> None:
    sd_jwt, _, holder = _credential("ES256", CLAIMS)
    p = present(sd_jwt, disclose=["name", "sex"], holder=holder, nonce="x", aud="a", iat=NOW)
    packed = pack(p)
    parts = p.split("~")
    for disclosure in parts[1:-1]:
        import hashlib

        digest = base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode()).digest())
        assert digest.rstrip(b"=") not in packed  # neither as text ...
        assert hashlib.sha256(disclosure.encode()).digest() not in packed  # ... nor raw
    assert b'"sd_hash":\x00\x00}' in packed
    assert unpack(packed) == p


def test_offline_payload_is_smaller_than_the_text() -> None:
    for presentation in _presentations():
        assert len(encode_offline(presentation)) < len(presentation)


NON_CANONICAL = [
    "",
    "~",
    "~~~",
    "a.b.c~",
    "QR~",            # 'R' leaves non-zero padding bits: not canonical base64url
    "QQ==.e30.~",     # padding
    "ab+/.cd~",       # standard alphabet
    "e30.e30.e30",    # '{}' JSON, no tokens
    "eyJhIjoiQUFBQUFBQUFBQUFBQUFBQUFBQUFBQSJ9",  # {"a":"AAAA..."} → a raw token
    "hello world.with spaces~and unicode 证件~",
    "WyJcdTAwMDAiXQ",  # ["\u0000"] escaped in JSON: fine
    "AAEC",            # decodes to 00 01 02: stored as binary
    "WwABXQ",          # '[' 00 01 ']': JSON-looking with token bytes → binary
]


@pytest.mark.parametrize("text", NON_CANONICAL)
def test_any_text_round_trips(text: str) -> None:
    assert decode_offline(encode_offline(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(
    st.text(max_size=20),
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()),
    st.binary(max_size=40).map(
        lambda b: base64.urlsafe_b64encode(b'{"k":"' + base64.urlsafe_b64encode(b) + b'"}')
        .rstrip(b"=").decode()),
), min_size=1, max_size=4).map(".".join), min_size=1, max_size=6).map("~".join))
def test_arbitrary_text_round_trips(text: str) -> None:
    try:
        payload = encode_offline(text)
    except ELicenseError as exc:  # lone surrogates cannot be UTF-8
        assert exc.code == "qr_payload_invalid"
        return
    assert decode_offline(payload, max_payload=10**6, max_decompressed=10**6) == text


# --- hostile inputs: each has its own stable code -------------------------------------


def _elv1(packed: bytes, zdict: bytes = DICTIONARY) -> str:
    deflater = zlib.compressobj(9, zdict=zdict)
    return "ELV1:" + b45encode(deflater.compress(packed) + deflater.flush())


def _code(text: str, **kw: int) -> str:
    with pytest.raises(ELicenseError) as info:
        parse_payload(text, **kw)
    return info.value.code


GOOD = encode_offline("e30.e30.c2ln~WyJzIiwibiIsInYiXQ~")


@pytest.mark.parametrize(("text", "code"), [
    ("", "qr_prefix_unknown"),
    ("https://example.com", "qr_prefix_unknown"),
    ("elv1:" + GOOD[5:], "qr_prefix_unknown"),
    ("ELV2:" + GOOD[5:], "qr_prefix_unknown"),
    ("ELV1:" + GOOD[5:].lower(), "qr_payload_invalid"),     # not base45
    ("ELV1:A", "qr_payload_invalid"),                        # base45 length 1 mod 3
    ("ELV1:GGW", "qr_payload_invalid"),                      # base45 triple > 65535
    ("ELV1:" + b45encode(b"not zlib at all"), "qr_payload_invalid"),
    ("ELV1:" + b45encode(zlib.compress(b"\x01")[:-3]), "qr_payload_invalid"),  # truncated
    ("ELV1:" + b45encode(zlib.compress(pack("a")) + b"x"), "qr_payload_invalid"),  # trailing
    (_elv1(pack("a"), zdict=b"other dict"), "qr_payload_invalid"),  # wrong dictionary
    (_elv1(b""), "qr_payload_invalid"),                      # empty packing
    (_elv1(b"\x02\x00"), "qr_payload_invalid"),              # unknown packing format
    (_elv1(b"\x01"), "qr_payload_invalid"),                  # truncated varint
    (_elv1(b"\x01\x80\x80\x80\x80\x01"), "qr_payload_invalid"),  # varint over 4 bytes
    (_elv1(b"\x01\x81\x00"), "qr_payload_invalid"),          # non-minimal varint
    (_elv1(b"\x01\x01\x00"), "qr_payload_invalid"),          # text says 1 byte: no parts
    (_elv1(b"\x01\x02\x01\x00"), "qr_payload_invalid"),      # a part without segments
    (_elv1(b"\x01\x03\x01\x01\x04"), "qr_payload_invalid"),  # BIN of 1 byte, none left
    (_elv1(b"\x01\x03\x01\x01\x05"), "qr_payload_invalid"),  # TXT of 1 byte, none left
    (_elv1(b"\x01\x04\x01\x01\x05\xff"), "qr_payload_invalid"),  # TXT not UTF-8
    (_elv1(b"\x01\x03\x01\x01\x03"), "qr_payload_invalid"),  # segment type 3
    (_elv1(b"\x01\x03\x01\x01\x00xx"), "qr_payload_invalid"),  # trailing binary
    (_elv1(b"\x01\x04\x01\x01\x00x"), "qr_payload_invalid"),   # text length lies
    (_elv1(b"\x01\x05\x01\x01\x0a\x00\x00"), "qr_payload_invalid"),  # sd_hash, no KB-JWT
    (_elv1(b"\x01\x05\x01\x01\x0a\x00\x05"), "qr_payload_invalid"),  # ref to no disclosure
    (_elv1(b"\x01\x05\x01\x01\x06\x00"), "qr_payload_invalid"),  # token without varint
    (_elv1(b"\x01\x09\x03\x01\x00\x01\x0a\x00\x01\x01\x00"),
     "qr_payload_invalid"),                                  # a reference in a disclosure
    (_elv1(b"\x01\x05\x01\x01\x0a\x01\x05"), "qr_payload_invalid"),  # RAW past binary end
    ("ELV1:" + "0" * (MAX_PAYLOAD - 5 + 1), "qr_payload_too_large"),
    ("ELR1:" + "A" * 31, "qr_payload_invalid"),
    ("ELR1:" + "A" * 33, "qr_payload_invalid"),
    ("ELR1:" + "a" * 32, "qr_payload_invalid"),
    ("ELR1:" + "1" * 32, "qr_payload_invalid"),              # 0, 1, 8, 9 are not base32
    ("ELR1:" + "A" * 32 + "\n", "qr_payload_invalid"),
])
def test_hostile_input_has_a_typed_code(text: str, code: str) -> None:
    assert _code(text) == code


def test_zlib_bomb_is_refused_before_it_inflates() -> None:
    bomb = zlib.compress(b"\x01" + b"\x00" * (MAX_DECOMPRESSED * 64), 9)
    text = "ELV1:" + b45encode(bomb)
    assert len(text) < MAX_PAYLOAD  # the QR is small ...
    assert _code(text) == "qr_payload_too_large"  # ... what it inflates to is not
    assert _code(text, max_decompressed=10**8) == "qr_payload_invalid"  # (just garbage)


def test_decompressed_limit_is_exact() -> None:
    text = encode_offline("e30.e30.c2ln~WyJzIiwibiIsInYiXQ~")
    size = len(pack("e30.e30.c2ln~WyJzIiwibiIsInYiXQ~"))
    assert decode_offline(text, max_decompressed=size)
    with pytest.raises(ELicenseError) as info:
        decode_offline(text, max_decompressed=size - 1)
    assert info.value.code == "qr_payload_too_large"


def test_payload_limit_is_exact() -> None:
    assert _code(GOOD, max_payload=len(GOOD) - 1) == "qr_payload_too_large"
    assert parse_payload(GOOD, max_payload=len(GOOD))[0] == "offline"


def test_lone_surrogates_are_typed_errors() -> None:
    assert _code("ELV1:\ud800") == "qr_payload_invalid"
    assert _code("ELR1:" + "A" * 31 + "\ud800") == "qr_payload_invalid"
    with pytest.raises(ELicenseError) as info:
        encode_offline("e30.\ud800~")
    assert info.value.code == "qr_payload_invalid"


def test_non_text_is_invalid() -> None:
    assert _code(b"ELV1:") == "qr_payload_invalid"  # type: ignore[arg-type]


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.text(max_size=200),
    st.text(alphabet=ALPHABET, max_size=300).map(lambda s: "ELV1:" + s),
    st.binary(max_size=200).map(lambda b: "ELV1:" + b45encode(b)),
    st.binary(max_size=200).map(lambda b: "ELV1:" + b45encode(zlib.compress(b))),
    st.binary(max_size=200).map(lambda b: _elv1(b"\x01" + b)),
    st.text(max_size=40).map(lambda s: "ELR1:" + s),
))
def test_no_input_raises_anything_but_a_typed_error(text: str) -> None:
    try:
        kind, value = parse_payload(text)
    except ELicenseError as exc:
        assert exc.code in {"qr_prefix_unknown", "qr_payload_invalid", "qr_payload_too_large"}
    else:
        assert kind in {"offline", "online"}
        assert isinstance(value, str)


# --- ELR1 ------------------------------------------------------------------------------


def test_online_token_format_and_entropy() -> None:
    tokens = {new_online_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(r"ELR1:[A-Z2-7]{32}", token)
        assert set(token) <= set(ALPHABET)
        raw = base64.b32decode(token[5:])
        assert len(raw) * 8 >= 128
        assert parse_online(token) == token[5:]
        assert parse_payload(token) == ("online", token[5:])


def test_parse_online_refuses_offline_payloads() -> None:
    with pytest.raises(ELicenseError) as info:
        parse_online(GOOD)
    assert info.value.code == "qr_prefix_unknown"
    with pytest.raises(ELicenseError) as info:
        decode_offline(new_online_token())
    assert info.value.code == "qr_prefix_unknown"


_SD_JWT, _ISSUER, _HOLDER = _credential("EdDSA", CLAIMS)
_PRESENTATION = present(_SD_JWT, disclose=["name", "address"], holder=_HOLDER, nonce="n",
                        aud="urn:elicense:offline:hotel_checkin", iat=NOW)
_PAYLOAD = encode_offline(_PRESENTATION)


@settings(max_examples=200, deadline=None)
@given(st.integers(5, len(_PAYLOAD) - 1), st.sampled_from(ALPHABET))
def test_a_corrupted_payload_never_yields_an_accepted_presentation(pos: int, ch: str) -> None:
    """Flip one character: either a typed envelope error, or a text that verify() refuses
    (the envelope adds no trust; a recomputed digest cannot hide a changed disclosure)."""
    text = _PAYLOAD[:pos] + ch + _PAYLOAD[pos + 1 :]
    try:
        _, presentation = parse_payload(text)
    except ELicenseError as exc:
        assert exc.code in {"qr_payload_invalid", "qr_payload_too_large"}
        return
    if presentation == _PRESENTATION:
        return  # the same character was drawn
    with pytest.raises(ELicenseError):
        verify(presentation, keys=StaticKeys({ISS: [_ISSUER.public_jwk()]}),
               key_binding=True, now=NOW, nonce="n", aud="urn:elicense:offline:hotel_checkin")
