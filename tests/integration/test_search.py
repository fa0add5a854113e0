"""A regional manager's search: filters, facets, sorting, deep pagination, and a rebuild with no downtime."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import requests
from elasticsearch import Elasticsearch

from contracts.common import Channel, Location
from contracts.events import CaseClassified, CaseOpened, CaseStatusChanged, FeedbackReceived
from services.reporting.handlers import rebuild_index
from services.reporting.index import SearchIndexes
from tests.conftest import ES_URL, wait_for
from tests.helpers import publish_event

T0 = datetime(2026, 11, 16, 8, tzinfo=UTC)
MESSAGES = [  # reference, country, channel, region, narrative, restricted
    ("GN-2026-000001", "GN", "hotline", "Kindia", "Retard de paiement de l'allocation de réintégration", False),
    ("GN-2026-000002", "GN", "sms", "Kindia", "Le paiement du kit de démarrage est en retard", False),
    ("GN-2026-000003", "GN", "whatsapp", "Conakry", "Quand aura lieu la formation en couture ?", False),
    ("GN-2026-000004", "GN", "hotline", "Kindia", "Le chef de centre demande de l'argent pour le kit", True),
    ("GN-2026-000005", "GN", "web_form", "Labé", "Merci pour l'accueil à l'aéroport", False),
    ("ML-2026-000001", "ML", "hotline", "Kayes", "Retard de paiement du loyer promis", False),
    ("ML-2026-000002", "ML", "sms", "Bamako", "Je n'ai pas reçu mon kit médical", False),
]


def seed(amqp_uri: str, messages=MESSAGES) -> None:
    for number, (reference, country, channel, region, narrative, restricted) in enumerate(messages):
        received = T0 + timedelta(hours=6 * number)
        case_id = uuid4()
        publish_event(amqp_uri, "intake", FeedbackReceived(
            feedback_id=uuid4(), reference=reference, channel=channel, narrative=narrative, received_at=received,
            location=Location(adm1=region)), country=country)
        publish_event(amqp_uri, "cases", CaseOpened(
            case_id=case_id, reference=reference, feedback_id=uuid4(), channel=Channel(channel),
            narrative=narrative, received_at=received, opened_at=received, sensitive=restricted,
            restricted=restricted, priority="high" if restricted else "normal",
            deadline_kind="refer" if restricted else "acknowledge", deadline_at=received + timedelta(days=1),
            category_code=7 if restricted else 4), country=country)


def indexed(db, count: int) -> None:
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] >= count, timeout=20)
    Elasticsearch(ES_URL).indices.refresh(index="*")


def search(service, role="manager", countries=("GN", "ML"), **params):
    answer = requests.get(f"{service.url}/v1/search", params=params, headers=service.headers(role, countries))
    assert answer.status_code == 200, answer.text
    return answer.json()


def references(answer) -> list[str]:
    return [hit["reference"] for hit in answer["results"]]


def test_a_manager_finds_matching_cases_of_their_countries_newest_first(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    seed(amqp_uri)
    indexed(db, 2 * len(MESSAGES))

    found = search(reporting, q="retard paiement Kindia", sort="newest")
    assert references(found) == ["GN-2026-000002", "GN-2026-000001"]
    assert search(reporting, q="retard paiement")["total"] == 3
    assert references(search(reporting, countries=("ML",), q="retard paiement")) == ["ML-2026-000001"]
    assert search(reporting, q="argent kit")["total"] == 0  # only restricted cases say that
    # Focal points see restricted cases, found by their filters: their story is not in the index at all.
    assert references(search(reporting, role="focal_point", region="Kindia")) == [
        "GN-2026-000004", "GN-2026-000002", "GN-2026-000001"]
    assert references(search(reporting, role="focal_point", q="kit", region="Kindia")) == ["GN-2026-000002"]


def test_filters_and_facet_counts(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    seed(amqp_uri)
    indexed(db, 2 * len(MESSAGES))

    everything = search(reporting)
    assert everything["total"] == 6  # the restricted case is not for managers
    facets = {name: {bucket["value"]: bucket["count"] for bucket in buckets}
              for name, buckets in everything["facets"].items()}
    assert facets["country"] == {"GN": 4, "ML": 2}
    assert facets["channel"] == {"hotline": 2, "sms": 2, "whatsapp": 1, "web_form": 1}
    assert facets["adm1"]["Kindia"] == 2

    assert set(references(search(reporting, channel="hotline,sms", country="GN"))) == {
        "GN-2026-000001", "GN-2026-000002"}
    assert references(search(reporting, received_from="2026-11-17", sort="oldest")) == ["GN-2026-000005",
        "ML-2026-000001", "ML-2026-000002"]
    assert search(reporting, status="closed")["total"] == 0
    refused = requests.get(f"{reporting.url}/v1/search", params={"received_from": "last week"},
                           headers=reporting.headers("manager"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_date")


def test_deep_pagination_walks_every_case_once(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    seed(amqp_uri)
    indexed(db, 2 * len(MESSAGES))

    seen, cursor = [], None
    while True:
        page = search(reporting, role="focal_point", size=2, **({"cursor": cursor} if cursor else {}))
        seen += references(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted((reference for reference, *_ in MESSAGES),
                          key=lambda ref: [m[0] for m in MESSAGES].index(ref), reverse=True)


def test_a_case_restricted_later_loses_its_narrative_and_regains_it_when_cleared(
        run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    seed(amqp_uri, MESSAGES[:1])
    indexed(db, 2)
    case_id = uuid4()

    def classified(version, restricted):
        # Lifting a restriction, cases sends the text again: nobody downstream kept it meanwhile.
        return CaseClassified(case_id=case_id, reference="GN-2026-000001", case_version=version, status="new",
                              restricted=restricted, at=T0 + timedelta(hours=version), by="focal-1",
                              category_code=7 if restricted else 4, taxonomy_version=1, sensitive=restricted,
                              confirmed=True, narrative=None if restricted else MESSAGES[0][4])
    publish_event(amqp_uri, "cases", classified(2, True))
    indexed(db, 3)
    assert search(reporting, q="allocation")["total"] == 0
    kept = db.execute("SELECT string_agg(envelope::text, ' ') FROM reporting.journal").fetchone()[0]
    assert "allocation" not in kept  # not in reporting's own records either
    publish_event(amqp_uri, "cases", classified(3, False))
    indexed(db, 4)
    assert search(reporting, q="allocation")["results"][0]["excerpt"].startswith("Retard de paiement")


def test_the_index_is_rebuilt_behind_the_alias_while_search_keeps_answering(
        run_service, amqp_uri, db, es_prefix, database_url):
    reporting = run_service("reporting")
    seed(amqp_uri)
    indexed(db, 2 * len(MESSAGES))
    before = search(reporting, role="focal_point")

    client = Elasticsearch(ES_URL)
    indexes = SearchIndexes(client, es_prefix)
    old_indices = set(client.indices.get_alias(name=indexes.cases))
    with psycopg.connect(database_url, options="-c search_path=reporting") as conn:
        summary = rebuild_index(conn, indexes)
    assert summary["cases"] == len(MESSAGES)
    new_indices = set(client.indices.get_alias(name=indexes.cases))
    assert new_indices.isdisjoint(old_indices)
    assert not client.indices.exists(index=",".join(old_indices))

    publish_event(amqp_uri, "cases", CaseStatusChanged(
        case_id=uuid4(), reference="GN-2026-000003", case_version=2, status="acknowledged", restricted=False,
        at=T0 + timedelta(days=2), by="agent-1", from_status="new"))
    indexed(db, 2 * len(MESSAGES) + 1)
    after = search(reporting, role="focal_point")
    assert references(after) == references(before) and after["facets"]["channel"] == before["facets"]["channel"]
    assert references(search(reporting, status="acknowledged")) == ["GN-2026-000003"]


def test_fields_a_new_release_maps_are_added_to_the_serving_index(es_prefix):
    client = Elasticsearch(ES_URL)
    old_index = f"{es_prefix}-cases-v1"
    client.indices.create(index=old_index, mappings={"dynamic": "strict", "properties": {
        "reference": {"type": "keyword"}}})
    client.indices.put_alias(index=old_index, name=f"{es_prefix}-cases")
    SearchIndexes(client, es_prefix).ensure()
    client.index(index=f"{es_prefix}-cases", id="GN-2026-000001", refresh=True,
                 document={"reference": "GN-2026-000001", "referral_overdue": True})
    assert client.count(index=f"{es_prefix}-cases", query={"term": {"referral_overdue": True}})["count"] == 1


def test_a_cursor_or_filter_that_makes_no_sense_is_refused_clearly(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    seed(amqp_uri, MESSAGES[:3])
    indexed(db, 6)
    cursor = search(reporting, size=1)["next_cursor"]

    def refused(**params):
        answer = requests.get(f"{reporting.url}/v1/search", params=params, headers=reporting.headers("manager"))
        return answer.status_code, answer.json()["error"]["code"]
    assert refused(cursor="not-a-cursor") == (400, "invalid_cursor")
    assert refused(cursor=cursor, sort="relevance", q="kit") == (400, "invalid_cursor")
    assert refused(cursor=cursor, sort="deadline") == (400, "invalid_cursor")  # same length, other values
    assert refused(category_code="abc") == (400, "invalid_filter")
    assert len(search(reporting, cursor=cursor, size=1)["results"]) == 1  # the right one still works
