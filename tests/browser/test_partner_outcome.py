"""A protection partner closes the loop in a real browser against the real platform: after accepting a
referral they record what happened (the outcome, its date, a note); the page then shows the outcome and
offers the form no more. Every page is checked with axe-core, for CSP violations and its weight."""
import re
from datetime import date

import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import NEW_PASSWORD, admin_token, until

DANGER = "Un homme armé a promis de revenir tuer ma soeur à Faranah, elle dort chez des voisins."


def sign_in_as_partner(page, partner):
    page.goto("/")
    page.get_by_label("Identifiant").fill("partner.gn")
    page.get_by_label("Mot de passe").fill(partner["password"])
    page.get_by_role("button", name="Se connecter").click()
    totp = pyotp.TOTP(partner["totp_secret"])
    code, conduct = page.get_by_label("Code", exact=True), page.get_by_label("J'ai lu ce code de conduite")
    used = totp.now()
    code.fill(used)
    page.get_by_role("button", name="Vérifier").click()
    until(lambda: conduct.count() or page.url.endswith("/referrals") or page.get_by_role("alert").count())
    if code.count():  # this code signed the partner in a moment ago (another journey): the next one
        until(lambda: totp.now() != used)
        code.fill(totp.now())
        page.get_by_role("button", name="Vérifier").click()
    if conduct.count():  # first sign-in of the session's platform
        conduct.check()
        page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/referrals$"))


def test_a_partner_records_what_happened_after_accepting_a_referral(platform, visit):
    identity = platform.urls["identity"]
    invite(identity, admin_token(platform), "agent.outcomes", "agent", NEW_PASSWORD)
    agent = {"Authorization": f"Bearer {api_token(identity, 'agent.outcomes', NEW_PASSWORD)}"}
    answer = requests.post(f"{platform.urls['intake']}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "hotline", "narrative": DANGER,
        "agent_assessment": {"sensitive": False, "life_in_danger": True}})
    assert answer.status_code == 202, answer.text
    reference = answer.json()["reference"]

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_partner(page, platform.accounts["partner.gn"])

    def listed():
        page.goto("/referrals")
        return page.get_by_role("link", name=reference).count() == 1
    until(listed)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name="Ce qui s'est passé")).to_have_count(0)  # not before accepting
    page.get_by_role("button", name="Accepter le référencement").click()
    expect(page.get_by_role("status")).to_have_text("Référencement accepté.")

    # Nothing chosen: the page says which field, and keeps the form.
    page.get_by_role("button", name="Enregistrer l'issue").click()
    expect(page.locator("#outcome-error")).to_have_text("Choisissez une valeur de la liste.")
    expect(page.locator("#on-error")).to_have_text("À remplir.")
    browser.check("partner-outcome-1-form-errors")

    page.get_by_label("Issue").select_option("service_provided")
    page.get_by_label("Date").fill(date.today().isoformat())
    page.get_by_label("Note (facultative)").fill("Accompagnée au centre de santé de Faranah.")
    page.get_by_label("Note (facultative)").press("Tab")
    expect(page.get_by_role("button", name="Enregistrer l'issue")).to_be_focused()  # reachable by keyboard
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Issue enregistrée.")
    expect(page.locator(".facts")).to_contain_text("Service fourni")
    expect(page.get_by_role("button", name="Enregistrer l'issue")).to_have_count(0)  # recorded once
    assert "Faranah" not in page.content()  # the note is not shown back, nor the narrative
    browser.check("partner-outcome-2-recorded")
