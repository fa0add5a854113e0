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
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb

from contracts.events import AppointmentBooked, AppointmentCancelled, NotificationSentV2
from services.notifications import consent, domain, metrics
from services.notifications import repository
from services.notifications.handlers import SmsGuard, reveal_contact

log = logging.getLogger(__name__)
REMINDERS_PER_PASS = 100
_FACTS = ("appointment_id", "case_id", "reference", "country", "centre_name", "centre_address", "starts_at",
          "contact_ref", "feedback_id", "contact_verified", "language", "consent_callback")


@dataclass(frozen=True)
class Appointment:
    """What a message about one appointment needs (never the phone number: intake reveals it at sending)."""

    appointment_id: UUID
    case_id: UUID
    reference: str
    country: str
    centre_name: dict
    centre_address: dict
    starts_at: datetime
    contact_ref: UUID | None
    feedback_id: UUID
    contact_verified: bool | None
    language: str | None
    consent_callback: bool

    @classmethod
    def of(cls, event: AppointmentBooked | AppointmentCancelled, country: str) -> "Appointment":
        return cls(**{name: getattr(event, name) for name in _FACTS if name != "country"}, country=country)


@dataclass(frozen=True)
class Country:
    """The country's clock and languages, and who its SMS may go to."""

    timezone: str
    languages: list[str]
    guard: SmsGuard


def on_booked(uow, intake_rpc, sms, event: AppointmentBooked, country_code: str, country: Country,
              reminder_time: time, now: datetime) -> None:
    """Confirm the booking, and keep the appointment to remind the day before."""
    appointment = Appointment.of(event, country_code)
    remind_at = domain.reminder_due_at(event.starts_at, country.timezone, reminder_time)
    with uow:
        if not uow.claim_message():
            return
        uow.execute(
            """INSERT INTO appointment_reminders (appointment_id, case_id, reference, country, centre_name,
                                                  centre_address, starts_at, remind_at, contact_ref, feedback_id,
                                                  contact_verified, language, consent_callback)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (appointment_id) DO NOTHING""",
            [event.appointment_id, event.case_id, event.reference, country_code, Jsonb(event.centre_name),
             Jsonb(event.centre_address), event.starts_at,
             remind_at if domain.reminder_wanted(event.booked_at, remind_at) else None, event.contact_ref,
             event.feedback_id, event.contact_verified, event.language, event.consent_callback])
        cancelled = uow.execute("SELECT cancelled_at FROM appointment_reminders WHERE appointment_id = %s",
                                [event.appointment_id]).fetchone()[0]
        if cancelled is None:  # a cancellation that overtook its booking confirms alone
            send(uow, intake_rpc, sms, appointment, "appointment_confirmation", country, now)


def on_cancelled(uow, intake_rpc, sms, event: AppointmentCancelled, country_code: str, country: Country,
                 now: datetime) -> None:
    """No reminder any more; tell the person their appointment is cancelled."""
    with uow:
        if not uow.claim_message():
            return
        uow.execute("""INSERT INTO appointment_reminders (appointment_id, country, cancelled_at) VALUES (%s, %s, %s)
                       ON CONFLICT (appointment_id) DO UPDATE SET cancelled_at = excluded.cancelled_at""",
                    [event.appointment_id, country_code, event.cancelled_at])
        send(uow, intake_rpc, sms, Appointment.of(event, country_code), "appointment_cancellation", country, now)


def send_due_reminders(unit_of_work, intake_rpc, sms, country_of, now: datetime) -> int:
    """Remind every appointment whose reminder is due, each in its own transaction: one that fails (the
    provider down) is tried again at the next pass and does not hold up the others."""
    with unit_of_work() as uow:
        due = [row[0] for row in uow.execute(
            """SELECT appointment_id FROM appointment_reminders
               WHERE reminded_at IS NULL AND cancelled_at IS NULL AND remind_at <= %s AND starts_at > %s
               ORDER BY remind_at LIMIT %s""", [now, now, REMINDERS_PER_PASS]).fetchall()]
    sent = 0
    for appointment_id in due:
        try:
            with unit_of_work() as uow:
                row = uow.execute(
                    f"""SELECT {', '.join(_FACTS)}, remind_at FROM appointment_reminders
                        WHERE appointment_id = %s AND reminded_at IS NULL AND cancelled_at IS NULL
                        FOR UPDATE SKIP LOCKED""", [appointment_id]).fetchone()
                if row is None or not domain.reminder_due(row[-1], row[6], now):
                    continue  # another worker has it, or it was cancelled meanwhile
                appointment = Appointment(*row[:-1])
                uow.execute("UPDATE appointment_reminders SET reminded_at = %s WHERE appointment_id = %s",
                            [now, appointment_id])
                send(uow, intake_rpc, sms, appointment, "appointment_reminder", country_of(appointment.country), now)
                sent += 1
        except Exception:
            log.exception("an appointment reminder failed; tried again at the next pass",
                          extra={"appointment_id": str(appointment_id)})
    return sent


def send(uow, intake_rpc, sms, appointment: Appointment, purpose: str, country: Country, now: datetime) -> None:
    """One SMS about this appointment for this purpose, at most; a withheld one says why."""
    language = domain.message_language(appointment.language, country.languages)
    notification_id = uuid4()
    claimed = uow.execute(
        """INSERT INTO notifications (notification_id, appointment_id, case_id, reference, country, purpose, channel,
                                      language, sent_at)
           VALUES (%s, %s, %s, %s, %s, %s, 'sms', %s, %s)
           ON CONFLICT (appointment_id, purpose) WHERE appointment_id IS NOT NULL DO NOTHING""",
        [notification_id, appointment.appointment_id, appointment.case_id, appointment.reference,
         appointment.country, purpose, language, now]).rowcount == 1
    if not claimed:
        return

    def withhold(reason: str) -> None:
        repository.withhold(uow.conn, notification_id, appointment.contact_ref, reason)
        metrics.SMS_WITHHELD.labels(purpose, reason).inc()
        log.info("SMS about an appointment withheld", extra={"purpose": purpose, "reason": reason,
                                                             "appointment_id": str(appointment.appointment_id)})

    if appointment.contact_ref is None:
        return withhold("no_contact")
    if not appointment.consent_callback:
        return withhold("no_consent")
    if domain.unverified_contact(appointment.contact_verified):
        return withhold("unverified_contact")  # not even revealed
    if consent.withdrawn(uow.conn, appointment.contact_ref):
        return withhold(consent.WITHHELD)
    contact = reveal_contact(intake_rpc, appointment.contact_ref, "appointment", feedback_id=appointment.feedback_id)
    if contact is None:
        return withhold(consent.WITHHELD)
    if contact.phone is None:
        return withhold("no_phone")
    reason = country.guard.withheld(uow.conn, appointment.contact_ref, contact.phone, now)
    if reason is not None:
        return withhold(reason)
    provider_message_id = sms.send(country=appointment.country, to=contact.phone, body=domain.appointment_text(
        purpose, language, appointment.reference, appointment.starts_at, country.timezone, appointment.centre_name,
        appointment.centre_address))
    repository.record_provider_message(uow.conn, notification_id, provider_message_id, appointment.contact_ref)
    uow.emit(NotificationSentV2(
        notification_id=notification_id, case_id=appointment.case_id, reference=appointment.reference,
        purpose=purpose, channel="sms", language=language, sent_at=now, provider_message_id=provider_message_id,
    ), country=appointment.country)
