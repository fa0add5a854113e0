"""One journey per role through the console, in a real browser against the real platform: a focal point
enrols a second factor and triages the restricted queue (the hotline agent's journey is in
test_agent_journey.py). Every page is checked with axe-core, for CSP violations and for its weight."""
import re
import time

import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite

SENSITIVE_NARRATIVE = ("Le chef du site de distribution demande des faveurs sexuelles aux femmes en échange "
                       "des bons alimentaires à Kindia.")
CALL_NARRATIVE = ("Je suis rentré de Libye en mars. On m'avait promis l'appui pour mon commerce à Kindia "
                  "mais le paiement est en retard depuis trois mois.")
NEW_PASSWORD = "kindia river at dawn 1313"


_admin_tokens = {}


def admin_token(platform) -> str:
    """Signed in once per platform: a TOTP code works only once, and two sign-ins may fall in one 30 s step."""
    if platform.console not in _admin_tokens:
        admin = platform.accounts["admin"]
        _admin_tokens[platform.console] = api_token(platform.urls["identity"], "admin", admin["password"],
                                                    admin["totp_secret"])
    return _admin_tokens[platform.console]


def sign_in(page, username: str, password: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def sign_in_as_agent_gn(page, platform) -> None:
    """agent.gn signed in, past the code of conduct (accepted once, by whichever journey came first), and in
    French whatever language an earlier journey (the agent's own) left the account in."""
    sign_in(page, "agent.gn", platform.accounts["agent.gn"]["password"])
    if page.get_by_label("J'ai lu ce code de conduite").count():
        page.get_by_label("J'ai lu ce code de conduite").check()
        page.get_by_role("button", name="Continuer").click()
    if page.get_by_role("button", name="Français").count():
        page.get_by_role("button", name="Français").click()


def call_taken_by_another_agent(platform, username: str, narrative: str, phone: str, **fields) -> str:
    """A hotline call from a person who agreed to be called back, taken by a new agent `username` (so that
    the journey's own agent finds the case unassigned); returns the case's reference."""
    identity, intake = platform.urls["identity"], platform.urls["intake"]
    invite(identity, admin_token(platform), username, "agent", NEW_PASSWORD)
    other = {"Authorization": f"Bearer {api_token(identity, username, NEW_PASSWORD)}"}
    taken = requests.post(f"{intake}/v1/feedback", headers=other, json={
        "country": "GN", "channel": "hotline", "narrative": narrative, "contact": {"phone": phone},
        "consent": {"callback": True}, **fields})
    assert taken.status_code == 202, taken.text
    return taken.json()["reference"]


def until(check, timeout: float = 30, interval: float = 0.5):
    """Poll `check` until it is truthy (the case opens a moment after intake records the call)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def test_a_focal_point_enrols_a_second_factor_and_triages_the_restricted_queue(platform, visit):
    identity = platform.urls["identity"]
    invite(identity, admin_token(platform), "focal.new", "focal_point", NEW_PASSWORD)
    invite(identity, admin_token(platform), "agent.third", "agent", NEW_PASSWORD)
    agent = api_token(identity, "agent.third", NEW_PASSWORD)
    recorded = requests.post(f"{platform.urls['intake']}/v1/feedback", headers={"Authorization": f"Bearer {agent}"},
                             json={"country": "GN", "channel": "hotline", "narrative": SENSITIVE_NARRATIVE})
    reference = recorded.json()["reference"]

    browser = visit(platform.console)
    page = browser.page
    sign_in(page, "focal.new", NEW_PASSWORD)

    # Enrolment: the key to type into the app is shown; a wrong code is refused.
    expect(page.get_by_role("heading", name="Protéger votre compte par un second facteur")).to_be_visible()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    browser.check("09-enrol-second-factor")
    page.get_by_label("Code affiché par l'application").fill("000000" if pyotp.TOTP(secret).now() != "000000"
                                                            else "111111")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n'est pas valide")
    page.get_by_label("Code affiché par l'application").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    codes = page.locator(".codes code").all_inner_texts()
    assert len(codes) == 10
    browser.check()
    page.get_by_role("button", name="Je les ai mis en lieu sûr").click()
    page.get_by_label("J'ai lu ce code de conduite").check()
    page.get_by_role("button", name="Continuer").click()

    # The restricted queue, then triage: the suggested classification changed and confirmed.
    expect(page.get_by_role("heading", name="Cas réservés à trier")).to_be_visible()

    def restricted_queue_shows_case():
        page.goto("/restricted")
        return page.get_by_role("link", name=reference).count() == 1
    until(restricted_queue_shows_case)
    browser.check("10-restricted-queue")
    page.get_by_role("link", name=reference).click()
    expect(page.locator(".case-head")).to_contain_text("Réservé")
    browser.check("11-triage")
    page.get_by_label("Catégorie", exact=True).select_option("6")
    page.locator("form[action$='/classification'] button").click()
    expect(page.get_by_role("status")).to_have_text("Classification enregistrée.")
    expect(page.locator(".actions")).to_contain_text("confirmée")

    # Next sign-in: the second factor is asked (a recovery code works once).
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté.")
    sign_in(page, "focal.new", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Code de vérification")).to_be_visible()
    browser.check("12-second-factor")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("heading", name="Cas réservés à trier")).to_be_visible()


def test_a_person_signs_in_with_their_organisations_account(platform, visit):
    platform.extra.signed_in_as = {"sub": "kc-2044", "name": "Aissatou B.", "groups": ["staff", "cfm-gn-agents"]}
    browser = visit(platform.console)
    page = browser.page
    page.goto("/sign-in")
    button = page.get_by_role("link", name="Se connecter avec IOM Keycloak")
    expect(button).to_be_visible()
    browser.check("13-sign-in-with-organisation")
    button.click()
    # identity -> the organisation's provider -> identity -> the console's landing, which keeps no code in view.
    expect(page.get_by_role("heading", name="Code de conduite et confidentialité")).to_be_visible()
    assert "code=" not in page.url
    page.get_by_label("J'ai lu ce code de conduite").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Mes cas")).to_be_visible()
    expect(page.locator(".who")).to_have_text("Agent · GN")


def test_the_sign_in_works_with_the_keyboard_alone_and_shows_where_the_focus_is(platform, visit):
    browser = visit(platform.console)
    page = browser.page
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    skip_outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert skip_outline not in ("", "none"), "the focused element has a visible outline"
    page.get_by_label("Identifiant").focus()
    page.keyboard.type("agent.ml")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type(platform.accounts["agent.ml"]["password"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Code de conduite et confidentialité")).to_be_visible()
    page.get_by_label("J'ai lu ce code de conduite").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continuer")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") not in ("", "none")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mes cas")).to_be_visible()


def test_an_unattended_screen_signs_itself_out_after_30_minutes(platform, visit):
    browser = visit(platform.console)
    page = browser.page
    page.clock.install()
    sign_in(page, "supervisor.gn", platform.accounts["supervisor.gn"]["password"])
    page.get_by_label("J'ai lu ce code de conduite").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Tableau des échéances")).to_be_visible()
    page.clock.fast_forward("29:00")
    expect(page.get_by_role("heading", name="Tableau des échéances")).to_be_visible()
    page.clock.fast_forward("01:30")
    expect(page.get_by_role("status")).to_have_text("Vous avez été déconnecté après 30 minutes d'inactivité.")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
