"""All of notifications' SQL."""
from psycopg.types.json import Jsonb


def already_sent(conn, case_id, purpose: str) -> bool:
    return conn.execute("SELECT 1 FROM notifications WHERE case_id = %s AND purpose = %s FOR UPDATE",
                        [case_id, purpose]).fetchone() is not None


def insert_notification(conn, *, notification_id, case_id, reference, country, purpose, channel, language,
                        provider_message_id, sent_at, contact_ref=None, withheld=None) -> None:
    conn.execute(
        """INSERT INTO notifications (notification_id, case_id, reference, country, purpose, channel, language,
                                      provider_message_id, sent_at, contact_ref, withheld)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [notification_id, case_id, reference, country, purpose, channel, language, provider_message_id, sent_at,
         contact_ref, withheld])


def lock_contact(conn, contact_ref) -> None:
    """Serialise the SMS to one contact, so that two at once cannot both pass the daily cap."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"sms-to:{contact_ref}"])


def sms_sent_since(conn, contact_ref, since) -> int:
    return conn.execute(
        """SELECT count(*) FROM notifications
           WHERE contact_ref = %s AND sent_at >= %s AND withheld IS NULL""", [contact_ref, since]).fetchone()[0]


def withhold(conn, notification_id, contact_ref, reason: str) -> None:
    conn.execute("UPDATE notifications SET withheld = %s, contact_ref = %s WHERE notification_id = %s",
                 [reason, contact_ref, notification_id])


def claim_status_reply(conn, *, notification_id, request_id, case_id, reference, country, language,
                       sent_at) -> bool:
    """Take the request's one reply; False when it was answered already (or is being answered)."""
    return conn.execute(
        """INSERT INTO notifications (notification_id, request_id, case_id, reference, country, purpose, channel,
                                      language, sent_at)
           VALUES (%s, %s, %s, %s, %s, 'status_reply', 'sms', %s, %s) ON CONFLICT (request_id) DO NOTHING""",
        [notification_id, request_id, case_id, reference, country, language, sent_at]).rowcount == 1


def claim_satisfaction_question(conn, *, notification_id, survey_id, case_id, reference, country, language,
                                sent_at) -> bool:
    """Take the survey's one question; False when it was sent already (or is being sent)."""
    return conn.execute(
        """INSERT INTO notifications (notification_id, survey_id, case_id, reference, country, purpose, channel,
                                      language, sent_at)
           VALUES (%s, %s, %s, %s, %s, 'satisfaction_question', 'sms', %s, %s) ON CONFLICT (survey_id) DO NOTHING""",
        [notification_id, survey_id, case_id, reference, country, language, sent_at]).rowcount == 1


def record_provider_message(conn, notification_id, provider_message_id: str, contact_ref=None) -> None:
    conn.execute("UPDATE notifications SET provider_message_id = %s, contact_ref = %s WHERE notification_id = %s",
                 [provider_message_id, contact_ref, notification_id])


def record_alert(conn, *, alert_id, event_id, country, case_id, reference, reason, deadline_kind, due_at,
                 alerted_at, restricted=False):
    """The alert for an event, created on its first delivery; returns its id either way."""
    conn.execute(
        """INSERT INTO staff_alerts (alert_id, event_id, country, case_id, reference, reason, deadline_kind, due_at,
                                     alerted_at, restricted)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING""",
        [alert_id, event_id, country, case_id, reference, reason, deadline_kind, due_at, alerted_at, restricted])
    return conn.execute("SELECT alert_id FROM staff_alerts WHERE event_id = %s", [event_id]).fetchone()[0]


def alerted_for_case(conn, case_id, reason: str, *, other_than_event) -> bool:
    return conn.execute("SELECT 1 FROM staff_alerts WHERE case_id = %s AND reason = %s AND event_id <> %s LIMIT 1",
                        [case_id, reason, other_than_event]).fetchone() is not None


def claim_alert_message(conn, alert_id, recipient: str, sent_at) -> bool:
    """Take the one SMS of this alert for this recipient; False when it went out already."""
    return conn.execute(
        """INSERT INTO staff_alert_messages (alert_id, recipient, sent_at) VALUES (%s, %s, %s)
           ON CONFLICT DO NOTHING""", [alert_id, recipient, sent_at]).rowcount == 1


def record_alert_message_sent(conn, alert_id, recipient: str, provider_message_id: str) -> None:
    conn.execute("UPDATE staff_alert_messages SET provider_message_id = %s WHERE alert_id = %s AND recipient = %s",
                 [provider_message_id, alert_id, recipient])


def recent_alerts(conn, country: str, limit: int) -> list[dict]:
    rows = conn.execute(
        """SELECT a.alert_id, a.country, a.reference, a.reason, a.deadline_kind, a.due_at, a.alerted_at, a.restricted,
                  coalesce(array_agg(m.recipient ORDER BY m.recipient)
                           FILTER (WHERE m.provider_message_id IS NOT NULL), '{}')
           FROM staff_alerts a LEFT JOIN staff_alert_messages m USING (alert_id)
           WHERE a.country = %s
           GROUP BY a.alert_id
           ORDER BY a.alerted_at DESC, a.alert_id
           LIMIT %s""", [country, limit]).fetchall()
    keys = ("alert_id", "country", "reference", "reason", "deadline_kind", "due_at", "alerted_at", "restricted",
            "recipients")
    return [dict(zip(keys, row)) for row in rows]


def message_for_receipt(conn, provider_message_id: str) -> dict | None:
    """The message a receipt is about, locked until the transaction ends (two receipts at once queue up)."""
    row = conn.execute(
        """SELECT notification_id, case_id, reference, country, purpose, channel, delivery_state
           FROM notifications WHERE provider_message_id = %s FOR UPDATE""", [provider_message_id]).fetchone()
    keys = ("notification_id", "case_id", "reference", "country", "purpose", "channel", "delivery_state")
    return dict(zip(keys, row)) if row else None


def record_delivery_state(conn, notification_id, state: str, error_code: str | None, at) -> None:
    conn.execute(
        """UPDATE notifications SET delivery_state = %s, delivery_error = %s, delivery_updated_at = %s
           WHERE notification_id = %s""", [state, error_code, at, notification_id])


# --- appointments at a reception centre (appointments.py) ---------------------------------------------

APPOINTMENT_FACTS = ("appointment_id", "case_id", "reference", "country", "centre_name", "centre_address",
                     "starts_at", "contact_ref", "feedback_id", "contact_verified", "language", "consent_callback")


def keep_appointment(conn, facts: dict, remind_at) -> bool:
    """Keep a booked appointment to remind (remind_at None: no reminder); False when its cancellation came
    first (and nothing is to be confirmed)."""
    conn.execute(
        f"""INSERT INTO appointment_reminders ({', '.join(APPOINTMENT_FACTS)}, remind_at)
            VALUES ({', '.join(['%s'] * (len(APPOINTMENT_FACTS) + 1))}) ON CONFLICT (appointment_id) DO NOTHING""",
        [Jsonb(facts[name]) if name in ("centre_name", "centre_address") else facts[name]
         for name in APPOINTMENT_FACTS] + [remind_at])
    return conn.execute("SELECT cancelled_at IS NULL FROM appointment_reminders WHERE appointment_id = %s",
                        [facts["appointment_id"]]).fetchone()[0]


def cancel_appointment_reminder(conn, appointment_id, country: str, cancelled_at) -> None:
    """No reminder for this appointment, even when its booking has not arrived yet."""
    conn.execute("""INSERT INTO appointment_reminders (appointment_id, country, cancelled_at) VALUES (%s, %s, %s)
                    ON CONFLICT (appointment_id) DO UPDATE SET cancelled_at = excluded.cancelled_at""",
                 [appointment_id, country, cancelled_at])


def reminders_due(conn, now, limit: int) -> list:
    return [row[0] for row in conn.execute(
        """SELECT appointment_id FROM appointment_reminders
           WHERE reminded_at IS NULL AND cancelled_at IS NULL AND remind_at <= %s AND starts_at > %s
           ORDER BY remind_at LIMIT %s""", [now, now, limit]).fetchall()]


def take_reminder(conn, appointment_id, now) -> tuple[dict, object] | None:
    """The appointment's facts and reminder time, marked reminded in this transaction; None when another
    worker has it or it was reminded or cancelled meanwhile."""
    row = conn.execute(
        f"""SELECT {', '.join(APPOINTMENT_FACTS)}, remind_at FROM appointment_reminders
            WHERE appointment_id = %s AND reminded_at IS NULL AND cancelled_at IS NULL
            FOR UPDATE SKIP LOCKED""", [appointment_id]).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE appointment_reminders SET reminded_at = %s WHERE appointment_id = %s", [now, appointment_id])
    return dict(zip(APPOINTMENT_FACTS, row)), row[-1]


def claim_appointment_message(conn, *, notification_id, appointment_id, case_id, reference, country, purpose,
                              language, sent_at) -> bool:
    """Take the one message of this purpose about this appointment; False when it was taken already."""
    return conn.execute(
        """INSERT INTO notifications (notification_id, appointment_id, case_id, reference, country, purpose, channel,
                                      language, sent_at)
           VALUES (%s, %s, %s, %s, %s, %s, 'sms', %s, %s)
           ON CONFLICT (appointment_id, purpose) WHERE appointment_id IS NOT NULL DO NOTHING""",
        [notification_id, appointment_id, case_id, reference, country, purpose, language, sent_at]).rowcount == 1


# --- replies from a case (replies.py) ------------------------------------------------------------------


def claim_reply(conn, *, reply_id, case_id, reference, country, channel, language, template_id, sent_at) -> bool:
    """Take the reply's one message; False when it was sent (or withheld, or is being sent) already."""
    return conn.execute(
        """INSERT INTO notifications (notification_id, case_id, reference, country, purpose, channel, language,
                                      template_id, sent_at)
           VALUES (%s, %s, %s, %s, 'reply', %s, %s, %s, %s) ON CONFLICT (notification_id) DO NOTHING""",
        [reply_id, case_id, reference, country, channel, language, template_id, sent_at]).rowcount == 1


def record_whatsapp_form(conn, notification_id, form: str) -> None:
    conn.execute("UPDATE notifications SET whatsapp_form = %s WHERE notification_id = %s", [form, notification_id])


def record_inbound_whatsapp(conn, contact_ref, at) -> None:
    conn.execute(
        """INSERT INTO whatsapp_sessions (contact_ref, last_inbound_at) VALUES (%s, %s)
           ON CONFLICT (contact_ref) DO UPDATE SET last_inbound_at = greatest(
               whatsapp_sessions.last_inbound_at, excluded.last_inbound_at)""", [contact_ref, at])


def last_inbound_whatsapp(conn, contact_ref):
    row = conn.execute("SELECT last_inbound_at FROM whatsapp_sessions WHERE contact_ref = %s",
                       [contact_ref]).fetchone()
    return row[0] if row else None


def forget_whatsapp_session(conn, erasure) -> dict[str, int]:
    """An erased complainant's last WhatsApp time (an erasure's own part in notifications)."""
    if erasure.contact_ref is None:
        return {"whatsapp_sessions": 0}
    return {"whatsapp_sessions": conn.execute("DELETE FROM whatsapp_sessions WHERE contact_ref = %s",
                                              [erasure.contact_ref]).rowcount}


def known_unverified(conn, contact_ref) -> bool:
    """The contact's acknowledgement was withheld because the person typed the number (CaseOpened said
    contact_verified=false): nothing goes to it, a reply included."""
    return conn.execute("""SELECT 1 FROM notifications WHERE contact_ref = %s AND withheld = 'unverified_contact'
                           LIMIT 1""", [contact_ref]).fetchone() is not None
