"""Satisfaction after closure, through the real services: a closed case's complainant gets one question by
SMS, answers "1" or "2" from their phone through the SMS gateway, and the answer reaches the case's timeline,
the supervisor's review list and the report."""
import csv
import io
from datetime import UTC, datetime

import requests
from elasticsearch import Elasticsearch
from openpyxl import load_workbook

from contracts.events import SatisfactionQuestionDue
from tests.conftest import ES_URL, wait_for
from tests.helpers import metric_value, publish_event

PHONE = "+224622987654"
CALL = {"country": "GN", "channel": "hotline", "language": "fr",
        "narrative": "Le paiement de l'appui est en retard à Kindia depuis deux mois",
        "contact": {"name": "Fanta Keita", "phone": "622 98 76 54"},
        "consent": {"callback": True, "share_with_partners": False}}
GATEWAY = "/v1/channels/sms-gateway/gn_sms_gateway"


def platform(run_service, sms_sink, with_reporting=False):
    cases = run_service("cases")
    services = {"intake": run_service("intake", export={"cases_url": cases.url}), "cases": cases}
    services["notifications"] = run_service("notifications", sms={
        "base_url": f"http://127.0.0.1:{sms_sink.server_address[1]}", "account_sid": "ACtest",
        "auth_token": "sink-token"})
    if with_reporting:
        services["reporting"] = run_service("reporting")
    return services


def texts_to(sms_sink, phone=PHONE) -> list[str]:
    return [message["body"] for message in sms_sink.messages if message["to"] == phone]


def close(cases, reference):
    """An agent answers the complainant and closes their case, as the console does."""
    headers = cases.headers("agent")
    version = requests.get(f"{cases.url}/v1/cases/{reference}", headers=headers).json()["version"]
    for action, body in (("resolve", {"resolution": "Paiement fait vendredi"}),
                         ("close", {"response": "Votre paiement a été fait", "response_channel": "phone"})):
        answer = requests.post(f"{cases.url}/v1/cases/{reference}/{action}", json={**body, "version": version},
                               headers=headers)
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]


def sms_from(intake, text, message_id, phone=PHONE):
    answer = requests.post(f"{intake.url}{GATEWAY}", json={"message_id": message_id, "from": phone, "to": "1313",
                                                            "text": text},
                           headers={"X-CFM-Secret": "dev-gateway-secret"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_case(services, db, sms_sink) -> str:
    reference = requests.post(f"{services['intake'].url}/v1/feedback", json=CALL,
                              headers=services["intake"].headers()).json()["reference"]
    wait_for(lambda: len(texts_to(sms_sink)) == 1)  # the acknowledgement
    return reference


def timeline(cases, reference, role="agent"):
    return requests.get(f"{cases.url}/v1/cases/{reference}", headers=cases.headers(role)).json()["timeline"]


def test_a_no_by_sms_reaches_the_timeline_the_supervisors_review_list_and_the_report(run_service, db, sms_sink,
                                                                                     amqp_uri, es_prefix):
    services = platform(run_service, sms_sink, with_reporting=True)
    intake, cases, reporting = services["intake"], services["cases"], services["reporting"]
    reference = open_case(services, db, sms_sink)

    close(cases, reference)

    wait_for(lambda: len(texts_to(sms_sink)) == 2)
    question = texts_to(sms_sink)[1]
    assert reference in question and "1 pour OUI, 2 pour NON" in question
    # The same survey delivered again (a replay, a second relay): no second question.
    survey_id, case_id, feedback_id, asked_at, answer_by = db.execute(
        """SELECT s.survey_id, s.case_id, c.feedback_id, s.asked_at, s.answer_by
           FROM cases.satisfaction_surveys s JOIN cases.cases c USING (case_id)""").fetchone()
    replayed = publish_event(amqp_uri, "cases", SatisfactionQuestionDue(
        survey_id=survey_id, case_id=case_id, reference=reference, contact_ref=db.execute(
            "SELECT contact_ref FROM cases.cases").fetchone()[0], feedback_id=feedback_id, language="fr",
        asked_at=asked_at, answer_by=answer_by))
    wait_for(lambda: db.execute("SELECT 1 FROM notifications.processed_messages WHERE message_id::text = %s",
                                [str(replayed.message_id)]).fetchone())

    receipt = sms_from(intake, "2", "gw-answer-1")

    assert receipt == {"status": "reply_received", "reference": None, "feedback_id": None}
    assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 1  # not a complaint
    assert db.execute("SELECT answer FROM intake.keyword_replies").fetchall() == [("no",)]
    export = requests.post(f"{intake.url}/v1/contacts/export", json={"country": "GN", "phone": PHONE},
                           headers=intake.headers("focal_point")).json()
    assert [(each["answer"], each["channel"]) for each in export["answers"]] == [("no", "sms")]
    answered = wait_for(lambda: [entry for entry in timeline(cases, reference)
                                 if entry["action"] == "satisfaction_answered"])
    assert answered[0]["detail"] == {"satisfied": False, "channel": "sms"}
    assert len(texts_to(sms_sink)) == 2
    sample = requests.get(f"{cases.url}/v1/quality/sample", params={"country": "GN"},
                          headers=cases.headers("supervisor")).json()
    assert [(case["reference"], case["reason"]) for case in sample["cases"]] == [(reference, "dissatisfied")]
    # The supervisor's review is the quality review, as for a drawn case.
    review = requests.post(f"{cases.url}/v1/quality/reviews/{reference}", json={"score": 2, "comment": "Rappeler"},
                           headers=cases.headers("supervisor"))
    assert review.status_code == 200, review.text

    def report(**params):
        Elasticsearch(ES_URL).indices.refresh(index=f"{es_prefix}*")
        return requests.get(f"{reporting.url}/v1/reports", headers=reporting.headers("manager"), params={
            "country": "GN", "period": "week", "date": datetime.now(UTC).date().isoformat(), **params})
    satisfaction = wait_for(lambda: report().json()["satisfaction"] if report().json()["satisfaction"]["answered"]
                            else None, timeout=20)
    # One answer: the report counts it, but neither the total nor any line tells what this person said.
    assert (satisfaction["answered"], satisfaction["satisfied"], satisfaction["share_satisfied"],
            satisfaction["suppressed"]) == (1, None, None, True)
    assert satisfaction["by_channel"] == [{"key": "hotline", "answered": None, "satisfied": None,
                                           "share_satisfied": None, "suppressed": True}]
    assert [(line["key"], line["suppressed"]) for line in satisfaction["by_country"]] == [("GN", True)]
    rows = list(csv.DictReader(io.StringIO(report(format="csv").text)))
    assert {(row["key"], row["measure"], row["value"]) for row in rows if row["table"] == "Satisfaction by channel"} \
        == {("hotline", "Answers", "<5"), ("hotline", "Satisfied", "<5"), ("hotline", "Share satisfied", "<5")}
    sheet = load_workbook(io.BytesIO(report(format="xlsx").content))["Satisfaction by country"]
    assert [cell.value for cell in sheet[2]] == ["GN", "<5", "<5", "<5"]
    lines = list(csv.reader(io.StringIO(report(format="hxl").text)))
    records = [dict(zip(lines[1], line)) for line in lines[2:]]
    assert [(r["#channel"], r["#indicator+answers+satisfaction"], r["#indicator+satisfied"]) for r in records] == [
        ("hotline", "<5", "0")]  # one answer, withheld like every figure from 1 to 4 in this file


def test_a_yes_is_satisfied_and_a_sentence_with_non_or_a_late_answer_changes_nothing(run_service, db, sms_sink):
    services = platform(run_service, sms_sink)
    intake, cases = services["intake"], services["cases"]

    def unmatched():
        return metric_value(requests.get(cases.metrics_url).text, "cfm_cases_satisfaction_answers_unmatched_total",
                            country="GN")
    before = unmatched()
    # An answer before any question: counted, kept by intake, answers nothing.
    assert sms_from(intake, "OUI", "gw-early")["status"] == "reply_received"
    reference = open_case(services, db, sms_sink)
    close(cases, reference)
    wait_for(lambda: len(texts_to(sms_sink)) == 2)

    sentence = sms_from(intake, "Non, je n'ai toujours rien reçu", "gw-sentence")
    assert sentence["status"] == "received"  # a complaint like any other, with a case of its own
    assert sms_from(intake, " oui. ", "gw-yes")["status"] == "reply_received"

    answered = wait_for(lambda: [entry for entry in timeline(cases, reference)
                                 if entry["action"] == "satisfaction_answered"])
    assert answered[0]["detail"]["satisfied"] is True
    assert db.execute("SELECT satisfied FROM cases.satisfaction_surveys").fetchall() == [(True,)]
    sample = requests.get(f"{cases.url}/v1/quality/sample", params={"country": "GN"},
                          headers=cases.headers("supervisor")).json()
    assert all(case["reason"] == "sampled" for case in sample["cases"])
    # A second answer finds no open survey: the first one stands.
    sms_from(intake, "2", "gw-no-after")
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.processed_messages WHERE consumer LIKE %s",
                                ["%reply_received%"]).fetchone()[0] == 3)
    assert db.execute("SELECT satisfied FROM cases.satisfaction_surveys").fetchall() == [(True,)]
    assert unmatched() == before + 2  # the answer before the question and the one after the first answer


def test_no_question_after_closure_to_a_person_who_withdrew_their_consent(run_service, db, sms_sink):
    services = platform(run_service, sms_sink)
    intake, cases = services["intake"], services["cases"]
    reference = open_case(services, db, sms_sink)
    assert sms_from(intake, "STOP", "gw-stop")["status"] == "consent_withdrawn"
    wait_for(lambda: db.execute("SELECT consent_callback FROM cases.cases").fetchone() == (False,))
    wait_for(lambda: len(texts_to(sms_sink)) == 2)  # Guinea confirms the withdrawal, once

    close(cases, reference)

    assert db.execute("SELECT count(*) FROM cases.satisfaction_surveys").fetchone()[0] == 0
    assert not any(entry["action"] == "satisfaction_asked" for entry in timeline(cases, reference))
    assert len(texts_to(sms_sink)) == 2
