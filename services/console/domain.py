"""The console's rules, pure: when a session ends or needs a new access token, how a deadline reads on
the country's clock, what the call form becomes for intake, and which pages a role may see."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LANGUAGES = ("fr", "en")
REFRESH_MARGIN = timedelta(seconds=90)   # refresh a little before expiry, so no call to a service meets an expired token
CASE_ROLES = ("agent", "supervisor", "focal_point")
OPS_ROLES = ("ops", "admin")
ROLES = ("agent", "supervisor", "focal_point", "partner", "manager", "ops", "admin")
# The services whose health the operators' page shows, in the order a message goes through them.
WATCHED_SERVICES = ("identity", "intake", "cases", "referrals", "notifications", "reporting")
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
    "partner": "/no-pages-yet",
    "manager": "/no-pages-yet",
    "ops": "/health",
    "admin": "/users",
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


# --- operations --------------------------------------------------------------------------------------

def readiness_state(status: int | None, body: dict) -> tuple[str, list[str]]:
    """A service's readiness as the health page shows it: ready, not_ready (with the checks that fail), or
    unreachable (no answer: status None)."""
    if status is None:
        return "unreachable", []
    failing = sorted(name for name, value in (body.get("checks") or {}).items() if value != "ok")
    return ("ready", []) if status == 200 and body.get("status") == "ok" else ("not_ready", failing)


def channel_state(last_received_at: datetime | None, now: datetime, quiet_after: timedelta) -> str:
    """active, or silent when no message came for `quiet_after` (or ever): a broken number, an expired
    webhook secret or an empty box all look like this from here."""
    if last_received_at is None or now - last_received_at >= quiet_after:
        return "silent"
    return "active"


def outbox_state(lag_seconds: float, warning_after: timedelta) -> str:
    return "warning" if lag_seconds >= warning_after.total_seconds() else "ok"


def elapsed(since: datetime | None, now: datetime) -> tuple[str, int] | None:
    """How long ago, in the one unit a person reads at a glance: ("minutes", 5), ("hours", 3), ("days", 2)."""
    if since is None:
        return None
    seconds = max((now - since).total_seconds(), 0)
    if seconds < 60:
        return "now", 0
    if seconds < 3600:
        return "minutes", int(seconds // 60)
    if seconds < 2 * 86400:
        return "hours", int(seconds // 3600)
    return "days", int(seconds // 86400)


# --- user administration ------------------------------------------------------------------------------

def _countries_from_form(form, allowed_countries) -> list[str]:
    return sorted({country for country in form.getlist("countries") if country in allowed_countries})


def invitation_from_form(form, allowed_countries) -> tuple[dict | None, list[tuple[str, str]]]:
    """The invitation form as identity's NewUser, or the fields to fix (field, reason code)."""
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    body = {"username": get("username"), "display_name": get("display_name")}
    errors = [(field, "required") for field, value in body.items() if not value]
    access, access_errors = access_from_form(form, allowed_countries)
    if errors or access_errors:
        return None, errors + access_errors
    return {**body, **access}, []


def access_from_form(form, allowed_countries) -> tuple[dict | None, list[tuple[str, str]]]:
    """A role, countries (among the admin's own) and, for a partner, the organisation, as identity's AccessChange."""
    role, org = (form.get("role") or "").strip(), (form.get("org") or "").strip()
    countries = _countries_from_form(form, allowed_countries)
    errors = []
    if role not in ROLES:
        errors.append(("role", "choose"))
    if not countries:
        errors.append(("countries", "choose"))
    if role == "partner" and not org:
        errors.append(("org", "required"))
    if errors:
        return None, errors
    return {"role": role, "countries": countries, "org": org if role == "partner" else None}, []
