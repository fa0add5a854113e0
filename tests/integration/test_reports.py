"""Weekly reports from the events of a week: figures, Excel cells, CSV and HXL, and the schedule."""
import csv
import io
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import requests
from elasticsearch import Elasticsearch
from openpyxl import load_workbook

from contracts.common import Channel, Location, Respondent
from contracts.events import (
    CallRecorded, CaseClassified, CaseOpened, CaseStatusChanged, DeadlineSettled, FeedbackReceived,
    NotificationSentV2, ReferralAnswered, ReferralCreated, ReferralOutcomeRecorded, ReferralOverdue,
)
from services.reporting.handlers import generate_due_reports
from services.reporting.index import SearchIndexes
from tests.conftest import ES_URL, wait_for
from tests.helpers import publish_event

MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)  # Guinea and Mali are on UTC all year


class Week:
    """Publishes the events a real week would produce, and counts what it sent."""

    def __init__(self, amqp_uri):
        self.amqp_uri = amqp_uri
        self.sent = 0
        self.numbers = {}

    def publish(self, producer, event, country):
        publish_event(self.amqp_uri, producer, event, country=country)
        self.sent += 1

    def case(self, country, received, channel, *, sex=None, age=None, disability=None, region=None,
             category=4, sub_category=None, acknowledged_after=None, ack_within=True, resolved_after=None,
             restricted=False, partner=None, accepted=None, overdue=False):
        self.numbers[country] = self.numbers.get(country, 0) + 1
        reference = f"{country}-2026-{self.numbers[country]:06d}"
        case_id = uuid4()
        self.publish("intake", FeedbackReceived(
            feedback_id=uuid4(), reference=reference, channel=channel, narrative="Retard de paiement",
            received_at=received, location=Location(adm1=region) if region else None,
            respondent=Respondent(sex=sex, age_group=age, disability=disability)), country)
        due = received + timedelta(days=1)
        self.publish("cases", CaseOpened(
            case_id=case_id, reference=reference, feedback_id=uuid4(), channel=Channel(channel),
            narrative="Retard de paiement", received_at=received, opened_at=received, sensitive=restricted,
            restricted=restricted, priority="high" if restricted else "normal",
            deadline_kind="refer" if restricted else "acknowledge", deadline_at=due, category_code=category), country)
        common = dict(case_id=case_id, reference=reference, restricted=restricted, by="agent-1")
        version = 1
        if sub_category:
            version += 1
            self.publish("cases", CaseClassified(**common, case_version=version, status="new", at=received,
                                                 category_code=category, sub_category=sub_category,
                                                 taxonomy_version=1, sensitive=restricted, confirmed=True), country)
        if acknowledged_after is not None:
            version += 1
            at = received + acknowledged_after
            self.publish("cases", CaseStatusChanged(**common, case_version=version, status="acknowledged", at=at,
                                                    from_status="new"), country)
            self.publish("cases", DeadlineSettled(**common, case_version=version, status="acknowledged", at=at,
                                                  kind="acknowledge", due_at=due, started_at=received,
                                                  within_deadline=ack_within), country)
            self.publish("notifications", NotificationSentV2(
                notification_id=uuid4(), case_id=case_id, reference=reference, purpose="acknowledgement",
                channel="sms", language="fr", sent_at=at, provider_message_id=f"SM{uuid4().hex}"), country)
        if resolved_after is not None:
            version += 1
            at = received + resolved_after
            self.publish("cases", CaseStatusChanged(**common, case_version=version, status="resolved", at=at,
                                                    from_status="acknowledged"), country)
            self.publish("cases", DeadlineSettled(**common, case_version=version, status="resolved", at=at,
                                                  kind="resolve", due_at=received + timedelta(days=14),
                                                  started_at=received, within_deadline=True), country)
        if partner:
            referral_id = uuid4()
            self.publish("referrals", ReferralCreated(
                referral_id=referral_id, case_id=case_id, reference=reference, partner_id=partner,
                category_code=category, emergency=False, share_contact=False, created_at=received,
                respond_by=due), country)
            if overdue:
                self.publish("referrals", ReferralOverdue(
                    referral_id=referral_id, case_id=case_id, reference=reference, partner_id=partner,
                    emergency=False, respond_by=due, marked_at=due), country)
            if accepted is not None:
                self.publish("referrals", ReferralAnswered(
                    referral_id=referral_id, case_id=case_id, reference=reference, partner_id=partner,
                    accepted=accepted, answered_at=received + timedelta(hours=5), answered_by="partner-1"), country)
            if accepted:
                self.publish("referrals", ReferralOutcomeRecorded(
                    referral_id=referral_id, case_id=case_id, reference=reference, partner_id=partner,
                    outcome="service_provided", outcome_on=received.date(), recorded_at=received + timedelta(days=1),
                    recorded_by="partner-1"), country)
        return reference

    def call(self, country, started, outcome, wait):
        self.publish("intake", CallRecorded(
            call_id=uuid4().hex, endpoint=f"{country.lower()}-hotline", started_at=started, outcome=outcome,
            wait_seconds=wait, duration_seconds=240 if outcome == "answered" else 0, agent_id="agent-1"), country)


def a_week_in_guinea_and_mali(week: Week) -> None:
    hours = timedelta(hours=1)
    # Guinea: 6 cases this week, 2 the week before.
    week.case("GN", MONDAY, "hotline", sex="female", age="25-59", region="Kindia", sub_category="cash",
              acknowledged_after=2 * hours, resolved_after=48 * hours)
    week.case("GN", MONDAY + 3 * hours, "sms", sex="female", age="18-24", disability=True, region="Kindia",
              sub_category="cash", acknowledged_after=4 * hours)
    week.case("GN", MONDAY + 26 * hours, "whatsapp", sex="male", age="25-59", region="Conakry",
              sub_category="cash", acknowledged_after=30 * hours, ack_within=False)
    # Never acknowledged: overdue once its deadline passed, whether or not the breach event came yet.
    week.case("GN", MONDAY + 50 * hours, "hotline", sex="male", region="Kindia", category=1)
    week.case("GN", MONDAY + 75 * hours, "web_form", category=7, restricted=True, partner="gn-fraud-unit",
              accepted=True)
    week.case("GN", MONDAY + 98 * hours, "hotline", sex="female", age="60+", region="Labé", category=2,
              sub_category="medical", partner="gn-health-ngo", accepted=False, acknowledged_after=1 * hours)
    week.case("GN", MONDAY - 5 * 24 * hours, "hotline", sex="female", region="Kindia", sub_category="cash")
    week.case("GN", MONDAY - 4 * 24 * hours, "sms", region="Kindia", category=1)
    # Mali: 3 cases this week.
    week.case("ML", MONDAY + 5 * hours, "hotline", sex="male", age="18-24", region="Kayes", sub_category="cash",
              acknowledged_after=3 * hours)
    week.case("ML", MONDAY + 30 * hours, "sms", sex="female", region="Bamako", category=3)
    week.case("ML", MONDAY + 100 * hours, "suggestion_box", region="Kayes", category=5, partner="ml-protection",
              overdue=True)
    # Calls: Guinea 4 (3 answered), Mali 2 (1 answered), plus one last week.
    for offset, outcome, wait in ((1, "answered", 30), (2, "answered", 50), (27, "abandoned", 120),
                                  (51, "answered", 40)):
        week.call("GN", MONDAY + offset * hours, outcome, wait)
    week.call("ML", MONDAY + 6 * hours, "answered", 20)
    week.call("ML", MONDAY + 7 * hours, "abandoned", 200)
    week.call("GN", MONDAY - 50 * hours, "answered", 10)


def seeded(run_service, amqp_uri, db):
    reporting = run_service("reporting")
    week = Week(amqp_uri)
    a_week_in_guinea_and_mali(week)
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] == week.sent, timeout=60)
    Elasticsearch(ES_URL).indices.refresh(index="*")
    return reporting


def get_report(service, countries=("GN", "ML"), **params):
    answer = requests.get(f"{service.url}/v1/reports", params={"period": "week", "date": "2026-11-18", **params},
                          headers=service.headers("manager", countries))
    assert answer.status_code == 200, answer.text
    return answer


def by_key(counts):
    return {count["key"]: count["count"] for count in counts}


def test_the_weekly_report_counts_what_the_week_sent(run_service, amqp_uri, db, es_prefix):
    reporting = seeded(run_service, amqp_uri, db)
    report = get_report(reporting, country="GN").json()

    assert (report["scope"], report["start"], report["end"]) == ("GN", "2026-11-16", "2026-11-22")
    messages = report["messages"]
    assert (messages["total"], messages["previous_total"], messages["change_percent"]) == (6, 2, 200.0)
    assert by_key(messages["by_channel"]) == {"hotline": 3, "sms": 1, "whatsapp": 1, "web_form": 1}
    # Tables about people withhold counts of 1 to 4 (a restricted case could be singled out).
    assert by_key(messages["by_sex"]) == {"female": None, "male": None, "other": 0, "not_said": 0, "not_stated": None}
    assert by_key(messages["by_disability"]) == {"true": None, "false": 0, "not_stated": 5}
    assert by_key(messages["by_location"])["Kindia"] is None
    assert by_key(messages["by_category"]) == {"4": 3, "1": 1, "7": 1, "2": 1}
    assert report["calls"] == {"received": 4, "answered": 3, "abandoned": 1, "average_wait_seconds": 60.0,
                               "previous_received": 1}
    acknowledge = report["acknowledge"]
    assert (acknowledge["settled"], acknowledge["within_deadline"], acknowledge["overdue_unsettled"]) == (4, 3, 1)
    assert acknowledge["share_within_deadline"] == 0.6
    assert (acknowledge["median_hours"], acknowledge["p90_hours"]) == (2.0, 30.0)
    assert report["resolve"]["median_hours"] == 48.0
    partners = {r["partner_id"]: (r["made"], r["accepted"], r["declined"]) for r in report["referrals"]}
    assert partners == {"gn-fraud-unit": (1, 1, 0), "gn-health-ngo": (1, 0, 1)}
    assert {r["partner_id"]: r["outcomes"] for r in report["referrals"]} == {
        "gn-fraud-unit": {"service_provided": 1}, "gn-health-ngo": {}}
    assert report["replies_sent"] == 4
    assert sum(bucket["count"] for bucket in report["backlog"]) == 7  # 8 received, 1 resolved
    cash = [topic for topic in report["topics"] if topic["sub_category"] == "cash"][0]
    assert (cash["count"], cash["previous"], cash["rising"]) == (3, 1, True)
    assert [point["messages"] for point in report["trend"][-2:]] == [2, 6]
    assert [point["messages"] for point in report["daily"]] == [2, 1, 1, 1, 1, 0, 0]

    region = get_report(reporting).json()
    assert (region["scope"], region["timezone"], region["messages"]["total"]) == ("region", "UTC", 9)
    assert by_key(region["messages"]["by_country"]) == {"GN": 6, "ML": 3}
    assert region["calls"]["received"] == 6
    assert [(r["partner_id"], r["pending"], r["overdue"]) for r in region["referrals"]
            if r["partner_id"] == "ml-protection"] == [("ml-protection", 1, 1)]
    refused = requests.get(f"{reporting.url}/v1/reports", params={"country": "SN"},
                           headers=reporting.headers("manager", ("GN",)))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "country_not_in_scope")


def test_the_excel_file_has_a_sheet_per_table_real_dates_and_numbers_and_a_chart(
        run_service, amqp_uri, db, es_prefix):
    reporting = seeded(run_service, amqp_uri, db)
    answer = get_report(reporting, country="GN", format="xlsx")
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="cfm-report-GN-week-2026-11-16.xlsx"' in answer.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(answer.content))

    assert {"Summary", "Trend", "Daily", "By channel", "By category", "By sex", "Deadlines", "Backlog",
            "Referrals", "Topics"} <= set(workbook.sheetnames)
    summary = {row[0]: row[1:] for row in workbook["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Messages received"][:2] == (6, 2)
    assert summary["From"][0] == datetime(2026, 11, 16)  # a real date cell, not text
    assert summary["Acknowledged within deadline (share)"][0] == 0.6
    share_cell = next(row[1] for row in workbook["Summary"].iter_rows() if row[0].value and "(share)" in row[0].value)
    assert share_cell.number_format == "0.0%"
    trend = workbook["Trend"]
    assert trend["A9"].value == datetime(2026, 11, 16) and trend["A9"].number_format == "yyyy-mm-dd"
    assert trend["B9"].value == 6 and isinstance(trend["B9"].value, int)
    assert len(trend._charts) == 1
    categories = {row[0]: row[1:] for row in workbook["By category"].iter_rows(min_row=2, values_only=True)}
    assert categories[4] == ("Minor dissatisfaction", 3, 1)
    deadlines = workbook["Deadlines"]
    assert deadlines["E2"].value == 0.6 and deadlines["E2"].number_format == "0.0%"


def test_csv_and_hxl_downloads(run_service, amqp_uri, db, es_prefix):
    reporting = seeded(run_service, amqp_uri, db)
    rows = list(csv.DictReader(io.StringIO(get_report(reporting, country="GN", format="csv").text)))
    channel = {row["key"]: row["value"] for row in rows if row["table"] == "By channel" and row["measure"] == "Messages"}
    assert channel["hotline"] == "3"

    lines = list(csv.reader(io.StringIO(get_report(reporting, country="GN", format="hxl").text)))
    assert lines[1][:6] == ["#date+start", "#date+end", "#country+code", "#adm1+name", "#channel", "#x_category+code"]
    records = [dict(zip(lines[1], line)) for line in lines[2:]]
    assert len(records) == 6 and {record["#meta+count"] for record in records} == {"<5"}  # every row is small
    kindia_cash = [r for r in records if r["#adm1+name"] == "Kindia" and r["#sector"] == "cash"]
    assert [r["#channel"] for r in kindia_cash] == ["hotline", "sms"]
    fraud = [r for r in records if r["#x_category+code"] == "7"]
    assert [(r["#adm1+name"], r["#channel"], r["#meta+count"]) for r in fraud] == [("", "", "<5")]


def test_weekly_and_monthly_reports_are_made_once_on_schedule_and_kept(
        run_service, amqp_uri, db, es_prefix, database_url):
    reporting = seeded(run_service, amqp_uri, db)
    indexes = SearchIndexes(Elasticsearch(ES_URL), es_prefix)
    settings = reporting.settings

    def run_schedule(now):
        with psycopg.connect(database_url, options="-c search_path=reporting") as conn:
            return generate_due_reports(conn, indexes, settings, now)

    assert "GN/week/2026-11-09" in run_schedule(datetime(2026, 11, 23, 3, tzinfo=UTC))  # too early for last week
    made = run_schedule(datetime(2026, 11, 23, 7, tzinfo=UTC))
    assert {"GN/week/2026-11-16", "ML/week/2026-11-16", "region/week/2026-11-16"} <= set(made)
    assert run_schedule(datetime(2026, 11, 23, 8, tzinfo=UTC)) == []  # a restart makes nothing twice

    manager = reporting.headers("manager", ("GN", "ML"))
    kept = requests.get(f"{reporting.url}/v1/reports/stored", params={"scope": "GN", "period": "week"},
                        headers=manager).json()["reports"]
    assert [report["start"] for report in kept] == ["2026-11-16", "2026-11-09"]
    body = requests.get(f"{reporting.url}/v1/reports/stored/{kept[0]['report_id']}", headers=manager).json()
    assert body["messages"]["total"] == 6
    xlsx = requests.get(f"{reporting.url}/v1/reports/stored/{kept[0]['report_id']}", params={"format": "xlsx"},
                        headers=manager)
    assert load_workbook(io.BytesIO(xlsx.content))["Summary"]["B4"].value == datetime(2026, 11, 16)
    other = requests.get(f"{reporting.url}/v1/reports/stored/{kept[0]['report_id']}",
                         headers=reporting.headers("manager", ("SN",)))
    assert other.status_code == 404
