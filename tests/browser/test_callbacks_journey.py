"""An agent calls back a person whose acknowledgement never arrived, in a real browser against the real
platform: the agent records a call with the person's consent to be called back, the provider's signed
status callback says the SMS was undelivered, the case appears in the Callbacks list, and the agent records
two calls that did not reach the person, after which the task ends. Each page is checked with axe-core,
for CSP violations and its weight."""
import psycopg
import requests
from playwright.sync_api import expect

from chassis.signatures import twilio_signature
from tests.browser.test_console_journeys import call_taken_by_another_agent, sign_in_as_agent_gn, until

NARRATIVE = "Je n'ai pas reçu le kit d'hygiène promis à la distribution de Kindia la semaine dernière."


def test_an_agent_calls_back_a_person_whose_acknowledgement_never_arrived(platform, visit):
    notifications = platform.urls["notifications"]
    reference = call_taken_by_another_agent(platform, "agent.callbacks", NARRATIVE, "622765432")

    def acknowledgement_sid():
        with psycopg.connect(platform.database_url) as conn:
            row = conn.execute("""SELECT provider_message_id FROM notifications.notifications
                                  WHERE reference = %s AND purpose = 'acknowledgement'""", [reference]).fetchone()
        return row and row[0]
    sid = until(acknowledgement_sid)
    url = f"{notifications}/v1/receipts/twilio"
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    token = platform.settings["notifications"].sms.auth_token.get_secret_value()
    receipt = requests.post(url, data=form, headers={"X-Twilio-Signature": twilio_signature(token, url, form.items())})
    assert receipt.status_code == 204

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_agent_gn(page, platform)
    page.get_by_role("link", name="Rappels").click()

    def listed():
        page.goto("/callbacks")
        return page.get_by_role("link", name=reference).count() == 1
    until(listed)
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("0 sur 3")
    assert "622765432" not in page.content()
    browser.check("callbacks-1-list")

    outcome = page.get_by_label(f"Résultat de l'appel pour {reference}")
    page.get_by_role("button", name="Enregistrer").click()  # no outcome chosen
    expect(page.get_by_role("alert")).to_have_text("Choisissez une valeur de la liste.")
    outcome.select_option("no_answer")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("Appel noté. Rappelez plus tard.")
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("1 sur 3")
    browser.check("callbacks-2-attempt-recorded")
    outcome.select_option("wrong_number")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Personne injoignable")
    expect(page.get_by_role("link", name=reference)).to_have_count(0)
    browser.check()
