"""Requests and answers of RPC calls between services (only where an answer is needed now)."""
from typing import Literal
from uuid import UUID

from contracts.common import ContactDetails, Contract


class RevealContactRequest(Contract):
    """intake.reveal_contact: decrypt a contact from the vault for one stated purpose."""

    contact_ref: UUID
    purpose: Literal["acknowledgement", "callback", "status_reply"]
    requested_by: str


class RevealContactResponse(Contract):
    contact_ref: UUID
    contact: ContactDetails

__all_contracts__ = ["RevealContactRequest", "RevealContactResponse"]
