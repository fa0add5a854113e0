"""Reporting's use cases: keep the index current from events, and search it.

Each event is written to Elasticsearch inside the unit of work that records
its message id: if the write fails nothing is recorded and the event is
retried; a redelivery after a successful write is dropped, and writing it
again would change nothing anyway (documents are keyed by case and message).
"""
from chassis.auth import Principal
from contracts.envelope import Envelope
from contracts.events import CaseOpened, FeedbackReceived, NotificationSent, ReferralCreated
from contracts.http import SearchHit, SearchResults
from services.reporting import domain
from services.reporting.index import SearchIndexes

SEARCH_FILTERS = ("channel", "status", "category_code", "priority")


def record_event(uow, indexes: SearchIndexes, payload, envelope: Envelope) -> None:
    with uow:
        if not uow.claim_message():
            return
        case_id = str(payload.case_id) if hasattr(payload, "case_id") else None
        if isinstance(payload, CaseOpened):
            document = domain.case_opened_document(payload, envelope)
            indexes.upsert_case(case_id, changes=document, when_new={"status": "new"})
        elif isinstance(payload, ReferralCreated):
            indexes.upsert_case(case_id, changes=domain.referral_fields(payload),
                                when_new=_skeleton(payload, envelope))
        elif isinstance(payload, NotificationSent):
            indexes.upsert_case(case_id, changes=domain.acknowledgement_fields(payload),
                                when_new=_skeleton(payload, envelope))
        elif not isinstance(payload, FeedbackReceived):
            raise TypeError(f"reporting has no rule for {envelope.type}")
        indexes.add_timeline_entry(domain.timeline_entry(envelope, case_id, payload.reference))


def _skeleton(payload, envelope: Envelope) -> dict:
    """The least a case document needs when a later event arrives before CaseOpened."""
    return {"case_id": str(payload.case_id), "reference": payload.reference, "country": envelope.country}


def search_cases(indexes: SearchIndexes, principal: Principal, args, page_size: int) -> SearchResults:
    requested = {code.strip().upper() for code in args.get("country", "").split(",") if code.strip()}
    countries = sorted(requested & principal.countries if requested else principal.countries)
    filters = {field: args[field] for field in SEARCH_FILTERS if args.get(field)}
    if not countries:
        return SearchResults(total=0, results=[])
    answer = indexes.search_cases(text=args.get("q", "").strip() or None, countries=countries,
                                  include_restricted=principal.sees_restricted_cases, filters=filters,
                                  size=page_size)
    hits = []
    for hit in answer["hits"]["hits"]:
        doc = hit["_source"]
        if "opened_at" not in doc:
            continue  # only a later event has arrived so far; the case shows once CaseOpened is indexed
        hits.append(SearchHit(
            reference=doc["reference"], country=doc["country"], channel=doc["channel"],
            category_code=doc.get("category_code"), status=doc.get("status", "new"),
            restricted=doc["restricted"], opened_at=doc["opened_at"],
            excerpt=(doc.get("narrative") or "")[:280] or None))
    return SearchResults(total=answer["hits"]["total"]["value"], results=hits)
