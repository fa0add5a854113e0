"""Identity's pure rules: passwords, lockout, the steps of a sign-in, admins' scope, providers' grants."""
from datetime import UTC, datetime, timedelta

import pytest

from services.identity import domain
from services.identity.domain import FailureCount, LockoutPolicy, Refused

COMMON = domain.load_common_passwords()
NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)
POLICY = LockoutPolicy(max_failures=5, window=timedelta(minutes=15), lock_for=timedelta(minutes=15))


@pytest.mark.parametrize("password, code", [
    ("eleven char", "password_too_short"),
    ("Motdepasse2026!", "password_too_common"),
    ("123456789012", "password_too_common"),
    ("AZERTYUIOP12", "password_too_common"),
    ("aaaaaaaaaaaaaaaa", "password_too_common"),
    ("Conakry1313!!", "password_too_common"),
    ("my name is fanta.c and more", "password_contains_username"),
])
def test_weak_passwords_are_refused_with_their_reason(password, code):
    with pytest.raises(Refused) as refused:
        domain.check_password(password, username="fanta.c", common=COMMON)
    assert refused.value.code == code


def test_a_long_phrase_of_ones_own_is_accepted():
    domain.check_password("le manguier derrière la case 7", username="fanta.c", common=COMMON)


def test_the_fifth_failure_within_the_window_locks_for_the_lock_time():
    count = None
    for minute in range(5):
        assert not domain.is_locked(count, NOW + timedelta(minutes=minute))
        count = domain.after_failure(count, NOW + timedelta(minutes=minute), POLICY)
    assert domain.is_locked(count, NOW + timedelta(minutes=5))
    assert not domain.is_locked(count, NOW + timedelta(minutes=19, seconds=1))


def test_failures_spread_beyond_the_window_start_a_new_count():
    count = FailureCount(4, NOW, None)
    later = domain.after_failure(count, NOW + timedelta(minutes=16), POLICY)
    assert later.failures == 1 and later.locked_until is None


def test_the_steps_of_a_sign_in():
    mfa = frozenset({"focal_point"})
    assert domain.steps_after_password(role="agent", has_totp=False, mfa_roles=mfa, sso=False,
                                       accepted_conduct="v1", conduct_version="v1") == []
    assert domain.steps_after_password(role="focal_point", has_totp=False, mfa_roles=mfa, sso=False,
                                       accepted_conduct=None, conduct_version="v1") == ["enrol_totp", "accept_conduct"]
    assert domain.steps_after_password(role="agent", has_totp=True, mfa_roles=mfa, sso=False,
                                       accepted_conduct="v0", conduct_version="v1") == ["totp", "accept_conduct"]
    assert domain.steps_after_password(role="focal_point", has_totp=False, mfa_roles=mfa, sso=True,
                                       accepted_conduct="v1", conduct_version="v1") == []


def test_an_admin_manages_a_user_only_if_every_country_of_the_user_is_theirs():
    assert domain.may_manage(frozenset({"GN", "ML"}), ["GN"])
    assert not domain.may_manage(frozenset({"GN"}), ["GN", "ML"])
    assert not domain.may_manage(frozenset({"GN"}), [])


def test_the_first_matching_rule_of_a_provider_grants_the_role():
    mapping = [{"claim": "groups", "value": "cfm-gn-focal", "role": "focal_point", "countries": ["GN"]},
               {"claim": "department", "value": "hotline", "role": "agent", "countries": ["ML"]}]
    assert domain.grant_from_claims({"groups": ["x", "cfm-gn-focal"]}, mapping).role == "focal_point"
    assert domain.grant_from_claims({"department": "hotline"}, mapping).countries == ["ML"]
    assert domain.grant_from_claims({"groups": ["x"]}, mapping) is None


def test_development_tokens_and_demo_accounts_are_refused_outside_development():
    import base64
    import os

    from chassis.settings import load_settings
    from services.identity.commands import dev_token, seed_demo_accounts
    from services.identity.settings import IdentitySettings

    production = load_settings(IdentitySettings, "identity", environ={
        "CFM__ENVIRONMENT": "production", "CFM__SECRET_KEY": base64.b64encode(os.urandom(32)).decode()})
    with pytest.raises(SystemExit, match="development only"):
        dev_token(production, role="admin", countries=["GN"])
    with pytest.raises(SystemExit, match="development only"):
        seed_demo_accounts(production)
