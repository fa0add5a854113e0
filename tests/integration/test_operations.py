"""What an operator reads about the platform's plumbing: each service's outbox lag (chassis) and when each
channel last brought a message (intake), scoped to the operator's countries."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import requests


def test_the_outbox_lag_shows_the_age_of_the_oldest_event_not_yet_published(run_service, db):
    intake = run_service("intake")
    assert requests.get(f"{intake.url}/admin/outbox", headers=intake.headers("agent")).status_code == 403
    # An event the relay keeps back (no queue bound for it yet), committed five minutes ago.
    db.execute("""INSERT INTO intake.outbox (message_id, event_type, routing_key, body, created_at, next_attempt_at)
                  VALUES (%s, 'feedback_received', 'feedback_received.v1', '{}', %s, %s)""",
               [uuid4(), datetime.now(UTC) - timedelta(minutes=5), datetime.now(UTC) + timedelta(hours=1)])
    lag = requests.get(f"{intake.url}/admin/outbox", headers=intake.headers("ops", ("GN",))).json()
    assert lag["unpublished"] == 1 and 300 <= lag["lag_seconds"] < 400


def test_an_operator_sees_when_each_channel_of_their_countries_last_brought_a_message(run_service):
    intake = run_service("intake")
    sent = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers("agent", ("GN",)), json={
        "country": "GN", "channel": "hotline", "narrative": "Quand aura lieu la distribution ?"})
    assert sent.status_code == 202, sent.text
    channels = requests.get(f"{intake.url}/v1/channels/activity", headers=intake.headers("ops", ("GN",))).json()
    by_channel = {(row["country"], row["channel"]): row["last_received_at"] for row in channels["channels"]}
    assert {country for country, _ in by_channel} == {"GN"}
    assert datetime.fromisoformat(by_channel[("GN", "hotline")]) > datetime.now(UTC) - timedelta(minutes=1)
    assert by_channel[("GN", "sms")] is None    # configured, never used: silent from the start
    refused = requests.get(f"{intake.url}/v1/channels/activity", headers=intake.headers("agent", ("GN",)))
    assert refused.status_code == 403
