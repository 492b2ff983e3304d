"""The zlib preset dictionary of ELV1 (docs/qr-envelope.md §5; RFC 1950 FDICT).

A QR payload is too short for zlib to learn the JSON it carries: without a dictionary the
first ``"cnf":{"jwk":{"kty":"EC",...`` costs its full literal length. The dictionary
holds what every elicense presentation repeats, laid out as the packing's text section
lays it out (part and segment heads included, so one match spans a segment boundary):
the JWS headers, the SD-JWT VC claims in ``core.credential``'s order, the packing's
tokens (``\\x01\\x20`` = 32 raw bytes, ``\\x01\\x10`` = a 16-byte salt or nonce,
``\\x00\\x00`` = sd_hash), the catalogue's claim and type names, the offline audiences.
Most frequent last: zlib's shortest distances point at the end of the dictionary. It is
part of the wire format: changing one byte needs a new envelope version (``ELV2:``).
"""

from __future__ import annotations

import zlib

__all__ = ["DICTIONARY", "DICTIONARY_ID"]

DICTIONARY = (
    # catalogue claim names (docs/team-contracts.md) and their type paths
    b'"registration_number","owner_address","dog_name","breed","color","dog_sex",'
    b'"vaccination_date","company_name","unified_social_credit_code",'
    b'"legal_representative","business_scope","registered_capital","established_date",'
    b'"operator_name","permit_number","business_items","premises_address","entity_name",'
    b'"permitted_items","certificate_number","child_name","birthplace","mother_name",'
    b'"father_name","hospital","property_address","area_m2","usage","ownership_type",'
    b'"plate_number","owner_name","vehicle_type","brand_model","vin","engine_number",'
    b'"registration_date","use_character","license_number","permitted_class",'
    b'"first_issue_date","name_en","nationality","issuing_authority","valid_from",'
    b'"valid_until","portrait","age_over_60",false]'
    b"/vct/real_estate_certificate/vct/birth_certificate/vct/public_health_permit"
    b"/vct/food_business_permit/vct/business_license/vct/dog_license/vct/vehicle_license"
    b"/vct/driving_license/vct/hk_macau_permit/vct/passport"
    b"urn:elicense:offline:dog_license_check"
    b"urn:elicense:offline:roadside_inspection"
    # Ed25519 variants of the headers and holder key, other agencies and claims
    b'\x03\xaa\x01{"typ":"dc+sd-jwt","alg":"EdDSA","kid":\x01 }'
    b'"cnf":{"jwk":{"kty":"OKP","crv":"Ed25519","x":\x01 }},'
    b'\x03z{"alg":"EdDSA","typ":"kb+jwt"}'
    b'"aud":"urn:elicense:offline:hotel_checkin",'
    b'"agency":"amr","agency":"hc","agency":"plr","nbf":17,'
    b'[\x01\x10,"sex","ethnicity","birthdate","address",'
    # one whole text section as core.credential and core.qr lay it out: the part and
    # segment counts and heads, the issuer JWT, three disclosures, the KB-JWT
    b'\x03\xaa\x01{"typ":"dc+sd-jwt","alg":"ES256","kid":\x01 }'
    b'\xbe\x0b{"iss":"https://","iat":17,"exp":17,"vct":"https:///issuer/vct/id_card",'
    b'"cnf":{"jwk":{"kty":"EC","crv":"P-256","x":\x01 ,"y":\x01 }},'
    b'"status":{"status_list":{"idx":,"uri":"https:///issuer/status-lists/"}},'
    b'"agency":"psb","_sd":[\x01 ,\x01 ,\x01 ,\x01 ,\x01 ,\x00\x01,\x00\x02,\x00\x03],'
    b'"_sd_alg":"sha-256"}\x80\x02'
    b'\x01\xae\x01[\x01\x10,"document_number","'
    b'\x01^[\x01\x10,"age_over_18",true]'
    b'\x01R[\x01\x10,"name","'
    b'\x03z{"alg":"ES256","typ":"kb+jwt"}'
    b'\xd6\x02{"iat":17,"aud":"urn:elicense:offline:internet_cafe","nonce":\x01\x10,'
    b'"sd_hash":\x00\x00}\x80\x02'
)
DICTIONARY_ID = zlib.adler32(DICTIONARY)
