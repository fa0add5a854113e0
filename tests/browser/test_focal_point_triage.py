"""A focal point's triage in a real browser against the real platform: two messages held as possibly
sensitive; one released to the agents with a reason (the agents see it again; the withdrawal of its referral is
tested in tests/integration/test_triage_and_partner_contact.py), the other's referral sent to another partner
of the country; then the case's access log shows who looked, including an agent who was refused. Every page
is checked with axe-core, for CSP violations and its weight."""
import re
import time

import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import NEW_PASSWORD, admin_token, until

HELD_NARRATIVE = "Mon voisin au centre de Kindia me parle mal depuis mon retour, je ne sais pas quoi faire."
ABUSE_NARRATIVE = ("Le chef du site de distribution demande des faveurs sexuelles aux femmes en échange "
                   "des bons alimentaires à Mamou.")


def sign_in_with_totp(page, username: str, password: str, secret: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    # The next step's code: identity accepts one step ahead, and another test may have spent this one.
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Vérifier").click()
    if page.get_by_label("J'ai lu ce code de conduite").count():
        page.get_by_label("J'ai lu ce code de conduite").check()
        page.get_by_role("button", name="Continuer").click()


def test_a_focal_point_releases_one_held_case_with_a_reason_and_routes_another_to_a_partner(platform, visit):
    identity, intake, cases = platform.urls["identity"], platform.urls["intake"], platform.urls["cases"]
    invite(identity, admin_token(platform), "agent.triage", "agent", NEW_PASSWORD)
    agent = {"Authorization": f"Bearer {api_token(identity, 'agent.triage', NEW_PASSWORD)}"}
    held = requests.post(f"{intake}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "hotline", "narrative": HELD_NARRATIVE,
        "agent_assessment": {"sensitive": True, "life_in_danger": False}}).json()["reference"]
    abuse = requests.post(f"{intake}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "hotline", "narrative": ABUSE_NARRATIVE}).json()["reference"]

    browser = visit(platform.console)
    page = browser.page
    focal = platform.accounts["focal.gn"]
    sign_in_with_totp(page, "focal.gn", focal["password"], focal["totp_secret"])

    def triage_lists_both():
        page.goto("/triage")
        return all(page.get_by_role("link", name=reference).count() == 1 for reference in (held, abuse))
    until(triage_lists_both)
    # Held: the agent who recorded them cannot open them (and the attempt is logged).
    assert requests.get(f"{cases}/v1/cases/{abuse}", headers=agent).status_code == 404
    expect(page.get_by_role("heading", name="Cas retenus comme possiblement sensibles")).to_be_visible()
    browser.check("focal-point-1-held-cases")

    # Release without a reason is refused, with the form kept; with a reason the agents see the case again.
    page.get_by_role("link", name=held).click()
    expect(page.get_by_role("heading", name=f"Tri du cas {held}")).to_be_visible()
    browser.check("focal-point-2-triage-a-case")
    page.get_by_label("Catégorie ordinaire").select_option("4")
    page.locator("#release-reason").evaluate("element => element.removeAttribute('required')")
    page.get_by_role("button", name="Rendre aux agents").click()
    expect(page.locator("#reason-error")).to_have_text("À remplir.")
    browser.check()
    page.get_by_label("Pourquoi il n'est pas sensible (obligatoire)").fill(
        "Conflit de voisinage sans violence ni abus : insatisfaction ordinaire.")
    page.get_by_label("Catégorie ordinaire").select_option("4")
    page.get_by_role("button", name="Rendre aux agents").click()
    expect(page.get_by_role("status")).to_have_text("Cas rendu aux agents, avec la raison.")
    expect(page.get_by_role("link", name=held)).to_have_count(0)
    released = requests.get(f"{cases}/v1/cases/{held}", headers=agent)
    assert released.status_code == 200 and released.json()["category_code"] == 4
    assert any(entry["action"] == "released" for entry in released.json()["timeline"])

    # The other: confirmed as sensitive, and its referral sent from the PSEA focal point to the protection partner.
    page.get_by_role("link", name=abuse).click()
    page.get_by_role("button", name="Confirmer comme sensible").click()
    expect(page.get_by_role("status")).to_have_text("Confirmé comme sensible : le cas reste réservé.")
    until(lambda: page.reload() and page.get_by_label("Envoyer à ce partenaire du pays").count() == 1)
    page.get_by_label("Envoyer à ce partenaire du pays").select_option("gn-protection-partner")
    page.get_by_role("button", name="Envoyer le référencement").click()
    expect(page.get_by_role("status")).to_have_text("Référencement envoyé au partenaire.")
    expect(page.locator(".referrals")).to_contain_text("Protection partner Conakry")
    expect(page.locator(".referrals")).to_contain_text("Envoyé à un autre partenaire")
    browser.check("focal-point-3-referral-routed")

    # The access log: the agent refused, the focal point's reads, newest first.
    page.get_by_role("link", name="Journal d'accès").click()
    expect(page.get_by_role("heading", name=f"Journal d'accès du cas {abuse}")).to_be_visible()
    log = page.locator("table.queue")
    expect(log).to_contain_text("Accès refusé")
    expect(log).to_contain_text("A ouvert le cas")
    expect(log).to_contain_text("A classé le cas")
    browser.check("focal-point-4-access-log")

    # An agent cannot reach any of it: the pages are a focal point's.
    assert requests.get(f"{cases}/v1/cases/{abuse}/access-log", headers=agent).status_code == 403
