"""Appointments at a reception centre: an agent books the person of a case a slot; the person gets one SMS with
the day, time and place, one reminder the day before, and may cancel by SMS; the desk records attendance; a
slot never takes more people than it holds, even when two agents book its last place at once."""
import csv
import io
from datetime import UTC, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import eventlet
import pytest
import requests
from elasticsearch import Elasticsearch
from openpyxl import load_workbook

from contracts.envelope import Envelope
from contracts.events import AppointmentAttendanceRecorded, AppointmentBooked, AppointmentCancelled, ReplyReceived
from tests.conftest import ES_URL, wait_for
from tests.helpers import publish_event
from tests.helpers import metric_value
from tests.integration.test_notifications import sms_settings

CONAKRY = ZoneInfo("Africa/Conakry")
EVERY_DAY = {day: ["08:00-12:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def slot(days_ahead: int, hour: int = 9) -> datetime:
    """A slot of the test centre, `days_ahead` days after today on Conakry's clock."""
    day = datetime.now(CONAKRY).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour), CONAKRY)


# A centre open every day, so that the test does not depend on the weekday it runs; one place per slot. Guinea's
# public holidays are off for the same reason: in their place a holiday in 40 days, and the centre's own closed
# day in 41, far from the days the tests book (a run that passes midnight after this module is read moves
# those by one).
HOLIDAY, CLOSED_DAY = slot(40), slot(41)
TEST_CENTRE = {"id": "gn-test-centre", "country": "GN", "opening_hours": EVERY_DAY, "slot_minutes": 60,
               "capacity": 1, "name": {"fr": "Centre HCR de Test", "en": "UNHCR Test centre"},
               "address": {"fr": "Rue du Port, Conakry", "en": "Port Street, Conakry"},
               "closed_days": [CLOSED_DAY.date().isoformat()]}
CASES_SETTINGS = {"appointments": {"centres": [TEST_CENTRE]}, "clock": {"adjustable": True},
                  "calendars": {"GN": {"public_holidays": False, "extra_holidays": [HOLIDAY.date().isoformat()]}}}


class Agent:
    def __init__(self, cases, role="agent", subject="mariama"):
        self.url = cases.url
        self.headers = {"Authorization": f"Bearer {cases.token(role, subject=subject)}"}

    def book(self, reference, starts_at, centre=TEST_CENTRE["id"]):
        return requests.post(f"{self.url}/v1/cases/{reference}/appointments", headers=self.headers, timeout=10,
                             json={"centre_id": centre, "starts_at": starts_at.isoformat()})

    def post(self, appointment_id, action, body=None):
        return requests.post(f"{self.url}/v1/appointments/{appointment_id}/{action}", json=body,
                             headers=self.headers, timeout=10)

    def get(self, path, **params):
        return requests.get(f"{self.url}{path}", params=params, headers=self.headers, timeout=10)


@pytest.fixture
def platform(run_service, sms_sink):
    intake = run_service("intake")
    cases = run_service("cases", **CASES_SETTINGS)
    return intake, cases


def open_case(intake, db, phone: str, language="fr", consent=True,
              narrative="Le paiement du mois est en retard, je voudrais savoir quand il arrive.") -> tuple[str, object]:
    """A case opened from a call, with the person's number and their consent to be contacted."""
    submission = {"country": "GN", "channel": "hotline", "language": language, "narrative": narrative,
                  "contact": {"phone": phone}, "consent": {"callback": consent}}
    reference = requests.post(f"{intake.url}/v1/feedback", json=submission, headers=intake.headers(),
                              timeout=10).json()["reference"]
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = %s", [reference]).fetchone())
    contact_ref = db.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s", [reference]).fetchone()[0]
    return reference, contact_ref


def texts_to(sms_sink, phone, word):
    return [sms["body"] for sms in sms_sink.messages if sms["to"] == phone and word in sms["body"]]


def duplicates_of(service, event_type) -> float:
    """Redeliveries the service recognised (and ignored) so far."""
    return metric_value(requests.get(service.metrics_url, timeout=10).text, "cfm_messages_consumed_total",
                        service=service.settings.service, event_type=event_type, outcome="duplicate")


def booked_event(db, appointment_id):
    row = db.execute("""SELECT body FROM cases.outbox WHERE event_type = 'appointment_booked'
                        AND body->'payload'->>'appointment_id' = %s""", [appointment_id]).fetchone()
    return Envelope.model_validate(row[0]) if row else None


def test_a_booking_is_confirmed_once_with_day_time_and_place_and_reminded_once_the_day_before(
        platform, run_service, amqp_uri, db, sms_sink):
    intake, cases = platform
    notifications = run_service("notifications", sms=sms_settings(sms_sink))
    reference, _ = open_case(intake, db, "622 11 22 33")
    starts_at = slot(2)
    agent = Agent(cases)

    booked = agent.book(reference, starts_at)
    assert booked.status_code == 200, booked.text
    appointment = booked.json()
    assert (appointment["state"], appointment["centre_id"], appointment["reference"]) == (
        "booked", "gn-test-centre", reference)
    confirmation = f"Rendez-vous pour votre dossier {reference} : le {starts_at:%d/%m/%Y} à 09:00, " \
                   "Centre HCR de Test, Rue du Port, Conakry. Pour annuler, répondez ANNULER."
    assert wait_for(lambda: texts_to(sms_sink, "+224622112233", "Rendez-vous")) == [confirmation]
    duplicates = duplicates_of(notifications, "appointment_booked.v1")
    publish_event(amqp_uri, "cases", None, envelope=booked_event(db, appointment["appointment_id"]))  # redelivered
    wait_for(lambda: duplicates_of(notifications, "appointment_booked.v1") > duplicates)
    assert texts_to(sms_sink, "+224622112233", "Rendez-vous") == [confirmation]
    assert db.execute("SELECT purpose, requested_by FROM intake.contact_reveals WHERE purpose = 'appointment'"
                      ).fetchall() == [("appointment", "notifications")]
    timeline = agent.get(f"/v1/cases/{reference}").json()["timeline"]
    assert [entry["detail"]["centre_id"] for entry in timeline if entry["action"] == "appointment_booked"] == [
        "gn-test-centre"]
    notifications.container.stop()

    # The day before, after the reminder's time (10:00 on Conakry's clock): one reminder.
    day_before = datetime.combine(starts_at.date() - timedelta(days=1), time(10, 1), CONAKRY)
    offset = {"offset_seconds": (day_before - datetime.now(UTC)).total_seconds()}
    run_service("notifications", sms=sms_settings(sms_sink), clock=offset, appointments={"scan_seconds": 0.1})
    reminder = f"Rappel : rendez-vous demain {starts_at:%d/%m/%Y} à 09:00, Centre HCR de Test, Rue du Port, " \
               f"Conakry (dossier {reference}). Pour annuler, répondez ANNULER."
    assert wait_for(lambda: texts_to(sms_sink, "+224622112233", "Rappel")) == [reminder]

    # A later booking's reminder goes out: the timer passed again, and did not remind the first twice.
    other, _ = open_case(intake, db, "622 44 55 66")
    assert agent.book(other, slot(2, hour=10)).status_code == 200
    wait_for(lambda: texts_to(sms_sink, "+224622445566", "Rappel"))
    assert texts_to(sms_sink, "+224622112233", "Rappel") == [reminder]


def test_the_person_cancels_by_sms_then_gets_a_confirmation_and_no_reminder(
        platform, run_service, amqp_uri, db, sms_sink):
    intake, cases = platform
    notifications = run_service("notifications", sms=sms_settings(sms_sink))
    reference, contact_ref = open_case(intake, db, "622 77 88 99", language="en")
    starts_at = slot(2)
    agent = Agent(cases)
    appointment = agent.book(reference, starts_at).json()
    wait_for(lambda: texts_to(sms_sink, "+224622778899", "Appointment for your case"))

    # The person's own SMS, through intake's SMS gateway endpoint: intake reads "Annuler" as an answer.
    answer = requests.post(f"{intake.url}/v1/channels/sms-gateway/gn_sms_gateway", timeout=10, json={
        "message_id": "gw-cancel-1", "from": "+224622778899", "to": "1313", "text": "Annuler"},
        headers={"X-CFM-Secret": "dev-gateway-secret"})
    assert answer.json()["status"] == "reply_received", answer.text
    cancelled = f"Your appointment of {starts_at:%d/%m/%Y} at 09:00 (UNHCR Test centre, Port Street, Conakry) " \
                f"is cancelled. Case {reference}."
    assert wait_for(lambda: texts_to(sms_sink, "+224622778899", "cancelled")) == [cancelled]
    [listed] = agent.get(f"/v1/cases/{reference}/appointments").json()["appointments"]
    assert (listed["appointment_id"], listed["state"], listed["cancelled_by"]) == (
        appointment["appointment_id"], "cancelled", "person")
    # The place is free again, and a second "cancel" finds nothing to cancel (counted, nothing sent).
    slots = agent.get(f"/v1/centres/{TEST_CENTRE['id']}/slots", date=starts_at.date().isoformat()).json()["slots"]
    assert [s["free"] for s in slots if datetime.fromisoformat(s["starts_at"]) == starts_at] == [1]
    publish_event(amqp_uri, "intake", ReplyReceived(reply_id=uuid4(), contact_ref=contact_ref, channel="sms",
                                                    answer="cancel", received_at=datetime.now(UTC)))
    wait_for(lambda: 'outcome="nothing_to_cancel"' in requests.get(cases.metrics_url, timeout=10).text)
    notifications.container.stop()

    day_before = datetime.combine(starts_at.date() - timedelta(days=1), time(10, 1), CONAKRY)
    run_service("notifications", sms=sms_settings(sms_sink), appointments={"scan_seconds": 0.1},
                clock={"offset_seconds": (day_before - datetime.now(UTC)).total_seconds()})
    other, _ = open_case(intake, db, "622 44 55 67")
    assert agent.book(other, slot(2, hour=10)).status_code == 200
    wait_for(lambda: texts_to(sms_sink, "+224622445567", "Rappel"))
    assert texts_to(sms_sink, "+224622778899", "Reminder") == []


def test_no_sms_about_an_appointment_to_a_person_who_did_not_agree_to_be_contacted(
        platform, run_service, db, sms_sink):
    intake, cases = platform
    run_service("notifications", sms=sms_settings(sms_sink))
    reference, _ = open_case(intake, db, "622 10 20 30", consent=False)
    assert Agent(cases).book(reference, slot(3)).status_code == 200
    assert wait_for(lambda: db.execute("""SELECT withheld FROM notifications.notifications
                                          WHERE purpose = 'appointment_confirmation'""").fetchall()) == [
        ("no_consent",)]
    assert texts_to(sms_sink, "+224622102030", "Rendez-vous") == []


def test_the_desk_records_who_came_and_who_did_not_on_the_day(platform, db):
    intake, cases = platform
    agent, desk = Agent(cases), Agent(cases, subject="desk-matam")
    came, stayed_away = (open_case(intake, db, phone)[0] for phone in ("622 01 01 01", "622 02 02 02"))
    first = agent.book(came, slot(1, hour=8)).json()
    second = agent.book(stayed_away, slot(1, hour=9)).json()

    # The first person comes early: marked at once. Nobody misses a slot that has not started.
    assert desk.post(first["appointment_id"], "attendance", {"attendance": "attended"}).json()["state"] == "attended"
    too_early = desk.post(second["appointment_id"], "attendance", {"attendance": "missed"})
    assert (too_early.status_code, too_early.json()["error"]["code"]) == (409, "appointment_not_started")
    admin = {"Authorization": f"Bearer {cases.token('admin')}"}
    assert requests.put(f"{cases.url}/admin/clock", json={"now": slot(1, hour=11).isoformat()}, headers=admin,
                        timeout=10).status_code == 200

    day = desk.get("/v1/appointments", centre=TEST_CENTRE["id"], date=slot(1).date().isoformat()).json()
    assert [(a["reference"], a["state"]) for a in day["appointments"]] == [(came, "attended"), (stayed_away, "booked")]
    assert desk.post(second["appointment_id"], "attendance", {"attendance": "missed"}).json()["state"] == "missed"
    again = desk.post(second["appointment_id"], "attendance", {"attendance": "attended"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "appointment_not_booked")
    started = desk.post(second["appointment_id"], "cancel")
    assert (started.status_code, started.json()["error"]["code"]) == (409, "appointment_not_booked")
    wrong = desk.post(first["appointment_id"], "attendance", {"attendance": "late"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "validation_failed")
    day = desk.get("/v1/appointments", centre=TEST_CENTRE["id"], date=slot(1).date().isoformat()).json()
    assert [a["state"] for a in day["appointments"]] == ["attended", "missed"]
    events = db.execute("""SELECT body->'payload'->>'attendance' FROM cases.outbox
                           WHERE event_type = 'appointment_attendance_recorded' ORDER BY id""").fetchall()
    assert events == [("attended",), ("missed",)]
    # Another country's desk does not see them.
    elsewhere = Agent(cases)
    elsewhere.headers = {"Authorization": f"Bearer {cases.token('agent', countries=('ML',))}"}
    assert elsewhere.post(first["appointment_id"], "cancel").status_code == 404
    assert elsewhere.get("/v1/appointments", centre=TEST_CENTRE["id"], date=slot(1).date().isoformat()
                         ).json()["error"]["code"] == "centre_not_found"


def test_a_restricted_cases_appointment_is_for_focal_points_only(platform, db):
    intake, cases = platform
    restricted, _ = open_case(intake, db, "622 06 06 06", narrative="Un agent de la distribution m'a demandé des "
                                                                    "faveurs sexuelles en échange de ma carte.")
    assert db.execute("SELECT restricted FROM cases.cases WHERE reference = %s", [restricted]).fetchone() == (True,)
    agent, focal_point = Agent(cases), Agent(cases, role="focal_point", subject="fatou")
    assert agent.book(restricted, slot(2)).json()["error"]["code"] == "case_not_found"
    appointment = focal_point.book(restricted, slot(2)).json()
    day = {"centre": TEST_CENTRE["id"], "date": slot(2).date().isoformat()}
    assert agent.get("/v1/appointments", **day).json()["appointments"] == []
    assert agent.post(appointment["appointment_id"], "attendance", {"attendance": "attended"}).status_code == 404
    assert [a["reference"] for a in focal_point.get("/v1/appointments", **day).json()["appointments"]] == [restricted]
    assert db.execute("""SELECT action FROM cases.audit_log WHERE reference = %s AND actor <> 'system'
                         ORDER BY id""", [restricted]).fetchall() == [
        ("book_appointment_denied",), ("appointment_booked",), ("record_attendance_denied",),
        ("list_appointments",)]  # the focal point's list shows it, audited; the agent's does not


def test_only_future_slots_in_opening_hours_are_booked_and_two_agents_cannot_both_take_the_last_place(
        platform, db):
    intake, cases = platform
    agent = Agent(cases)
    first, second, third = (open_case(intake, db, phone)[0] for phone in ("622 03 03 03", "622 04 04 04",
                                                                          "622 05 05 05"))
    for starts_at, status, code in ((slot(2, hour=13), 422, "not_a_slot"),
                                    (slot(2).replace(minute=30), 422, "not_a_slot"),
                                    (slot(-1), 422, "slot_in_the_past"),
                                    (slot(200), 422, "slot_too_far_ahead"),
                                    (HOLIDAY, 422, "centre_closed"),
                                    (CLOSED_DAY, 422, "centre_closed")):
        refused = agent.book(first, starts_at)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
    for closed in (HOLIDAY, CLOSED_DAY):  # the console lists no slot that day
        assert agent.get(f"/v1/centres/{TEST_CENTRE['id']}/slots", date=closed.date().isoformat()).json() == {
            "centre_id": TEST_CENTRE["id"], "date": closed.date().isoformat(), "slots": []}
    next_day = agent.get(f"/v1/centres/{TEST_CENTRE['id']}/slots", date=(CLOSED_DAY + timedelta(days=1)).date()
                         .isoformat()).json()
    assert len(next_day["slots"]) == 4
    unknown = agent.book(first, slot(2), centre="gn-nowhere")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_centre")

    # Two agents book the slot's one place at the same moment: one gets it, the other is told it is full.
    agents = {reference: Agent(cases, subject=f"agent-{reference}") for reference in (first, second)}
    answers = list(eventlet.GreenPool().imap(lambda reference: agents[reference].book(reference, slot(2)), agents))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert [answer.json()["error"]["code"] for answer in answers if answer.status_code == 409] == ["slot_full"]
    assert agent.book(third, slot(2)).json()["error"]["code"] == "slot_full"
    assert db.execute("SELECT booked, capacity FROM cases.appointment_slots").fetchall() == [(1, 1)]
    slots = agent.get(f"/v1/centres/{TEST_CENTRE['id']}/slots", date=slot(2).date().isoformat()).json()["slots"]
    assert [(s["starts_at"][11:16], s["free"]) for s in slots] == [("08:00", 1), ("09:00", 0), ("10:00", 1),
                                                                   ("11:00", 1)]
    booked_case = next(reference for reference, answer in zip(agents, answers) if answer.status_code == 200)
    twice = agent.book(booked_case, slot(3))
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "appointment_already_booked")
    # An agent cancels it: the place is free again for the third person.
    booked = next(answer.json() for answer in answers if answer.status_code == 200)
    cancelled = agent.post(booked["appointment_id"], "cancel").json()
    assert (cancelled["state"], cancelled["cancelled_by"]) == ("cancelled", "agent")
    assert agent.book(third, slot(2)).status_code == 200
    centres = agent.get("/v1/centres", country="GN").json()["centres"]
    assert [(c["id"], c["opening_hours"]["sat"], c["capacity"]) for c in centres] == [
        ("gn-test-centre", ["08:00-12:00"], 1)]


def test_reports_count_bookings_attendance_and_cancellations_by_country_and_centre(
        run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    now = datetime.now(UTC)
    facts = {"case_id": uuid4(), "reference": "GN-2026-000901", "starts_at": now + timedelta(days=2)}
    place = {"centre_name": {"fr": "Centre"}, "centre_address": {"fr": "Conakry"}, "feedback_id": uuid4()}
    published = 0
    for country, centre, events in (
            ("GN", "gn-conakry-matam", [("booked",)] * 3 + [("cancelled",), ("attended",), ("missed",)]),
            ("GN", "gn-kindia", [("booked",)]),
            ("ML", "ml-bamako", [("booked",), ("attended",)])):
        for (kind,) in events:
            common = {**facts, "appointment_id": uuid4(), "centre_id": centre}
            if kind == "booked":
                event = AppointmentBooked(**common, **place, booked_at=now, booked_by="mariama")
            elif kind == "cancelled":
                event = AppointmentCancelled(**common, **place, cancelled_at=now, cancelled_by="person")
            else:
                event = AppointmentAttendanceRecorded(**common, attendance=kind, recorded_at=now, recorded_by="desk")
            publish_event(amqp_uri, "cases", event, country=country)
            published += 1
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] == published)
    Elasticsearch(ES_URL).indices.refresh(index="*")

    params = {"period": "week", "date": now.date().isoformat(), "country": "GN"}
    manager = reporting.headers("manager", ("GN", "ML"))
    report = requests.get(f"{reporting.url}/v1/reports", params=params, headers=manager, timeout=10).json()
    assert [(a["centre_id"], a["booked"], a["attended"], a["missed"], a["cancelled"])
            for a in report["appointments"]] == [("gn-conakry-matam", 3, 1, 1, 1), ("gn-kindia", 1, 0, 0, 0)]
    region = requests.get(f"{reporting.url}/v1/reports", params={**params, "country": ""}, headers=manager,
                          timeout=10).json()
    assert [(a["country"], a["centre_id"]) for a in region["appointments"]] == [
        ("GN", "gn-conakry-matam"), ("GN", "gn-kindia"), ("ML", "ml-bamako")]

    rows = list(csv.DictReader(io.StringIO(requests.get(f"{reporting.url}/v1/reports", headers=manager, timeout=10,
                                                        params={**params, "format": "csv"}).text)))
    assert {row["measure"]: row["value"] for row in rows
            if row["table"] == "Appointments" and row["key"] == "gn-conakry-matam"} == {
        "Country": "GN", "Booked": "3", "Attended": "1", "Missed": "1", "Cancelled": "1"}
    xlsx = requests.get(f"{reporting.url}/v1/reports", params={**params, "format": "xlsx"}, headers=manager,
                        timeout=10)
    sheet = load_workbook(io.BytesIO(xlsx.content))["Appointments"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Centre", "Country", "Booked", "Attended", "Missed", "Cancelled"),
        ("gn-conakry-matam", "GN", 3, 1, 1, 1), ("gn-kindia", "GN", 1, 0, 0, 0)]
