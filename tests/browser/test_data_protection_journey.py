"""A complainant asks to be forgotten: a focal point asks for the erasure in the console, the four-eyes rule
keeps them from approving it themselves, an administrator approves it, and both read the certificate of what
every service erased. Every page is checked with axe-core, for CSP violations and for its weight."""
import re
import time

import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token

NARRATIVE = "Le paiement de l'appui au commerce n'est pas arrivé depuis septembre à Kindia."


def sign_in_with_second_factor(page, username: str, account: dict) -> None:
    """Password, then a TOTP code (the next 30 s step if this one was just used elsewhere), then the code of
    conduct when it was never accepted."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(account["password"])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Code de vérification")).to_be_visible()
    step = page.get_by_role("heading", name="Code de vérification")
    refused = page.get_by_text("Ce code n'est pas valide")
    for attempt in range(2):
        page.get_by_label("Code").fill(pyotp.TOTP(account["totp_secret"]).now())
        page.get_by_role("button", name="Vérifier").click()
        deadline = time.monotonic() + 15
        while step.count() and not refused.count() and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        if not step.count():
            break
        time.sleep(31 - time.time() % 30)  # a code is accepted once: wait for the next one
    conduct = page.get_by_role("heading", name="Code de conduite et confidentialité")
    page.wait_for_load_state("networkidle")
    if conduct.count():
        page.get_by_label("J'ai lu ce code de conduite").check()
        page.get_by_role("button", name="Continuer").click()
        expect(conduct).to_have_count(0)


def test_a_focal_point_asks_for_an_erasure_and_an_administrator_approves_it(platform, visit):
    identity = platform.urls["identity"]
    agent = platform.accounts["agent.gn"]
    token = api_token(identity, "agent.gn", agent["password"])
    recorded = requests.post(f"{platform.urls['intake']}/v1/feedback", headers={"Authorization": f"Bearer {token}"},
                             json={"country": "GN", "channel": "hotline", "narrative": NARRATIVE,
                                   "contact": {"name": "Aminata Touré", "phone": "+224 622 71 71 71"},
                                   "consent": {"callback": True, "share_with_partners": False}})
    assert recorded.status_code == 202, recorded.text
    reference = recorded.json()["reference"]
    deadline = time.monotonic() + 30
    while requests.get(f"{platform.urls['cases']}/v1/cases/{reference}",
                       headers={"Authorization": f"Bearer {token}"}).status_code != 200:
        assert time.monotonic() < deadline, "the case never opened"
        time.sleep(0.5)

    # The focal point asks; the request holds a reference and a ground, never what happened.
    focal = visit(platform.console)
    page = focal.page
    sign_in_with_second_factor(page, "focal.gn", platform.accounts["focal.gn"])
    page.get_by_role("link", name="Protection des données").click()
    expect(page.get_by_role("heading", name="Effacements")).to_be_visible()
    page.get_by_label("Référence du cas").fill("GN-2026-000000")
    page.get_by_role("button", name="Demander l'effacement").click()
    expect(page.locator("#reference-error")).to_contain_text("Aucun cas avec cette référence")
    focal.check()

    page.get_by_label("Référence du cas").fill(reference)
    page.get_by_label("La personne (tous ses cas et son contact)").check()
    page.get_by_label("Motif").select_option("consent_withdrawn")
    page.get_by_label("Référence du cas").press("Enter")  # the keyboard sends the form
    expect(page.get_by_role("status")).to_have_text("Demande enregistrée : une autre personne doit l'approuver.")
    row = page.locator("tr", has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("Une autre personne doit décider.")
    expect(row.get_by_role("button")).to_have_count(0)  # four eyes: no approve button for the requester
    assert reference not in page.url and "Touré" not in page.content()
    focal.check("erasure-1-requested")

    # The administrator approves; every service erases its part and reports it.
    admin = visit(platform.console)
    page = admin.page
    sign_in_with_second_factor(page, "admin", platform.accounts["admin"])
    page.goto("/data-protection")
    approve = page.get_by_role("button", name=f"Approuver l'effacement de {reference}")
    approve.focus()
    admin.check("erasure-2-to-approve")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Certificat d'effacement")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Effacement approuvé : chaque service efface sa part.")

    def certificate_complete():
        page.reload()
        return page.get_by_text("Tous les services ont effacé leur part.").count() == 1
    deadline = time.monotonic() + 30
    while not certificate_complete():
        assert time.monotonic() < deadline, "the certificate never became complete"
        time.sleep(1)
    # Each service and what it erased, in words: no table name.
    for service in ("Cas", "Réception", "Références", "Notifications", "Rapports"):
        expect(page.locator("table").get_by_role("cell", name=service, exact=True)).to_be_visible()
    expect(page.locator("table")).to_contain_text("historique du cas")
    expect(page.locator("dl")).to_contain_text("Consentement retiré")
    admin.check("erasure-3-certificate")

    # The focal point reads the same certificate on a phone-sized screen (same session: a TOTP code works once).
    page = focal.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/data-protection")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name="Certificat d'effacement")).to_be_visible()
    expect(page.get_by_text("Tous les services ont effacé leur part.")).to_be_visible()
    focal.check("erasure-4-certificate-phone")
