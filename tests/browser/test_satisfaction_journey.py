"""A complainant who is not satisfied, and the supervisor who looks at their case, in a real browser against
the real platform: the agent closes a case taken on the hotline, the person gets the satisfaction question by
SMS and answers "2" from their phone through the SMS gateway, and the supervisor finds the case marked "not
satisfied" on the week's quality review list and the answer on its timeline; the country manager's weekly
report counts it. Each page is checked with
axe-core, for CSP violations and its weight."""
import re
from datetime import UTC, datetime

import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import NEW_PASSWORD, admin_token, sign_in, until
from tests.browser.test_supervisor_journey import Staff

PHONE = "+224622334455"
NARRATIVE = "Le coupon alimentaire de ma famille n'a pas été renouvelé ce mois-ci à Kindia."


def test_a_supervisor_reviews_a_case_whose_complainant_answered_no(platform, visit):
    identity = platform.urls["identity"]
    agent_account, supervisor_account = platform.accounts["agent.gn"], platform.accounts["supervisor.gn"]
    agent = Staff(platform, api_token(identity, "agent.gn", agent_account["password"]))
    taken = requests.post(f"{platform.urls['intake']}/v1/feedback", headers=agent.headers, timeout=10, json={
        "country": "GN", "channel": "hotline", "language": "fr", "narrative": NARRATIVE,
        "contact": {"phone": "622 33 44 55"}, "consent": {"callback": True}})
    assert taken.status_code == 202, taken.text
    reference = taken.json()["reference"]
    until(lambda: agent.case(reference).get("version"))
    agent.act(reference, "resolve", {"resolution": "Coupon renouvelé."})
    agent.act(reference, "close", {"response": "Votre coupon a été renouvelé.", "response_channel": "call"})

    def question():
        sent = requests.get(f"{platform.urls['sms-sink']}/messages", timeout=5).json()
        return [sms["body"] for sms in sent if sms["to"] == PHONE and "satisfait" in sms["body"]]
    assert reference in until(question)[0]
    answer = requests.post(f"{platform.urls['intake']}/v1/channels/sms-gateway/gn_sms_gateway", timeout=10,
                           json={"message_id": "gw-satisfaction-2", "from": PHONE, "to": "1313", "text": "2"},
                           headers={"X-CFM-Secret": "dev-gateway-secret"})
    assert answer.json()["status"] == "reply_received", answer.text

    browser = visit(platform.console)
    page = browser.page
    sign_in(page, "supervisor.gn", supervisor_account["password"])
    page.wait_for_url(re.compile(r"/(board|sign-in/conduct)$"))
    if page.url.endswith("/sign-in/conduct"):
        page.get_by_label("J'ai lu ce code de conduite").check()
        page.get_by_role("button", name="Continuer").click()

    def listed_as_dissatisfied():
        page.goto("/quality")
        return page.get_by_role("row").filter(has_text=reference).filter(has_text="Plaignant pas satisfait").count()
    until(listed_as_dissatisfied)
    assert PHONE not in page.content() and "622 33 44 55" not in page.content()
    browser.check("satisfaction-1-quality-list")

    page.goto(f"/cases/{reference}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Réponse à la question de satisfaction · pas satisfait(e)")
    expect(timeline).to_contain_text("Question de satisfaction envoyée")
    browser.check("satisfaction-2-case-timeline")

    page.goto("/quality")
    page.get_by_role("link", name=f"Évaluer {reference}").click()
    page.get_by_label("2 — à améliorer").check()
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    expect(page.get_by_role("status")).to_have_text("Évaluation enregistrée.")
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Note 2/5")
    browser.check()

    # The country manager's weekly report counts the answer by country, channel and category, each line of a
    # single answer withheld (`<5`): it would tell what that person said.
    invite(identity, admin_token(platform), "manager.satisfaction", "manager", NEW_PASSWORD)
    manager = visit(platform.console)
    sign_in(manager.page, "manager.satisfaction", NEW_PASSWORD)
    if manager.page.get_by_label("J'ai lu ce code de conduite").count():
        manager.page.get_by_label("J'ai lu ce code de conduite").check()
        manager.page.get_by_role("button", name="Continuer").click()

    def counted():
        manager.page.goto(f"/reports/week?scope=GN&date={datetime.now(UTC).date().isoformat()}")  # this week
        return manager.page.get_by_role("table", name="Satisfaction par canal").count()
    until(counted)
    expect(manager.page.get_by_role("table", name="Satisfaction par canal").get_by_role(
        "row", name=re.compile("Ligne d'appel"))).to_contain_text("<5")
    expect(manager.page.get_by_role("table", name="Satisfaction par canal")).not_to_contain_text("0 %")
    expect(manager.page.get_by_role("table", name="Satisfaction par pays")).to_contain_text("Guinée")
    manager.check("satisfaction-3-weekly-report")
