"""A protection partner's journey in a real browser against the real platform: they see only their own
organisation's referrals, with only what acting on them needs; they accept one and see the contact the person
agreed to share (intake logs the reveal); they decline another with a reason. Every page is checked with
axe-core, for CSP violations and its weight."""
import re

import psycopg
import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import NEW_PASSWORD, admin_token, until

DANGER_NARRATIVE = "Des hommes armés menacent de tuer mon frère ce soir à Kankan, il se cache chez nous."
SECOND_DANGER = "On a menacé de brûler notre maison à Siguiri cette nuit, nous avons peur pour nos vies."
ABUSE_NARRATIVE = ("Un agent de distribution exige des faveurs sexuelles contre les bons à Labé, plusieurs "
                   "femmes en parlent.")
PHONE = "+224622334455"


def test_a_partner_accepts_a_referral_sees_the_consented_contact_and_declines_another(platform, visit):
    identity, intake = platform.urls["identity"], platform.urls["intake"]
    invite(identity, admin_token(platform), "agent.partners", "agent", NEW_PASSWORD)
    agent = {"Authorization": f"Bearer {api_token(identity, 'agent.partners', NEW_PASSWORD)}"}
    danger = {"sensitive": False, "life_in_danger": True}

    def record(narrative, **extra):
        answer = requests.post(f"{intake}/v1/feedback", headers=agent, json={
            "country": "GN", "channel": "hotline", "narrative": narrative, **extra})
        assert answer.status_code == 202, answer.text
        return answer.json()["reference"]
    # A threat to life goes to the protection partner at once; abuse to the PSEA focal point, not to them.
    consented = record(DANGER_NARRATIVE, contact={"name": "Aïssatou Camara", "phone": PHONE},
                       consent={"callback": True, "share_with_partners": True}, agent_assessment=danger)
    to_decline = record(SECOND_DANGER, agent_assessment=danger)
    someone_elses = record(ABUSE_NARRATIVE)

    browser = visit(platform.console)
    page = browser.page
    partner = platform.accounts["partner.gn"]
    page.goto("/")
    page.get_by_label("Identifiant").fill("partner.gn")
    page.get_by_label("Mot de passe").fill(partner["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code").fill(pyotp.TOTP(partner["totp_secret"]).now())
    page.get_by_role("button", name="Vérifier").click()
    page.get_by_label("J'ai lu ce code de conduite").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/referrals$"))

    def both_listed():
        page.goto("/referrals")
        return all(page.get_by_role("link", name=reference).count() == 1 for reference in (consented, to_decline))
    until(both_listed)
    expect(page.get_by_role("link", name=someone_elses)).to_have_count(0)
    expect(page.get_by_role("navigation")).not_to_contain_text("Cas réservés")
    browser.check("partner-1-referrals")

    # The referral shows the minimum: never the narrative.
    page.get_by_role("link", name=consented).click()
    expect(page.get_by_role("heading", name=f"Référencement {consented}")).to_be_visible()
    assert "Kankan" not in page.content() and PHONE not in page.content()
    page.get_by_role("button", name="Accepter le référencement").click()
    expect(page.get_by_role("status")).to_have_text("Référencement accepté.")
    page.get_by_role("button", name="Afficher le contact").click()
    expect(page.locator(".contact")).to_contain_text(PHONE)
    expect(page.locator(".contact")).to_contain_text("Aïssatou Camara")
    assert PHONE not in page.url
    browser.check("partner-2-contact-shown")
    with psycopg.connect(platform.database_url) as conn:
        revealed = conn.execute("""SELECT requested_by, on_behalf_of, refused FROM intake.contact_reveals
                                   WHERE purpose = 'referral'""").fetchall()
    assert len(revealed) == 1 and revealed[0][0] == "referrals" and revealed[0][1] and revealed[0][2] is None

    # The other: declining needs a reason.
    page.get_by_role("link", name="Retour à mes référencements").click()
    page.get_by_role("link", name=to_decline).click()
    page.get_by_role("button", name="Refuser le référencement").click()
    expect(page.locator("#reason-error")).to_have_text("Choisissez une valeur de la liste.")
    page.get_by_label("Raison du refus").select_option("no_capacity")
    page.get_by_role("button", name="Refuser le référencement").click()
    expect(page.get_by_role("status")).to_have_text("Référencement refusé, avec la raison.")
    expect(page.locator(".facts")).to_contain_text("Pas de capacité en ce moment")
    browser.check("partner-3-declined")
