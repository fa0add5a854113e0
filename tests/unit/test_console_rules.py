"""The console's pure rules and its translations."""
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal, get_args, get_origin

from werkzeug.datastructures import MultiDict

from services.console import domain
from services.console.i18n import CATALOG, translate

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TEMPLATES = Path(domain.__file__).parent / "templates"


def test_a_deadline_reads_on_the_countrys_clock_and_turns_overdue_once_passed():
    due = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    badge = domain.deadline_badge(due, "ok", "Africa/Conakry", NOW)
    assert (badge.state, badge.local_time, badge.hours_left) == ("ok", "28/11 09:00", 18.0)
    assert domain.deadline_badge(due, "warning", "Asia/Kolkata", NOW).local_time == "28/11 14:30"
    assert domain.deadline_badge(due, "ok", "Africa/Conakry", due + timedelta(minutes=1)).state == "breached"
    assert domain.deadline_badge(None, "ok", "Africa/Conakry", NOW).state == "none"


def test_a_session_is_idle_after_its_timeout_and_its_token_is_refreshed_before_expiry():
    assert not domain.is_idle(NOW - timedelta(minutes=29), NOW, timedelta(minutes=30))
    assert domain.is_idle(NOW - timedelta(minutes=30), NOW, timedelta(minutes=30))
    assert domain.needs_refresh(NOW + timedelta(seconds=60), NOW)
    assert not domain.needs_refresh(NOW + timedelta(minutes=10), NOW)
    assert domain.needs_refresh(None, NOW)


def test_only_a_path_on_this_site_is_followed_after_a_form():
    assert domain.safe_local_path("/cases/GN-2026-000001") == "/cases/GN-2026-000001"
    for hostile in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "", None,
                    "/ok\nSet-Cookie: x"):
        assert domain.safe_local_path(hostile) == "/"


def test_the_language_follows_the_browser_and_falls_back_to_french():
    assert domain.language_from_header("en-GB,en;q=0.9") == "en"
    assert domain.language_from_header("de-DE, fr;q=0.5") == "fr"
    assert domain.language_from_header(None) == "fr"


def test_the_call_form_becomes_intakes_submission():
    form = MultiDict({"country": "GN", "channel": "hotline", "language": "fr", "narrative": "  Pas de paiement  ",
                      "caller_name": "Mariama", "caller_phone": "+224622123456", "consent_callback": "yes",
                      "consent_share": "no", "sex": "female", "age_group": "18-24", "disability": "no",
                      "call_id": "c-1", "duration_minutes": "4,5", "life_in_danger": "on"})
    submission, errors = domain.feedback_from_form(form, ["GN"], {"GN": "gn_hotline_1313"})
    assert errors == []
    assert submission == {
        "country": "GN", "channel": "hotline", "narrative": "Pas de paiement", "language": "fr",
        "contact": {"name": "Mariama", "phone": "+224622123456"},
        "consent": {"callback": True, "share_with_partners": False},
        "respondent": {"sex": "female", "age_group": "18-24", "disability": False},
        "interaction": {"call_id": "c-1", "duration_seconds": 270.0, "endpoint": "gn_hotline_1313"},
        "agent_assessment": {"sensitive": False, "life_in_danger": True}}


def test_the_call_form_names_every_field_to_fix_and_an_anonymous_walk_in_has_no_contact():
    _, errors = domain.feedback_from_form(MultiDict({"country": "ML", "channel": "sms", "narrative": " ",
                                                     "duration_minutes": "long", "sex": "x"}), ["GN"], {})
    assert dict(errors) == {"country": "choose", "channel": "choose", "narrative": "required",
                            "duration_minutes": "number", "sex": "choose"}
    walk_in, _ = domain.feedback_from_form(MultiDict({"country": "GN", "channel": "reception_desk",
                                                      "narrative": "Merci"}), ["GN"], {"GN": "gn_hotline_1313"})
    assert "contact" not in walk_in and "interaction" not in walk_in


def test_a_case_form_becomes_the_cases_api_action_body():
    assert domain.case_action_body("assignment", MultiDict({"version": "3", "to_me": "yes"}), "user-1") == (
        {"version": 3, "assignee": "user-1"}, [])
    assert domain.case_action_body("close", MultiDict({"version": "4", "response": "Payé", "response_channel": "call"}),
                                   None)[0] == {"version": 4, "response": "Payé", "response_channel": "call"}
    assert domain.case_action_body("close", MultiDict({"version": "4"}), None)[1] == [("response", "required")]
    assert domain.case_action_body("classification", MultiDict({"version": "1", "category_code": "12"}), None)[1] \
        == [("category_code", "choose")]
    assert domain.case_action_body("notes", MultiDict({"text": "x"}), None)[1] == [("notes", "version_required")]


def test_every_word_in_the_templates_is_in_french_and_english():
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_0-9.]+)["']""", template.read_text()))
    families = {"status.": domain.QUEUE_STATUSES, "category.": domain.CATEGORY_CODES, "sex.": domain.SEXES,
                "age.": domain.AGE_GROUPS, "sub.": domain.SUB_CATEGORIES, "deadline.": ("ok", "warning", "breached"),
                "response_channel.": domain.RESPONSE_CHANNELS, "role.": ("agent", "supervisor", "focal_point"),
                "channel.": ("hotline", "reception_desk", "sms", "whatsapp", "email", "web_form", "kobo",
                             "suggestion_box"),
                "deadline_kind.": ("acknowledge", "first_response", "resolve", "refer"),
                "search.facet.": domain.SEARCH_FILTERS, "search.sort.": domain.SEARCH_SORTS,
                "report.title.": domain.REPORT_PERIODS, "report.previous.": domain.REPORT_PERIODS,
                "report.next.": domain.REPORT_PERIODS, "report.trend.": domain.REPORT_PERIODS,
                "report.download.": ("xlsx", "csv", "hxl")}
    used |= {f"{prefix}{value}" for prefix, values in families.items() for value in values}
    missing = sorted(key for key in used if key not in CATALOG and not key.endswith("."))
    assert missing == []
    for key, (french, english) in CATALOG.items():
        assert french.strip() and english.strip(), key
    assert translate("en", "sign_in.with", name="IOM") == "Sign in with IOM"
    assert translate("fr", "sign_in.with", name="OIM") == "Se connecter avec OIM"


def test_the_health_page_names_a_service_ready_not_ready_with_its_failing_checks_or_unreachable():
    assert domain.readiness_state(200, {"status": "ok", "checks": {"database": "ok"}}) == ("ready", [])
    assert domain.readiness_state(503, {"status": "unavailable", "checks": {
        "database": "ok", "broker": "unreachable: OSError", "consumers": "stalled"}}) == ("not_ready",
                                                                                          ["broker", "consumers"])
    assert domain.readiness_state(None, {}) == ("unreachable", [])


def test_a_channel_is_silent_after_its_quiet_time_or_when_it_never_brought_a_message():
    quiet = timedelta(hours=24)
    assert domain.channel_state(NOW - timedelta(hours=23), NOW, quiet) == "active"
    assert domain.channel_state(NOW - timedelta(hours=24), NOW, quiet) == "silent"
    assert domain.channel_state(None, NOW, quiet) == "silent"
    assert domain.outbox_state(59, timedelta(minutes=1)) == "ok"
    assert domain.outbox_state(60, timedelta(minutes=1)) == "warning"
    assert domain.elapsed(NOW - timedelta(seconds=20), NOW) == ("now", 0)
    assert domain.elapsed(NOW - timedelta(minutes=5), NOW) == ("minutes", 5)
    assert domain.elapsed(NOW - timedelta(hours=30), NOW) == ("hours", 30)
    assert domain.elapsed(NOW - timedelta(days=9), NOW) == ("days", 9)


def test_an_invitation_grants_only_the_admins_countries_and_a_partner_needs_an_organisation():
    form = MultiDict([("username", " aissatou.b "), ("display_name", "Aïssatou B."), ("role", "agent"),
                      ("countries", "GN"), ("countries", "SN"), ("org", "ignored")])
    body, errors = domain.invitation_from_form(form, ("GN", "ML"))
    assert errors == [] and body == {"username": "aissatou.b", "display_name": "Aïssatou B.", "role": "agent",
                                     "countries": ["GN"], "org": None}
    _, errors = domain.invitation_from_form(MultiDict([("role", "partner"), ("countries", "SN")]), ("GN",))
    assert sorted(errors) == [("countries", "choose"), ("display_name", "required"), ("org", "required"),
                              ("username", "required")]
    assert domain.access_from_form(MultiDict([("role", "root"), ("countries", "GN")]), ("GN",))[1] == [
        ("role", "choose")]


def test_every_word_of_the_ops_and_admin_pages_is_in_french_and_english():
    families = {"service.": domain.WATCHED_SERVICES, "health.state.": ("ready", "not_ready", "unreachable"),
                "health.channel.": ("silent", "active"), "ago.": ("now", "minutes", "hours", "days"),
                "span.": ("minutes", "hours", "days"),
                "role.": domain.ROLES, "link.": ("invitation.title", "invitation.intro", "reset.title", "reset.intro"),
                "notice.user_": ("access", "disable", "enable", "reset_second_factor"),
                "users.sign_in.": ("password", "provider")}
    missing = [f"{prefix}{value}" for prefix, values in families.items() for value in values
               if f"{prefix}{value}" not in CATALOG]
    assert missing == []
    assert domain.home_of("ops") == "/health" and domain.home_of("admin") == "/users"
def test_the_managers_search_form_becomes_reportings_query_and_keeps_its_place_across_pages():
    form = MultiDict([("q", " paiement Kindia "), ("country", "GN"), ("country", "SN"), ("channel", "sms"),
                      ("channel", "fax"), ("category_code", "6"), ("category_code", "99"), ("region", "Kindia"),
                      ("region", "Kindia,Labé"), ("received_from", "2026-11-16"), ("received_to", "16/11/2026"),
                      ("sort", "oldest")])
    search = domain.search_from_form(form, ["GN", "ML"])
    # Values reporting does not know, and countries not the manager's, are dropped rather than passed on.
    assert search.params() == {"q": "paiement Kindia", "country": "GN", "channel": "sms", "category_code": "6",
                               "region": "Kindia", "received_from": "2026-11-16", "sort": "oldest", "size": "20"}
    first = domain.search_from_form(MultiDict(), ["GN"])
    assert first.params() == {"size": "20"} and first.cursors == []
    # Next, next, previous: each page remembers the cursors before it; a new search starts again.
    second = domain.search_from_form(MultiDict({"page": "next", "next_cursor": "c1", "cursors": ""}), ["GN"])
    third = domain.search_from_form(MultiDict({"page": "next", "next_cursor": "c2", "cursors": "c1"}), ["GN"])
    back = domain.search_from_form(MultiDict({"page": "previous", "cursors": "c1 c2"}), ["GN"])
    again = domain.search_from_form(MultiDict({"page": "first", "cursors": "c1 c2", "next_cursor": "c3"}), ["GN"])
    assert (second.cursors, third.cursors, back.cursors, again.cursors) == (["c1"], ["c1", "c2"], ["c1"], [])
    assert third.params()["cursor"] == "c2" and "cursor" not in again.params()


def test_a_report_page_asks_for_the_managers_countries_or_one_of_them():
    assert domain.report_scope("ML", ["GN", "ML"]) == "ML"
    assert domain.report_scope("SN", ["GN", "ML"]) == "region"
    assert domain.report_params("week", "region", "2026-11-18", ["ML", "GN"]) == {
        "period": "week", "country": "GN,ML", "date": "2026-11-18"}
    assert domain.report_params("month", "GN", "yesterday", ["GN"]) == {"period": "month", "country": "GN"}
    assert domain.home_of("manager") == "/search"


CASES_CODE = Path(domain.__file__).parents[1] / "cases"
# Where cases writes a timeline entry with a fixed action: change.record("x", ...), add_history(..., "x", ...),
# or an INSERT INTO case_history naming 'x'.
TIMELINE_ACTION = re.compile(r"""\.record\(\s*"([a-z_]+)"|add_history\((?:[^()]|\([^()]*\))*?"([a-z_]+)",\s*[{\[]"""
                             r"""|INSERT INTO case_history[^;]*?VALUES \([^)]*'([a-z_]+)'""", re.S)


def test_every_timeline_entry_cases_writes_reads_as_words_on_the_case_page():
    actions = {name for path in CASES_CODE.glob("*.py")
               for match in TIMELINE_ACTION.finditer(path.read_text()) for name in match.groups() if name}
    assert {"opened", "deadline_breached", "referral_outcome", "consent_withdrawn", "anonymised"} <= actions
    unlabelled = sorted(action for action in actions if f"action.{action}" not in CATALOG)
    assert unlabelled == [], f"the case page would show these bare codes: {unlabelled}"


def test_a_referral_outcome_and_a_missed_deadline_say_what_on_the_timeline():
    from services.console import web
    t = lambda key, **values: translate("en", key, **values)  # noqa: E731
    facts = web.templates.get_template("_timeline_facts.html")

    def said(action, detail):
        return " ".join(facts.render(t=t, entry={"action": action, "detail": detail}).split())
    assert said("referral_outcome", {"outcome": "service_provided", "on": "2026-11-20"}) == (
        "<span> · Service provided (2026-11-20)</span>")
    assert said("deadline_breached", {"kind": "resolve"}) == "<span> · Resolve</span>"
    assert said("note_added", {"kind": "resolve"}) == ""


def literal_values(annotation) -> set[str]:
    """The values a contract's field may take: its Literal's (or enum's), through `| None`."""
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return {member.value for member in annotation}
    if get_origin(annotation) is Literal:
        return set(get_args(annotation))
    return {value for arg in get_args(annotation) for value in literal_values(arg)}


def test_every_code_another_service_sends_that_a_page_prints_has_words():
    from contracts import events, http, identity
    from contracts.common import Channel
    from contracts.envelope import EventPayload

    def field(model, name):
        return literal_values(model.model_fields[name].annotation)
    event_types = {model.event_type for model in vars(events).values()
                   if isinstance(model, type) and issubclass(model, EventPayload)
                   and isinstance(getattr(model, "event_type", None), str)}
    assert {"feedback_received", "case_opened", "erasure_completed"} <= event_types
    printed = {  # catalogue prefix: what the producing service's contract allows
        "status.": literal_values(events.CaseStatus), "status_request.say.": literal_values(events.CaseStatus),
        "deadline_kind.": literal_values(events.DeadlineKind), "outcome.": literal_values(events.ReferralOutcome),
        "decline.": literal_values(events.DeclineReason), "referral_status.": field(http.ReferralView, "status"),
        "alert_reason.": field(http.StaffAlert, "reason"), "callbacks.reason.": literal_values(http.CallbackReason),
        "callbacks.outcome.": literal_values(http.CallbackOutcome),
        "appointments.state.": literal_values(http.AppointmentState),
        "erasure.scope.": field(http.ErasureView, "scope"), "erasure.status.": field(http.ErasureView, "status"),
        "erasure.ground.": literal_values(http.ErasureGround), "role.": literal_values(identity.Role),
        "users.sign_in.": field(identity.UserView, "sign_in"), "channel.": literal_values(Channel),
        "replies.state.": literal_values(events.DeliveryState),
        # "assigned" is counted, not named; the refusals are named.
        "reassign.outcome.": field(http.AssignmentOutcome, "outcome") - {"assigned"},
        # The ops page names a parked message by its event.
        "event.": event_types,
    }
    missing = sorted(prefix + value for prefix, values in printed.items() for value in values
                     if prefix + value not in CATALOG)
    assert missing == [], f"pages would show these bare codes: {missing}"


# What cases writes in a case's access log: action="x" (or `... if refused else "y"`), or the first
# string its helpers that audit are given (_act, _record, _audit, _in_scope, _listed, _visible_task).
AUDIT_ACTION = re.compile(r'''\baction=f?"([a-z_]+)[":{](?:[^"\n]* else "([a-z_]+)")?'''
                          r'''|\b(?:_act|_record|_audit|_in_scope|_listed|_visible_task|change\.audit)\('''
                          r'''(?:[^()"]|\([^()]*\))*?f?"([a-z_]+)[":{]''', re.S)


def test_every_action_cases_writes_in_the_access_log_reads_as_words():
    written = {name for path in CASES_CODE.glob("*.py") if path.name != "evaluate.py"  # a CLI: argparse's action=
               for match in AUDIT_ACTION.finditer(path.read_text()) for name in match.groups() if name}
    assert {"read", "status", "callback_attempt", "erasure_requested", "callback_contact_revealed"} <= written
    # f"appointment_{attendance}": the attendance an appointment's desk records.
    written = {name for name in written if not name.endswith("_")} | {"appointment_attended", "appointment_missed"}
    # A refused attempt reads as one whatever it tried (see the next test); every other action has its words.
    unlabelled = sorted(name for name in written if not domain.access_log_action(name).refused
                        and f"audit.{domain.access_log_action(name).name}" not in CATALOG)
    assert unlabelled == [], f"the access log would show these bare codes: {unlabelled}"


def test_an_access_log_line_names_a_status_change_and_a_refused_attempt_in_words():
    from services.console import web
    said = web.templates.get_template("_access_log_action.html")

    def what(action):
        return " ".join(said.render(t=lambda key, **values: translate("en", key, **values),
                                    action_of=domain.access_log_action, entry={"action": action}).split())
    assert what("status:in_progress") == "Changed the status · In progress"
    assert what("read_denied") == "Access refused"
    assert what("assign_denied") == "Attempt refused: outside their access"
    assert what("status:resolved_denied") == "Attempt refused: outside their access · Resolved"
    assert what("something_new") == "Other action"


# What each service reports it erased, by place: erased["x"], erased = {"x": ...}, or a place its helpers return.
ERASED_PLACE = re.compile(r'''erased\["([a-z_.:]+)"\]|erased = \{"([a-z_.:]+)"|return \{"([a-z_.:]+)": [^,{}]+'''
                          r'''(?:, "([a-z_.:]+)": )?''')


def test_every_place_an_erasure_reports_reads_as_words_on_the_certificate():
    code = Path(domain.__file__).parents[2]
    sources = [path.read_text() for path in [*code.glob("services/*/erasure.py"), code / "chassis" / "erasure.py"]]
    notifications = (code / "services" / "notifications" / "repository.py").read_text()
    sources.append(notifications.split("def forget_whatsapp_session")[1].split("\ndef ")[0])  # its own part
    places = {place for source in sources for match in ERASED_PLACE.finditer(source)
              for place in match.groups() if place}
    assert {"data_keys", "cases.narrative", "case_history", "contacts", "index:cases", "outbox", "parked_messages",
            "whatsapp_sessions"} <= places
    unlabelled = sorted(place for place in places if f"erased_place.{place}" not in CATALOG)
    assert unlabelled == [], f"the erasure certificate would show these bare codes: {unlabelled}"
