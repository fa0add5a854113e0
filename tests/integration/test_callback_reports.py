"""The Callbacks table of the reports: per country and period, the tasks opened (by reason), the calls made,
the people reached and those unreachable, and how long people waited for the call that reached them."""
import csv
import io
from datetime import timedelta
from uuid import uuid4

import psycopg
import requests
from elasticsearch import Elasticsearch
from openpyxl import load_workbook

from contracts.events import CallbackAttemptRecorded, CallbackTaskOpened
from services.reporting.handlers import rebuild_index
from services.reporting.index import SearchIndexes
from tests.conftest import ES_URL, wait_for
from tests.integration.test_reports import MONDAY, Week, get_report

HOUR = timedelta(hours=1)


def callback(week: Week, country: str, reason: str, opened_at, calls: list[tuple[str, timedelta]]) -> None:
    """A task opened at `opened_at` and its calls, each (outcome, time after the opening)."""
    task_id, case_id = uuid4(), uuid4()
    reference = f"{country}-2026-{900 + week.sent:06d}"
    week.publish("cases", CallbackTaskOpened(task_id=task_id, case_id=case_id, reference=reference, reason=reason,
                                             opened_at=opened_at, due_at=opened_at + 24 * HOUR), country)
    failed = 0
    for number, (outcome, after) in enumerate(calls, start=1):
        failed += outcome != "reached"
        state = "reached" if outcome == "reached" else "unreachable" if failed == 3 else "open"
        week.publish("cases", CallbackAttemptRecorded(
            task_id=task_id, case_id=case_id, reference=reference, reason=reason, attempt=number, outcome=outcome,
            task_state=state, task_opened_at=opened_at, at=opened_at + after, by="agent-1"), country)


def test_the_callbacks_table_counts_calls_reached_unreachable_and_the_delay_to_reach(run_service, amqp_uri, db,
                                                                                        es_prefix, database_url):
    reporting = run_service("reporting")
    week = Week(amqp_uri)
    callback(week, "GN", "no_sms", MONDAY, [("no_answer", HOUR), ("reached", 3 * HOUR)])
    callback(week, "GN", "message_failed", MONDAY, [("reached", 26 * HOUR)])
    callback(week, "GN", "needs_explaining", MONDAY + 24 * HOUR,
             [("no_answer", HOUR), ("call_dropped", 5 * HOUR), ("no_answer", 24 * HOUR)])
    callback(week, "GN", "message_failed", MONDAY + 48 * HOUR, [("reached", 80 * HOUR)])
    # Opened the week before, reached on Monday: its call counts this week, its opening does not.
    callback(week, "GN", "no_sms", MONDAY - 72 * HOUR, [("reached", 73 * HOUR)])
    callback(week, "ML", "no_sms", MONDAY + 2 * HOUR, [("no_answer", HOUR)])
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] == week.sent, timeout=60)
    Elasticsearch(ES_URL).indices.refresh(index="*")

    [guinea, mali] = get_report(reporting).json()["callbacks"]
    assert guinea == {
        "country": "GN", "opened": 4, "opened_by_reason": {"message_failed": 2, "no_sms": 1, "needs_explaining": 1},
        "attempts": 8, "reached": 4, "unreachable": 1,
        # Delays of 3, 26, 73 and 80 hours: nearest-rank median 26, mean 45.5.
        "median_hours_to_reach": 26.0, "mean_hours_to_reach": 45.5,
        "reach_delay": {"0-4h": 1, "4-24h": 0, "24-72h": 1, "72h+": 2}}
    assert (mali["opened"], mali["attempts"], mali["reached"], mali["median_hours_to_reach"]) == (1, 1, 0, None)
    assert [row["country"] for row in get_report(reporting, country="ML", countries=("ML",)).json()["callbacks"]] \
        == ["ML"]

    workbook = load_workbook(io.BytesIO(get_report(reporting, country="GN", format="xlsx").content))
    header, row = list(workbook["Callbacks"].iter_rows(values_only=True))
    assert dict(zip(header, row)) == {
        "Country": "GN", "Tasks opened": 4, "Opened: message failed": 2, "Opened: cannot be texted": 1,
        "Opened: answer to explain": 1, "Calls made": 8, "People reached": 4, "Unreachable": 1,
        "Median hours to reach": 26.0, "Mean hours to reach": 45.5, "Reached in 0-4h": 1, "Reached in 4-24h": 0,
        "Reached in 24-72h": 1, "Reached in 72h+": 2}
    summary = {line[0]: line[1] for line in workbook["Summary"].iter_rows(values_only=True) if line[0]}
    assert (summary["Callbacks made"], summary["People reached by callback"]) == (8, 4)
    lines = list(csv.DictReader(io.StringIO(get_report(reporting, country="GN", format="csv").text)))
    assert {line["measure"]: line["value"] for line in lines if line["table"] == "Callbacks"}["People reached"] == "4"
    hxl = list(csv.reader(io.StringIO(get_report(reporting, format="hxl", table="callbacks").text)))
    assert hxl[1][:6] == ["#date+start", "#date+end", "#country+code", "#x_callbacks+opened", "#x_callbacks+calls",
                          "#reached+callback"]
    assert [line[2:7] for line in hxl[2:]] == [["GN", "4", "8", "4", "1"], ["ML", "1", "1", "0", "0"]]
    refused = requests.get(f"{reporting.url}/v1/reports", params={"format": "hxl", "table": "people"},
                           headers=reporting.headers("manager", ("GN",)))
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_table")

    # Rebuilt from the journal, the timeline counts the same; the callbacks made no case document.
    indexes = SearchIndexes(Elasticsearch(ES_URL), es_prefix)
    with psycopg.connect(database_url, options="-c search_path=reporting") as conn:
        assert rebuild_index(conn, indexes)["cases"] == 0
    Elasticsearch(ES_URL).indices.refresh(index="*")
    assert get_report(reporting).json()["callbacks"] == [guinea, mali]
