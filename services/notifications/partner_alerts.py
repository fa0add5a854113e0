"""An emergency referral's partner is texted its reference on the on-duty number of referrals' partner
directory, through the supervisors' alert path: one staff alert per ReferralCreated event, one SMS per
recipient claimed before it is sent, so a redelivered or retried event texts nobody twice. The text names
the reference only; what the case is about is for the partner's console."""
import logging

from contracts.events import ReferralCreated
from contracts.rpc import PartnerOnDutyRequest, PartnerOnDutyResponse
from services.notifications.settings import AlertRecipient

log = logging.getLogger(__name__)


def wants_alert(referral: ReferralCreated) -> bool:
    return referral.emergency and referral.partner_id is not None


def on_duty_recipient(referrals_rpc, country: str, partner_id: str) -> AlertRecipient | None:
    answer = PartnerOnDutyResponse.model_validate(referrals_rpc.get_partner_on_duty(
        PartnerOnDutyRequest(country=country, partner_id=partner_id).model_dump(mode="json")))
    if answer.phone is None:
        log.warning("partner %s of %s has no on-duty number: its emergency referral is not texted", partner_id, country)
        return None
    return AlertRecipient(id=partner_id, phone=answer.phone)
