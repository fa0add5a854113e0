"""Every intake channel end to end, with the five services as processes (the e2e tests' shared
platform): a provider's payload goes in, the case is visible in cases, and the
contact lives only in intake's vault. Call records, which open no case, are read by a
real consumer bound to intake's events exchange."""
import io
import json

import psycopg
import pytest
import requests
from kombu import Connection, Queue
from openpyxl import Workbook

from tests.channel_payloads import (
    BOX_CSV, call_records, gateway_body, kobo_submission, mailgun_form, post_calls,
    post_gateway, post_kobo, post_mailgun, post_rapidpro, post_sendgrid, post_twilio, post_whatsapp, rapidpro_body,
    sendgrid_form, twilio_form, wa_message, whatsapp_body,
)
from tests.conftest import wait_for
from tests.e2e.conftest import INTAKE_EVENTS_QUEUE
from tests.helpers import opened_narratives

pytestmark = pytest.mark.e2e

# What the people below give as contact details: none of it may leave intake's vault.
PERSONAL = ["622123456", "622 12 34 56", "664112233", "Mariama", "Kadiatou", "Fanta Camara", "aissatou.barry",
            "ousmane.sow", "Nènè", "664001122", "622456789", "622998877"]


@pytest.fixture(scope="module")
def platform(shared_platform):
    tokens = {role: shared_platform.headers(role) for role in ("agent", "supervisor", "focal_point")}
    yield {"urls": shared_platform.urls, "tokens": tokens, "amqp_uri": shared_platform.amqp_uri,
           "database_url": shared_platform.database_url}


def case_in_cases(platform, reference, role="agent"):
    def visible():
        answer = requests.get(f"{platform['urls']['cases']}/v1/cases/{reference}", headers=platform["tokens"][role])
        return answer.json() if answer.status_code == 200 else None
    return wait_for(visible, timeout=20, interval=0.1)


def intake_reference(platform, endpoint, provider_message_id):
    with psycopg.connect(platform["database_url"]) as conn:
        row = conn.execute("SELECT reference FROM intake.feedback WHERE endpoint = %s AND provider_message_id = %s",
                           [endpoint, provider_message_id]).fetchone()
    return row[0]


def test_every_channel_opens_a_case_in_cases_and_keeps_the_contact_in_the_vault(platform):
    intake = platform["urls"]["intake"]
    agent = platform["tokens"]["agent"]
    references = {}
    with psycopg.connect(platform["database_url"]) as conn:
        contacts_before = conn.execute("SELECT count(*) FROM intake.contacts").fetchone()[0]

    answer = requests.post(f"{intake}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "hotline", "narrative": "Le kit de réinstallation promis n'est jamais arrivé à Kindia.",
        "contact": {"name": "Fanta Camara", "phone": "622 45 67 89"}, "consent": {"callback": True},
        "interaction": {"endpoint": "gn_hotline_1313", "call_id": "e2e-call-1"}})
    references["agent entry"] = answer.json()["reference"]

    form = twilio_form(text="Bonjour, le paiement de mon appui au commerce est en retard depuis deux mois.")
    assert post_twilio(intake, form).status_code == 200
    references["twilio"] = intake_reference(platform, "gn_sms_twilio", form["MessageSid"])

    references["rapidpro"] = post_rapidpro(intake, rapidpro_body(phone="+224664001122")).json()["reference"]
    references["sms gateway"] = post_gateway(intake, gateway_body(
        "La formation à Mamou a été annulée sans explication.", sender="+224 664 11 22 33")).json()["reference"]

    delivery = post_whatsapp(intake, whatsapp_body(
        wa_message("text", {"body": "Bonjour, je suis rentrée de Libye et je n'ai pas de logement à Conakry."}),
        wa_message("text", {"body": "Un agent du centre m'a demandé de coucher avec lui pour avoir le kit."})))
    [whatsapp_ordinary, whatsapp_sensitive] = [item["reference"] for item in delivery.json()["received"]]
    references["whatsapp"] = whatsapp_ordinary

    references["mailgun"] = post_mailgun(intake, mailgun_form()).json()["reference"]
    references["sendgrid"] = post_sendgrid(intake, sendgrid_form()).json()["reference"]
    references["web form"] = requests.post(f"{intake}/v1/channels/web-form/gn_web", json={
        "narrative": "Le forage de Sinko ne marche plus depuis un mois.",
        "contact": {"name": "Nènè Diallo", "phone": "+224 664 00 11 23"}}).json()["reference"]
    references["kobo"] = post_kobo(intake, kobo_submission()).json()["reference"]

    report = requests.post(f"{intake}/v1/channels/suggestion-box/gn_box_kindia_01/batches",
                           params={"collected_on": "2026-11-20"}, data=BOX_CSV,
                           headers={**agent, "Content-Type": "text/csv"}).json()
    references["suggestion box (csv)"] = report["accepted"][0]["reference"]
    workbook = Workbook()
    workbook.active.append(["narrative", "sex"])
    workbook.active.append(["Les latrines du site de Coyah sont cassées.", "F"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = requests.post(f"{intake}/v1/channels/suggestion-box/gn_box_kindia_01/batches",
                           params={"collected_on": "2026-11-21"}, data=buffer.getvalue(), headers={
                               **agent, "Content-Type": XLSX}).json()
    references["suggestion box (xlsx)"] = report["accepted"][0]["reference"]

    # Focal points see every case of their country, including those the classifier hides from agents;
    # a hidden one may already have been referred to a partner (the Kobo message reads as an emergency).
    for channel, reference in references.items():
        case = case_in_cases(platform, reference, role="focal_point")
        assert case["reference"] == reference and case["status"] in ("new", "referred"), channel
        assert case["status"] == "new" or case["restricted"], channel
    assert case_in_cases(platform, references["kobo"], role="focal_point")["channel"] == "hotline"
    assert case_in_cases(platform, references["twilio"])["has_contact"] is True
    assert case_in_cases(platform, references["suggestion box (xlsx)"], role="focal_point")["has_contact"] is False

    sensitive = case_in_cases(platform, whatsapp_sensitive, role="focal_point")
    assert sensitive["restricted"] and sensitive["channel"] == "whatsapp"
    assert requests.get(f"{platform['urls']['cases']}/v1/cases/{whatsapp_sensitive}",
                        headers=agent).status_code == 404

    with psycopg.connect(platform["database_url"]) as conn:
        cases_tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'cases'").fetchall()]
        cases_data = json.dumps([conn.execute(f"SELECT json_agg(t) FROM cases.{table} t").fetchone()[0]
                                 for table in cases_tables], ensure_ascii=False)
        vault = b"".join(bytes(row[0]) for row in conn.execute("SELECT ciphertext FROM intake.contacts").fetchall())
        contacts = conn.execute("SELECT count(*) FROM intake.contacts").fetchone()[0]
    # Seven people: the Twilio and WhatsApp sender is one person, so are the gateway and Kobo ones
    # and the agent's caller and the box slip's writer; each keeps one contact in the vault.
    assert contacts - contacts_before == 7
    for personal in PERSONAL:
        assert personal not in cases_data, personal
        assert personal.encode() not in vault, personal


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_call_records_and_status_requests_reach_the_bus_and_open_no_case(platform):
    intake = platform["urls"]["intake"]
    body = call_records(("e2e-1732526470.1042", "answered", 35, 212, "agent-fatou"),
                        ("e2e-1732526533.1043", "abandoned", 94, 0, None))
    assert [row["duplicate"] for row in post_calls(intake, body).json()["accepted"]] == [False] * 2
    first = post_gateway(intake, gateway_body("Je n'ai toujours pas de nouvelles de mon dossier.",
                                              sender="+224 657 00 00 01")).json()
    # People ask once told their reference; a restricted case answers neutrally ("in progress").
    restricted = case_in_cases(platform, first["reference"], role="focal_point")["restricted"]
    asked = post_gateway(intake, gateway_body(f"Statut {first['reference']}", sender="657000001")).json()
    assert asked["status"] == "status_requested"
    seen = {}

    def consumed():
        with Connection(platform["amqp_uri"]) as conn:
            queue = Queue(INTAKE_EVENTS_QUEUE)(conn.channel())
            while (message := queue.get(no_ack=True)) is not None:
                envelope = json.loads(message.body)
                if envelope["type"] in ("call_recorded", "status_requested"):
                    seen[envelope["payload"].get("call_id") or envelope["type"]] = envelope
        return len(seen) == 3

    wait_for(consumed, timeout=20, interval=0.2)
    answered = seen["e2e-1732526470.1042"]
    assert answered["country"] == "GN" and answered["payload"]["endpoint"] == "gn_hotline_1313"
    assert answered["payload"]["wait_seconds"] == 35 and "622998877" not in json.dumps(seen)
    request = seen["status_requested"]["payload"]
    with psycopg.connect(platform["database_url"]) as conn:
        owner = conn.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s",
                             [first["reference"]]).fetchone()[0]
        cases_opened = sum(text.startswith("Statut") for text in opened_narratives(conn, "cases"))
    assert request["reference"] == first["reference"] and request["contact_ref"] == str(owner)
    assert request["language"] == "fr" and cases_opened == 0

    # cases answers and notifications replies by SMS: the owner learns the status, a stranger nothing.
    post_gateway(intake, gateway_body(f"STATUS {first['reference']}", sender="+224 657 00 00 99"))

    def replies():
        sent = requests.get(f"{platform['urls']['sms-sink']}/messages", timeout=5).json()
        found = {message["to"]: message["body"] for message in sent if message["to"] in ("+224657000001",
                                                                                     "+224657000099")}
        return found if len(found) == 2 else None
    found = wait_for(replies, timeout=20, interval=0.2)
    told = "est en cours de traitement" if restricted else "a bien été reçu et sera traité prochainement"
    assert found["+224657000001"] == f"Votre dossier {first['reference']} {told}."
    assert first["reference"] not in found["+224657000099"]
