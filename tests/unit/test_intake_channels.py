"""intake's pure channel rules: status requests, repeats, languages, answers, signatures,
the rate limit, spreadsheet reading and the provider formats (no I/O)."""
import base64
import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest

from chassis import signatures
from chassis.errors import ApiError
from contracts.common import AgeGroup, Channel, Sex
from services.intake import domain
from services.intake.formats import gateway, kobo, spreadsheets, twilio, whatsapp
from services.intake.ratelimit import client_address, client_key, trusted_networks
from services.intake.settings import EndpointSettings, KoboFields

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, reference", [
    ("STATUT GN-2026-000042", "GN-2026-000042"),
    ("status gn-2026-000042", "GN-2026-000042"),
    ("  Statut:  GN 2026 000042 ?! ", "GN-2026-000042"),
    ("STATUS\tml-2025-001234.", "ML-2025-001234"),
    ("STATUT GN-2026-42", None),
    ("Quel est le statut de mon dossier GN-2026-000042 ?", None),
    ("STATUTGN-2026-000042", None),
])
def test_status_requests_are_recognised_with_tolerance(text, reference):
    assert domain.status_request_reference(text) == reference


def test_a_status_request_is_answered_in_the_language_of_its_keyword():
    assert domain.status_request_language("Statut GN-2026-000042") == "fr"
    assert domain.status_request_language("STATUS GN-2026-000042") == "en"


def test_the_repeat_fingerprint_ignores_case_and_spacing_but_not_words():
    assert domain.text_digest("Le paiement  est en RETARD") == domain.text_digest(" le paiement est en retard ")
    assert domain.text_digest("Le paiement est en retard") != domain.text_digest("Le paiement est arrivé")


@pytest.mark.parametrize("given, text, expected", [
    (None, "Bonjour, je n'ai pas reçu le paiement depuis trois mois", ("fr", True)),
    (None, "Hello, I have not received the payment since March", ("en", True)),
    (None, "ok", (None, False)),
    (None, "I ni ce, n ma wari sɔrɔ", (None, False)),
    ("ff", "Mi yiɗi ballal", ("ff", False)),
    ("fra", "Bonjour", ("fr", False)),
    ("bam", "I ni ce", ("bm", False)),
])
def test_language_is_taken_when_given_else_guessed_between_french_and_english(given, text, expected):
    assert domain.choose_language(given, text) == expected


def test_answers_to_disaggregation_questions_are_read_in_french_and_english():
    assert domain.read_sex("Femme") is Sex.FEMALE and domain.read_sex("H") is Sex.MALE
    assert domain.read_age_group("25_59") is AgeGroup.FROM_25_TO_59 and domain.read_age_group("17") is AgeGroup.UNDER_18
    assert domain.read_age_group("60") is AgeGroup.OVER_59 and domain.read_age_group("") is None
    assert domain.read_yes_no("oui") is True and domain.read_yes_no("No") is False
    for read, value in ((domain.read_sex, "peut-être"), (domain.read_age_group, "old"), (domain.read_yes_no, "bof")):
        with pytest.raises(domain.InvalidAnswer):
            read(value)


def test_twilio_signature_follows_the_documented_recipe():
    params = [("To", "+224620000001"), ("Body", "Bonjour"), ("From", "+224622123456")]
    url = "https://cfm.example.org/v1/channels/twilio/gn_sms_twilio"
    expected = base64.b64encode(hmac.new(b"token", (url + "BodyBonjourFrom+224622123456To+224620000001").encode(),
                                         hashlib.sha1).digest()).decode()
    assert signatures.twilio_valid("token", url, params, expected)
    assert not signatures.twilio_valid("token", url + "/", params, expected)
    assert not signatures.twilio_valid("token", url, params, None)


def test_meta_and_mailgun_signatures():
    body = b'{"object":"whatsapp_business_account"}'
    good = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert signatures.meta_valid("app-secret", body, good)
    assert not signatures.meta_valid("app-secret", body + b" ", good)
    assert not signatures.meta_valid("app-secret", body, good.removeprefix("sha256="))
    mailgun = hmac.new(b"key", b"1764061200abc123", hashlib.sha256).hexdigest()
    assert signatures.mailgun_valid("key", "1764061200", "abc123", mailgun)
    assert not signatures.mailgun_valid("key", "1764061201", "abc123", mailgun)


def test_a_shared_secret_is_accepted_in_its_header_or_as_basic_auth_password():
    assert signatures.shared_secret_valid("s3cret", None, "s3cret", None)
    assert signatures.shared_secret_valid("s3cret", "kobo", None, ("kobo", "s3cret"))
    assert not signatures.shared_secret_valid("s3cret", "kobo", None, ("other", "s3cret"))
    assert not signatures.shared_secret_valid("s3cret", None, "guess", ("x", "guess"))


def test_the_client_address_believes_forwarded_for_only_from_trusted_proxies():
    proxies = trusted_networks(["10.0.0.2", "172.16.0.0/12"])
    assert client_address("203.0.113.5", "198.51.100.1", proxies) == "203.0.113.5"
    assert client_address("10.0.0.2", "198.51.100.1, 203.0.113.7", proxies) == "203.0.113.7"
    assert client_address("10.0.0.2", "198.51.100.1, 10.0.0.2", proxies) == "198.51.100.1"
    assert client_address("172.20.3.4", "198.51.100.1, 172.16.0.9", proxies) == "198.51.100.1"


def test_a_client_is_counted_by_its_ipv4_address_or_its_ipv6_64():
    assert client_key("203.0.113.5") == "203.0.113.5"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:203.0.113.5") == "203.0.113.5"


def test_a_csv_from_french_excel_is_read_with_row_numbers():
    data = "narrative;sexe\r\n\r\nMerci beaucoup;F\r\n".encode("utf-8-sig")
    assert spreadsheets.read_rows(data, "text/csv", 10) == [(3, {"narrative": "Merci beaucoup", "sexe": "F"})]
    windows = "narrative,place\nÇa ne marche pas,Labé\n".encode("cp1252")
    assert spreadsheets.read_rows(windows, "text/csv", 10)[0][1]["narrative"] == "Ça ne marche pas"
    with pytest.raises(ApiError) as refused:
        spreadsheets.read_rows(b"narrative\na\nb\nc\n", "text/csv", 2)
    assert refused.value.code == "too_many_rows"


def test_identical_slips_in_one_box_are_distinct_but_stable_across_uploads():
    endpoint = EndpointSettings(provider="suggestion_box", country="GN", channel=Channel.SUGGESTION_BOX)
    rows = [(2, {"narrative": "Merci"}), (3, {"narrative": "Merci"})]
    first = spreadsheets.box_rows(rows, "box", endpoint, date(2026, 11, 20), "Africa/Conakry", "clerk")
    again = spreadsheets.box_rows(rows, "box", endpoint, date(2026, 11, 20), "Africa/Conakry", "clerk")
    assert first[0].key != first[1].key and [row.key for row in first] == [row.key for row in again]


TWILIO = EndpointSettings(provider="twilio", country="GN", channel=Channel.SMS, address="+224620000001", secret="t")


def test_twilio_numbers_are_compared_and_normalised_with_the_endpoint_country():
    form = {"MessageSid": "SM1", "From": "whatsapp:+224622123456", "To": "620 00 00 01", "Body": "Bonjour"}
    message = twilio.parse("gn_sms", TWILIO, form, NOW, 10)
    assert message.contact.phone == "+224622123456" and message.received_at == NOW
    with pytest.raises(ApiError) as refused:
        twilio.parse("gn_sms", TWILIO, {**form, "To": "+224620000009"}, NOW, 10)
    assert refused.value.code == "endpoint_mismatch"


def test_a_gateway_message_needs_an_offset_on_its_time():
    endpoint = EndpointSettings(provider="sms_gateway", country="ML", channel=Channel.SMS, secret="s")
    body = {"message_id": "1", "from": "76 12 34 56", "to": "36000", "text": "I ni ce"}
    assert gateway.parse("ml", endpoint, body, NOW).contact.phone == "+22376123456"
    with pytest.raises(ApiError):
        gateway.parse("ml", endpoint, {**body, "received_at": "2026-11-25T09:00:00"}, NOW)


def test_whatsapp_skips_what_it_does_not_take_and_keeps_media_as_references():
    endpoint = EndpointSettings(provider="whatsapp", country="GN", channel=Channel.WHATSAPP, address="1",
                                secret="s", verify_token="v")
    value = {"metadata": {"phone_number_id": "1"}, "contacts": [{"wa_id": "224622123456", "profile": {"name": "A"}}],
             "messages": [
                 {"from": "224622123456", "id": "w1", "timestamp": "1764061200", "type": "document",
                  "document": {"id": "m1", "mime_type": "application/pdf", "filename": "plainte.pdf",
                               "caption": "Ma plainte"}},
                 {"from": "224622123456", "id": "w2", "timestamp": "1764061200", "type": "unsupported"}]}
    delivery = whatsapp.parse("gn_wa", endpoint, {"object": "whatsapp_business_account",
                                                  "entry": [{"changes": [{"field": "messages", "value": value}]}]}, 10)
    [message] = delivery.messages
    assert delivery.unsupported == 1 and message.text == "Ma plainte"
    assert message.attachments[0].filename == "plainte.pdf" and message.attachments[0].ref == "m1"


def test_kobo_submission_time_is_utc_unless_the_endpoint_says_country():
    fields = KoboFields(narrative="q/text")
    body = {"q/text": "Bonjour", "_uuid": "u1", "_submission_time": "2026-11-25T09:00:00"}
    utc = EndpointSettings(provider="kobo", country="NG", channel=Channel.KOBO, secret="s", kobo_fields=fields)
    local = utc.model_copy(update={"kobo_submission_time_zone": "country"})
    assert kobo.parse("k", local, body, "Africa/Lagos", 10).received_at == datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert kobo.parse("k", utc, body, "Africa/Lagos", 10).received_at == datetime(2026, 11, 25, 9, tzinfo=UTC)


def test_an_endpoint_is_configured_for_a_channel_its_provider_can_bring():
    with pytest.raises(ValueError, match="cannot bring"):
        EndpointSettings(provider="mailgun", country="GN", channel=Channel.SMS, secret="s")
    with pytest.raises(ValueError, match="needs a secret"):
        EndpointSettings(provider="twilio", country="GN", channel=Channel.SMS)


def test_the_text_limits_intake_checks_are_the_contracts_own():
    from pydantic import ValidationError

    from contracts.common import ContactDetails, Location
    from contracts.events import FeedbackReceived
    assert ContactDetails(name="x" * domain.NAME_MAX_LENGTH) and Location(place="x" * domain.AREA_MAX_LENGTH)
    for build in (lambda: ContactDetails(name="x" * (domain.NAME_MAX_LENGTH + 1)),
                  lambda: Location(place="x" * (domain.AREA_MAX_LENGTH + 1)),
                  lambda: FeedbackReceived.model_validate({"narrative": "x" * (domain.MAX_NARRATIVE_LENGTH + 1)})):
        with pytest.raises(ValidationError, match="at most"):
            build()


def test_names_places_and_languages_are_read_as_text_and_refused_rather_than_cut():
    assert domain.read_name("  Fanta Camara ") == "Fanta Camara" and domain.read_name(" ") is None
    assert domain.read_area("Kindia") == "Kindia" and domain.read_area(None) is None
    assert domain.read_language("fra") == "fr" and domain.read_language("base") is None
    for read, value in ((domain.read_name, 224), (domain.read_name, "x" * 201), (domain.read_area, "x" * 101),
                        (domain.read_language, ["fr"])):
        with pytest.raises(domain.InvalidAnswer):
            read(value)


def test_whatever_a_parser_cannot_read_becomes_malformed_payload_without_the_value():
    from contracts.common import AttachmentRef
    from services.intake.formats.common import reading_payload
    with pytest.raises(ApiError) as refused, reading_payload():
        AttachmentRef(kind="document", ref="lettre.pdf", filename="secret-name-" * 30)
    assert refused.value.code == "malformed_payload" and refused.value.details[0]["field"] == "AttachmentRef.filename"
    assert "secret-name" not in str(refused.value.details)
    with pytest.raises(ApiError) as refused, reading_payload():
        {"text": "Bonjour"}["text"].get("body")
    assert refused.value.code == "malformed_payload" and refused.value.status == 422


def test_a_person_is_known_by_their_phone_and_by_their_email_never_by_name():
    from contracts.common import ContactDetails
    both = ContactDetails(name="Fanta", phone="+224622123456", email="Fanta.Camara@example.org")
    assert domain.contact_identities(both) == ["phone:+224622123456", "email:fanta.camara@example.org"]
    assert domain.contact_identities(ContactDetails(name="Fanta")) == [] and domain.contact_identities(None) == []


def test_an_xlsx_with_blank_spacer_rows_is_read_whole_or_refused_never_cut_short():
    from openpyxl import Workbook
    import io

    def workbook(slips: int, spacers: int) -> bytes:
        book = Workbook()
        book.active.append(["narrative"])
        for number in range(1, slips + 1):
            book.active.append([f"Slip {number}"])
            for _ in range(spacers):
                book.active.append([None])
                book.active.cell(row=book.active.max_row, column=2, value="")  # a row Excel keeps, blank
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    rows = spreadsheets.read_rows(workbook(3, 1), spreadsheets.XLSX_TYPE, 3)
    assert [values["narrative"] for _, values in rows] == ["Slip 1", "Slip 2", "Slip 3"]
    with pytest.raises(ApiError) as refused:
        spreadsheets.read_rows(workbook(4, 2), spreadsheets.XLSX_TYPE, 4)
    assert refused.value.code == "too_many_rows"
