"""The agent's desk, pure rules: the place picker from a country's gazetteer, the location sent to intake,
and what an agent may tell a caller asking about their case."""
from werkzeug.datastructures import MultiDict

from services.console import domain

PLACES = [
    {"code": "GN-D", "name": "Kindia", "level": "adm1", "parent": None},
    {"code": "GN-KD", "name": "Kindia", "level": "adm2", "parent": "GN-D"},
    {"code": "GN-CO", "name": "Coyah", "level": "adm2", "parent": "GN-D"},
    {"code": "GN-KD-MAM", "name": "Mambia", "level": "site", "parent": "GN-KD"},
    {"code": "GN-C", "name": "Conakry", "level": "adm1", "parent": None},
    {"code": "GN-C-MAT", "name": "Matam", "level": "adm2", "parent": "GN-C"},
]
CALL = {"country": "GN", "channel": "hotline", "narrative": "Le paiement est en retard."}


def test_the_picker_lists_each_region_with_its_prefectures_and_their_sites():
    groups = domain.place_groups(PLACES)
    assert [(region["name"], [label for _, label in options]) for region, options in groups] == [
        ("Kindia", ["Kindia", "Kindia · Mambia", "Coyah"]), ("Conakry", ["Matam"])]


def test_a_place_chosen_is_sent_by_the_gazetteers_names_and_one_said_only_when_no_site_is_chosen():
    def location(**fields):
        submission, errors = domain.feedback_from_form(MultiDict({**CALL, **fields}), ["GN"], {}, {"GN": PLACES})
        assert not errors
        return submission.get("location")
    assert location(place_code="GN-KD-MAM") == {"adm1": "Kindia", "adm2": "Kindia", "place": "Mambia"}
    assert location(place_code="GN-CO", place_said="Manéah") == {"adm1": "Kindia", "adm2": "Coyah", "place": "Manéah"}
    assert location(place_code="GN-KD-MAM", place_said="ailleurs") == {"adm1": "Kindia", "adm2": "Kindia",
                                                                       "place": "Mambia"}
    assert location(place_said="Sinko") == {"place": "Sinko"}
    assert location() is None


def test_a_place_of_another_country_or_unknown_is_refused():
    for code in ("ML-BKO", "GN-NOWHERE"):
        _, errors = domain.feedback_from_form(MultiDict({**CALL, "place_code": code}), ["GN", "ML"], {},
                                              {"GN": PLACES, "ML": []})
        assert errors == [("place_code", "choose")]


def test_a_caller_hears_their_cases_status_and_once_closed_the_answer_recorded_for_them():
    case = {"status": "in_progress", "restricted": False, "received_at": "2026-11-20T10:00:00+00:00",
            "resolution": None, "response": None}
    assert domain.status_for_caller(case)["status"] == "in_progress"
    assert "answer" not in domain.status_for_caller(case)
    deadlines = [{"kind": "acknowledge", "due_at": "2026-11-21T10:00:00+00:00", "settled_at": None},
                 {"kind": "resolve", "due_at": "2026-12-04T10:00:00+00:00", "settled_at": None}]
    assert domain.status_for_caller({**case, "deadlines": deadlines})["answer_by"] == "2026-12-04T10:00:00+00:00"
    closed = {**case, "status": "closed", "resolution": "Added to the list.", "response": "Paid in December."}
    assert domain.status_for_caller(closed)["answer"] == "Paid in December."
    # A restricted case says nothing that would tell whoever holds the phone it was sensitive.
    assert domain.status_for_caller({**case, "status": "referred", "restricted": True})["status"] == "in_progress"
    assert "answer" not in domain.status_for_caller({**closed, "restricted": True})



def test_a_reference_read_out_over_the_phone_is_written_as_cases_know_it():
    assert domain.case_reference(" gn 2026 000042 ") == "GN-2026-000042"
    assert domain.case_reference("GN-2026-000042") == "GN-2026-000042"
    for typed in ("", "GN-2026-42", "GN-2026-000042/close", "../admin/clock"):
        assert domain.case_reference(typed) is None
