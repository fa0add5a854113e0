"""Pure rules of intake, notifications, reporting and settings."""
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from chassis.settings import ServiceSettings, load_settings
from contracts.common import Channel, Consent
from contracts.envelope import Envelope
from contracts.events import CaseOpened
from services.intake.domain import InvalidPhoneNumber, format_reference, normalize_phone
from services.notifications.domain import acknowledgement_text, message_language
from services.reporting.domain import case_opened_document, scrub


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


def _case(restricted: bool, narrative: str) -> tuple[CaseOpened, Envelope]:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    case = CaseOpened(case_id=uuid4(), reference="GN-2026-000001", feedback_id=uuid4(), channel=Channel.HOTLINE,
                      narrative=narrative, received_at=now, opened_at=now, sensitive=restricted,
                      restricted=restricted, priority="normal", deadline_kind="acknowledge", deadline_at=now,
                      consent=Consent())
    return case, Envelope.wrap(case, country="GN", producer="cases", correlation_id=uuid4())


def test_a_restricted_case_is_indexed_without_its_narrative():
    assert case_opened_document(*_case(True, "abus sexuel par le gardien"))["narrative"] is None
    assert case_opened_document(*_case(False, "retard de paiement"))["narrative"] == "retard de paiement"


def test_environment_overrides_win_over_files_and_json_values_are_parsed():
    settings = load_settings(ServiceSettings, "cases", environ={
        "CFM__DATABASE__URL": "postgresql://elsewhere/cfm", "CFM__HTTP__PORT": "9002",
        "CFM__CONSUMER__ATTEMPTS": "7", "UNRELATED": "x"})
    assert settings.database.url == "postgresql://elsewhere/cfm"
    assert settings.http.port == 9002 and settings.consumer.attempts == 7
    assert settings.countries["GN"].timezone == "Africa/Conakry"
