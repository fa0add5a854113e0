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


def forged(claims: dict) -> str:
    import jwt
    base = {"sub": "a", "role": "admin", "countries": ["GN"], "iss": "cfm-platform", "aud": "cfm"}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


@pytest.mark.security
def test_a_token_valid_for_a_hundred_years_is_refused():
    now = datetime.now(UTC)
    token = mint_token(SECRET, subject="a", role="admin", countries=["GN"], ttl=timedelta(days=36500))
    with pytest.raises(ApiError) as refused:
        principal_from_token(token, SECRET, max_lifetime=timedelta(hours=1))
    assert (refused.value.status, refused.value.code) == (401, "token_lifetime_too_long")
    # Claiming a recent issue time does not help: what is left of it counts too.
    late_iat = forged({"iat": now + timedelta(days=36499), "exp": now + timedelta(days=36500)})
    with pytest.raises(ApiError) as refused:
        principal_from_token(late_iat, SECRET, max_lifetime=timedelta(hours=1))
    assert refused.value.code in ("token_lifetime_too_long", "invalid_token")


@pytest.mark.security
@pytest.mark.parametrize("claims", [{}, {"iat": datetime.now(UTC)}, {"exp": datetime.now(UTC) + timedelta(minutes=5)}])
def test_a_token_without_expiry_or_issue_time_is_refused(claims):
    with pytest.raises(ApiError) as refused:
        principal_from_token(forged(claims), SECRET)
    assert (refused.value.status, refused.value.code) == (401, "token_without_expiry")


def test_a_token_within_the_cap_is_accepted():
    token = mint_token(SECRET, subject="a", role="agent", countries=["GN"], ttl=timedelta(minutes=60))
    assert principal_from_token(token, SECRET, max_lifetime=timedelta(hours=1)).subject == "a"


def test_the_cap_is_an_hour_outside_development_and_cannot_be_raised_there():
    from chassis.settings import ServiceSettings, SettingsError, load_settings

    production = {"CFM__ENVIRONMENT": "production", "CFM__AUTH__JWT_SECRET": "a-production-secret-0123456789abcdef"}
    assert load_settings(ServiceSettings, "cases", environ=production).auth.max_token_minutes == 60
    assert load_settings(ServiceSettings, "cases", environ={}).auth.max_token_minutes == 24 * 60
    with pytest.raises(SettingsError):
        load_settings(ServiceSettings, "cases", environ={**production, "CFM__AUTH__MAX_TOKEN_MINUTES": "600"})
