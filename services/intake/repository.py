"""All of intake's SQL."""
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


def log_contact_reveal(conn, contact_ref: UUID, purpose: str, requested_by: str) -> None:
    conn.execute("INSERT INTO contact_reveals (contact_ref, purpose, requested_by) VALUES (%s, %s, %s)",
                 [contact_ref, purpose, requested_by])


def insert_feedback(conn, *, feedback_id, reference, country, channel, language, narrative, received_at,
                    contact_ref, consent, submitted_by) -> None:
    conn.execute(
        """INSERT INTO feedback (feedback_id, reference, country, channel, language, narrative, received_at,
                                 contact_ref, consent_callback, consent_share, submitted_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [feedback_id, reference, country, channel, language, narrative, received_at, contact_ref,
         consent.callback, consent.share_with_partners, submitted_by])
