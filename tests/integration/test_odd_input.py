"""Odd input at the public edges, against real services: each of these was a 500 (and a provider's
message lost while it kept retrying). A NUL is dropped and the message kept; the rest is a 4xx
saying why."""
import json
import uuid

import pytest
import requests

from contracts.snapshots import EXAMPLE_DIR
from tests.channel_payloads import (
    ENDPOINT_SECRETS, call_records, gateway_body, kobo_submission, mailgun_form, post_calls, post_gateway, post_kobo,
    post_mailgun, post_rapidpro, post_sendgrid, post_twilio, post_whatsapp, rapidpro_body, sendgrid_form,
    twilio_form, wa_message, whatsapp_body,
)
from tests.helpers import opened_narratives

pytestmark = pytest.mark.security

AGENT_ENTRY = json.loads((EXAMPLE_DIR / "http.FeedbackSubmission.json").read_text())
WEB_FORM = json.loads((EXAMPLE_DIR / "http.WebFormSubmission.json").read_text())
NUL = "\x00"


@pytest.fixture
def intake(run_service):
    return run_service("intake", endpoints=ENDPOINT_SECRETS)


def narratives(db) -> list[str]:
    return opened_narratives(db, "intake")


def test_a_nul_in_a_message_on_any_channel_is_dropped_and_the_message_kept(intake, db):
    url = intake.url
    text = f"Le paiement{NUL} est en retard à Kindia, numéro {uuid.uuid4().hex[:6]}"
    sent = {
        "agent entry": lambda: requests.post(f"{url}/v1/feedback", json={**AGENT_ENTRY, "narrative": text},
                                             headers=intake.headers(), timeout=10),
        "twilio": lambda: post_twilio(url, twilio_form(text=text)),
        "whatsapp": lambda: post_whatsapp(url, whatsapp_body(wa_message("text", {"body": text}),
                                                             name=f"Mariama{NUL} Bah")),
        "rapidpro": lambda: post_rapidpro(url, rapidpro_body(text=text)),
        "sms gateway": lambda: post_gateway(url, gateway_body(text, message_id=f"gw-{NUL}1")),
        "mailgun": lambda: post_mailgun(url, mailgun_form(text=text),
                                        files={"attachment-1": (f"photo{NUL}.jpg", b"\xff\xd8", "image/jpeg")}),
        "sendgrid": lambda: post_sendgrid(url, sendgrid_form(text=text)),
        "web form": lambda: requests.post(f"{url}/v1/channels/web-form/gn_web", timeout=10,
                                          json={**WEB_FORM, "narrative": text}),
        "kobo": lambda: post_kobo(url, kobo_submission(narrative=text, **{f"group{NUL}_x": "y"})),
        "suggestion box": lambda: requests.post(
            f"{url}/v1/channels/suggestion-box/gn_box_kindia_01/batches", params={"collected_on": "2026-11-20"},
            data=f"narrative;language\n{text};fr\n".encode(), timeout=10,
            headers={**intake.headers(), "Content-Type": "text/csv"}),
    }
    for channel, send in sent.items():
        answer = send()
        assert answer.status_code < 300, (channel, answer.status_code, answer.text)
    stored = narratives(db)
    assert len(stored) == len(sent)
    assert all(NUL not in narrative and "Le paiement est en retard à Kindia" in narrative for narrative in stored)


def test_a_nul_in_call_records_and_query_parameters_is_dropped(intake, db):
    calls = call_records((f"c{NUL}-1", "answered", 12, 300, f"agent{NUL}-1"))
    assert post_calls(intake.url, calls).status_code == 200
    data = f"call_id,started_at,outcome,wait_seconds,duration_seconds,agent_id,caller\nc{NUL}-2,2026-11-25 08:00:00," \
           f"answered,12,300,agent-1,+224622000001\n".encode()
    answer = requests.post(f"{intake.url}/v1/channels/telephony/gn_hotline_1313/batches", data=data, timeout=10,
                           headers={**intake.headers("supervisor"), "Content-Type": "text/csv"})
    assert answer.status_code == 200 and [row["call_id"] for row in answer.json()["accepted"]] == ["c-2"]
    assert sorted(row[0] for row in db.execute("SELECT call_id FROM intake.calls")) == ["c-1", "c-2"]
    batch = requests.post(f"{intake.url}/v1/channels/suggestion-box/gn_box_kindia_01/batches?collected_on=2026-11-20%00",
                          data=b"narrative\nBonjour\n", timeout=10,
                          headers={**intake.headers(), "Content-Type": "text/csv"})
    assert batch.status_code == 200


@pytest.mark.parametrize("header, path, body", [
    ("X-Twilio-Signature", "twilio/gn_sms_twilio", "form"),
    ("X-Hub-Signature-256", "whatsapp/gn_whatsapp", "json"),
    ("X-CFM-Secret", "sms-gateway/gn_sms_gateway", "json"),
])
def test_a_signature_header_with_non_ascii_characters_is_refused_as_invalid(intake, db, header, path, body):
    value = "sha256=é" + "ü" * 40  # sent as latin-1 bytes, as a raw HTTP client can
    kwargs = {"data": twilio_form()} if body == "form" else {"json": gateway_body("Bonjour")}
    answer = requests.post(f"{intake.url}/v1/channels/{path}", headers={header: value.encode("latin-1")},
                           timeout=10, **kwargs)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_signature"
    assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 0


def test_a_mailgun_signature_with_non_ascii_characters_is_refused_as_invalid(intake, db):
    answer = post_mailgun(intake.url, {**mailgun_form(), "signature": "é" * 64})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_signature"


def test_json_nested_five_thousand_deep_is_refused(intake, db):
    deep = "[" * 5000 + "]" * 5000
    for path, headers in (("/v1/feedback", intake.headers()),
                          ("/v1/channels/sms-gateway/gn_sms_gateway", {"X-CFM-Secret": ENDPOINT_SECRETS[
                              "gn_sms_gateway"]["secret"]}),
                          ("/v1/channels/web-form/gn_web", {})):
        answer = requests.post(f"{intake.url}{path}", data=deep, timeout=10,
                               headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "nesting_too_deep", path
    forty = {"a": "b"}
    for _ in range(40):
        forty = {"x": forty}
    answer = post_gateway(intake.url, {**gateway_body("Bonjour"), "extra": forty})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "nesting_too_deep"


def test_dates_at_the_ends_of_the_calendar_are_refused(run_service, db):
    reporting = run_service("reporting")
    headers = reporting.headers("manager")
    for params in ({"period": "week", "date": "0001-01-01"}, {"period": "month", "date": "9999-12-31"}):
        answer = requests.get(f"{reporting.url}/v1/reports", params=params, headers=headers, timeout=10)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_date", params
    answer = requests.get(f"{reporting.url}/v1/search", params={"received_to": "9999-12-31"}, headers=headers,
                          timeout=10)
    assert answer.status_code in (200, 400)
    cases = run_service("cases")
    for params in ({"received_to": "9999-12-31"}, {"received_from": "0001-01-01", "received_to": "9999-12-31"}):
        answer = requests.get(f"{cases.url}/v1/cases", params=params, headers=cases.headers("supervisor"), timeout=10)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_filter", params
    answer = requests.get(f"{cases.url}/v1/cases", params={"status": f"open{NUL}"}, headers=cases.headers("supervisor"),
                          timeout=10)
    assert answer.status_code < 500
