from datetime import UTC, datetime, timedelta

import pytest

from services.cases.domain import first_deadline, priority_of, screen_narrative


@pytest.mark.parametrize("narrative, reason", [
    ("L'agent m'a demandé de coucher avec lui pour avoir le kit", "sexual_exploitation_abuse"),
    ("Il y a eu un abus sexuel au centre", "sexual_exploitation_abuse"),
    ("The driver asked for sexual favours before giving the voucher", "sexual_exploitation_abuse"),
    ("Le chef de site a fait un detournement de l'argent du projet", "fraud_corruption"),
    ("Le chef de site a fait un détournement de l'argent", "fraud_corruption"),
    ("They asked me a bribe to be on the list", "fraud_corruption"),
    ("Mon oncle a dit qu'il va me tuer si je reviens", "threat_to_life"),
    ("My neighbour threatened to kill me last night", "threat_to_life"),
    ("Ma fille de 14 ans, mariage forcé prévu le mois prochain", "protection_need"),
])
def test_sensitive_messages_are_flagged(narrative, reason):
    screening = screen_narrative(narrative)
    assert screening.sensitive
    assert reason in screening.reasons


@pytest.mark.parametrize("narrative", [
    "Le paiement de l'appui au commerce est en retard depuis trois mois à Kindia",
    "Merci pour la formation en couture, elle m'a beaucoup aidée",
    "When will the next cash distribution happen in Kano?",
])
def test_ordinary_messages_are_not_flagged(narrative):
    screening = screen_narrative(narrative)
    assert not screening.sensitive
    assert screening.category_code is None
    assert priority_of(screening) == "normal"


def test_threat_to_life_is_an_emergency_referred_within_the_hour():
    opened = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    screening = screen_narrative("Ils ont menacé de me tuer")
    assert screening.category_code == 9 and priority_of(screening) == "emergency"
    assert first_deadline(opened, screening, "Africa/Conakry") == ("refer", opened + timedelta(hours=1))


def test_sensitive_case_must_be_referred_within_24_hours_even_on_a_weekend():
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    screening = screen_narrative("abus sexuel par un gardien")
    assert first_deadline(saturday, screening, "Africa/Conakry") == ("refer", saturday + timedelta(hours=24))


def test_acknowledgement_due_next_business_day_skips_the_weekend():
    friday_evening = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # Conakry is UTC+0
    kind, due = first_deadline(friday_evening, screen_narrative("Question sur la formation"), "Africa/Conakry")
    assert kind == "acknowledge"
    assert due.astimezone(UTC) == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # Monday


def test_business_days_follow_the_country_time_zone():
    # 23:30 UTC on Friday is already Saturday 00:30 in Lagos (UTC+1): the clock starts on Monday
    # at midnight, Lagos time, and one business day later is Tuesday 00:00 there.
    late_friday = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    _, due = first_deadline(late_friday, screen_narrative("Question"), "Africa/Lagos")
    assert due.astimezone(UTC) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
