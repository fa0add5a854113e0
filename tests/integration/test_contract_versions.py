"""Contracts across a rolling deployment: consumers read what a newer producer adds, and a
breaking change goes out in both versions from one transaction."""
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

import pytest

from chassis.db import UnitOfWork, open_pool
from contracts.envelope import _PAYLOADS, Envelope, EventPayload
from contracts.events import CaseEvent, CaseNoteAdded
from tests.conftest import wait_for
from tests.helpers import publish_event
from tests.integration.test_referrals import sensitive_case


def test_a_consumer_takes_an_event_with_fields_it_does_not_know(run_service, amqp_uri, db):
    run_service("referrals")
    case = sensitive_case("GN-2026-000301", 10)
    envelope = Envelope.wrap(case, country="GN", producer="cases", correlation_id=uuid4())
    # What a newer cases would send: a new optional field in the payload, in a nested part and in the envelope.
    body = envelope.model_dump(mode="json")
    body["payload"]["triage_score"] = 0.93
    body["payload"]["consent"]["share_with_family"] = False
    body["trace_version"] = 2
    publish_event(amqp_uri, "cases", None, envelope=_Raw(body, envelope))

    wait_for(lambda: db.execute("SELECT 1 FROM referrals.referrals WHERE reference = 'GN-2026-000301'").fetchone())
    assert db.execute("SELECT count(*) FROM referrals.parked_messages").fetchone()[0] == 0


class _Raw:
    """An envelope as a newer producer would serialise it (publish_event only needs these)."""

    def __init__(self, body: dict, envelope: Envelope):
        self._body, self.routing_key, self.message_id = body, envelope.routing_key, envelope.message_id

    def model_dump(self, mode="json"):
        return self._body


@pytest.fixture
def note_added_v2():
    """A breaking change of CaseNoteAdded (note_id renamed note_ref), published beside v1."""

    class CaseNoteAddedV2(CaseEvent):
        event_type: ClassVar[str] = "case_note_added"
        event_version: ClassVar[int] = 2

        note_ref: UUID

        def also_published_as(self):
            return [CaseNoteAdded(**self.model_dump(exclude={"note_ref"}), note_id=self.note_ref)]

    yield CaseNoteAddedV2
    del _PAYLOADS[("case_note_added", 2)]  # the registry is the contracts' snapshot list


def test_a_breaking_change_is_published_in_both_versions_from_one_transaction(database_url, db, note_added_v2):
    pool = open_pool(database_url, "cases")
    note = note_added_v2(case_id=uuid4(), reference="GN-2026-000302", case_version=2, status="new",
                         restricted=False, at=datetime.now(UTC), by="agent-1", note_ref=uuid4())
    try:
        with UnitOfWork(pool, "cases", None, on_commit=lambda: None) as uow:
            uow.emit(note, country="GN")
        with pytest.raises(RuntimeError):
            with UnitOfWork(pool, "cases", None, on_commit=lambda: None) as uow:
                uow.emit(note, country="GN")
                raise RuntimeError("the state change failed")
    finally:
        pool.close()
    rows = db.execute("SELECT routing_key, body FROM cases.outbox ORDER BY id").fetchall()
    assert [key for key, _ in rows] == ["case_note_added.v2", "case_note_added.v1"]  # and nothing of the rollback
    v2, v1 = (Envelope.model_validate(body) for _, body in rows)
    assert v1.open().note_id == v2.open().note_ref
    assert v1.correlation_id == v2.correlation_id and v1.message_id != v2.message_id
