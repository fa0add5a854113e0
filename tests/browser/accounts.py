"""Signing in through identity's API (for the set-up a journey needs, never for the journey itself)."""
import time

import pyotp
import requests


def api_token(identity_url: str, username: str, password: str, totp_secret: str | None = None) -> str:
    """A token for `username`. A TOTP code is good once: when a journey's browser just spent this one, the
    sign-in is done again with the next one."""
    for attempt in range(2):
        step = requests.post(f"{identity_url}/v1/sign-in", json={"username": username, "password": password}).json()
        while step.get("status") == "next_step":
            if step["next_step"] == "totp":
                step = requests.post(f"{identity_url}/v1/sign-in/totp", json={
                    "challenge": step["challenge"], "code": pyotp.TOTP(totp_secret).now()}).json()
            elif step["next_step"] == "accept_conduct":
                version = requests.get(f"{identity_url}/v1/conduct").json()["version"]
                step = requests.post(f"{identity_url}/v1/sign-in/conduct", json={
                    "challenge": step["challenge"], "version": version}).json()
            else:
                raise AssertionError(f"unexpected step {step}")
        if "access_token" in step:
            return step["access_token"]
        if attempt == 0 and step.get("error", {}).get("code") == "invalid_code":
            time.sleep(30 - time.time() % 30 + 0.5)  # the next code
    raise AssertionError(f"could not sign in as {username}: {step}")


def invite(identity_url: str, admin_token: str, username: str, role: str, password: str, countries=("GN",)) -> None:
    answer = requests.post(f"{identity_url}/v1/users", headers={"Authorization": f"Bearer {admin_token}"}, json={
        "username": username, "display_name": username, "role": role, "countries": list(countries)})
    assert answer.status_code == 201, answer.text
    secret = answer.json()["link"].split("#", 1)[1]
    used = requests.post(f"{identity_url}/v1/links/use", json={"link": secret, "password": password})
    assert used.status_code == 200, used.text


def enrolled_account(identity_url: str, admin_token: str, username: str, role: str, password: str,
                     countries=("GN",)) -> str:
    """An invited account that enrolled its second factor and accepted the code of conduct (through the API);
    returns its TOTP secret. The enrolment spent the current code: sign in with the next one."""
    invite(identity_url, admin_token, username, role, password, countries)
    step = requests.post(f"{identity_url}/v1/sign-in", json={"username": username, "password": password}).json()
    assert step.get("next_step") == "enrol_totp", step
    secret = requests.post(f"{identity_url}/v1/sign-in/totp-enrolment", json={"challenge": step["challenge"]}).json()
    step = requests.post(f"{identity_url}/v1/sign-in/totp-enrolment/confirm", json={
        "challenge": step["challenge"], "code": pyotp.TOTP(secret["secret"]).now()}).json()
    version = requests.get(f"{identity_url}/v1/conduct").json()["version"]
    done = requests.post(f"{identity_url}/v1/sign-in/conduct",
                         json={"challenge": step["challenge"], "version": version})
    assert done.json()["status"] == "signed_in", done.text
    return secret["secret"]
