"""A person asks what we hold about them: a focal point types their number, reads what is held and
downloads it to hand over; an administrator reads what the retention job would delete or anonymise now,
service by service. Every page is checked with axe-core, for CSP violations and for its weight."""
import json
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import requests
from playwright.sync_api import expect

from tests.browser.accounts import api_token
from tests.browser.test_data_protection_journey import sign_in_with_second_factor

NARRATIVE = "Les bons alimentaires de mon ménage ne sont pas arrivés ce mois-ci à Dubréka."
PHONE = "+224 622 55 66 77"


def record_call(platform) -> str:
    """A hotline call from the person, taken by an agent through intake; the case's reference once opened."""
    agent = platform.accounts["agent.gn"]
    headers = {"Authorization": f"Bearer {api_token(platform.urls['identity'], 'agent.gn', agent['password'])}"}
    recorded = requests.post(f"{platform.urls['intake']}/v1/feedback", headers=headers, json={
        "country": "GN", "channel": "hotline", "narrative": NARRATIVE,
        "contact": {"name": "Mariama Bah", "phone": PHONE},
        "consent": {"callback": True, "share_with_partners": False}})
    assert recorded.status_code == 202, recorded.text
    reference = recorded.json()["reference"]
    deadline = time.monotonic() + 30
    while requests.get(f"{platform.urls['cases']}/v1/cases/{reference}", headers=headers).status_code != 200:
        assert time.monotonic() < deadline, "the case never opened"
        time.sleep(0.5)
    return reference


def exports_logged(platform) -> int:
    with psycopg.connect(platform.database_url) as db:
        return db.execute("SELECT count(*) FROM intake.contact_exports").fetchone()[0]


def test_a_focal_point_shows_and_downloads_what_is_held_about_a_caller(platform, visit):
    reference = record_call(platform)
    logged_before = exports_logged(platform)
    focal = visit(platform.console)
    page = focal.page
    sign_in_with_second_factor(page, "focal.gn", platform.accounts["focal.gn"])
    page.get_by_role("link", name="Données d'une personne").click()
    expect(page.get_by_role("heading", name="Les données d'une personne")).to_be_visible()

    page.get_by_label("Numéro de téléphone de la personne").fill("+224 622 00 00 01")
    page.get_by_role("button", name="Voir ce que nous gardons").click()
    expect(page.get_by_role("alert")).to_have_text("Personne n'a écrit ou appelé avec ce numéro dans ce pays.")
    focal.check()

    page.get_by_label("Numéro de téléphone de la personne").fill(PHONE)
    page.get_by_label("Numéro de téléphone de la personne").press("Enter")
    held = page.get_by_role("region", name="Ce que nous gardons")
    expect(held).to_contain_text("Mariama Bah")
    messages = page.get_by_role("table", name="Messages")
    expect(messages.get_by_role("row", name=reference)).to_contain_text(NARRATIVE)
    expect(messages).to_contain_text("Rappel : oui")
    expect(page.get_by_role("table", name="Cas", exact=True).get_by_role("link", name=reference)).to_be_visible()
    after_host = page.url.split("/", 3)[-1]  # the host's port is a random number
    assert "622" not in after_host and "66" not in after_host  # the number never enters the address bar
    focal.check("data-rights-1-contact-export")

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Télécharger tout (JSON)").click()
    download = downloading.value
    exported = json.loads(open(download.path(), encoding="utf-8").read())
    assert download.suggested_filename == f"contact-export-{exported['export_id']}.json"
    assert exported["contact"]["name"] == "Mariama Bah"
    assert [message["reference"] for message in exported["messages"]] == [reference]
    assert [case["reference"] for case in exported["cases"] if case["found"]] == [reference]
    file = next(response for response in focal.responses if response.url.endswith("/data-protection/export/download"))
    assert file.headers["cache-control"] == "no-store"
    assert file.headers["content-disposition"].startswith("attachment")
    # The search that found nobody, the summary read and the file downloaded: three entries in intake's log.
    assert exports_logged(platform) == logged_before + 3


def test_an_administrator_reads_what_the_retention_job_would_take_service_by_service(platform, visit):
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with psycopg.connect(platform.database_url) as db:
        for _ in range(2):
            db.execute("""INSERT INTO intake.outbox (message_id, event_type, routing_key, body, published_at)
                          VALUES (%s, 'feedback_received', 'feedback_received.v1', '{"country": "GN"}', %s)""",
                       [uuid4(), long_ago])

    admin = visit(platform.console)
    page = admin.page
    sign_in_with_second_factor(page, "admin", platform.accounts["admin"])
    page.get_by_role("link", name="Conservation").click()
    expect(page.get_by_role("heading", name="Conservation : ce qui arrive à échéance")).to_be_visible()
    table = page.locator("#retention")
    for service in ("Identité", "Réception", "Cas", "Références", "Notifications", "Rapports", "Console"):
        expect(table.get_by_role("rowheader", name=service, exact=True).first).to_be_visible()
    due = page.locator("#retention-intake-outbox_published")
    expect(due).to_contain_text("Événements publiés (boîte d'envoi)")
    expect(due.locator(".badge")).to_have_text("2")
    expect(due).to_contain_text("7 jours")
    # How many sensitive cases are due is for focal points only, even as a number.
    expect(page.locator("#retention-cases-closed_sensitive_cases")).to_contain_text("Non communiqué")
    expect(page.locator("#retention-cases-closed_cases")).to_contain_text("730 jours")
    admin.check("data-rights-2-retention-preview")

    page.get_by_label("Pays").select_option("ML")
    page.get_by_role("button", name="Afficher").click()
    # Guinea's old rows are not Mali's.
    expect(page.locator("#retention-intake-outbox_published td").nth(1)).to_have_text("0")
    admin.check()
