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


# --- tolerant readers, strict writers, and what breaks a consumer on the old version -------------

def test_no_event_contract_breaks_a_consumer_still_on_its_version():
    from contracts.snapshots import incompatible
    assert incompatible() == {}, "a breaking change keeps its version: publish a new version beside it"


def test_a_reader_ignores_fields_a_newer_producer_added_and_a_writer_refuses_them():
    example = json.loads((EXAMPLE_DIR / "event.feedback_received.v1.json").read_text())
    example["schema_hint"] = "added to the envelope by a newer producer"
    example["payload"]["caller_mood"] = "calm"
    example["payload"]["location"] = {"adm1": "Kindia", "gps_accuracy_m": 12}
    envelope = Envelope.model_validate(example)
    event = envelope.open()
    assert event.location.adm1 == "Kindia" and "caller_mood" not in event.model_dump()
    with pytest.raises(ValidationError):
        FeedbackReceived(**{**event.model_dump(), "caller_mood": "calm"})
    # a field the reader knows is still checked
    example["payload"]["channel"] = "pigeon"
    with pytest.raises(ValidationError):
        Envelope.model_validate(example).open()


def _schema_of(**fields):
    from pydantic import create_model
    from contracts.common import Contract
    return create_model("Payload", __base__=Contract, **fields).model_json_schema()


def test_the_compatibility_check_names_each_change_that_breaks_a_consumer():
    from typing import Literal
    from contracts.common import Location
    from contracts.snapshots import breaking_changes

    old = _schema_of(reference=(str, ...), count=(int, 0), location=(Location | None, None),
                     status=(Literal["new", "closed"], "new"))
    assert breaking_changes(old, old) == []
    assert breaking_changes(old, _schema_of(reference=(str, ...), count=(int, 0), location=(Location | None, None),
                                            status=(Literal["new", "closed"], "new"),
                                            note=(str | None, None))) == []  # an optional field is additive
    changed = {
        "removed": _schema_of(count=(int, 0), location=(Location | None, None),
                              status=(Literal["new", "closed"], "new")),
        "renamed": _schema_of(ref=(str, ...), count=(int, 0), location=(Location | None, None),
                              status=(Literal["new", "closed"], "new")),
        "retyped": _schema_of(reference=(str, ...), count=(str, "0"), location=(Location | None, None),
                              status=(Literal["new", "closed"], "new")),
        "made required": _schema_of(reference=(str, ...), count=(int, ...), location=(Location | None, None),
                                    status=(Literal["new", "closed"], "new")),
        "new value": _schema_of(reference=(str, ...), count=(int, 0), location=(Location | None, None),
                                status=(Literal["new", "closed", "lost"], "new")),
        "new required": _schema_of(reference=(str, ...), count=(int, 0), location=(Location | None, None),
                                   status=(Literal["new", "closed"], "new"), priority=(int, ...)),
    }
    for change, new in changed.items():
        assert breaking_changes(old, new), f"{change} was not seen as breaking"
    assert breaking_changes(old, changed["removed"]) == ["reference: removed or renamed"]
    assert breaking_changes(old, changed["made required"])[0] == (
        "count: made required (producers on the old version leave it out)")


def test_a_change_inside_a_nested_contract_is_seen():
    from pydantic import create_model
    from contracts.common import Contract
    from contracts.snapshots import breaking_changes

    def with_place(**fields):
        place = create_model("Place", __base__=Contract, **fields)
        return _schema_of(where=(place | None, None))

    old = with_place(adm1=(str | None, None))
    assert breaking_changes(old, with_place(adm1=(str | None, None), adm2=(str | None, None))) == []
    assert breaking_changes(old, with_place(adm1=(int | None, None))) != []
    assert breaking_changes(old, with_place(region=(str | None, None))) == ["where.adm1: removed or renamed"]
