"""The console's rules, pure: when a session ends or needs a new access token, how a deadline reads on
the country's clock, what the call form becomes for intake, and which pages a role may see."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LANGUAGES = ("fr", "en")
REFRESH_MARGIN = timedelta(seconds=90)   # refresh a little before expiry, so no call to a service meets an expired token
CASE_ROLES = ("agent", "supervisor", "focal_point")
CATEGORY_CODES = tuple(range(1, 12))
SENSITIVE_CATEGORIES = frozenset({6, 7, 8, 9, 10})
SUB_CATEGORIES = ("cash", "business_support", "psychosocial", "medical", "housing", "documents", "training")
CHANNELS_AN_AGENT_TAKES = ("hotline", "reception_desk")
CHANNELS = ("hotline", "reception_desk", "suggestion_box", "sms", "whatsapp", "email", "web_form", "kobo")
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
    "manager": "/search",
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


# --- the regional manager's search and reports ---------------------------------------------------------

MANAGER_ROLES = ("manager",)
# The search filters reporting offers (its parameter, as the form names it too) -> the facet that counts them.
SEARCH_FILTERS = {"country": "country", "channel": "channel", "category_code": "category_code",
                  "status": "status", "deadline_state": "deadline_state", "region": "adm1"}
SEARCH_SORTS = ("newest", "oldest", "deadline", "relevance")
SEARCH_PAGE_SIZE = 20
QUERY_MAX = 200
REPORT_PERIODS = ("week", "month")


@dataclass(frozen=True)
class Search:
    """A search as the form holds it. It travels by POST (see pages/manager.py), so neither the words typed
    nor the cursors ever enter a URL."""
    text: str
    filters: dict[str, list[str]]
    received_from: str
    received_to: str
    sort: str                # "" for reporting's default: relevance with words, newest without
    cursors: list[str]       # the cursor of each page before this one; [] on the first page

    def params(self) -> dict[str, str]:
        """Reporting's query parameters for this page of results."""
        params = {name: ",".join(values) for name, values in self.filters.items() if values}
        params.update({key: value for key, value in {
            "q": self.text, "received_from": self.received_from, "received_to": self.received_to,
            "sort": self.sort,
            "cursor": self.cursors[-1] if self.cursors else None}.items() if value})
        params["size"] = str(SEARCH_PAGE_SIZE)
        return params


def _iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


def search_from_form(form, countries) -> Search:
    """The search form, with anything that is not a value reporting knows dropped (a tampered field
    narrows nothing it should not, and never reaches reporting as something else)."""
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    allowed = {"region": set(), "country": set(countries), "channel": set(CHANNELS),
               "category_code": {str(code) for code in CATEGORY_CODES}, "status": set(QUEUE_STATUSES),
               "deadline_state": {"ok", "warning", "breached"}}
    filters = {}
    for name in SEARCH_FILTERS:
        values = [value.strip() for value in form.getlist(name) if value.strip()]
        filters[name] = sorted({value[:100] for value in values
                                 if value in allowed[name] or (name == "region" and "," not in value)})
    sort = get("sort") if get("sort") in SEARCH_SORTS else ""   # "": reporting's default
    cursors = [cursor for cursor in get("cursors").split() if len(cursor) <= 500][:50]
    move = get("page")
    if move == "next" and get("next_cursor"):
        cursors.append(get("next_cursor")[:500])
    elif move == "previous" and cursors:
        cursors.pop()
    elif move != "same":
        cursors = []   # a new search starts on its first page
    return Search(get("q")[:QUERY_MAX], filters, _iso_date(get("received_from")), _iso_date(get("received_to")),
                  sort, cursors)


def report_scope(value: str | None, countries) -> str:
    """`region` (every country of the person's) or one of their countries."""
    return value if value in countries else "region"


def report_params(period: str, scope: str, day: str | None, countries) -> dict[str, str]:
    """reporting's parameters for a report page or file: a region report names the person's countries."""
    params = {"period": period, "country": ",".join(sorted(countries)) if scope == "region" else scope}
    if day and _iso_date(day):
        params["date"] = _iso_date(day)
    return params
