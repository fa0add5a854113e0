"""Messages about appointments at a reception centre (booked by cases): the confirmation, the reminder the
day before (a timer, from this service's own table), and the cancellation.

Each is one intent, at most one SMS per appointment and purpose: its row in `notifications` is taken before
the contact is revealed, so a redelivered event or a second pass of the timer texts nobody. Never to a person
who did not agree to be contacted, whose number is unverified or who withdrew consent (SmsGuard and
intake's own check of the reveal, purpose `appointment`, on the case's first message).
"""
import logging
from dataclasses import dataclass
from datetime import datetime, time
from uuid import uuid4

from contracts.events import AppointmentBooked, AppointmentCancelled, NotificationSentV2
from services.notifications import consent, domain, metrics, repository
from services.notifications.handlers import SmsGuard, reveal_contact

log = logging.getLogger(__name__)
REMINDERS_PER_PASS = 100


@dataclass(frozen=True)
class Country:
    """The country's clock and languages, and who its SMS may go to."""

    timezone: str
    languages: list[str]
    guard: SmsGuard


def facts_of(event: AppointmentBooked | AppointmentCancelled, country: str) -> dict:
    """What a message about the appointment needs (never the number: intake reveals it at sending)."""
    return {**{name: getattr(event, name) for name in repository.APPOINTMENT_FACTS if name != "country"},
            "country": country}


def on_booked(uow, intake_rpc, sms, event: AppointmentBooked, country_code: str, country: Country,
              reminder_time: time, now: datetime) -> None:
    """Confirm the booking, and keep the appointment to remind the day before."""
    remind_at = domain.reminder_due_at(event.starts_at, country.timezone, reminder_time)
    with uow:
        if not uow.claim_message():
            return
        facts = facts_of(event, country_code)
        still_booked = repository.keep_appointment(
            uow.conn, facts, remind_at if domain.reminder_wanted(event.booked_at, remind_at) else None)
        if still_booked:  # a cancellation that overtook its booking confirms alone
            send(uow, intake_rpc, sms, facts, "appointment_confirmation", country, now)


def on_cancelled(uow, intake_rpc, sms, event: AppointmentCancelled, country_code: str, country: Country,
                 now: datetime) -> None:
    """No reminder any more; tell the person their appointment is cancelled."""
    with uow:
        if not uow.claim_message():
            return
        repository.cancel_appointment_reminder(uow.conn, event.appointment_id, country_code, event.cancelled_at)
        send(uow, intake_rpc, sms, facts_of(event, country_code), "appointment_cancellation", country, now)


def send_due_reminders(unit_of_work, intake_rpc, sms, country_of, now: datetime) -> int:
    """Remind every appointment whose reminder is due, each in its own transaction: one that fails (the
    provider down) is tried again at the next pass and does not hold up the others."""
    with unit_of_work() as uow:
        due = repository.reminders_due(uow.conn, now, REMINDERS_PER_PASS)
    sent = 0
    for appointment_id in due:
        try:
            with unit_of_work() as uow:
                taken = repository.take_reminder(uow.conn, appointment_id, now)
                if taken is None or not domain.reminder_due(taken[1], taken[0]["starts_at"], now):
                    continue
                facts = taken[0]
                send(uow, intake_rpc, sms, facts, "appointment_reminder", country_of(facts["country"]), now)
                sent += 1
        except Exception:
            log.exception("an appointment reminder failed; tried again at the next pass",
                          extra={"appointment_id": str(appointment_id)})
    return sent


def send(uow, intake_rpc, sms, facts: dict, purpose: str, country: Country, now: datetime) -> None:
    """One SMS about this appointment for this purpose, at most; a withheld one says why."""
    language = domain.message_language(facts["language"], country.languages)
    notification_id = uuid4()
    if not repository.claim_appointment_message(
            uow.conn, notification_id=notification_id, appointment_id=facts["appointment_id"],
            case_id=facts["case_id"], reference=facts["reference"], country=facts["country"], purpose=purpose,
            language=language, sent_at=now):
        return
    contact_ref = facts["contact_ref"]

    def withhold(reason: str) -> None:
        repository.withhold(uow.conn, notification_id, contact_ref, reason)
        metrics.SMS_WITHHELD.labels(purpose, reason).inc()
        log.info("SMS about an appointment withheld", extra={"purpose": purpose, "reason": reason,
                                                             "appointment_id": str(facts["appointment_id"])})

    if contact_ref is None:
        return withhold("no_contact")
    if not facts["consent_callback"]:
        return withhold("no_consent")
    if domain.unverified_contact(facts["contact_verified"]):
        return withhold("unverified_contact")  # not even revealed
    if consent.withdrawn(uow.conn, contact_ref):
        return withhold(consent.WITHHELD)
    contact = reveal_contact(intake_rpc, contact_ref, "appointment", feedback_id=facts["feedback_id"])
    if contact is None:
        return withhold(consent.WITHHELD)
    if contact.phone is None:
        return withhold("no_phone")
    reason = country.guard.withheld(uow.conn, contact_ref, contact.phone, now)
    if reason is not None:
        return withhold(reason)
    provider_message_id = sms.send(country=facts["country"], to=contact.phone, body=domain.appointment_text(
        purpose, language, facts["reference"], facts["starts_at"], country.timezone, facts["centre_name"],
        facts["centre_address"]))
    repository.record_provider_message(uow.conn, notification_id, provider_message_id, contact_ref)
    uow.emit(NotificationSentV2(
        notification_id=notification_id, case_id=facts["case_id"], reference=facts["reference"], purpose=purpose,
        channel="sms", language=language, sent_at=now, provider_message_id=provider_message_id,
    ), country=facts["country"])
