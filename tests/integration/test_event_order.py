"""Events about one case may reach a consumer in any order (each event type has its own queue,
workers run side by side, a failing handler is retried later): referrals ends up the same when
a person's classification arrives before the case's opening."""
from datetime import UTC, datetime
from uuid import uuid4

from prometheus_client import REGISTRY

from contracts.common import Consent
from contracts.events import CaseClassified, CaseOpened
from tests.conftest import wait_for
from tests.helpers import publish_event

PSEA = "gn-psea-focal-point"  # category 6 in Guinea (services/referrals/config.yml)


def case_events(reference, opened_sensitive, classified_sensitive, category=6, priority="emergency"):
    now, case_id = datetime.now(UTC), uuid4()
    opened = CaseOpened(case_id=case_id, reference=reference, feedback_id=uuid4(), channel="hotline", language="fr",
                        narrative="Il a dit qu'il allait me tuer.", received_at=now, opened_at=now,
                        category_code=category, sensitive=opened_sensitive, restricted=opened_sensitive,
                        priority=priority, deadline_kind="refer" if opened_sensitive else "acknowledge",
                        deadline_at=now, consent=Consent(callback=True, share_with_partners=True))
    classified = CaseClassified(case_id=case_id, reference=reference, case_version=2, status="new",
                                restricted=classified_sensitive, at=now, by="focal-1", category_code=category,
                                taxonomy_version=1, sensitive=classified_sensitive, confirmed=True,
                                priority=priority, share_with_partners=True)
    return opened, classified


def referrals_of(db, reference):
    return db.execute(
        """SELECT partner_id, emergency, share_contact, status FROM referrals.referrals WHERE reference = %s""",
        [reference]).fetchall()


def created_events(db, reference):
    return db.execute("""SELECT count(*) FROM referrals.outbox WHERE event_type = 'referral_created'
                         AND body->'payload'->>'reference' = %s""", [reference]).fetchone()[0]


def handled() -> float:
    """Events referrals handled to the end (an event it has nothing to do for records no message id)."""
    return sum(REGISTRY.get_sample_value("cfm_messages_consumed_total", {
        "service": "referrals", "event_type": event_type, "outcome": outcome}) or 0
        for event_type in ("case_opened.v1", "case_classified.v1") for outcome in ("processed", "duplicate"))


def test_referrals_are_the_same_whichever_of_opening_and_classification_arrives_first(run_service, amqp_uri, db):
    run_service("referrals")
    outcomes = {}
    before = handled()
    for number, (opened_sensitive, classified_sensitive) in enumerate(
            [(True, True), (False, True), (True, False)]):
        for order in ("opened_first", "classified_first"):
            reference = f"GN-2026-0004{number}{0 if order == 'opened_first' else 1}"
            opened, classified = case_events(reference, opened_sensitive, classified_sensitive)
            first, second = (opened, classified) if order == "opened_first" else (classified, opened)
            publish_event(amqp_uri, "cases", first)
            # the second is sent only once the first was handled, so the order is the one intended
            wait_for(lambda: handled() - before == 1 + 2 * len(outcomes))
            publish_event(amqp_uri, "cases", second)
            wait_for(lambda: handled() - before == 2 + 2 * len(outcomes))
            outcomes[(opened_sensitive, classified_sensitive, order)] = (
                referrals_of(db, reference), created_events(db, reference))

    for opened_sensitive, classified_sensitive in [(True, True), (False, True), (True, False)]:
        in_order = outcomes[(opened_sensitive, classified_sensitive, "opened_first")]
        reversed_ = outcomes[(opened_sensitive, classified_sensitive, "classified_first")]
        assert in_order == reversed_ == ([(PSEA, True, True, "sent")], 1)  # one referral, one event
    assert db.execute("SELECT count(*) FROM referrals.parked_messages").fetchone()[0] == 0
