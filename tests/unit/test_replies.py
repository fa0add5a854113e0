"""Replies from a case: the template's words filled with the case's fields only, WhatsApp's 24-hour
window, and a reply's delivery state that only moves forward."""
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.cases.replies import check_can_reply, moves_forward
from services.notifications.reply_templates import (
    RepliesSettings, ReplyTemplate, inside_whatsapp_window, render, whatsapp_parameters,
)

UPDATE = ReplyTemplate(id="case_update", label="Case update", text="Your case {reference} {status}.",
                       whatsapp={"name": "cfm_case_update", "language": "en", "parameters": ["reference", "status"]})
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def test_a_reply_names_the_reference_and_the_status_in_the_persons_words():
    fields = {"reference": "GN-2026-000042", "status": "referred"}
    # A referred case reads as being handled: a partner having it would hint that the case is sensitive.
    assert render(UPDATE, fields, "en") == "Your case GN-2026-000042 is being handled."
    french = UPDATE.model_copy(update={"text": "Votre dossier {reference} {status}."})
    assert render(french, fields, "fr") == "Votre dossier GN-2026-000042 est en cours de traitement."
    assert whatsapp_parameters(UPDATE, fields, "en") == ["GN-2026-000042", "is being handled"]


@pytest.mark.parametrize("text", ["Dear {name}", "Your case {reference.__class__}", "{status!r}", "{0}",
                                  "{reference:>40}"])
def test_a_template_naming_anything_but_the_case_fields_is_refused_at_start_up(text):
    with pytest.raises(ValidationError):
        ReplyTemplate(id="bad", label="Bad", text=text)


def test_a_whatsapp_template_fills_only_case_fields_and_ids_are_unique_per_language():
    with pytest.raises(ValidationError):
        ReplyTemplate(id="bad", label="Bad", text="{reference}",
                      whatsapp={"name": "cfm_bad", "language": "fr", "parameters": ["phone"]})
    with pytest.raises(ValidationError):
        RepliesSettings(templates={"GN": {"fr": [UPDATE, UPDATE]}})
    book = RepliesSettings(templates={"GN": {"fr": [UPDATE], "ff": []}})
    assert book.find("GN", "fr", "case_update") == UPDATE
    assert book.find("GN", "en", "case_update") is None and book.find("ML", "fr", "case_update") is None
    assert book.languages("GN") == ["fr"]  # a language without templates is not offered


def test_whatsapp_takes_free_text_only_within_24_hours_of_the_persons_last_message():
    assert inside_whatsapp_window(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not inside_whatsapp_window(NOW - timedelta(hours=24), NOW)
    assert not inside_whatsapp_window(None, NOW)  # never wrote on WhatsApp: a template only
    assert not inside_whatsapp_window(NOW + timedelta(minutes=5), NOW)  # a clock ahead is no window
    assert inside_whatsapp_window(NOW - timedelta(hours=2), NOW, window=timedelta(hours=3))


def test_a_replys_state_only_moves_forward_and_withheld_ends_it():
    assert moves_forward("requested", "queued") and moves_forward("sent", "delivered")
    assert moves_forward("delivered", "read") and moves_forward("sent", "failed")
    assert not moves_forward("delivered", "sent") and not moves_forward("delivered", "failed")
    assert not moves_forward("withheld", "queued")


def test_a_case_without_contact_or_consent_gets_no_reply():
    from chassis.errors import Refused
    with pytest.raises(Refused) as refused:
        check_can_reply({"contact_ref": None, "consent_callback": True})
    assert refused.value.code == "no_contact"
    with pytest.raises(Refused) as refused:
        check_can_reply({"contact_ref": "c0ffee", "consent_callback": False})
    assert refused.value.code == "no_consent"
    check_can_reply({"contact_ref": "c0ffee", "consent_callback": True})


def test_intake_reveals_a_contact_for_a_reply_to_notifications_only_while_the_case_is_being_worked():
    from services.intake.domain import reveal_refusal
    assert reveal_refusal("reply", "notifications", NOW - timedelta(days=30), 0, NOW) is None
    assert reveal_refusal("reply", "notifications", NOW - timedelta(days=91), 0, NOW) == "grounds_too_old"
    assert reveal_refusal("reply", "referrals", NOW, 0, NOW) == "requester_not_allowed"
    assert reveal_refusal("reply", "notifications", None, 0, NOW) == "no_grounds"  # no consent on record
    assert reveal_refusal("reply", "notifications", NOW, 10, NOW) is None  # a case is worked for weeks
    assert reveal_refusal("reply", "notifications", NOW, 30, NOW) == "too_many_reveals"


def test_every_state_reason_and_template_of_a_reply_has_words_in_the_console():
    from chassis.settings import load_settings
    from services.cases.replies import RANK
    from services.console.i18n import CATALOG
    from services.notifications.settings import NotificationsSettings
    book = load_settings(NotificationsSettings, "notifications").replies  # the shipped templates are valid
    template_ids = {template.id for languages in book.templates.values() for templates in languages.values()
                    for template in templates}
    assert {"case_update", "information_needed", "case_resolved"} <= template_ids
    assert all(book.languages(country) == ["fr", "en"] for country in ("GN", "ML", "SN", "NE", "NG", "GM"))
    reasons = ("consent_withdrawn", "unverified_contact", "no_phone", "prefix_not_allowed", "daily_limit",
               "unknown_template", "no_whatsapp_template", "channel_not_configured", "reveal_refused",
               "provider_refused", "reveal_no_grounds", "reveal_grounds_too_old", "reveal_too_many_reveals")
    keys = ([f"replies.state.{state}" for state in RANK] + [f"replies.reason.{reason}" for reason in reasons]
            + [f"replies.template.{template_id}" for template_id in template_ids]
            + [f"action.reply_{state}" for state in RANK])
    assert [key for key in keys if key not in CATALOG] == []
