"""Tokens are verified against identity's public keys: what a service accepts and refuses."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chassis.auth import KeySet, principal_from_token
from chassis.errors import ApiError
from tests.tokens import TEST_JWKS, TEST_KID, mint_token

KEYS = KeySet(jwks=TEST_JWKS)


def refusal(token: str, **kwargs) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        principal_from_token(token, KEYS, **kwargs)
    return refused.value.status, refused.value.code


def test_a_token_names_the_caller_role_countries_and_session():
    token = mint_token(subject="agent-7", role="partner", countries=["GN", "ML"], organisation="ngo-1", sid="s-1")
    principal = principal_from_token(token, KEYS)
    assert (principal.subject, principal.role, principal.organisation) == ("agent-7", "partner", "ngo-1")
    assert principal.countries == {"GN", "ML"} and principal.session_id == "s-1"


def test_an_expired_token_is_refused_with_its_reason():
    token = mint_token(subject="a", role="agent", countries=["GN"], now=datetime.now(UTC) - timedelta(minutes=20))
    assert refusal(token) == (401, "expired_token")


def test_a_token_signed_by_another_key_under_a_known_key_id_is_refused():
    forged = mint_token(subject="a", role="admin", countries=["GN"], key=Ed25519PrivateKey.generate())
    assert refusal(forged) == (401, "invalid_token")


def test_a_token_signed_with_a_shared_secret_is_refused_whatever_its_key_id():
    """The old way: any service holding the HS256 secret could mint an admin token."""
    claims = {"sub": "a", "role": "admin", "countries": ["GN"], "iss": "cfm-platform", "aud": "cfm",
              "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(minutes=5)}
    assert refusal(jwt.encode(claims, "dev-only-secret-change-me-0123456789abcdef", algorithm="HS256",
                              headers={"kid": TEST_KID})) == (401, "invalid_token")
    assert refusal(jwt.encode(claims, None, algorithm="none")) == (401, "invalid_token")


def test_a_token_that_lives_longer_than_the_platform_allows_is_refused():
    long_lived = mint_token(subject="a", role="agent", countries=["GN"], ttl=timedelta(days=365 * 100))
    assert refusal(long_lived) == (401, "token_lifetime_too_long")
    assert principal_from_token(long_lived, KEYS, max_lifetime=timedelta(days=365 * 101)).role == "agent"


def test_an_unknown_role_is_refused():
    assert refusal(mint_token(subject="a", role="superuser", countries=["GN"])) == (401, "invalid_token")


def test_scope_checks_answer_403_with_a_reason():
    principal = principal_from_token(mint_token(subject="a", role="agent", countries=["GN"]), KEYS)
    with pytest.raises(ApiError) as refused:
        principal.require_country("ML")
    assert (refused.value.status, refused.value.code) == (403, "country_not_in_scope")
    with pytest.raises(ApiError) as refused:
        principal.require_role("ops")
    assert refused.value.code == "role_not_allowed"
    assert not principal.sees_restricted_cases
