"""The providers' own formats, as they really send them (issue 15): RapidPro's unchanged "Call Webhook"
bodies, SMS from alphanumeric senders, Kobo refusals naming the form's question, over-long narratives
on the agent and web form routes, Mailgun's retries; and whether each channel's contact is one the
platform may text (issue 9)."""
import hashlib
import hmac
import time
import uuid

import pytest
import requests

from tests.channel_payloads import (
    MAILGUN_KEY, gateway_body, kobo_submission, long_complaint, mailgun_form, post_gateway, post_kobo, post_mailgun,
    post_rapidpro, post_twilio, rapidpro_body, twilio_form,
)
from tests.integration.test_channels import count, events, intake, nothing_stored, reveal  # noqa: F401 (fixture)

PHONE = "+224622123456"


def rapidpro_default_body(text="Le forage de Sinta est en panne depuis un mois.", phone=PHONE, **results):
    """What the flow editor's "Call Webhook" sends by default (POST): contact, flow and results only."""
    return {"contact": {"uuid": str(uuid.uuid4()), "name": "Fanta Camara", "urn": f"tel:{phone}"},
            "flow": {"uuid": str(uuid.uuid4()), "name": "CFM plaintes"},
            "results": results or {"message": {"value": text, "category": "Has Text"}}}


def rapidpro_legacy_body(text="Pas de distribution à Sinta ce mois.", phone=PHONE):
    """RapidPro's full legacy webhook payload: input.urn as parts, attachments as {content_type, url},
    the channel inside input."""
    body = rapidpro_body(text=text, phone=phone)
    del body["channel"]
    body["input"].update({
        "type": "msg", "channel": {"uuid": str(uuid.uuid4()), "name": "Orange GN 1313", "address": "1313"},
        "urn": {"scheme": "tel", "path": phone, "display": ""},
        "attachments": [{"content_type": "image/jpeg", "url": "https://rapidpro.example.org/media/photo.jpg"}]})
    return body


# --- RapidPro ---------------------------------------------------------------------------------------

def test_rapidpro_default_call_webhook_body_is_recorded_once(intake, db):
    body = rapidpro_default_body()
    answer = post_rapidpro(intake.url, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "received"
    assert post_rapidpro(intake.url, body).json() == answer.json()  # RapidPro's retry of the same call
    [event] = events(db, "feedback_received")
    assert event["narrative"] == "Le forage de Sinta est en panne depuis un mois."
    assert reveal(intake, event["contact_ref"]).phone == PHONE
    assert event["contact_verified"] is True


def test_rapidpro_results_without_input_keep_every_answer(intake, db):
    body = rapidpro_default_body(
        village={"value": "Sinta", "category": "Has Text", "name": "Village"},
        complaint={"value": "Le forage est en panne.", "category": "Has Text", "name": "Complaint"})
    body["input"] = None  # the legacy body when the webhook is reached without a message
    assert post_rapidpro(intake.url, body).status_code == 200
    [event] = events(db, "feedback_received")
    assert event["narrative"] == "Village: Sinta\nComplaint: Le forage est en panne."


def test_rapidpro_legacy_body_with_attachment_objects_is_recorded(intake, db):
    answer = post_rapidpro(intake.url, rapidpro_legacy_body())
    assert answer.status_code == 200, answer.text
    [event] = events(db, "feedback_received")
    assert [(a["kind"], a["ref"]) for a in event["attachments"]] == [
        ("image", "https://rapidpro.example.org/media/photo.jpg")]
    other = rapidpro_legacy_body()
    other["input"]["channel"]["address"] = "4040"
    assert post_rapidpro(intake.url, other).json()["error"]["code"] == "endpoint_mismatch"


# --- alphanumeric SMS senders -------------------------------------------------------------------------

@pytest.mark.parametrize("sender", ["Orange", "MTN-INFO"])
def test_an_sms_from_an_alphanumeric_sender_is_recorded_without_a_callable_contact(intake, db, sender):
    twilio = post_twilio(intake.url, twilio_form(text="Votre crédit expire bientôt, rechargez.", sender=sender))
    assert twilio.status_code == 200, twilio.text
    gateway = post_gateway(intake.url, gateway_body("Promo : 500 Mo offerts aujourd'hui.", sender=sender))
    assert gateway.status_code == 200, gateway.text
    received = events(db, "feedback_received")
    assert [event["contact_ref"] for event in received] == [None, None]
    assert all(event["consent"]["callback"] is False for event in received)
    assert count(db, "contacts") == 0


def test_a_sender_that_is_neither_a_number_nor_a_name_is_still_refused(intake, db):
    answer = post_gateway(intake.url, gateway_body("Bonjour", sender="12"))
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_phone"
    assert nothing_stored(db)


# --- Kobo -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, value", [
    ("group_respondent/sex", "peut-être"), ("group_respondent/age_group", "vieux"),
    ("group_respondent/disability", "un peu"), ("group_consent/callback", "peut-être"),
    ("group_consent/share", "plus tard"),
])
def test_a_kobo_answer_that_cannot_be_read_is_refused_naming_the_forms_question(intake, db, question, value):
    answer = post_kobo(intake.url, kobo_submission(**{question: value}))
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_answer"
    assert [detail["field"] for detail in answer.json()["error"]["details"]] == [question]
    assert value not in answer.text
    assert nothing_stored(db)


# --- over-long narratives ---------------------------------------------------------------------------------

def test_an_agent_entry_or_web_form_narrative_longer_than_a_feedback_holds_is_message_too_long(intake, db):
    text = long_complaint(50_001)
    agent = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
        "country": "GN", "channel": "hotline", "narrative": text})
    web = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={"narrative": text})
    for answer in (agent, web):
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "message_too_long"
        assert "Libye" not in answer.text
    assert nothing_stored(db)


# --- Mailgun ----------------------------------------------------------------------------------------

def signed(form, timestamp, token=None):
    token = token or uuid.uuid4().hex + uuid.uuid4().hex[:18]
    timestamp = str(timestamp)
    return {**form, "timestamp": timestamp, "token": token,
            "signature": hmac.new(MAILGUN_KEY.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()}


def test_mailgun_repeats_are_recognised_by_message_id(intake, db):
    form = mailgun_form()
    first = post_mailgun(intake.url, form)
    assert first.status_code == 200
    again = post_mailgun(intake.url, signed(form, int(time.time())))  # the same email, a new token
    assert again.status_code == 200 and again.json() == first.json()
    assert count(db, "feedback") == 1


def test_a_mailgun_retry_of_an_accepted_email_signed_long_ago_answers_200(intake, db):
    signed_at = int(time.time()) - 3 * 3600  # Mailgun retries for 8 hours, with the first attempt's signature
    form = signed(mailgun_form(), signed_at)
    stale_first = post_mailgun(intake.url, form)
    assert stale_first.status_code == 403 and stale_first.json()["error"]["code"] == "stale_signature"
    fresh = post_mailgun(intake.url, signed(form, int(time.time())))
    assert fresh.status_code == 200
    retry = post_mailgun(intake.url, form)  # the old signature again: a retry of an accepted email
    assert retry.status_code == 200 and retry.json() == fresh.json()
    other = post_mailgun(intake.url, signed(mailgun_form(text="Un autre message"), signed_at))
    assert other.status_code == 403 and other.json()["error"]["code"] == "stale_signature"
    too_old = post_mailgun(intake.url, signed(form, int(time.time()) - 10 * 3600))
    assert too_old.status_code == 403
    assert count(db, "feedback") == 1


def test_a_mailgun_token_replayed_with_another_email_records_nothing(intake, db):
    form = mailgun_form()
    first = post_mailgun(intake.url, form)
    replay = post_mailgun(intake.url, {**form, "Message-Id": "<forged@example.org>", "stripped-text": "Faux"})
    assert replay.json() == first.json()
    assert count(db, "feedback") == 1


# --- whose contact may be texted -------------------------------------------------------------------------

def test_feedback_received_says_whether_the_contact_is_the_senders_own(intake, db):
    post_twilio(intake.url, twilio_form())
    requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={
        "narrative": "Le paiement est en retard.", "contact": {"phone": "622 11 22 33"},
        "consent": {"callback": True}})
    post_kobo(intake.url, kobo_submission())
    requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
        "country": "GN", "channel": "hotline", "narrative": "Appel au sujet du paiement.",
        "contact": {"phone": "622 55 66 77"}, "consent": {"callback": True}})
    requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={"narrative": "Sans contact."})
    assert [(event["channel"], event["contact_verified"]) for event in events(db, "feedback_received")] == [
        ("sms", True), ("web_form", False), ("hotline", False), ("hotline", True), ("web_form", None)]
