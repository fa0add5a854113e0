"""Referrals' use cases: refer a sensitive case to its protection partner, take the partner's
answer, let a focal point re-route it to another partner, and mark the referrals a partner left unanswered for too long."""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from nameko.exceptions import RemoteError

from chassis.errors import ApiError
from contracts.events import CaseClassified, CaseOpened, ReferralAnswered, ReferralCreated, ReferralOverdue
from contracts.rpc import RevealContactRequest, RevealContactResponse
from services.referrals import consent, directory, domain, repository

OVERDUE_BATCH = 500


@dataclass(frozen=True)
class CaseToRefer:
    """What referring a case needs, from the event that made it sensitive."""

    case_id: UUID
    reference: str
    category_code: int | None
    emergency: bool
    share_with_partners: bool
    feedback_id: UUID | None = None    # what intake checks a partner's request for the contact against
    contact_ref: UUID | None = None
    case_version: int = 1              # of the event that made it sensitive: a later release wins
    area: str | None = None            # what the partner directory routes by, where the case says
    language: str | None = None

    @classmethod
    def opened(cls, case: CaseOpened) -> "CaseToRefer":
        return cls(case.case_id, case.reference, case.category_code, case.priority == "emergency",
                   case.consent.share_with_partners, case.feedback_id, case.contact_ref, 1, case.area, case.language)

    @classmethod
    def classified(cls, case: CaseClassified) -> "CaseToRefer":
        # Without the consent (an event from before the field existed) the contact is not shared.
        return cls(case.case_id, case.reference, case.category_code, case.priority == "emergency",
                   bool(case.share_with_partners), case.feedback_id, case.contact_ref, case.case_version)


def refer_case(uow, case: CaseToRefer, country: str, partners, response_times, now: datetime) -> None:
    """Refer the case to the partner of its category, unless it has a live referral already
    (a case opened as sensitive, then confirmed by a person, is referred once)."""
    referral = ReferralCreated(
        referral_id=uuid4(), case_id=case.case_id, reference=case.reference,
        partner_id=directory.choose_partner(partners, case.category_code, case.emergency, area=case.area,
                                            language=case.language),
        category_code=case.category_code,
        emergency=case.emergency, share_contact=domain.may_share_contact(case.share_with_partners,
                                                                         case.category_code),
        created_at=now, respond_by=domain.respond_by(now, case.emergency, response_times.partner,
                                                     response_times.emergency),
    )
    with uow:
        if not uow.claim_message() or repository.released_since(uow.conn, case.case_id, case.case_version):
            return
        if consent.withdrawn(uow.conn, case.case_id):  # the person withdrew consent before the referral
            referral = referral.model_copy(update={"share_contact": domain.may_share_contact(False, case.category_code)})
        status = "sent" if referral.partner_id else "needs_routing"
        if repository.insert_referral(uow.conn, referral, country, status, case.feedback_id, case.contact_ref):
            uow.emit(referral, country=country)


def withdraw_referral(uow, case: CaseClassified, now: datetime) -> None:
    """A focal point released the case (not sensitive after all): its partner no longer needs it. An
    answered referral stays as answered. The release is kept, so that the case's opening arriving after it
    refers nothing."""
    with uow:
        if not uow.claim_message():
            return
        repository.record_release(uow.conn, case.case_id, case.case_version, now)
        repository.withdraw_live_referral(uow.conn, case.case_id, now)


def answer_referral(uow, referral_id: UUID, *, partner_id: str, countries, answered_by: str, accepted: bool,
                    decline_reason: str | None, now: datetime) -> dict:
    """Record the partner's accept or decline and tell the platform; returns the referral as listed."""
    with uow:
        referral = repository.lock_partner_referral(uow.conn, referral_id, partner_id, sorted(countries))
        if referral is None:
            # Someone else's referral answers as one that does not exist.
            raise ApiError(404, "referral_not_found", "There is no referral with this id for your organisation.")
        if referral["status"] == "rerouted":
            raise ApiError(409, "referral_rerouted", "A focal point sent this case to another partner.")
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


def route_referral(uow, referral_id: UUID, *, partner_id: str, partners_by_country: dict, countries, routed_by: str,
                   response_times, now: datetime) -> dict:
    """A focal point sends the case to another partner (a referral waiting for routing, declined,
    overdue, or simply misrouted): the old referral becomes `rerouted` and a new one is sent, with
    its own ReferralCreated. Returns the new referral as listed."""
    with uow:
        old = repository.lock_referral(uow.conn, referral_id)
        if old is None or old["country"] not in countries:
            raise ApiError(404, "referral_not_found", "There is no referral with this id in your countries.")
        partners = partners_by_country.get(old["country"], [])
        if not domain.is_partner(partners, partner_id):
            raise ApiError(422, "unknown_partner", f"{partner_id} is not a partner configured for {old['country']}.",
                           [{"field": "partner_id", "reason": "not a partner of this country"}])
        if not domain.may_reroute(old["status"]):
            raise ApiError(409, "referral_not_reroutable", f"This referral was {old['status']} already.")
        referral = ReferralCreated(
            referral_id=uuid4(), case_id=old["case_id"], reference=old["reference"], partner_id=partner_id,
            category_code=old["category_code"], emergency=old["emergency"], share_contact=old["share_contact"],
            created_at=now, respond_by=domain.respond_by(now, old["emergency"], response_times.partner,
                                                         response_times.emergency),
        )
        # The old one leaves the live set first: a case has one live referral (unique index).
        repository.mark_rerouted(uow.conn, referral_id, rerouted_at=now, rerouted_by=routed_by,
                                 rerouted_to=referral.referral_id)
        repository.insert_referral(uow.conn, referral, old["country"], "sent", old["feedback_id"], old["contact_ref"])
        uow.emit(referral, country=old["country"])
        return repository.referral_view(uow.conn, referral.referral_id)


class ContactNotShared(Exception):
    """intake refused to reveal the contact (no consent to share it with a partner); it logged the attempt."""


def reveal_contact(uow, intake_rpc, referral_id: UUID, *, partner_id: str, countries, requested_for: str) -> dict:
    """The complainant's contact for the partner who accepted the referral, through intake's vault: intake checks
    the person's consent to sharing on its own record of the message, and logs the reveal or its refusal."""
    with uow:
        referral = repository.find_partner_referral(uow.conn, referral_id, partner_id, sorted(countries))
    if referral is None:
        raise ApiError(404, "referral_not_found", "There is no referral with this id for your organisation.")
    if referral["status"] != "accepted":
        raise ApiError(409, "referral_not_accepted", "Accept the referral before asking for the contact.")
    if referral["contact_ref"] is None or referral["feedback_id"] is None:
        # An anonymous message, or a referral made before referrals kept the grounds: nothing to ask intake.
        raise ApiError(403, "contact_not_shared", "The person did not agree to their contact being shared.")
    # intake alone decides, on the consent it recorded, and logs the reveal or the refusal.
    try:
        answer = RevealContactResponse.model_validate(intake_rpc.reveal_contact(RevealContactRequest(
            contact_ref=referral["contact_ref"], purpose="referral", requested_by="referrals",
            feedback_id=referral["feedback_id"], referral_id=referral_id, on_behalf_of=requested_for,
        ).model_dump(mode="json")))
    except RemoteError as error:
        if error.exc_type in ("RevealRefused", "ContactNotFound"):
            raise ApiError(403, "contact_not_shared", "The person did not agree to their contact being shared.") \
                from None
        raise
    return {"referral_id": referral_id, **answer.contact.model_dump()}
