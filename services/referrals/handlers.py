"""Referrals' use case: refer a sensitive case to its protection partner."""
from datetime import datetime
from uuid import uuid4

from contracts.envelope import Envelope
from contracts.events import CaseOpened, ReferralCreated
from services.referrals import domain, repository


def refer_case(uow, case: CaseOpened, envelope: Envelope, partners, now: datetime) -> None:
    emergency = case.priority == "emergency"
    referral = ReferralCreated(
        referral_id=uuid4(), case_id=case.case_id, reference=case.reference,
        partner_id=domain.choose_partner(partners, case.category_code), category_code=case.category_code,
        emergency=emergency, share_contact=domain.may_share_contact(case.consent.share_with_partners,
                                                                    case.category_code),
        created_at=now, respond_by=domain.respond_by(now, emergency),
    )
    with uow:
        if not uow.claim_message():
            return
        status = "sent" if referral.partner_id else "needs_routing"
        if repository.insert_referral(uow.conn, referral, envelope.country, status):
            uow.emit(referral, country=envelope.country)
