"""A week of realistic messages and calls in Guinea and Mali goes in through intake's own
endpoints; the weekly reports (per country and for the region) count exactly what was sent."""
import io
from collections import Counter

import psycopg
import pytest
import requests
from openpyxl import load_workbook

from tests.channel_payloads import env_for_endpoint_secrets, gateway_body, kobo_submission, post_gateway, post_kobo
from tests.conftest import empty_database, wait_for
from tests.e2e.platform import running_platform

pytestmark = pytest.mark.e2e

ML_GATEWAY_SECRET = "test-ml-gateway-secret"
ML_TELEPHONY_SECRET = "test-ml-telephony-secret"

# country, channel, received_at, sex, age group, region, narrative (what agents typed or people wrote)
AGENT_ENTRIES = [
    ("GN", "hotline", "2026-11-16T09:10:00Z", "female", "25-59", "Kindia",
     "Le paiement de l'appui au commerce n'est pas arrivé depuis septembre."),
    ("GN", "hotline", "2026-11-16T11:45:00Z", "male", "18-24", "Conakry",
     "Quand commence la formation en mécanique promise au retour ?"),
    ("GN", "reception_desk", "2026-11-17T10:20:00Z", "female", "60+", "Labé",
     "Merci pour l'accueil, le kit est arrivé complet."),
    ("GN", "hotline", "2026-11-20T15:05:00Z", "male", "25-59", "Kindia",
     "Le loyer promis pour trois mois n'a été payé qu'une fois."),
    ("GN", "hotline", "2026-11-12T09:00:00Z", "female", "25-59", "Kindia",  # the week before
     "Retard de paiement de l'allocation de réinstallation."),
    ("ML", "hotline", "2026-11-16T08:30:00Z", "female", "25-59", "Kayes",
     "Mon kit de démarrage pour le commerce n'est toujours pas livré."),
    ("ML", "reception_desk", "2026-11-19T12:00:00Z", "male", "18-24", "Bamako",
     "Je voudrais savoir où se passe la formation en soudure."),
    ("ML", "hotline", "2026-11-21T10:40:00Z", "female", None, "Bamako",
     "Le transfert d'argent de novembre n'est pas arrivé."),
]
GN_SMS = [("2026-11-18T07:55:00Z", "Bonjour, la distribution de Kindia a commencé en retard, on a attendu au soleil.")]
ML_SMS = [("2026-11-17T18:12:00Z", "Je n'ai pas reçu la visite promise pour mon projet d'élevage.")]
# Ordinary messages all (a sensitive one has a referral deadline instead of an acknowledgement).
GN_KOBO = [("2026-11-19T14:02:11",
            "Le centre de santé ferme à midi, les rapatriés attendent des heures pour une consultation.")]
# endpoint, call id, start, outcome, wait
CALLS = [
    ("gn_hotline_1313", "1763280000.1", "2026-11-16T09:05:00Z", "answered", 20),
    ("gn_hotline_1313", "1763280000.2", "2026-11-16T11:40:00Z", "answered", 40),
    ("gn_hotline_1313", "1763280000.3", "2026-11-18T16:00:00Z", "abandoned", 200),
    ("gn_hotline_1313", "1763280000.4", "2026-11-20T15:00:00Z", "answered", 60),
    ("ml_hotline_80000", "1763280000.5", "2026-11-16T08:25:00Z", "answered", 30),
    ("ml_hotline_80000", "1763280000.6", "2026-11-21T10:35:00Z", "abandoned", 90),
]


@pytest.fixture(scope="module")
def platform(database_url):
    # The week's counts are exact: start from an empty database, whatever ran before this module.
    with psycopg.connect(database_url, autocommit=True) as conn:
        empty_database(conn)
    env = {**env_for_endpoint_secrets(), "CFM__ENDPOINTS__ML_SMS_GATEWAY__SECRET": ML_GATEWAY_SECRET,
           "CFM__ENDPOINTS__ML_HOTLINE_80000__SECRET": ML_TELEPHONY_SECRET}
    with running_platform(database_url, env) as running:
        yield running


def send_the_week(platform) -> int:
    """Everything through intake, as each source would send it; returns how many messages went in."""
    intake = platform.urls["intake"]
    for country, channel, received, sex, age, region, narrative in AGENT_ENTRIES:
        answer = requests.post(f"{intake}/v1/feedback", headers=platform.headers("agent", (country,)), json={
            "country": country, "channel": channel, "language": "fr", "narrative": narrative,
            "received_at": received, "location": {"adm1": region},
            "respondent": {"sex": sex, **({"age_group": age} if age else {})}})
        assert answer.status_code == 202, answer.text
    for received, text in GN_SMS:
        assert post_gateway(intake, gateway_body(text, sender="+224 664 20 30 40", received_at=received)).ok
    for received, text in ML_SMS:
        body = gateway_body(text, sender="+223 76 12 34 56", to="36000", received_at=received)
        answer = post_gateway(intake, body, endpoint="ml_sms_gateway", secret=ML_GATEWAY_SECRET)
        assert answer.ok, answer.text
    for submitted, text in GN_KOBO:
        assert post_kobo(intake, kobo_submission(text, _submission_time=submitted,
                                                 **{"group_location/region": "Kindia"})).ok
    for endpoint, call_id, started, outcome, wait in CALLS:
        secret = ML_TELEPHONY_SECRET if endpoint.startswith("ml") else env_for_endpoint_secrets()[
            "CFM__ENDPOINTS__GN_HOTLINE_1313__SECRET"]
        answer = requests.post(f"{intake}/v1/channels/telephony/{endpoint}/calls", headers={"X-CFM-Secret": secret},
                               json={"calls": [{"call_id": call_id, "started_at": started, "outcome": outcome,
                                                "wait_seconds": wait,
                                                "duration_seconds": 180 if outcome == "answered" else 0}]})
        assert answer.ok, answer.text
    return len(AGENT_ENTRIES) + len(GN_SMS) + len(ML_SMS) + len(GN_KOBO)


def wait_until_reported(platform, messages: int) -> None:
    """Every message has its case opened and indexed, and every call is indexed."""
    def journalled(event_type):
        with psycopg.connect(platform.database_url) as conn:
            return conn.execute("SELECT count(*) FROM reporting.journal WHERE event_type = %s",
                                [event_type]).fetchone()[0]
    wait_for(lambda: journalled("feedback_received") == messages and journalled("case_opened") == messages
             and journalled("call_recorded") == len(CALLS), timeout=60, interval=0.3)
    requests.post(f"{platform.settings['reporting'].elasticsearch.url}/_refresh")


def weekly(platform, countries, **params):
    answer = requests.get(f"{platform.urls['reporting']}/v1/reports", headers=platform.headers("manager", countries),
                          params={"period": "week", "date": "2026-11-18", **params})
    assert answer.status_code == 200, answer.text
    return answer


def counts(items) -> dict:
    """Rows with something counted; a withheld count (1 to 4, in tables about people) as `<5`."""
    return {item["key"]: "<5" if item["count"] is None else item["count"] for item in items if item["count"] != 0}


def test_the_weekly_reports_count_what_the_week_sent(platform):
    wait_until_reported(platform, send_the_week(platform))
    in_week = [entry for entry in AGENT_ENTRIES if entry[2] >= "2026-11-16"]

    guinea = weekly(platform, ("GN", "ML"), country="GN").json()
    gn_entries = [entry for entry in in_week if entry[0] == "GN"]
    assert guinea["messages"]["total"] == len(gn_entries) + len(GN_SMS) + len(GN_KOBO) == 6
    assert guinea["messages"]["previous_total"] == 1
    assert counts(guinea["messages"]["by_channel"]) == {"hotline": 4, "reception_desk": 1, "sms": 1}
    assert counts(guinea["messages"]["by_sex"]) == {"female": "<5", "male": "<5", "not_stated": "<5"}
    assert counts(guinea["messages"]["by_location"]) == {"Kindia": "<5", "Conakry": "<5", "Labé": "<5",
                                                         "not_stated": "<5"}
    assert guinea["calls"] == {"received": 4, "answered": 3, "abandoned": 1, "average_wait_seconds": 80.0,
                               "previous_received": 0}
    assert [point["messages"] for point in guinea["daily"]] == [2, 1, 1, 1, 1, 0, 0]
    # Nobody acknowledged anything: the five acknowledgements due within the week (one business day
    # after each message; Friday's falls on Monday) are all missed.
    assert (guinea["acknowledge"]["overdue_unsettled"], guinea["acknowledge"]["share_within_deadline"]) == (5, 0.0)

    region = weekly(platform, ("GN", "ML")).json()
    assert region["messages"]["total"] == 6 + 4
    assert counts(region["messages"]["by_country"]) == {"GN": 6, "ML": 4}
    assert Counter({k: v for k, v in counts(region["messages"]["by_age_group"]).items()}) == Counter(
        {"25-59": "<5", "18-24": "<5", "60+": "<5", "not_stated": "<5"})
    assert (region["calls"]["received"], region["calls"]["abandoned"]) == (6, 2)

    workbook = load_workbook(io.BytesIO(weekly(platform, ("GN", "ML"), format="xlsx").content))
    summary = {row[0]: row[1:] for row in workbook["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Messages received"][:2] == (10, 1) and summary["Calls received"][0] == 6
