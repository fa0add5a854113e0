"""The supervisor's endpoints of cases on real PostgreSQL and RabbitMQ: the deadline board, assigning
several cases at once, and the weekly quality sample with its reviews. A restricted case is never
counted, assigned or sampled for a supervisor, who cannot open it."""
from datetime import UTC, datetime

import pytest
import requests

from tests.conftest import wait_for
from tests.integration.test_cases_workflow import ABUSE, DELAY, open_case, set_clock
from tests.integration.test_cases_workflow import Api as CaseApi

MONDAY_9AM = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)   # Conakry is on UTC
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
NEXT_TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class Api(CaseApi):
    def post(self, path, body):
        return requests.post(f"{self.url}{path}", json=body, headers=self.headers, timeout=10)


@pytest.fixture
def cases(run_service):
    return run_service("cases", clock={"adjustable": True}, deadlines={"scan_seconds": 0.1},
                       quality={"sample_per_agent": 1})


def close(api, reference, version):
    resolved = api.act(reference, "resolve", {"resolution": "Paid on the December list.", "version": version})
    closed = api.act(reference, "close", {"response": "Your payment comes in December.", "response_channel": "call",
                                          "version": resolved.json()["version"]})
    assert closed.status_code == 200, closed.text


def test_the_board_counts_breaches_by_team_and_agent_and_cases_are_assigned_several_at_once(cases, amqp_uri, db):
    set_clock(cases, MONDAY_9AM)
    for number in (301, 302, 303):
        open_case(amqp_uri, db, DELAY, f"GN-2026-000{number}", received_at=MONDAY_9AM)
    open_case(amqp_uri, db, ABUSE, "GN-2026-000304", received_at=MONDAY_9AM)
    supervisor, focal = Api(cases, "supervisor", subject="sup-ibrahima"), Api(cases, "focal_point")
    assert supervisor.act("GN-2026-000301", "assignment", {"assignee": "agent-fanta", "team": "kindia",
                                                           "version": 1}).status_code == 200
    # Acknowledging was due Tuesday 9:00: on Wednesday every case is in breach.
    set_clock(cases, WEDNESDAY_NOON)
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases WHERE deadline_state = 'breached'").fetchone()[0]
             == 4)

    board = supervisor.get("/v1/cases/deadline-board").json()
    assert board["as_of"].startswith("2026-11-18T12:0")
    [guinea] = board["countries"]
    assert (guinea["country"], guinea["breaches"], guinea["warnings"]) == ("GN", 3, 0)   # not the restricted one
    assert [(line["key"], line["breaches"]) for line in guinea["by_team"]] == [("kindia", 1), (None, 2)]
    assert [(line["key"], line["breaches"]) for line in guinea["by_agent"]] == [("agent-fanta", 1), (None, 2)]
    # Each line leads to the list it counts.
    unassigned = supervisor.get("/v1/cases", country="GN", deadline_state="breached", unassigned="true").json()
    assert sorted(case["reference"] for case in unassigned["cases"]) == ["GN-2026-000302", "GN-2026-000303"]
    assert [c["reference"] for c in supervisor.get("/v1/cases", team="kindia").json()["cases"]] == ["GN-2026-000301"]
    assert len(supervisor.get("/v1/cases", deadline_state="breached", no_team="true").json()["cases"]) == 2
    assert focal.get("/v1/cases/deadline-board").json()["countries"][0]["breaches"] == 4
    assert Api(cases).get("/v1/cases/deadline-board").status_code == 403
    assert supervisor.get("/v1/cases/deadline-board", country="ML").json()["error"]["code"] == "country_not_in_scope"

    # Three at once: one changed since it was read, one the supervisor cannot see, one assigned.
    answer = supervisor.post("/v1/cases/assignments", {
        "cases": [{"reference": "GN-2026-000301", "version": 1}, {"reference": "GN-2026-000302", "version": 1},
                  {"reference": "GN-2026-000304", "version": 1}], "assignee": "agent-moussa", "team": "conakry"})
    assert answer.status_code == 200, answer.text
    assert [(r["reference"], r["outcome"]) for r in answer.json()["results"]] == [
        ("GN-2026-000301", "version_conflict"), ("GN-2026-000302", "assigned"), ("GN-2026-000304", "case_not_found")]
    assert supervisor.case("GN-2026-000301").json()["assignee"] == "agent-fanta"   # not overwritten
    assert supervisor.case("GN-2026-000302").json()["assignee"] == "agent-moussa"
    audit = db.execute("SELECT actor, action, reference FROM cases.audit_log WHERE actor = 'sup-ibrahima'").fetchall()
    assert ("sup-ibrahima", "assign", "GN-2026-000302") in audit
    assert ("sup-ibrahima", "assign_denied", "GN-2026-000304") in audit
    twice = supervisor.post("/v1/cases/assignments", {"cases": [{"reference": "GN-2026-000302", "version": 2}] * 2,
                                                      "assignee": "agent-fanta"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (422, "duplicate_reference")
    assert Api(cases).post("/v1/cases/assignments", {"cases": [{"reference": "GN-2026-000302", "version": 2}],
                                                     "assignee": "x"}).status_code == 403


def test_each_agents_closed_cases_are_sampled_once_a_week_and_reviewed(cases, amqp_uri, db):
    set_clock(cases, MONDAY_9AM)
    for number in (311, 312, 313, 314):
        open_case(amqp_uri, db, DELAY, f"GN-2026-000{number}", received_at=MONDAY_9AM)
    open_case(amqp_uri, db, ABUSE, "GN-2026-000315", received_at=MONDAY_9AM)
    fanta, moussa = Api(cases, subject="agent-fanta"), Api(cases, subject="agent-moussa")
    focal = Api(cases, "focal_point", subject="fp-aissatou")
    for number in (311, 312, 313):
        close(fanta, f"GN-2026-000{number}", 1)
    close(moussa, "GN-2026-000314", 1)
    close(focal, "GN-2026-000315", 1)   # restricted: never drawn for a supervisor's review
    supervisor = Api(cases, "supervisor", subject="sup-ibrahima")

    first = supervisor.get("/v1/quality/sample", country="GN").json()
    assert (first["week_start"], first["per_agent"], first["complete"]) == ("2026-11-16", 1, False)
    assert sorted(case["agent"] for case in first["cases"]) == ["agent-fanta", "agent-moussa"]
    assert "GN-2026-000315" not in str(first)
    again = supervisor.get("/v1/quality/sample", country="GN", week="2026-11-20").json()
    assert again["cases"] == first["cases"]                     # kept, not redrawn

    sampled = next(case["reference"] for case in first["cases"] if case["agent"] == "agent-fanta")
    reviewed = supervisor.post(f"/v1/quality/reviews/{sampled}", {"score": 4, "comment": "Polite, one day late."})
    assert reviewed.status_code == 200, reviewed.text
    not_sampled = next(f"GN-2026-000{n}" for n in (311, 312, 313) if f"GN-2026-000{n}" != sampled)
    refused = supervisor.post(f"/v1/quality/reviews/{not_sampled}", {"score": 3})
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_in_sample")
    assert supervisor.post(f"/v1/quality/reviews/{sampled}", {"score": 6}).status_code == 422
    assert fanta.get("/v1/quality/sample", country="GN").status_code == 403
    assert supervisor.post("/v1/quality/reviews/GN-2026-000315", {"score": 1}).json()["error"]["code"] == \
        "case_not_found"

    # The week over, the next look draws it for good: the same cases, the review with them.
    set_clock(cases, NEXT_TUESDAY)
    final = supervisor.get("/v1/quality/sample", country="GN", week="2026-11-16").json()
    assert final["complete"] and [c["reference"] for c in final["cases"]] == [c["reference"] for c in first["cases"]]
    review = next(case["review"] for case in final["cases"] if case["reference"] == sampled)
    assert (review["score"], review["comment"], review["reviewer"]) == (4, "Polite, one day late.", "sup-ibrahima")
    audit = db.execute("""SELECT action, reference, detail->>'score' FROM cases.audit_log
                          WHERE actor = 'sup-ibrahima' AND action LIKE 'quality%%'""").fetchall()
    assert ("quality_review", sampled, "4") in audit
    assert sum(1 for row in audit if row[0] == "quality_sampled") == 2
