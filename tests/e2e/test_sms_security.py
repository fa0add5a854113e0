"""Attacks on "who may text whom" (issue 9), against the five services and the fake SMS provider:
the public web form must not make the platform text any number (SMS pumping, or an abuser making the
complaints line text a victim), while a person writing in by SMS from the programme's country still
gets an acknowledgement, and no contact gets more than the day's cap."""
import psycopg
import pytest
import requests

from tests.channel_payloads import env_for_endpoint_secrets, gateway_body, post_gateway
from tests.conftest import empty_database, wait_for
from tests.e2e.platform import running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.security]

DAILY_LIMIT = 2


@pytest.fixture(scope="module")
def platform(database_url):
    # What the vault revealed is counted: start from an empty database, whatever ran before this module.
    with psycopg.connect(database_url, autocommit=True) as conn:
        empty_database(conn)
    env = {**env_for_endpoint_secrets(),
           # The programme tells people it answers SMS: writing in counts as agreeing to a reply.
           "CFM__ENDPOINTS__GN_SMS_GATEWAY__ASSUME_CALLBACK_CONSENT": "true",
           "CFM__SMS__DAILY_LIMIT_PER_CONTACT": str(DAILY_LIMIT)}
    with running_platform(database_url, env) as running:
        yield running


def sent_to(platform, phone) -> list[str]:
    messages = requests.get(f"{platform.urls['sms-sink']}/messages", timeout=5).json()
    return [message["body"] for message in messages if message["to"] == phone]


def acknowledgements_decided(platform, references) -> bool:
    """notifications has decided about each case's acknowledgement (sent or withheld)."""
    with psycopg.connect(platform.database_url) as conn:
        decided = conn.execute("""SELECT count(*) FROM notifications.notifications
                                  WHERE purpose = 'acknowledgement' AND reference = ANY(%s)""",
                               [list(references)]).fetchone()[0]
    return decided == len(references)


def web_form(platform, phone, narrative):
    answer = requests.post(f"{platform.urls['intake']}/v1/channels/web-form/gn_web", timeout=10, json={
        "narrative": narrative, "contact": {"phone": phone}, "consent": {"callback": True}})
    assert answer.status_code == 202, answer.text
    return answer.json()["reference"]


def test_the_web_form_cannot_make_the_platform_text_anyone(platform):
    foreign, local = "+447700900123", "+224622556677"
    references = [web_form(platform, foreign, "Merci de me rappeler au sujet de mon dossier."),
                  web_form(platform, local, "Le paiement est en retard à Kindia depuis deux mois.")]
    wait_for(lambda: acknowledgements_decided(platform, references), timeout=30, interval=0.2)
    assert sent_to(platform, foreign) == [] and sent_to(platform, local) == []
    with psycopg.connect(platform.database_url) as conn:
        reasons = conn.execute("""SELECT withheld FROM notifications.notifications
                                  WHERE reference = ANY(%s)""", [references]).fetchall()
        revealed = conn.execute("SELECT count(*) FROM intake.contact_reveals").fetchone()[0]
    assert reasons == [("unverified_contact",), ("unverified_contact",)]
    assert revealed == 0  # the typed numbers never even left the vault


def test_an_sms_sender_of_the_country_is_acknowledged_and_capped_per_day(platform):
    sender = "+224622123987"
    texts = ["Le forage de Sinta est en panne.", "Les distributions commencent en retard.",
             "Pas de toilettes pour les femmes au centre."]
    references = []
    for text in texts:
        answer = post_gateway(platform.urls["intake"], gateway_body(text, sender=sender))
        assert answer.status_code == 200, answer.text
        references.append(answer.json()["reference"])
    wait_for(lambda: acknowledgements_decided(platform, references), timeout=30, interval=0.2)
    acknowledged = sent_to(platform, sender)
    assert len(acknowledged) == DAILY_LIMIT
    assert all(any(reference in body for reference in references) for body in acknowledged)
