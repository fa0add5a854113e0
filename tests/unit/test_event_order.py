"""reporting is correct whichever order a case's events arrive in (the outbox does not promise an
order, and neither could the queues), and it keeps no field it does not know."""
import itertools
from datetime import timedelta
from uuid import uuid4

from contracts.common import Channel, Location
from contracts.envelope import Envelope
from contracts.events import CaseClassified, FeedbackReceived
from services.reporting.domain import journal_envelope
from tests.unit.test_reporting_documents import CASE_ID, REFERENCE, T0, build, case_event, opened, wrap


def feedback():
    return wrap(FeedbackReceived(feedback_id=uuid4(), reference=REFERENCE, channel=Channel.HOTLINE,
                                 narrative="retard de paiement", received_at=T0, location=Location(adm1="Kindia")))


def test_a_classification_arriving_before_the_opening_gives_the_same_document():
    confirmed_sensitive = case_event(CaseClassified, 2, "new", restricted=True, category_code=6, taxonomy_version=1,
                                     sensitive=True, confirmed=True, priority="emergency")
    events = [feedback(), opened(restricted=False, narrative="il m'a menacée, appelez le 622 12 34 56"),
              confirmed_sensitive]
    expected = build(events)
    assert (expected["category_code"], expected["sensitive"], expected["classification_confirmed"]) == (6, True, True)
    assert expected["restricted"] is True and expected["narrative"] is None and expected["adm1"] == "Kindia"
    for order in itertools.permutations(events):
        assert build(order) == expected


def test_a_classification_lifting_the_restriction_before_the_opening_shows_the_scrubbed_text():
    lifted = case_event(CaseClassified, 2, "new", restricted=False, category_code=4, taxonomy_version=1,
                        sensitive=False, confirmed=True, narrative="retard de paiement, appelez le 622 12 34 56")
    events = [opened(restricted=True, narrative="retard de paiement, appelez le 622 12 34 56"), lifted]
    expected = build(events)
    assert expected["restricted"] is False and "622" not in expected["narrative"]
    assert build(reversed(events)) == expected


def test_the_journal_keeps_no_field_a_newer_producer_added():
    envelope, event = opened()
    body = envelope.model_dump(mode="json")
    body["payload"]["caller_name"] = "Awa Camara"
    body["payload"]["narrative_original"] = "Awa Camara, 622 12 34 56"
    received = Envelope.model_validate(body)
    kept = journal_envelope(received, received.open())
    # The whole strings: a random id or a time's microseconds may hold "622" by chance.
    assert "Awa Camara" not in str(kept) and "622 12 34 56" not in str(kept)
    assert not {"caller_name", "narrative_original"} & set(kept["payload"])
    assert Envelope.model_validate(kept).open().case_id == CASE_ID
    assert timedelta(0) == Envelope.model_validate(kept).occurred_at - received.occurred_at
