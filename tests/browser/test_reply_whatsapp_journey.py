"""An agent answers by WhatsApp a person who wrote on WhatsApp, in a real browser against the real platform:
the person's message reaches intake's signed WhatsApp webhook and opens a case; within 24 hours of it the
agent's reply goes to the fake Cloud API as free text (`type: text`, the template's words filled in), later
only as the template Meta approved (`type: template`), and a template without an approved version is not
sent: the case page says why. Each page is checked with axe-core, for CSP violations and its weight."""
import time

import psycopg
import pytest
import requests
from playwright.sync_api import expect

from tests.browser.test_console_journeys import sign_in_as_agent_gn, until
from tests.channel_payloads import post_whatsapp, wa_message, whatsapp_body

STATUS_WORDS = "a bien été reçu et sera traité prochainement"  # a new case's status, in the person's words
GN_PHONE_NUMBER_ID = "224000000100"  # the programme's WhatsApp number in Guinea (notifications' config.yml)


@pytest.fixture(scope="module")
def platform():
    """The platform with WhatsApp replies on (tests/browser/platform.py), for this module only."""
    from tests.browser.platform import running_platform
    with running_platform(whatsapp=True) as running:
        yield running


def person_writes_on_whatsapp(platform, wa_id: str, text: str, sent_at: float | None = None) -> str:
    """The person's message through intake's real webhook, signed as Meta signs it; returns the case's
    reference once the case is open and notifications knows when the person last wrote on WhatsApp."""
    secret = platform.settings["intake"].endpoints["gn_whatsapp"].secret.get_secret_value()
    delivery = post_whatsapp(platform.urls["intake"], whatsapp_body(
        wa_message("text", {"body": text}, wa_id=wa_id, timestamp=int(sent_at or time.time())), wa_id=wa_id),
        secret=secret)
    assert delivery.status_code == 200, delivery.text
    [received] = delivery.json()["received"]
    reference = received["reference"]

    def session_known():
        with psycopg.connect(platform.database_url) as conn:
            return conn.execute(
                """SELECT 1 FROM cases.cases c JOIN notifications.whatsapp_sessions s USING (contact_ref)
                   WHERE c.reference = %s""", [reference]).fetchone()
    until(session_known)
    return reference


def whatsapp_messages_to(platform, wa_id: str) -> list[dict]:
    """What the fake Cloud API was asked to send to this number, as the services sent it."""
    return [message for message in requests.get(f"{platform.urls['whatsapp-sink']}/messages").json()
            if message["to"] == wa_id]


def open_composer(page):
    replies = page.get_by_role("region", name="Réponses à la personne")
    replies.get_by_role("link", name="Écrire une réponse").click()  # the composer opens in the case page
    expect(page.get_by_role("group", name="Modèle")).to_be_visible()


def send(page, template: str):
    page.get_by_label(template).check()
    page.get_by_label("WhatsApp").check()
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_have_text("Réponse envoyée : son état s'affiche sur le cas.")


def shown(page, reference: str, entry: str):
    """Reload the case page until its replies list `entry` (template · channel · state)."""
    def check():
        page.goto(f"/cases/{reference}")
        replies = page.get_by_role("region", name="Réponses à la personne").get_by_role("listitem")
        return any(entry in text for text in replies.all_inner_texts())
    return check


def test_within_24_hours_a_whatsapp_reply_goes_as_text_with_the_template_words(platform, visit):
    wa_id = "224622334455"
    reference = person_writes_on_whatsapp(
        platform, wa_id, "Bonjour, je n'ai toujours pas reçu l'appui en espèces promis à Kindia le mois dernier.")

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_agent_gn(page, platform)
    page.goto(f"/cases/{reference}")
    expect(page.get_by_role("region", name="Réponses à la personne")).to_contain_text(
        "Aucune réponse envoyée depuis ce cas.")

    browser.mark()
    open_composer(page)
    expect(page.get_by_label("WhatsApp")).to_be_visible()
    expect(page.get_by_text("WhatsApp : texte libre dans les 24 h qui suivent le dernier message")).to_be_visible()
    page.get_by_label("Point sur le dossier").check()
    page.get_by_label("WhatsApp").check()
    browser.check("reply-whatsapp-1-composer")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_have_text("Réponse envoyée : son état s'affiche sur le cas.")

    [message] = until(lambda: whatsapp_messages_to(platform, wa_id))
    assert message["messaging_product"] == "whatsapp" and message["phone_number_id"] == GN_PHONE_NUMBER_ID
    assert message["type"] == "text" and "template" not in message
    assert message["text"]["body"] == (
        f"Votre dossier {reference} {STATUS_WORDS}. Nous reviendrons vers vous dès que possible.")

    browser.mark()
    until(shown(page, reference, "Point sur le dossier · WhatsApp · remise à l'opérateur"))
    expect(page.locator("ol.timeline")).to_contain_text("Réponse remise à l'opérateur")
    assert "Nous reviendrons vers vous" not in page.content() and "622334455" not in page.content()
    assert len(whatsapp_messages_to(platform, wa_id)) == 1
    browser.check("reply-whatsapp-2-sent")


def test_after_24_hours_only_the_approved_template_goes_and_a_reply_without_one_is_withheld(platform, visit):
    wa_id = "224622334466"
    reference = person_writes_on_whatsapp(
        platform, wa_id, "Bonjour, la formation en couture à Mamou n'a toujours pas commencé.",
        sent_at=time.time() - 25 * 3600)  # the person's last WhatsApp message, a day and an hour ago

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_agent_gn(page, platform)
    page.goto(f"/cases/{reference}")
    open_composer(page)
    expect(page.locator("#preview-case_resolved")).to_contain_text(
        "Par WhatsApp, seulement dans les 24 h qui suivent son dernier message.")
    send(page, "Point sur le dossier")

    [message] = until(lambda: whatsapp_messages_to(platform, wa_id))
    assert message["type"] == "template" and "text" not in message
    assert message["template"]["name"] == "cfm_case_update" and message["template"]["language"] == {"code": "fr"}
    [body] = message["template"]["components"]
    assert body["type"] == "body" and [p["text"] for p in body["parameters"]] == [reference, STATUS_WORDS]
    until(shown(page, reference, "Point sur le dossier · WhatsApp · remise à l'opérateur"))

    open_composer(page)
    send(page, "Dossier traité")  # no approved template: nothing leaves, the case page says why
    browser.mark()
    until(shown(page, reference, "Dossier traité · WhatsApp · non envoyée"))
    expect(page.get_by_role("region", name="Réponses à la personne").get_by_role("listitem").first).to_contain_text(
        "plus de 24 h depuis son dernier message WhatsApp et pas de modèle approuvé : envoyez-la par SMS")
    assert len(whatsapp_messages_to(platform, wa_id)) == 1
    browser.check("reply-whatsapp-3-outside-24-hours")
