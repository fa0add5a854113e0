"""Pure rules of notifications' status replies and alerts, and of referral deadlines."""
from datetime import UTC, datetime, timedelta

from services.notifications.domain import STATUS_IN_WORDS, alert_text, status_reply_text
from services.referrals.directory import choose_partner
from services.referrals.domain import awaits_answer, may_reroute, respond_by

CASE_STATUSES = ("new", "acknowledged", "in_progress", "waiting_for_complainant", "referred", "resolved", "closed",
                 "reopened")


def test_every_case_status_has_words_in_every_language():
    for language, words in STATUS_IN_WORDS.items():
        assert set(words) == set(CASE_STATUSES), language


def test_a_status_reply_never_says_the_case_went_to_a_partner():
    assert status_reply_text("fr", "GN-2026-000042", True, "referred") == status_reply_text(
        "fr", "GN-2026-000042", True, "in_progress")


def test_the_neutral_answer_is_the_same_for_every_reference():
    assert status_reply_text("en", "GN-2026-000001", False, None) == status_reply_text("en", "ML-2026-000999", False,
                                                                                        None)


def test_an_unknown_status_reads_as_being_handled():
    assert status_reply_text("en", "GN-2026-000042", True, "archived") == "Your case GN-2026-000042 is being handled."


def test_an_alert_gives_the_due_time_on_the_countrys_clock():
    due = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert alert_text("en", "deadline_breached", "NG-2026-000007", "refer", due, "Africa/Lagos") == (
        "CFM alert: case NG-2026-000007, the referral deadline passed on 29/03/2026 at 01:30 (Lagos time).")


def test_a_partner_has_its_configured_time_to_answer_and_an_emergency_less():
    created = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert respond_by(created, False, timedelta(hours=48), timedelta(hours=1)) == created + timedelta(hours=48)
    assert respond_by(created, True, timedelta(hours=48), timedelta(hours=1)) == created + timedelta(hours=1)


def test_only_a_referral_awaiting_its_partner_can_be_answered():
    assert awaits_answer("sent")
    assert not any(awaits_answer(status) for status in ("accepted", "declined", "needs_routing"))


def test_supervisor_alert_recipients_are_set_per_country_from_the_environment():
    from chassis.settings import load_settings
    from services.notifications.settings import NotificationsSettings

    settings = load_settings(NotificationsSettings, "notifications", environ={
        "CFM__ALERTS__RECIPIENTS": '{"GN": [{"id": "gn-night-shift", "phone": "+224620009999"}]}'})
    assert [(r.id, r.phone) for r in settings.alerts.recipients["GN"]] == [("gn-night-shift", "+224620009999")]
    assert settings.alerts.recipients["ML"]  # other countries keep their configured recipients


def test_a_focal_point_may_reroute_what_no_partner_has_taken():
    assert [status for status in ("sent", "needs_routing", "declined", "accepted", "rerouted")
            if may_reroute(status)] == ["sent", "needs_routing", "declined"]
    assert not awaits_answer("rerouted")  # the partner it was taken from can no longer answer it


def test_an_emergency_reaches_the_threat_to_life_partner_even_under_an_ordinary_category():
    from services.referrals.settings import PartnerSettings
    partners = [PartnerSettings(id="psea", name="PSEA", categories=[6, 8]),
                PartnerSettings(id="protection", name="Protection", categories=[9, 10])]
    assert choose_partner(partners, 4, emergency=True) == "protection"
    assert choose_partner(partners, 6, emergency=True) == "psea"
    assert choose_partner(partners, 4) is None          # not an emergency: a focal point routes it
