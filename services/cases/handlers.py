"""Cases' use cases: open a case for each feedback, and show one case."""
from datetime import datetime
from uuid import uuid4

from chassis.auth import Principal
from chassis.errors import ApiError
from contracts.envelope import Envelope
from contracts.events import CaseOpened, FeedbackReceived
from contracts.http import CaseView
from services.cases import domain, repository


def open_case(uow, feedback: FeedbackReceived, envelope: Envelope, timezone: str, now: datetime) -> None:
    screening = domain.screen_narrative(feedback.narrative)
    deadline_kind, deadline_at = domain.first_deadline(now, screening, timezone)
    case = {
        "case_id": uuid4(), "reference": feedback.reference, "feedback_id": feedback.feedback_id,
        "country": envelope.country, "channel": feedback.channel, "language": feedback.language,
        "narrative": feedback.narrative, "received_at": feedback.received_at, "opened_at": now,
        "status": "new", "category_code": screening.category_code, "sensitive": screening.sensitive,
        "restricted": screening.sensitive, "sensitivity_reasons": list(screening.reasons),
        "priority": domain.priority_of(screening), "deadline_kind": deadline_kind, "deadline_at": deadline_at,
        "contact_ref": feedback.contact_ref, "consent_callback": feedback.consent.callback,
        "consent_share": feedback.consent.share_with_partners,
    }
    with uow:
        if not uow.claim_message() or not repository.insert_case(uow.conn, case):
            return
        uow.emit(CaseOpened(
            case_id=case["case_id"], reference=case["reference"], feedback_id=case["feedback_id"],
            channel=case["channel"], language=case["language"], narrative=case["narrative"],
            received_at=case["received_at"], opened_at=now, category_code=case["category_code"],
            sensitive=case["sensitive"], restricted=case["restricted"],
            sensitivity_reasons=case["sensitivity_reasons"], priority=case["priority"],
            deadline_kind=deadline_kind, deadline_at=deadline_at, contact_ref=feedback.contact_ref,
            consent=feedback.consent,
        ), country=envelope.country)


def get_case(uow, reference: str, principal: Principal) -> CaseView:
    with uow:
        case = repository.find_case(uow.conn, reference)
    # Out of scope and restricted look the same as missing: a case's existence must not leak.
    if (case is None or case["country"] not in principal.countries
            or (case["restricted"] and not principal.sees_restricted_cases)):
        raise ApiError(404, "case_not_found", "There is no case with this reference that you may see.")
    return CaseView(
        reference=case["reference"], case_id=case["case_id"], country=case["country"], channel=case["channel"],
        language=case["language"], status=case["status"], category_code=case["category_code"],
        sensitive=case["sensitive"], restricted=case["restricted"], priority=case["priority"],
        narrative=case["narrative"], received_at=case["received_at"], opened_at=case["opened_at"],
        deadline_kind=case["deadline_kind"], deadline_at=case["deadline_at"],
        has_contact=case["contact_ref"] is not None)
