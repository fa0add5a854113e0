"""Identity against real PostgreSQL and real HTTP: invitations, sign-in with its steps, lockout,
sessions and their refresh tokens, admins' scope, signing keys, and other services trusting only
identity's public keys."""
import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests

from tests.conftest import free_port, wait_for
from tests.fakes.oidc_provider import OidcProvider
from tests.tokens import TEST_JWKS, bearer

GOOD_PASSWORD = "kindia river at dawn 1313"
ADMIN_GN = bearer("admin", ("GN",), subject="admin-gn")


def start_identity(run_service, **overrides):
    """Identity trusting its own keys (fetched from itself, as in a deployment) and the test suite's (for admins)."""
    port = overrides.pop("port", None) or free_port()
    return run_service("identity", http={"port": port}, auth=trusting(f"http://127.0.0.1:{port}", TEST_JWKS),
                       **overrides)


def trusting(identity_url: str, also=None) -> dict:
    """Auth settings of a service that trusts the identity at `identity_url` (and `also` those keys)."""
    return {"jwks": also, "jwks_url": f"{identity_url}/.well-known/jwks.json",
            "revocations_url": f"{identity_url}/v1/ended-sessions", "revocations_refresh_seconds": 0.1}


@pytest.fixture
def identity(run_service, db):
    return start_identity(run_service)


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def invite(identity, username: str, role: str = "agent", countries=("GN",), org=None, admin=ADMIN_GN) -> requests.Response:
    return requests.post(f"{identity.url}/v1/users", headers=admin, json={
        "username": username, "display_name": username.title(), "role": role, "countries": list(countries),
        "org": org})


def link_secret(answer: requests.Response) -> str:
    return urlsplit(answer.json()["link"]).fragment


def new_user(identity, username: str, role: str = "agent", **kwargs) -> None:
    answer = invite(identity, username, role, **kwargs)
    assert answer.status_code == 201, answer.text
    used = requests.post(f"{identity.url}/v1/links/use", json={"link": link_secret(answer), "password": GOOD_PASSWORD})
    assert used.status_code == 200, used.text


def sign_in(identity, username: str, password: str = GOOD_PASSWORD) -> requests.Response:
    return requests.post(f"{identity.url}/v1/sign-in", json={"username": username, "password": password})


def accept_conduct(identity, step: dict) -> dict:
    assert step["next_step"] == "accept_conduct"
    version = requests.get(f"{identity.url}/v1/conduct").json()["version"]
    return requests.post(f"{identity.url}/v1/sign-in/conduct",
                         json={"challenge": step["challenge"], "version": version}).json()


def signed_in_agent(identity, username: str = "mariama") -> dict:
    new_user(identity, username)
    return accept_conduct(identity, sign_in(identity, username).json())


def test_an_invited_agent_sets_a_password_accepts_the_code_of_conduct_and_gets_short_lived_tokens(identity, db):
    invitation = invite(identity, "mariama")
    assert invitation.status_code == 201
    secret = link_secret(invitation)
    assert db.execute("SELECT count(*) FROM identity.account_links WHERE link_hash = %s",
                      [secret.encode()]).fetchone()[0] == 0, "only a hash of the link is stored"

    for weak, code in (("short pass", "password_too_short"), ("Password2026!!", "password_too_common"),
                       ("azertyuiop123", "password_too_common"), ("mariama-is-my-name", "password_contains_username")):
        refused = requests.post(f"{identity.url}/v1/links/use", json={"link": secret, "password": weak})
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, code), weak
    # A refused password does not spend the link... but a used one is gone.
    assert requests.post(f"{identity.url}/v1/links/use", json={"link": secret, "password": GOOD_PASSWORD}).status_code == 200
    again = requests.post(f"{identity.url}/v1/links/use", json={"link": secret, "password": GOOD_PASSWORD})
    assert (again.status_code, again.json()["error"]["code"]) == (410, "link_not_valid")

    first = sign_in(identity, "Mariama").json()
    assert first["status"] == "next_step" and first["access_token"] is None
    tokens = accept_conduct(identity, first)
    assert tokens["status"] == "signed_in" and tokens["expires_in"] <= 15 * 60
    claims = claims_of(tokens["access_token"])
    assert claims["role"] == "agent" and claims["countries"] == ["GN"] and claims["exp"] - claims["iat"] <= 900
    assert "name" not in claims and "mariama" not in json.dumps(claims).lower()
    me = requests.get(f"{identity.url}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["role"] == "agent"
    # The acceptance is recorded: the next sign-in asks nothing more.
    assert sign_in(identity, "mariama").json()["status"] == "signed_in"
    assert db.execute("SELECT conduct_version FROM identity.users").fetchone()[0] == "2026-11"


def test_a_focal_point_must_enrol_a_second_factor_and_then_sign_in_with_it_or_a_recovery_code(identity):
    new_user(identity, "focal.gn", "focal_point")
    step = sign_in(identity, "focal.gn").json()
    assert step["next_step"] == "enrol_totp"
    enrolment = requests.post(f"{identity.url}/v1/sign-in/totp-enrolment", json={"challenge": step["challenge"]}).json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(enrolment["secret"])
    wrong = requests.post(f"{identity.url}/v1/sign-in/totp-enrolment/confirm",
                          json={"challenge": step["challenge"], "code": "000000" if totp.now() != "000000" else "111111"})
    assert wrong.json()["error"]["code"] == "invalid_code"
    confirmed = requests.post(f"{identity.url}/v1/sign-in/totp-enrolment/confirm",
                              json={"challenge": step["challenge"], "code": totp.now()}).json()
    recovery_codes = confirmed["recovery_codes"]
    assert len(recovery_codes) == 10 and confirmed["next_step"] == "accept_conduct"
    assert accept_conduct(identity, confirmed)["status"] == "signed_in"

    # Next time: password, then the code from the app (the enrolment's own code is spent: the next one).
    next_code = totp.at(time.time() + 30)
    step = sign_in(identity, "focal.gn").json()
    assert step["next_step"] == "totp"
    done = requests.post(f"{identity.url}/v1/sign-in/totp", json={"challenge": step["challenge"], "code": next_code})
    assert done.json()["status"] == "signed_in"
    # Someone who saw the code over her shoulder cannot use it again, even within its 30 seconds.
    step = sign_in(identity, "focal.gn").json()
    replay = requests.post(f"{identity.url}/v1/sign-in/totp", json={"challenge": step["challenge"], "code": next_code})
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "invalid_code")
    # A lost phone: a recovery code works, once.
    for expected in ("signed_in", "invalid_code"):
        step = sign_in(identity, "focal.gn").json()
        answer = requests.post(f"{identity.url}/v1/sign-in/totp",
                               json={"challenge": step["challenge"], "code": recovery_codes[0].upper()}).json()
        assert answer.get("status", answer.get("error", {}).get("code")) == expected


def test_the_password_step_alone_never_gives_a_token_to_a_role_that_needs_a_second_factor(identity):
    new_user(identity, "partner.gn", "partner", org="gn-protection-partner")
    step = sign_in(identity, "partner.gn").json()
    skipped = requests.post(f"{identity.url}/v1/sign-in/conduct", json={"challenge": step["challenge"],
                                                                          "version": "2026-11"})
    assert (skipped.status_code, skipped.json()["error"]["code"]) == (409, "wrong_step")


@pytest.mark.security
def test_failed_sign_ins_lock_the_account_and_say_the_same_whether_it_exists_or_not(run_service, db):
    identity = start_identity(run_service, lockout={"max_failures": 3, "max_failures_per_address": 100})
    new_user(identity, "mariama")
    answers = {name: [sign_in(identity, name, "wrong password 123") for _ in range(3)]
               for name in ("mariama", "nobody-here")}
    for name, tries in answers.items():
        assert [(a.status_code, a.json()["error"]["code"]) for a in tries] == [(401, "invalid_credentials")] * 3, name
    # Locked: even the right password is refused now, and an unknown name is locked alike.
    for name in ("mariama", "nobody-here"):
        locked = sign_in(identity, name, GOOD_PASSWORD)
        assert (locked.status_code, locked.json()["error"]["code"]) == (429, "too_many_failures")
        assert int(locked.headers["Retry-After"]) > 0
    # Another account from the same address is not locked by them.
    new_user(identity, "ousmane")
    assert sign_in(identity, "ousmane").status_code == 200


@pytest.mark.security
def test_many_failures_from_one_address_lock_that_address(run_service, db):
    identity = start_identity(run_service, lockout={"max_failures": 100, "max_failures_per_address": 4})
    new_user(identity, "mariama")
    for number in range(4):
        assert sign_in(identity, f"guess-{number}", "wrong password 123").status_code == 401
    assert sign_in(identity, "mariama").status_code == 429


@pytest.mark.security
def test_a_refresh_token_works_once_and_its_reuse_ends_the_session(identity):
    tokens = signed_in_agent(identity)
    renewed = requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]}).json()
    assert renewed["status"] == "signed_in" and renewed["refresh_token"] != tokens["refresh_token"]
    stolen = requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]})
    assert (stolen.status_code, stolen.json()["error"]["code"]) == (401, "session_ended")
    # The thief's replay ended the session: the rightful holder's newer token is dead too.
    after = requests.post(f"{identity.url}/v1/token", json={"refresh_token": renewed["refresh_token"]})
    assert after.json()["error"]["code"] == "session_ended"


def test_signing_out_and_disabling_a_user_end_their_sessions(identity, db):
    tokens = signed_in_agent(identity)
    out = requests.post(f"{identity.url}/v1/sign-out", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert out.status_code == 200
    assert requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]}).status_code == 401

    tokens = sign_in(identity, "mariama").json()
    user_id = db.execute("SELECT user_id FROM identity.users").fetchone()[0]
    disabled = requests.post(f"{identity.url}/v1/users/{user_id}/disable", headers=ADMIN_GN).json()
    assert disabled["sessions_ended"] == 1
    assert requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert sign_in(identity, "mariama").json()["error"]["code"] == "invalid_credentials"


@pytest.mark.security
def test_an_admin_manages_only_the_users_of_their_countries(identity):
    admin_ml = bearer("admin", ("ML",), subject="admin-ml")
    assert invite(identity, "agent.ml", countries=("ML",), admin=admin_ml).status_code == 201
    refused = invite(identity, "agent.ml2", countries=("ML",))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "country_not_in_scope")
    assert invite(identity, "both", countries=("GN", "ML")).status_code == 403
    listed = requests.get(f"{identity.url}/v1/users", headers=ADMIN_GN).json()["users"]
    assert listed == []
    ml_user = requests.get(f"{identity.url}/v1/users", headers=admin_ml).json()["users"][0]
    for action in ("disable", "reset-link", "enable", "reset-second-factor"):
        answer = requests.post(f"{identity.url}/v1/users/{ml_user['user_id']}/{action}", headers=ADMIN_GN)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "user_not_found")
    assert requests.get(f"{identity.url}/v1/users/{ml_user['user_id']}", headers=ADMIN_GN).status_code == 404
    assert requests.get(f"{identity.url}/v1/users/{ml_user['user_id']}", headers=admin_ml).json()["username"] == \
        "agent.ml"
    agents_cannot = requests.get(f"{identity.url}/v1/users", headers=bearer("agent"))
    assert agents_cannot.status_code == 403


def test_a_reset_link_replaces_the_password_and_ends_the_sessions(identity, db):
    tokens = signed_in_agent(identity)
    user_id = db.execute("SELECT user_id FROM identity.users").fetchone()[0]
    reset = requests.post(f"{identity.url}/v1/users/{user_id}/reset-link", headers=ADMIN_GN)
    assert reset.status_code == 201
    new_password = "a new phrase for labe 2027"
    assert requests.post(f"{identity.url}/v1/links/use",
                         json={"link": link_secret(reset), "password": new_password}).status_code == 200
    assert requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert sign_in(identity, "mariama").status_code == 401
    assert sign_in(identity, "mariama", new_password).json()["status"] == "signed_in"


@pytest.mark.security
def test_other_services_trust_identity_keys_fetched_from_its_jwks_and_nothing_else(identity, run_service):
    cases = run_service("cases", auth=trusting(identity.url))
    tokens = signed_in_agent(identity)
    agent = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{cases.url}/v1/cases", headers=agent).status_code == 200

    # A new key: the JWKS publishes both, and cases fetches it again when a token names the new one.
    from services.identity.commands import rotate_key
    new_kid = rotate_key(identity.settings)
    published = requests.get(f"{identity.url}/.well-known/jwks.json").json()["keys"]
    assert len(published) == 2 and new_kid in {key["kid"] for key in published}
    newer = requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]}).json()
    assert claims_of(newer["access_token"]) and json.loads(base64.urlsafe_b64decode(
        newer["access_token"].split(".")[0] + "==="))["kid"] == new_kid
    # Cases fetches identity's keys at most once a second, so the new key is trusted within that second.
    assert wait_for(lambda: requests.get(f"{cases.url}/v1/cases", headers={
        "Authorization": f"Bearer {newer['access_token']}"}).status_code == 200, timeout=5, interval=0.2)
    # A token signed before the rotation still works until it expires.
    assert requests.get(f"{cases.url}/v1/cases", headers=agent).status_code == 200

    # A token minted by anyone else (here: the test suite's own key) is refused by cases.
    forged = requests.get(f"{cases.url}/v1/cases", headers=bearer("focal_point"))
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_token")


@pytest.fixture
def provider_and_identity(run_service, db):
    port = free_port()
    identity_port = free_port()
    redirect_uri = f"http://127.0.0.1:{identity_port}/v1/sso/keycloak/callback"
    with OidcProvider(port, "cfm-console", "provider-client-secret", redirect_uri) as provider:
        identity = start_identity(run_service, port=identity_port,
                                  public_url=f"http://127.0.0.1:{identity_port}", providers={"keycloak": {
                                   "name": "IOM Keycloak", "issuer": provider.issuer, "client_id": "cfm-console",
                                   "client_secret": "provider-client-secret", "mapping": [
                                       {"claim": "groups", "value": "cfm-gn-focal", "role": "focal_point",
                                        "countries": ["GN"]},
                                       {"claim": "groups", "value": "cfm-gn-agents", "role": "agent",
                                        "countries": ["GN"]}]}})
        yield provider, identity


def sso_round_trip(identity) -> dict:
    """The browser's journey: identity -> provider -> identity -> console, redirects followed as a browser would."""
    browser = requests.Session()
    answer = browser.get(f"{identity.url}/v1/sso/keycloak/start", allow_redirects=False)
    while answer.status_code == 302 and not answer.headers["Location"].startswith(identity.settings.console_url):
        answer = browser.get(answer.headers["Location"], allow_redirects=False)
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_sign_in_with_the_organisation_provider_creates_the_user_and_disables_them_when_the_mapping_stops(
        provider_and_identity, db):
    provider, identity = provider_and_identity
    provider.signed_in_as = {"sub": "kc-7781", "name": "Aissatou B.", "groups": ["staff", "cfm-gn-focal"]}
    landed = sso_round_trip(identity)
    assert provider.token_requests == 1
    step = requests.post(f"{identity.url}/v1/sign-in/sso", json={"code": landed["code"][0]}).json()
    tokens = accept_conduct(identity, step)
    claims = claims_of(tokens["access_token"])
    assert (claims["role"], claims["countries"]) == ("focal_point", ["GN"])
    # The one-time code cannot be traded twice.
    assert requests.post(f"{identity.url}/v1/sign-in/sso", json={"code": landed["code"][0]}).status_code == 401

    # The organisation moves her to the agents' group: her role follows at the next sign-in.
    provider.signed_in_as = {**provider.signed_in_as, "groups": ["cfm-gn-agents"]}
    step = requests.post(f"{identity.url}/v1/sign-in/sso", json={"code": sso_round_trip(identity)["code"][0]}).json()
    assert claims_of(step["access_token"])["role"] == "agent"

    # ...then removes her from every group: she is disabled and her sessions end.
    provider.signed_in_as = {**provider.signed_in_as, "groups": ["staff"]}
    assert sso_round_trip(identity) == {"error": ["no_access"]}
    assert db.execute("SELECT disabled_reason FROM identity.users").fetchone()[0] == "no_role_granted"
    assert requests.post(f"{identity.url}/v1/token", json={"refresh_token": step["refresh_token"]}).status_code == 401


@pytest.mark.security
def test_a_callback_with_a_forged_state_or_a_replayed_code_is_refused(provider_and_identity):
    provider, identity = provider_and_identity
    provider.signed_in_as = {"sub": "kc-1", "name": "X", "groups": ["cfm-gn-agents"]}
    forged = requests.get(f"{identity.url}/v1/sso/keycloak/callback", params={"state": "made-up", "code": "abc"},
                          allow_redirects=False)
    assert parse_qs(urlsplit(forged.headers["Location"]).query) == {"error": ["sso_state_invalid"]}
    assert provider.token_requests == 0
    unknown = requests.get(f"{identity.url}/v1/sso/nowhere/start", allow_redirects=False)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_provider")


@pytest.mark.security
def test_the_access_token_of_an_ended_session_is_refused_by_other_services_within_seconds(identity, run_service, db):
    cases = run_service("cases", auth=trusting(identity.url))
    tokens = signed_in_agent(identity)
    agent = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{cases.url}/v1/cases", headers=agent).status_code == 200
    user_id = db.execute("SELECT user_id FROM identity.users").fetchone()[0]
    assert requests.post(f"{identity.url}/v1/users/{user_id}/disable", headers=ADMIN_GN).status_code == 200

    def refused():
        answer = requests.get(f"{cases.url}/v1/cases", headers=agent)
        return answer.status_code == 401 and answer.json()["error"]["code"] == "session_ended"
    assert wait_for(refused, timeout=5, interval=0.1)
    assert requests.get(f"{identity.url}/v1/me", headers=agent).status_code == 401


@pytest.mark.security
def test_a_partner_system_gets_tokens_with_client_credentials_until_its_client_is_revoked(identity, run_service):
    referrals = run_service("referrals", auth=trusting(identity.url))
    created = requests.post(f"{identity.url}/v1/clients", headers=ADMIN_GN, json={
        "name": "Protection partner case system", "role": "partner", "countries": ["GN"],
        "org": "gn-protection-partner"})
    assert created.status_code == 201
    client_id, secret = created.json()["client"]["client_id"], created.json()["client_secret"]
    listed = requests.get(f"{identity.url}/v1/clients", headers=ADMIN_GN).json()["clients"]
    assert [c["client_id"] for c in listed] == [client_id] and "client_secret" not in json.dumps(listed)

    def token(password=secret):
        return requests.post(f"{identity.url}/v1/oauth/token", auth=(client_id, password),
                             data={"grant_type": "client_credentials"})
    assert token("not-the-secret").json() == {"error": "invalid_client"}
    issued = token().json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] <= 900
    partner = {"Authorization": f"Bearer {issued['access_token']}"}
    assert requests.get(f"{referrals.url}/v1/referrals", headers=partner).status_code == 200

    assert requests.post(f"{identity.url}/v1/clients/{client_id}/revoke", headers=ADMIN_GN).status_code == 200
    assert token().status_code == 401
    assert wait_for(lambda: requests.get(f"{referrals.url}/v1/referrals", headers=partner).status_code == 401,
                    timeout=5, interval=0.1)
    # An admin of another country can neither see nor revoke it.
    other = bearer("admin", ("ML",))
    assert requests.get(f"{identity.url}/v1/clients", headers=other).json()["clients"] == []


@pytest.mark.security
def test_a_locked_account_opens_again_when_the_lock_time_is_over(run_service, db):
    identity = start_identity(run_service, lockout={"max_failures": 2, "lock_for": "PT1S"})
    new_user(identity, "mariama")
    for _ in range(2):
        sign_in(identity, "mariama", "wrong password 123")
    assert sign_in(identity, "mariama").status_code == 429
    assert wait_for(lambda: sign_in(identity, "mariama").status_code == 200, timeout=10, interval=0.5)


@pytest.mark.security
def test_the_account_log_is_chained_append_only_and_read_by_the_admins_of_the_users_countries(identity, db):
    from tools.audit_verify import verify_table

    new_user(identity, "focal.gn", "focal_point")
    sign_in(identity, "focal.gn", "wrong password 123")
    step = sign_in(identity, "focal.gn").json()
    enrolment = requests.post(f"{identity.url}/v1/sign-in/totp-enrolment", json={"challenge": step["challenge"]}).json()
    requests.post(f"{identity.url}/v1/sign-in/totp-enrolment/confirm",
                  json={"challenge": step["challenge"], "code": pyotp.TOTP(enrolment["secret"]).now()})
    log = requests.get(f"{identity.url}/v1/audit", headers=ADMIN_GN).json()["events"]
    actions = [event["action"] for event in reversed(log)]
    assert actions == ["created", "invitation_used", "sign_in_failed:password", "password_accepted",
                       "totp_enrolled"]
    assert all(event["client_address"] == "127.0.0.1" for event in log if event["action"] != "created")
    assert requests.get(f"{identity.url}/v1/audit", headers=bearer("admin", ("ML",))).json()["events"] == []
    assert requests.get(f"{identity.url}/v1/audit", params={"from": "yesterday"},
                        headers=ADMIN_GN).json()["error"]["code"] == "invalid_filter"

    for statement in ("UPDATE identity.account_events SET action = 'nothing'", "DELETE FROM identity.account_events",
                      "TRUNCATE identity.account_events"):
        with pytest.raises(Exception) as refused:
            db.execute(statement)
        assert "append-only" in str(refused.value)
    report = verify_table(db, "identity", "account_events")
    assert report.broken_at is None and report.rows == len(log) and report.head


@pytest.mark.security
def test_an_admin_changes_a_users_access_disables_enables_and_resets_their_second_factor_but_never_their_own(
        identity, db):
    new_user(identity, "focal.gn", "focal_point")
    step = sign_in(identity, "focal.gn").json()
    secret = requests.post(f"{identity.url}/v1/sign-in/totp-enrolment", json={"challenge": step["challenge"]}).json()
    enrolled = requests.post(f"{identity.url}/v1/sign-in/totp-enrolment/confirm", json={
        "challenge": step["challenge"], "code": pyotp.TOTP(secret["secret"]).now()}).json()
    tokens = accept_conduct(identity, enrolled)
    user_id = db.execute("SELECT user_id FROM identity.users").fetchone()[0]
    users = f"{identity.url}/v1/users/{user_id}"

    # A lost phone: the second factor goes, the session ends, the next sign-in enrols a new app.
    reset = requests.post(f"{users}/reset-second-factor", headers=ADMIN_GN)
    assert reset.json() == {"sessions_ended": 1}
    assert requests.post(f"{identity.url}/v1/token", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert sign_in(identity, "focal.gn").json()["next_step"] == "enrol_totp"

    # A new role: within the admin's countries only.
    wider = requests.post(f"{users}/access", headers=ADMIN_GN, json={"role": "supervisor", "countries": ["GN", "ML"]})
    assert (wider.status_code, wider.json()["error"]["code"]) == (403, "country_not_in_scope")
    changed = requests.post(f"{users}/access", headers=ADMIN_GN, json={"role": "supervisor", "countries": ["GN"]})
    assert (changed.json()["role"], changed.json()["countries"]) == ("supervisor", ["GN"])

    # Disabled, then let back in with the password they had.
    requests.post(f"{users}/disable", headers=ADMIN_GN)
    assert sign_in(identity, "focal.gn").status_code == 401
    enabled = requests.post(f"{users}/enable", headers=ADMIN_GN)
    assert enabled.json()["disabled_at"] is None
    assert sign_in(identity, "focal.gn").json()["status"] == "signed_in"

    # An admin cannot raise, widen, disable or reset themselves.
    admin_self = bearer("admin", ("GN",), subject=str(user_id))
    for action, body in (("access", {"role": "admin", "countries": ["GN"]}), ("disable", None),
                         ("reset-second-factor", None)):
        refused = requests.post(f"{users}/{action}", headers=admin_self, json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "own_account"), action
    assert db.execute("SELECT role FROM identity.users").fetchone()[0] == "supervisor"

    log = [event["action"] for event in requests.get(f"{identity.url}/v1/audit", headers=ADMIN_GN,
                                                     params={"user": str(user_id)}).json()["events"]
           if event["actor"] == "admin-gn"]
    assert log[:4] == ["enabled", "disabled", "access_changed:focal_point>supervisor:GN>GN", "second_factor_reset"]
