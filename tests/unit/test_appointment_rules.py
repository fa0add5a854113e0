"""Appointments: the slots a centre's opening hours give, what may be booked, and when the reminder is due."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cases.centres import (
    Centre, attendance_refusal, booking_refusal, cancel_refusal, free_places, parse_range,
)
from services.intake.domain import reveal_refusal
from services.notifications.domain import appointment_text, reminder_due, reminder_due_at, reminder_wanted

CONAKRY = ZoneInfo("Africa/Conakry")
MONDAY = date(2026, 11, 30)


def centre(**changes) -> Centre:
    facts = {"id": "gn-matam", "country": "GN", "name": {"fr": "Centre de Matam"}, "address": {"fr": "Matam"},
             "timezone": "Africa/Conakry", "slot_minutes": 30, "capacity": 4,
             "opening_hours": {"mon": (parse_range("08:30-10:00"), parse_range("14:00-15:10")),
                               "fri": (parse_range("09:00-10:00"),)}}
    return Centre(**{**facts, **changes})


def test_opening_ranges_are_cut_into_whole_slots_on_the_centres_clock():
    starts = centre().slots_on(MONDAY)
    assert [start.strftime("%H:%M") for start in starts] == ["08:30", "09:00", "09:30", "14:00", "14:30"]
    assert all(start.tzinfo == CONAKRY for start in starts)  # 15:00-15:10 is shorter than a slot: no slot
    assert centre().slots_on(MONDAY + timedelta(days=1)) == []  # closed on Tuesdays
    lagos = centre(timezone="Africa/Lagos", slot_minutes=60).slots_on(MONDAY)
    assert [start.astimezone(UTC).strftime("%H:%M") for start in lagos] == ["07:30", "13:00"]


def test_a_booking_starts_on_a_slot_in_the_future_and_within_the_horizon():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    nine = datetime.combine(MONDAY, time(9), CONAKRY)
    assert booking_refusal(centre(), nine, now, horizon_days=60) is None
    assert booking_refusal(centre(), nine.astimezone(UTC), now, horizon_days=60) is None  # any time zone
    assert booking_refusal(centre(), nine + timedelta(minutes=10), now, 60) == "not_a_slot"
    assert booking_refusal(centre(), datetime.combine(MONDAY, time(12), CONAKRY), now, 60) == "not_a_slot"
    assert booking_refusal(centre(), nine, nine + timedelta(minutes=1), 60) == "slot_in_the_past"
    assert booking_refusal(centre(), nine, now, horizon_days=2) == "slot_too_far_ahead"
    assert (free_places(4, 3), free_places(4, 4), free_places(2, 4)) == (1, 0, 0)


def test_a_centre_offers_and_takes_no_slot_on_a_closed_day():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    closed = centre(closed_days=frozenset({MONDAY}))
    nine = datetime.combine(MONDAY, time(9), CONAKRY)
    assert closed.slots_on(MONDAY) == []
    assert booking_refusal(closed, nine, now, horizon_days=60) == "centre_closed"
    assert booking_refusal(closed, nine + timedelta(days=7), now, horizon_days=60) is None  # the next Monday


def test_centres_close_on_their_countrys_public_holidays_and_each_on_its_own_closed_days():
    from chassis.settings import load_settings
    from services.cases.settings import CasesSettings

    next_year = date.today().year + 1
    new_year, independence_day = date(next_year, 1, 1), date(next_year, 10, 2)  # Guinea's public holidays
    staff_day = date(next_year, 11, 3)
    every_day = {day: ["09:00-10:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    own = {"country": "GN", "name": {"fr": "Centre"}, "address": {"fr": "Conakry"}, "opening_hours": every_day,
           "slot_minutes": 60}
    centres = load_settings(CasesSettings, "cases", environ={}, overrides={"appointments": {"centres": [
        {**own, "id": "gn-matam", "closed_days": [staff_day.isoformat()]}, {**own, "id": "gn-kindia"}]}}).centres
    for holiday in (new_year, independence_day):
        assert [centres[id].slots_on(holiday) for id in ("gn-matam", "gn-kindia")] == [[], []]
        assert len(centres["gn-matam"].slots_on(holiday + timedelta(days=1))) == 1  # the next working day opens
    assert centres["gn-matam"].slots_on(staff_day) == []
    assert len(centres["gn-kindia"].slots_on(staff_day)) == 1  # another centre's staff day is not its own


def test_the_desk_marks_a_person_once_and_nobody_misses_a_slot_that_has_not_started():
    nine = datetime.combine(MONDAY, time(9), CONAKRY)
    early = nine - timedelta(minutes=20)
    assert attendance_refusal("booked", "attended", nine, early) is None  # came early
    assert attendance_refusal("booked", "missed", nine, early) == "appointment_not_started"
    assert attendance_refusal("booked", "missed", nine, nine) is None
    assert attendance_refusal("attended", "missed", nine, nine) == "appointment_not_booked"
    assert attendance_refusal("cancelled", "attended", nine, early) == "appointment_not_booked"
    assert cancel_refusal("booked", nine, early) is None
    assert cancel_refusal("booked", nine, nine) == "appointment_started"
    assert cancel_refusal("cancelled", nine, early) == "appointment_not_booked"


def test_an_opening_range_must_close_after_it_opens():
    with pytest.raises(ValueError):
        parse_range("12:00-08:00")
    with pytest.raises(ValueError):
        parse_range("morning")


def test_the_reminder_is_due_the_day_before_at_its_time_until_the_appointment_starts():
    starts = datetime.combine(MONDAY, time(9), CONAKRY)
    remind_at = reminder_due_at(starts, "Africa/Conakry", time(10))
    assert remind_at == datetime(2026, 11, 29, 10, 0, tzinfo=CONAKRY)
    assert not reminder_due(remind_at, starts, remind_at - timedelta(minutes=1))
    assert reminder_due(remind_at, starts, remind_at)
    assert reminder_due(remind_at, starts, starts - timedelta(minutes=1))  # a late pass still reminds
    assert not reminder_due(remind_at, starts, starts)  # never after it started
    # Booked the day before after ten: the confirmation is the reminder.
    assert reminder_wanted(remind_at - timedelta(days=3), remind_at)
    assert not reminder_wanted(remind_at + timedelta(hours=2), remind_at)


def test_the_sms_gives_day_time_and_place_in_the_persons_language_or_the_centres_first():
    starts = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    text = appointment_text("appointment_confirmation", "en", "NG-2026-000042", starts, "Africa/Lagos",
                            {"en": "UNHCR centre"}, {"fr": "Route de Bama", "en": "Bama Road"})
    assert text == ("Appointment for your case NG-2026-000042: on 30/11/2026 at 09:00, UNHCR centre, Bama Road. "
                    "To cancel, reply CANCEL.")
    assert "Centre de Matam, Matam" in appointment_text("appointment_reminder", "en", "GN-2026-000001", starts,
                                                        "Africa/Conakry", {"fr": "Centre de Matam"}, {"fr": "Matam"})


def test_only_notifications_reveals_a_contact_for_an_appointment_on_the_cases_recent_consent():
    now = datetime(2026, 11, 27, tzinfo=UTC)
    assert reveal_refusal("appointment", "notifications", now - timedelta(days=60), 0, now) is None
    assert reveal_refusal("appointment", "notifications", None, 0, now) == "no_grounds"
    assert reveal_refusal("appointment", "referrals", now, 0, now) == "requester_not_allowed"
    assert reveal_refusal("appointment", "notifications", now - timedelta(days=91), 0, now) == "grounds_too_old"


def test_only_a_development_configuration_may_move_the_reminders_clock():
    from chassis.settings import load_settings
    from services.notifications.settings import NotificationsSettings

    moved = {"clock": {"offset_seconds": 86_400}}
    assert load_settings(NotificationsSettings, "notifications", overrides=moved,
                         environ={}).clock.offset_seconds == 86_400
    with pytest.raises(ValueError, match="clock.offset_seconds is for development"):
        load_settings(NotificationsSettings, "notifications", overrides=moved,
                      environ={"CFM__ENVIRONMENT": "production"}, require_secrets=False)
