"""An agent answers a person from their case, in a real browser against the real platform: the case page
lists no reply yet; the composer shows the country's templates filled in with the case's reference and
status; the agent sends one by SMS, the fake provider gets it once, and the case page shows the reply
handed to the provider, then delivered when the provider's signed status callback says so. Each page is
checked with axe-core, for CSP violations and its weight."""
import psycopg
import requests
from playwright.sync_api import expect

from chassis.signatures import twilio_signature
from tests.browser.test_console_journeys import call_taken_by_another_agent, sign_in_as_agent_gn, until

NARRATIVE = "Je n'ai toujours pas reçu l'appui en espèces promis à Kindia le mois dernier."
REPLY_WORDS = "Nous reviendrons vers vous dès que possible."


def test_an_agent_sends_a_templated_sms_reply_and_sees_it_delivered_on_the_case(platform, visit):
    notifications = platform.urls["notifications"]
    reference = call_taken_by_another_agent(platform, "agent.replies", NARRATIVE, "622765499")

    def case_open():
        with psycopg.connect(platform.database_url) as conn:
            return conn.execute("SELECT 1 FROM cases.cases WHERE reference = %s", [reference]).fetchone()
    until(case_open)

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_agent_gn(page, platform)
    page.goto(f"/cases/{reference}")
    replies = page.get_by_role("region", name="Réponses à la personne")
    expect(replies).to_contain_text("Aucune réponse envoyée depuis ce cas.")

    browser.mark()
    replies.get_by_role("link", name="Écrire une réponse").click()  # the composer opens in the case page
    expect(page.get_by_role("group", name="Modèle")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    update = page.get_by_label("Point sur le dossier")
    expect(page.locator("#preview-case_update")).to_have_text(
        f"Votre dossier {reference} a bien été reçu et sera traité prochainement. {REPLY_WORDS}")
    expect(page.get_by_label("SMS")).to_be_checked()
    browser.check("reply-1-composer")

    page.get_by_role("button", name="Envoyer la réponse").click()  # no template chosen
    expect(page.get_by_role("alert")).to_have_text("Choisissez une valeur de la liste.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Répondre · {reference}")
    update = page.get_by_label("Point sur le dossier")
    update.check()
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_have_text("Réponse envoyée : son état s'affiche sur le cas.")

    def replies_sent():
        messages = requests.get(f"{platform.urls['sms-sink']}/messages").json()
        return [message for message in messages if REPLY_WORDS in message["body"]]
    [sms] = until(replies_sent)
    assert sms["to"] == "+224622765499" and reference in sms["body"]

    def shown(state):
        def check():
            page.goto(f"/cases/{reference}")
            return page.get_by_role("region", name="Réponses à la personne").get_by_text(state).count() == 1
        return check
    until(shown("remise à l'opérateur"))
    expect(page.get_by_role("list").filter(has_text="Réponse remise à l'opérateur")).to_have_count(1)

    url = f"{notifications}/v1/receipts/twilio"
    form = {"MessageSid": sms["sid"], "MessageStatus": "delivered"}
    token = platform.settings["notifications"].sms.auth_token.get_secret_value()
    receipt = requests.post(url, data=form, headers={"X-Twilio-Signature": twilio_signature(token, url, form.items())})
    assert receipt.status_code == 204
    browser.mark()
    until(shown("reçue"))
    replies = page.get_by_role("region", name="Réponses à la personne")
    expect(replies.get_by_role("listitem")).to_contain_text(["Point sur le dossier · SMS · reçue"])
    expect(page.locator("ol.timeline")).to_contain_text("Réponse reçue par la personne")
    assert REPLY_WORDS not in page.content() and "622765499" not in page.content()  # the words are not kept
    assert len(replies_sent()) == 1
    browser.check("reply-2-delivered-on-the-case")
