"""The console's data rights pages without I/O: the retention table keeps a silent service in sight, every
kind and service has words in French and English, and an export reads on the country's clock."""
from types import SimpleNamespace

from chassis.retention import kinds_of
from chassis.services import load_service
from services.console import web
from services.console.i18n import CATALOG, translate
from services.console.pages.contact_export import summary
from services.console.pages.retention import PREVIEWED_SERVICES, retention_lines

INTAKE_PREVIEW = {"service": "intake", "country": "GN", "previewed_at": "2026-11-27T10:00:00+00:00", "kinds": [
    {"kind": "outbox_published", "country": "GN", "period_days": 7, "cutoff": "2026-11-20T23:30:00+00:00",
     "rows": 2, "withheld": False},
    {"kind": "processed_messages", "country": None, "period_days": 14, "cutoff": "2026-11-13T10:00:00+00:00",
     "rows": 0, "withheld": False}]}
CASES_PREVIEW = {"service": "cases", "country": "GN", "previewed_at": "2026-11-27T10:00:00+00:00", "kinds": [
    {"kind": "closed_sensitive_cases", "country": "GN", "period_days": 1825, "cutoff": "2021-11-28T10:00:00+00:00",
     "rows": None, "withheld": True}]}


def render_retention(services) -> str:
    session = SimpleNamespace(signed_in=True, role="admin", countries=["GN"], csrf_token="x", subject="admin")
    return web.templates.get_template("retention.html").render(
        t=lambda key, **values: translate("en", key, **values), lang="en", session=session, idle_seconds=1800,
        notice=None, country="GN", now="27/11/2026 10:00", services=services)


def test_a_service_that_does_not_answer_is_shown_as_unavailable_not_left_out():
    services = [retention_lines("intake", INTAKE_PREVIEW, "Africa/Conakry"), retention_lines("referrals", None, "UTC"),
                retention_lines("cases", CASES_PREVIEW, "Africa/Conakry")]

    html = render_retention(services)

    referrals_row = html.split('id="retention-referrals"', 1)[1].split("</tr>", 1)[0]
    assert "Referrals" in referrals_row and "Service unavailable" in referrals_row
    intake_row = html.split('id="retention-intake-outbox_published"', 1)[1].split("</tr>", 1)[0]
    assert ">2<" in intake_row and "7 days" in intake_row and "20/11/2026" in intake_row
    assert "one period for every country" in html.split('id="retention-intake-processed_messages"', 1)[1]
    sensitive_row = html.split('id="retention-cases-closed_sensitive_cases"', 1)[1].split("</tr>", 1)[0]
    assert "Not shown" in sensitive_row and "None" not in sensitive_row


def test_every_kind_with_a_period_and_every_service_has_words_in_french_and_english():
    kinds = {kind.name for name in PREVIEWED_SERVICES for kind in kinds_of(load_service(name)[0])}
    assert kinds >= {"outbox_published", "processed_messages", "provider_payloads", "closed_cases",
                     "closed_sensitive_cases"}
    for key in [f"retention.kind.{kind}" for kind in kinds] + [f"service.{name}" for name in PREVIEWED_SERVICES]:
        assert key in CATALOG and all(CATALOG[key]), key


def test_an_export_reads_on_the_countrys_clock_and_shows_only_the_contact_details_held():
    export = {"export_id": 7, "exported_at": "2026-11-27T23:30:00+00:00",
              "contact": {"name": None, "phone": "+224622334455", "email": None},
              "messages": [{"reference": "GN-2026-000001", "received_at": "2026-11-27T23:10:00+00:00"}],
              "status_requests": [], "cases": [{"reference": "GN-2026-000001", "found": False}]}

    read = summary(export, "Africa/Lagos")    # Nigeria's clock, an hour ahead of UTC

    assert read["contact"] == {"phone": "+224622334455"}
    assert read["exported"] == "28/11/2026 00:30" and read["messages"][0]["received"] == "28/11/2026 00:10"
    assert read["cases"][0]["received"] == ""
