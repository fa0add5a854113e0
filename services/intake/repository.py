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


# The key id of a contact erased from the vault: the row stays (the reveal log refers to it), empty.
ERASED_KEY_ID = "erased"


def insert_contact(conn, contact_ref: UUID, sealed: SealedContact) -> None:
    conn.execute("INSERT INTO contacts (contact_ref, key_id, nonce, ciphertext) VALUES (%s, %s, %s, %s)",
                 [contact_ref, sealed.key_id, sealed.nonce, sealed.ciphertext])


def find_contact(conn, contact_ref: UUID) -> SealedContact | None:
    # An erased contact (services/intake/erasure.py) is no longer anyone's.
    row = conn.execute("SELECT key_id, nonce, ciphertext FROM contacts WHERE contact_ref = %s AND key_id <> %s",
                       [contact_ref, ERASED_KEY_ID]).fetchone()
    return SealedContact(row[0], bytes(row[1]), bytes(row[2])) if row else None


def log_contact_reveal(conn, contact_ref: UUID, purpose: str, requested_by: str, subject_id: UUID | None,
                       refused: str | None, referral_id: UUID | None = None, on_behalf_of: str | None = None) -> None:
    conn.execute("""INSERT INTO contact_reveals (contact_ref, purpose, requested_by, subject_id, refused, referral_id,
                                                 on_behalf_of)
                    VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                 [contact_ref, purpose, requested_by, subject_id, refused, referral_id, on_behalf_of])


def reveal_grounds(conn, purpose: str, contact_ref: UUID, subject_id: UUID | None) -> datetime | None:
    """When intake recorded what justifies revealing this contact for this purpose; None if nothing does."""
    if subject_id is None:
        return None
    if purpose == "status_reply":
        row = conn.execute("SELECT recorded_at FROM status_requests WHERE request_id = %s AND contact_ref = %s",
                           [subject_id, contact_ref]).fetchone()
    elif purpose == "referral":
        row = conn.execute(
            """SELECT recorded_at FROM feedback
               WHERE feedback_id = %s AND contact_ref = %s AND consent_share AND NOT repeat""",
            [subject_id, contact_ref]).fetchone()
    elif purpose == "withdrawal_confirmation":  # only where the country confirms withdrawals
        row = conn.execute("""SELECT recorded_at FROM consent_withdrawals
                              WHERE withdrawal_id = %s AND contact_ref = %s AND confirm""",
                           [subject_id, contact_ref]).fetchone()
    else:  # acknowledgement, callback, appointment, reply: the case's message, with consent to be contacted
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


def find_receipt(conn, endpoint: str, provider_message_id: str) -> dict | None:
    """The answer given when this message was recorded, or None (never recorded, or being recorded now)."""
    row = conn.execute("""SELECT receipt FROM provider_messages
                          WHERE endpoint = %s AND provider_message_id = %s AND receipt <> '{}'""",
                       [endpoint, provider_message_id]).fetchone()
    return row[0] if row else None


def claim_mailgun_token(conn, endpoint: str, token: str, provider_message_id: str) -> str | None:
    """Bind a Mailgun token to the email it brings; returns the email it was bound to before, if any.
    A concurrent delivery with the same token waits here for the first to commit."""
    inserted = conn.execute(
        """INSERT INTO mailgun_tokens (endpoint, token, provider_message_id) VALUES (%s, %s, %s)
           ON CONFLICT DO NOTHING""", [endpoint, token, provider_message_id]).rowcount
    if inserted:
        return None
    return conn.execute("SELECT provider_message_id FROM mailgun_tokens WHERE endpoint = %s AND token = %s",
                        [endpoint, token]).fetchone()[0]


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


# --- vault key rotation --------------------------------------------------------------------------

def lock_contacts_to_reseal(conn, active_key_id: str, after: UUID | None, limit: int) -> list[tuple]:
    """The next contacts (by contact_ref, after `after`) still sealed under another key than the
    active one, locked; rows another transaction holds are left for a later pass."""
    return conn.execute(
        """SELECT contact_ref, key_id, nonce, ciphertext FROM contacts
           WHERE key_id <> %s AND key_id <> %s AND (%s::uuid IS NULL OR contact_ref > %s::uuid)
           ORDER BY contact_ref LIMIT %s FOR UPDATE SKIP LOCKED""",
        [active_key_id, ERASED_KEY_ID, after, after, limit]).fetchall()


def reseal_contact(conn, contact_ref: UUID, previous_key_id: str, sealed: SealedContact) -> None:
    conn.execute("UPDATE contacts SET key_id = %s, nonce = %s, ciphertext = %s WHERE contact_ref = %s AND key_id = %s",
                 [sealed.key_id, sealed.nonce, sealed.ciphertext, contact_ref, previous_key_id])


def contacts_by_key(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT key_id, count(*) FROM contacts WHERE key_id <> %s GROUP BY key_id ORDER BY key_id",
                             [ERASED_KEY_ID]).fetchall())


def take_web_form_slot(conn, endpoint_id: str, client: str, limit: int, seconds: float) -> float | None:
    """Count one web form message of `client` on `endpoint_id` if fewer than `limit` were taken in
    the last `seconds`: None then, else the seconds until the oldest leaves the window. The
    database's clock, so replicas agree; one client's messages are serialised by a lock."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"web_form:{endpoint_id}:{client}"])
    window = "make_interval(secs => %s)"
    conn.execute(f"""DELETE FROM web_form_hits WHERE endpoint_id = %s AND client = %s
                     AND hit_at <= clock_timestamp() - {window}""", [endpoint_id, client, seconds])
    taken, wait = conn.execute(
        f"""SELECT count(*), EXTRACT(EPOCH FROM min(hit_at) + {window} - clock_timestamp())::float
            FROM web_form_hits WHERE endpoint_id = %s AND client = %s""", [seconds, endpoint_id, client]).fetchone()
    if taken >= limit:
        return wait
    conn.execute("INSERT INTO web_form_hits (endpoint_id, client) VALUES (%s, %s)", [endpoint_id, client])
    # Forget other clients' expired messages too; rows another transaction holds are left for later.
    conn.execute(f"""DELETE FROM web_form_hits WHERE ctid IN (
                         SELECT ctid FROM web_form_hits WHERE hit_at <= clock_timestamp() - {window}
                         LIMIT 100 FOR UPDATE SKIP LOCKED)""", [seconds])
    return None


# --- looking a caller up ---------------------------------------------------------------------------

def count_messages(conn, contact_ref: UUID, countries) -> int:
    """How many cases a person opened in these countries (repeats share their case)."""
    return conn.execute("""SELECT count(*) FROM feedback WHERE contact_ref = %s AND NOT repeat AND country = ANY(%s)""",
                        [contact_ref, sorted(countries)]).fetchone()[0]


def log_contact_lookup(conn, requested_by: str, role: str, country: str, contact_ref: UUID | None, shown: int) -> None:
    conn.execute("""INSERT INTO contact_lookups (requested_by, role, country, contact_ref, shown)
                    VALUES (%s, %s, %s, %s, %s)""", [requested_by, role, country, contact_ref, shown])


def last_message_per_channel(conn, countries: list[str]) -> dict[tuple[str, str], datetime]:
    """When each (country, channel) last brought a message, for the countries asked."""
    return {(country.strip(), channel): last for country, channel, last in conn.execute(
        """SELECT country, channel, max(received_at) FROM feedback WHERE country = ANY(%s)
           GROUP BY country, channel""", [countries]).fetchall()}
