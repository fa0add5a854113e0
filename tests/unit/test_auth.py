from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import mint_token, principal_from_token
from chassis.errors import ApiError

SECRET = "test-secret-0123456789abcdef0123456789"


def test_a_minted_token_names_the_caller_role_and_countries():
    token = mint_token(SECRET, subject="agent-7", role="partner", countries=["GN", "ML"], organisation="ngo-1")
    principal = principal_from_token(token, SECRET)
    assert (principal.subject, principal.role, principal.organisation) == ("agent-7", "partner", "ngo-1")
    assert principal.countries == {"GN", "ML"}


def test_an_expired_token_is_refused_with_its_reason():
    token = mint_token(SECRET, subject="a", role="agent", countries=["GN"],
                       now=datetime.now(UTC) - timedelta(hours=9), ttl=timedelta(hours=8))
    with pytest.raises(ApiError) as refused:
        principal_from_token(token, SECRET)
    assert (refused.value.status, refused.value.code) == (401, "expired_token")


def test_a_token_signed_with_another_key_is_refused():
    token = mint_token("another-secret-0123456789abcdef012345", subject="a", role="agent", countries=["GN"])
    with pytest.raises(ApiError) as refused:
        principal_from_token(token, SECRET)
    assert refused.value.code == "invalid_token"


def test_an_unknown_role_is_refused():
    token = mint_token(SECRET, subject="a", role="superuser", countries=["GN"])
    with pytest.raises(ApiError) as refused:
        principal_from_token(token, SECRET)
    assert refused.value.code == "invalid_token"


def test_scope_checks_answer_403_with_a_reason():
    principal = principal_from_token(mint_token(SECRET, subject="a", role="agent", countries=["GN"]), SECRET)
    with pytest.raises(ApiError) as refused:
        principal.require_country("ML")
    assert (refused.value.status, refused.value.code) == (403, "country_not_in_scope")
    with pytest.raises(ApiError) as refused:
        principal.require_role("ops")
    assert refused.value.code == "role_not_allowed"
    assert not principal.sees_restricted_cases
