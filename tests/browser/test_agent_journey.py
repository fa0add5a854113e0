"""A hotline agent's day in a real browser against the real platform: take a call with its place and
consent, see the caller's earlier cases by phone (a restricted one stays hidden), work the case to its
close, answer "where is my case?" by reference, on a laptop and on a phone. Every page is checked with
axe-core, for CSP violations and for its weight (under 100 KB)."""
import re

import psycopg
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import (
    CALL_NARRATIVE, NEW_PASSWORD, SENSITIVE_NARRATIVE, admin_token, sign_in, until,
)

PHONE = "+224 622 12 34 56"
EARLIER_NARRATIVE = "Je n'ai pas reçu le kit de réinstallation promis à Kindia le mois dernier."


def test_a_hotline_agent_takes_a_call_and_works_the_case_to_its_close(platform, visit):
    identity, intake = platform.urls["identity"], platform.urls["intake"]
    # Earlier, the same person called twice: once about a kit, once about abuse (restricted to focal points
    # at once). Another agent took both calls.
    invite(identity, admin_token(platform), "agent.other", "agent", NEW_PASSWORD)
    other = {"Authorization": f"Bearer {api_token(identity, 'agent.other', NEW_PASSWORD)}"}
    contact = {"name": "Mamadou Diallo", "phone": "622123456"}
    earlier = requests.post(f"{intake}/v1/feedback", headers=other, json={
        "country": "GN", "channel": "hotline", "narrative": EARLIER_NARRATIVE, "contact": contact})
    restricted = requests.post(f"{intake}/v1/feedback", headers=other, json={
        "country": "GN", "channel": "hotline", "narrative": SENSITIVE_NARRATIVE, "contact": contact})
    assert earlier.status_code == restricted.status_code == 202, (earlier.text, restricted.text)
    earlier_reference, restricted_reference = earlier.json()["reference"], restricted.json()["reference"]

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
    assert page.evaluate("document.documentElement.lang") == "en"   # for screen readers' pronunciation
    browser.check()

    # Take a call: the consent lines to read, the place from Guinea's list, and the caller's earlier cases
    # (the restricted one is not among them) without leaving the half-typed form.
    page.get_by_role("link", name="Take a call").click()
    expect(page.get_by_role("heading", name="Take a call")).to_be_visible()
    expect(page.locator("#consent_callback-script span:visible")).to_contain_text("call you back on this number")
    page.get_by_label("Hotline").check()
    page.get_by_label("The person's language").select_option("fr")   # the lines to read turn French
    expect(page.locator("#consent_callback-script span:visible")).to_have_text(
        re.compile("^« Acceptez-vous que nous vous rappelions"))
    page.get_by_label("Place (the country's list)").select_option(label="Kindia · Mambia")
    page.get_by_label("Call id (telephony)").fill("call-2026-0042")
    page.get_by_label("Call duration (minutes)").fill("6.5")
    page.locator("#consent_callback-yes").check()
    page.locator("#consent_share-no").check()
    page.get_by_label("Narrative, in the person's words").fill(CALL_NARRATIVE)
    page.get_by_label("The person's name (optional)").fill("Mamadou Diallo")
    page.get_by_label("The person's phone (optional)").fill(PHONE)
    page.get_by_role("button", name="Earlier cases of this number").click()
    expect(page.locator("#earlier").get_by_role("link", name=earlier_reference)).to_be_visible()
    assert restricted_reference not in page.locator("#earlier").inner_text()
    expect(page.get_by_label("Narrative, in the person's words")).to_have_value(CALL_NARRATIVE)
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Age group").select_option("25-59")
    page.get_by_label("Disability").select_option("no")
    browser.check("03-take-a-call")
    page.get_by_role("button", name="Record and give the reference").click()
    expect(page.get_by_role("heading", name="Message recorded")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"GN-\d{4}-\d{6}", reference)
    assert "Mamadou" not in page.url and "622" not in page.url.split("/", 3)[-1]  # after the host's random port
    browser.check("04-reference-given")
    with psycopg.connect(platform.database_url) as db:
        location = db.execute("SELECT details->'location' FROM intake.feedback WHERE reference = %s",
                              [reference]).fetchone()[0]
    assert location == {"adm1": "Kindia", "adm2": "Kindia", "place": "Mambia"}

    # The queue: the new case with its deadline on Guinea's clock, among the unassigned; the restricted
    # one nowhere.
    def queue_shows_case():
        page.goto("/cases?view=unassigned")
        return page.get_by_role("link", name=reference).count() == 1
    until(queue_shows_case)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("GN time")
    expect(row.locator(".badge")).to_have_text(re.compile("On time|Due soon|Overdue"))
    assert restricted_reference not in page.content()
    browser.check("05-queue")
    page.get_by_role("link", name="Due soon").click()
    expect(page.get_by_role("link", name="Due soon")).to_have_attribute("aria-current", "page")
    browser.check()
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
    page.goto("/cases?view=unassigned")
    expect(page.get_by_role("link", name=earlier_reference)).to_be_visible()
    assert page.get_by_role("link", name=reference).count() == 0
    page.goto(f"/cases/{reference}")
    for status, shown in (("acknowledged", "Acknowledged"), ("in_progress", "In progress")):
        page.get_by_label("Move to status").select_option(status)
        page.get_by_role("button", name="Change status").click()
        expect(page.locator(".case-head .tag").first).to_have_text(shown)
        browser.check()

    # The caller rings again: "where is my case?". Their number matches the case; the agent reads what
    # may be told and notes the call on the case.
    page.get_by_role("link", name="Where is my case?").click()
    page.get_by_label("Reference the person gives").fill(reference.lower())
    page.get_by_label("Their number, to check (optional)").fill(PHONE)
    page.get_by_role("button", name="See what may be told").click()
    expect(page.locator(".notice")).to_have_text("This number is the case's own.")
    expect(page.locator("#told-script")).to_contain_text("is being handled")
    browser.check("agent-status-request")
    page.get_by_role("button", name="Add this note to the case").click()
    expect(page.locator(".timeline")).to_contain_text("called to ask how their case is going")
    # Another number, or a reference out of sight, tells nothing.
    page.goto("/status-request")
    page.get_by_label("Reference the person gives").fill(reference)
    page.get_by_label("Their number, to check (optional)").fill("+224 655 00 00 00")
    page.get_by_role("button", name="See what may be told").click()
    expect(page.get_by_role("alert")).to_contain_text("not the case's")
    page.get_by_label("Reference the person gives").fill(restricted_reference)
    page.get_by_role("button", name="See what may be told").click()
    expect(page.get_by_role("heading", name="Nothing to tell on this reference")).to_be_visible()

    page.goto(f"/cases/{reference}")
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

    # The caller look-up page: both cases this agent may open, newest first; never the restricted one.
    page.get_by_role("link", name="Look up a caller").click()
    page.get_by_label("The person's phone number").fill(PHONE)
    page.get_by_role("button", name="Look up").click()
    found = page.locator(".earlier li a")
    expect(found).to_have_text([reference, earlier_reference])
    assert restricted_reference not in page.content() and "622" not in page.url.split("/", 3)[-1]
    browser.check("agent-caller-look-up")
    with psycopg.connect(platform.database_url) as db:
        lookups = db.execute("SELECT requested_by, shown, to_jsonb(l)::text FROM intake.contact_lookups l "
                             "ORDER BY id").fetchall()
    # From the call form, the two status checks, this page; intake counts the restricted case, cases hides it.
    assert [row[1] for row in lookups] == [2, 3, 0, 3] and len({row[0] for row in lookups}) == 1
    # The number in no form (hashes and ids are hex, so a short run of digits could occur by chance).
    assert not any(form in row[2] for row in lookups for form in ("622123456", "622 12 34 56"))

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

    # On a phone: the queue, the call form and a status request, readable and within budget.
    phone = visit(platform.console, phone=True)
    sign_in(phone.page, "agent.gn", agent["password"])
    expect(phone.page.get_by_role("heading", name="My queue")).to_be_visible()  # English was kept
    phone.check("08-queue-phone")
    phone.page.goto("/calls/new")
    phone.check("agent-take-a-call-phone", full_page=False)
    assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
    phone.page.goto("/status-request")
    phone.page.get_by_label("Reference the person gives").fill(reference)
    phone.page.get_by_role("button", name="See what may be told").click()
    expect(phone.page.locator("#told-script")).to_contain_text("closed")
    expect(phone.page.locator(".told")).to_contain_text("Your payment will come with the December list.")
    phone.check("agent-status-request-phone")

    # Sign out: back to the sign-in page, and the pages are closed to this browser.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"/cases/{reference}")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
