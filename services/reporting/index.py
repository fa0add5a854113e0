"""The search index: its layout (templates and aliases) and every read and write.

Three indices, each behind an alias so that a rebuild can swap in a new one:
`<prefix>-cases` (one document per case, keyed by reference, kept current
from events), `<prefix>-events` (the timeline, one document per event,
without free text) and `<prefix>-calls` (one document per call detail record).
"""
from collections.abc import Iterable
from datetime import UTC, datetime

from elasticsearch import ConflictError, Elasticsearch, NotFoundError, helpers

TEXT_FR_EN = {"type": "text", "analyzer": "standard",
              "fields": {"fr": {"type": "text", "analyzer": "french"},
                         "en": {"type": "text", "analyzer": "english"}}}
PLACE = {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "standard"}}}
DEADLINE_KINDS = ("acknowledge", "first_response", "resolve", "refer")
DEADLINE = {"properties": {
    "due_at": {"type": "date"}, "started_at": {"type": "date"}, "settled_at": {"type": "date"},
    "within_deadline": {"type": "boolean"}, "seconds_taken": {"type": "double"}, "state": {"type": "keyword"},
    "paused": {"type": "boolean"}, "version": {"type": "integer"}, "step": {"type": "keyword"},
}}
KEYWORD, DATE, BOOLEAN = {"type": "keyword"}, {"type": "date"}, {"type": "boolean"}

MAPPINGS = {
    "cases": {"dynamic": "strict", "properties": {
        **{name: KEYWORD for name in (
            "reference", "case_id", "country", "channel", "language", "endpoint", "sex", "age_group", "priority",
            "status", "sub_category", "assignee", "team", "response_channel", "duplicate_of", "repeats",
            "replies_sent", "referral_id", "partner_id", "referral_status", "deadline_state", "referral_outcome")},
        **{name: DATE for name in (
            "received_at", "opened_at", "updated_at", "resolved_at", "closed_at", "referred_at",
            "referral_answered_at", "next_due_at", "satisfaction_answered_at")},
        **{name: BOOLEAN for name in (
            "has_contact", "disability", "restricted", "sensitive", "classification_confirmed",
            "closed_without_contact", "referral_overdue", "satisfied")},
        "adm1": PLACE, "adm2": PLACE, "adm3": PLACE,
        "category_code": {"type": "integer"}, "taxonomy_version": {"type": "integer"},
        "deadlines": {"properties": {kind: DEADLINE for kind in DEADLINE_KINDS}},
        "versions": {"type": "object", "enabled": False},
        "narrative": TEXT_FR_EN,
    }},
    "events": {"dynamic": "strict", "properties": {
        **{name: KEYWORD for name in (
            "message_id", "type", "country", "producer", "correlation_id", "case_id", "reference", "status", "by",
            "centre_id", "attendance")},
        "version": {"type": "integer"}, "occurred_at": DATE, "at": DATE,
        "callback": {"properties": {**{name: KEYWORD for name in ("reason", "outcome", "task_state")},
                                    "hours_to_reach": {"type": "double"}}},
    }},
    "calls": {"dynamic": "strict", "properties": {
        **{name: KEYWORD for name in ("call_id", "country", "endpoint", "outcome", "agent_id")},
        "started_at": DATE, "wait_seconds": {"type": "double"}, "duration_seconds": {"type": "double"},
    }},
}
FIRST_VERSION = "v1"


class SearchIndexes:
    def __init__(self, client: Elasticsearch, prefix: str):
        self.client = client
        self.prefix = prefix
        self.cases, self.events, self.calls = (self.alias(name) for name in ("cases", "events", "calls"))

    def alias(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def ensure(self) -> None:
        """Create the templates, the first indices and their aliases when missing, and add the fields
        a newer release maps to the serving indices. A change to an existing field cannot be made in
        place: Elasticsearch refuses it, and `make reindex` builds new indices instead."""
        for name, mappings in MAPPINGS.items():
            alias = self.alias(name)
            self.client.indices.put_index_template(
                name=alias, index_patterns=[f"{alias}-*"],
                template={"settings": {"number_of_shards": 1}, "mappings": mappings})
            if self.client.indices.exists_alias(name=alias):
                self.client.indices.put_mapping(index=alias, **mappings)
                continue
            index = f"{alias}-{FIRST_VERSION}"
            if not self.client.indices.exists(index=index):
                self.client.indices.create(index=index)
            self.client.indices.put_alias(index=index, name=alias)

    # --- writes --------------------------------------------------------------------------------

    def update_case(self, reference: str, change, index: str | None = None) -> dict:
        """Apply `change(document) -> document` to a case, safe against concurrent writers."""
        index = index or self.cases
        while True:
            try:
                found = self.client.get(index=index, id=reference)
                current, guard = found["_source"], {"if_seq_no": found["_seq_no"],
                                                    "if_primary_term": found["_primary_term"]}
            except NotFoundError:
                current, guard = {}, {"op_type": "create"}
            document = change(current)
            try:
                self.client.index(index=index, id=reference, document=document, **guard)
                return document
            except ConflictError:
                continue  # another worker wrote this case meanwhile: merge again onto its version

    def add_timeline_entry(self, entry: dict, index: str | None = None) -> None:
        self.client.index(index=index or self.events, id=entry["message_id"], document=entry)

    def put_call(self, document: dict, index: str | None = None) -> None:
        self.client.index(index=index or self.calls, id=document["call_id"], document=document)

    # --- rebuild -------------------------------------------------------------------------------

    def new_generation(self) -> dict[str, str]:
        """Create a fresh index behind each alias (not yet serving) and return their names."""
        stamp = datetime.now(UTC).strftime("v%Y%m%d%H%M%S%f")
        created = {}
        for name in MAPPINGS:
            created[name] = f"{self.alias(name)}-{stamp}"
            self.client.indices.create(index=created[name])
        return created

    def bulk(self, actions: Iterable[dict]) -> None:
        helpers.bulk(self.client, actions, refresh=False)

    def swap_to(self, generation: dict[str, str]) -> list[str]:
        """Point every alias at its new index in one atomic step; returns the indices left behind."""
        actions, retired = [], []
        for name, new_index in generation.items():
            alias = self.alias(name)
            for old_index in self.client.indices.get_alias(name=alias):
                actions.append({"remove": {"index": old_index, "alias": alias}})
                retired.append(old_index)
            actions.append({"add": {"index": new_index, "alias": alias}})
        self.client.indices.update_aliases(actions=actions)
        return retired

    def delete_indices(self, names: Iterable[str]) -> None:
        for name in names:
            self.client.options(ignore_status=404).indices.delete(index=name)

    # --- reads ---------------------------------------------------------------------------------

    def search_cases(self, *, query: dict, sort: list, size: int, search_after: list | None,
                     facets: dict | None) -> dict:
        return self.client.search(index=self.cases, query=query, sort=sort, size=size, search_after=search_after,
                                  aggs=facets, track_total_hits=True)

    def scan(self, index: str, query: dict, fields: list[str], key: str, page: int = 1000) -> list[dict]:
        """Every matching document's `fields`, read page by page with search_after on the unique `key`."""
        found, after = [], None
        sort = [{key: "asc"}]
        while True:
            answer = self.client.search(index=index, query=query, sort=sort, size=page, search_after=after,
                                        source_includes=fields)
            hits = answer["hits"]["hits"]
            found.extend(hit["_source"] for hit in hits)
            if len(hits) < page:
                return found
            after = hits[-1]["sort"]

    def aggregate(self, index: str, query: dict, aggs: dict) -> dict:
        return self.client.search(index=index, query=query, aggs=aggs, size=0, track_total_hits=True)
