"""cases' callback tasks: a failed acknowledgement puts the person in the agents' callback list once; each
call is recorded and audited; after the country's number of failed calls the task ends as unreachable."""
from datetime import datetime, timedelta
from uuid import uuid4

import requests

from contracts.events import MessageDeliveryFailedV2
from tests.conftest import wait_for
from tests.helpers import publish_event
from tests.integration.test_cases_workflow import Api, open_case

REFERENCE = "GN-2026-000301"


def failed_acknowledgement(case_id) -> MessageDeliveryFailedV2:
    return MessageDeliveryFailedV2(notification_id=uuid4(), case_id=case_id, reference=REFERENCE,
                                 purpose="acknowledgement", channel="sms", error_code="30003",
                                 failed_at=datetime.now().astimezone())


def test_a_failed_acknowledgement_opens_one_callback_task_worked_until_unreachable(run_service, amqp_uri, db):
    cases = run_service("cases", callbacks={"GN": {"due_hours": 4, "max_failed_attempts": 2}})
    open_case(amqp_uri, db, "Le paiement est en retard.", REFERENCE, contact_ref=uuid4())
    case_id = db.execute("SELECT case_id FROM cases.cases WHERE reference = %s", [REFERENCE]).fetchone()[0]
    first = publish_event(amqp_uri, "notifications", failed_acknowledgement(case_id))
    publish_event(amqp_uri, "notifications", None, envelope=first)  # the broker redelivers it
    agent, elsewhere = Api(cases), Api(cases, countries=("ML",))

    [task] = wait_for(lambda: agent.get("/v1/callbacks").json()["callbacks"])
    assert (task["reference"], task["state"], task["failed_attempts"], task["attempts_allowed"]) == (
        REFERENCE, "open", 0, 2)
    opened = datetime.fromisoformat(task["due_at"]) - timedelta(hours=4)
    assert abs((datetime.now().astimezone() - opened).total_seconds()) < 60
    assert elsewhere.get("/v1/callbacks").json()["callbacks"] == []

    def attempt(api, outcome):
        return requests.post(f"{api.url}/v1/callbacks/{task['task_id']}/attempts", json={"outcome": outcome},
                             headers=api.headers, timeout=10)

    assert attempt(elsewhere, "reached").status_code == 404
    assert attempt(agent, "maybe").json()["error"]["code"] == "validation_failed"
    assert attempt(agent, "no_answer").json()["state"] == "open"
    ended = attempt(agent, "call_dropped").json()
    assert (ended["state"], ended["failed_attempts"]) == ("unreachable", 2)
    assert attempt(agent, "reached").json()["error"]["code"] == "callback_ended"
    assert agent.get("/v1/callbacks").json()["callbacks"] == []
    audited = db.execute("SELECT action, detail->>'outcome' FROM cases.audit_log WHERE action LIKE 'callback%%' "
                         "ORDER BY id").fetchall()
    assert audited == [("callback_attempt_denied", None), ("callback_attempt", "no_answer"),
                       ("callback_attempt", "call_dropped")]


def test_restricted_cases_are_called_back_by_focal_points_and_withdrawn_consent_ends_the_calls(run_service,
                                                                                                amqp_uri, db):
    cases = run_service("cases")
    open_case(amqp_uri, db, "Le paiement est en retard.", REFERENCE)
    case_id = db.execute("SELECT case_id FROM cases.cases WHERE reference = %s", [REFERENCE]).fetchone()[0]
    db.execute("UPDATE cases.cases SET restricted = true WHERE case_id = %s", [case_id])
    envelope = publish_event(amqp_uri, "notifications", failed_acknowledgement(case_id))
    wait_for(lambda: db.execute("SELECT 1 FROM cases.processed_messages WHERE message_id = %s",
                                [envelope.message_id]).fetchone())
    agent, focal_point = Api(cases), Api(cases, role="focal_point")

    assert agent.get("/v1/callbacks").json()["callbacks"] == []
    [task] = focal_point.get("/v1/callbacks").json()["callbacks"]
    assert db.execute("SELECT count(*) FROM cases.audit_log WHERE action = 'list_callbacks' AND case_id = %s",
                      [case_id]).fetchone()[0] == 1

    db.execute("UPDATE cases.cases SET consent_callback = false WHERE case_id = %s", [case_id])  # as on withdrawal
    assert focal_point.get("/v1/callbacks").json()["callbacks"] == []
    refused = requests.post(f"{cases.url}/v1/callbacks/{task['task_id']}/attempts", json={"outcome": "reached"},
                            headers=focal_point.headers, timeout=10)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "consent_withdrawn")


def test_no_callback_task_for_a_person_who_does_not_want_to_be_called(run_service, amqp_uri, db):
    cases = run_service("cases")
    open_case(amqp_uri, db, "Le paiement est en retard.", REFERENCE)
    db.execute("UPDATE cases.cases SET consent_callback = false WHERE reference = %s", [REFERENCE])
    case_id = db.execute("SELECT case_id FROM cases.cases WHERE reference = %s", [REFERENCE]).fetchone()[0]
    envelope = publish_event(amqp_uri, "notifications", failed_acknowledgement(case_id))
    wait_for(lambda: db.execute("SELECT 1 FROM cases.processed_messages WHERE message_id = %s",
                                [envelope.message_id]).fetchone())
    assert Api(cases).get("/v1/callbacks").json()["callbacks"] == []
    assert db.execute("SELECT count(*) FROM cases.callback_tasks").fetchone()[0] == 0


def test_why_a_case_closed_without_contact_is_sealed_like_the_other_texts_about_it(run_service, amqp_uri, db):
    cases = run_service("cases")
    open_case(amqp_uri, db, "Le paiement est en retard.", REFERENCE, contact_ref=uuid4())
    agent = Api(cases)
    version = agent.case(REFERENCE).json()["version"]
    assert agent.act(REFERENCE, "status", {"status": "acknowledged", "version": version}).status_code == 200
    assert agent.act(REFERENCE, "resolve", {"resolution": "Paiement fait", "version": version + 1}).status_code == 200
    reason = "Numéro éteint trois jours de suite"
    closed = agent.act(REFERENCE, "close", {"no_contact_reason": reason, "version": version + 2})

    assert closed.status_code == 200 and closed.json()["no_contact_reason"] == reason
    stored = db.execute("SELECT no_contact_reason FROM cases.cases WHERE reference = %s", [REFERENCE]).fetchone()[0]
    assert reason not in stored
