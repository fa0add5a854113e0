"""intake's part of an approved erasure (services/cases/erasure.py tells the whole story).

The cases' data keys are destroyed, so every sealed copy of the messages is unreadable at once;
the messages' rows keep their facts (channel, times, country, endpoint, repeat) for the figures but
lose their text, typed details (places as typed, attachments) and text digest. For a complainant,
the contact leaves the vault (its row is emptied: the append-only reveal log still names it) and
the blind index, so the same number writing again is a new person. Status requests keep only
the reference and the (now empty) contact. Then the copies in the outbox and parked messages.
"""
from chassis.envelope import ERASED
from chassis.erasure import count_erased, identifiers, report_done, scrub_messaging
from contracts.envelope import Envelope
from contracts.events import ErasureApproved
from services.intake.repository import ERASED_KEY_ID


def erase(uow, settings, erasure: ErasureApproved, envelope: Envelope) -> None:
    with uow:
        if not uow.claim_message():
            return
        conn = uow.conn
        references = set(erasure.references)
        if erasure.contact_ref is not None:  # also messages of theirs cases has not opened yet
            references |= {row[0] for row in conn.execute(
                "SELECT DISTINCT reference FROM feedback WHERE contact_ref = %s", [erasure.contact_ref])}
        references = sorted(references)
        erased = {"data_keys": sum(settings.text_envelope.destroy(conn, reference) for reference in references)}
        erased["feedback"] = conn.execute(
            """UPDATE feedback SET narrative = %s, details = '{}', text_digest = NULL
               WHERE reference = ANY(%s) AND (narrative <> %s OR details <> '{}' OR text_digest IS NOT NULL)""",
            [ERASED, references, ERASED]).rowcount
        if erasure.contact_ref is not None:
            erased["contacts"] = conn.execute(
                """UPDATE contacts SET key_id = %s, nonce = ''::bytea, ciphertext = ''::bytea
                   WHERE contact_ref = %s AND key_id <> %s""",
                [ERASED_KEY_ID, erasure.contact_ref, ERASED_KEY_ID]).rowcount
            erased["contact_index"] = conn.execute("DELETE FROM contact_index WHERE contact_ref = %s",
                                                   [erasure.contact_ref]).rowcount
        erased.update(scrub_messaging(conn, identifiers(erasure) + references))
        report_done(uow, erasure, envelope, "intake", erased)
    count_erased("intake", erased)
