"""The rules of callbacks without I/O: who cannot be texted, when a task is due, what the Callbacks table
says, and the case page's tick asking for a call to explain the answer."""
from datetime import UTC, datetime, timedelta

from services.cases.callbacks import Policy, cannot_be_texted
from services.console.domain import case_action_body
from services.reporting.reports import callback_figures

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def test_a_typed_number_or_an_email_cannot_be_texted_and_a_verified_number_can():
    assert cannot_be_texted("web_form", False) and cannot_be_texted("suggestion_box", False)
    assert cannot_be_texted("email", True)
    assert not cannot_be_texted("sms", True) and not cannot_be_texted("hotline", True)
    assert not cannot_be_texted("hotline", None)  # a producer that does not say: notifications still texts


def test_a_task_is_due_after_its_reason_s_own_hours_or_the_country_s():
    policy = Policy(due_hours=24, max_failed_attempts=3, due_hours_by_reason={"needs_explaining": 48})
    assert policy.due_at("needs_explaining", NOW) == NOW + timedelta(hours=48)
    assert policy.due_at("no_sms", NOW) == NOW + timedelta(hours=24)


def test_the_callbacks_row_computes_median_mean_and_spread_of_the_delay_to_reach():
    row = callback_figures("GN", {"no_sms": 2, "message_failed": 1}, {"reached": 3, "no_answer": 4}, 1,
                           [2.0, 30.0, 100.0])
    assert (row.opened, row.attempts, row.reached, row.unreachable) == (3, 7, 3, 1)
    assert (row.median_hours_to_reach, row.mean_hours_to_reach) == (30.0, 44.0)
    assert row.reach_delay == {"0-4h": 1, "4-24h": 0, "24-72h": 1, "72h+": 1}
    empty = callback_figures("ML", {}, {}, 0, [])
    assert (empty.median_hours_to_reach, empty.mean_hours_to_reach, empty.attempts) == (None, None, 0)


def test_the_case_page_asks_for_a_call_to_explain_only_when_ticked_on_resolve_or_close():
    ticked = {"version": "3", "resolution": "Payé le 27", "explain_by_phone": "yes"}
    assert case_action_body("resolve", ticked, "agent")[0] == {"version": 3, "resolution": "Payé le 27",
                                                               "explain_by_phone": True}
    assert "explain_by_phone" not in case_action_body("resolve", {**ticked, "explain_by_phone": ""}, "agent")[0]
    closing = {"version": "4", "response": "Expliqué", "response_channel": "call", "explain_by_phone": "yes"}
    assert case_action_body("close", closing, "agent")[0]["explain_by_phone"] is True
    assert "explain_by_phone" not in case_action_body("notes", {"version": "4", "text": "x",
                                                                "explain_by_phone": "yes"}, "agent")[0]
