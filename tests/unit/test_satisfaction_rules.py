"""Satisfaction after closure: which words answer, which case is asked, which reply answers which survey,
and how the answers are reported."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.envelope import Envelope
from contracts.events import SatisfactionAnswered
from services.cases.satisfaction import Policy, answers, wanted
from services.intake.answers import answer_of
from services.intake.settings import AnswerSettings
from services.notifications.domain import satisfaction_question_text
from services.notifications.settings import SatisfactionSettings
from services.reporting.domain import apply_event

WORDS = AnswerSettings(national_words={"ML": {"bm": {"yes": ["1", "AWO"], "no": ["2", "AYI"]}}})


@pytest.mark.parametrize("text, meaning, language", [
    ("1", "yes", None), ("OUI", "yes", "fr"), (" oui. ", "yes", "fr"), ("Yes!", "yes", "en"),
    ("2", "no", None), ("non", "no", "fr"), ("NO", "no", "en"), ("Annuler", "cancel", "fr"),
    ("cancel", "cancel", "en"),
])
def test_a_bare_answer_word_means_yes_no_or_cancel_in_its_language(text, meaning, language):
    answer = answer_of(text, WORDS.words_of("GN"))
    assert (answer.meaning, answer.language) == (meaning, language)


def test_a_countrys_national_language_answers_there_and_only_there():
    assert answer_of("Awo", WORDS.words_of("ML")).language == "bm"
    assert answer_of("Awo", WORDS.words_of("GN")) is None


@pytest.mark.parametrize("text", ["Non, je n'ai toujours rien reçu", "oui mais le paiement manque", "12", "",
                                  "!!!", "STOP", "1 2", "nonnon", "STATUT GN-2026-000042"])
def test_a_message_that_is_more_or_other_than_an_answer_word_is_a_complaint(text):
    assert answer_of(text, WORDS.words_of("GN")) is None


def test_a_word_a_country_gave_two_meanings_answers_nothing():
    words = {"fr": {"yes": ["1"]}, "xx": {"no": ["1"]}}
    assert answer_of("1", words) is None


CLOSED = {"contact_ref": uuid4(), "consent_callback": True, "contact_verified": True, "restricted": False,
          "no_contact_reason": None}
ON = Policy(enabled=True, reply_window_days=7)


def test_a_consenting_complainant_with_a_verified_number_is_asked():
    assert wanted(CLOSED, ON)


@pytest.mark.parametrize("change", [
    {"contact_ref": None}, {"consent_callback": False}, {"contact_verified": False}, {"contact_verified": None},
    {"restricted": True}, {"no_contact_reason": "Numéro injoignable"},
])
def test_nobody_is_asked_without_consent_a_verified_number_or_contact_nor_about_a_restricted_case(change):
    assert not wanted({**CLOSED, **change}, ON)


def test_a_country_that_turned_the_question_off_asks_nobody():
    assert not wanted(CLOSED, Policy(enabled=False, reply_window_days=7))


ASKED = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.mark.parametrize("after, answered", [
    (timedelta(minutes=3), True), (timedelta(days=7), True), (timedelta(days=7, seconds=1), False),
    (timedelta(seconds=-1), False),
])
def test_a_reply_answers_a_survey_within_its_window_only(after, answered):
    assert answers(ASKED, ASKED + timedelta(days=7), ASKED + after) is answered


def test_the_question_is_in_the_cases_language_and_names_only_the_reference():
    texts = SatisfactionSettings().questions
    assert satisfaction_question_text(texts, "fr", "GN-2026-000042").startswith("Votre dossier GN-2026-000042")
    assert "Reply 1 for YES, 2 for NO" in satisfaction_question_text(texts, "en", "GN-2026-000042")
    assert satisfaction_question_text(texts, "ff", "GN-2026-000042").startswith("Your case")  # no words yet


def test_the_case_document_keeps_the_answer_for_the_report():
    event = SatisfactionAnswered(survey_id=uuid4(), case_id=uuid4(), reference="GN-2026-000042", satisfied=False,
                                 answered_at=ASKED)
    document = apply_event({"channel": "sms", "category_code": 4}, Envelope.wrap(
        event, country="GN", producer="cases", correlation_id=uuid4()), event)
    assert (document["satisfied"], document["satisfaction_answered_at"]) == (False, ASKED.isoformat())
    assert (document["channel"], document["category_code"]) == ("sms", 4)


def test_the_managers_report_page_shows_percent_satisfied_by_country_channel_and_category():
    from services.console import web
    from services.console.i18n import translate
    from services.console.pages.manager import _satisfaction_figures

    def line(key, answered, satisfied, share):
        return {"key": key, "answered": answered, "satisfied": satisfied, "share_satisfied": share}
    withheld = {"key": "sms", "answered": None, "satisfied": None, "share_satisfied": None, "suppressed": True}
    satisfaction = {"answered": 9, "satisfied": 6, "share_satisfied": 0.667, "by_country": [line("GN", 9, 6, 0.667)],
                    "by_channel": [line("hotline", 6, 5, 0.833), withheld],
                    "by_category": [line("4", 9, 6, 0.667)]}
    t = lambda key, **values: translate("en", key, **values)  # noqa: E731
    figures = _satisfaction_figures(satisfaction, lambda prefix, key: t(prefix + key), t)
    assert figures["percent"] == 67
    assert [(group["caption"], [(row["label"], row["percent"]) for row in group["rows"]])
            for group in figures["groups"]] == [
        ("Satisfaction by country", [("Guinea", 67)]),
        ("Satisfaction by channel", [("Hotline", 83), ("SMS", None)]),
        ("Satisfaction by category", [(t("category.4"), 67)])]
    html = web.templates.get_template("_satisfaction_report.html").render(t=t, figures={"satisfaction": figures})
    sms_row = html.split('<th scope="row">SMS</th>', 1)[1].split("</tr>", 1)[0]
    assert sms_row == "<td>&lt;5</td><td>&lt;5</td><td>&lt;5</td>"  # a line of 1 to 4 answers: no percentage
    assert "83%" in html and "a figure from 1 to 4 withheld" in html  # the note that says what <5 means
    assert _satisfaction_figures(None, None, t) is None  # a report stored before answers were counted


def test_the_report_page_withholds_what_a_total_of_one_to_four_answers_said():
    from services.console import web
    from services.console.i18n import translate
    from services.console.pages.manager import _satisfaction_figures

    t = lambda key, **values: translate("en", key, **values)  # noqa: E731
    withheld = {"key": "GN", "answered": None, "satisfied": None, "share_satisfied": None, "suppressed": True}
    figures = _satisfaction_figures({"answered": 1, "satisfied": None, "share_satisfied": None, "suppressed": True,
                                     "by_country": [withheld], "by_channel": [], "by_category": []},
                                    lambda prefix, key: t(prefix + key), t)
    html = web.templates.get_template("_satisfaction_report.html").render(t=t, figures={"satisfaction": figures})
    summary = html.split('<p class="hint">', 1)[1].split("</p>", 1)[0]
    assert summary == "Answers: 1 · satisfied: &lt;5"  # how many answered, not what they said: no percentage

