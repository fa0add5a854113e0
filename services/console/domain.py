"""The console's rules, pure: when a session ends or needs a new access token, how a deadline reads on
the country's clock, what the call form becomes for intake, and which pages a role may see."""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
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
    "supervisor": "/board",
    "focal_point": "/restricted",
    "partner": "/referrals",
    "manager": "/search",
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


PLACE_SAID_MAX = 200


def place_groups(places: list[dict]) -> list[tuple[dict, list[tuple[dict, str]]]]:
    """A country's gazetteer as a picker shows it: each region with its prefectures (or cercles, communes)
    and their sites, the sites named with the prefecture they lie in ("Kindia · Mambia")."""
    children: dict[str | None, list[dict]] = {}
    for place in places:
        children.setdefault(place["parent"], []).append(place)
    groups = []
    for region in children.get(None, []):
        options = []
        for area in children.get(region["code"], []):
            options.append((area, area["name"]))
            options += [(site, f"{area['name']} · {site['name']}") for site in _sites_under(area, children)]
        groups.append((region, options))
    return groups


def _sites_under(area: dict, children) -> list[dict]:
    found = []
    for child in children.get(area["code"], []):
        found.append(child)
        found += _sites_under(child, children)
    return found


def location_from_form(place_code: str, place_said: str, places: list[dict]) -> dict | None:
    """The location for intake's contract, by name as the gazetteer has it (intake matches names): the
    region and prefecture above the chosen place, the site itself as `place`; a place said but not in the
    list is sent as said (intake keeps it, and names it `other` outside)."""
    by_code = {place["code"]: place for place in places}
    chosen = by_code.get(place_code)
    location: dict[str, str] = {}
    place = chosen
    while place is not None:
        key = {"adm1": "adm1", "adm2": "adm2", "site": "place"}[place["level"]]
        location.setdefault(key, place["name"])
        place = by_code.get(place["parent"])
    if place_said and "place" not in location:
        location["place"] = place_said
    return location or None


def feedback_from_form(form, allowed_countries, hotlines: dict[str, str],
                       places: dict[str, list[dict]] | None = None) -> tuple[dict | None, list[tuple[str, str]]]:
    """The call form as intake's FeedbackSubmission, or the fields to fix (field, reason code). `places`:
    each country's gazetteer, for the place chosen in the list."""
    errors: list[tuple[str, str]] = []
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    country, channel, narrative = get("country"), get("channel"), get("narrative")
    country_places = (places or {}).get(country, [])
    place_code, place_said = get("place_code"), get("place_said")
    if place_code and place_code not in {place["code"] for place in country_places}:
        errors.append(("place_code", "choose"))
    if len(place_said) > PLACE_SAID_MAX:
        errors.append(("place_said", "too_long"))
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
        "location": location_from_form(place_code, place_said, country_places),
        "interaction": interaction or None,
        "agent_assessment": {"sensitive": form.get("sensitive") == "on",
                             "life_in_danger": form.get("life_in_danger") == "on"},
    }
    return {key: value for key, value in submission.items() if value is not None}, []


# The queue's views: (name, the cases API's filters). "Due soon" is what cases warns about: 75% of a deadline gone.
QUEUE_VIEWS = {
    "all": {},
    "mine": {"assignee": None},          # the person's own subject, filled in by the page
    "unassigned": {"unassigned": "true"},
    "due_soon": {"deadline_state": "warning"},
}


CASE_REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{6}$")   # GN-2026-000042


def case_reference(typed: str) -> str | None:
    """A reference as a caller reads it out ("gn 2026 000042"), in its written form; None if it is not one."""
    compact = re.sub(r"[\s\-_./]+", "", typed or "").upper()
    written = f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"
    return written if CASE_REFERENCE.match(written) else None


def status_for_caller(case: dict) -> dict:
    """What an agent may tell a caller asking about their case: the status in the caller's words (a
    restricted case reads as being handled until it is resolved, as cases answers by SMS), and, once
    the case is closed, the answer recorded for them."""
    status = case["status"]
    if case.get("restricted") and status not in ("resolved", "closed"):
        status = "in_progress"
    told = {"status": status, "received_at": case.get("received_at")}
    # The promise a caller can hold us to: when they get an answer (first response, else resolution).
    answer_by = [deadline["due_at"] for deadline in case.get("deadlines", [])
                 if deadline["kind"] in ("first_response", "resolve") and not deadline.get("settled_at")]
    told["answer_by"] = min(answer_by) if answer_by and status not in ("resolved", "closed") else None
    if status == "closed" and not case.get("restricted"):
        told["answer"] = case.get("response") or case.get("resolution")
    elif status == "resolved" and not case.get("restricted"):
        told["answer"] = case.get("resolution")
    return told


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
    if action in ("resolve", "close") and form.get("explain_by_phone") == "yes":
        body["explain_by_phone"] = True  # the answer needs explaining by phone: cases opens a callback task
    return body, []


# --- the supervisor's pages -----------------------------------------------------------------------------

BOARD_STATES = ("warning", "breached")
REVIEW_SCORES = (1, 2, 3, 4, 5)
MAX_REASSIGNED = 100


def board_link(country: str, state: str, column: str, key: str | None) -> str:
    """The list a board count leads to: the same filters the cases service counted with."""
    params = {"country": country, "deadline_state": state}
    if key is None:
        params["unassigned" if column == "assignee" else "no_team"] = "true"
    else:
        params[column] = key
    return "/reassign?" + urlencode(params)


def list_params(args) -> dict:
    """The reassignment list's filters from the page's query, as the cases API takes them."""
    params = {"limit": MAX_REASSIGNED}
    country = (args.get("country") or "").upper()
    if len(country) == 2 and country.isalpha():
        params["country"] = country
    if args.get("deadline_state") in BOARD_STATES:
        params["deadline_state"] = args["deadline_state"]
    for name in ("assignee", "team"):
        if args.get(name):
            params[name] = args[name][:200]
    for name in ("unassigned", "no_team"):
        if args.get(name) == "true":
            params[name] = "true"
    return params


def reassignment_body(form) -> tuple[dict | None, list[tuple[str, str]]]:
    """The reassignment form (ticked cases, each as `reference:version`, and whom to) as the cases API's
    BulkAssignment, or what to fix."""
    errors: list[tuple[str, str]] = []
    chosen = []
    for value in form.getlist("case")[:MAX_REASSIGNED]:
        reference, _, version = value.rpartition(":")
        if reference and version.isdigit():
            chosen.append({"reference": reference[:20], "version": int(version)})
    if not chosen:
        errors.append(("case", "choose_cases"))
    assignee, team = (form.get("assignee") or "").strip(), (form.get("team") or "").strip()
    if not assignee and not team:
        errors.append(("assignee", "required"))
    if errors:
        return None, errors
    body: dict = {"cases": chosen}
    body.update({key: value for key, value in {"assignee": assignee, "team": team}.items() if value})
    return body, []


def review_body(form) -> tuple[dict | None, list[tuple[str, str]]]:
    score = (form.get("score") or "").strip()
    if not score.isdigit() or int(score) not in REVIEW_SCORES:
        return None, [("score", "choose")]
    comment = (form.get("comment") or "").strip()
    if len(comment) > 2000:
        return None, [("comment", "too_long")]
    return {"score": int(score), **({"comment": comment} if comment else {})}, []


def previous_week(week_start: str) -> str:
    """The Monday before the given one (ISO dates)."""
    return (date.fromisoformat(week_start) - timedelta(days=7)).isoformat()


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


REFERRAL_OUTCOMES = ("service_provided", "not_reached", "referred_on", "closed")
OUTCOME_NOTE_MAX = 2000


def referral_outcome_body(form) -> tuple[dict | None, list[tuple[str, str]]]:
    """The partner's outcome form as referrals' body, or the fields to correct (referrals checks the date's range)."""
    outcome, on, note = (form.get(name, "").strip() for name in ("outcome", "on", "note"))
    errors = []
    if outcome not in REFERRAL_OUTCOMES:
        errors.append(("outcome", "choose"))
    try:
        on = date.fromisoformat(on).isoformat()
    except ValueError:
        errors.append(("on", "required"))
    if len(note) > OUTCOME_NOTE_MAX:
        errors.append(("note", "too_long"))
    return (None, errors) if errors else ({"outcome": outcome, "on": on, "note": note or None}, [])


@dataclass(frozen=True)
class AccessLogAction:
    name: str            # the action's own name: its words are the catalogue's `audit.<name>`
    status: str | None   # a status change's new status
    refused: bool        # the attempt was refused: the caller could not see the case


def access_log_action(action: str) -> AccessLogAction:
    """One access-log line's action as cases writes it: `<action>`, `status:<status>` for a status
    change, and either with `_denied` when the caller was refused."""
    refused = action.endswith("_denied")
    name, _, status = action.removesuffix("_denied").partition(":")
    return AccessLogAction(name, status or None, refused)
