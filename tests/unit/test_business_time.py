"""Clock arithmetic of deadlines on fixed times: weekends, public holidays, a daylight-saving
change and pauses. West African countries have no daylight saving: the DST cases use a calendar
on Europe/Paris, as a country configured there would have."""
from datetime import UTC, date, datetime, timedelta

import holidays

from services.cases.business_time import Calendar, Deadline, Span

GUINEA = Calendar("Africa/Conakry", holidays=frozenset(holidays.country_holidays("GN", years=[2026])))
PARIS = Calendar("Europe/Paris", holidays=frozenset(holidays.country_holidays("FR", years=[2026])))
ONE_DAY = Span.business_days(1)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_business_day_from_friday_ends_on_monday():
    assert ONE_DAY.add(GUINEA, utc(2026, 11, 20, 15, 0)) == utc(2026, 11, 23, 15, 0)


def test_a_message_on_a_sunday_starts_the_clock_on_monday_morning():
    assert ONE_DAY.add(GUINEA, utc(2026, 11, 22, 11, 0)) == utc(2026, 11, 24, 0, 0)


def test_guinea_independence_day_is_not_a_working_day():
    assert date(2026, 10, 2) in GUINEA.holidays  # a Friday
    thursday = utc(2026, 10, 1, 10, 0)
    assert ONE_DAY.add(GUINEA, thursday) == utc(2026, 10, 5, 10, 0)  # Friday off, weekend, Monday
    assert GUINEA.elapsed(thursday, utc(2026, 10, 5, 10, 0)) == timedelta(days=1)


def test_extra_configured_holidays_count_too():
    with_extra = Calendar("Africa/Conakry", holidays=GUINEA.holidays | {date(2026, 11, 23)})
    assert ONE_DAY.add(with_extra, utc(2026, 11, 20, 15, 0)) == utc(2026, 11, 24, 15, 0)


def test_another_working_week():
    # A programme that works Sunday to Thursday
    sunday_to_thursday = Calendar("Africa/Conakry", working_days=frozenset({6, 0, 1, 2, 3}))
    thursday = utc(2026, 11, 19, 12, 0)
    assert ONE_DAY.add(sunday_to_thursday, thursday) == utc(2026, 11, 22, 12, 0)


def test_a_business_day_keeps_the_wall_clock_time_across_the_autumn_change():
    # Friday 23 October 2026 10:00 in Paris is 08:00 UTC (CEST); clocks go back on Sunday 25 October,
    # so Monday 10:00 in Paris is 09:00 UTC (CET): 73 hours later, not 72.
    friday = utc(2026, 10, 23, 8, 0)
    assert ONE_DAY.add(PARIS, friday) == utc(2026, 10, 26, 9, 0)
    assert PARIS.elapsed(friday, utc(2026, 10, 26, 9, 0)) == timedelta(days=1)


def test_a_business_day_across_the_spring_change():
    # Clocks go forward on Sunday 29 March 2026: Friday 10:00 CET (09:00 UTC) -> Monday 10:00 CEST (08:00 UTC)
    assert ONE_DAY.add(PARIS, utc(2026, 3, 27, 9, 0)) == utc(2026, 3, 30, 8, 0)


def test_on_the_clock_deadlines_ignore_weekends_and_holidays():
    saturday = utc(2026, 11, 21, 10, 0)
    assert Span.hours(24).add(GUINEA, saturday) == utc(2026, 11, 22, 10, 0)
    assert Span.hours(1).add(GUINEA, utc(2026, 10, 2, 23, 30)) == utc(2026, 10, 3, 0, 30)


def test_warning_falls_at_three_quarters_of_the_business_time():
    deadline = Deadline.start("resolve", Span.business_days(4), GUINEA, utc(2026, 11, 16, 12, 0))  # Monday
    assert deadline.due_at == utc(2026, 11, 20, 12, 0)
    assert deadline.warn_at == utc(2026, 11, 19, 12, 0)


def test_a_pause_keeps_what_was_left_and_resumes_in_business_time():
    started = utc(2026, 11, 16, 12, 0)  # Monday noon, 2 business days: due Wednesday noon
    deadline = Deadline.start("first_response", Span.business_days(2), GUINEA, started)
    paused = deadline.pause(GUINEA, utc(2026, 11, 17, 12, 0))  # Tuesday noon: one day left
    assert paused.paused and paused.due_at is None and paused.remaining == timedelta(days=1)
    assert paused.met_by(utc(2026, 12, 1, 0, 0))  # a paused deadline cannot pass
    resumed = paused.resume(GUINEA, utc(2026, 11, 20, 18, 0))  # Friday 18:00: 6 h on Friday, 18 h on Monday
    assert resumed.due_at == utc(2026, 11, 23, 18, 0)
    assert resumed.started_at == started and not resumed.paused
    assert resumed.warn_at == utc(2026, 11, 23, 6, 0)  # warning was 12 h of business time away


def test_on_the_clock_deadlines_do_not_pause():
    deadline = Deadline.start("refer", Span.hours(24), GUINEA, utc(2026, 11, 16, 12, 0))
    assert deadline.pause(GUINEA, utc(2026, 11, 16, 13, 0)) is deadline


def test_met_by():
    deadline = Deadline.start("acknowledge", ONE_DAY, GUINEA, utc(2026, 11, 16, 12, 0))
    assert deadline.met_by(utc(2026, 11, 17, 12, 0))
    assert not deadline.met_by(utc(2026, 11, 17, 12, 1))
