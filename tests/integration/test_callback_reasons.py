"""Why a person is called back, and the number to call: a callback task opens when the person agreed to be
called back and cannot be texted, when the agent says the answer needs explaining by phone, or when any
message to them failed, once per case and reason, due after the country's policy; the agent asks cases for
the number, and intake reveals it only on its own record of the consent, logging who asked."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import requests

from contracts.events import MessageDeliveryFailedV2
from tests.conftest import wait_for
from tests.helpers import publish_event
from tests.integration.test_cases_workflow import Api, open_case

POLICY = {"GN": {"due_hours": 24, "max_failed_attempts": 3,
                 "due_hours_by_reason": {"no_sms": 8, "needs_explaining": 48}}}


def tasks(db, reference):
    return db.execute("""SELECT t.reason, t.opened_at, t.due_at FROM cases.callback_tasks t
                         JOIN cases.cases c USING (case_id) WHERE c.reference = %s ORDER BY t.opened_at""",
                      [reference]).fetchall()


def due_after(task) -> float:
    return (task[2] - task[1]).total_seconds() / 3600


def test_a_number_typed_on_a_web_form_is_called_back_and_the_agent_sees_it_through_intake(
        run_service, amqp_uri, db, events):
    intake, cases = run_service("intake"), run_service("cases", callbacks=POLICY)
    typed = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={
        "narrative": "Le paiement est en retard.", "contact": {"name": "Nènè Diallo", "phone": "622 11 22 33"},
        "consent": {"callback": True}}).json()["reference"]
    taken = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
        "country": "GN", "channel": "hotline", "narrative": "Appel au sujet du paiement.",
        "contact": {"phone": "622 55 66 77"}, "consent": {"callback": True}}).json()["reference"]
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases WHERE reference IN (%s, %s)",
                                [typed, taken]).fetchone()[0] == 2)

    [task] = tasks(db, typed)
    assert task[0] == "no_sms" and due_after(task) == 8
    assert tasks(db, taken) == []  # the number the agent took from the caller gets its SMS
    agent = Api(cases, subject="agent-kadiatou")
    [listed] = agent.get("/v1/callbacks").json()["callbacks"]
    assert (listed["reference"], listed["reason"]) == (typed, "no_sms")
    [opened] = wait_for(lambda: events.payloads("callback_task_opened"))
    assert (opened["reference"], opened["reason"], opened["task_id"]) == (typed, "no_sms", listed["task_id"])

    def reveal(api, task_id=listed["task_id"]):
        return requests.post(f"{api.url}/v1/callbacks/{task_id}/contact", headers=api.headers, timeout=15)

    shown = reveal(agent)
    assert shown.status_code == 200, shown.text
    assert (shown.json()["phone"], shown.json()["name"]) == ("+224622112233", "Nènè Diallo")
    assert shown.headers["Cache-Control"] == "no-store"
    elsewhere = reveal(Api(cases, countries=("ML",)))
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (404, "callback_not_found")
    assert reveal(agent, uuid4()).json()["error"]["code"] == "callback_not_found"

    reached = requests.post(f"{cases.url}/v1/callbacks/{listed['task_id']}/attempts", json={"outcome": "reached"},
                            headers=agent.headers, timeout=10).json()
    assert reached["state"] == "reached"
    ended = reveal(agent)
    assert (ended.status_code, ended.json()["error"]["code"]) == (409, "callback_ended")

    # intake logged the one reveal, on the agent's behalf; cases audited who asked, and what it refused.
    assert db.execute("""SELECT purpose, requested_by, on_behalf_of, refused FROM intake.contact_reveals
                         WHERE purpose = 'callback'""").fetchall() == [("callback", "cases", "agent-kadiatou", None)]
    assert db.execute("""SELECT action, actor FROM cases.audit_log WHERE action LIKE 'callback_contact%%'
                         ORDER BY id""").fetchall() == [
        ("callback_contact_revealed", "agent-kadiatou"), ("callback_contact_denied", "test-agent"),
        ("callback_contact_denied", "agent-kadiatou")]
    [attempt] = wait_for(lambda: events.payloads("callback_attempt_recorded"))
    assert (attempt["outcome"], attempt["task_state"], attempt["reason"], attempt["attempt"]) == (
        "reached", "reached", "no_sms", 1)
    assert "phone" not in str(events.payloads("callback_attempt_recorded"))


def test_a_restricted_case_s_number_is_revealed_to_focal_points_only(run_service, amqp_uri, db):
    intake, cases = run_service("intake"), run_service("cases")
    reference = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={
        "narrative": "Le paiement est en retard.", "contact": {"phone": "622 11 22 44"},
        "consent": {"callback": True}}).json()["reference"]
    wait_for(lambda: tasks(db, reference))
    db.execute("UPDATE cases.cases SET restricted = true WHERE reference = %s", [reference])
    [task] = Api(cases, role="focal_point").get("/v1/callbacks").json()["callbacks"]

    refused = requests.post(f"{cases.url}/v1/callbacks/{task['task_id']}/contact", headers=Api(cases).headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "callback_not_found")
    focal_point = Api(cases, role="focal_point")
    shown = requests.post(f"{cases.url}/v1/callbacks/{task['task_id']}/contact", headers=focal_point.headers)
    assert shown.json()["phone"] == "+224622112244"
    # intake decides on its own record: without the consent there, it refuses, whatever cases says.
    db.execute("UPDATE intake.feedback SET consent_callback = false WHERE reference = %s", [reference])
    not_revealed = requests.post(f"{cases.url}/v1/callbacks/{task['task_id']}/contact", headers=focal_point.headers)
    assert (not_revealed.status_code, not_revealed.json()["error"]["code"]) == (403, "contact_not_revealed")
    assert not_revealed.json()["error"]["details"] == [{"field": "task_id", "reason": "no_grounds"}]
    assert "+224" not in not_revealed.text
    db.execute("UPDATE cases.cases SET consent_callback = false WHERE reference = %s", [reference])
    withdrawn = requests.post(f"{cases.url}/v1/callbacks/{task['task_id']}/contact", headers=focal_point.headers)
    assert (withdrawn.status_code, withdrawn.json()["error"]["code"]) == (409, "consent_withdrawn")
    assert db.execute("""SELECT refused FROM intake.contact_reveals WHERE purpose = 'callback'
                         ORDER BY id""").fetchall() == [(None,), ("no_grounds",)]


def test_an_answer_that_needs_explaining_opens_one_callback_task_due_after_the_policy(run_service, amqp_uri, db,
                                                                                       events):
    cases = run_service("cases", callbacks=POLICY)
    open_case(amqp_uri, db, "Le paiement est en retard.", "GN-2026-000311", contact_ref=uuid4())
    open_case(amqp_uri, db, "Le paiement est en retard.", "GN-2026-000312", contact_ref=uuid4())
    db.execute("UPDATE cases.cases SET consent_callback = false WHERE reference = 'GN-2026-000312'")
    agent = Api(cases)

    resolved = agent.act("GN-2026-000311", "resolve", {"resolution": "La prochaine distribution est en janvier.",
                                                       "explain_by_phone": True, "version": 1})
    assert resolved.status_code == 200, resolved.text
    closed = agent.act("GN-2026-000311", "close", {"response": "Expliqué", "response_channel": "call",
                                                   "explain_by_phone": True, "version": resolved.json()["version"]})
    assert closed.status_code == 200, closed.text
    [task] = tasks(db, "GN-2026-000311")  # the second tick found the first task still open
    assert task[0] == "needs_explaining" and due_after(task) == 48
    [listed] = agent.get("/v1/callbacks").json()["callbacks"]
    assert (listed["reference"], listed["reason"]) == ("GN-2026-000311", "needs_explaining")
    assert [entry["action"] for entry in closed.json()["timeline"]].count("callback_requested") == 2

    refused = agent.act("GN-2026-000312", "resolve", {"resolution": "Payé.", "explain_by_phone": True, "version": 1})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "callback_not_consented")
    assert agent.case("GN-2026-000312").json()["status"] == "new"  # refused whole: not resolved either
    assert tasks(db, "GN-2026-000312") == []
    assert [(event["reference"], event["reason"]) for event in wait_for(
        lambda: events.payloads("callback_task_opened"))] == [("GN-2026-000311", "needs_explaining")]


def test_a_failed_reply_or_any_failed_message_opens_the_task_once(run_service, amqp_uri, db, events):
    cases = run_service("cases", callbacks=POLICY)
    open_case(amqp_uri, db, "Le paiement est en retard.", "GN-2026-000321", contact_ref=uuid4())
    case_id = db.execute("SELECT case_id FROM cases.cases WHERE reference = 'GN-2026-000321'").fetchone()[0]

    def failed(purpose):
        return MessageDeliveryFailedV2(notification_id=uuid4(), case_id=case_id, reference="GN-2026-000321",
                                       purpose=purpose, channel="whatsapp", error_code="131047",
                                       failed_at=datetime.now(UTC))
    sent = [publish_event(amqp_uri, "notifications", failed(purpose))
            for purpose in ("reply", "satisfaction_question", "appointment_reminder")]
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.processed_messages WHERE message_id = ANY(%s)",
                                [[envelope.message_id for envelope in sent]]).fetchone()[0] == 3)
    [task] = tasks(db, "GN-2026-000321")
    assert task[0] == "message_failed" and due_after(task) == 24
    assert len(wait_for(lambda: events.payloads("callback_task_opened"))) == 1

    # Once the person was reached, the next failed message is a new reason to call.
    [listed] = Api(cases).get("/v1/callbacks").json()["callbacks"]
    requests.post(f"{cases.url}/v1/callbacks/{listed['task_id']}/attempts", json={"outcome": "reached"},
                  headers=Api(cases).headers, timeout=10)
    publish_event(amqp_uri, "notifications", failed("reply"))
    wait_for(lambda: len(tasks(db, "GN-2026-000321")) == 2)
    assert timedelta(0) < tasks(db, "GN-2026-000321")[1][1] - task[1] < timedelta(minutes=5)
