"""Attacks on intake's contact vault over the bus: a process that knows a contact_ref (reporting's
journal holds them) asks intake.reveal_contact for the name and phone behind it."""
from uuid import uuid4

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.rpc import RevealContactRequest

WITH_CALLBACK = {"country": "GN", "channel": "hotline", "language": "fr", "narrative": "Le paiement est en retard.",
                 "contact": {"name": "Mariama Bah", "phone": "622 98 76 54"}, "consent": {"callback": True}}


@pytest.fixture
def intake(run_service):
    return run_service("intake")


def submit(intake, db, **changes):
    answer = requests.post(f"{intake.url}/v1/feedback", json={**WITH_CALLBACK, **changes}, headers=intake.headers())
    return db.execute("SELECT feedback_id, contact_ref FROM intake.feedback WHERE reference = %s",
                      [answer.json()["reference"]]).fetchone()


def reveal(amqp_uri, **request):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster:
        return cluster.intake.reveal_contact(RevealContactRequest(**request).model_dump(mode="json"))


@pytest.mark.security
def test_a_process_on_the_bus_cannot_have_a_contact_revealed_by_stating_a_purpose(intake, amqp_uri, db):
    feedback_id, contact_ref = submit(intake, db)
    no_consent_feedback, no_consent_ref = submit(intake, db, narrative="Autre chose",
                                                 contact={"phone": "622 11 22 33"}, consent={"callback": False})
    attempts = [
        # What any process could say, with a contact_ref from the journal and nothing else.
        dict(contact_ref=contact_ref, purpose="acknowledgement", requested_by="notifications"),
        dict(contact_ref=contact_ref, purpose="status_reply", requested_by="notifications"),
        # A status request that does not exist, and a message of someone else.
        dict(contact_ref=contact_ref, purpose="status_reply", requested_by="notifications", request_id=uuid4()),
        dict(contact_ref=no_consent_ref, purpose="acknowledgement", requested_by="notifications",
             feedback_id=feedback_id),
        # The person did not agree to be called back.
        dict(contact_ref=no_consent_ref, purpose="callback", requested_by="notifications",
             feedback_id=no_consent_feedback),
        # Only notifications sends messages to complainants.
        dict(contact_ref=contact_ref, purpose="acknowledgement", requested_by="reporting", feedback_id=feedback_id),
    ]
    for attempt in attempts:
        with pytest.raises(RemoteError) as refused:
            reveal(amqp_uri, **attempt)
        assert refused.value.exc_type == "RevealRefused"
        # The number's own digits: a random id in the message may hold "622" by chance.
        assert "98 76 54" not in str(refused.value) and "987654" not in str(refused.value)
        assert "Mariama" not in str(refused.value)
    assert db.execute("SELECT count(*) FROM intake.contact_reveals WHERE refused IS NOT NULL").fetchone()[0] == 6

    # What intake recorded itself justifies it: the message whose sender agreed to be called back.
    allowed = reveal(amqp_uri, contact_ref=contact_ref, purpose="acknowledgement", requested_by="notifications",
                     feedback_id=feedback_id)
    assert (allowed["contact"]["name"], allowed["contact"]["phone"]) == ("Mariama Bah", "+224622987654")
    assert db.execute("""SELECT purpose, subject_id, refused FROM intake.contact_reveals
                         ORDER BY id DESC LIMIT 1""").fetchone() == ("acknowledgement", feedback_id, None)


@pytest.mark.security
def test_a_justified_reveal_cannot_be_repeated_at_will(intake, amqp_uri, db):
    feedback_id, contact_ref = submit(intake, db)
    request = dict(contact_ref=contact_ref, purpose="acknowledgement", requested_by="notifications",
                   feedback_id=feedback_id)
    for _ in range(10):  # retries and replays of the acknowledgement
        reveal(amqp_uri, **request)
    with pytest.raises(RemoteError) as refused:
        reveal(amqp_uri, **request)
    assert (refused.value.exc_type, refused.value.value) == ("RevealRefused", "too_many_reveals")
