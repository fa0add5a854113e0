"""Pure rules added for the providers' real formats and for who may be texted (no I/O)."""
from datetime import UTC, datetime

import pytest

from chassis.errors import ApiError
from services.intake import domain
from services.intake.formats import rapidpro
from services.intake.settings import EndpointSettings
from services.notifications.domain import sms_withheld, unverified_contact

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
RAPIDPRO = EndpointSettings(provider="rapidpro", country="GN", channel="sms", address="1313", secret="s")


@pytest.mark.parametrize("sender, is_name", [
    ("Orange", True), ("MTN-INFO", True), ("Info 224", True), ("CELCOM", True),
    ("12", False), ("+224", False), ("", False), ("Un nom beaucoup trop long pour un expéditeur", False),
])
def test_alphanumeric_sender_ids_are_told_from_unreadable_numbers(sender, is_name):
    assert domain.is_sender_name(sender) is is_name


def test_the_editors_default_rapidpro_body_gives_the_result_and_the_contacts_number():
    body = {"contact": {"uuid": "c1", "name": "Fanta", "urn": "tel:+224622123456"},
            "flow": {"uuid": "f1", "name": "CFM"}, "results": {"message": {"value": "Pas d'eau", "category": "x"}}}
    message = rapidpro.parse("gn_sms_rapidpro", RAPIDPRO, body, 5, NOW)
    assert (message.text, message.contact.phone, message.received_at) == ("Pas d'eau", "+224622123456", NOW)
    assert message.contact_verified and message.provider_message_id.startswith("call-")
    assert rapidpro.parse("gn_sms_rapidpro", RAPIDPRO, body, 5, NOW).provider_message_id == \
        message.provider_message_id  # the same call again is RapidPro's retry


def test_a_configured_rapidpro_result_is_the_message_and_a_missing_one_is_named():
    endpoint = RAPIDPRO.model_copy(update={"rapidpro_result": "plainte"})
    body = {"contact": {"urn": "telegram:1234"}, "results": {"village": {"value": "Sinta"},
                                                             "plainte": {"value": "Le forage est en panne"}}}
    message = rapidpro.parse("gn_sms_rapidpro", endpoint, body, 5, NOW)
    assert message.text == "Le forage est en panne" and message.contact is None
    with pytest.raises(ApiError) as refused:
        rapidpro.parse("gn_sms_rapidpro", endpoint, {"results": {"village": {"value": "Sinta"}}}, 5, NOW)
    assert refused.value.details == [{"field": "results.plainte", "reason": "missing"}]


@pytest.mark.parametrize("phone, sent, reason", [
    ("+224622123456", 0, None), ("+224622123456", 4, None), ("+224622123456", 5, "daily_limit"),
    ("+447700900123", 0, "prefix_not_allowed"), ("+2246", 0, None), ("+22362000000", 0, "prefix_not_allowed"),
])
def test_a_complainants_sms_goes_only_to_allowed_prefixes_within_the_days_cap(phone, sent, reason):
    assert sms_withheld(phone, ["+224"], sent, 5) == reason


def test_a_country_without_prefixes_texts_no_complainant():
    assert sms_withheld("+224622123456", [], 0, 5) == "prefix_not_allowed"


def test_only_a_contact_known_to_be_typed_is_unverified():
    assert [unverified_contact(value) for value in (True, False, None)] == [False, True, False]
