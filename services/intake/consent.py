"""Consent withdrawal by SMS: "STOP", "ARRET", "STOP ALL" and the country's national-language words.

A message from a person's own number whose whole text is one of the country's stop words (whatever
its case, accents, spacing or punctuation: "Arrêt !", " stop  all ") is not a new complaint. intake
records the withdrawal (not the words) and publishes `ConsentWithdrawn`: notifications sends nothing
more to the contact, cases marks the person's cases and referrals stops sharing the contact with
partners. intake itself refuses from then on to reveal the contact for any grounds recorded before the
withdrawal (an acknowledgement or callback of an earlier message, a status request asked before), so
the stop holds at once, even before the other services have read the event. A later message in which
the person asks again (a status request, a call where they agree to be called back) is new grounds.
"""
import re
import unicodedata
from datetime import datetime
from uuid import UUID, uuid4

from contracts.common import Channel
from contracts.events import ConsentWithdrawn
from contracts.http import MessageReceipt

# Only a person writing from their own number can withdraw this way.
WITHDRAWING_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


def normalised(text: str) -> str:
    """Lower case, without accents, punctuation or extra spaces: "  Arrêt ! " -> "arret"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[\W_]+", " ", letters).split())


def is_stop_word(text: str, stop_words: list[str]) -> bool:
    """True when the whole message is one of the stop words (a sentence that contains "stop" is a
    complaint, not a withdrawal)."""
    words = normalised(text)
    return bool(words) and words in {normalised(word) for word in stop_words}


def is_withdrawal(message, contact_ref: UUID | None, settings) -> bool:
    return (contact_ref is not None and message.may_ask_status and message.channel in WITHDRAWING_CHANNELS
            and is_stop_word(message.text, settings.consent.stop_words_of(message.country)))


def withdraw(uow, settings, message, contact_ref: UUID) -> MessageReceipt:
    withdrawal_id = uuid4()
    confirm = settings.consent.confirm.get(message.country, False)
    uow.execute("""INSERT INTO consent_withdrawals
                       (withdrawal_id, contact_ref, country, channel, endpoint, received_at, confirm)
                   VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                [withdrawal_id, contact_ref, message.country, message.channel, message.endpoint_id,
                 message.received_at, confirm])
    uow.emit(ConsentWithdrawn(withdrawal_id=withdrawal_id, contact_ref=contact_ref, channel=message.channel,
                              received_at=message.received_at, language=message.language, confirm=confirm),
             country=message.country)
    return MessageReceipt(status="consent_withdrawn")


def reveal_refusal(conn, purpose: str, contact_ref: UUID, grounds_recorded_at: datetime | None) -> str | None:
    """`consent_withdrawn` when the person withdrew their consent after intake recorded the grounds (the
    confirmation of the withdrawal itself excepted)."""
    if grounds_recorded_at is None or purpose == "withdrawal_confirmation":
        return None
    withdrawn = conn.execute("""SELECT 1 FROM consent_withdrawals WHERE contact_ref = %s AND recorded_at >= %s
                                LIMIT 1""", [contact_ref, grounds_recorded_at]).fetchone()
    return "consent_withdrawn" if withdrawn else None
