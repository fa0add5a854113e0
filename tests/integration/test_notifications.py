"""notifications: status replies to complainants and alerts to supervisors, through a fake SMS provider."""
import logging
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import requests

from contracts.common import Consent
from contracts.events import CaseClassified, CaseOpened, CaseStatusAnswered, DeadlineBreached, DeadlineWarning
from tests.conftest import wait_for
from tests.helpers import metric_value, publish_event

PHONE = "+224622987654"



def sms_settings(sink):
    return {"base_url": f"http://127.0.0.1:{sink.server_address[1]}", "account_sid": "ACtest",
            "auth_token": "sink-token"}


def handled(service, event_type) -> float:
    """Events of this type the service has handled to the end (first deliveries and duplicates)."""
    text = requests.get(service.metrics_url).text
    return sum(metric_value(text, "cfm_messages_consumed_total", service="notifications", event_type=event_type,
                            outcome=outcome) for outcome in ("processed", "duplicate"))


def notification_events(db, purpose):
    rows = db.execute("SELECT body FROM notifications.outbox WHERE routing_key = 'notification_sent.v2'").fetchall()
    return [row[0]["payload"] for row in rows if row[0]["payload"]["purpose"] == purpose]


@pytest.fixture
def contact_ref(run_service, db):
    """A complainant's contact in intake's vault, as intake stores it when a message comes in."""
    intake = run_service("intake")
    submission = {"country": "GN", "channel": "sms", "language": "fr", "narrative": "Le paiement est en retard.",
                  "contact": {"phone": "622 98 76 54"}, "consent": {"callback": True}}
    reference = requests.post(f"{intake.url}/v1/feedback", json=submission, headers=intake.headers()).json()[
        "reference"]
    return db.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s", [reference]).fetchone()[0]


def status_answer(db, contact_ref, owned=True, status="in_progress", language="fr", reference="GN-2026-000042"):
    """cases' answer to a status request this contact sent, which intake recorded (and checks before it
    reveals the contact to reply)."""
    request_id = uuid4()
    db.execute("""INSERT INTO intake.status_requests (request_id, reference, contact_ref, channel, received_at)
                  VALUES (%s, %s, %s, 'sms', now())""", [request_id, reference, contact_ref])
    return CaseStatusAnswered(request_id=request_id, contact_ref=contact_ref, language=language, reference=reference,
                              owned=owned, case_id=uuid4() if owned else None, status=status if owned else None)


def test_the_owner_of_a_case_gets_its_status_once_per_request(run_service, amqp_uri, db, sms_sink, contact_ref,
                                                              caplog):
    # Our own code at full verbosity (nameko stays at WARNING in chassis.logs: its RPC debug log prints replies).
    for logger in ("services", "chassis"):
        caplog.set_level(logging.DEBUG, logger=logger)
    notifications = run_service("notifications", sms=sms_settings(sms_sink))
    answer = status_answer(db, contact_ref)
    first = publish_event(amqp_uri, "cases", answer)
    publish_event(amqp_uri, "cases", None, envelope=first)  # the broker redelivers it
    publish_event(amqp_uri, "cases", answer)  # the same answer emitted twice by cases

    wait_for(lambda: handled(notifications, "case_status_answered.v1") >= 3)
    assert [(sms["to"], sms["body"]) for sms in sms_sink.messages] == [
        (PHONE, "Votre dossier GN-2026-000042 est en cours de traitement.")]
    [sent] = wait_for(lambda: notification_events(db, "status_reply"))
    assert (sent["case_id"], sent["reference"], sent["language"]) == (
        str(answer.case_id), "GN-2026-000042", "fr")
    assert sent["provider_message_id"] == sms_sink.messages[0]["sid"]
    assert db.execute("SELECT purpose, requested_by FROM intake.contact_reveals").fetchall() == [
        ("status_reply", "notifications")]
    # Neither the number (as stored or typed; never "622" alone, which a line number may hold) nor the words.
    assert "987654" not in caplog.text and "98 76 54" not in caplog.text
    assert "en cours de traitement" not in caplog.text


def test_a_reference_the_contact_does_not_own_gets_the_same_neutral_answer(run_service, amqp_uri, db, sms_sink,
                                                                         contact_ref):
    run_service("notifications", sms=sms_settings(sms_sink))
    # Someone else's case and a case that does not exist look the same to cases: owned=False, no status.
    publish_event(amqp_uri, "cases", status_answer(db, contact_ref, owned=False, reference="GN-2026-000043"))
    publish_event(amqp_uri, "cases", status_answer(db, contact_ref, owned=False, reference="GN-2026-999999"))

    wait_for(lambda: len(notification_events(db, "status_reply")) == 2)
    first, second = (sms["body"] for sms in sms_sink.messages)
    assert first == second and first.startswith("Nous ne trouvons pas de dossier avec cette référence")
    assert "GN-2026" not in first
    assert all(sent["case_id"] is None and sent["reference"] is None
               for sent in notification_events(db, "status_reply"))


def test_the_status_is_told_in_the_persons_language_without_hinting_at_a_referral(
        run_service, amqp_uri, db, sms_sink, contact_ref):
    run_service("notifications", sms=sms_settings(sms_sink))
    expected = {
        ("en", "resolved"): "Your case GN-2026-000042 has been handled.",
        # A national language we have no words for falls back to the country's first one (French in Guinea).
        ("sus", "waiting_for_complainant"): "Votre dossier GN-2026-000042 attend une information de votre part : "
                                            "nous allons vous recontacter.",
        ("fr", "referred"): "Votre dossier GN-2026-000042 est en cours de traitement.",
    }
    for language, status in expected:
        publish_event(amqp_uri, "cases", status_answer(db, contact_ref, status=status, language=language))
    wait_for(lambda: len(sms_sink.messages) == 3)
    assert sorted(sms["body"] for sms in sms_sink.messages) == sorted(expected.values())


SUPERVISORS = {"GN": [{"id": "gn-duty-1", "phone": "+224620000201"}, {"id": "gn-duty-2", "phone": "+224620000202"}],
               "NG": [{"id": "ng-duty-1", "phone": "+2348030000201"}]}
DUE = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


def deadline_event(model, reference, kind="resolve", restricted=False):
    return model(case_id=uuid4(), reference=reference, case_version=3, status="in_progress", restricted=restricted,
                 at=DUE - timedelta(hours=2), by="system", kind=kind, due_at=DUE, priority="normal")


def opened(reference, priority, narrative="Il menace de tuer ma famille si je parle."):
    now = datetime.now(UTC)
    return CaseOpened(case_id=uuid4(), reference=reference, feedback_id=uuid4(), channel="hotline", language="fr",
                      narrative=narrative, received_at=now, opened_at=now, category_code=9, sensitive=True,
                      restricted=True, priority=priority, deadline_kind="refer", deadline_at=DUE)


def test_supervisors_on_duty_are_alerted_once_per_warning_breach_and_emergency(run_service, amqp_uri, db, sms_sink):
    notifications = run_service("notifications", sms=sms_settings(sms_sink), alerts={"recipients": SUPERVISORS})
    warning = publish_event(amqp_uri, "cases", deadline_event(DeadlineWarning, "GN-2026-000050"))
    wait_for(lambda: len(sms_sink.messages) == 2)
    publish_event(amqp_uri, "cases", deadline_event(DeadlineBreached, "GN-2026-000051", restricted=True))
    wait_for(lambda: len(sms_sink.messages) == 4)
    publish_event(amqp_uri, "cases", opened("GN-2026-000052", "emergency"))
    publish_event(amqp_uri, "cases", opened("GN-2026-000053", "high"))
    publish_event(amqp_uri, "cases", deadline_event(DeadlineWarning, "NG-2026-000054", kind="acknowledge"),
                  country="NG")
    publish_event(amqp_uri, "cases", None, envelope=warning)  # redelivered: nobody is alerted again

    wait_for(lambda: handled(notifications, "case_opened.v1") >= 2
             and handled(notifications, "deadline_warning.v1") >= 3)
    by_phone = {}
    for sms in sms_sink.messages:
        by_phone.setdefault(sms["to"], []).append(sms["body"])
    assert by_phone == {
        "+224620000201": [
            "CFM alerte : dossier GN-2026-000050, le délai de résolution expire le 25/11/2026 à 16:30 "
            "(heure de Conakry).",
            # Restricted cases: no deadline named (a referral deadline would say the case is sensitive).
            "CFM alerte : dossier GN-2026-000051, un délai est dépassé depuis le 25/11/2026 à 16:30 "
            "(heure de Conakry).",
            "CFM URGENCE : dossier GN-2026-000052 à traiter immédiatement, avant le 25/11/2026 à "
            "16:30 (heure de Conakry).",
        ],
        "+224620000202": by_phone["+224620000201"],
        # Lagos is an hour ahead of UTC; Nigeria's staff read English.
        "+2348030000201": ["CFM alert: case NG-2026-000054, the acknowledgement deadline expires on 25/11/2026 at "
                           "17:30 (Lagos time)."],
    }

    supervisor = notifications.headers("supervisor", ("GN",))
    alerts = requests.get(f"{notifications.url}/v1/alerts", params={"country": "GN"}, headers=supervisor).json()
    assert [(alert["reference"], alert["reason"], alert["recipients"]) for alert in alerts["alerts"]] == [
        ("GN-2026-000052", "emergency_case", ["gn-duty-1", "gn-duty-2"]),
        ("GN-2026-000051", "deadline_breached", ["gn-duty-1", "gn-duty-2"]),
        ("GN-2026-000050", "deadline_warning", ["gn-duty-1", "gn-duty-2"]),
    ]
    assert "menace" not in str(alerts) and "category" not in str(alerts)


@pytest.mark.security
def test_an_alert_about_a_restricted_case_does_not_say_it_must_be_referred(run_service, amqp_uri, db, sms_sink):
    """Only sensitive cases have a referral deadline: 'référencement' in an SMS or in the alerts list told
    supervisors what a case they may not open is about."""
    notifications = run_service("notifications", sms=sms_settings(sms_sink), alerts={"recipients": SUPERVISORS})
    publish_event(amqp_uri, "cases", deadline_event(DeadlineWarning, "GN-2026-000070", kind="refer", restricted=True))
    wait_for(lambda: len(sms_sink.messages) == 2)
    assert {sms["body"] for sms in sms_sink.messages} == {
        "CFM alerte : dossier GN-2026-000070, un délai expire le 25/11/2026 à 16:30 (heure de Conakry)."}

    def listed(role):
        return requests.get(f"{notifications.url}/v1/alerts", params={"country": "GN"},
                            headers=notifications.headers(role, ("GN",))).json()["alerts"]
    assert [alert["deadline_kind"] for alert in listed("supervisor")] == [None]
    assert [alert["deadline_kind"] for alert in listed("focal_point")] == ["refer"]  # who may open it


def test_alerts_are_listed_only_for_supervisors_and_focal_points_of_the_country(run_service, db):
    notifications = run_service("notifications")

    def get(role, countries, params):
        return requests.get(f"{notifications.url}/v1/alerts", params=params,
                            headers=notifications.headers(role, countries))

    assert get("focal_point", ("GN",), {"country": "GN"}).json() == {"alerts": []}
    assert get("agent", ("GN",), {"country": "GN"}).json()["error"]["code"] == "role_not_allowed"
    assert get("supervisor", ("ML",), {"country": "GN"}).json()["error"]["code"] == "country_not_in_scope"
    missing = get("supervisor", ("GN",), {})
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "country_required")


def test_a_supervisor_the_provider_refuses_keeps_nobody_else_from_being_told(run_service, amqp_uri, db, sms_sink,
                                                                           contact_ref):
    recipients = {"GN": [{"id": "gn-misconfigured", "phone": "0620000201"},  # not E.164: the provider refuses it
                         {"id": "gn-duty-2", "phone": "+224620000202"}]}
    notifications = run_service("notifications", sms=sms_settings(sms_sink), alerts={"recipients": recipients},
                                consumer={"attempts": 3})
    emergency = opened("GN-2026-000060", "emergency").model_copy(update={
        "contact_ref": contact_ref, "consent": Consent(callback=True), "feedback_id": db.execute(
            "SELECT feedback_id FROM intake.feedback WHERE contact_ref = %s", [contact_ref]).fetchone()[0]})
    publish_event(amqp_uri, "cases", emergency)

    wait_for(lambda: db.execute("SELECT count(*) FROM notifications.parked_messages").fetchone()[0] == 1)
    # Once each despite three attempts: the other supervisor, and the complainant's acknowledgement.
    assert sorted(sms["to"] for sms in sms_sink.messages) == sorted(["+224620000202", PHONE])
    alerts = requests.get(f"{notifications.url}/v1/alerts", params={"country": "GN"},
                          headers=notifications.headers("supervisor")).json()["alerts"]
    assert [(alert["reference"], alert["recipients"]) for alert in alerts] == [("GN-2026-000060", ["gn-duty-2"])]


def confirmed_threat(case_id, reference, confirmed=True, priority="emergency"):
    return CaseClassified(case_id=case_id, reference=reference, case_version=2, status="new", restricted=True,
                          at=DUE - timedelta(hours=1), by="agent-mariama", category_code=9, taxonomy_version=1,
                          sensitive=True, confirmed=confirmed, priority=priority, refer_by=DUE)


def test_a_threat_to_life_found_by_a_person_alerts_supervisors_unless_they_were_alerted_already(
        run_service, amqp_uri, db, sms_sink):
    notifications = run_service("notifications", sms=sms_settings(sms_sink), alerts={"recipients": SUPERVISORS})
    # Opened as an emergency (alerted then), then confirmed by a person: nobody is alerted twice.
    emergency = opened("GN-2026-000070", "emergency")
    publish_event(amqp_uri, "cases", emergency)
    wait_for(lambda: len(sms_sink.messages) == 2)
    publish_event(amqp_uri, "cases", confirmed_threat(emergency.case_id, "GN-2026-000070"))
    # Not confirmed by a person, or not an emergency: no alert either.
    publish_event(amqp_uri, "cases", confirmed_threat(uuid4(), "GN-2026-000071", confirmed=False))
    publish_event(amqp_uri, "cases", confirmed_threat(uuid4(), "GN-2026-000072", priority="high"))
    # Opened as an ordinary complaint, then an agent reads a threat to life in it.
    reclassified = confirmed_threat(uuid4(), "GN-2026-000073")
    envelope = publish_event(amqp_uri, "cases", reclassified)
    publish_event(amqp_uri, "cases", None, envelope=envelope)  # redelivered: nobody is alerted again

    # Five deliveries handled (the redelivery may finish before the first delivery's SMS are out).
    wait_for(lambda: handled(notifications, "case_classified.v1") >= 5 and len(sms_sink.messages) >= 4)
    assert [sms["body"] for sms in sms_sink.messages if sms["to"] == "+224620000201"] == [
        "CFM URGENCE : dossier GN-2026-000070 à traiter immédiatement, avant le 25/11/2026 à "
        "16:30 (heure de Conakry).",
        "CFM URGENCE : dossier GN-2026-000073 à traiter immédiatement, avant le 25/11/2026 à "
        "16:30 (heure de Conakry).",
    ]
    assert len(sms_sink.messages) == 4
    alerts = requests.get(f"{notifications.url}/v1/alerts", params={"country": "GN"},
                          headers=notifications.headers("supervisor")).json()["alerts"]
    assert [(alert["reference"], alert["reason"]) for alert in alerts] == [
        ("GN-2026-000073", "emergency_case"), ("GN-2026-000070", "emergency_case")]
