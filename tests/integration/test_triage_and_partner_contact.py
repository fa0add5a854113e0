"""A focal point's triage and a partner's view of the contact, against the real services: cases releases a
held case with a reason (audited) and shows focal points its access log; referrals withdraws the referral of a
released case, and has intake reveal a contact to the partner who accepted, only with the person's consent."""
from datetime import UTC, datetime
from uuid import uuid4

import requests

from contracts.common import Consent
from contracts.events import CaseClassified, CaseOpened
from tests.conftest import wait_for
from tests.helpers import publish_event
from tests.integration.test_cases_workflow import ABUSE, Api, open_case

PROTECTION = "gn-protection-partner"


def test_a_focal_point_releases_a_held_case_with_a_reason_and_reads_who_looked_at_it(run_service, amqp_uri, db):
    cases = run_service("cases")
    open_case(amqp_uri, db, ABUSE, "GN-2026-000301")
    agent, focal = Api(cases), Api(cases, "focal_point", subject="fp-aissatou")
    assert agent.case("GN-2026-000301").status_code == 404
    held = focal.get("/v1/cases", restricted="true", confirmed="false").json()["cases"]
    assert [case["reference"] for case in held] == ["GN-2026-000301"]

    for who, body, status, code in (
            (agent, {"reason": "x", "category_code": 4, "version": 1}, 403, "role_not_allowed"),
            (focal, {"category_code": 4, "version": 1}, 422, "validation_failed"),            # no reason
            (focal, {"reason": "x", "category_code": 6, "version": 1}, 422, "category_sensitive"),
            (focal, {"reason": "x", "category_code": 4, "version": 9}, 409, "version_conflict")):
        refused = who.act("GN-2026-000301", "release", body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), refused.text
    released = focal.act("GN-2026-000301", "release", {"reason": "Demande d'un kit, pas d'abus", "category_code": 2,
                                                       "version": 1})
    assert released.status_code == 200, released.text
    assert not released.json()["restricted"] and released.json()["priority"] == "normal"
    assert {d["kind"]: d["settled_at"] is not None for d in released.json()["deadlines"]}["refer"]  # cancelled
    seen = agent.case("GN-2026-000301").json()
    assert seen["category_code"] == 2 and [e["detail"]["reason"] for e in seen["timeline"]
                                           if e["action"] == "released"] == ["Demande d'un kit, pas d'abus"]
    again = focal.act("GN-2026-000301", "release", {"reason": "x", "category_code": 2, "version": 2})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_restricted")
    # The reason is typed text: sealed in the timeline (erasable), never in the append-only audit log.
    assert db.execute("SELECT actor, detail->>'reason' FROM cases.audit_log WHERE action = 'release'").fetchall() == [
        ("fp-aissatou", None)]
    assert "pas d'abus" not in str(db.execute("SELECT detail FROM cases.case_history").fetchall())

    log = focal.get("/v1/cases/GN-2026-000301/access-log").json()["entries"]
    actions = [(e["actor"], e["action"]) for e in log]
    # Refused attempts changed nothing and left no row; the agent's refused look did.
    assert actions == [("system", "open"), ("test-agent", "read_denied"), ("fp-aissatou", "list"),
                       ("fp-aissatou", "release")]
    assert set(log[0]) == {"at", "actor", "role", "action"}          # no address, agent or reason in the log view
    assert agent.get("/v1/cases/GN-2026-000301/access-log").status_code == 403
    assert Api(cases, "focal_point", countries=("ML",)).get("/v1/cases/GN-2026-000301/access-log").status_code == 404


def test_a_partner_sees_a_contact_only_where_the_person_consented_and_every_reveal_is_logged(
        run_service, amqp_uri, db):
    intake, referrals = run_service("intake"), run_service("referrals")

    def message(share: bool, phone: str):
        answer = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
            "country": "GN", "channel": "hotline", "narrative": "On menace de tuer mon frère.",
            "contact": {"name": "Mariama Bah", "phone": phone},
            "consent": {"callback": True, "share_with_partners": share}})
        reference = answer.json()["reference"]
        feedback_id, contact_ref = db.execute("SELECT feedback_id, contact_ref FROM intake.feedback "
                                              "WHERE reference = %s", [reference]).fetchone()
        now = datetime.now(UTC)
        # A threat to life: the referral may share the contact; intake still asks for the person's consent.
        publish_event(amqp_uri, "cases", CaseOpened(
            case_id=uuid4(), reference=reference, feedback_id=feedback_id, channel="hotline", narrative="-",
            received_at=now, opened_at=now, category_code=9, sensitive=True, restricted=True, priority="emergency",
            deadline_kind="refer", deadline_at=now, contact_ref=contact_ref,
            consent=Consent(callback=True, share_with_partners=share)), country="GN")
        return wait_for(lambda: db.execute("SELECT referral_id FROM referrals.referrals WHERE reference = %s",
                                           [reference]).fetchone())[0]
    consented, not_consented = message(True, "622 98 76 54"), message(False, "622 11 22 33")
    token = referrals.token("partner", subject="amina@protection", organisation=PROTECTION)
    partner = {"Authorization": f"Bearer {token}"}

    def contact(referral_id, headers=partner):
        return requests.post(f"{referrals.url}/v1/referrals/{referral_id}/contact", headers=headers)
    early = contact(consented)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "referral_not_accepted")
    for referral_id in (consented, not_consented):
        assert requests.post(f"{referrals.url}/v1/referrals/{referral_id}/accept", headers=partner).ok
    shown = contact(consented)
    assert shown.status_code == 200 and shown.json()["phone"] == "+224622987654", shown.text
    refused = contact(not_consented)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "contact_not_shared")
    other = {"Authorization": f"Bearer {referrals.token('partner', organisation='gn-psea-focal-point')}"}
    assert contact(consented, other).status_code == 404
    assert db.execute("""SELECT requested_by, on_behalf_of, referral_id::text, refused FROM intake.contact_reveals
                         WHERE purpose = 'referral' ORDER BY id""").fetchall() == [
        ("referrals", "amina@protection", str(consented), None),
        ("referrals", "amina@protection", str(not_consented), "no_grounds")]
    one = requests.get(f"{referrals.url}/v1/referrals/{consented}", headers=partner).json()
    assert one["status"] == "accepted" and "contact_ref" not in one
    partners = requests.get(f"{referrals.url}/v1/partners", params={"country": "GN"},
                            headers=referrals.headers("focal_point")).json()["partners"]
    assert PROTECTION in [p["id"] for p in partners]


def test_the_unanswered_referral_of_a_released_case_is_withdrawn_whichever_event_comes_first(
        run_service, amqp_uri, db):
    run_service("referrals")
    now = datetime.now(UTC)
    for number, release_first in enumerate((False, True)):
        case_id, reference = uuid4(), f"GN-2026-00032{number}"
        opened = CaseOpened(
            case_id=case_id, reference=reference, feedback_id=uuid4(), channel="hotline", narrative="-",
            received_at=now, opened_at=now, category_code=10, sensitive=True, restricted=True, priority="high",
            deadline_kind="refer", deadline_at=now)
        released = CaseClassified(
            case_id=case_id, reference=reference, case_version=2, status="new", restricted=False, at=now,
            by="fp-aissatou", category_code=2, taxonomy_version=1, sensitive=False, confirmed=True, released=True)
        for event in (released, opened) if release_first else (opened, released):
            handled = db.execute("SELECT count(*) FROM referrals.processed_messages").fetchone()[0]
            publish_event(amqp_uri, "cases", event, country="GN")  # the next only once this one is handled
            wait_for(lambda: db.execute("SELECT count(*) FROM referrals.processed_messages").fetchone()[0] > handled)
        live = db.execute("SELECT status FROM referrals.referrals WHERE case_id = %s AND status <> 'withdrawn'",
                          [case_id]).fetchall()
        assert live == [], (release_first, live)
