import json
from datetime import UTC
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts import http
from contracts.envelope import Envelope, UnknownEventType
from contracts.events import FeedbackReceived
from contracts.snapshots import EXAMPLE_DIR, contract_models, drifted


def test_schema_snapshots_match_the_models():
    assert drifted() == [], "contracts changed: review the change, then run `make contracts`"


@pytest.mark.parametrize("path", sorted(EXAMPLE_DIR.glob("*.json")), ids=lambda path: path.name)
def test_recorded_examples_are_valid(path: Path):
    data = json.loads(path.read_text())
    name = path.name.split(".json")[0]
    if name.startswith("event."):
        envelope = Envelope.model_validate(data)
        assert f"event.{envelope.type}.v{envelope.version}" == name
        envelope.open()
    else:
        model_name = ".".join(name.split(".")[:2])
        contract_models()[model_name].model_validate(data)


def test_envelope_times_are_kept_in_utc():
    example = json.loads((EXAMPLE_DIR / "event.feedback_received.v1.json").read_text())
    example["occurred_at"] = "2026-11-23T10:14:05+01:00"
    envelope = Envelope.model_validate(example)
    assert envelope.occurred_at.tzinfo == UTC and envelope.occurred_at.hour == 9


def test_an_envelope_without_timezone_is_refused():
    example = json.loads((EXAMPLE_DIR / "event.feedback_received.v1.json").read_text())
    example["occurred_at"] = "2026-11-23T09:14:05"
    with pytest.raises(ValidationError):
        Envelope.model_validate(example)


def test_an_unknown_event_version_is_reported():
    example = json.loads((EXAMPLE_DIR / "event.feedback_received.v1.json").read_text())
    example["version"] = 99
    with pytest.raises(UnknownEventType):
        Envelope.model_validate(example).open()


def test_events_never_carry_contact_details():
    fields = set(FeedbackReceived.model_fields)
    assert {"contact_ref"} <= fields
    assert not fields & {"name", "phone", "email", "contact"}


def test_contracts_are_immutable_and_strict():
    submission = http.FeedbackSubmission.model_validate(
        {"country": "GN", "channel": "sms", "narrative": "Bonjour"})
    with pytest.raises(ValidationError):
        submission.country = "ML"
    with pytest.raises(ValidationError):
        http.FeedbackSubmission.model_validate(
            {"country": "GN", "channel": "sms", "narrative": "x", "surprise": 1})


def test_routing_keys_carry_the_version():
    envelope = Envelope.wrap(
        FeedbackReceived(feedback_id=uuid4(), reference="GN-2026-000001", channel="sms", narrative="x",
                         received_at="2026-11-23T09:00:00Z"),
        country="GN", producer="intake", correlation_id=uuid4())
    assert envelope.routing_key == "feedback_received.v1"
