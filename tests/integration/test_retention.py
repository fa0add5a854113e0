"""The retention job against the real database and services: what it removes, what it keeps, what
it logs, and that the preview changes nothing."""
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import requests

from chassis import metrics
from chassis.db import UnitOfWork, open_pool
from chassis.retention import GENERIC_KINDS, preview, run
from services.cases.retention import KINDS as CASE_KINDS
from services.intake.retention import KINDS as INTAKE_KINDS
from services.notifications.retention import KINDS as NOTIFICATION_KINDS
from tests.conftest import wait_for

DAYS = timedelta(days=1)


def job(database_url, settings, kinds, now=None):
    pool = open_pool(database_url, settings.schema, 1, 2)
    try:
        with pool.connection() as conn:
            previewed = preview(conn, settings, kinds, now=now)
        summaries = run(lambda: UnitOfWork(pool, settings.service, None, lambda: None),
                        settings.service, settings, kinds, now=now)
    finally:
        pool.close()
    return previewed, summaries


def rows(summaries):
    return {(item["kind"], item["country"]): item["rows"] for item in summaries if item["rows"]}


def test_generic_and_raw_payload_rows_go_after_their_period_per_country(database_url, make_settings, db):
    old, fresh = datetime.now(UTC) - 40 * DAYS, datetime.now(UTC) - DAYS
    for published_at, country in ((old, "GN"), (fresh, "GN"), (old, "ML"), (None, "GN")):
        db.execute("""INSERT INTO intake.outbox (message_id, event_type, routing_key, body, published_at)
                      VALUES (%s, 'feedback_received', 'feedback_received.v1', %s, %s)""",
                   [uuid4(), f'{{"country": "{country}"}}', published_at])
    for processed_at in (old, fresh):
        db.execute("INSERT INTO intake.processed_messages (consumer, message_id, processed_at) VALUES ('c', %s, %s)",
                   [uuid4(), processed_at])
    for endpoint in ("gn_sms_gateway", "ml_sms_gateway"):
        db.execute("""INSERT INTO intake.provider_messages (endpoint, provider_message_id, receipt, recorded_at)
                      VALUES (%s, 'gw-1', '{}', %s), (%s, 'gw-2', '{}', %s)""", [endpoint, old, endpoint, fresh])
    # Mali keeps its raw payloads for 60 days: the 40-day-old one stays.
    settings = make_settings("intake", retention={"countries": {"ML": {"provider_payloads": 60}}})
    before = metrics.RETENTION_ROWS.labels("intake", "provider_payloads")._value.get()

    previewed, summaries = job(database_url, settings, GENERIC_KINDS + INTAKE_KINDS)

    expected = {("outbox_published", "GN"): 1, ("outbox_published", "ML"): 1, ("processed_messages", None): 1,
                ("provider_payloads", "GN"): 1}
    assert rows(previewed) == expected  # the preview said exactly what the run then took
    assert rows(summaries) == expected
    assert db.execute("SELECT count(*) FROM intake.outbox").fetchone()[0] == 2          # fresh and unpublished
    assert db.execute("SELECT count(*) FROM intake.processed_messages").fetchone()[0] == 1
    assert sorted(db.execute("SELECT endpoint, provider_message_id FROM intake.provider_messages")) == [
        ("gn_sms_gateway", "gw-2"), ("ml_sms_gateway", "gw-1"), ("ml_sms_gateway", "gw-2")]
    logged = db.execute("""SELECT kind, country, rows_affected FROM intake.retention_runs
                           WHERE rows_affected > 0 ORDER BY kind, country""").fetchall()
    assert {(kind, country.strip() if country else None): n for kind, country, n in logged} == expected
    assert metrics.RETENTION_ROWS.labels("intake", "provider_payloads")._value.get() == before + 1


def test_a_closed_case_past_its_period_stays_a_statistic_without_its_texts(database_url, run_service, db):
    intake = run_service("intake")
    cases = run_service("cases")
    run_service("reporting")
    submit = {"country": "GN", "channel": "hotline", "language": "fr",
              "narrative": "Le paiement de l'appui est en retard à Kindia, appelez Fanta au 622 98 76 54",
              "contact": {"name": "Fanta Keita", "phone": "622 98 76 54"},
              "consent": {"callback": True, "share_with_partners": False}}
    references = [requests.post(f"{intake.url}/v1/feedback", json=submit | {"narrative": text},
                                headers=intake.headers()).json()["reference"]
                  for text in (submit["narrative"], "Toujours pas de paiement pour notre groupe à Boké")]
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 2)
    closed, still_open = references
    db.execute("""UPDATE cases.cases SET status = 'closed', response = 'Payé le 3 mars, dit à Fanta',
                                         updated_at = now() - interval '800 days' WHERE reference = %s""", [closed])
    statistic = "SELECT country, channel, language, category_code, received_at, status FROM cases.cases WHERE reference = %s"
    kept = db.execute(statistic, [closed]).fetchone()

    previewed, summaries = job(database_url, cases.settings, CASE_KINDS)

    assert rows(previewed) == rows(summaries) == {("closed_cases", "GN"): 1}
    assert db.execute(statistic, [closed]).fetchone() == kept
    assert db.execute("SELECT narrative, contact_ref, response FROM cases.cases WHERE reference = %s",
                      [closed]).fetchone() == ("", None, None)
    assert db.execute("SELECT narrative FROM cases.cases WHERE reference = %s", [still_open]).fetchone()[0]
    view = requests.get(f"{cases.url}/v1/cases/{closed}", headers=cases.headers()).json()
    assert view["narrative"] == "" and not view["has_contact"]
    assert view["timeline"][-1]["action"] == "anonymised"
    # The timeline's details were sealed under the case's data key, which is destroyed: nothing typed, nor
    # the classifier's explanation (words quoted from the narrative), can be read any more.
    assert "explanation" not in json.dumps(view["timeline"]) and "Kindia" not in json.dumps(view)
    assert db.execute("SELECT wrapped_key IS NULL FROM cases.data_keys k JOIN cases.cases c ON k.subject = "
                      "c.case_id::text WHERE c.reference = %s", [closed]).fetchone() == (True,)
    assert db.execute("SELECT actor FROM cases.audit_log WHERE reference = %s AND action = 'anonymise'",
                      [closed]).fetchone() == ("system",)
    # intake, told by CaseAnonymised, drops its copy of the message's text and contact link too
    wait_for(lambda: db.execute("SELECT narrative = '' AND contact_ref IS NULL FROM intake.feedback "
                                "WHERE reference = %s", [closed]).fetchone()[0])
    assert db.execute("SELECT contact_ref IS NOT NULL FROM intake.feedback WHERE reference = %s",
                      [still_open]).fetchone()[0]
    # reporting keeps no text nor contact link of it in its journal (the index is rebuilt from it)
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal WHERE event_type = 'case_anonymised'")
             .fetchone()[0])
    journal = db.execute("""SELECT envelope->'payload'->>'narrative', envelope->'payload'->>'contact_ref'
                            FROM reporting.journal WHERE reference = %s AND event_type = 'case_opened'""",
                         [closed]).fetchone()
    assert journal == ("[not kept]", None)
    # a second run finds nothing left to do
    assert rows(job(database_url, cases.settings, CASE_KINDS)[1]) == {}


def test_whatsapp_windows_and_reminders_of_past_appointments_go_after_their_period(database_url, make_settings, db):
    now = datetime.now(UTC)
    db.execute("""INSERT INTO notifications.whatsapp_sessions (contact_ref, last_inbound_at)
                  VALUES (%s, %s), (%s, %s)""", [uuid4(), now - 3 * DAYS, uuid4(), now - timedelta(hours=5)])
    for country, starts_at in (("GN", now - 40 * DAYS), ("GN", now + 2 * DAYS), ("ML", now - 40 * DAYS)):
        db.execute("""INSERT INTO notifications.appointment_reminders (appointment_id, country, starts_at)
                      VALUES (%s, %s, %s)""", [uuid4(), country, starts_at])
    # Mali keeps its reminders 60 days: the one of an appointment 40 days ago stays.
    settings = make_settings("notifications", retention={"countries": {"ML": {"appointment_reminders": 60}}})

    previewed, summaries = job(database_url, settings, NOTIFICATION_KINDS)

    expected = {("whatsapp_sessions", None): 1, ("appointment_reminders", "GN"): 1}
    assert rows(previewed) == rows(summaries) == expected
    assert db.execute("SELECT count(*) FROM notifications.whatsapp_sessions").fetchone()[0] == 1
    assert sorted(row[0] for row in db.execute(
        "SELECT country FROM notifications.appointment_reminders").fetchall()) == ["GN", "ML"]
