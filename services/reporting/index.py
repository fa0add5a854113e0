"""The search index: its layout (template and aliases) and every read and write.

Two indices, each behind an alias so that a rebuild can swap in a new index:
`<prefix>-cases` (one document per case, kept current from events) and
`<prefix>-events` (the timeline, one document per event, without payloads).
"""
from elasticsearch import Elasticsearch, NotFoundError

CASES_VERSION = "v1"
EVENTS_VERSION = "v1"

TEXT_FR_EN = {"type": "text", "analyzer": "standard",
              "fields": {"fr": {"type": "text", "analyzer": "french"},
                         "en": {"type": "text", "analyzer": "english"}}}

CASES_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "case_id": {"type": "keyword"}, "reference": {"type": "keyword"}, "country": {"type": "keyword"},
        "channel": {"type": "keyword"}, "language": {"type": "keyword"}, "category_code": {"type": "integer"},
        "sensitive": {"type": "boolean"}, "restricted": {"type": "boolean"}, "priority": {"type": "keyword"},
        "status": {"type": "keyword"}, "received_at": {"type": "date"}, "opened_at": {"type": "date"},
        "deadline_kind": {"type": "keyword"}, "deadline_at": {"type": "date"},
        "has_contact": {"type": "boolean"}, "narrative": TEXT_FR_EN,
        "referred_at": {"type": "date"}, "partner_id": {"type": "keyword"}, "acknowledged_at": {"type": "date"},
    },
}
EVENTS_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "message_id": {"type": "keyword"}, "type": {"type": "keyword"}, "version": {"type": "integer"},
        "occurred_at": {"type": "date"}, "country": {"type": "keyword"}, "producer": {"type": "keyword"},
        "correlation_id": {"type": "keyword"}, "case_id": {"type": "keyword"}, "reference": {"type": "keyword"},
    },
}


class SearchIndexes:
    def __init__(self, client: Elasticsearch, prefix: str):
        self.client = client
        self.cases = f"{prefix}-cases"
        self.events = f"{prefix}-events"

    def ensure(self) -> None:
        """Create the templates, the first indices and their aliases when missing."""
        for alias, version, mappings in ((self.cases, CASES_VERSION, CASES_MAPPINGS),
                                         (self.events, EVENTS_VERSION, EVENTS_MAPPINGS)):
            self.client.indices.put_index_template(
                name=alias, index_patterns=[f"{alias}-*"],
                template={"settings": {"number_of_shards": 1}, "mappings": mappings})
            if not self.client.indices.exists_alias(name=alias):
                index = f"{alias}-{version}"
                if not self.client.indices.exists(index=index):
                    self.client.indices.create(index=index)
                self.client.indices.put_alias(index=index, name=alias)

    def upsert_case(self, case_id: str, changes: dict, when_new: dict) -> None:
        """Merge `changes` into the case document, or create it from `when_new` if events came out of order."""
        self.client.update(index=self.cases, id=case_id, doc=changes, upsert={**when_new, **changes},
                           retry_on_conflict=5)

    def add_timeline_entry(self, entry: dict) -> None:
        self.client.index(index=self.events, id=entry["message_id"], document=entry)

    def search_cases(self, *, text: str | None, countries: list[str], include_restricted: bool,
                     filters: dict[str, str], size: int) -> dict:
        conditions = [{"terms": {"country": countries}}]
        conditions += [{"term": {field: value}} for field, value in filters.items()]
        if not include_restricted:
            conditions.append({"term": {"restricted": False}})
        query = {"bool": {"filter": conditions}}
        if text:
            query["bool"]["must"] = [{"multi_match": {
                "query": text, "fields": ["narrative", "narrative.fr", "narrative.en", "reference"]}}]
        sort = ["_score", {"opened_at": "desc"}] if text else [{"opened_at": "desc"}]
        return self.client.search(index=self.cases, query=query, sort=sort, size=size, track_total_hits=True)

    def get_case(self, case_id: str) -> dict | None:
        try:
            return self.client.get(index=self.cases, id=case_id)["_source"]
        except NotFoundError:
            return None
