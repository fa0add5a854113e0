"""notifications texts a complainant only at a number the platform can trust: never a contact the
person typed (web form, Kobo, a box slip), only numbers of the programme's countries, and at most
`sms.daily_limit_per_contact` SMS per contact in 24 hours (issue 9)."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import requests

from contracts.common import Consent
from contracts.events import CaseOpened
from tests.conftest import wait_for
from tests.helpers import metric_value, publish_event
from tests.integration.test_notifications import (  # noqa: F401 (fixtures)
    handled, notification_events, sms_settings, status_answer,
)


def contact_of(run_service, db, phone) -> tuple:
    """A contact sealed in intake's vault as an agent enters it, with the message that gives grounds to
    reveal it (callback consent): (contact_ref, feedback_id)."""
    intake = run_service("intake")
    reference = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
        "country": "GN", "channel": "hotline", "language": "fr", "narrative": f"Appel {uuid4()}",
        "contact": {"phone": phone}, "consent": {"callback": True}}).json()["reference"]
    return db.execute("SELECT contact_ref, feedback_id FROM intake.feedback WHERE reference = %s",
                      [reference]).fetchone()


def opened(contact, number, contact_verified=True):
    contact_ref, feedback_id = contact
    now = datetime.now(UTC)
    return CaseOpened(case_id=uuid4(), reference=f"GN-2026-{number:06d}", feedback_id=feedback_id, channel="web_form",
                      language="fr", narrative="Le paiement est en retard.", received_at=now, opened_at=now,
                      sensitive=False, restricted=False, priority="normal", deadline_kind="acknowledge",
                      deadline_at=now + timedelta(days=2), contact_ref=contact_ref, consent=Consent(callback=True),
                      contact_verified=contact_verified)


def handled_now(notifications, *event_types):
    """A check that the service has handled `n` more events of each type than now (the metrics registry
    lives as long as the test process)."""
    before = {event_type: handled(notifications, event_type) for event_type in event_types}
    return lambda **more: all(handled(notifications, event_type) >= before[event_type] + count
                              for event_type, count in more.items())


def withheld(db):
    return sorted(row[0] for row in db.execute(
        "SELECT withheld FROM notifications.notifications WHERE withheld IS NOT NULL").fetchall())


def test_a_contact_the_person_typed_is_never_texted_nor_revealed(run_service, amqp_uri, db, sms_sink):
    contact_ref = contact_of(run_service, db, "622 98 76 54")
    notifications = run_service("notifications", sms=sms_settings(sms_sink))
    done = handled_now(notifications, "case_opened.v1")
    counted = metric_value(requests.get(notifications.metrics_url).text, "cfm_notifications_sms_withheld_total",
                           purpose="acknowledgement", reason="unverified_contact")
    publish_event(amqp_uri, "cases", opened(contact_ref, 101, contact_verified=False))
    publish_event(amqp_uri, "cases", opened(contact_ref, 102, contact_verified=True))
    wait_for(lambda: done(**{"case_opened.v1": 2}))
    assert [sms["body"].split("référence est ")[1][:14] for sms in sms_sink.messages] == ["GN-2026-000102"]
    assert withheld(db) == ["unverified_contact"]
    assert db.execute("SELECT count(*) FROM intake.contact_reveals").fetchone()[0] == 1
    text = requests.get(notifications.metrics_url).text
    assert metric_value(text, "cfm_notifications_sms_withheld_total", purpose="acknowledgement",
                        reason="unverified_contact") == counted + 1


def test_a_number_outside_the_programmes_countries_is_never_texted(run_service, amqp_uri, db, sms_sink):
    foreign = contact_of(run_service, db, "+44 7700 900123")
    notifications = run_service("notifications", sms=sms_settings(sms_sink))
    done = handled_now(notifications, "case_opened.v1", "case_status_answered.v1")
    publish_event(amqp_uri, "cases", opened(foreign, 201))
    publish_event(amqp_uri, "cases", status_answer(db, foreign[0]))
    wait_for(lambda: done(**{"case_opened.v1": 1, "case_status_answered.v1": 1}))
    assert sms_sink.messages == []
    assert withheld(db) == ["prefix_not_allowed", "prefix_not_allowed"]


def test_sms_to_one_contact_are_capped_per_day(run_service, amqp_uri, db, sms_sink):
    contact_ref = contact_of(run_service, db, "622 98 76 54")
    other = contact_of(run_service, db, "664 00 11 22")
    notifications = run_service("notifications", sms={**sms_settings(sms_sink), "daily_limit_per_contact": 2})
    done = handled_now(notifications, "case_opened.v1", "case_status_answered.v1")
    for number in (301, 302, 303):
        publish_event(amqp_uri, "cases", opened(contact_ref, number))
    publish_event(amqp_uri, "cases", status_answer(db, contact_ref[0]))
    publish_event(amqp_uri, "cases", opened(other, 304))
    wait_for(lambda: done(**{"case_opened.v1": 4, "case_status_answered.v1": 1}))
    assert sorted(sms["to"] for sms in sms_sink.messages) == ["+224622987654", "+224622987654", "+224664001122"]
    assert withheld(db) == ["daily_limit", "daily_limit"]
    assert len(notification_events(db, "acknowledgement")) == 3
