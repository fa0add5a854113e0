"""Every intake channel over real HTTP, from realistic provider payloads: what is recorded,
what is emitted (read from intake's outbox), what is refused and counted."""
import io
import json
import time
import uuid
from datetime import UTC, datetime

import eventlet
import pytest
import requests
from nameko.containers import ServiceContainer
from openpyxl import Workbook

from chassis.services import load_service
from chassis.settings import load_settings
from tests.conftest import TEST_AUTH, RunningService, create_vhost, delete_vhost, free_port

from tests.channel_payloads import (
    BOX_CSV, ENDPOINT_SECRETS, KOBO_FORM, WHATSAPP_NUMBER_ID, WHATSAPP_VERIFY, call_records, gateway_body, kobo_submission,
    long_complaint, mailgun_form, post_calls, post_gateway, post_kobo, post_mailgun, post_rapidpro, post_sendgrid, post_twilio,
    post_whatsapp, rapidpro_body, sendgrid_form, twilio_form, wa_message, whatsapp_body,
)
from tests.helpers import metric_value, opened_narratives


@pytest.fixture(scope="module")
def intake(database_url):
    """One intake for the tests of this module that need no settings of their own (starting and
    stopping a container per test would triple the module's time); `db` empties its tables per test."""
    amqp_uri = create_vhost()
    settings = load_settings(load_service("intake")[1], "intake", environ={}, overrides={
        "database": {"url": database_url, "pool_max": 5}, "amqp": {"uri": amqp_uri, "poll_seconds": 0.1},
        "tracing": {"exporter": "none"}, "http": {"port": free_port(), "metrics_port": free_port()},
        "endpoints": ENDPOINT_SECRETS, "auth": TEST_AUTH})
    container = ServiceContainer(load_service("intake")[0], settings.nameko_config())
    container.start()
    yield RunningService(container, settings)
    with eventlet.Timeout(10, False):
        container.stop()
    container.kill()
    delete_vhost(amqp_uri)


def events(db, event_type):
    rows = db.execute("SELECT body FROM intake.outbox WHERE event_type = %s ORDER BY id", [event_type]).fetchall()
    return [row[0]["payload"] for row in rows]


def count(db, table):
    return db.execute(f"SELECT count(*) FROM intake.{table}").fetchone()[0]


def nothing_stored(db):
    return all(count(db, table) == 0 for table in ("feedback", "contacts", "outbox", "provider_messages", "calls"))


def metric(intake, name, **labels) -> float:
    """One sample from intake's /metrics; tests compare before and after (the registry is per process)."""
    return metric_value(requests.get(intake.metrics_url).text, name, **labels)


def reveal(intake, contact_ref):
    """The contact as the vault gives it back (through the same code path as the RPC)."""
    from services.intake.repository import find_contact
    from services.intake.vault import ContactVault
    import psycopg
    from uuid import UUID
    with psycopg.connect(intake.settings.database.url, options="-c search_path=intake") as conn:
        sealed = find_contact(conn, UUID(contact_ref))
    return ContactVault.from_settings(intake.settings.vault).open(UUID(contact_ref), sealed)


# --- SMS ---------------------------------------------------------------------------------------------

def test_a_signed_twilio_sms_becomes_one_feedback_and_a_retry_gets_the_same_answer(intake, db):
    form = twilio_form()
    labels = {"channel": "sms", "country": "GN", "endpoint": "gn_sms_twilio"}
    received_before = metric(intake, "cfm_intake_messages_received_total", **labels)
    retries_before = metric(intake, "cfm_intake_provider_retries_total", endpoint="gn_sms_twilio")
    answer = post_twilio(intake.url, form)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    assert "<Response/>" in answer.text
    assert post_twilio(intake.url, form).text == answer.text  # Twilio retries the same MessageSid

    [event] = events(db, "feedback_received")
    assert event["channel"] == "sms" and event["endpoint"] == "gn_sms_twilio"
    assert event["provider_message_id"] == form["MessageSid"] and event["narrative"] == form["Body"]
    assert event["language"] == "fr" and event["language_detected"] is True
    assert "622123456" not in json.dumps(event)
    assert reveal(intake, event["contact_ref"]).phone == "+224622123456"
    assert count(db, "feedback") == 1
    assert metric(intake, "cfm_intake_messages_received_total", **labels) == received_before + 1
    assert metric(intake, "cfm_intake_provider_retries_total", endpoint="gn_sms_twilio") == retries_before + 1
    assert metric(intake, "cfm_intake_last_received_timestamp_seconds", **labels) > time.time() - 60
    metrics = requests.get(intake.metrics_url).text
    assert "622123456" not in metrics and "+224" not in metrics


def test_a_twilio_whatsapp_voice_note_is_kept_as_a_media_reference(intake, db):
    form = twilio_form(text="", sender="whatsapp:+224622123456", To="whatsapp:+224620000001", NumMedia="1",
                       MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                       MediaContentType0="audio/ogg")
    assert post_twilio(intake.url, form).status_code == 200
    [event] = events(db, "feedback_received")
    assert event["narrative"] == "[audio]"
    assert event["attachments"] == [{"kind": "audio", "ref": form["MediaUrl0"], "content_type": "audio/ogg",
                                     "filename": None}]


@pytest.mark.parametrize("tamper", ["wrong_token", "other_url", "changed_body", "missing"])
def test_a_twilio_request_with_a_bad_signature_is_refused_and_counted(intake, db, tamper):
    form = twilio_form()
    url = f"{intake.url}/v1/channels/twilio/gn_sms_twilio"
    labels = {"endpoint": "gn_sms_twilio", "reason": "invalid_signature"}
    before = metric(intake, "cfm_intake_messages_rejected_total", **labels)
    from tests.channel_payloads import twilio_signature
    signature = {"wrong_token": twilio_signature(url, form, "not-the-token"),
                 "other_url": twilio_signature(url + "?x=1", form),
                 "changed_body": twilio_signature(url, {**form, "Body": "autre"}),
                 "missing": ""}[tamper]
    answer = post_twilio(intake.url, form, signature=signature)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_signature"
    assert nothing_stored(db)
    assert metric(intake, "cfm_intake_messages_rejected_total", **labels) == before + 1


def test_rapidpro_gives_back_the_reference_and_maps_its_language(intake, db):
    body = rapidpro_body()
    answer = post_rapidpro(intake.url, body)
    assert answer.status_code == 200 and answer.json()["status"] == "received"
    assert post_rapidpro(intake.url, body).json() == answer.json()
    [event] = events(db, "feedback_received")
    assert event["reference"] == answer.json()["reference"] and event["language"] == "fr"
    assert event["language_detected"] is False and event["received_at"].startswith("2026-11-25T09:12:29")
    assert post_rapidpro(intake.url, rapidpro_body(), secret="guess").json()["error"]["code"] == "invalid_signature"
    assert count(db, "feedback") == 1


def test_the_same_person_sending_the_same_text_again_is_linked_to_the_first_case(intake, db):
    text = "Le paiement de mon appui au commerce n'est toujours pas arrivé."
    first = post_gateway(intake.url, gateway_body(text)).json()
    again = post_gateway(intake.url, gateway_body("  le PAIEMENT de mon appui au commerce n'est toujours pas arrivé. ",
                                                  sender="622123456")).json()
    other_person = post_gateway(intake.url, gateway_body(text, sender="+224 655 00 00 01")).json()
    assert again["status"] == "repeat" and again["reference"] == first["reference"]
    assert other_person["status"] == "received" and other_person["reference"] != first["reference"]
    received = events(db, "feedback_received")
    assert [event["repeat"] for event in received] == [False, True, False]
    assert received[0]["contact_ref"] == received[1]["contact_ref"] != received[2]["contact_ref"]
    assert count(db, "contacts") == 2


def test_a_status_request_emits_status_requested_and_opens_nothing(intake, db):
    post_gateway(intake.url, gateway_body("Bonjour, je n'ai pas reçu mon kit."))
    answer = post_gateway(intake.url, gateway_body("  statut : gn-2026-000042 !"))
    assert answer.status_code == 200 and answer.json() == {"status": "status_requested", "reference": None,
                                                           "feedback_id": None}
    [request] = events(db, "status_requested")
    [feedback] = events(db, "feedback_received")
    assert request["reference"] == "GN-2026-000042" and request["channel"] == "sms" and request["language"] == "fr"
    assert request["contact_ref"] == feedback["contact_ref"]
    assert count(db, "feedback") == 1


def test_an_anonymous_status_request_is_answered_as_not_answerable_and_recorded_nowhere(intake, db):
    # A RapidPro contact on Telegram has no phone number intake could answer, nor check ownership by.
    body = rapidpro_body(text="STATUS GN-2026-000042")
    body["input"]["urn"] = {"scheme": "telegram", "path": "498327441", "display": "fanta_c"}
    answer = post_rapidpro(intake.url, body)
    assert answer.status_code == 200 and answer.json()["status"] == "not_answerable"
    assert post_rapidpro(intake.url, body).json() == answer.json()  # a retry gets the same answer
    assert all(count(db, table) == 0 for table in ("feedback", "contacts", "outbox", "status_requests"))


def test_the_web_form_cannot_ask_for_a_status_and_stores_nothing(intake, db):
    labels = {"endpoint": "gn_web", "reason": "status_request_not_allowed_here"}
    before = metric(intake, "cfm_intake_messages_rejected_total", **labels)
    # Someone types the victim's number: the status must never be texted to it from here.
    answer = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={
        "narrative": "STATUT GN-2026-000042", "contact": {"phone": "+224 622 12 34 56"}, "consent": {"callback": True}})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "status_request_not_allowed_here"
    anonymous = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={"narrative": "STATUS GN-2026-000042"})
    assert anonymous.status_code == 422 and anonymous.json()["error"]["code"] == "status_request_not_allowed_here"
    assert nothing_stored(db) and count(db, "status_requests") == 0
    assert metric(intake, "cfm_intake_messages_rejected_total", **labels) == before + 2


def test_a_web_form_contact_is_never_joined_to_the_real_owner_of_the_number(intake, db):
    owner = post_gateway(intake.url, gateway_body("Le paiement de mon appui n'est pas arrivé.")).json()
    typed = {"narrative": "Le paiement de mon appui n'est pas arrivé.", "contact": {"phone": "+224 622 12 34 56"}}
    first = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json=typed).json()
    second = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json=typed).json()
    later = post_gateway(intake.url, gateway_body("STATUT " + first["reference"])).json()
    assert owner["status"] == first["status"] == second["status"] == "received"  # no repeat: nobody is sure who
    assert len({owner["reference"], first["reference"], second["reference"]}) == 3
    [by_sms, *by_form] = events(db, "feedback_received")
    assert len({by_sms["contact_ref"], *(event["contact_ref"] for event in by_form)}) == 3
    assert reveal(intake, by_form[0]["contact_ref"]).phone == "+224622123456"  # kept, to call back if agreed
    assert later["status"] == "status_requested"
    [request] = events(db, "status_requested")
    assert request["contact_ref"] == by_sms["contact_ref"] != by_form[0]["contact_ref"]  # cases will see: not theirs


# --- WhatsApp ----------------------------------------------------------------------------------------

def test_the_whatsapp_verification_handshake_echoes_the_challenge_only_for_our_token(intake):
    url = f"{intake.url}/v1/channels/whatsapp/gn_whatsapp"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": WHATSAPP_VERIFY,
                                   "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "invalid_verify_token"


def test_one_whatsapp_post_with_several_messages_records_each_and_ignores_statuses(intake, db):
    sent_at = int(datetime(2026, 11, 25, 8, 30, tzinfo=UTC).timestamp())
    messages = [
        wa_message("text", {"body": "Salam 👋 مرحبا، لم أستلم المساعدة بعد"}, timestamp=sent_at),
        wa_message("location", {"latitude": 9.5092, "longitude": -13.7122, "name": "Centre de transit de Matam",
                                "address": "Matam, Conakry"}),
        wa_message("interactive", {"type": "button_reply", "button_reply": {"id": "cat-2", "title": "Demande d'aide"}}),
        wa_message("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc", "id": "1190436702143857",
                             "voice": True}),
        wa_message("reaction", {"message_id": "wamid.x", "emoji": "👍"}),
    ]
    statuses = [{"id": "wamid.sent", "status": "delivered", "timestamp": str(sent_at), "recipient_id": "224622123456"}]
    body = whatsapp_body(*messages, statuses=statuses)
    answer = post_whatsapp(intake.url, body)
    assert answer.status_code == 200
    assert [item["status"] for item in answer.json()["received"]] == ["received"] * 4
    assert answer.json()["ignored"] == 1
    assert post_whatsapp(intake.url, body).json() == answer.json()  # Meta retries the whole delivery

    received = events(db, "feedback_received")
    assert len(received) == 4 and count(db, "feedback") == 4
    assert received[0]["narrative"] == messages[0]["text"]["body"]  # exactly as sent, emoji and Arabic
    assert received[0]["received_at"].startswith("2026-11-25T08:30:00")
    assert received[1]["location"] == {"adm1": "Conakry", "adm2": "Matam", "adm3": None,  # from the gazetteer
                                       "place": "Centre de transit de Matam"}
    assert "9.5092" not in json.dumps(received) and "13.7122" not in json.dumps(received)
    assert received[2]["narrative"] == "Demande d'aide"
    assert received[3]["attachments"][0]["ref"] == "1190436702143857" and received[3]["narrative"] == "[audio]"
    assert len({event["contact_ref"] for event in received}) == 1
    assert reveal(intake, received[0]["contact_ref"]).name == "Mariama Bah"


def test_a_whatsapp_delivery_holding_only_statuses_is_acknowledged(intake, db):
    body = whatsapp_body(statuses=[{"id": "wamid.a", "status": "read", "timestamp": "1764059400",
                                    "recipient_id": "224622123456"}])
    assert post_whatsapp(intake.url, body).json() == {"received": [], "ignored": 0}
    assert nothing_stored(db)


@pytest.mark.parametrize("case, status, code", [
    ("bad_secret", 403, "invalid_signature"), ("tampered", 403, "invalid_signature"),
    ("other_number", 403, "endpoint_mismatch"), ("not_json", 400, "malformed_json"),
    ("unknown_endpoint", 404, "unknown_endpoint"),
])
def test_bad_whatsapp_posts_are_refused_and_store_nothing(intake, db, case, status, code):
    body = whatsapp_body(wa_message("text", {"body": "Bonjour"}))
    raw = json.dumps(body).encode()
    answer = {
        "bad_secret": lambda: post_whatsapp(intake.url, body, secret="other"),
        "tampered": lambda: requests.post(f"{intake.url}/v1/channels/whatsapp/gn_whatsapp", data=raw.replace(
            b"Bonjour", b"Bonsoir"), headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" +
                                              __import__("hmac").new(b"test-meta-app-secret", raw, "sha256").hexdigest()}),
        "other_number": lambda: post_whatsapp(intake.url, whatsapp_body(wa_message("text", {"body": "Bonjour"}),
                                                                        phone_number_id="999")),
        "not_json": lambda: post_whatsapp(intake.url, None, raw=b"{not json"),
        "unknown_endpoint": lambda: post_whatsapp(intake.url, body, endpoint="gn_sms_twilio"),
    }[case]()
    assert answer.status_code == status and answer.json()["error"]["code"] == code
    assert nothing_stored(db)


def test_too_many_attachments_are_refused(intake, db):
    form = twilio_form(NumMedia="11", **{f"MediaUrl{i}": f"https://example.org/m{i}" for i in range(11)})
    answer = post_twilio(intake.url, form)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_many_attachments"
    assert nothing_stored(db)


def test_an_oversized_body_is_refused(intake, db):
    answer = post_gateway(intake.url, gateway_body("x" * 70_000))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"
    assert nothing_stored(db)


# --- email -------------------------------------------------------------------------------------------

def test_a_signed_mailgun_email_keeps_the_stripped_text_and_attachment_names_only(intake, db):
    form = mailgun_form()
    files = [("attachment-1", ("carte.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg")),
             ("attachment-2", ("lettre.pdf", b"%PDF-1.4 ...", "application/pdf"))]
    answer = post_mailgun(intake.url, {**form, "attachment-count": "2"}, files=files)
    assert answer.status_code == 200 and answer.json()["status"] == "received"
    replayed = post_mailgun(intake.url, {**form, "stripped-text": "Un autre texte avec le même jeton"})
    assert replayed.json() == answer.json()  # the signature covers only timestamp+token: one token, one message
    [event] = events(db, "feedback_received")
    assert event["narrative"] == form["stripped-text"] and event["channel"] == "email"
    assert [(a["kind"], a["filename"]) for a in event["attachments"]] == [("image", "carte.jpg"),
                                                                          ("document", "lettre.pdf")]
    contact = reveal(intake, event["contact_ref"])
    assert contact.email == "aissatou.barry@example.org" and contact.name == "Aïssatou Barry"
    assert "example.org" not in json.dumps(event)


@pytest.mark.parametrize("form, code", [
    (lambda: mailgun_form(key="another-key"), "invalid_signature"),
    (lambda: mailgun_form(timestamp=int(time.time()) - 3600), "stale_signature"),
    (lambda: {**mailgun_form(), "recipient": "someone-else@example.org"}, "endpoint_mismatch"),
])
def test_bad_mailgun_posts_are_refused(intake, db, form, code):
    answer = post_mailgun(intake.url, form())
    assert answer.status_code == 403 and answer.json()["error"]["code"] == code
    assert nothing_stored(db)


def test_a_sendgrid_email_with_basic_auth_is_received_once_per_message_id(intake, db):
    form = sendgrid_form()
    first = post_sendgrid(intake.url, form)
    assert first.status_code == 200
    assert post_sendgrid(intake.url, form).json() == first.json()
    [event] = events(db, "feedback_received")
    assert event["language"] == "en" and event["language_detected"] is True
    assert post_sendgrid(intake.url, sendgrid_form(), secret="nope").status_code == 403
    assert count(db, "feedback") == 1


# --- web form ----------------------------------------------------------------------------------------

def test_the_web_form_is_public_and_records_what_the_person_gave(intake, db):
    answer = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={
        "narrative": "Le forage de Sinko ne marche plus depuis un mois, les femmes marchent loin.",
        "contact": {"name": "Nènè Diallo", "phone": "+224 664 00 11 22"}, "consent": {"callback": True},
        "location": {"adm1": "Kindia", "place": "Mambia"}, "respondent": {"sex": "female", "age_group": "25-59"}})
    assert answer.status_code == 202 and answer.json()["reference"].startswith("GN-")
    [event] = events(db, "feedback_received")
    assert event["channel"] == "web_form" and event["consent"]["callback"] is True
    assert event["respondent"]["sex"] == "female" and event["location"]["place"] == "Mambia"


def test_the_web_form_is_rate_limited_per_real_client_address(run_service, db):
    intake = run_service("intake", channels={"web_form_rate_limit": {"requests": 2, "per_seconds": 600}})
    url = f"{intake.url}/v1/channels/web-form/gn_web"
    send = lambda n, **headers: requests.post(url, json={"narrative": f"Message numéro {n}"}, headers=headers)
    assert [send(1).status_code, send(2).status_code] == [202, 202]
    limited = send(3, **{"X-Forwarded-For": "203.0.113.9"})  # a forged header from an untrusted peer changes nothing
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"
    assert count(db, "feedback") == 2


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(run_service, db):
    intake = run_service("intake", channels={"web_form_rate_limit": {"requests": 1, "per_seconds": 600}},
                         http={"trusted_proxies": ["127.0.0.1"]})
    url = f"{intake.url}/v1/channels/web-form/gn_web"
    send = lambda client: requests.post(url, json={"narrative": f"Message de {client}"},
                                        headers={"X-Forwarded-For": f"{client}, 127.0.0.1"}).status_code
    assert [send("198.51.100.1"), send("198.51.100.2"), send("198.51.100.1")] == [202, 202, 429]


# --- KoboToolbox -------------------------------------------------------------------------------------

def test_a_kobo_submission_is_mapped_and_deduplicated_on_its_instance_id(intake, db):
    submission = kobo_submission()
    answer = post_kobo(intake.url, submission)
    assert answer.status_code == 201
    assert post_kobo(intake.url, submission).json() == answer.json()  # Kobo retries
    [event] = events(db, "feedback_received")
    assert event["channel"] == "hotline" and event["endpoint"] == "gn_kobo_feedback"
    assert event["location"] == {"adm1": "Boké", "adm2": "Boké", "adm3": "Kolaboui", "place": "Kolaboui"}
    assert event["respondent"] == {"sex": "female", "age_group": "25-59", "disability": False}
    assert event["consent"] == {"callback": True, "share_with_partners": False}
    assert event["submitted_by"] == "kobo:enumerator_boke" and event["language"] == "fr"
    assert event["received_at"].startswith("2026-11-25T09:14:41")  # Kobo's servers write UTC
    assert reveal(intake, event["contact_ref"]).phone == "+224664112233"
    assert "-14.12" not in json.dumps(event)


def test_a_kobo_server_writing_local_time_can_be_read_in_the_country_time_zone(run_service, db):
    intake = run_service("intake", endpoints={**ENDPOINT_SECRETS, "gn_kobo_feedback": {
        **ENDPOINT_SECRETS["gn_kobo_feedback"], "country": "NE", "kobo_submission_time_zone": "country"}})
    assert post_kobo(intake.url, kobo_submission(**{"group_contact/phone": "90 12 34 56"})).status_code == 201
    [event] = events(db, "feedback_received")
    assert event["received_at"].startswith("2026-11-25T08:14:41")  # Niamey is UTC+1


@pytest.mark.parametrize("change, status, code", [
    ({"_xform_id_string": "another_form"}, 403, "endpoint_mismatch"),
    ({"group_respondent/sex": "banana"}, 422, "invalid_answer"),
    ({"group_message/narrative": ""}, 422, "malformed_payload"),
    ({"group_contact/phone": "not a phone"}, 422, "invalid_phone"),
])
def test_bad_kobo_submissions_are_refused(intake, db, change, status, code):
    answer = post_kobo(intake.url, kobo_submission(**change))
    assert answer.status_code == status and answer.json()["error"]["code"] == code
    assert post_kobo(intake.url, kobo_submission(), secret="wrong").status_code == 403
    assert nothing_stored(db)
    assert KOBO_FORM


# --- suggestion boxes --------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_box(intake, data, content_type="text/csv", collected_on="2026-11-20", role="agent"):
    return requests.post(f"{intake.url}/v1/channels/suggestion-box/gn_box_kindia_01/batches",
                         params={"collected_on": collected_on}, data=data, timeout=10,
                         headers={**intake.headers(role), "Content-Type": content_type})


def test_a_box_batch_accepts_valid_rows_reports_invalid_ones_and_a_second_upload_adds_nothing(intake, db):
    report = upload_box(intake, BOX_CSV).json()
    assert [row["row"] for row in report["accepted"]] == [2, 3]
    assert [(p["row"], p["column"]) for p in report["rejected"]] == [(4, "sex"), (5, "phone")]
    assert all("peut" not in p["reason"] for p in report["rejected"])
    received = events(db, "feedback_received")
    assert [event["channel"] for event in received] == ["suggestion_box"] * 2
    assert received[0]["respondent"] == {"sex": "female", "age_group": "25-59", "disability": False}
    assert received[0]["received_at"].startswith("2026-11-20T12:00:00") and received[0]["contact_ref"] is None
    assert received[1]["consent"]["callback"] is True and received[1]["contact_ref"]

    again = upload_box(intake, BOX_CSV).json()
    assert again["already_uploaded"] is True and again["accepted"] == report["accepted"]
    assert count(db, "feedback") == 2

    fixed = BOX_CSV.replace("peut-être".encode(), b"").replace(b";12;", b";;")
    corrected = upload_box(intake, fixed).json()
    assert [(row["row"], row["duplicate"]) for row in corrected["accepted"]] == [
        (2, True), (3, True), (4, False), (5, False)]
    assert corrected["rejected"] == [] and count(db, "feedback") == 4


def test_a_box_batch_in_xlsx_is_read_like_csv(intake, db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Narrative", "Sex", "Age_group", "Phone", "consent_callback"])
    sheet.append(["Le magasin est fermé le jour de la distribution.", "female", "18-24", 622334455, "yes"])
    sheet.append(["", "male", None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = upload_box(intake, buffer.getvalue(),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").json()
    assert [row["row"] for row in report["accepted"]] == [2]
    assert report["rejected"] == [{"row": 3, "column": "narrative", "reason": "empty"}]
    [event] = events(db, "feedback_received")
    assert reveal(intake, event["contact_ref"]).phone == "+224622334455"


@pytest.mark.parametrize("data, content_type, params, status, code", [
    (b"PK\x03\x04 broken", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {}, 400,
     "unreadable_file"),
    (b"texte;sexe\nbonjour;F\n", "text/csv", {}, 422, "missing_column"),
    (BOX_CSV, "application/pdf", {}, 415, "unsupported_media_type"),
    (BOX_CSV, "text/csv", {"collected_on": "hier"}, 422, "validation_failed"),
])
def test_unreadable_box_batches_are_refused_whole(intake, db, data, content_type, params, status, code):
    answer = upload_box(intake, data, content_type, **params)
    assert answer.status_code == status and answer.json()["error"]["code"] == code
    assert nothing_stored(db) and count(db, "batch_uploads") == 0


def test_a_box_batch_needs_a_staff_token_for_the_box_country(intake, db):
    assert requests.post(f"{intake.url}/v1/channels/suggestion-box/gn_box_kindia_01/batches",
                         data=BOX_CSV, headers={"Content-Type": "text/csv"}).status_code == 401
    answer = requests.post(f"{intake.url}/v1/channels/suggestion-box/gn_box_kindia_01/batches",
                           params={"collected_on": "2026-11-20"}, data=BOX_CSV,
                           headers={**intake.headers(countries=["ML"]), "Content-Type": "text/csv"})
    assert answer.json()["error"]["code"] == "country_not_in_scope" and nothing_stored(db)


# --- call detail records -----------------------------------------------------------------------------

def test_call_detail_records_become_call_recorded_events_once_per_call_id(intake, db):
    body = call_records(("1732526470.1042", "answered", 35, 212, "agent-fatou"), ("1732526533.1043", "abandoned", 94, 30,
                                                                                  None))
    report = post_calls(intake.url, body).json()
    assert [row["duplicate"] for row in report["accepted"]] == [False, False]
    assert [row["duplicate"] for row in post_calls(intake.url, body).json()["accepted"]] == [True, True]
    calls = events(db, "call_recorded")
    assert [(c["call_id"], c["outcome"], c["wait_seconds"], c["duration_seconds"], c["agent_id"]) for c in calls] == [
        ("1732526470.1042", "answered", 35.0, 212.0, "agent-fatou"), ("1732526533.1043", "abandoned", 94.0, 0.0, None)]
    outbox = json.dumps([row[0] for row in db.execute("SELECT body FROM intake.outbox").fetchall()])
    assert "622998877" not in outbox and count(db, "feedback") == 0
    assert post_calls(intake.url, body, secret="x").status_code == 403


def test_call_detail_records_upload_as_csv_with_a_row_report(intake, db):
    data = ("call_id,started_at,outcome,wait_seconds,duration_seconds,agent_id,caller\n"
            "c-1,2026-11-25 08:00:00,answered,12,300,agent-1,+224622000001\n"
            "c-2,2026-11-25 08:05:00,hung up,40,0,,+224622000002\n").encode()
    answer = requests.post(f"{intake.url}/v1/channels/telephony/gn_hotline_1313/batches", data=data,
                           headers={**intake.headers("supervisor"), "Content-Type": "text/csv"}).json()
    assert [row["call_id"] for row in answer["accepted"]] == ["c-1"]
    assert [(p["row"], p["column"]) for p in answer["rejected"]] == [(3, "outcome")]
    [call] = events(db, "call_recorded")
    assert call["started_at"].startswith("2026-11-25T08:00:00")


# --- agent entry, endpoints, metrics -----------------------------------------------------------------

def test_an_agent_entry_carries_call_metadata_location_and_respondent(intake, db):
    answer = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
        "country": "GN", "channel": "hotline",
        "narrative": "The cash transfer was not received and the office does not answer the phone.",
        "contact": {"phone": "+224 622 12 34 56"}, "consent": {"callback": True, "share_with_partners": True},
        "location": {"adm1": "Conakry", "adm2": "Matam"},
        "respondent": {"sex": "male", "age_group": "18-24", "disability": True},
        "interaction": {"endpoint": "gn_hotline_1313", "call_id": "1732526470.1042", "duration_seconds": 240}})
    assert answer.status_code == 202
    [event] = events(db, "feedback_received")
    assert event["submitted_by"] == "test-user" and event["call_id"] == "1732526470.1042"
    assert event["endpoint"] == "gn_hotline_1313" and event["language"] == "en"
    assert event["respondent"]["disability"] is True and event["location"]["adm2"] == "Matam"


def test_an_unknown_endpoint_is_refused_and_counted_without_its_name(intake, db):
    labels = {"endpoint": "unknown", "reason": "unknown_endpoint"}
    before = metric(intake, "cfm_intake_messages_rejected_total", **labels)
    answer = post_gateway(intake.url, gateway_body("Bonjour"), endpoint="gn_sms_nowhere")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "unknown_endpoint"
    wrong_kind = post_gateway(intake.url, gateway_body("Bonjour"), endpoint="gn_whatsapp")
    assert wrong_kind.status_code == 404 and nothing_stored(db)
    assert metric(intake, "cfm_intake_messages_rejected_total", **labels) == before + 2
    assert "gn_sms_nowhere" not in requests.get(intake.metrics_url).text


@pytest.mark.parametrize("body, code", [
    ({"message_id": "gw-1", "from": "+224622123456", "to": "1313"}, "malformed_payload"),
    ({"message_id": "gw-1", "from": "+224622123456", "to": "36000", "text": "x"}, "endpoint_mismatch"),
    # Digits that make no number ("yes" would be an alphanumeric sender id: recorded without a contact).
    ({"message_id": "gw-1", "from": "12", "to": "1313", "text": "x"}, "invalid_phone"),
    ({"message_id": "gw-1", "from": "+224622123456", "to": "1313", "text": "x", "extra": 1}, "malformed_payload"),
])
def test_malformed_gateway_messages_are_refused(intake, db, body, code):
    answer = post_gateway(intake.url, body)
    assert answer.status_code in (403, 422) and answer.json()["error"]["code"] == code
    assert nothing_stored(db)


# --- oversized and mistyped input ---------------------------------------------------------------------

def rejected(intake, endpoint, reason) -> float:
    return metric(intake, "cfm_intake_messages_rejected_total", endpoint=endpoint, reason=reason)


def test_a_long_email_and_a_long_sms_are_recorded_exactly_as_sent(intake, db):
    email = long_complaint(16_000)
    sms = long_complaint(12_000, ascii_only=True)
    assert post_mailgun(intake.url, mailgun_form(text=email)).json()["status"] == "received"
    assert post_gateway(intake.url, gateway_body(sms)).json()["status"] == "received"
    assert [event["narrative"] for event in events(db, "feedback_received")] == [email, sms]
    assert sorted(len(text) for text in opened_narratives(db, "intake")) == [12_000, 16_000]


@pytest.mark.parametrize("channel", ["mailgun", "twilio", "sms_gateway"])
def test_a_message_longer_than_a_feedback_holds_is_refused_whole_and_counted(intake, db, channel):
    text = long_complaint(50_001, ascii_only=channel != "mailgun")
    endpoint, send = {
        "mailgun": ("gn_email_mailgun", lambda: post_mailgun(intake.url, mailgun_form(text=text))),
        "twilio": ("gn_sms_twilio", lambda: post_twilio(intake.url, twilio_form(text=text))),
        "sms_gateway": ("gn_sms_gateway", lambda: post_gateway(intake.url, gateway_body(text))),
    }[channel]
    before = rejected(intake, endpoint, "message_too_long")
    answer = send()
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "message_too_long"
    assert "Libye" not in answer.text  # the refusal never echoes the message
    assert nothing_stored(db)
    assert rejected(intake, endpoint, "message_too_long") == before + 1


def test_a_box_slip_longer_than_a_feedback_holds_is_a_row_problem_and_the_others_are_recorded(intake, db):
    data = ("narrative;sex\n"
            "Merci pour les semences.;F\n"
            f"{long_complaint(50_001).replace(chr(10), chr(32))};M\n").encode("utf-8")
    report = upload_box(intake, data).json()
    assert [row["row"] for row in report["accepted"]] == [2]
    assert report["rejected"] == [{"row": 3, "column": "narrative", "reason": "longer than 50000 characters"}]
    assert count(db, "feedback") == 1


def rapidpro_with_contact(**contact):
    body = rapidpro_body()
    return {**body, "contact": {**body["contact"], **contact}}


def whatsapp_with(message=None, **value):
    body = whatsapp_body(message or wa_message("text", {"body": "Bonjour, je n'ai pas reçu mon kit."}))
    body["entry"][0]["changes"][0]["value"].update(value)
    return body


LONG_NAME = "Mariama " * 26  # 208 characters: a clerk or a phone pasted something else into the name
LONG_PLACE = "Quartier Kaporo-Rails, derrière la mosquée, " * 3  # 135 characters


@pytest.mark.parametrize("case, code, field", [
    ("email attachment name over 300 characters", "malformed_payload", "AttachmentRef.filename"),
    ("email sender name over 200 characters", "malformed_payload", "from"),
    ("rapidpro contact name that is a number", "malformed_payload", "contact.name"),
    ("rapidpro contact name over 200 characters", "malformed_payload", "contact.name"),
    ("rapidpro language that is a list", "malformed_payload", "contact.language"),
    ("twilio media url over 2000 characters", "malformed_payload", "AttachmentRef.ref"),
    ("kobo region over 100 characters", "invalid_answer", "group_location/region"),
    ("kobo language that is a number", "invalid_answer", "group_message/language"),
    ("whatsapp text that is not an object", "malformed_payload", "messages.text"),
    ("whatsapp metadata that is not an object", "malformed_payload", "metadata"),
    ("whatsapp text body that is a number", "malformed_payload", "messages.text"),
])
def test_a_mistyped_or_oversized_provider_field_is_refused_by_name_and_stores_nothing(intake, db, case, code, field):
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/" + "ME" * 1000
    send = {
        "email attachment name over 300 characters": lambda: post_mailgun(intake.url, mailgun_form(), files=[
            ("attachment-1", ("scan_" + "page_" * 60 + ".jpg", b"\xff\xd8\xff", "image/jpeg"))]),
        "email sender name over 200 characters": lambda: post_mailgun(
            intake.url, {**mailgun_form(), "from": f"{LONG_NAME} <aissatou.barry@example.org>"}),
        "rapidpro contact name that is a number": lambda: post_rapidpro(intake.url, rapidpro_with_contact(name=224)),
        "rapidpro contact name over 200 characters": lambda: post_rapidpro(
            intake.url, rapidpro_with_contact(name=LONG_NAME)),
        "rapidpro language that is a list": lambda: post_rapidpro(intake.url, rapidpro_with_contact(language=["fra"])),
        "twilio media url over 2000 characters": lambda: post_twilio(intake.url, twilio_form(
            NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg")),
        "kobo region over 100 characters": lambda: post_kobo(intake.url, kobo_submission(
            **{"group_location/region": LONG_PLACE})),
        "kobo language that is a number": lambda: post_kobo(intake.url, kobo_submission(
            **{"group_message/language": 1})),
        "whatsapp text that is not an object": lambda: post_whatsapp(intake.url, whatsapp_with(
            wa_message("text", "Bonjour, je n'ai pas reçu mon kit."))),
        "whatsapp metadata that is not an object": lambda: post_whatsapp(intake.url, whatsapp_with(
            metadata=WHATSAPP_NUMBER_ID)),
        "whatsapp text body that is a number": lambda: post_whatsapp(intake.url, whatsapp_with(
            wa_message("text", {"body": 1313}))),
    }[case]
    answer = send()
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and [detail["field"] for detail in error["details"]] == [field]
    assert "Mariama" not in answer.text and "Kaporo" not in answer.text  # values are never echoed
    assert nothing_stored(db)


def test_a_mistyped_provider_field_is_counted_as_a_refusal(intake, db):
    before = rejected(intake, "gn_sms_rapidpro", "malformed_payload")
    assert post_rapidpro(intake.url, rapidpro_with_contact(name={"first": "Fanta"})).status_code == 422
    assert rejected(intake, "gn_sms_rapidpro", "malformed_payload") == before + 1


def test_a_box_slip_with_an_overlong_name_or_place_is_a_row_problem_and_the_others_are_recorded(intake, db):
    data = ("narrative;name;adm1;place\n"
            "Merci pour les semences.;;Kindia;Damakania\n"
            f"Les distributions commencent en retard.;{LONG_NAME};Kindia;\n"
            f"Pas de toilettes pour les femmes au centre.;;Kindia;{LONG_PLACE}\n"
            f"Le chef choisit sa famille pour la liste.;;{LONG_PLACE};\n").encode("utf-8")
    report = upload_box(intake, data).json()
    assert [row["row"] for row in report["accepted"]] == [2]
    assert report["rejected"] == [{"row": 3, "column": "name", "reason": "longer than 200 characters"},
                                  {"row": 4, "column": "place", "reason": "longer than 100 characters"},
                                  {"row": 5, "column": "adm1", "reason": "longer than 100 characters"}]
    assert count(db, "feedback") == 1 and count(db, "contacts") == 0


def test_an_xlsx_whose_later_slips_would_be_cut_off_is_refused_whole(run_service, db):
    intake = run_service("intake", channels={"max_upload_rows": 4})
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["narrative", "sex"])
    for text in ("Merci pour les semences.", "Les distributions commencent en retard.",
                 "Pas de toilettes pour les femmes au centre.", "Le chef choisit sa famille pour la liste."):
        sheet.append([text, "F"])
        for _ in range(2):  # the clerk leaves two blank rows between slips
            sheet.append([None, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    answer = upload_box(intake, buffer.getvalue(), XLSX)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_many_rows"
    assert nothing_stored(db) and count(db, "batch_uploads") == 0


@pytest.mark.parametrize("route, auth", [
    ("rapidpro/gn_sms_rapidpro", {"X-CFM-Secret": "test-rapidpro-secret"}),
    ("sms-gateway/gn_sms_gateway", {"X-CFM-Secret": "test-gateway-secret"}),
    ("kobo/gn_kobo_feedback", {"X-CFM-Secret": "test-kobo-secret"}),
])
def test_a_json_channel_refuses_another_media_type_and_broken_json(intake, db, route, auth):
    url = f"{intake.url}/v1/channels/{route}"
    as_form = requests.post(url, data={"text": "Bonjour"}, headers=auth)
    assert as_form.status_code == 415 and as_form.json()["error"]["code"] == "unsupported_media_type"
    broken = requests.post(url, data=b'{"text": "Bonjour"', headers={**auth, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "malformed_json"
    assert nothing_stored(db)


def test_a_message_id_too_long_to_be_one_is_refused_and_stores_nothing(intake, db):
    garbage = "".join(uuid.uuid4().hex for _ in range(300))  # a gateway bug, not an id; it crashed the index
    answer = post_gateway(intake.url, gateway_body("Bonjour, mon kit n'est pas arrivé.", message_id=garbage))
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "malformed_payload"
    assert answer.json()["error"]["details"] == [{"field": "message id", "reason": "longer than 200 characters"}]
    assert nothing_stored(db)
