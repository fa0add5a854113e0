"""Pure rules of intake, cases' list filters, notifications, reporting and settings."""
from datetime import UTC, datetime

import pytest

from chassis.settings import ServiceSettings, load_settings
from services.cases.service import received_bound
from services.intake.domain import InvalidPhoneNumber, format_reference, normalize_phone
from services.notifications.domain import acknowledgement_text, message_language
from services.reporting.domain import scrub


@pytest.mark.parametrize("raw, country, e164", [
    ("622 12 34 56", "GN", "+224622123456"),
    ("+224 622-12-34-56", "GN", "+224622123456"),
    ("0803 123 4567", "NG", "+2348031234567"),
])
def test_phone_numbers_become_e164_with_the_country_as_region(raw, country, e164):
    assert normalize_phone(raw, country) == e164


def test_an_unreadable_phone_number_is_refused():
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone("call me", "GN")


def test_case_reference_format():
    assert format_reference("GN", 2026, 42) == "GN-2026-000042"


def test_acknowledgement_uses_the_case_language_or_the_country_default():
    assert message_language("fr", ["fr", "ff"]) == "fr"
    assert message_language("ff", ["fr", "ff"]) == "fr"  # no Pular wording yet: the country's French
    assert message_language(None, ["en", "ha"]) == "en"
    text = acknowledgement_text("en", "NG-2026-000007")
    assert "NG-2026-000007" in text


def test_scrub_removes_phones_emails_and_id_numbers():
    text = scrub("Appelez-moi au +224 622 12 34 56 ou 622123456, mail awa.camara@example.org, passeport AB1234567")
    for secret in ("622", "awa.camara", "example.org", "AB1234567"):
        assert secret not in text
    assert "[phone]" in text and "[email]" in text and "[id]" in text


def test_environment_overrides_win_over_files_and_json_values_are_parsed():
    settings = load_settings(ServiceSettings, "cases", environ={
        "CFM__DATABASE__URL": "postgresql://elsewhere/cfm", "CFM__HTTP__PORT": "9002",
        "CFM__CONSUMER__ATTEMPTS": "7", "UNRELATED": "x"})
    assert settings.database.url == "postgresql://elsewhere/cfm"
    assert settings.http.port == 9002 and settings.consumer.attempts == 7
    assert settings.countries["GN"].timezone == "Africa/Conakry"


def test_a_date_in_the_case_list_filters_is_a_whole_utc_day():
    assert received_bound("2026-11-16", whole_day_included=False) == datetime(2026, 11, 16, tzinfo=UTC)
    assert received_bound("2026-11-16", whole_day_included=True) == datetime(2026, 11, 17, tzinfo=UTC)
    assert received_bound("2026-11-16T09:30:00+01:00", whole_day_included=True) == datetime(
        2026, 11, 16, 8, 30, tzinfo=UTC)
    for bad in ("2026-11-16T09:30:00", "16/11/2026", "2026-13-01"):
        with pytest.raises(ValueError):
            received_bound(bad, whole_day_included=False)


def test_reference_numbers_are_unique_six_digits_and_in_no_order():
    from services.intake.domain import reference_number
    key = b"k" * 32
    numbers = [reference_number(sequence, key, "GN", 2026) for sequence in range(1, 5001)]
    assert len(set(numbers)) == 5000 and all(1 <= n <= 999_999 for n in numbers)
    assert sum(abs(b - a) == 1 for a, b in zip(numbers, numbers[1:])) < 5  # gaps say nothing
    assert reference_number(999_999, key, "GN", 2026) <= 999_999
    assert numbers[:3] != [reference_number(s, b"j" * 32, "GN", 2026) for s in (1, 2, 3)]  # keyed
    assert numbers[:3] != [reference_number(s, key, "ML", 2026) for s in (1, 2, 3)]  # per country and year


def test_the_broker_definitions_in_deploy_are_those_the_setup_job_applies():
    import json

    from tools.broker_users import DEFINITIONS, definitions
    assert json.loads(DEFINITIONS.read_text()) == definitions(), "run python -m tools.broker_users --write"
    topics = {grant["user"]: grant["write"] for grant in definitions()["topic_permissions"]}
    # cases reveals the number of a callback task, for the agent who calls (intake checks the consent).
    assert sorted(user for user, write in topics.items() if "reveal_contact" in write) == [
        "cfm_cases", "cfm_notifications", "cfm_referrals"]


def test_a_contact_is_revealed_only_on_grounds_intake_recorded_recently_and_not_at_will():
    from datetime import UTC, datetime, timedelta

    from services.intake.domain import reveal_refusal
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert reveal_refusal("acknowledgement", "notifications", now - timedelta(hours=1), 0, now) is None
    assert reveal_refusal("acknowledgement", "reporting", now, 0, now) == "requester_not_allowed"
    assert reveal_refusal("status_reply", "notifications", None, 0, now) == "no_grounds"
    assert reveal_refusal("callback", "notifications", now - timedelta(days=8), 0, now) == "grounds_too_old"
    assert reveal_refusal("status_reply", "notifications", now, 10, now) == "too_many_reveals"
    # A case's appointments all stand on its first message: ten reveals are three appointments and a bit.
    assert reveal_refusal("appointment", "notifications", now, 10, now) is None
    assert reveal_refusal("appointment", "notifications", now, 30, now) == "too_many_reveals"
