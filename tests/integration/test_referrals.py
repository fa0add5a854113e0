"""referrals: what partners see and answer, and the referrals they leave unanswered."""
from datetime import UTC, datetime
from uuid import uuid4

import requests

from contracts.common import Consent
from contracts.events import CaseOpened
from tests.conftest import wait_for
from tests.helpers import publish_event

PSEA = "gn-psea-focal-point"  # receives categories 6 and 8 in Guinea (services/referrals/config.yml)
PROTECTION = "gn-protection-partner"  # receives 9 and 10


def sensitive_case(reference, category_code, priority="high", share=False, narrative="Le gardien m'a menacée."):
    now = datetime.now(UTC)
    return CaseOpened(case_id=uuid4(), reference=reference, feedback_id=uuid4(), channel="hotline", language="fr",
                      narrative=narrative, received_at=now, opened_at=now, category_code=category_code,
                      sensitive=True, restricted=True, priority=priority, deadline_kind="refer", deadline_at=now,
                      consent=Consent(callback=True, share_with_partners=share))


def refer(amqp_uri, db, cases: dict[str, int], **kwargs) -> dict[str, str]:
    """Open these sensitive cases; returns each reference's referral id once referrals has it."""
    for reference, category in cases.items():
        publish_event(amqp_uri, "cases", sensitive_case(reference, category, **kwargs), country=reference[:2])
    wait_for(lambda: db.execute("SELECT count(*) FROM referrals.referrals").fetchone()[0] == len(cases))
    return {reference: str(referral_id) for reference, referral_id in
            db.execute("SELECT reference, referral_id FROM referrals.referrals").fetchall()}


def answered_events(db):
    rows = db.execute("SELECT body FROM referrals.outbox WHERE event_type = 'referral_answered' ORDER BY id")
    return [row[0]["payload"] for row in rows.fetchall()]


def test_a_partner_sees_only_its_own_referrals_and_only_what_acting_on_them_needs(run_service, amqp_uri, db):
    referrals = run_service("referrals")
    refer(amqp_uri, db, {"GN-2026-000201": 6, "GN-2026-000202": 10})
    publish_event(amqp_uri, "cases", sensitive_case("GN-2026-000203", 9, priority="emergency",
                                                    narrative="Il a dit qu'il allait me tuer."))
    wait_for(lambda: db.execute("SELECT count(*) FROM referrals.referrals").fetchone()[0] == 3)

    def listed(organisation, role="partner", **params):
        token = referrals.token(role, ("GN",), subject=f"{organisation}-staff", organisation=organisation)
        answer = requests.get(f"{referrals.url}/v1/referrals", params=params,
                              headers={"Authorization": f"Bearer {token}"})
        return answer.json()["referrals"]

    protection = listed(PROTECTION)
    assert [(item["reference"], item["emergency"], item["share_contact"]) for item in protection] == [
        ("GN-2026-000203", True, True), ("GN-2026-000202", False, False)]  # a threat to life shares the contact
    assert set(protection[0]) == {"referral_id", "reference", "country", "partner_id", "category_code", "emergency",
                                  "share_contact", "status", "created_at", "respond_by", "overdue", "answered_at",
                                  "decline_reason"}
    assert "tuer" not in str(protection) and "gardien" not in str(protection)
    assert [item["reference"] for item in listed(PSEA)] == ["GN-2026-000201"]
    assert listed("some-other-ngo") == []
    focal_point = listed(None, role="focal_point")
    assert len(focal_point) == 3
    assert requests.get(f"{referrals.url}/v1/referrals", headers=referrals.headers("agent")).status_code == 403
    no_org = requests.get(f"{referrals.url}/v1/referrals", headers=referrals.headers("partner"))
    assert (no_org.status_code, no_org.json()["error"]["code"]) == (403, "no_organisation")


def test_a_partner_accepts_or_declines_its_own_referral_once(run_service, amqp_uri, db):
    referrals = run_service("referrals")
    ids = refer(amqp_uri, db, {"GN-2026-000211": 10, "GN-2026-000212": 9, "GN-2026-000213": 6})
    token = referrals.token("partner", ("GN",), subject="amina@protection", organisation=PROTECTION)
    partner = {"Authorization": f"Bearer {token}"}

    def answer(reference_or_id, action, body=None):
        referral_id = ids.get(reference_or_id, reference_or_id)
        return requests.post(f"{referrals.url}/v1/referrals/{referral_id}/{action}", json=body, headers=partner)

    accepted = answer("GN-2026-000211", "accept")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    declined = answer("GN-2026-000212", "decline", {"reason": "no_capacity"})
    assert (declined.json()["status"], declined.json()["decline_reason"]) == ("declined", "no_capacity")

    again = answer("GN-2026-000211", "decline", {"reason": "other"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "referral_already_answered")
    assert answer("GN-2026-000212", "accept").status_code == 409
    for someone_elses in ("GN-2026-000213", str(uuid4())):
        refused = answer(someone_elses, "accept")
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "referral_not_found")
    assert answer("GN-2026-000213", "decline", {"reason": "no_capacity"}).status_code == 404
    assert answer("GN-2026-000213", "decline", {"reason": "too busy"}).json()["error"]["code"] == "validation_failed"
    assert requests.post(f"{referrals.url}/v1/referrals/{ids['GN-2026-000213']}/accept",
                         headers=referrals.headers("focal_point")).status_code == 403

    events = wait_for(lambda: answered_events(db) if len(answered_events(db)) == 2 else None)
    assert [(event["reference"], event["accepted"], event["decline_reason"], event["answered_by"])
            for event in events] == [("GN-2026-000211", True, None, "amina@protection"),
                                     ("GN-2026-000212", False, "no_capacity", "amina@protection")]
    focal_point = requests.get(f"{referrals.url}/v1/referrals", params={"status": "declined"},
                               headers=referrals.headers("focal_point")).json()["referrals"]
    assert [item["reference"] for item in focal_point] == ["GN-2026-000212"]


def overdue_events(db):
    rows = db.execute("SELECT body FROM referrals.outbox WHERE event_type = 'referral_overdue'").fetchall()
    return sorted(row[0]["payload"]["reference"] for row in rows)


def test_a_referral_left_unanswered_is_marked_for_rerouting_once_even_across_restarts(run_service, amqp_uri, db):
    # No time to answer: every referral is overdue at the next scan.
    instant = {"response": {"partner": 0, "emergency": 0, "overdue_scan_seconds": 0.1}}
    referrals = run_service("referrals", **instant)
    ids = refer(amqp_uri, db, {"GN-2026-000221": 10})
    wait_for(lambda: overdue_events(db) == ["GN-2026-000221"])

    referrals.container.stop()
    restarted = run_service("referrals", **instant)
    publish_event(amqp_uri, "cases", sensitive_case("GN-2026-000222", 10))
    # The scan ran after the restart (it marked the new referral) and left the first one alone.
    wait_for(lambda: overdue_events(db) == ["GN-2026-000221", "GN-2026-000222"])

    def overdue(role, countries=("GN",), **params):
        return requests.get(f"{restarted.url}/v1/referrals", params={"status": "overdue", **params},
                            headers=restarted.headers(role, countries)).json()

    assert [item["reference"] for item in overdue("focal_point")["referrals"]] == ["GN-2026-000222",
                                                                                   "GN-2026-000221"]
    assert all(item["overdue"] for item in overdue("focal_point")["referrals"])
    assert overdue("focal_point", ("ML",))["referrals"] == []
    assert overdue("focal_point", ("ML",), country="GN")["error"]["code"] == "country_not_in_scope"
    late = requests.get(f"{restarted.url}/v1/referrals", params={"status": "late"},
                        headers=restarted.headers("focal_point"))
    assert (late.status_code, late.json()["error"]["code"]) == (400, "invalid_status")

    # A late answer still counts until a focal point re-routes it: it leaves the overdue list.
    token = restarted.token("partner", ("GN",), organisation=PROTECTION)
    assert requests.post(f"{restarted.url}/v1/referrals/{ids['GN-2026-000221']}/accept",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert [item["reference"] for item in overdue("focal_point")["referrals"]] == ["GN-2026-000222"]
