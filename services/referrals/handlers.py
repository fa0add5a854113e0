"""Referrals' use cases: refer a sensitive case to its protection partner, take the partner's
answer, and mark the referrals a partner left unanswered for too long."""
from datetime import datetime
from uuid import UUID, uuid4

from chassis.errors import ApiError
from contracts.envelope import Envelope
from contracts.events import CaseOpened, ReferralAnswered, ReferralCreated, ReferralOverdue
from services.referrals import domain, repository

OVERDUE_BATCH = 500


def refer_case(uow, case: CaseOpened, envelope: Envelope, partners, response_times, now: datetime) -> None:
    emergency = case.priority == "emergency"
    referral = ReferralCreated(
        referral_id=uuid4(), case_id=case.case_id, reference=case.reference,
        partner_id=domain.choose_partner(partners, case.category_code), category_code=case.category_code,
        emergency=emergency, share_contact=domain.may_share_contact(case.consent.share_with_partners,
                                                                    case.category_code),
        created_at=now, respond_by=domain.respond_by(now, emergency, response_times.partner,
                                                     response_times.emergency),
    )
    with uow:
        if not uow.claim_message():
            return
        status = "sent" if referral.partner_id else "needs_routing"
        if repository.insert_referral(uow.conn, referral, envelope.country, status):
            uow.emit(referral, country=envelope.country)


def answer_referral(uow, referral_id: UUID, *, partner_id: str, answered_by: str, accepted: bool,
                    decline_reason: str | None, now: datetime) -> dict:
    """Record the partner's accept or decline and tell the platform; returns the referral as listed."""
    with uow:
        referral = repository.lock_partner_referral(uow.conn, referral_id, partner_id)
        if referral is None:
            # Someone else's referral answers as one that does not exist.
            raise ApiError(404, "referral_not_found", "There is no referral with this id for your organisation.")
        if not domain.awaits_answer(referral["status"]):
            raise ApiError(409, "referral_already_answered", f"This referral was {referral['status']} already.")
        view = repository.record_answer(uow.conn, referral_id, status="accepted" if accepted else "declined",
                                        answered_at=now, answered_by=answered_by, decline_reason=decline_reason)
        uow.emit(ReferralAnswered(
            referral_id=referral_id, case_id=referral["case_id"], reference=referral["reference"],
            partner_id=partner_id, accepted=accepted, answered_at=now, answered_by=answered_by,
            decline_reason=decline_reason,
        ), country=referral["country"])
    return view


def mark_overdue_referrals(uow, now: datetime) -> int:
    """Mark the referrals past their respond_by; the mark and its event commit together, so each fires once."""
    with uow:
        overdue = repository.mark_overdue(uow.conn, now, OVERDUE_BATCH)
        for referral in overdue:
            uow.emit(ReferralOverdue(
                referral_id=referral["referral_id"], case_id=referral["case_id"], reference=referral["reference"],
                partner_id=referral["partner_id"], emergency=referral["emergency"],
                respond_by=referral["respond_by"], marked_at=now,
            ), country=referral["country"])
    return len(overdue)
