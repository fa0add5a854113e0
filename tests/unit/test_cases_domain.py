"""The pure rules of cases: first deadlines, priorities, the workflow and its transitions."""
from datetime import UTC, datetime, timedelta

import pytest

from services.cases import domain
from services.cases.business_time import Calendar
from services.cases.classifier import suggest

CONAKRY = Calendar("Africa/Conakry")
LAGOS = Calendar("Africa/Lagos")
POLICY = domain.DeadlinePolicy()


def first_deadline(narrative, now, calendar=CONAKRY):
    deadline = domain.opening_deadlines(POLICY, calendar, suggest(narrative), now)[0]
    return deadline.kind, deadline.due_at


def test_threat_to_life_is_an_emergency_referred_within_the_hour():
    opened = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    suggestion = suggest("Ils ont menacé de me tuer")
    assert suggestion.category_code == 9 and domain.priority_of(suggestion) == "emergency"
    assert first_deadline("Ils ont menacé de me tuer", opened) == ("refer", opened + timedelta(hours=1))


def test_sensitive_case_must_be_referred_within_24_hours_even_on_a_weekend():
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert first_deadline("abus sexuel par un gardien", saturday) == ("refer", saturday + timedelta(hours=24))
    assert domain.priority_of(suggest("abus sexuel par un gardien")) == "high"


def test_acknowledgement_due_next_business_day_skips_the_weekend():
    friday_evening = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # Conakry is UTC+0
    kind, due = first_deadline("Question sur la formation", friday_evening)
    assert kind == "acknowledge"
    assert due == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # Monday


def test_business_days_follow_the_country_time_zone():
    # 23:30 UTC on Friday is already Saturday 00:30 in Lagos (UTC+1): the clock starts on Monday
    # at midnight, Lagos time, and one business day later is Tuesday 00:00 there.
    late_friday = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    _, due = first_deadline("Question", late_friday, LAGOS)
    assert due.astimezone(UTC) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


def test_each_category_brings_its_own_deadlines():
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    kinds = lambda text: [d.kind for d in domain.opening_deadlines(POLICY, CONAKRY, suggest(text), monday)]  # noqa: E731
    assert kinds("Quand est la prochaine distribution ?") == ["acknowledge", "first_response"]
    assert kinds("Le paiement est en retard depuis deux mois") == ["acknowledge", "resolve"]
    assert kinds("On m'a demandé un pot de vin pour être sur la liste") == ["refer", "acknowledge"]
    resolve = domain.opening_deadlines(POLICY, CONAKRY, suggest("Le paiement est en retard"), monday)[1]
    assert resolve.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # ten working days later


@pytest.mark.parametrize("current, target", [
    ("new", "acknowledged"), ("new", "in_progress"), ("acknowledged", "waiting_for_complainant"),
    ("waiting_for_complainant", "in_progress"), ("in_progress", "referred"), ("referred", "resolved"),
    ("resolved", "reopened"), ("closed", "reopened"), ("reopened", "in_progress"),
])
def test_allowed_transitions(current, target):
    domain.check_transition(current, target)


@pytest.mark.parametrize("current, target", [
    ("new", "closed"), ("in_progress", "closed"), ("closed", "in_progress"), ("resolved", "in_progress"),
    ("acknowledged", "new"), ("closed", "resolved"), ("in_progress", "acknowledged"),
])
def test_forbidden_transitions_are_refused_with_a_reason(current, target):
    with pytest.raises(domain.Refused) as refused:
        domain.check_transition(current, target)
    assert (refused.value.status, refused.value.code) == (409, "transition_not_allowed")


def test_closing_needs_the_response_and_how_or_why_there_was_no_contact():
    with pytest.raises(domain.Refused) as refused:
        domain.check_transition("resolved", "closed", domain.Closure(response="Paid on 3 Dec"))
    assert refused.value.code == "closure_needs_response"
    domain.check_transition("resolved", "closed", domain.Closure(response="Paid on 3 Dec", response_channel="sms"))
    domain.check_transition("resolved", "closed", domain.Closure(no_contact_reason="Anonymous message"))


def test_which_deadlines_a_move_settles():
    assert domain.deadlines_settled_by("acknowledged") == ("acknowledge",)
    assert set(domain.deadlines_settled_by("resolved")) == {"acknowledge", "first_response", "resolve"}
    assert "refer" in domain.deadlines_settled_by("referred")
    assert domain.deadlines_settled_by("closed") == ()


def test_a_classification_must_exist_in_the_taxonomy():
    assert domain.check_classification(domain.DEFAULT_TAXONOMY, 9, None).emergency
    with pytest.raises(domain.Refused) as refused:
        domain.check_classification(domain.DEFAULT_TAXONOMY, 42, None)
    assert refused.value.code == "unknown_category"
    with pytest.raises(domain.Refused):
        domain.check_classification(domain.DEFAULT_TAXONOMY, 2, "spaceships")


def test_the_owner_of_a_restricted_case_learns_only_a_neutral_status():
    assert domain.status_for_complainant("waiting_for_complainant", restricted=False) == "waiting_for_complainant"
    assert domain.status_for_complainant("referred", restricted=True) == "in_progress"
    assert domain.status_for_complainant("closed", restricted=True) == "closed"


def test_a_sensitive_case_owes_the_complainant_an_acknowledgement_besides_its_referral():
    friday_evening = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
    deadlines = domain.opening_deadlines(POLICY, CONAKRY, suggest("abus sexuel par un gardien"), friday_evening)
    assert [(d.kind, d.due_at) for d in deadlines] == [
        ("refer", friday_evening + timedelta(hours=24)),
        ("acknowledge", datetime(2026, 11, 23, 17, 30, tzinfo=UTC))]  # Monday, one business day later
    assert "acknowledge" not in domain.deadlines_settled_by("referred")  # a referral tells the person nothing
