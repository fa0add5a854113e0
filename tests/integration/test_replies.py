"""Replies from a case, through intake, cases, notifications and reporting: an agent's templated SMS
reaches the person once however often the request is delivered, WhatsApp goes as free text inside the
24-hour window and as the approved template outside it, a withdrawn consent sends nothing and the
timeline says why; the words never reach a log, an event, the journal or the index."""
import json
import logging

import pytest
import requests
from elasticsearch import Elasticsearch

from contracts.envelope import Envelope
from tests.conftest import ES_URL, wait_for
from tests.helpers import publish_event
from tests.integration.test_delivery_receipts import twilio_callback
from tests.integration.test_notifications import handled

PHONE = "+224622987654"
NARRATIVE = "Le paiement de l'appui est en retard à Kindia depuis trois mois."
REPLY_WORDS = "Nous reviendrons vers vous dès que possible"


def sms_settings(sink):
    return {"base_url": f"http://127.0.0.1:{sink.server_address[1]}", "account_sid": "ACtest",
            "auth_token": "sink-token"}


def whatsapp_settings(sink):
    return {"base_url": f"http://127.0.0.1:{sink.server_address[1]}", "access_token": "sink-whatsapp-token",
            "phone_number_ids": {"GN": "224000000100"}}


@pytest.fixture
def platform(run_service, sms_sink, whatsapp_sink):
    intake = run_service("intake")
    cases = run_service("cases")
    notifications = run_service("notifications", sms=sms_settings(sms_sink), whatsapp=whatsapp_settings(whatsapp_sink))
    return intake, cases, notifications


def submit(intake, db, channel="hotline", callback=True) -> str:
    """A person's message with their number, taken by an agent; returns the case's reference once open."""
    body = {"country": "GN", "channel": channel, "language": "fr", "narrative": NARRATIVE,
            "contact": {"phone": "622 98 76 54"}, "consent": {"callback": callback}}
    answer = requests.post(f"{intake.url}/v1/feedback", json=body, headers=intake.headers())
    assert answer.status_code in (200, 201, 202), answer.text
    reference = answer.json()["reference"]
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = %s", [reference]).fetchone())
    return reference


def case(cases, reference):
    return requests.get(f"{cases.url}/v1/cases/{reference}", headers=cases.headers("agent", ("GN",))).json()


def reply(cases, reference, channel="sms", template_id="case_update", role="agent"):
    view = case(cases, reference)
    return requests.post(f"{cases.url}/v1/cases/{reference}/replies",
                         json={"template_id": template_id, "channel": channel, "language": "fr",
                               "version": view["version"]},
                         headers=cases.headers(role, ("GN",)))


def timeline(cases, reference, *actions):
    return [entry for entry in case(cases, reference)["timeline"] if entry["action"] in actions]


def reply_texts(sms_sink):
    return [message for message in sms_sink.messages if REPLY_WORDS in message["body"]]


def test_an_sms_reply_reaches_the_person_once_and_its_delivery_shows_on_the_timeline(
        platform, run_service, amqp_uri, db, sms_sink, es_prefix, caplog):
    for logger in ("services", "chassis"):
        caplog.set_level(logging.DEBUG, logger=logger)
    intake, cases, notifications = platform
    run_service("reporting")
    reference = submit(intake, db)

    templates = requests.get(f"{notifications.url}/v1/reply-templates",
                             params={"country": "GN", "language": "fr", "reference": reference,
                                     "status": "in_progress"}, headers=notifications.headers("agent", ("GN",)))
    update = next(t for t in templates.json()["templates"] if t["template_id"] == "case_update")
    assert update["preview"] == (f"Votre dossier {reference} est en cours de traitement. "
                                 f"Nous reviendrons vers vous dès que possible.")
    def templates_error(role="agent", **params):
        answer = requests.get(f"{notifications.url}/v1/reply-templates", params=params,
                              headers=notifications.headers(role, ("GN",)))
        return answer.status_code, answer.json()["error"]["code"]
    assert templates_error(country="ML")[0] == 403
    assert templates_error(country="GN", language="xx") == (422, "unknown_language")
    assert templates_error(country="GN", reference="<script>") == (422, "invalid_reference")
    assert templates_error(country="GN", reference=reference, status="anything") == (422, "invalid_status")
    assert templates_error("manager", country="GN")[0] == 403
    nigeria = requests.get(f"{notifications.url}/v1/reply-templates", params={"country": "NG"},
                           headers=notifications.headers("agent", ("NG",))).json()
    assert (nigeria["language"], nigeria["languages"]) == ("en", ["en", "fr"])  # the country's own order

    sent = reply(cases, reference)
    assert sent.status_code == 200, sent.text
    [requested] = [entry for entry in sent.json()["timeline"] if entry["action"] == "reply_requested"]
    assert (requested["detail"]["template_id"], requested["detail"]["channel"]) == ("case_update", "sms")
    [message] = wait_for(lambda: reply_texts(sms_sink))
    assert message["to"] == PHONE and reference in message["body"]

    # The broker delivers the request again, and cases emits the same reply twice: one SMS all the same.
    [body] = db.execute("SELECT body FROM cases.outbox WHERE routing_key = 'case_reply_requested.v1'").fetchone()
    first = Envelope.model_validate(body)
    publish_event(amqp_uri, "cases", None, envelope=first)
    publish_event(amqp_uri, "cases", first.open())
    wait_for(lambda: handled(notifications, "case_reply_requested.v1") >= 3)
    assert len(reply_texts(sms_sink)) == 1

    [queued] = wait_for(lambda: timeline(cases, reference, "reply_queued"))
    assert queued["detail"]["reply_id"] == requested["detail"]["reply_id"]
    assert twilio_callback(notifications, {"MessageSid": message["sid"], "MessageStatus": "delivered"},
                           token="sink-token").status_code == 204
    [delivered] = wait_for(lambda: timeline(cases, reference, "reply_delivered"))
    assert delivered["detail"]["reply_id"] == requested["detail"]["reply_id"]
    # A late `sent` receipt moves nothing back: the case hears of `delivered` only.
    twilio_callback(notifications, {"MessageSid": message["sid"], "MessageStatus": "sent"}, token="sink-token")
    updates = db.execute("SELECT body FROM notifications.outbox WHERE routing_key = 'message_delivery_updated.v1'")
    assert [row[0]["payload"]["state"] for row in updates] == ["delivered"]

    # The words went to the provider and nowhere else.
    wait_for(lambda: db.execute("SELECT 1 FROM reporting.journal WHERE event_type = 'notification_sent' "
                                "AND reference = %s", [reference]).fetchone())
    Elasticsearch(ES_URL).indices.refresh(index=f"{es_prefix}*")
    indexed = Elasticsearch(ES_URL).search(index=f"{es_prefix}*", query={"match_all": {}}, size=100)
    stored = [json.dumps(row[0], ensure_ascii=False) for schema in ("cases", "notifications", "reporting")
              for row in db.execute(f"SELECT body FROM {schema}.outbox")]
    stored += [json.dumps(row[0], ensure_ascii=False) for row in db.execute("SELECT envelope FROM reporting.journal")]
    stored.append(json.dumps(indexed.body, ensure_ascii=False))
    assert indexed["hits"]["hits"] and stored
    assert not [text for text in stored if REPLY_WORDS in text]
    assert REPLY_WORDS not in caplog.text and "622 98" not in caplog.text and "622987654" not in caplog.text


def test_whatsapp_replies_go_as_text_inside_24_hours_and_as_the_approved_template_outside(
        platform, db, whatsapp_sink):
    intake, cases, notifications = platform
    reference = submit(intake, db, channel="whatsapp")  # the person wrote on WhatsApp just now
    wait_for(lambda: db.execute("SELECT 1 FROM notifications.whatsapp_sessions").fetchone())

    assert reply(cases, reference, channel="whatsapp").status_code == 200
    [text] = wait_for(lambda: whatsapp_sink.messages)
    assert (text["type"], text["to"], text["phone_number_id"]) == ("text", PHONE.lstrip("+"), "224000000100")
    assert text["text"]["body"].startswith(f"Votre dossier {reference} ")

    db.execute("UPDATE notifications.whatsapp_sessions SET last_inbound_at = now() - interval '25 hours'")
    assert reply(cases, reference, channel="whatsapp").status_code == 200
    template = wait_for(lambda: whatsapp_sink.messages[1:])[0]
    assert template["type"] == "template" and "text" not in template
    assert template["template"]["name"] == "cfm_case_update"
    assert template["template"]["language"] == {"code": "fr"}
    assert [p["text"] for p in template["template"]["components"][0]["parameters"]] == [
        reference, "a bien été reçu et sera traité prochainement"]  # a new case, in the person's words

    # Outside the window a reply without an approved template is not sent: the timeline says why.
    assert reply(cases, reference, channel="whatsapp", template_id="case_resolved").status_code == 200
    [withheld] = wait_for(lambda: timeline(cases, reference, "reply_withheld"))
    assert withheld["detail"]["withheld_reason"] == "no_whatsapp_template"
    assert len(whatsapp_sink.messages) == 2
    forms = db.execute("SELECT whatsapp_form FROM notifications.notifications WHERE purpose = 'reply' "
                       "ORDER BY sent_at").fetchall()
    assert forms == [("text",), ("template",), (None,)]

    # A number the provider refuses for good: not retried for ever, the timeline says so.
    whatsapp_sink.unreachable.add(PHONE.lstrip("+"))
    assert reply(cases, reference, channel="whatsapp").status_code == 200
    refused = wait_for(lambda: timeline(cases, reference, "reply_withheld")[1:])[0]
    assert refused["detail"]["withheld_reason"] == "provider_refused"


def test_a_withdrawn_consent_sends_nothing_and_the_timeline_says_why(platform, db, sms_sink):
    intake, cases, notifications = platform
    reference = submit(intake, db)
    contact_ref = db.execute("SELECT contact_ref FROM cases.cases WHERE reference = %s", [reference]).fetchone()[0]
    # The person's STOP reached notifications, not cases yet: the reply is asked for, and withheld.
    db.execute("INSERT INTO notifications.consent_withdrawals (contact_ref, withdrawn_at) VALUES (%s, now())",
               [contact_ref])
    assert reply(cases, reference).status_code == 200
    [withheld] = wait_for(lambda: timeline(cases, reference, "reply_withheld"))
    assert withheld["detail"]["withheld_reason"] == "consent_withdrawn"
    assert reply_texts(sms_sink) == []
    assert db.execute("SELECT count(*) FROM intake.contact_reveals WHERE purpose = 'reply'").fetchone()[0] == 0

    # Once cases knows (consent_callback false), it refuses the reply up front.
    db.execute("UPDATE cases.cases SET consent_callback = false WHERE reference = %s", [reference])
    refused = reply(cases, reference)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "no_consent")


def test_a_failed_reply_opens_a_callback_task(platform, db, sms_sink):
    intake, cases, notifications = platform
    reference = submit(intake, db)
    assert reply(cases, reference).status_code == 200
    [message] = wait_for(lambda: reply_texts(sms_sink))
    wait_for(lambda: timeline(cases, reference, "reply_queued"))
    twilio_callback(notifications, {"MessageSid": message["sid"], "MessageStatus": "undelivered",
                                    "ErrorCode": "30003"}, token="sink-token")
    [failed] = wait_for(lambda: timeline(cases, reference, "reply_failed"))
    assert failed["detail"]["error_code"] == "30003"
    [task] = wait_for(lambda: requests.get(f"{cases.url}/v1/callbacks",
                                           headers=cases.headers("agent", ("GN",))).json()["callbacks"])
    assert task["reference"] == reference


def test_only_someone_who_may_open_the_case_replies_and_a_reply_is_checked(platform, db):
    intake, cases, notifications = platform
    reference = submit(intake, db)
    elsewhere = requests.post(f"{cases.url}/v1/cases/{reference}/replies",
                              json={"template_id": "case_update", "channel": "sms", "language": "fr", "version": 1},
                              headers=cases.headers("agent", ("ML",)))
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (404, "case_not_found")
    odd = requests.post(f"{cases.url}/v1/cases/{reference}/replies",
                        json={"template_id": "Dear {name}", "channel": "fax", "language": "fr", "version": 1},
                        headers=cases.headers("agent", ("GN",)))
    assert (odd.status_code, odd.json()["error"]["code"]) == (422, "validation_failed")
    stale = requests.post(f"{cases.url}/v1/cases/{reference}/replies",
                          json={"template_id": "case_update", "channel": "sms", "language": "fr", "version": 99},
                          headers=cases.headers("agent", ("GN",)))
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_conflict")


def test_intake_reveals_no_contact_for_a_reply_about_a_message_older_than_it_allows(platform, db, sms_sink):
    intake, cases, notifications = platform
    reference = submit(intake, db)
    db.execute("UPDATE intake.feedback SET recorded_at = now() - interval '91 days' WHERE reference = %s",
               [reference])
    assert reply(cases, reference).status_code == 200
    [withheld] = wait_for(lambda: timeline(cases, reference, "reply_withheld"))
    assert withheld["detail"]["withheld_reason"] == "reveal_grounds_too_old"
    assert reply_texts(sms_sink) == []
    assert db.execute("SELECT refused FROM intake.contact_reveals WHERE purpose = 'reply'").fetchall() == [
        ("grounds_too_old",)]
