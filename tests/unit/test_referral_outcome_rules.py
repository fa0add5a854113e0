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


def test_the_directory_prefers_a_partner_working_in_the_area_then_one_speaking_the_language():
    from services.referrals.directory import choose_partner
    from services.referrals.settings import PartnerSettings
    partners = [PartnerSettings(id="kindia", name="K", categories=[10], areas=["Kindia"], languages=["fr"]),
                PartnerSettings(id="national", name="N", categories=[10], languages=["fr"]),
                PartnerSettings(id="national-pular", name="P", categories=[10], languages=["ff"]),
                PartnerSettings(id="labe", name="L", categories=[9], areas=["Labé"])]
    assert choose_partner(partners, 10, area="kindia", language="ff") == "kindia"  # the area before the language
    assert choose_partner(partners, 10, area="Boké", language="ff") == "national-pular"
    assert choose_partner(partners, 10) == "national"  # nothing known: a country-wide partner, in directory order
    # Only partners elsewhere for the category: category routing still sends it rather than leave it waiting.
    assert choose_partner(partners, 9, area="Kindia") == "labe"
