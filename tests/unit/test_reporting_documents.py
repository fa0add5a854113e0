"""How events make a case's search document: pseudonymised, and never going backwards."""
import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.common import Channel, Location, Respondent
from contracts.envelope import Envelope
from contracts.events import (
    CaseClassified, CaseOpened, CaseStatusChanged, DeadlineBreached, DeadlineScheduled, DeadlineSettled,
    DeadlineWarning, FeedbackReceived,
)
from services.reporting.domain import apply_event

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
CASE_ID, REFERENCE = uuid4(), "GN-2026-000001"


def wrap(event) -> tuple[Envelope, object]:
    return Envelope.wrap(event, country="GN", producer="test", correlation_id=uuid4()), event


def opened(restricted=False, narrative="retard de paiement, appelez le 622 12 34 56"):
    return wrap(CaseOpened(case_id=CASE_ID, reference=REFERENCE, feedback_id=uuid4(), channel=Channel.HOTLINE,
                           narrative=narrative, received_at=T0, opened_at=T0, sensitive=restricted,
                           restricted=restricted, priority="normal", deadline_kind="acknowledge",
                           deadline_at=T0 + timedelta(days=1)))


def case_event(model, version, status, restricted=False, **fields):
    return wrap(model(case_id=CASE_ID, reference=REFERENCE, case_version=version, status=status,
                      restricted=restricted, at=T0 + timedelta(hours=version), by="agent-1", **fields))


def build(events) -> dict:
    document = {}
    for envelope, event in events:
        document = apply_event(document, envelope, event)
    return document


def test_a_restricted_case_has_no_narrative_and_an_open_one_is_scrubbed():
    assert build([opened(restricted=True, narrative="abus sexuel par le gardien")])["narrative"] is None
    narrative = build([opened()])["narrative"]
    assert narrative.startswith("retard de paiement") and "622" not in narrative


def test_feedback_fields_for_disaggregation_are_kept():
    feedback = wrap(FeedbackReceived(
        feedback_id=uuid4(), reference=REFERENCE, channel=Channel.SMS, narrative="x", received_at=T0,
        respondent=Respondent(sex="female", age_group="25-59", disability=True),
        location=Location(adm1="Kindia", adm2="Coyah")))
    document = build([feedback, opened()])
    assert (document["sex"], document["age_group"], document["disability"]) == ("female", "25-59", True)
    assert (document["adm1"], document["adm2"]) == ("Kindia", "Coyah")


def test_events_in_any_order_give_the_same_document():
    events = [
        opened(),
        case_event(CaseClassified, 2, "new", category_code=4, taxonomy_version=1, sensitive=False, confirmed=True),
        case_event(CaseStatusChanged, 3, "acknowledged", from_status="new"),
        case_event(DeadlineSettled, 3, "acknowledged", kind="acknowledge", due_at=T0 + timedelta(days=1),
                   started_at=T0, within_deadline=True),
        case_event(DeadlineScheduled, 3, "acknowledged", kind="resolve", due_at=T0 + timedelta(days=14)),
        case_event(DeadlineWarning, 4, "acknowledged", kind="resolve", due_at=T0 + timedelta(days=14),
                   priority="normal"),
        case_event(CaseStatusChanged, 5, "resolved", from_status="acknowledged"),
    ]
    expected = build(events)
    assert expected["status"] == "resolved" and expected["category_code"] == 4
    assert expected["deadlines"]["acknowledge"]["within_deadline"] is True
    assert expected["deadline_state"] == "warning"
    for order in itertools.islice(itertools.permutations(events), 0, None, 97):
        assert build(order) == expected
    assert build(events + events[2:4]) == expected  # redelivered events change nothing


def test_an_old_event_never_unrestricts_or_reopens_a_case():
    restricted = case_event(CaseClassified, 3, "in_progress", restricted=True, category_code=6,
                            taxonomy_version=1, sensitive=True, confirmed=True)
    stale = case_event(CaseStatusChanged, 2, "acknowledged", from_status="new")
    document = build([opened(), restricted, stale])
    assert document["restricted"] is True and document["narrative"] is None
    assert document["status"] == "in_progress"


def test_a_settled_deadline_stays_settled_when_its_breach_arrives_late():
    due = T0 + timedelta(hours=24)
    settled = case_event(DeadlineSettled, 2, "referred", kind="refer", due_at=due, started_at=T0,
                         within_deadline=False)
    breached = case_event(DeadlineBreached, 2, "referred", kind="refer", due_at=due, priority="high")
    document = build([opened(), settled, breached])
    assert document["deadlines"]["refer"]["state"] == "settled"
    assert document["deadlines"]["refer"]["within_deadline"] is False


def test_a_partners_answer_arriving_before_the_referral_is_kept():
    from contracts.events import ReferralAnswered, ReferralCreated
    referral_id = uuid4()
    created = wrap(ReferralCreated(referral_id=referral_id, case_id=CASE_ID, reference=REFERENCE,
                                   partner_id="gn-health-ngo", emergency=False, share_contact=False, created_at=T0,
                                   respond_by=T0 + timedelta(days=2)))
    declined = wrap(ReferralAnswered(referral_id=referral_id, case_id=CASE_ID, reference=REFERENCE,
                                     partner_id="gn-health-ngo", accepted=False, answered_at=T0 + timedelta(hours=3),
                                     answered_by="partner-1"))
    assert build([declined, created])["referral_status"] == build([created, declined])["referral_status"] == "declined"
    from contracts.events import ReferralOverdue
    overdue = wrap(ReferralOverdue(referral_id=referral_id, case_id=CASE_ID, reference=REFERENCE,
                                   partner_id="gn-health-ngo", emergency=False, respond_by=T0, marked_at=T0))
    assert build([overdue, created]) == build([created, overdue])


def test_a_status_request_is_tied_to_no_case():
    from contracts.events import StatusRequested
    from services.reporting.domain import case_reference, timeline_entry
    envelope, request = wrap(StatusRequested(request_id=uuid4(), reference=REFERENCE, contact_ref=uuid4(),
                                             channel=Channel.SMS, received_at=T0))
    assert case_reference(request) is None
    assert timeline_entry(envelope, case_reference(request), request)["reference"] is None


def test_reporting_keeps_no_text_of_a_restricted_case_or_of_the_raw_message():
    from services.reporting.domain import NOT_KEPT, journal_envelope
    envelope, restricted = opened(restricted=True, narrative="le gardien m'a demandé de coucher avec lui")
    assert journal_envelope(envelope, restricted)["payload"]["narrative"] == NOT_KEPT
    envelope, open_case = opened()
    assert "622" not in journal_envelope(envelope, open_case)["payload"]["narrative"]
    envelope, feedback = wrap(FeedbackReceived(feedback_id=uuid4(), reference=REFERENCE, channel=Channel.SMS,
                                               narrative="Je suis Awa Camara, 622 12 34 56", received_at=T0))
    assert journal_envelope(envelope, feedback)["payload"]["narrative"] == NOT_KEPT
    envelope, closed = case_event(CaseStatusChanged, 6, "closed", from_status="resolved",
                                  no_contact_reason="Awa a déménagé chez son oncle à Kindia")
    assert journal_envelope(envelope, closed)["payload"]["no_contact_reason"] == NOT_KEPT
    # what the journal keeps still replays into the same document
    for envelope, event in (opened(restricted=True), opened()):
        kept = Envelope.model_validate(journal_envelope(envelope, event))
        assert apply_event({}, kept, kept.open())["restricted"] == event.restricted
