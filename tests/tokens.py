"""Tokens for tests, signed by a key made for this test run: the services under test are given its
public half (auth.jwks), exactly as they are given identity's in a deployment."""
import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

TEST_KID = "test-signing-key"
_private_key = Ed25519PrivateKey.generate()
_public_raw = _private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
TEST_JWKS = {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": TEST_KID,
                       "x": base64.urlsafe_b64encode(_public_raw).rstrip(b"=").decode()}]}
# The same trust for services run as processes (tests/e2e): their environment instead of their settings.
TEST_AUTH_ENV = {"CFM__AUTH__JWKS": json.dumps(TEST_JWKS), "CFM__AUTH__JWKS_URL": "null",
                 "CFM__AUTH__REVOCATIONS_URL": "null"}


def mint_token(*, subject: str, role: str, countries, organisation: str | None = None,
               ttl: timedelta = timedelta(minutes=15), now: datetime | None = None, kid: str = TEST_KID,
               key=None, **extra_claims) -> str:
    issued = now or datetime.now(UTC)
    claims = {"sub": subject, "role": role, "countries": sorted(countries), "iss": "cfm-platform", "aud": "cfm",
              "iat": issued, "exp": issued + ttl, **extra_claims}
    if organisation:
        claims["org"] = organisation
    return jwt.encode(claims, key or _private_key, algorithm="EdDSA", headers={"kid": kid})


def bearer(role: str, countries=("GN",), subject: str | None = None, **kwargs) -> dict:
    return {"Authorization": "Bearer " + mint_token(subject=subject or f"test-{role}", role=role,
                                                    countries=countries, **kwargs)}
