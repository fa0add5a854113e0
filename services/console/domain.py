"""The console's rules, pure: when a session ends or needs a new access token, how a deadline reads on
the country's clock, what the call form becomes for intake, and which pages a role may see."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LANGUAGES = ("fr", "en")
REFRESH_MARGIN = timedelta(seconds=90)   # refresh a little before expiry, so no call to a service meets an expired token
CASE_ROLES = ("agent", "supervisor", "focal_point")
CATEGORY_CODES = tuple(range(1, 12))
SENSITIVE_CATEGORIES = frozenset({6, 7, 8, 9, 10})
SUB_CATEGORIES = ("cash", "business_support", "psychosocial", "medical", "housing", "documents", "training")
CHANNELS_AN_AGENT_TAKES = ("hotline", "reception_desk")
SEXES = ("female", "male", "other", "not_said")
AGE_GROUPS = ("0-17", "18-24", "25-59", "60+")
RESPONSE_CHANNELS = ("call", "sms", "visit", "letter", "email")
NARRATIVE_MAX = 50_000


def is_idle(last_seen_at: datetime, now: datetime, idle_timeout: timedelta) -> bool:
    return now - last_seen_at >= idle_timeout


def needs_refresh(access_expires_at: datetime | None, now: datetime) -> bool:
    return access_expires_at is None or access_expires_at - now <= REFRESH_MARGIN


def language_from_header(accept_language: str | None) -> str:
    """The first of French or English the browser asks for; French (the programmes' working language) else."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "fr"


def safe_local_path(value: str | None, default: str = "/") -> str:
    """Only a path on this site: never another origin (`//evil`, `https://...`, `/\\evil`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\n" in value:
        return default
    return value


STEP_PAGES = {"totp": "/sign-in/totp", "enrol_totp": "/sign-in/enrol", "accept_conduct": "/sign-in/conduct"}
# Where each role lands after signing in: the page of its main journey.
HOME_PAGES = {
    "agent": "/cases",
    "supervisor": "/cases",
    "focal_point": "/restricted",
    "partner": "/referrals",
    "manager": "/no-pages-yet",
    "ops": "/no-pages-yet",
    "admin": "/no-pages-yet",
}


def home_of(role: str | None) -> str:
    return HOME_PAGES.get(role, "/no-pages-yet")


@dataclass(frozen=True)
class Badge:
    state: str          # ok, warning, breached, paused, none
    local_time: str     # the due time on the country's clock, e.g. "27/11 16:30"
    hours_left: float | None


def deadline_badge(due_at: datetime | None, state: str, timezone: str, now: datetime) -> Badge:
    if due_at is None:
        return Badge("none", "", None)
    local = due_at.astimezone(ZoneInfo(timezone))
    hours_left = (due_at - now).total_seconds() / 3600
    shown = "breached" if hours_left < 0 else state if state in ("ok", "warning", "breached") else "ok"
    return Badge(shown, local.strftime("%d/%m %H:%M"), round(hours_left, 1))


def feedback_from_form(form, allowed_countries, hotlines: dict[str, str]) -> tuple[dict | None, list[tuple[str, str]]]:
    """The call form as intake's FeedbackSubmission, or the fields to fix (field, reason code)."""
    errors: list[tuple[str, str]] = []
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    country, channel, narrative = get("country"), get("channel"), get("narrative")
    if country not in allowed_countries:
        errors.append(("country", "choose"))
    if channel not in CHANNELS_AN_AGENT_TAKES:
        errors.append(("channel", "choose"))
    if not narrative:
        errors.append(("narrative", "required"))
    elif len(narrative) > NARRATIVE_MAX:
        errors.append(("narrative", "too_long"))
    language = get("language")
    if language and language not in ("fr", "en", "ff", "man", "sus", "bm", "wo", "ha", "yo", "ig"):
        errors.append(("language", "choose"))
    duration = get("duration_minutes")
    minutes = None
    if duration:
        try:
            minutes = float(duration.replace(",", "."))
            if not 0 <= minutes <= 600:
                raise ValueError
        except ValueError:
            errors.append(("duration_minutes", "number"))
    sex, age_group = get("sex"), get("age_group")
    if sex and sex not in SEXES:
        errors.append(("sex", "choose"))
    if age_group and age_group not in AGE_GROUPS:
        errors.append(("age_group", "choose"))
    if errors:
        return None, errors
    name, phone = get("caller_name"), get("caller_phone")
    disability = {"yes": True, "no": False}.get(get("disability"))
    interaction = {key: value for key, value in {
        "call_id": get("call_id") or None,
        "duration_seconds": minutes * 60 if minutes is not None else None,
        "endpoint": hotlines.get(country) if channel == "hotline" else None,
    }.items() if value is not None}
    respondent = {key: value for key, value in {
        "sex": sex or None, "age_group": age_group or None, "disability": disability}.items() if value is not None}
    submission = {
        "country": country, "channel": channel, "narrative": narrative,
        "language": language or None,
        "contact": {key: value for key, value in {"name": name or None, "phone": phone or None}.items() if value}
                   or None,
        "consent": {"callback": form.get("consent_callback") == "yes",
                    "share_with_partners": form.get("consent_share") == "yes"},
        "respondent": respondent or None,
        "interaction": interaction or None,
        "agent_assessment": {"sensitive": form.get("sensitive") == "on",
                             "life_in_danger": form.get("life_in_danger") == "on"},
    }
    return {key: value for key, value in submission.items() if value is not None}, []


QUEUE_STATUSES = ("new", "acknowledged", "in_progress", "waiting_for_complainant", "referred", "resolved", "closed",
                  "reopened")


def local_time(moment: datetime | None, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M") if moment else ""


def case_action_body(action: str, form, subject: str | None) -> tuple[dict | None, list[tuple[str, str]]]:
    """A case page's form as the body of the cases API's action, or what to fix."""
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    try:
        version = int(get("version"))
    except ValueError:
        return None, [(action, "version_required")]
    body: dict = {"version": version}
    if action == "notes":
        body["text"] = get("text")
        if not body["text"]:
            return None, [("text", "required")]
    elif action == "classification":
        try:
            code = int(get("category_code"))
        except ValueError:
            code = 0
        if code not in CATEGORY_CODES:
            return None, [("category_code", "choose")]
        body["category_code"] = code
        if get("sub_category") in SUB_CATEGORIES:
            body["sub_category"] = get("sub_category")
    elif action == "assignment":
        assignee = subject if form.get("to_me") == "yes" else get("assignee")
        body.update({key: value for key, value in {"assignee": assignee, "team": get("team")}.items() if value})
        if len(body) == 1:
            return None, [("assignee", "required")]
    elif action == "status":
        body["status"] = get("status")
        if get("reason"):
            body["reason"] = get("reason")
    elif action == "resolve":
        body["resolution"] = get("resolution")
        if not body["resolution"]:
            return None, [("resolution", "required")]
    elif action == "close":
        if get("no_contact_reason"):
            body["no_contact_reason"] = get("no_contact_reason")
        elif get("response") and get("response_channel") in RESPONSE_CHANNELS:
            body.update(response=get("response"), response_channel=get("response_channel"))
        else:
            return None, [("response", "required")]
    return body, []


# --- a focal point's triage and a partner's referrals ----------------------------------------------------

# A referral a focal point may send to another partner (referrals' own rule; re-checked there).
ROUTABLE_REFERRALS = ("sent", "needs_routing", "declined")
DECLINE_REASONS = ("outside_mandate", "no_capacity", "outside_area", "duplicate", "other")
REASON_MAX = 5000


UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_uuid(value: str) -> bool:
    """An id the console puts into another service's path: nothing else (no `/`, no `..`) gets there."""
    return bool(UUID_PATTERN.match(value or ""))


def triage_body(decision: str, form) -> tuple[dict | None, list[tuple[str, str]]]:
    """A triage form as the body of cases' classification or release, or of referrals' route; or what to fix."""
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    if decision == "route":
        if not is_uuid(get("referral_id")):
            return None, [("route", "invalid")]
        if not get("partner_id"):
            return None, [("partner_id", "choose")]
        return {"referral_id": get("referral_id"), "partner_id": get("partner_id")[:100]}, []
    if decision not in ("confirm", "release"):
        return None, [("form", "invalid")]
    try:
        body: dict = {"version": int(get("version"))}
    except ValueError:
        return None, [(decision, "version_required")]
    try:
        code = int(get("category_code"))
    except ValueError:
        code = 0
    wanted = SENSITIVE_CATEGORIES if decision == "confirm" else set(CATEGORY_CODES) - SENSITIVE_CATEGORIES
    if code not in wanted:
        return None, [(f"{decision}_category", "choose")]
    body["category_code"] = code
    if get("sub_category") in SUB_CATEGORIES:
        body["sub_category"] = get("sub_category")
    if decision == "release":
        if not get("reason"):
            return None, [("reason", "required")]
        if len(get("reason")) > REASON_MAX:
            return None, [("reason", "too_long")]
        body["reason"] = get("reason")
    return body, []


def decline_reason(form) -> str | None:
    reason = (form.get("reason") or "").strip()
    return reason if reason in DECLINE_REASONS else None
