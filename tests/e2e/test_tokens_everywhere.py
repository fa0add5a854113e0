"""Every service, each its own process, refuses a token identity did not issue as it is: expired,
tampered with, signed with a shared secret (the old HS256 way, with which any service could mint an
admin token), or not signed at all; and takes a valid one."""
import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from chassis.services import SERVICES
from tests.tokens import TEST_KID, mint_token

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def tampered(token: str) -> str:
    """The same signature over a payload that now says admin."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_every_service_refuses_tokens_identity_did_not_issue(shared_platform):
    now = datetime.now(UTC)
    claims = {"sub": "ops-1", "role": "ops", "countries": ["GN"], "iss": "cfm-platform", "aud": "cfm",
              "iat": now, "exp": now + timedelta(minutes=5)}
    valid = mint_token(subject="ops-1", role="ops", countries=["GN"])
    refused = {
        "expired": mint_token(subject="ops-1", role="ops", countries=["GN"], now=now - timedelta(minutes=20)),
        "tampered": tampered(valid),
        "shared secret": jwt.encode(claims, "dev-only-secret-change-me-0123456789abcdef", algorithm="HS256",
                                    headers={"kid": TEST_KID}),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
    }
    for service in SERVICES:
        url = f"{shared_platform.urls[service]}/admin/parked"
        assert requests.get(url, headers={"Authorization": f"Bearer {valid}"}, timeout=10).status_code == 200
        for kind, token in refused.items():
            answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert answer.status_code == 401, (service, kind)
            assert answer.json()["error"]["code"] in ("invalid_token", "expired_token"), (service, kind)
