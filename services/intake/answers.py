"""Bare keyword answers by SMS or WhatsApp: "1"/"OUI", "2"/"NON", "ANNULER" and their words in each language.

The platform asks people short questions (is the answer to your complaint satisfying? you have an appointment,
reply ANNULER to cancel). A message from a person's own number whose whole text is one of those words (case,
accents, spacing and punctuation aside, as for stop words) is an answer, not a new complaint: intake records
that an answer came (not the text) and publishes `ReplyReceived` with its meaning. The service that asked
matches it to its own open question; a sentence that merely contains "non" is a complaint as ever.
"""
from dataclasses import dataclass
from uuid import UUID, uuid4

from contracts.events import ReplyReceived
from contracts.http import MessageReceipt
from services.intake.consent import WITHDRAWING_CHANNELS, normalised

ANSWERS = ("yes", "no", "cancel")


@dataclass(frozen=True)
class Answer:
    meaning: str                # yes | no | cancel
    language: str | None        # the language whose word it was; None when several share it ("1")


def answer_of(text: str, words_by_language: dict[str, dict[str, list[str]]]) -> Answer | None:
    """The meaning of a message that is only one answer word, else None. `words_by_language`:
    {"fr": {"yes": ["1", "OUI"], "no": [...], "cancel": [...]}, ...}."""
    words = normalised(text)
    if not words:
        return None
    found = {(meaning, language) for language, by_meaning in words_by_language.items()
             for meaning, listed in by_meaning.items() if words in {normalised(word) for word in listed}}
    meanings = {meaning for meaning, _ in found}
    if len(meanings) != 1:
        return None  # not an answer word, or one the country gave two meanings: a message like any other
    languages = {language for _, language in found}
    return Answer(meanings.pop(), languages.pop() if len(languages) == 1 else None)


def recognised(message, contact_ref: UUID | None, settings) -> Answer | None:
    """The answer this message is, when it comes from a person's own number on SMS or WhatsApp."""
    if contact_ref is None or not message.may_ask_status or message.channel not in WITHDRAWING_CHANNELS:
        return None
    return answer_of(message.text, settings.answers.words_of(message.country))


def record(uow, message, contact_ref: UUID, answer: Answer) -> MessageReceipt:
    reply_id = uuid4()
    language = message.language or answer.language
    uow.execute("""INSERT INTO keyword_replies (reply_id, contact_ref, country, channel, endpoint, answer, received_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                [reply_id, contact_ref, message.country, message.channel, message.endpoint_id, answer.meaning,
                 message.received_at])
    uow.emit(ReplyReceived(reply_id=reply_id, contact_ref=contact_ref, channel=message.channel,
                           answer=answer.meaning, received_at=message.received_at, language=language),
             country=message.country)
    return MessageReceipt(status="reply_received")
