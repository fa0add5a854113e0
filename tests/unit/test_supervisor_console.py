"""The supervisor's pages, pure rules: where a board count leads, what the reassignment and review forms
become for the cases API, and every word of their families in French and English."""
from werkzeug.datastructures import MultiDict

from services.console import domain
from services.console.i18n import CATALOG


def test_each_board_count_leads_to_the_list_it_counts():
    assert domain.board_link("GN", "breached", "team", "kindia") == \
        "/reassign?country=GN&deadline_state=breached&team=kindia"
    assert domain.board_link("GN", "warning", "assignee", None) == \
        "/reassign?country=GN&deadline_state=warning&unassigned=true"
    assert domain.board_link("ML", "warning", "team", None).endswith("no_team=true")
    params = domain.list_params(MultiDict({"country": "gn", "deadline_state": "breached", "team": "kindia",
                                           "unassigned": "true", "status": "closed"}))
    assert params == {"limit": 100, "country": "GN", "deadline_state": "breached", "team": "kindia",
                      "unassigned": "true"}
    assert "deadline_state" not in domain.list_params(MultiDict({"deadline_state": "ok"}))


def test_the_ticked_cases_go_to_the_cases_api_with_the_version_each_was_seen_at():
    body, errors = domain.reassignment_body(MultiDict([("case", "GN-2026-000042:3"), ("case", "GN-2026-000057:1"),
                                                       ("case", "nonsense"), ("team", " kindia ")]))
    assert errors == []
    assert body == {"cases": [{"reference": "GN-2026-000042", "version": 3},
                              {"reference": "GN-2026-000057", "version": 1}], "team": "kindia"}
    _, errors = domain.reassignment_body(MultiDict({"assignee": "agent-fanta"}))
    assert errors == [("case", "choose_cases")]
    _, errors = domain.reassignment_body(MultiDict({"case": "GN-2026-000042:3"}))
    assert errors == [("assignee", "required")]


def test_a_review_needs_a_score_from_1_to_5_and_keeps_the_comment():
    assert domain.review_body(MultiDict({"score": "4", "comment": " Polite. "})) == \
        ({"score": 4, "comment": "Polite."}, [])
    assert domain.review_body(MultiDict({"score": "6"}))[1] == [("score", "choose")]
    assert domain.review_body(MultiDict({}))[1] == [("score", "choose")]
    assert domain.previous_week("2026-11-30") == "2026-11-23"


def test_the_supervisors_words_come_in_french_and_english():
    families = [f"board.{part}.{column}" for part in ("by", "column", "none") for column in ("team", "assignee")]
    families += [f"reassign.outcome.{outcome}" for outcome in ("version_conflict", "case_not_found")]
    families += [f"alert_reason.{reason}" for reason in ("deadline_warning", "deadline_breached", "emergency_case")]
    families += [f"review.score.{score}" for score in domain.REVIEW_SCORES]
    assert [key for key in families if key not in CATALOG] == []
    assert domain.home_of("supervisor") == "/board"
