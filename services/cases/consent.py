"""The complainant withdrew their consent (ConsentWithdrawn from intake): every case of that contact
stops asking for a callback or for sharing with a partner, says so on its timeline, and tells
referrals (`CaseConsentWithdrawn`), which stops sharing the contact with partners."""
from contracts.events import CaseConsentWithdrawn, ConsentWithdrawn

ACTOR = "system"


def withdraw_consent(uow, event: ConsentWithdrawn, now) -> int:
    """Returns how many cases were marked."""
    with uow:
        if not uow.claim_message():
            return 0
        rows = uow.execute(
            """UPDATE cases SET consent_callback = false, consent_share = false, version = version + 1
               WHERE contact_ref = %s RETURNING case_id, reference, country, version, status, restricted""",
            [event.contact_ref]).fetchall()
        for case_id, reference, country, version, status, restricted in rows:
            uow.execute("""INSERT INTO case_history (case_id, version, at, actor, action, detail)
                           VALUES (%s, %s, %s, %s, 'consent_withdrawn', %s)""",
                        [case_id, version, now, ACTOR, f'{{"channel": "{event.channel.value}"}}'])
            uow.emit(CaseConsentWithdrawn(case_id=case_id, reference=reference, case_version=version, status=status,
                                          restricted=restricted, at=now, by=ACTOR), country=country)
        return len(rows)
