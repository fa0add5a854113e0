"""The cases service on real PostgreSQL and RabbitMQ: classification, workflow, deadlines on an
adjusted clock, confidentiality and audit, the queue, repeats, status requests and referrals."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import eventlet
import psycopg
import pytest
import requests

from contracts.common import Consent
from contracts.events import FeedbackReceived, ReferralCreated, StatusRequested
from services.cases.classifier import normalise
from services.cases.model import load, model_path
from tests.conftest import wait_for
from tests.helpers import publish_event

MONDAY_9AM = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Conakry is on UTC
QUESTION = "Bonjour, quand est la prochaine distribution de cash à Kindia ? Merci"
DELAY = "Le paiement de l'appui au commerce est en retard depuis deux mois à Kindia"
ABUSE = "Le gardien m'a demandé de coucher avec lui pour avoir le kit"
THREAT = "Mon oncle a dit qu'il va me tuer si je reviens au village"


def feedback(narrative, reference, contact_ref=None, repeat=False, received_at=None):
    return FeedbackReceived(feedback_id=uuid4(), reference=reference, channel="sms", language="fr",
                            narrative=narrative, received_at=received_at or datetime.now(UTC),
                            contact_ref=contact_ref, consent=Consent(callback=True), repeat=repeat)


class Api:
    """The cases HTTP API as one role sees it."""

    def __init__(self, cases, role="agent", countries=("GN",), subject=None):
        token = cases.token(role, countries, subject=subject or f"test-{role}")
        self.url = cases.url
        self.headers = {"Authorization": f"Bearer {token}", "User-Agent": "pytest-agent/1.0"}

    def get(self, path, **params):
        return requests.get(f"{self.url}{path}", headers=self.headers, params=params, timeout=10)

    def case(self, reference):
        return self.get(f"/v1/cases/{reference}")

    def act(self, reference, action, body, if_match=None):
        headers = {**self.headers, **({"If-Match": f'"{if_match}"'} if if_match else {})}
        return requests.post(f"{self.url}/v1/cases/{reference}/{action}", json=body, headers=headers, timeout=10)


@pytest.fixture
def cases(run_service):
    return run_service("cases", clock={"adjustable": True}, deadlines={"scan_seconds": 0.1})


def set_clock(cases, moment):
    admin = {"Authorization": f"Bearer {cases.token('admin')}"}
    answer = requests.put(f"{cases.url}/admin/clock", json={"now": moment.isoformat()}, headers=admin, timeout=10)
    assert answer.status_code == 200, answer.text


def open_case(amqp_uri, db, narrative, reference, **kwargs):
    publish_event(amqp_uri, "intake", feedback(narrative, reference, **kwargs))
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = %s", [reference]).fetchone())


def test_a_new_case_is_classified_and_given_its_deadlines(cases, amqp_uri, db, events):
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, QUESTION, "GN-2026-000201")
    wait_for(lambda: len(events.payloads("deadline_scheduled")) == 2)
    assert events.types()[:2] == ["case_opened", "case_classified"]
    opened = events.payloads("case_opened")[0]
    assert (opened["category_code"], opened["sensitive"], opened["priority"]) == (1, False, "normal")
    assert opened["deadline_kind"] == "acknowledge"
    suggestion = events.payloads("case_classified")[0]
    assert not suggestion["confirmed"] and suggestion["taxonomy_version"] == 1 and suggestion["by"] == "system"
    # The adjusted clock keeps running from where it was set: compare to the minute.
    due = {event["kind"]: event["due_at"][:16] for event in events.payloads("deadline_scheduled")}
    assert due == {"acknowledge": "2026-11-17T09:00", "first_response": "2026-11-19T09:00"}

    view = Api(cases).case("GN-2026-000201").json()
    assert view["version"] == 1 and not view["classification_confirmed"]
    assert view["sub_category"] == suggestion["sub_category"] and view["sub_category"] in (None, "cash")
    assert view["suggestion_confidence"] > 0
    assert [entry["action"] for entry in view["timeline"]][:1] == ["opened"]
    # The focal point sees which words weighed most, and which model version suggested it (also on the case).
    suggested = view["timeline"][0]["detail"]["suggestion"]
    assert suggested["explanation"] and all(word in normalise(QUESTION) for word in suggested["explanation"]
                                            if word != "?")
    recorded = db.execute("SELECT classifier_version FROM cases.cases WHERE reference = 'GN-2026-000201'").fetchone()
    assert suggested["model_version"] == recorded[0] == load(model_path("GN")).version


def test_the_workflow_from_classification_to_closure_and_reopening(cases, amqp_uri, db, events):
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, DELAY, "GN-2026-000202")
    agent, supervisor = Api(cases, subject="agent-fanta"), Api(cases, "supervisor", subject="sup-ibrahima")
    reference = "GN-2026-000202"

    missing = agent.act(reference, "classification", {"category_code": 5})
    assert (missing.status_code, missing.json()["error"]["code"]) == (428, "version_required")
    classified = agent.act(reference, "classification", {"category_code": 5, "sub_category": "business_support",
                                                         "version": 1})
    assert classified.status_code == 200, classified.text
    view = classified.json()
    assert (view["version"], view["category_code"], view["classification_confirmed"]) == (2, 5, True)
    assert view["classified_by"] == "agent-fanta" and view["classified_at"]

    # A second agent acting on what they read before the change is refused, not silently applied.
    stale = supervisor.act(reference, "assignment", {"assignee": "agent-mariama", "version": 1})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_conflict")
    assigned = supervisor.act(reference, "assignment", {"assignee": "agent-mariama", "team": "kindia"}, if_match=2)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "agent-mariama"

    forbidden = agent.act(reference, "close", {"response": "Paid", "response_channel": "sms", "version": 3})
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (409, "transition_not_allowed")
    acknowledged = agent.act(reference, "status", {"status": "acknowledged", "version": 3})
    assert acknowledged.status_code == 200
    noted = agent.act(reference, "notes", {"text": "Called the finance unit; payment batch due Friday.",
                                           "version": 4})
    assert noted.status_code == 200
    resolved = agent.act(reference, "resolve", {"resolution": "Payment made on Friday", "version": 5})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    unanswered = agent.act(reference, "close", {"response": "Your payment was made", "version": 6})
    assert (unanswered.status_code, unanswered.json()["error"]["code"]) == (422, "closure_needs_response")
    closed = agent.act(reference, "close", {"response": "Your payment was made", "response_channel": "sms",
                                            "version": 6})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    reopened = agent.act(reference, "reopen", {"reason": "The complainant says only half arrived", "version": 7})
    assert reopened.status_code == 200
    view = reopened.json()
    assert view["status"] == "reopened" and view["response"] is None
    actions = [entry["action"] for entry in view["timeline"]]
    assert actions.count("status_changed") == 4 and "note_added" in actions and "assigned" in actions
    closure = [e for e in view["timeline"] if e["action"] == "status_changed" and e["detail"]["to_status"] == "closed"]
    assert closure[0]["detail"]["response_channel"] == "sms"  # reopening keeps the history

    wait_for(lambda: len(events.payloads("case_status_changed")) == 4)
    changes = events.payloads("case_status_changed")
    assert [(c["from_status"], c["status"]) for c in changes] == [
        ("new", "acknowledged"), ("acknowledged", "resolved"), ("resolved", "closed"), ("closed", "reopened")]
    assert changes[2]["response_channel"] == "sms" and changes[2]["case_version"] == 7
    assert events.payloads("case_classified")[-1]["confirmed"] is True
    assert events.payloads("case_assigned")[0]["assignee"] == "agent-mariama"
    assert len(events.payloads("case_note_added")) == 1
    settled = {event["kind"]: event["within_deadline"] for event in events.payloads("deadline_settled")}
    assert settled == {"acknowledge": True, "resolve": True}
    # Reopening restarts the resolution clock.
    assert [e["kind"] for e in events.payloads("deadline_scheduled")][-1] == "resolve"
    versions = [event["payload"]["case_version"] for event in events.events
                if event["type"].startswith("case_") and event["type"] != "case_opened"]
    assert versions == sorted(versions)


def test_warnings_and_breaches_fire_once_on_the_advanced_clock(cases, amqp_uri, db, events):
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, QUESTION, "GN-2026-000203")
    set_clock(cases, MONDAY_9AM + timedelta(hours=19))  # 79% of the business day to acknowledge
    warning = wait_for(lambda: events.payloads("deadline_warning"))[0]
    assert (warning["kind"], warning["due_at"][:16], warning["priority"]) == ("acknowledge", "2026-11-17T09:00",
                                                                               "normal")
    assert Api(cases).get("/v1/cases", deadline_state="warning").json()["cases"][0]["reference"] == "GN-2026-000203"

    set_clock(cases, MONDAY_9AM + timedelta(days=2, hours=7))  # Wednesday 16:00: past 75% of first response
    wait_for(lambda: len(events.payloads("deadline_warning")) == 2)
    breach = wait_for(lambda: events.payloads("deadline_breached"))[0]
    assert breach["kind"] == "acknowledge"
    assert [w["kind"] for w in events.payloads("deadline_warning")] == ["acknowledge", "first_response"]
    assert len(events.payloads("deadline_breached")) == 1
    agent = Api(cases)
    assert [c["reference"] for c in agent.get("/v1/cases", deadline_state="breached").json()["cases"]] == [
        "GN-2026-000203"]

    late = agent.act("GN-2026-000203", "status", {"status": "acknowledged", "version": 1})
    assert late.status_code == 200
    settled = wait_for(lambda: events.payloads("deadline_settled"))[0]
    assert (settled["kind"], settled["within_deadline"]) == ("acknowledge", False)
    assert settled["started_at"][:16] == "2026-11-16T09:00"
    fired = db.execute("""SELECT kind, warned_at IS NOT NULL, breached_at IS NOT NULL FROM cases.deadlines
                          ORDER BY kind""").fetchall()
    assert fired == [("acknowledge", True, True), ("first_response", True, False)]


def test_deadlines_fire_after_a_restart(run_service, cases, amqp_uri, db, events):
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, DELAY, "GN-2026-000204")
    cases.container.stop()
    # While the service is down, its clock moves past the deadline to acknowledge.
    db.execute("UPDATE cases.clock_offset SET offset_seconds = offset_seconds + %s", [2 * 86400])
    run_service("cases", clock={"adjustable": True}, deadlines={"scan_seconds": 0.1})
    breach = wait_for(lambda: events.payloads("deadline_breached"))[0]
    assert breach["kind"] == "acknowledge" and breach["reference"] == "GN-2026-000204"


def test_waiting_for_the_complainant_pauses_business_deadlines(cases, amqp_uri, db, events):
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, DELAY, "GN-2026-000205")  # resolve in 10 business days: Monday 30 November 09:00
    agent = Api(cases)
    assert agent.act("GN-2026-000205", "status", {"status": "waiting_for_complainant", "version": 1}).ok
    wait_for(lambda: any(e["due_at"] is None for e in events.payloads("deadline_scheduled")))
    paused = [e for e in events.payloads("deadline_scheduled") if e["due_at"] is None]
    assert [e["kind"] for e in paused] == ["resolve"] and paused[0]["status"] == "waiting_for_complainant"

    set_clock(cases, MONDAY_9AM + timedelta(days=2))  # two business days on pause
    resumed = agent.act("GN-2026-000205", "status", {"status": "in_progress", "version": 2}).json()
    resolve = next(d for d in resumed["deadlines"] if d["kind"] == "resolve")
    assert not resolve["paused"]
    assert datetime.fromisoformat(resolve["due_at"]) - datetime(2026, 12, 2, 9, 0, tzinfo=UTC) < timedelta(minutes=5)
    wait_for(lambda: events.payloads("deadline_scheduled")[-1]["due_at"] is not None)


def test_the_clock_starts_when_the_programme_received_the_message(cases, amqp_uri, db, events):
    """A box slip collected on Monday and typed in on Thursday is already late to acknowledge."""
    set_clock(cases, MONDAY_9AM + timedelta(days=3, hours=1))
    open_case(amqp_uri, db, QUESTION, "GN-2026-000211", received_at=MONDAY_9AM)
    wait_for(lambda: events.payloads("deadline_scheduled"))
    due = {event["kind"]: event["due_at"][:16] for event in events.payloads("deadline_scheduled")}
    assert due["acknowledge"] == "2026-11-17T09:00"
    wait_for(lambda: events.payloads("deadline_breached"), timeout=15)


def test_restricted_cases_are_for_focal_points_only_and_every_look_is_audited(cases, amqp_uri, db, events):
    open_case(amqp_uri, db, ABUSE, "GN-2026-000206")
    open_case(amqp_uri, db, DELAY, "GN-2026-000207")
    agent, supervisor, focal = Api(cases), Api(cases, "supervisor"), Api(cases, "focal_point", subject="fp-aissatou")

    for role in (agent, supervisor):
        refused = role.case("GN-2026-000206")
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "case_not_found")
        assert "coucher" not in refused.text
    assert agent.act("GN-2026-000206", "notes", {"text": "x", "version": 1}).status_code == 404
    assert Api(cases, countries=("ML",)).case("GN-2026-000207").status_code == 404
    assert [c["reference"] for c in agent.get("/v1/cases").json()["cases"]] == ["GN-2026-000207"]

    seen = focal.case("GN-2026-000206").json()
    assert seen["restricted"] and seen["category_code"] == 6 and "coucher" in seen["narrative"]
    assert {c["reference"] for c in focal.get("/v1/cases").json()["cases"]} == {"GN-2026-000206", "GN-2026-000207"}
    # The restricted queue: only the hidden case for a focal point, nothing at all for an agent.
    assert [c["reference"] for c in focal.get("/v1/cases", restricted="true").json()["cases"]] == ["GN-2026-000206"]
    assert agent.get("/v1/cases", restricted="true").json()["cases"] == []
    assert agent.get("/v1/cases", restricted="maybe").json()["error"]["code"] == "invalid_filter"

    audit = db.execute("""SELECT actor, role, action, reference, client_address, user_agent FROM cases.audit_log
                          ORDER BY id""").fetchall()
    assert ("test-agent", "agent", "read_denied", "GN-2026-000206", "127.0.0.1", "pytest-agent/1.0") in audit
    assert ("test-agent", "agent", "note_denied", "GN-2026-000206", "127.0.0.1", "pytest-agent/1.0") in audit
    assert ("fp-aissatou", "focal_point", "read", "GN-2026-000206", "127.0.0.1", "pytest-agent/1.0") in audit
    assert ("fp-aissatou", "focal_point", "list", "GN-2026-000206", "127.0.0.1", "pytest-agent/1.0") in audit
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("UPDATE cases.audit_log SET actor = 'someone else'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("DELETE FROM cases.audit_log")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("TRUNCATE cases.audit_log")
    assert ("fp-aissatou", "focal_point", "read", "GN-2026-000206", "127.0.0.1", "pytest-agent/1.0") in db.execute(
        "SELECT actor, role, action, reference, client_address, user_agent FROM cases.audit_log").fetchall()

    # A focal point who finds it is not sensitive lifts the restriction by classifying it; it is audited.
    lifted = focal.act("GN-2026-000206", "classification", {"category_code": 4, "version": 1}).json()
    assert not lifted["restricted"] and lifted["priority"] == "normal"
    deadlines = {d["kind"]: d for d in lifted["deadlines"]}
    assert deadlines["refer"]["settled_at"] and deadlines["refer"]["within_deadline"] is None  # cancelled
    assert not deadlines["acknowledge"]["settled_at"] and not deadlines["resolve"]["settled_at"]
    assert agent.case("GN-2026-000206").status_code == 200
    assert db.execute("SELECT count(*) FROM cases.audit_log WHERE action = 'classify'").fetchone()[0] == 1
    # Only the event that lifts the restriction carries the text, for readers that kept none meanwhile.
    lifting = wait_for(lambda: [e for e in events.payloads("case_classified")
                                if e["reference"] == "GN-2026-000206" and e["confirmed"]])[0]
    assert "coucher" in lifting["narrative"] and not lifting["restricted"]
    assert all(e["narrative"] is None for e in events.payloads("case_classified") if e["restricted"])


def test_an_agent_classifying_a_case_as_sensitive_hides_it_at_once(cases, amqp_uri, db, events):
    open_case(amqp_uri, db, DELAY, "GN-2026-000208")
    agent = Api(cases)
    answer = agent.act("GN-2026-000208", "classification", {"category_code": 7, "version": 1})
    assert answer.status_code == 200 and answer.json()["restricted"]
    assert agent.case("GN-2026-000208").status_code == 404
    wait_for(lambda: events.payloads("case_classified")[-1]["confirmed"])
    classified = events.payloads("case_classified")[-1]
    assert classified["restricted"] and classified["sensitive"] and classified["category_code"] == 7
    assert "refer" in [e["kind"] for e in events.payloads("deadline_scheduled")]


def test_a_threat_to_life_found_by_an_agent_tells_referrals_and_supervisors_by_when_to_refer(cases, amqp_uri, db,
                                                                                             events):
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, DELAY, "GN-2026-000209")
    opening = wait_for(lambda: events.payloads("case_classified"))[0]
    assert (opening["priority"], opening["refer_by"], opening["confirmed"]) == ("normal", None, False)
    answer = Api(cases).act("GN-2026-000209", "classification", {"category_code": 9, "version": 1})
    assert answer.status_code == 200 and answer.json()["priority"] == "emergency"

    wait_for(lambda: events.payloads("case_classified")[-1]["confirmed"])
    classified = events.payloads("case_classified")[-1]
    refer = {d["kind"]: d for d in Api(cases, "focal_point").case("GN-2026-000209").json()["deadlines"]}["refer"]
    assert (classified["priority"], classified["sensitive"]) == ("emergency", True)
    refer_by = datetime.fromisoformat(classified["refer_by"])
    assert refer_by == datetime.fromisoformat(refer["due_at"])
    assert MONDAY_9AM + timedelta(hours=1) <= refer_by < MONDAY_9AM + timedelta(hours=1, minutes=5)  # within the hour


def test_the_queue_is_most_urgent_first_with_filters_and_cursor(cases, amqp_uri, db):
    set_clock(cases, MONDAY_9AM)
    for number, narrative in enumerate([QUESTION, DELAY, QUESTION, DELAY, THREAT], start=210):
        open_case(amqp_uri, db, narrative, f"GN-2026-000{number}")
    focal = Api(cases, "focal_point")
    first = focal.get("/v1/cases", limit=2).json()
    assert first["cases"][0]["reference"] == "GN-2026-000214"  # the threat to life: refer within the hour
    assert first["cases"][0]["priority"] == "emergency" and first["next_cursor"]
    second = focal.get("/v1/cases", limit=2, cursor=first["next_cursor"]).json()
    third = focal.get("/v1/cases", limit=2, cursor=second["next_cursor"]).json()
    pages = first["cases"] + second["cases"] + third["cases"]
    assert len({c["reference"] for c in pages}) == 5 and third["next_cursor"] is None
    due = [c["next_deadline_at"] for c in pages]
    assert due == sorted(due)

    agent = Api(cases)
    assert {c["reference"] for c in agent.get("/v1/cases", category=4).json()["cases"]} == {
        "GN-2026-000211", "GN-2026-000213"}
    assert len(agent.get("/v1/cases", status="new", channel="sms").json()["cases"]) == 4
    assert agent.get("/v1/cases", received_from="2099-01-01T00:00:00+00:00").json()["cases"] == []
    assert agent.get("/v1/cases", assignee="nobody").json()["cases"] == []
    # A plain date is a whole UTC day, as in reporting's search (the messages came in today).
    today = datetime.now(UTC).date()

    def received(**params):
        return {c["reference"] for c in agent.get("/v1/cases", **params).json()["cases"]}
    assert received(received_from=today.isoformat(), received_to=today.isoformat()) == {
        "GN-2026-000210", "GN-2026-000211", "GN-2026-000212", "GN-2026-000213"}  # the threat is restricted
    assert received(received_to=(today - timedelta(days=1)).isoformat()) == set()
    assert received(received_from=(today + timedelta(days=1)).isoformat()) == set()
    for bad in ({"cursor": "not-a-cursor"}, {"deadline_state": "late"}, {"category": "x"}, {"colour": "red"},
                {"received_from": "2026-11-16T09:00:00"}, {"received_to": "16/11/2026"}):
        answer = agent.get("/v1/cases", **bad)
        assert answer.status_code in (400, 422) and answer.json()["error"]["code"] in ("invalid_cursor",
                                                                                    "invalid_filter")


def test_duplicates_and_repeated_messages_are_linked_not_reopened(cases, amqp_uri, db, events):
    contact = uuid4()
    open_case(amqp_uri, db, DELAY, "GN-2026-000220", contact_ref=contact)
    open_case(amqp_uri, db, DELAY, "GN-2026-000221")
    publish_event(amqp_uri, "intake", feedback(DELAY, "GN-2026-000220", contact_ref=contact, repeat=True))
    linked = wait_for(lambda: events.payloads("case_linked"))[0]
    assert linked["reference"] == "GN-2026-000220" and linked["feedback_id"] and linked["case_version"] == 2
    assert db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 2

    agent = Api(cases)
    duplicate = agent.act("GN-2026-000221", "duplicate-of", {"duplicate_of": "GN-2026-000220", "version": 1})
    assert duplicate.status_code == 200 and duplicate.json()["duplicate_of"] == "GN-2026-000220"
    assert agent.act("GN-2026-000221", "duplicate-of", {"duplicate_of": "GN-2026-999999", "version": 2}
                     ).status_code == 404
    wait_for(lambda: len(events.payloads("case_linked")) == 2)
    assert events.payloads("case_linked")[1]["duplicate_of"] == "GN-2026-000220"


def test_a_repeat_that_reveals_abuse_restricts_the_case(cases, amqp_uri, db, events):
    contact = uuid4()
    open_case(amqp_uri, db, DELAY, "GN-2026-000222", contact_ref=contact)
    publish_event(amqp_uri, "intake", feedback(DELAY + ". Et le gardien veut que je couche avec lui.",
                                               "GN-2026-000222", contact_ref=contact, repeat=True))
    linked = wait_for(lambda: events.payloads("case_linked"))[0]
    assert linked["restricted"]
    assert Api(cases).case("GN-2026-000222").status_code == 404
    # The repeat is attached, but cases keeps no second copy of its words.
    attached = db.execute("SELECT row_to_json(f)::text FROM cases.case_feedback f").fetchall()
    assert len(attached) == 1 and "couche" not in attached[0][0]


def test_a_status_request_is_answered_only_to_the_case_owner(cases, amqp_uri, db, events):
    owner, stranger = uuid4(), uuid4()
    open_case(amqp_uri, db, DELAY, "GN-2026-000230", contact_ref=owner)
    open_case(amqp_uri, db, ABUSE, "GN-2026-000231", contact_ref=owner)
    for reference, contact in (("GN-2026-000230", owner), ("GN-2026-000230", stranger),
                               ("GN-2026-000231", owner), ("GN-2026-999999", owner)):
        publish_event(amqp_uri, "intake", StatusRequested(
            request_id=uuid4(), reference=reference, contact_ref=contact, channel="sms", language="fr",
            received_at=datetime.now(UTC)))
    answers = wait_for(lambda: len(events.payloads("case_status_answered")) == 4
                       and events.payloads("case_status_answered"))
    summary = sorted((a["reference"], a["contact_ref"] == str(owner), a["owned"], a["status"]) for a in answers)
    assert summary == [("GN-2026-000230", False, False, None), ("GN-2026-000230", True, True, "new"),
                       ("GN-2026-000231", True, True, "in_progress"),  # restricted: a neutral status
                       ("GN-2026-999999", True, False, None)]


def test_a_referral_by_the_referrals_service_settles_the_referral_deadline(cases, amqp_uri, db, events):
    open_case(amqp_uri, db, THREAT, "GN-2026-000240")
    opened = wait_for(lambda: events.payloads("case_opened"))[0]
    assert opened["priority"] == "emergency" and opened["deadline_kind"] == "refer"
    publish_event(amqp_uri, "referrals", ReferralCreated(
        referral_id=uuid4(), case_id=opened["case_id"], reference="GN-2026-000240",
        partner_id="gn-protection-partner", category_code=9, emergency=True, share_contact=True,
        created_at=datetime.now(UTC), respond_by=datetime.now(UTC) + timedelta(hours=1)))
    settled = wait_for(lambda: events.payloads("deadline_settled"))[0]
    assert (settled["kind"], settled["within_deadline"], settled["status"]) == ("refer", True, "referred")
    assert events.payloads("case_status_changed")[0]["by"] == "referrals"
    assert Api(cases, "focal_point").case("GN-2026-000240").json()["status"] == "referred"


def test_the_clock_cannot_be_moved_unless_configured(run_service):
    production_like = run_service("cases")
    admin = {"Authorization": f"Bearer {production_like.token('admin')}"}
    answer = requests.put(f"{production_like.url}/admin/clock", json={"now": "2030-01-01T00:00:00Z"},
                          headers=admin, timeout=10)
    assert answer.status_code == 404


def test_two_agents_acting_at_once_on_the_same_version_cannot_both_win(cases, amqp_uri, db):
    open_case(amqp_uri, db, DELAY, "GN-2026-000250")
    agents = {subject: Api(cases, subject=subject) for subject in ("agent-a", "agent-b")}
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda subject: agents[subject].act(
        "GN-2026-000250", "assignment", {"assignee": subject, "version": 1}), agents))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    winner = next(subject for subject, answer in zip(agents, answers) if answer.status_code == 200)
    view = Api(cases).case("GN-2026-000250").json()
    assert (view["version"], view["assignee"]) == (2, winner)


def test_a_country_taxonomy_version_is_kept_with_the_case(run_service, amqp_uri, db):
    taxonomy = {"version": 3, "categories": {
        1: {"name": "Information"}, 4: {"name": "Retard ou petit problème"},
        12: {"name": "Demande de rapatriement", "sensitive": False}}}
    cases = run_service("cases", taxonomies={"GN": taxonomy})
    open_case(amqp_uri, db, DELAY, "GN-2026-000251")
    agent = Api(cases)
    assert agent.act("GN-2026-000251", "classification", {"category_code": 7, "version": 1}).json()["error"][
        "code"] == "unknown_category"
    classified = agent.act("GN-2026-000251", "classification", {"category_code": 12, "version": 1}).json()
    assert (classified["category_code"], classified["taxonomy_version"]) == (12, 3)
    recorded = db.execute("SELECT country, version, body FROM cases.taxonomies").fetchall()
    assert [(row[0], row[1]) for row in recorded] == [("GN", 3)]
    assert recorded[0][2]["categories"]["12"]["name"] == "Demande de rapatriement"


def test_the_narrative_of_a_restricted_case_stays_out_of_the_logs(cases, amqp_uri, db, caplog):
    caplog.set_level("DEBUG")
    secret_words = "Le gardien Sekou m'a demandé de coucher avec lui à Dubréka"
    set_clock(cases, MONDAY_9AM)
    open_case(amqp_uri, db, secret_words, "GN-2026-000252")
    Api(cases).case("GN-2026-000252")
    focal = Api(cases, "focal_point")
    focal.act("GN-2026-000252", "notes", {"text": "Sekou est le gardien de nuit", "version": 1})
    set_clock(cases, MONDAY_9AM + timedelta(days=2))
    wait_for(lambda: db.execute("SELECT breached_at FROM cases.deadlines").fetchone()[0])
    assert caplog.records, "the service logged nothing at all: this test would prove nothing"
    for word in ("Sekou", "gardien", "coucher", "Dubréka"):
        assert word not in caplog.text
    # Nor the classifier's explanation, which quotes the words that weighed most.
    opened = focal.case("GN-2026-000252").json()["timeline"][0]["detail"]["suggestion"]
    assert opened["explanation"] and all(phrase not in caplog.text.lower() for phrase in opened["explanation"]
                                         if len(phrase) >= 5)


def test_a_persons_classification_is_kept_as_a_labelled_example_of_the_country(cases, amqp_uri, db, events):
    open_case(amqp_uri, db, DELAY, "GN-2026-000260")
    agent = Api(cases)
    suggested = db.execute("SELECT category_code, classifier_version FROM cases.cases "
                           "WHERE reference = 'GN-2026-000260'").fetchone()
    assert agent.act("GN-2026-000260", "classification", {"category_code": 5, "version": 1}).status_code == 200
    query = """SELECT e.country, e.category_code, e.sensitive, e.emergency, e.part, e.suggested_category,
                      e.classifier_version, e.confirmed_by
               FROM cases.classifier_examples e JOIN cases.cases c USING (case_id)
               WHERE c.reference = 'GN-2026-000260'"""
    first = db.execute(query).fetchone()
    assert first[:4] == ("GN", 5, False, False) and first[4] in ("train", "held_out")
    assert (first[5], first[6], first[7]) == (suggested[0], suggested[1], "test-agent")
    # A correction replaces the labels, never the part the example was drawn into.
    focal = Api(cases, "focal_point", subject="focal-awa")
    assert focal.act("GN-2026-000260", "classification", {"category_code": 9, "version": 2}).status_code == 200
    corrected = db.execute(query).fetchone()
    assert corrected[1:5] == (9, True, True, first[4]) and corrected[7] == "focal-awa"
    assert db.execute("SELECT count(*) FROM cases.classifier_examples").fetchone()[0] == 1
    # The text is not copied: the example reads the case's narrative, inside cases.
    columns = {row[0] for row in db.execute("""SELECT column_name FROM information_schema.columns
                                               WHERE table_schema = 'cases'
                                               AND table_name = 'classifier_examples'""").fetchall()}
    assert not columns & {"narrative", "text"}
