"""Closing the loop: the partner records what happened after a referral, the case's timeline shows it,
and an accepted referral left without an outcome reminds a focal point once."""
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import requests

from contracts.common import Consent
from contracts.envelope import Envelope
from contracts.events import FeedbackReceived
from tests.conftest import wait_for
from tests.helpers import publish_event
from tests.integration.test_notifications import handled, sms_settings
from tests.integration.test_referrals import sensitive_case

PROTECTION = "gn-protection-partner"
THREAT = "Mon oncle a dit qu'il va me tuer si je reviens au village"
NOTE = "Relogée chez sa tante à Kindia"


class Partner:
    def __init__(self, referrals, organisation=PROTECTION):
        token = referrals.token("partner", ("GN",), subject=f"amina@{organisation}", organisation=organisation)
        self.url, self.headers = referrals.url, {"Authorization": f"Bearer {token}"}

    def post(self, referral_id, action, body=None):
        return requests.post(f"{self.url}/v1/referrals/{referral_id}/{action}", json=body, headers=self.headers,
                             timeout=10)

    def get(self, referral_id):
        return requests.get(f"{self.url}/v1/referrals/{referral_id}", headers=self.headers, timeout=10).json()


def referral_of(db, reference):
    row = db.execute("SELECT referral_id FROM referrals.referrals WHERE reference = %s", [reference]).fetchone()
    return str(row[0]) if row else None


def test_the_partner_records_the_outcome_once_and_the_case_timeline_shows_it_without_the_note(
        run_service, amqp_uri, db):
    cases = run_service("cases")
    referrals = run_service("referrals")
    publish_event(amqp_uri, "intake", FeedbackReceived(
        feedback_id=uuid4(), reference="GN-2026-000701", channel="hotline", language="fr", narrative=THREAT,
        received_at=datetime.now(UTC), consent=Consent(callback=True)))
    referral_id = wait_for(lambda: referral_of(db, "GN-2026-000701"))
    partner = Partner(referrals)
    today = datetime.now(UTC).date()
    outcome = {"outcome": "service_provided", "on": today.isoformat(), "note": NOTE}

    not_yet = partner.post(referral_id, "outcome", outcome)
    assert (not_yet.status_code, not_yet.json()["error"]["code"]) == (409, "referral_not_accepted")
    assert partner.post(referral_id, "accept").status_code == 200
    for wrong, code in (({**outcome, "outcome": "solved"}, "validation_failed"),
                        ({**outcome, "on": (today + timedelta(days=3)).isoformat()}, "invalid_outcome_date"),
                        ({**outcome, "on": "2020-01-01"}, "invalid_outcome_date")):
        refused = partner.post(referral_id, "outcome", wrong)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, code)
    someone_else = Partner(referrals, "gn-psea-focal-point").post(referral_id, "outcome", outcome)
    assert (someone_else.status_code, someone_else.json()["error"]["code"]) == (404, "referral_not_found")

    recorded = partner.post(referral_id, "outcome", outcome)
    assert recorded.status_code == 200
    assert (recorded.json()["outcome"], recorded.json()["outcome_on"]) == ("service_provided", today.isoformat())
    twice = partner.post(referral_id, "outcome", {**outcome, "outcome": "closed"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "outcome_already_recorded")
    assert partner.get(referral_id)["outcome"] == "service_provided"

    focal_point = {"Authorization": f"Bearer {cases.token('focal_point', subject='fatou')}"}

    def timeline_outcome():
        case = requests.get(f"{cases.url}/v1/cases/GN-2026-000701", headers=focal_point, timeout=10).json()
        return [entry for entry in case["timeline"] if entry["action"] == "referral_outcome"] and case

    case = wait_for(timeline_outcome)
    [entry] = [entry for entry in case["timeline"] if entry["action"] == "referral_outcome"]
    assert (entry["by"], entry["detail"]["outcome"], entry["detail"]["on"]) == (
        PROTECTION, "service_provided", today.isoformat())
    # The note stays with referrals: not on the case, not on the bus; the audit log says one was written.
    assert "Kindia" not in str(case)
    events = db.execute("SELECT body::text FROM referrals.outbox WHERE event_type = 'referral_outcome_recorded'")
    assert [NOTE in body for (body,) in events.fetchall()] == [False]
    assert db.execute("SELECT actor, action, detail->>'with_note' FROM referrals.audit_log").fetchall() == [
        (f"amina@{PROTECTION}", "outcome_recorded", "true")]


def test_an_accepted_referral_without_an_outcome_reminds_a_focal_point_once(run_service, amqp_uri, db):
    referrals = run_service("referrals")
    for reference in ("GN-2026-000711", "GN-2026-000712", "GN-2026-000713"):
        publish_event(amqp_uri, "cases", sensitive_case(reference, 10))
    wait_for(lambda: db.execute("SELECT count(*) FROM referrals.referrals").fetchone()[0] == 3)
    partner = Partner(referrals)
    ids = {reference: referral_of(db, reference) for reference in ("GN-2026-000711", "GN-2026-000712")}
    for referral_id in ids.values():
        assert partner.post(referral_id, "accept").status_code == 200
    assert partner.post(ids["GN-2026-000711"], "outcome",
                        {"outcome": "not_reached", "on": date.today().isoformat()}).status_code == 200
    referrals.container.stop()

    def reminded():
        rows = db.execute("SELECT body FROM referrals.outbox WHERE event_type = 'referral_outcome_due' ORDER BY id")
        return [row[0]["payload"]["reference"] for row in rows.fetchall()]

    # Every accepted referral without an outcome is due at once: not the one with an outcome, nor the one not accepted.
    due = run_service("referrals", outcome_due_days=0, response={"overdue_scan_seconds": 0.1})
    assert wait_for(reminded) == ["GN-2026-000712"]
    listed = requests.get(f"{due.url}/v1/referrals", headers=due.headers("focal_point"), timeout=10).json()
    assert {item["reference"]: item["outcome_due"] for item in listed["referrals"]} == {
        "GN-2026-000711": False, "GN-2026-000712": True, "GN-2026-000713": False}
    due.container.stop()

    # After a restart the scan reminds of the newly accepted one, and not of the first again.
    restarted = run_service("referrals", outcome_due_days=0, response={"overdue_scan_seconds": 0.1})
    assert Partner(restarted).post(referral_of(db, "GN-2026-000713"), "accept").status_code == 200
    assert wait_for(lambda: reminded() if len(reminded()) == 2 else None) == ["GN-2026-000712", "GN-2026-000713"]


def test_the_partner_directory_routes_by_area_and_shows_how_to_reach_each_partner(run_service, amqp_uri, db):
    referrals = run_service("referrals")
    in_kindia = sensitive_case("GN-2026-000721", 10).model_copy(update={"area": "Kindia"})
    for case in (in_kindia, sensitive_case("GN-2026-000722", 10)):
        publish_event(amqp_uri, "cases", case)
    wait_for(lambda: db.execute("SELECT count(*) FROM referrals.referrals").fetchone()[0] == 2)
    assert dict(db.execute("SELECT reference, partner_id FROM referrals.referrals").fetchall()) == {
        "GN-2026-000721": "gn-protection-partner-kindia", "GN-2026-000722": PROTECTION}

    directory = requests.get(f"{referrals.url}/v1/partners", params={"country": "gn"},
                             headers=referrals.headers("focal_point"), timeout=10).json()
    kindia = next(partner for partner in directory["partners"] if partner["id"] == "gn-protection-partner-kindia")
    assert (kindia["areas"], kindia["on_duty_phone"], "shelter" in kindia["services"]) == (
        ["Kindia"], "+224620000302", True)
    assert kindia["contact_hours"] and kindia["focal_person"] and "sus" in kindia["languages"]


def test_an_emergency_referral_texts_its_reference_once_to_the_partners_on_duty_number(
        run_service, amqp_uri, db, sms_sink):
    run_service("referrals")
    notifications = run_service("notifications", sms=sms_settings(sms_sink))
    emergency = sensitive_case("GN-2026-000731", 9, priority="emergency")
    publish_event(amqp_uri, "cases", emergency)
    publish_event(amqp_uri, "cases", sensitive_case("GN-2026-000732", 10))  # not an emergency: no SMS

    def created():
        rows = db.execute("SELECT body FROM referrals.outbox WHERE event_type = 'referral_created' ORDER BY id")
        return [row[0] for row in rows.fetchall()]
    referral = wait_for(lambda: len(created()) == 2 and created())
    publish_event(amqp_uri, "referrals", None, envelope=Envelope.model_validate(referral[0]))  # redelivered

    wait_for(lambda: handled(notifications, "referral_created.v1") >= 3)
    # (The supervisors on duty got the emergency case's own alert, as ever.)
    assert [sms["body"] for sms in sms_sink.messages if sms["to"] == "+224620000301"] == [
        "CFM URGENCE : nouveau référencement GN-2026-000731. Ouvrez la console CFM."]

    def alerts(role):
        return requests.get(f"{notifications.url}/v1/alerts", params={"country": "GN"}, timeout=10,
                            headers=notifications.headers(role)).json()["alerts"]
    assert [alert["recipients"] for alert in alerts("focal_point") if alert["reason"] == "emergency_referral"] == [
        [PROTECTION]]
    # A referral says the case is sensitive: not listed to who may not open it.
    assert "emergency_referral" not in [alert["reason"] for alert in alerts("supervisor")]
