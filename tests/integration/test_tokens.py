"""Token lifetimes at a real service running outside development."""
from datetime import timedelta

import pytest
import requests

from chassis.auth import mint_token

PRODUCTION_SECRET = "a-production-jwt-secret-for-this-test-0123456789"


@pytest.mark.security
def test_a_service_in_production_refuses_a_long_lived_token_and_takes_an_hour_long_one(run_service, db):
    cases = run_service("cases", environment="production", auth={"jwt_secret": PRODUCTION_SECRET})

    def list_cases(ttl):
        token = mint_token(PRODUCTION_SECRET, subject="s", role="supervisor", countries=["GN"], ttl=ttl)
        return requests.get(f"{cases.url}/v1/cases", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    century = list_cases(timedelta(days=36500))
    assert (century.status_code, century.json()["error"]["code"]) == (401, "token_lifetime_too_long")
    assert 'error="token_lifetime_too_long"' in century.headers["WWW-Authenticate"]
    day = list_cases(timedelta(hours=8))  # what development hands out is too long here
    assert (day.status_code, day.json()["error"]["code"]) == (401, "token_lifetime_too_long")
    assert list_cases(timedelta(hours=1)).status_code == 200
