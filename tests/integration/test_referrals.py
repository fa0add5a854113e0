"""referrals: what partners see and answer, and the referrals they leave unanswered."""
from datetime import UTC, datetime
from uuid import uuid4

import requests

from contracts.common import Consent
from contracts.events import CaseClassified, CaseOpened
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
                                  "decline_reason", "outcome", "outcome_on", "outcome_due"}
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


def classified(case_id, reference, category_code, *, priority, confirmed=True, share=False):
    now = datetime.now(UTC)
    return CaseClassified(case_id=case_id, reference=reference, case_version=3, status="acknowledged",
                          restricted=True, at=now, by="agent-mariama", category_code=category_code,
                          taxonomy_version=1, sensitive=True, confirmed=confirmed, priority=priority,
                          refer_by=now, share_with_partners=share)


def referral_rows(db, reference):
    return db.execute("SELECT partner_id, emergency, share_contact, status FROM referrals.referrals "
                      "WHERE reference = %s ORDER BY created_at", [reference]).fetchall()


def created_events(db):
    rows = db.execute("SELECT body FROM referrals.outbox WHERE event_type = 'referral_created' ORDER BY id")
    return [row[0]["payload"] for row in rows.fetchall()]


def test_a_threat_to_life_found_by_a_person_is_referred_at_once_to_the_partner_of_the_confirmed_category(
        run_service, amqp_uri, db):
    referrals = run_service("referrals")
    # A case opened as an ordinary delay; an agent then reads a threat to life in it (category 9).
    publish_event(amqp_uri, "cases", classified(uuid4(), "GN-2026-000231", 9, priority="emergency"))
    wait_for(lambda: referral_rows(db, "GN-2026-000231"))
    assert referral_rows(db, "GN-2026-000231") == [(PROTECTION, True, True, "sent")]  # life at risk: contact shared
    created = created_events(db)
    assert [(event["reference"], event["partner_id"], event["emergency"]) for event in created] == [
        ("GN-2026-000231", PROTECTION, True)]

    # A case opened as sensitive is referred once, even when a person then confirms another sensitive category;
    # the automatic suggestion (not confirmed) and a non-sensitive category refer nothing.
    opened = sensitive_case("GN-2026-000232", 6)
    publish_event(amqp_uri, "cases", opened)
    wait_for(lambda: referral_rows(db, "GN-2026-000232"))
    publish_event(amqp_uri, "cases", classified(opened.case_id, "GN-2026-000232", 8, priority="high"))
    publish_event(amqp_uri, "cases", classified(uuid4(), "GN-2026-000233", 10, priority="high", confirmed=False))
    publish_event(amqp_uri, "cases", classified(uuid4(), "GN-2026-000234", 10, priority="high", share=True))
    wait_for(lambda: referral_rows(db, "GN-2026-000234"))
    assert referral_rows(db, "GN-2026-000232") == [(PSEA, False, False, "sent")]
    assert referral_rows(db, "GN-2026-000233") == []
    assert referral_rows(db, "GN-2026-000234") == [(PROTECTION, False, True, "sent")]  # consented
    assert len(created_events(db)) == 3
    focal = requests.get(f"{referrals.url}/v1/referrals", headers=referrals.headers("focal_point")).json()
    assert len(focal["referrals"]) == 3


def test_a_focal_point_reroutes_a_referral_nobody_could_take(run_service, amqp_uri, db):
    referrals = run_service("referrals")
    # Flagged sensitive without a category (the `unplaced` fallback): no partner can be chosen.
    ids = refer(amqp_uri, db, {"GN-2026-000241": None, "GN-2026-000242": 10})
    assert referral_rows(db, "GN-2026-000241") == [(None, False, False, "needs_routing")]
    focal = referrals.headers("focal_point")

    def route(referral_id, partner_id, headers=focal):
        return requests.post(f"{referrals.url}/v1/referrals/{referral_id}/route", json={"partner_id": partner_id},
                             headers=headers)

    routed = route(ids["GN-2026-000241"], PSEA)
    assert routed.status_code == 200, routed.text
    new = routed.json()
    assert (new["reference"], new["partner_id"], new["status"]) == ("GN-2026-000241", PSEA, "sent")
    assert new["referral_id"] != ids["GN-2026-000241"]
    assert referral_rows(db, "GN-2026-000241") == [(None, False, False, "rerouted"), (PSEA, False, False, "sent")]
    assert [(event["reference"], event["partner_id"]) for event in created_events(db)][-1] == ("GN-2026-000241",
                                                                                               PSEA)
    # The new partner sees it and can answer it; the listing shows the old one as rerouted.
    psea = {"Authorization": f"Bearer {referrals.token('partner', ('GN',), organisation=PSEA)}"}
    assert [item["reference"] for item in requests.get(f"{referrals.url}/v1/referrals", headers=psea).json()[
        "referrals"]] == ["GN-2026-000241"]
    rerouted = requests.get(f"{referrals.url}/v1/referrals", params={"status": "rerouted"}, headers=focal).json()
    assert [item["referral_id"] for item in rerouted["referrals"]] == [ids["GN-2026-000241"]]

    # The partner that declined loses it: its answer to the old referral is refused.
    protection = {"Authorization": f"Bearer {referrals.token('partner', ('GN',), organisation=PROTECTION)}"}
    assert requests.post(f"{referrals.url}/v1/referrals/{ids['GN-2026-000242']}/decline",
                         json={"reason": "no_capacity"}, headers=protection).status_code == 200
    assert route(ids["GN-2026-000242"], PSEA).status_code == 200
    late = requests.post(f"{referrals.url}/v1/referrals/{ids['GN-2026-000242']}/accept", headers=protection)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "referral_rerouted")

    for referral_id, partner_id, headers, status, code in (
            (ids["GN-2026-000242"], PROTECTION, focal, 409, "referral_not_reroutable"),  # rerouted already
            (new["referral_id"], "ml-psea-network", focal, 422, "unknown_partner"),  # Mali's partner
            (new["referral_id"], PROTECTION, referrals.headers("focal_point", ("ML",)), 404, "referral_not_found"),
            (str(uuid4()), PROTECTION, focal, 404, "referral_not_found"),
            (new["referral_id"], PROTECTION, referrals.headers("supervisor"), 403, "role_not_allowed")):
        refused = route(referral_id, partner_id, headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), refused.text
    empty = requests.post(f"{referrals.url}/v1/referrals/{new['referral_id']}/route", json={}, headers=focal)
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "validation_failed")
    accepted = requests.post(f"{referrals.url}/v1/referrals/{new['referral_id']}/accept", headers=psea)
    assert accepted.status_code == 200
    taken = route(new["referral_id"], PROTECTION)
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "referral_not_reroutable")
