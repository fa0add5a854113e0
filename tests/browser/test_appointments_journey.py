"""An agent books a person an appointment at a reception centre from their case, in a real browser against the
real platform; the person gets the day, time and place by SMS; on the day the desk marks them as come. Each page
is checked with axe-core, for CSP violations and its weight."""
import re
from datetime import date, timedelta

import requests
from playwright.sync_api import expect

from chassis.settings import load_settings
from services.cases.settings import CasesSettings

from tests.browser.test_console_journeys import call_taken_by_another_agent, sign_in_as_agent_gn, until

NARRATIVE = "Le paiement du mois n'est pas arrivé et on me dit de passer au bureau pour vérifier ma carte."
PHONE = "622 43 21 09"


def next_opening_day() -> date:
    """The next day after today on which the Matam centre (services/cases/config.yml) opens: Monday to Thursday
    have both its ranges, so a 09:00 slot, unless it is a public holiday in Guinea."""
    closed = load_settings(CasesSettings, "cases", environ={}).centres["gn-conakry-matam"].closed_days
    day = date.today() + timedelta(days=1)
    while day.weekday() > 3 or day in closed:
        day += timedelta(days=1)
    return day


def texts_sent(platform) -> list[dict]:
    """What the fake SMS provider was asked to send."""
    return requests.get(f"{platform.urls['sms-sink']}/messages", timeout=10).json()


def test_an_agent_books_an_appointment_from_the_case_and_the_desk_marks_the_person_as_come(platform, visit):
    reference = call_taken_by_another_agent(platform, "agent.appointments", NARRATIVE, PHONE, language="fr")
    day = next_opening_day()

    browser = visit(platform.console)
    page = browser.page
    sign_in_as_agent_gn(page, platform)

    def case_opened():
        page.goto(f"/cases/{reference}")
        return page.get_by_role("heading", name=reference).count() == 1
    until(case_opened)
    expect(page.get_by_text("Aucun rendez-vous pour ce cas.")).to_be_visible()
    page.get_by_label("Jour du rendez-vous").fill(day.isoformat())
    page.get_by_role("button", name="Voir les créneaux libres").click()
    expect(page.get_by_role("heading", name=f"Rendez-vous pour {reference}")).to_be_visible()
    matam = page.get_by_role("group", name=re.compile("Matam"))
    expect(matam.get_by_label("09:00 · 4 place(s) libre(s)")).to_be_visible()
    browser.check("appointments-1-slots")

    page.get_by_role("button", name="Réserver ce créneau").click()  # no slot chosen
    expect(page.get_by_role("alert")).to_have_text("Choisissez un créneau.")
    page.get_by_role("group", name=re.compile("Matam")).get_by_label("09:00 · 4 place(s) libre(s)").check()
    page.get_by_role("button", name="Réserver ce créneau").click()
    expect(page.get_by_role("status")).to_have_text("Rendez-vous réservé : la personne va recevoir un SMS.")
    booked = page.get_by_role("listitem").filter(has_text=f"{day:%d/%m/%Y} 09:00")
    expect(booked).to_contain_text("Réservé")
    expect(booked).to_contain_text("Centre d'accueil HCR de Matam")
    browser.check("appointments-2-booked")

    confirmation = f"Rendez-vous pour votre dossier {reference} : le {day:%d/%m/%Y} à 09:00, Centre d'accueil HCR " \
                   "de Matam, Route du Niger, près du marché de Matam, Conakry. Pour annuler, répondez ANNULER."
    assert until(lambda: [sms["body"] for sms in texts_sent(platform) if reference in sms["body"]
                          and "Rendez-vous" in sms["body"]]) == [confirmation]

    page.get_by_role("link", name="Rendez-vous du jour").click()
    expect(page.get_by_role("heading", name="Rendez-vous du jour")).to_be_visible()
    page.get_by_label("Centre d'accueil", exact=True).select_option("gn-conakry-matam")
    page.get_by_label("Jour du rendez-vous").fill(day.isoformat())
    page.get_by_role("button", name="Afficher").click()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("09:00")
    expect(row).to_contain_text("Réservé")
    assert "43 21 09" not in page.content() and "622432109" not in page.content()  # never the person's number
    browser.check("appointments-3-desk")
    row.get_by_role("button", name=f"Venu·e {reference}").click()
    expect(page.get_by_role("status")).to_have_text("Présence notée.")
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Venu·e")
    expect(page.get_by_role("row").filter(has_text=reference).get_by_role("button")).to_have_count(0)
    browser.check("appointments-4-attended")
