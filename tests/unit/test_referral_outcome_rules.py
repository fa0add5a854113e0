"""Pure rules of closing the loop: the outcome's date, and the partner directory's routing."""
from datetime import UTC, date, datetime

from services.referrals.outcomes import latest_today, outcome_date_problem

REFERRED = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)


def test_an_outcome_is_dated_between_the_referral_and_today_wherever_the_partner_is():
    assert outcome_date_problem(date(2026, 11, 20), REFERRED, today=date(2026, 11, 27)) is None
    assert outcome_date_problem(date(2026, 11, 19), REFERRED, today=date(2026, 11, 27)) == "before the referral"
    assert outcome_date_problem(date(2026, 11, 28), REFERRED, today=date(2026, 11, 27)) == "in the future"
    # Late on the 27th in UTC it is already the 28th east of it: that partner's "today" is not refused.
    assert latest_today(datetime(2026, 11, 27, 22, 0, tzinfo=UTC)) == date(2026, 11, 28)
