"""Report periods and statistics, on fixed dates."""
from datetime import UTC, date, datetime

import pytest

from services.reporting import reports


def test_a_week_runs_monday_to_sunday_in_the_countrys_time_zone():
    week = reports.period_containing("week", date(2026, 11, 19), "Africa/Lagos")
    assert (week.start, week.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    start, end = week.bounds()
    assert start.astimezone(UTC) == datetime(2026, 11, 15, 23, tzinfo=UTC)  # Lagos is UTC+1
    assert week.previous().start == date(2026, 11, 9)


@pytest.mark.parametrize("day, first, last", [
    (date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
    (date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
    (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
])
def test_months_end_on_their_last_day(day, first, last):
    month = reports.period_containing("month", day, "Africa/Conakry")
    assert (month.start, month.last_day) == (first, last)


def test_on_monday_morning_the_last_complete_week_is_the_one_before():
    monday = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert reports.last_complete_period("week", monday, "Africa/Conakry").start == date(2026, 11, 16)
    assert reports.last_complete_period("month", monday, "Africa/Conakry").start == date(2026, 10, 1)
    assert reports.last_complete_period("day", monday, "Africa/Conakry").start == date(2026, 11, 22)


def test_the_trend_ends_with_the_period_itself():
    week = reports.period_containing("week", date(2026, 11, 19), "UTC")
    trend = reports.trend_periods(week)
    assert len(trend) == reports.TREND_LENGTH and trend[-1] == week
    assert trend[0].start == date(2026, 9, 28)


def test_nearest_rank_median_and_90th_percentile():
    hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert reports.percentile(hours, 0.5) == 5 and reports.percentile(hours, 0.9) == 9
    assert reports.percentile([4.0], 0.9) == 4.0 and reports.percentile([], 0.5) is None


def test_people_who_did_not_say_are_counted_as_not_stated():
    counts = reports.counts([{"key": "female", "doc_count": 3}, {"key": "male", "doc_count": 1}], total=6,
                            previous={"female": 1}, expected=reports.SEX_VALUES)
    by_key = {count.key: (count.count, count.previous) for count in counts}
    assert by_key["female"] == (3, 1) and by_key["not_stated"] == (2, 0) and by_key["other"] == (0, 0)


def test_boolean_buckets_read_the_same_from_any_server():
    assert reports.bucket_key({"key": 1, "key_as_string": "true", "doc_count": 2}) == "true"
    assert reports.bucket_key({"key": False, "doc_count": 2}) == "false"
    assert reports.bucket_key({"key": 4, "doc_count": 2}) == "4"


def test_deadline_figures_count_overdue_cases_as_missed():
    settled = [{"within_deadline": True, "seconds_taken": 3600}, {"within_deadline": True, "seconds_taken": 7200},
               {"within_deadline": False, "seconds_taken": 36000}]
    figures = reports.deadline_figures("acknowledge", settled, overdue_unsettled=1)
    assert (figures.settled, figures.within_deadline, figures.share_within_deadline) == (3, 2, 0.5)
    assert (figures.median_hours, figures.p90_hours) == (2.0, 10.0)
    assert reports.deadline_figures("resolve", [], 0).share_within_deadline is None


def test_a_topic_rises_when_it_at_least_doubles_and_is_not_rare():
    found = reports.topics({(4, "cash"): 6, (1, None): 5, (2, "medical"): 2},
                           {(4, "cash"): 3, (1, None): 4}, top=10, rising_min_count=3)
    assert [(t.category_code, t.sub_category, t.rising) for t in found] == [
        (4, "cash", True), (1, None, False), (2, "medical", False)]
