"""The complainant withdrew their consent (CaseConsentWithdrawn from cases): the case's referrals no
longer share the contact with their partner (`share_contact` false, so a partner's request for it is
refused), and a referral made later for the case does not either. A threat to life is the exception
the sharing rule already makes without consent (domain.may_share_contact)."""
from services.referrals import domain


def withdraw_consent(uow, event) -> None:
    with uow:
        if not uow.claim_message():
            return
        uow.execute("""INSERT INTO consent_withdrawn_cases (case_id, withdrawn_at) VALUES (%s, %s)
                       ON CONFLICT (case_id) DO NOTHING""", [event.case_id, event.at])
        for referral_id, category_code in uow.execute(
                "SELECT referral_id, category_code FROM referrals WHERE case_id = %s FOR UPDATE",
                [event.case_id]).fetchall():
            uow.execute("UPDATE referrals SET share_contact = %s WHERE referral_id = %s",
                        [domain.may_share_contact(False, category_code), referral_id])


def withdrawn(conn, case_id) -> bool:
    return conn.execute("SELECT 1 FROM consent_withdrawn_cases WHERE case_id = %s", [case_id]).fetchone() is not None
