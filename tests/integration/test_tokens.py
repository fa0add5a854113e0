"""Token lifetimes at a real service running outside development."""
import base64
import os
from datetime import timedelta

import pytest
import requests

from chassis.settings import _Whole
from tests.tokens import mint_token


@pytest.mark.security
def test_a_service_in_production_refuses_a_long_lived_token_and_takes_a_quarter_hour_one(run_service, db):
    # Its own master key: production refuses the development one (chassis.settings._Whole: the ring given whole).
    cases = run_service("cases", environment="production", data_keys={
        "active_key_id": "m1", "keys": _Whole({"m1": base64.b64encode(os.urandom(32)).decode()})})

    def list_cases(ttl):
        token = mint_token(subject="s", role="supervisor", countries=["GN"], ttl=ttl)
        return requests.get(f"{cases.url}/v1/cases", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    century = list_cases(timedelta(days=36500))
    assert (century.status_code, century.json()["error"]["code"]) == (401, "token_lifetime_too_long")
    assert 'error="token_lifetime_too_long"' in century.headers["WWW-Authenticate"]
    hour = list_cases(timedelta(hours=1))     # what the shared-secret tokens were allowed is too long now
    assert (hour.status_code, hour.json()["error"]["code"]) == (401, "token_lifetime_too_long")
    assert list_cases(timedelta(minutes=15)).status_code == 200
