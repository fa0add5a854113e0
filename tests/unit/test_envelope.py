"""Sealing texts under a case's data key (chassis/envelope.py): what a reader of the table, or of
another case's key, cannot get back."""
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chassis.envelope import DataKey, TextEnvelope


def key(subject="case-1"):
    return DataKey(subject, AESGCM(AESGCM.generate_key(bit_length=256)))


def test_a_sealed_text_shows_nothing_of_the_text_and_opens_with_its_key():
    case_key = key()
    sealed = TextEnvelope.seal(case_key, "Le gardien Moussa m'a frappée à Kindia")
    assert sealed.startswith("enc:v1:") and "Moussa" not in sealed and "Kindia" not in sealed
    assert TextEnvelope.open(case_key, sealed) == "Le gardien Moussa m'a frappée à Kindia"
    assert TextEnvelope.seal(case_key, "même texte") != TextEnvelope.seal(case_key, "même texte")


def test_a_text_copied_onto_another_case_does_not_open():
    sealed = TextEnvelope.seal(key("case-1"), "texte")
    same_key_other_case = DataKey("case-2", key("case-1").cipher)
    with pytest.raises(InvalidTag):
        TextEnvelope.open(same_key_other_case, sealed)


def test_without_its_key_an_erased_case_text_reads_as_nothing_and_older_plain_text_as_it_was():
    assert TextEnvelope.open(None, TextEnvelope.seal(key(), "texte")) == ""
    assert TextEnvelope.open(None, "écrit avant le chiffrement") == "écrit avant le chiffrement"
    assert TextEnvelope.open(key(), None) is None


def test_the_active_master_key_must_be_in_the_ring_and_of_aes_256_length():
    with pytest.raises(ValueError):
        TextEnvelope({"m1": b"x" * 32}, "m2")
    with pytest.raises(ValueError):
        TextEnvelope({"m1": b"short"}, "m1")


def test_a_scrubbed_event_keeps_its_facts_and_loses_its_text_and_attachments():
    from chassis.erasure import scrub_envelope

    body = {"type": "feedback_received", "country": "GN", "payload": {
        "reference": "GN-2026-000001", "narrative": "Le gardien Moussa", "channel": "sms",
        "attachments": [{"kind": "image", "ref": "photo-moussa.jpg"}], "respondent": {"sex": "female"}}}
    scrubbed = scrub_envelope(body)
    assert scrubbed["payload"] == {"reference": "GN-2026-000001", "narrative": "[erased]", "channel": "sms",
                                   "attachments": [], "respondent": {"sex": "female"}}
    assert scrub_envelope(scrubbed) == scrubbed  # a second erasure changes nothing


def test_reportings_journal_keeps_the_placeholder_a_case_opened_needs_and_no_text():
    from services.reporting.erasure import without_text

    opened = {"type": "case_opened", "payload": {"narrative": "texte", "channel": "sms"}}
    classified = {"type": "case_classified", "payload": {"narrative": "texte", "category_code": 6}}
    assert without_text(opened)["payload"] == {"narrative": "[not kept]", "channel": "sms"}
    assert without_text(classified)["payload"] == {"narrative": None, "category_code": 6}
