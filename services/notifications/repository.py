"""All of notifications' SQL."""


def already_sent(conn, case_id, purpose: str) -> bool:
    return conn.execute("SELECT 1 FROM notifications WHERE case_id = %s AND purpose = %s FOR UPDATE",
                        [case_id, purpose]).fetchone() is not None


def insert_notification(conn, *, notification_id, case_id, reference, country, purpose, channel, language,
                        provider_message_id, sent_at) -> None:
    conn.execute(
        """INSERT INTO notifications (notification_id, case_id, reference, country, purpose, channel, language,
                                      provider_message_id, sent_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [notification_id, case_id, reference, country, purpose, channel, language, provider_message_id, sent_at])
