"""A partner recorded what happened after a referral (ReferralOutcomeRecorded from referrals): the case's
timeline says so. The outcome changes no status: closing the case stays a person's decision in cases."""
from contracts.events import ReferralOutcomeRecorded
from services.cases import repository
from services.cases.handlers import CaseNotOpenedYet


def record_referral_outcome(uow, event: ReferralOutcomeRecorded) -> None:
    with uow:
        if not uow.claim_message():
            return
        case = repository.find_case(uow.conn, event.reference, lock=True)
        if case is None:
            raise CaseNotOpenedYet(event.reference)
        repository.add_history(uow.conn, case["case_id"], case["version"], event.recorded_at, event.partner_id,
                               "referral_outcome", {"referral_id": str(event.referral_id), "outcome": event.outcome,
                                                    "on": event.outcome_on.isoformat()})
