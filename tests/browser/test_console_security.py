"""Attacks on the console's sessions, against the real platform: forged forms, stolen pages, idle screens,
expired tokens. (Plain HTTP: what a browser would send, without one.)"""
import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import requests

from tests.browser.accounts import api_token, invite

PASSWORD = "kindia river at dawn 1313"
pytestmark = pytest.mark.security


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(platform, username: str) -> requests.Session:
    """A browser-like session signed in at the console (the account accepted the code of conduct already)."""
    browser = requests.Session()
    page = browser.get(f"{platform.console}/sign-in")
    answer = browser.post(f"{platform.console}/sign-in", data={
        "csrf_token": csrf_of(page.text), "username": username, "password": PASSWORD})
    assert answer.url.endswith("/cases"), answer.url
    return browser


@pytest.fixture(scope="module")
def agent(platform):
    identity = platform.urls["identity"]
    admin = platform.accounts["admin"]
    admin_token = api_token(identity, "admin", admin["password"], admin["totp_secret"])
    invite(identity, admin_token, "agent.security", "agent", PASSWORD)
    api_token(identity, "agent.security", PASSWORD)   # accepts the code of conduct
    return "agent.security"


def session_row(platform, columns: str):
    with psycopg.connect(platform.database_url) as conn:
        return conn.execute(f"SELECT {columns} FROM console.sessions WHERE subject IS NOT NULL "
                            "ORDER BY last_seen_at DESC LIMIT 1").fetchone()


def age_session(platform, **intervals) -> None:
    with psycopg.connect(platform.database_url) as conn:
        for column, delta in intervals.items():
            conn.execute(f"UPDATE console.sessions SET {column} = %s WHERE subject IS NOT NULL",
                         [datetime.now(UTC) - delta])


def test_every_page_forbids_inline_scripts_framing_caching_and_script_access_to_the_cookie(platform, agent):
    first = requests.get(f"{platform.console}/sign-in")
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    browser = signed_in(platform, agent)
    queue = browser.get(f"{platform.console}/cases")
    for answer in (first, queue):
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
        assert not re.search(r"<[^>]+\son[a-z]+=", answer.text), "no inline event handlers"


def test_a_form_sent_without_its_csrf_token_changes_nothing(platform, agent):
    browser = signed_in(platform, agent)
    with psycopg.connect(platform.database_url) as conn:
        before = conn.execute("SELECT count(*) FROM intake.feedback").fetchone()[0]
    forged = browser.post(f"{platform.console}/calls", allow_redirects=False, data={
        "country": "GN", "channel": "hotline", "narrative": "Forged message"})
    assert forged.status_code == 303 and forged.headers["Location"] == "/sign-in"
    wrong = browser.post(f"{platform.console}/calls", allow_redirects=False, data={
        "csrf_token": "guessed", "country": "GN", "channel": "hotline", "narrative": "Forged message"})
    assert wrong.status_code == 303
    with psycopg.connect(platform.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == before


def test_the_access_token_is_refreshed_silently_before_it_expires(platform, agent):
    browser = signed_in(platform, agent)
    age_session(platform, access_expires_at=timedelta(seconds=0))   # as if 15 minutes had passed
    assert browser.get(f"{platform.console}/cases").status_code == 200
    assert session_row(platform, "access_expires_at")[0] > datetime.now(UTC) + timedelta(minutes=10)


def test_a_session_idle_for_30_minutes_is_signed_out_here_and_at_identity(platform, agent):
    browser = signed_in(platform, agent)
    ended_before = len(requests.get(f"{platform.urls['identity']}/v1/ended-sessions").json()["sessions"])
    age_session(platform, last_seen_at=timedelta(minutes=30, seconds=5))
    answer = browser.get(f"{platform.console}/cases")
    assert answer.url.endswith("/sign-in") and "30 minutes" in answer.text
    assert len(requests.get(f"{platform.urls['identity']}/v1/ended-sessions").json()["sessions"]) == ended_before + 1
    # The old cookie is worth nothing now.
    assert browser.get(f"{platform.console}/cases").url.endswith("/sign-in")
