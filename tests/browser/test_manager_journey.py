"""The regional manager's journey through the console, in a real browser against the real platform: search
across Guinea and Mali with a facet, read last week's report with its charts, and download it as CSV and
XLSX. A restricted case recorded the same week never shows in the search, not even in a count."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import requests
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.accounts import api_token, invite
from tests.browser.test_console_journeys import admin_token, sign_in, until

PASSWORD = "niger river at noon 2026"
# country, channel, region, narrative: last week's messages, as agents typed them.
MESSAGES = [
    ("GN", "hotline", "Kindia", "Le paiement de l'appui au commerce est en retard depuis septembre."),
    ("GN", "hotline", "Kindia", "Toujours pas de paiement pour le loyer promis au retour."),
    ("GN", "hotline", "Conakry", "Quand commence la formation en mécanique promise ?"),
    ("GN", "reception_desk", "Kindia", "Merci, le kit est arrivé complet."),
    ("ML", "hotline", "Bamako", "Le paiement du transfert de novembre n'est pas arrivé."),
    ("ML", "reception_desk", "Kayes", "Où se passe la formation en soudure ?"),
]
RESTRICTED = ("GN", "hotline", "Kindia",
              "Le responsable du site demande de l'argent en échange du paiement, je ne veux pas qu'il le sache.")


def run_search(page) -> None:
    """Sends the search form and waits for its answer (the page before it may show the same total)."""
    with page.expect_response(lambda response: response.url.endswith("/search")
                              and response.request.method == "POST"):
        page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state("networkidle")


def a_past_monday():
    """Four weeks back: other journeys sharing this platform may count last week's messages exactly."""
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday() + 28)


def test_a_regional_manager_searches_reads_the_weekly_report_and_downloads_it(platform, visit):
    identity, intake, reporting = platform.urls["identity"], platform.urls["intake"], platform.urls["reporting"]
    invite(identity, admin_token(platform), "agent.region", "agent", PASSWORD, countries=("GN", "ML"))
    invite(identity, admin_token(platform), "manager.region", "manager", PASSWORD, countries=("GN", "ML"))
    agent = {"Authorization": f"Bearer {api_token(identity, 'agent.region', PASSWORD)}"}
    manager = {"Authorization": f"Bearer {api_token(identity, 'manager.region', PASSWORD)}"}
    monday = a_past_monday()
    references = {}
    for number, (country, channel, region, narrative) in enumerate([*MESSAGES, RESTRICTED]):
        answer = requests.post(f"{intake}/v1/feedback", headers=agent, json={
            "country": country, "channel": channel, "narrative": narrative, "language": "fr",
            "received_at": f"{monday + timedelta(days=number % 5)}T10:{number:02d}:00Z", "location": {"adm1": region},
            "agent_assessment": {"sensitive": (country, channel, region, narrative) == RESTRICTED}})
        assert answer.status_code == 202, answer.text
        references[narrative] = answer.json()["reference"]
    restricted_reference = references[RESTRICTED[3]]
    # Indexed once the week's report counts all seven (reports count restricted cases, never describe them).
    until(lambda: requests.get(f"{reporting}/v1/reports", headers=manager, params={
        "period": "week", "date": monday.isoformat()}).json()["messages"]["total"] == len(MESSAGES) + 1)

    browser = visit(platform.console)
    page = browser.page
    sign_in(page, "manager.region", PASSWORD)

    # The home page is the search across every country of the manager's (other journeys' messages too).
    expect(page.get_by_role("heading", name="Rechercher dans vos pays")).to_be_visible()
    expect(page.locator(".total")).to_contain_text("message(s) trouvé(s)")
    assert restricted_reference not in page.content()
    browser.check("manager-01-search")

    # The week those messages came in: six, the restricted one not counted in the total nor in any facet.
    sunday = monday + timedelta(days=6)
    page.get_by_label("Du", exact=True).fill(monday.isoformat())
    page.get_by_label("Au", exact=True).fill(sunday.isoformat())
    run_search(page)
    expect(page.locator(".total")).to_have_text(f"{len(MESSAGES)} message(s) trouvé(s)")
    expect(page.get_by_label(re.compile(r"^Ligne d'appel \(\d+\)$"))).to_have_accessible_name("Ligne d'appel (4)")
    assert restricted_reference not in page.content()

    # Words and a facet: "paiement" in Guinea. The words travel in the form's body, never in the address.
    page.get_by_label("Mots recherchés").fill("paiement")
    page.get_by_label(re.compile(r"^Guinée \(\d+\)$")).check()
    run_search(page)
    expect(page.locator(".total")).to_have_text("2 message(s) trouvé(s)")
    results = page.locator(".results")
    expect(results).to_contain_text(references[MESSAGES[0][3]])
    expect(results).to_contain_text(references[MESSAGES[1][3]])
    expect(page.get_by_label(re.compile(r"^Ligne d'appel \(2\)$"))).to_be_visible()   # the facets count the same 2
    assert page.url.endswith("/search") and "paiement" not in page.url
    assert restricted_reference not in page.content() and results.get_by_role("link").count() == 0
    browser.check("manager-02-search-with-facet")

    # The weekly report of the region, for the week of those messages: charts drawn on the server, with
    # their figures in tables.
    page.get_by_role("link", name="Rapport hebdomadaire").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport hebdomadaire · Région")
    page.get_by_label("Un jour de la période").fill((monday + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Rapport hebdomadaire · Région (tous vos pays) · {monday:%d/%m/%Y} – {sunday:%d/%m/%Y}")
    channels = page.get_by_role("img", name="Messages par canal")
    expect(channels.locator("rect.bar")).to_have_count(2)
    expect(page.get_by_role("table", name="Messages par canal").get_by_role("row", name=re.compile("Ligne d'appel"))) \
        .to_contain_text("5")   # 3 from Guinea, 1 from Mali and the restricted one: counted, never described
    expect(page.get_by_role("img", name="Tendance sur 8 semaines").locator("polyline")).to_have_count(2)
    expect(page.get_by_role("img", name="Traités dans les délais")).to_be_visible()
    # Kindia had 4 messages, the other places 1: figures about people under 5 are withheld, drawn as no bar.
    regions = page.get_by_role("img", name="Messages par région")
    expect(regions.locator("text.withheld")).to_have_text(["<5"] * 4)
    expect(regions.locator("rect.bar")).to_have_count(0)
    expect(page.get_by_role("table", name="Messages par région").get_by_role("row", name=re.compile("Kindia"))) \
        .to_contain_text("<5")
    # No callbacks that week: each country's row of the Callbacks table says so.
    expect(page.get_by_role("table", name="Rappels").get_by_role("row", name=re.compile("Guinée"))) \
        .to_contain_text("0")
    browser.check("manager-03-weekly-report")

    # The same report as files, through the console with the manager's own token.
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert csv_download.value.suggested_filename == f"cfm-report-region-week-{monday}.csv"
    rows = list(csv.DictReader(io.StringIO(csv_download.value.path().read_text(encoding="utf-8"))))
    by_channel = {row["key"]: row["value"] for row in rows
                  if row["table"] == "By channel" and row["measure"] == "Messages"}
    assert by_channel == {"hotline": "5", "reception_desk": "2"}
    kindia = {row["measure"]: row["value"] for row in rows if row["table"] == "By location" and row["key"] == "Kindia"}
    assert kindia == {"Messages": "<5", "Previous period": "0"}
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert xlsx_download.value.suggested_filename == f"cfm-report-region-week-{monday}.xlsx"
    workbook = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Messages received"] == len(MESSAGES) + 1
    with page.expect_download() as hxl_download:
        page.get_by_role("link", name="CSV avec balises HXL").click()
    hashtags = hxl_download.value.path().read_text(encoding="utf-8").splitlines()[1]
    assert hashtags.startswith("#date+start,#date+end,#country+code,#adm1+name,#channel")

    # The monthly report of Mali alone, for the month before those messages: none, and the page says so.
    page.get_by_role("link", name="Rapport mensuel").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport mensuel · Région")
    page.get_by_label("Pays").select_option("ML")
    page.get_by_label("Un jour de la période").fill((monday.replace(day=1) - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport mensuel · Mali")
    expect(page.locator("section", has=page.get_by_role("heading", name="Messages par canal"))) \
        .to_contain_text("Aucun chiffre pour cette période.")
    browser.check("manager-04-monthly-report-empty")

    # A manager opens no case: the case pages are not theirs.
    assert page.goto("/cases").status == 403

    # On a phone: the weekly report, charts and tables one under the other.
    phone = visit(platform.console, phone=True)
    sign_in(phone.page, "manager.region", PASSWORD)
    expect(phone.page.locator(".total")).to_be_visible()
    phone.mark()
    phone.page.goto(f"/reports/week?scope=GN&date={monday}")
    expect(phone.page.get_by_role("img", name="Messages par canal")).to_be_visible()
    phone.check("manager-05-weekly-report-phone")
