"""A supervisor's week in the console, in a real browser against the real platform: the deadline board with
the cases seeded late, three cases reassigned at once (one changed meanwhile is reported, not overwritten),
the alerts sent to the supervisors on duty, and the quality review of a case drawn from an agent's closed
cases. A restricted case never shows, not even in a count. Every page is checked with axe-core, for CSP
violations and for its weight."""
import re
from datetime import UTC, datetime, timedelta

import holidays
import requests
from playwright.sync_api import expect

from services.cases.business_time import Calendar
from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import NEW_PASSWORD, SENSITIVE_NARRATIVE, admin_token, sign_in, until

LATE_PAYMENT = "Le paiement de l'appui au commerce est en retard depuis deux mois à Kindia."
QUESTION = "Bonjour, quand est la prochaine distribution de kits à Kindia ? Merci."


def nearly_due(now: datetime) -> datetime:
    """A time the call could have come in at for its acknowledgement (one business day on Guinea's calendar)
    to be past its 75% warning but not yet due: between 19 and 22 business hours ago."""
    calendar = Calendar("Africa/Conakry", holidays=frozenset(holidays.country_holidays(
        "GN", years=range(now.year - 1, now.year + 1))))
    received = now
    while not timedelta(hours=19) <= calendar.elapsed(received, now) <= timedelta(hours=22):
        received -= timedelta(minutes=30)
    return received


class Staff:
    """One person's hand on the APIs, for setting the scene (never for the journey itself)."""

    def __init__(self, platform, token):
        self.urls, self.headers = platform.urls, {"Authorization": f"Bearer {token}"}

    def record(self, narrative, received_at=None) -> str:
        body = {"country": "GN", "channel": "hotline", "narrative": narrative}
        if received_at:
            body["received_at"] = received_at.isoformat()
        answer = requests.post(f"{self.urls['intake']}/v1/feedback", headers=self.headers, json=body, timeout=10)
        assert answer.status_code == 202, answer.text
        return answer.json()["reference"]

    def case(self, reference) -> dict:
        return requests.get(f"{self.urls['cases']}/v1/cases/{reference}", headers=self.headers, timeout=10).json()

    def act(self, reference, action, body) -> dict:
        version = self.case(reference)["version"]
        answer = requests.post(f"{self.urls['cases']}/v1/cases/{reference}/{action}", headers=self.headers,
                               json={**body, "version": version}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()


def test_a_supervisor_watches_deadlines_reassigns_cases_reads_alerts_and_reviews_quality(platform, visit):
    identity = platform.urls["identity"]
    invite(identity, admin_token(platform), "agent.kankan", "agent", NEW_PASSWORD)
    agent = Staff(platform, api_token(identity, "agent.kankan", NEW_PASSWORD))
    supervisor_account = platform.accounts["supervisor.gn"]
    supervisor = Staff(platform, api_token(identity, "supervisor.gn", supervisor_account["password"]))

    # The scene: three calls logged a week late (overdue), one nearly due, one that sounds like abuse (restricted
    # to focal points), and two the agent answers and closes this week.
    now = datetime.now(UTC)
    late = [agent.record(LATE_PAYMENT, now - timedelta(days=8)) for _ in range(3)]
    nearly = agent.record(QUESTION, nearly_due(now))
    hidden = agent.record(SENSITIVE_NARRATIVE, now - timedelta(days=8))
    answered = [agent.record(QUESTION) for _ in range(2)]
    until(lambda: all(agent.case(reference).get("version") for reference in late + [nearly] + answered))
    for reference in answered:
        agent.act(reference, "resolve", {"resolution": "Date of the next distribution given."})
        agent.act(reference, "close", {"response": "The next distribution is on Monday.", "response_channel": "call"})
    supervisor.act(late[0], "assignment", {"team": "kindia"})

    browser = visit(platform.console)
    page = browser.page
    sign_in(page, "supervisor.gn", supervisor_account["password"])
    page.wait_for_url(re.compile(r"/(board|sign-in/conduct)$"))
    if page.url.endswith("/sign-in/conduct"):
        page.get_by_label("J'ai lu ce code de conduite").check()
        page.get_by_role("button", name="Continuer").click()

    # The board: the supervisor's home, counts by team and by agent on Guinea's clock.
    expect(page.get_by_role("heading", name="Tableau des échéances")).to_be_visible()

    def board_shows_the_late_cases():
        page.goto("/board")
        team = page.get_by_role("table", name="Par équipe").get_by_role("row").filter(has_text="kindia")
        warnings = page.locator(".totals .badge.warning").inner_text()
        return team.count() == 1 and not warnings.startswith("0 ")
    until(board_shows_the_late_cases)
    expect(page.locator(".board .hint")).to_contain_text("heure GN")
    expect(page.get_by_role("table", name="Par agent")).to_contain_text("Non attribués")
    assert hidden not in page.content()
    browser.check("20-deadline-board")

    # The overdue cases, three ticked at once; one of them changes meanwhile.
    page.locator(".totals .badge.breached").click()
    expect(page.get_by_role("heading", name="Réattribuer des cas")).to_be_visible()
    for reference in late:
        expect(page.get_by_role("link", name=reference)).to_be_visible()
    assert hidden not in page.content()
    browser.check("21-reassign")
    for reference in late:
        page.get_by_label(f"Choisir {reference}").check()
    page.get_by_label("Agent", exact=True).select_option(label="agent.kankan")
    page.get_by_label("Équipe").fill("conakry")
    supervisor.act(late[2], "notes", {"text": "Called the programme team."})
    page.get_by_role("button", name="Réattribuer les cas cochés").click()
    expect(page.get_by_role("status")).to_contain_text("2 cas réattribués.")
    expect(page.locator(".outcomes")).to_contain_text(f"{late[2]} : modifié par quelqu'un entre-temps")
    assert [supervisor.case(reference)["team"] for reference in late] == ["conakry", "conakry", None]
    expect(page.get_by_role("row").filter(has_text=late[0])).to_contain_text("agent.kankan · conakry")
    browser.check("22-reassigned")

    # The alerts sent to the supervisors on duty about the late cases.
    page.get_by_role("link", name="Alertes").click()

    def alerts_show_the_late_case():
        page.goto("/alerts")
        return page.get_by_role("link", name=late[0]).count() >= 1
    until(alerts_show_the_late_case)
    expect(page.get_by_role("row").filter(has=page.get_by_role("link", name=late[0])).filter(
        has_text="Échéance dépassée")).to_have_count(1)
    browser.check("23-alerts")

    # Quality: this week's sample holds the agent's two closed cases; one is reviewed.
    page.get_by_role("link", name="Qualité").click()
    expect(page.get_by_role("heading", name="Contrôle qualité")).to_be_visible()
    for reference in answered:
        expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("agent.kankan")
    browser.check("24-quality-sample")
    page.get_by_role("link", name=f"Évaluer {answered[0]}").click()
    expect(page.get_by_role("heading", name=f"Évaluer {answered[0]}")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("The next distribution is on Monday.")
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    expect(page.get_by_role("alert")).to_contain_text("Choisissez une valeur")
    page.get_by_label("4 — bon").check()
    page.get_by_label("Commentaire pour l'agent (facultatif)").fill("Right and polite; say when to call back.")
    browser.check("25-quality-review")
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    expect(page.get_by_role("status")).to_have_text("Évaluation enregistrée.")
    row = page.get_by_role("row").filter(has_text=answered[0])
    expect(row).to_contain_text("Note 4/5")
    browser.check()
    row.get_by_role("link", name=f"Revoir {answered[0]}").click()   # a second look starts from the first review
    expect(page.get_by_label("4 — bon")).to_be_checked()
    expect(page.get_by_label("Commentaire pour l'agent (facultatif)")).to_have_value(
        "Right and polite; say when to call back.")

    # On a phone: the board, readable.
    phone = visit(platform.console, phone=True)
    sign_in(phone.page, "supervisor.gn", supervisor_account["password"])
    expect(phone.page.get_by_role("heading", name="Tableau des échéances")).to_be_visible()
    phone.check("26-board-phone")
