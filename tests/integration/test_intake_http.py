"""POST /v1/feedback over real HTTP: what is stored, what is published, what is refused."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.helpers import opened_narratives
from tests.tokens import mint_token
from contracts.snapshots import EXAMPLE_DIR
from tests.helpers import metric_value

AGENT_ENTRY = json.loads((EXAMPLE_DIR / "http.FeedbackSubmission.json").read_text())


@pytest.fixture
def intake(run_service):
    return run_service("intake")


def post(intake, body, headers=None, **kwargs):
    headers = {"Content-Type": "application/json", **(intake.headers() if headers is None else headers)}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(f"{intake.url}/v1/feedback", data=data, headers=headers, timeout=10, **kwargs)


def test_an_agent_entry_is_accepted_with_a_case_reference(intake, db):
    answer = post(intake, AGENT_ENTRY)
    assert answer.status_code == 202
    reference = answer.json()["reference"]
    assert re.fullmatch(rf"GN-{datetime.now(UTC).year}-\d{{6}}", reference)
    assert post(intake, {**AGENT_ENTRY, "narrative": "Autre chose"}).json()["reference"] != reference

    stored = db.execute("SELECT narrative, contact_ref, consent_callback FROM intake.feedback WHERE reference = %s",
                        [reference]).fetchone()
    assert stored[0].startswith("enc:v1:") and AGENT_ENTRY["narrative"] not in stored[0] and stored[2] is True
    assert AGENT_ENTRY["narrative"] in opened_narratives(db, "intake")
    ciphertext = bytes(db.execute("SELECT ciphertext FROM intake.contacts WHERE contact_ref = %s",
                                  [stored[1]]).fetchone()[0])
    assert b"622123456" not in ciphertext and b"Diallo" not in ciphertext

    event = db.execute("SELECT body FROM intake.outbox ORDER BY id LIMIT 1").fetchone()[0]
    assert event["type"] == "feedback_received" and event["payload"]["reference"] == reference
    assert event["payload"]["contact_ref"] == str(stored[1])
    assert "622123456" not in json.dumps(event) and "Diallo" not in json.dumps(event)


def test_an_anonymous_message_is_accepted_without_contact_or_callback(intake, db):
    body = {**AGENT_ENTRY, "contact": None, "consent": {"callback": True, "share_with_partners": False}}
    assert post(intake, body).status_code == 202
    assert db.execute("SELECT contact_ref, consent_callback FROM intake.feedback").fetchone() == (None, False)
    assert db.execute("SELECT count(*) FROM intake.contacts").fetchone()[0] == 0


def test_text_is_stored_exactly_as_received(intake, db):
    narrative = "مرحبا 👋 — Ñandú, ߒߞߏ, «guillemets» \\ ' \" <script>"
    assert post(intake, {**AGENT_ENTRY, "narrative": narrative}).status_code == 202
    assert opened_narratives(db, "intake") == [narrative]


def expired_token(intake):
    return mint_token(subject="a", role="agent", countries=["GN"], now=datetime.now(UTC) - timedelta(days=1))


BAD_REQUESTS = [
    ("malformed_json", 400, lambda i: post(i, '{"country": "GN",')),
    ("validation_failed", 422, lambda i: post(i, {k: v for k, v in AGENT_ENTRY.items() if k != "narrative"})),
    ("validation_failed", 422, lambda i: post(i, {**AGENT_ENTRY, "consent": {"callback": "perhaps"}})),
    ("validation_failed", 422, lambda i: post(i, {**AGENT_ENTRY, "channel": "pigeon"})),
    ("unknown_country", 422, lambda i: post(i, {**AGENT_ENTRY, "country": "FR"}, i.headers(countries=["FR"]))),
    ("invalid_phone", 422, lambda i: post(i, {**AGENT_ENTRY, "contact": {"phone": "call me maybe"}})),
    ("body_too_large", 413, lambda i: post(i, {**AGENT_ENTRY, "narrative": "x" * 70_000})),
    ("unsupported_media_type", 415, lambda i: post(i, "country=GN", {**i.headers(), "Content-Type": "text/plain"})),
    ("missing_token", 401, lambda i: post(i, AGENT_ENTRY, headers={})),
    ("invalid_token", 401, lambda i: post(i, AGENT_ENTRY, headers={"Authorization": "Bearer not.a.token"})),
    ("expired_token", 401, lambda i: post(i, AGENT_ENTRY, {"Authorization": f"Bearer {expired_token(i)}"})),
    ("country_not_in_scope", 403, lambda i: post(i, AGENT_ENTRY, i.headers(countries=["ML"]))),
    ("role_not_allowed", 403, lambda i: post(i, AGENT_ENTRY, i.headers(role="manager"))),
]


@pytest.mark.parametrize("code, status, send", BAD_REQUESTS, ids=[f"{c}-{n}" for n, (c, _, _) in enumerate(BAD_REQUESTS)])
def test_bad_input_is_refused_clearly_stores_nothing_and_is_counted(intake, db, code, status, send):
    answer = send(intake)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    assert "Diallo" not in answer.text and "622123456" not in answer.text
    for table in ("feedback", "contacts", "outbox"):
        assert db.execute(f"SELECT count(*) FROM intake.{table}").fetchone()[0] == 0
    metrics = requests.get(intake.metrics_url).text
    assert metric_value(metrics, "cfm_requests_rejected_total", service="intake", route="/v1/feedback",
                        reason=code) >= 1


def test_health_and_metrics_are_served(intake):
    assert requests.get(f"{intake.url}/health/live").json()["status"] == "ok"
    ready = requests.get(f"{intake.url}/health/ready").json()
    assert ready == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "consumers": "ok"}}
    assert "cfm_outbox_backlog" in requests.get(intake.metrics_url).text


@pytest.mark.security
def test_references_do_not_count_the_cases_an_agent_cannot_see(intake, db):
    """An agent who sees GN-2026-000041 and GN-2026-000043 knew 000042 was hidden (restricted) and how
    many messages came in: the numbers are unique but in no order."""
    numbers = [int(post(intake, {**AGENT_ENTRY, "narrative": f"Message {n}"}).json()["reference"][-6:])
               for n in range(6)]
    assert len(set(numbers)) == 6
    assert numbers != sorted(numbers) and any(abs(b - a) > 1000 for a, b in zip(numbers, numbers[1:]))
