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


def test_the_referral_report_counts_the_outcome_of_the_case_s_current_referral_only():
    from uuid import uuid4

    from contracts.envelope import Envelope
    from contracts.events import ReferralCreated, ReferralOutcomeRecorded
    from services.reporting.domain import apply_event
    case_id, first, second = uuid4(), uuid4(), uuid4()

    def created(referral_id, partner):
        return ReferralCreated(referral_id=referral_id, case_id=case_id, reference="GN-2026-000042",
                               partner_id=partner, emergency=False, share_contact=False, created_at=REFERRED,
                               respond_by=REFERRED)

    def outcome(referral_id):
        return ReferralOutcomeRecorded(referral_id=referral_id, case_id=case_id, reference="GN-2026-000042",
                                       partner_id="a", outcome="referred_on", outcome_on=date(2026, 11, 25),
                                       recorded_at=REFERRED, recorded_by="someone")
    doc = {}
    for event in (created(first, "a"), outcome(first)):
        doc = apply_event(doc, Envelope.wrap(event, country="GN", producer="referrals", correlation_id=uuid4()), event)
    assert (doc["partner_id"], doc["referral_outcome"]) == ("a", "referred_on")
    rerouted = created(second, "b").model_copy(update={"created_at": REFERRED.replace(hour=23, minute=45)})
    envelope = Envelope.wrap(rerouted, country="GN", producer="referrals", correlation_id=uuid4())
    doc = apply_event(doc, envelope, rerouted)
    assert (doc["partner_id"], doc["referral_outcome"]) == ("b", None)  # the new partner has recorded nothing yet
