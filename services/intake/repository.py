"""All of intake's SQL."""
import json
from datetime import datetime, timedelta
from uuid import UUID

from services.intake.vault import SealedContact


def next_reference_number(conn, country: str, year: int) -> int:
    return conn.execute(
        """INSERT INTO reference_counters (country, year, last_number) VALUES (%s, %s, 1)
           ON CONFLICT (country, year) DO UPDATE SET last_number = reference_counters.last_number + 1
           RETURNING last_number""", [country, year]).fetchone()[0]


def insert_contact(conn, contact_ref: UUID, sealed: SealedContact) -> None:
    conn.execute("INSERT INTO contacts (contact_ref, key_id, nonce, ciphertext) VALUES (%s, %s, %s, %s)",
                 [contact_ref, sealed.key_id, sealed.nonce, sealed.ciphertext])


def find_contact(conn, contact_ref: UUID) -> SealedContact | None:
    row = conn.execute("SELECT key_id, nonce, ciphertext FROM contacts WHERE contact_ref = %s",
                       [contact_ref]).fetchone()
    return SealedContact(row[0], bytes(row[1]), bytes(row[2])) if row else None


def log_contact_reveal(conn, contact_ref: UUID, purpose: str, requested_by: str, subject_id: UUID | None,
                       refused: str | None) -> None:
    conn.execute("""INSERT INTO contact_reveals (contact_ref, purpose, requested_by, subject_id, refused)
                    VALUES (%s, %s, %s, %s, %s)""", [contact_ref, purpose, requested_by, subject_id, refused])


def reveal_grounds(conn, purpose: str, contact_ref: UUID, subject_id: UUID | None) -> datetime | None:
    """When intake recorded what justifies revealing this contact for this purpose; None if nothing does."""
    if subject_id is None:
        return None
    if purpose == "status_reply":
        row = conn.execute("SELECT recorded_at FROM status_requests WHERE request_id = %s AND contact_ref = %s",
                           [subject_id, contact_ref]).fetchone()
    else:
        row = conn.execute(
            """SELECT recorded_at FROM feedback
               WHERE feedback_id = %s AND contact_ref = %s AND consent_callback AND NOT repeat""",
            [subject_id, contact_ref]).fetchone()
    return row[0] if row else None


def count_reveals(conn, purpose: str, subject_id: UUID) -> int:
    return conn.execute("""SELECT count(*) FROM contact_reveals
                           WHERE subject_id = %s AND purpose = %s AND refused IS NULL""",
                        [subject_id, purpose]).fetchone()[0]


def lock_contact_identity(conn, blind_index: bytes) -> None:
    """Serialise two messages of one person arriving at once (one contact_ref, one first message)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [blind_index.hex()])


def find_indexed_contact(conn, blind_index: bytes) -> UUID | None:
    row = conn.execute("SELECT contact_ref FROM contact_index WHERE blind_index = %s", [blind_index]).fetchone()
    return row[0] if row else None


def index_contact(conn, blind_index: bytes, contact_ref: UUID) -> None:
    conn.execute("INSERT INTO contact_index (blind_index, contact_ref) VALUES (%s, %s)", [blind_index, contact_ref])


def claim_provider_message(conn, endpoint: str, provider_message_id: str) -> dict | None:
    """Claim a provider's message id for this transaction; returns the earlier receipt when the
    message was recorded before (a retry). A concurrent retry waits here for the first to commit."""
    inserted = conn.execute(
        """INSERT INTO provider_messages (endpoint, provider_message_id, receipt) VALUES (%s, %s, '{}')
           ON CONFLICT DO NOTHING""", [endpoint, provider_message_id]).rowcount
    if inserted:
        return None
    return conn.execute("SELECT receipt FROM provider_messages WHERE endpoint = %s AND provider_message_id = %s",
                        [endpoint, provider_message_id]).fetchone()[0]


def save_receipt(conn, endpoint: str, provider_message_id: str, receipt: dict) -> None:
    conn.execute("UPDATE provider_messages SET receipt = %s WHERE endpoint = %s AND provider_message_id = %s",
                 [json.dumps(receipt), endpoint, provider_message_id])


def find_first_message(conn, contact_ref: UUID, digest: bytes, received_at: datetime,
                       window: timedelta) -> str | None:
    """The reference of this contact's first message with the same text within the window."""
    row = conn.execute(
        """SELECT reference FROM feedback
           WHERE contact_ref = %s AND text_digest = %s AND NOT repeat
             AND received_at BETWEEN %s AND %s
           ORDER BY received_at LIMIT 1""",
        [contact_ref, digest, received_at - window, received_at + window]).fetchone()
    return row[0] if row else None


def insert_feedback(conn, *, feedback_id, reference, country, channel, language, narrative, received_at,
                    contact_ref, consent, submitted_by, endpoint=None, provider_message_id=None, repeat=False,
                    language_detected=False, text_digest=None, details=None) -> None:
    conn.execute(
        """INSERT INTO feedback (feedback_id, reference, country, channel, language, narrative, received_at,
                                 contact_ref, consent_callback, consent_share, submitted_by, endpoint,
                                 provider_message_id, repeat, language_detected, text_digest, details)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [feedback_id, reference, country, channel, language, narrative, received_at, contact_ref,
         consent.callback, consent.share_with_partners, submitted_by, endpoint, provider_message_id, repeat,
         language_detected, text_digest, json.dumps(details or {})])


def insert_status_request(conn, *, request_id, reference, contact_ref, channel, endpoint, received_at) -> None:
    conn.execute(
        """INSERT INTO status_requests (request_id, reference, contact_ref, channel, endpoint, received_at)
           VALUES (%s, %s, %s, %s, %s, %s)""", [request_id, reference, contact_ref, channel, endpoint, received_at])


def insert_call(conn, endpoint: str, call) -> bool:
    """False when this call id was recorded before on this endpoint."""
    return conn.execute(
        """INSERT INTO calls (endpoint, call_id, started_at, outcome, wait_seconds, duration_seconds, agent_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        [endpoint, call.call_id, call.started_at, call.outcome, call.wait_seconds, call.duration_seconds,
         call.agent_id]).rowcount == 1


def lock_batch(conn, endpoint: str, file_sha256: str) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"batch:{endpoint}:{file_sha256}"])


def find_batch_report(conn, endpoint: str, file_sha256: str) -> dict | None:
    row = conn.execute("SELECT report FROM batch_uploads WHERE endpoint = %s AND file_sha256 = %s",
                       [endpoint, file_sha256]).fetchone()
    return row[0] if row else None


def insert_batch(conn, endpoint: str, file_sha256: str, uploaded_by: str, report: dict) -> None:
    conn.execute("INSERT INTO batch_uploads (endpoint, file_sha256, uploaded_by, report) VALUES (%s, %s, %s, %s)",
                 [endpoint, file_sha256, uploaded_by, json.dumps(report)])
