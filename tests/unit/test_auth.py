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


def raw_token(claims: dict) -> str:
    """A token signed with the test key (as identity would) with exactly these times, or none."""
    from tests.tokens import _private_key
    base = {"sub": "a", "role": "admin", "countries": ["GN"], "iss": "cfm-platform", "aud": "cfm"}
    return jwt.encode({**base, **claims}, _private_key, algorithm="EdDSA", headers={"kid": TEST_KID})


@pytest.mark.security
def test_a_token_valid_for_a_hundred_years_is_refused_even_with_a_recent_issue_time():
    now = datetime.now(UTC)
    assert refusal(mint_token(subject="a", role="admin", countries=["GN"], ttl=timedelta(days=36500))) == (
        401, "token_lifetime_too_long")
    # Claiming a recent issue time does not help: what is left of it counts too.
    late_iat = raw_token({"iat": now + timedelta(days=36499), "exp": now + timedelta(days=36500)})
    assert refusal(late_iat)[1] in ("token_lifetime_too_long", "invalid_token")


@pytest.mark.security
@pytest.mark.parametrize("times", ["none", "iat only", "exp only"])
def test_a_token_without_expiry_or_issue_time_is_refused(times):
    now = datetime.now(UTC)    # made when the test runs: a token made at import time could expire first
    claims = {"none": {}, "iat only": {"iat": now}, "exp only": {"exp": now + timedelta(minutes=5)}}[times]
    assert refusal(raw_token(claims)) == (401, "token_without_expiry")


def test_a_token_within_the_cap_is_accepted():
    token = mint_token(subject="a", role="agent", countries=["GN"], ttl=timedelta(minutes=15))
    assert principal_from_token(token, KEYS).subject == "a"


def test_no_service_may_be_configured_to_accept_tokens_longer_than_identity_issues():
    from chassis.settings import ServiceSettings, SettingsError, load_settings

    assert load_settings(ServiceSettings, "cases", environ={}).auth.max_token_lifetime == timedelta(minutes=15)
    with pytest.raises(SettingsError):
        load_settings(ServiceSettings, "cases", environ={"CFM__AUTH__MAX_TOKEN_LIFETIME": "PT10H"})
