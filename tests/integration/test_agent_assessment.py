"""An agent's "sounds sensitive" and "life in danger" switches, from POST /v1/feedback through intake's
event to the case cases opens: restricted at once, and an emergency for a life in danger."""
import requests

from tests.conftest import wait_for

ORDINARY = "Le paiement de l'appui pour mon commerce est en retard depuis trois mois à Kindia."


def record(intake, assessment):
    body = {"country": "GN", "channel": "hotline", "narrative": ORDINARY}
    if assessment is not None:
        body["agent_assessment"] = assessment
    answer = requests.post(f"{intake.url}/v1/feedback", json=body, headers=intake.headers("agent"), timeout=10)
    assert answer.status_code == 202, answer.text
    return answer.json()["reference"]


def test_the_agents_switches_restrict_the_case_at_once_and_make_a_life_in_danger_an_emergency(run_service, db):
    intake, cases = run_service("intake"), run_service("cases")
    plain = record(intake, None)
    sensitive = record(intake, {"sensitive": True})
    danger = record(intake, {"life_in_danger": True})
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 3, timeout=20)

    def view(reference, role):
        return requests.get(f"{cases.url}/v1/cases/{reference}", headers=cases.headers(role), timeout=10)

    assert view(plain, "agent").json()["restricted"] is False
    for reference in (sensitive, danger):
        assert view(reference, "agent").status_code == 404, "hidden from agents from the first moment"
    flagged = view(sensitive, "focal_point").json()
    assert flagged["restricted"] and flagged["priority"] == "high" and flagged["category_code"] is None
    assert "agent_assessment" in flagged["sensitivity_reasons"] and flagged["deadline_kind"] == "refer"
    emergency = view(danger, "focal_point").json()
    assert emergency["restricted"] and emergency["priority"] == "emergency" and emergency["category_code"] == 9


def test_an_unknown_switch_is_refused_with_the_field_named(run_service, db):
    intake = run_service("intake")
    answer = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers("agent"), timeout=10, json={
        "country": "GN", "channel": "hotline", "narrative": ORDINARY, "agent_assessment": {"urgent": True}})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "agent_assessment.urgent"
