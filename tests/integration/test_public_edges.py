"""Attacks on the public edges, against a real intake over real sockets: slow and greedy clients
(chassis/server.py). Every test here performs the attack and asserts the harm is gone."""
import json
import socket

import eventlet
import pytest
import requests

from contracts.snapshots import EXAMPLE_DIR
from tests.channel_payloads import ENDPOINT_SECRETS, post_twilio, twilio_form
from tests.conftest import wait_for

pytestmark = pytest.mark.security

AGENT_ENTRY = json.loads((EXAMPLE_DIR / "http.FeedbackSubmission.json").read_text())


def slow_client(intake, source: str, path: str = "/v1/feedback", body_sent: bytes = b'{"coun',
                headers_complete: bool = True) -> socket.socket:
    """A connection from `source` (any 127.x address is this machine) that announces a 500-byte
    body and sends only its first bytes, then nothing more."""
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", intake.settings.http.port))
    head = (f"POST {path} HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n"
            f"Content-Length: 500\r\n")
    sock.sendall((head + "\r\n").encode() + body_sent if headers_complete else head.encode())
    return sock


def answer_of(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def waiting(sock: socket.socket) -> bool:
    """Whether the server still holds this connection open without having answered."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b"" and False
    except BlockingIOError:
        return True


def close_all(socks):
    for sock in socks:
        sock.close()


@pytest.fixture
def intake_under_attack(run_service):
    # The body deadline is long here so that the slow clients are still open while we check.
    return run_service("intake", endpoints=ENDPOINT_SECRETS,
                       http={"body_timeout_seconds": 60, "header_timeout_seconds": 60,
                             "max_connections_per_address": 8})


def test_two_hundred_slow_clients_do_not_silence_the_hotline_or_sms(intake_under_attack, db):
    intake = intake_under_attack
    # 200 slow connections from 25 addresses, 8 each: every worker would be held ten times over.
    slow = [slow_client(intake, f"127.0.0.{2 + n // 8}") for n in range(200)]
    # The same address trying for more is turned away at once, the others stay.
    greedy = [slow_client(intake, "127.0.0.2") for _ in range(3)]
    try:
        for sock in greedy:
            refused = answer_of(sock)
            assert refused.startswith(b"HTTP/1.1 429") and b'"too_many_connections"' in refused
        assert requests.get(f"{intake.url}/health/live", timeout=5).status_code == 200
        hotline = requests.post(f"{intake.url}/v1/feedback", json=AGENT_ENTRY, headers=intake.headers(), timeout=5)
        assert hotline.status_code == 202
        sms = post_twilio(intake.url, twilio_form())
        assert sms.status_code == 200
        assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 2
        # ...while the slow clients are still connected and waited for.
        assert all(waiting(sock) for sock in slow)
    finally:
        close_all(slow + greedy)


@pytest.fixture
def impatient_intake(run_service):
    return run_service("intake", endpoints=ENDPOINT_SECRETS,
                       http={"body_timeout_seconds": 1, "header_timeout_seconds": 1})


def test_a_stalled_body_gets_408_and_the_connection_is_closed(impatient_intake, db):
    sock = slow_client(impatient_intake, "127.0.0.5")
    try:
        answer = answer_of(sock)  # returns only once the server has closed the connection
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
    assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 0


def test_headers_sent_a_line_at_a_time_get_408_and_the_connection_is_closed(impatient_intake):
    sock = slow_client(impatient_intake, "127.0.0.6", headers_complete=False)
    try:
        answer = answer_of(sock)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408") and b'"request_timeout"' in answer


def test_a_body_larger_than_allowed_is_refused_before_it_is_read(impatient_intake):
    sock = socket.create_connection(("127.0.0.1", impatient_intake.settings.http.port))
    try:
        sock.sendall(b"POST /v1/feedback HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 999999999\r\n\r\n{")
        answer = answer_of(sock)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413") and b'"body_too_large"' in answer


def test_the_service_keeps_answering_after_slow_clients_are_dropped(impatient_intake):
    socks = [slow_client(impatient_intake, "127.0.0.7") for _ in range(20)]
    try:
        for sock in socks:
            assert answer_of(sock).startswith(b"HTTP/1.1 408")
    finally:
        close_all(socks)
    assert wait_for(lambda: requests.get(f"{impatient_intake.url}/health/live", timeout=5).status_code == 200)
    chunked = requests.post(f"{impatient_intake.url}/v1/feedback",
                            headers={**impatient_intake.headers(), "Content-Type": "application/json"},
                            data=iter([json.dumps(AGENT_ENTRY).encode()]))  # chunked transfer encoding
    assert chunked.status_code == 202


def test_an_unknown_address_is_a_json_404(impatient_intake):
    answer = requests.get(f"{impatient_intake.url}/wp-admin", timeout=5)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    answer = requests.delete(f"{impatient_intake.url}/v1/feedback", timeout=5)
    assert answer.status_code == 405 and answer.json()["error"]["code"] == "method_not_allowed"


# --- the web form's rate limit ------------------------------------------------------------------------

def web_form(intake, endpoint="gn_web", forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return requests.post(f"{intake.url}/v1/channels/web-form/{endpoint}", timeout=10, headers=headers,
                         json={"narrative": f"Le forage ne marche plus ({endpoint}, {forwarded_for})"})


def test_the_web_form_limit_is_per_endpoint_and_client_and_shared_by_replicas(run_service, db):
    limited = {"channels": {"web_form_rate_limit": {"requests": 2, "per_seconds": 600}},
               "http": {"trusted_proxies": ["127.0.0.0/8"]}}
    first, second = run_service("intake", **limited), run_service("intake", **limited)
    client, neighbour = "198.51.100.1", "198.51.100.2"
    # One client floods Guinea's form through both replicas behind the proxy...
    assert web_form(first, forwarded_for=client).status_code == 202
    assert web_form(second, forwarded_for=client).status_code == 202
    flood = web_form(first, forwarded_for=client)
    assert flood.status_code == 429 and flood.json()["error"]["code"] == "rate_limited"
    assert web_form(second, forwarded_for=client).status_code == 429  # the other replica knows
    # ...and blocks neither another client behind the same proxy, nor Mali's form.
    assert web_form(second, forwarded_for=neighbour).status_code == 202
    assert web_form(first, endpoint="ml_web", forwarded_for=client).status_code == 202
    assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 4
    # The addresses are not kept: only a keyed hash, for the window.
    stored = [row[0] for row in db.execute("SELECT client FROM intake.web_form_hits")]
    assert stored and not any("198.51.100" in key for key in stored)


# --- /metrics ------------------------------------------------------------------------------------------

def test_metrics_are_not_served_on_the_public_port(run_service):
    referrals = run_service("referrals")
    public = requests.get(f"{referrals.url}/metrics", timeout=5)
    assert public.status_code == 404 and "cfm_" not in public.text
    scraped = requests.get(referrals.metrics_url, timeout=5)
    assert scraped.status_code == 200 and "cfm_http_requests" in scraped.text


def test_a_large_body_on_a_slow_but_steady_link_gets_the_time_its_size_needs(impatient_intake, db):
    """A clerk's box file over a 2G link: longer than the body timeout (1 s here), but steady."""
    rows = "".join(f"Le forage numéro {n} ne marche plus depuis un mois.;fr\n" for n in range(300))
    data = f"narrative;language\n{rows}".encode()
    sock = socket.create_connection(("127.0.0.1", impatient_intake.settings.http.port))
    try:
        sock.sendall((f"POST /v1/channels/suggestion-box/gn_box_kindia_01/batches?collected_on=2026-11-20 HTTP/1.1\r\n"
                      f"Host: intake\r\nAuthorization: {impatient_intake.headers()['Authorization']}\r\n"
                      f"Content-Type: text/csv\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode())
        for start in range(0, len(data), 2000):  # about 8 KB/s, for two seconds
            sock.sendall(data[start:start + 2000])
            eventlet.sleep(0.25)
        answer = answer_of(sock)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 300
