"""Consent withdrawn (ConsentWithdrawn from intake): no SMS goes to that contact any more, but the one
confirming it where the country's configuration asks for one (`consent.confirm` in intake's config).

notifications records the contact and withholds every later SMS to it (`consent_withdrawn`, counted
like the other withheld SMS). intake refuses the contact's reveal on grounds recorded before the
withdrawal as well, so an SMS already on its way when the withdrawal came is withheld too.
"""
from nameko.exceptions import RemoteError

from services.notifications import domain, metrics

WITHHELD = "consent_withdrawn"


def record_withdrawal(uow, event, confirm_by_sms=None) -> None:
    """Record the withdrawal; where the event asks for it, `confirm_by_sms(uow)` sends the one SMS
    that confirms it, in the same transaction (a redelivery finds the message claimed and sends nothing)."""
    with uow:
        if not uow.claim_message():
            return
        uow.execute("""INSERT INTO consent_withdrawals (contact_ref, withdrawn_at) VALUES (%s, %s)
                       ON CONFLICT (contact_ref) DO UPDATE SET withdrawn_at = greatest(
                           consent_withdrawals.withdrawn_at, excluded.withdrawn_at)""",
                    [event.contact_ref, event.received_at])
        if event.confirm and confirm_by_sms is not None:
            confirm_by_sms(uow)


def withdrawn(conn, contact_ref) -> bool:
    return conn.execute("SELECT 1 FROM consent_withdrawals WHERE contact_ref = %s",
                        [contact_ref]).fetchone() is not None


def refused_for_withdrawal(exc: Exception) -> bool:
    """intake refused the reveal because the person withdrew their consent."""
    return isinstance(exc, RemoteError) and exc.exc_type == "RevealRefused" and WITHHELD in str(exc.value)


def confirm_withdrawal(uow, reveal, intake_rpc, sms, event, country: str, language: str,
                       allowed_prefixes: list[str]) -> None:
    """The one SMS that may still go to the contact: "you will receive no more messages". intake reveals
    the contact for this purpose only where the country confirms withdrawals."""
    purpose = "withdrawal_confirmation"
    contact = reveal(intake_rpc, event.contact_ref, purpose, withdrawal_id=event.withdrawal_id)
    if contact is None or contact.phone is None:
        return
    reason = domain.sms_withheld(contact.phone, allowed_prefixes, sent_in_last_day=0, daily_limit=1)
    if reason is not None:
        uow.execute("UPDATE consent_withdrawals SET confirmation_withheld = %s WHERE contact_ref = %s",
                    [reason, event.contact_ref])
        metrics.SMS_WITHHELD.labels(purpose, reason).inc()
        return
    provider_message_id = sms.send(country=country, to=contact.phone, body=domain.WITHDRAWAL_CONFIRMATIONS[language])
    uow.execute("""UPDATE consent_withdrawals SET confirmed_at = now(), confirmation_provider_message_id = %s
                   WHERE contact_ref = %s""", [provider_message_id, event.contact_ref])
