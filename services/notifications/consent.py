"""Consent withdrawn (ConsentWithdrawn from intake): no SMS goes to that contact any more.

notifications records the contact and withholds every later SMS to it (`consent_withdrawn`, counted
like the other withheld SMS). intake refuses the contact's reveal on grounds recorded before the
withdrawal as well, so an SMS already on its way when the withdrawal came is withheld too.
"""
from nameko.exceptions import RemoteError

WITHHELD = "consent_withdrawn"


def record_withdrawal(uow, event) -> None:
    with uow:
        if uow.claim_message():
            uow.execute("""INSERT INTO consent_withdrawals (contact_ref, withdrawn_at) VALUES (%s, %s)
                           ON CONFLICT (contact_ref) DO UPDATE SET withdrawn_at = greatest(
                               consent_withdrawals.withdrawn_at, excluded.withdrawn_at)""",
                        [event.contact_ref, event.received_at])


def withdrawn(conn, contact_ref) -> bool:
    return conn.execute("SELECT 1 FROM consent_withdrawals WHERE contact_ref = %s",
                        [contact_ref]).fetchone() is not None


def refused_for_withdrawal(exc: Exception) -> bool:
    """intake refused the reveal because the person withdrew their consent."""
    return isinstance(exc, RemoteError) and exc.exc_type == "RevealRefused" and WITHHELD in str(exc.value)
