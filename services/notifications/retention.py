"""notifications' retention: what it keeps to time its messages, once that time has passed.

`whatsapp_sessions` (2 days by default, one period for every country: the rows carry none): when each
contact last wrote on WhatsApp, which opens the 24-hour window for free-text replies. Past the window a
row only says that a person once wrote; it goes.

`appointment_reminders` (per country, 30 days after the appointment by default): what the reminder the
day before needs (centre, time, the case's reference and contact pseudonym). Once the appointment is
past, nothing is left to remind.
"""
from chassis.retention import Due, RetentionKind


def _count_sessions(conn, due: Due) -> int:
    return conn.execute("SELECT count(*) FROM whatsapp_sessions WHERE last_inbound_at < %s",
                        [due.cutoff]).fetchone()[0]


def _delete_sessions(uow, due: Due, limit: int) -> int:
    return uow.execute(
        """DELETE FROM whatsapp_sessions WHERE contact_ref IN (
               SELECT contact_ref FROM whatsapp_sessions WHERE last_inbound_at < %s
               LIMIT %s FOR UPDATE SKIP LOCKED)""", [due.cutoff, limit]).rowcount


def _count_reminders(conn, due: Due) -> int:
    return conn.execute("SELECT count(*) FROM appointment_reminders WHERE country = %s AND starts_at < %s",
                        [due.country, due.cutoff]).fetchone()[0]


def _delete_reminders(uow, due: Due, limit: int) -> int:
    return uow.execute(
        """DELETE FROM appointment_reminders WHERE appointment_id IN (
               SELECT appointment_id FROM appointment_reminders WHERE country = %s AND starts_at < %s
               LIMIT %s FOR UPDATE SKIP LOCKED)""", [due.country, due.cutoff, limit]).rowcount


WHATSAPP_SESSIONS = RetentionKind("whatsapp_sessions", per_country=False, count=_count_sessions,
                                  apply=_delete_sessions)
APPOINTMENT_REMINDERS = RetentionKind("appointment_reminders", per_country=True, count=_count_reminders,
                                      apply=_delete_reminders)
KINDS = (WHATSAPP_SESSIONS, APPOINTMENT_REMINDERS)
