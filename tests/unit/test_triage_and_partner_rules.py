"""Pure rules of a focal point's triage and a partner's referrals: what a release needs, what the console's
forms become, and who may see a complainant's contact for a referral."""
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from chassis.errors import Refused
from services.cases import domain as cases
from services.console import domain as console
from services.console.i18n import CATALOG
from services.intake.domain import reveal_refusal


def test_a_held_case_is_released_only_into_an_ordinary_category():
    assert cases.check_release(True, cases.DEFAULT_TAXONOMY, 4, "cash").code == 4
    with pytest.raises(Refused) as sensitive:
        cases.check_release(True, cases.DEFAULT_TAXONOMY, 6, None)
    assert sensitive.value.code == "category_sensitive"
    with pytest.raises(Refused) as visible:
        cases.check_release(False, cases.DEFAULT_TAXONOMY, 4, None)
    assert (visible.value.status, visible.value.code) == (409, "not_restricted")


def test_a_release_form_needs_a_reason_and_an_ordinary_category():
    form = MultiDict({"version": "3", "category_code": "4", "reason": " Conflit de voisinage ", "sub_category": "x"})
    assert console.triage_body("release", form) == (
        {"version": 3, "category_code": 4, "reason": "Conflit de voisinage"}, [])
    assert console.triage_body("release", MultiDict({"version": "3", "category_code": "4"}))[1] == [
        ("reason", "required")]
    assert console.triage_body("release", MultiDict({"version": "3", "category_code": "6", "reason": "x"}))[1] == [
        ("release_category", "choose")]
    assert console.triage_body("confirm", MultiDict({"version": "3", "category_code": "4"}))[1] == [
        ("confirm_category", "choose")]
    assert console.triage_body("confirm", MultiDict({"version": "2", "category_code": "10"}))[0] == {
        "version": 2, "category_code": 10}
    referral_id = "3550adf2-e8f4-4d5a-a52f-01f0a9456822"
    assert console.triage_body("route", MultiDict({"referral_id": referral_id}))[1] == [("partner_id", "choose")]
    assert console.triage_body("route", MultiDict({"referral_id": "../../v1/partners", "partner_id": "x"}))[1] == [
        ("route", "invalid")]


def test_a_decline_takes_only_the_reasons_referrals_knows():
    assert console.decline_reason(MultiDict({"reason": "no_capacity"})) == "no_capacity"
    assert console.decline_reason(MultiDict({"reason": "bored"})) is None
    assert console.decline_reason(MultiDict({})) is None


def test_a_partner_lands_on_their_referrals_and_every_status_and_reason_has_words():
    assert console.home_of("partner") == "/referrals"
    for status in ("sent", "needs_routing", "accepted", "declined", "rerouted", "withdrawn"):
        assert f"referral_status.{status}" in CATALOG
    for reason in console.DECLINE_REASONS:
        assert f"decline.{reason}" in CATALOG


def test_only_referrals_may_reveal_a_contact_for_a_partner_and_only_on_recorded_consent():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    # A partner may act weeks after the referral: the consent to sharing still holds.
    assert reveal_refusal("referral", "referrals", now - timedelta(days=30), 0, now) is None
    assert reveal_refusal("referral", "referrals", None, 0, now) == "no_grounds"   # no consent recorded
    assert reveal_refusal("referral", "notifications", now, 0, now) == "requester_not_allowed"
    assert reveal_refusal("acknowledgement", "referrals", now, 0, now) == "requester_not_allowed"
    assert reveal_refusal("referral", "referrals", now - timedelta(days=91), 0, now) == "grounds_too_old"
