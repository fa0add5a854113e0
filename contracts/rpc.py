"""Requests and answers of RPC calls between services (only where an answer is needed now)."""
from typing import Literal
from uuid import UUID

from pydantic import Field

from contracts.common import ContactDetails, Contract


class RevealContactRequest(Contract):
    """intake.reveal_contact: decrypt a contact from the vault for one stated purpose. intake checks the
    purpose against what it recorded itself: the message (with callback consent) or the status request
    the reveal is for; a request it cannot check is refused."""

    contact_ref: UUID
    purpose: Literal["acknowledgement", "callback", "status_reply", "referral", "withdrawal_confirmation", "reply",
                     "satisfaction_question", "appointment"]
    requested_by: str
    feedback_id: UUID | None = Field(None, description="acknowledgement, callback: the message whose sender "
                                                       "agreed to be called back; referral: the message whose "
                                                       "sender agreed to their contact being shared with a partner")
    request_id: UUID | None = Field(None, description="status_reply: the status request being answered")
    referral_id: UUID | None = Field(None, description="referral: the referral the partner accepted")
    on_behalf_of: str | None = Field(None, max_length=200, description=(
        "referral: subject of the partner's staff member who asked, logged with the reveal"))
    withdrawal_id: UUID | None = Field(None, description=(
        "withdrawal_confirmation: the consent withdrawal being confirmed, where the country confirms them"))


class RevealContactResponse(Contract):
    contact_ref: UUID
    contact: ContactDetails

class PartnerOnDutyRequest(Contract):
    """referrals.get_partner_on_duty: the number notifications texts an emergency referral's reference to."""

    country: str = Field(min_length=2, max_length=2)
    partner_id: str = Field(min_length=1, max_length=100)


class PartnerOnDutyResponse(Contract):
    partner_id: str
    phone: str | None = Field(description="None when the directory has no on-duty number for the partner")


__all_contracts__ = ["RevealContactRequest", "RevealContactResponse", "PartnerOnDutyRequest", "PartnerOnDutyResponse"]
