"""One journey per role through the console, in a real browser against the real platform: a hotline
agent takes a call and works the case to its close; a focal point enrols a second factor and triages the
restricted queue. Every page is checked with axe-core, for CSP violations and for its weight."""
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


def test_a_hotline_agent_takes_a_call_and_works_the_case_to_its_close(platform, visit):
    identity = platform.urls["identity"]
    # Another agent already recorded a message that sounds like abuse: restricted to focal points at once.
    invite(identity, admin_token(platform), "agent.other", "agent", NEW_PASSWORD)
    other = api_token(identity, "agent.other", NEW_PASSWORD)
    restricted = requests.post(f"{platform.urls['intake']}/v1/feedback", headers={"Authorization": f"Bearer {other}"},
                               json={"country": "GN", "channel": "hotline", "narrative": SENSITIVE_NARRATIVE})
    assert restricted.status_code == 202, restricted.text
    restricted_reference = restricted.json()["reference"]

    browser = visit(platform.console)
    page = browser.page
    agent = platform.accounts["agent.gn"]

    # Sign-in: a wrong password is refused with a message tied to the form.
    sign_in(page, "agent.gn", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    browser.check("01-sign-in-refused")
    sign_in(page, "agent.gn", agent["password"])

    # First sign-in: the code of conduct, which must be ticked.
    expect(page.get_by_role("heading", name="Code de conduite et confidentialité")).to_be_visible()
    browser.check("02-code-of-conduct")
    page.get_by_label("J'ai lu ce code de conduite").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Mes cas")).to_be_visible()
    browser.check()

    # The person's language: English, kept for their next sessions.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    browser.check()

    # Take a call.
    page.get_by_role("link", name="Take a call").click()
    expect(page.get_by_role("heading", name="Take a call")).to_be_visible()
    page.get_by_label("Hotline").check()
    page.get_by_label("The person's language").select_option("fr")
    page.get_by_label("Call id (telephony)").fill("call-2026-0042")
    page.get_by_label("Call duration (minutes)").fill("6.5")
    page.locator("#consent_callback-yes").check()
    page.locator("#consent_share-no").check()
    page.get_by_label("The person's name (optional)").fill("Mamadou Diallo")
    page.get_by_label("The person's phone (optional)").fill("+224 622 12 34 56")
    page.get_by_label("Narrative, in the person's words").fill(CALL_NARRATIVE)
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Age group").select_option("25-59")
    page.get_by_label("Disability").select_option("no")
    browser.check("03-take-a-call")
    page.get_by_role("button", name="Record and give the reference").click()
    expect(page.get_by_role("heading", name="Message recorded")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"GN-\d{4}-\d{6}", reference)
    assert "Mamadou" not in page.url and "622" not in page.url
    browser.check("04-reference-given")

    # The queue: the new case with its deadline on Guinea's clock; the restricted one nowhere.
    def queue_shows_case():
        page.goto("/cases")
        return page.get_by_role("link", name=reference).count() == 1
    until(queue_shows_case)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("GN time")
    expect(row.locator(".badge")).to_have_text(re.compile("On time|Due soon|Overdue"))
    assert restricted_reference not in page.content()
    browser.check("05-queue")
    assert page.goto(f"/cases/{restricted_reference}").status == 404

    # The case page: narrative, deadlines, timeline; then every action of the workflow.
    page.goto("/cases")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    expect(page.locator(".narrative")).to_contain_text("paiement est en retard")
    browser.check("06-case")
    page.get_by_label("Internal note").fill("Called the programme team in Kindia; payment list checked.")
    page.get_by_role("button", name="Add a note").last.click()
    expect(page.get_by_role("status")).to_have_text("Note added.")
    expect(page.locator(".timeline")).to_contain_text("payment list checked")
    browser.check()
    page.get_by_label("Category", exact=True).select_option("2")
    page.get_by_label("Sub-category").select_option("cash")
    page.locator("form[action$='/classification'] button").click()
    expect(page.get_by_role("status")).to_have_text("Classification saved.")
    browser.check()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status")).to_have_text("Assignment saved.")
    browser.check()
    for status, shown in (("acknowledged", "Acknowledged"), ("in_progress", "In progress")):
        page.get_by_label("Move to status").select_option(status)
        page.get_by_role("button", name="Change status").click()
        expect(page.locator(".case-head .tag").first).to_have_text(shown)
        browser.check()
    page.get_by_label("What was done").fill("The payment was added to the December list.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_have_text("Case resolved.")
    browser.check()
    page.get_by_label("Answer given to the person").fill("Your payment will come with the December list.")
    page.get_by_label("How", exact=True).select_option("call")
    page.get_by_role("button", name="Close with this answer").click()
    expect(page.get_by_role("status")).to_have_text("Case closed.")
    expect(page.locator(".case-head")).to_contain_text("Closed")
    browser.check("07-case-closed")
    page.goto("/cases?mine=yes")
    expect(page.get_by_role("link", name=reference)).to_be_visible()

    # A call where a life is in danger: restricted at once, so it leaves the agent's sight from the first moment.
    page.get_by_role("link", name="Take a call").click()
    page.get_by_label("Narrative, in the person's words").fill(
        "J'appelle pour ma voisine à Kindia, elle a besoin d'aide ce soir.")
    page.get_by_role("switch", name="A life is in danger").check()
    page.get_by_role("button", name="Record and give the reference").click()
    urgent = page.locator("#reference").inner_text()
    focal = platform.accounts["focal.gn"]
    focal_token = api_token(identity, "focal.gn", focal["password"], focal["totp_secret"])
    emergency = until(lambda: requests.get(f"{platform.urls['cases']}/v1/cases/{urgent}", headers={
        "Authorization": f"Bearer {focal_token}"}).json().get("priority"))
    assert emergency == "emergency"
    page.goto("/cases")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    assert urgent not in page.content()
    assert page.goto(f"/cases/{urgent}").status == 404

    # On a phone: the same queue, readable.
    phone = visit(platform.console, phone=True)
    sign_in(phone.page, "agent.gn", agent["password"])
    expect(phone.page.get_by_role("heading", name="My queue")).to_be_visible()  # English was kept
    phone.check("08-queue-phone")

    # Sign out: back to the sign-in page, and the pages are closed to this browser.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"/cases/{reference}")
    expect(page).to_have_url(re.compile(r"/sign-in$"))


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
