"""An agent calls back a person who wrote on the web form and cannot be texted (a number anyone could have
typed), in a real browser against the real platform: the callback is in the list from the case's opening,
the agent asks for the number, sees it on that page only (not in the address, not cached), calls and
records that the person was reached. intake logged the reveal on the agent's behalf. Each page is checked
with axe-core, for CSP violations and its weight."""
import psycopg
import requests
from playwright.sync_api import expect

from tests.browser.test_console_journeys import sign_in_as_agent_gn, until

NARRATIVE = "Le forage de Sinko ne marche plus depuis un mois, les femmes marchent loin pour l'eau."


def test_an_agent_shows_the_number_of_a_person_who_cannot_be_texted_and_reaches_them(platform, visit):
    typed = requests.post(f"{platform.urls['intake']}/v1/channels/web-form/gn_web", json={
        "narrative": NARRATIVE, "contact": {"name": "Nènè Diallo", "phone": "664 00 11 22"},
        "consent": {"callback": True}})
    assert typed.status_code in (200, 202), typed.text
    reference = typed.json()["reference"]

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_agent_gn(page, platform)

    def listed():
        page.goto("/callbacks")
        return page.get_by_role("link", name=reference).count() == 1
    until(listed)
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Pas de SMS possible")
    assert "664001122" not in page.content() and "00 11 22" not in page.content()

    with page.expect_response(lambda response: response.request.method == "POST"
                              and response.url.endswith("/contact")) as shown:
        row.get_by_role("button", name=f"Afficher le numéro pour {reference}").click()
    assert shown.value.headers["cache-control"] == "no-store"
    number = row.get_by_role("link", name="+224664001122")
    expect(number).to_have_attribute("href", "tel:+224664001122")
    expect(row).to_contain_text("Nènè Diallo")
    assert "664001122" not in page.url
    browser.check("callbacks-3-number-shown")

    row.get_by_label(f"Résultat de l'appel pour {reference}").select_option("reached")
    row.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("Appel noté : personne jointe.")
    expect(page.get_by_role("link", name=reference)).to_have_count(0)
    assert "664001122" not in page.content()  # back on the list: the number is gone with its page
    browser.check("callbacks-4-reached")

    with psycopg.connect(platform.database_url) as conn:
        [(requested_by, on_behalf_of, refused)] = conn.execute(
            "SELECT requested_by, on_behalf_of, refused FROM intake.contact_reveals WHERE purpose = 'callback'"
        ).fetchall()
        caller = conn.execute("""SELECT actor FROM cases.audit_log WHERE reference = %s
                                 AND action = 'callback_contact_revealed'""", [reference]).fetchall()
    assert (requested_by, refused) == ("cases", None) and caller == [(on_behalf_of,)]
