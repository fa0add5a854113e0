"""Pure rules of cases: the taxonomy, the workflow, priorities and which deadlines a case has.

No I/O here: the time, the country's calendar and its policies are passed in.
"""
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chassis.errors import Refused
from services.cases.business_time import Calendar, Deadline, Span
from services.cases.classifier import Suggestion

# --- taxonomy ----------------------------------------------------------------------------------------

SUB_CATEGORIES = ("cash", "business_support", "psychosocial", "medical", "housing", "documents", "training")


@dataclass(frozen=True)
class Category:
    code: int
    name: str
    sensitive: bool = False
    emergency: bool = False


@dataclass(frozen=True)
class Taxonomy:
    """A country's categories at one version; a case keeps the version it was classified with."""

    version: int
    categories: dict[int, Category]
    sub_categories: tuple[str, ...] = SUB_CATEGORIES

    def category(self, code: int) -> Category | None:
        return self.categories.get(code)


DEFAULT_CATEGORIES = {
    1: Category(1, "Request for information"),
    2: Category(2, "Request for assistance"),
    3: Category(3, "Positive feedback, appreciation"),
    4: Category(4, "Minor dissatisfaction"),
    5: Category(5, "Major dissatisfaction, complaint"),
    6: Category(6, "Sexual exploitation and abuse, safeguarding", sensitive=True),
    7: Category(7, "Fraud, corruption, theft", sensitive=True),
    8: Category(8, "Staff or partner misconduct, breach of confidentiality", sensitive=True),
    9: Category(9, "Threat to life, safety or security", sensitive=True, emergency=True),
    10: Category(10, "Protection need (GBV, child protection, trafficking)", sensitive=True),
    11: Category(11, "Out of scope, other organisations"),
}
DEFAULT_TAXONOMY = Taxonomy(version=1, categories=DEFAULT_CATEGORIES)
SENSITIVE_CATEGORY_CODES = frozenset(code for code, category in DEFAULT_CATEGORIES.items() if category.sensitive)


def check_classification(taxonomy: Taxonomy, category_code: int, sub_category: str | None) -> Category:
    category = taxonomy.category(category_code)
    if category is None:
        raise Refused(422, "unknown_category", f"Category {category_code} is not in taxonomy v{taxonomy.version}.")
    if sub_category is not None and sub_category not in taxonomy.sub_categories:
        raise Refused(422, "unknown_sub_category", "This sub-category is not in the country's taxonomy.")
    return category


def check_release(restricted: bool, taxonomy: Taxonomy, category_code: int, sub_category: str | None) -> Category:
    """A focal point may release a case held as possibly sensitive only to an ordinary category: a sensitive
    one on a case agents see would contradict its release."""
    if not restricted:
        raise Refused(409, "not_restricted", "This case is not restricted: there is nothing to release.")
    category = check_classification(taxonomy, category_code, sub_category)
    if category.sensitive:
        raise Refused(422, "category_sensitive", "A released case needs an ordinary (not sensitive) category.")
    return category


def priority_for(sensitive: bool, emergency: bool) -> str:
    if emergency:
        return "emergency"
    return "high" if sensitive else "normal"


def with_agent_assessment(suggestion, assessment):
    """The agent's judgement while listening adds to the rules', never removes: a life in danger is a threat to
    life (category 9, an emergency); "sounds sensitive" restricts the case, keeping a sensitive category the
    rules found and dropping an ordinary one, so that a focal point chooses."""
    if assessment is None or not (assessment.sensitive or assessment.life_in_danger):
        return suggestion
    category = suggestion.category_code
    reasons = suggestion.reasons
    if assessment.life_in_danger:
        category, reasons = 9, reasons + ("threat_to_life: agent_assessment",)
    elif category not in SENSITIVE_CATEGORY_CODES:
        category = None
    if assessment.sensitive:
        reasons = reasons + ("agent_assessment: sensitive",)
    return replace(suggestion, category_code=category, sensitive=True, reasons=reasons,
                   emergency=suggestion.emergency or assessment.life_in_danger,
                   sensitive_rules=tuple(dict.fromkeys(suggestion.sensitive_rules + ("agent_assessment",))),
                   sub_category=suggestion.sub_category if category == suggestion.category_code else None)


def priority_of(suggestion: Suggestion) -> str:
    return priority_for(suggestion.sensitive, suggestion.emergency)


# --- workflow ----------------------------------------------------------------------------------------

# Keys of a timeline entry's detail that hold what a person typed, or words quoted from the narrative (the
# classifier's suggestion and its explanation): sealed under the case's data key, gone with it.
TEXT_DETAIL_KEYS = ("text", "reason", "resolution", "response", "no_contact_reason", "suggestion")

STATUSES = ("new", "acknowledged", "in_progress", "waiting_for_complainant", "referred", "resolved", "closed",
            "reopened")
WORKING = ("in_progress", "waiting_for_complainant", "referred", "resolved")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", *WORKING),
    "acknowledged": WORKING,
    "in_progress": ("waiting_for_complainant", "referred", "resolved"),
    "waiting_for_complainant": ("in_progress", "referred", "resolved"),
    "referred": ("in_progress", "waiting_for_complainant", "resolved"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": WORKING,
}


@dataclass(frozen=True)
class Closure:
    """What a case needs to be closed: what the complainant was told and how, or why they could not be."""

    response: str | None = None
    response_channel: str | None = None
    no_contact_reason: str | None = None


def check_transition(current: str, target: str, closure: Closure | None = None) -> None:
    """Raise `Refused` unless the workflow allows going from `current` to `target`."""
    if target not in STATUSES:
        raise Refused(422, "unknown_status", f"'{target}' is not a case status.")
    if target not in TRANSITIONS[current]:
        raise Refused(409, "transition_not_allowed", f"A case cannot go from {current} to {target}.")
    if target == "closed":
        closure = closure or Closure()
        answered = bool(closure.response and closure.response_channel)
        if not answered and not closure.no_contact_reason:
            raise Refused(422, "closure_needs_response",
                          "Say what the complainant was told and how (response and response_channel), "
                          "or why no contact was possible (no_contact_reason).")


# Which deadline each status settles: the action the deadline asks for has been done.
SETTLED_BY: dict[str, tuple[str, ...]] = {
    "acknowledged": ("acknowledge",),
    "in_progress": ("acknowledge",),
    "waiting_for_complainant": ("acknowledge", "first_response"),
    # Sending a case to a partner tells the complainant nothing: it does not acknowledge them.
    "referred": ("refer",),
    "resolved": ("acknowledge", "first_response", "resolve"),
}


def deadlines_settled_by(target: str) -> tuple[str, ...]:
    return SETTLED_BY.get(target, ())


def pauses_the_clock(status: str) -> bool:
    return status == "waiting_for_complainant"


# --- deadline policies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePolicy:
    """A country's deadlines (CFM.md defaults): business days, except referrals which run on the clock."""

    acknowledge_business_days: float = 1
    refer_hours: float = 24
    emergency_refer_hours: float = 1
    first_response_business_days: dict[int, float] = field(default_factory=lambda: {1: 3, 11: 3})
    resolve_business_days: dict[int, float] = field(default_factory=lambda: {2: 10, 4: 10, 5: 15})

    def spans(self, category_code: int | None, sensitive: bool, emergency: bool) -> dict[str, Span]:
        """The deadlines a case of this category and priority has, by kind."""
        # A person who reported abuse is owed an acknowledgement as much as anyone: a sensitive case
        # has both deadlines, the referral on the clock and the acknowledgement in business days.
        spans = {"acknowledge": Span.business_days(self.acknowledge_business_days)}
        if sensitive:
            return {"refer": Span.hours(self.emergency_refer_hours if emergency else self.refer_hours), **spans}
        if category_code in self.first_response_business_days:
            spans["first_response"] = Span.business_days(self.first_response_business_days[category_code])
        if category_code in self.resolve_business_days:
            spans["resolve"] = Span.business_days(self.resolve_business_days[category_code])
        return spans


def opening_deadlines(policy: DeadlinePolicy, calendar: Calendar, suggestion: Suggestion,
                      now: datetime) -> list[Deadline]:
    """The deadlines a new case starts with, most pressing first (CaseOpened names the first)."""
    spans = policy.spans(suggestion.category_code, suggestion.sensitive, suggestion.emergency)
    order = ("refer", "acknowledge", "first_response", "resolve")
    return [Deadline.start(kind, spans[kind], calendar, now) for kind in order if kind in spans]


# --- status requests -------------------------------------------------------------------------------------

def status_for_complainant(status: str, restricted: bool) -> str:
    """The status a complainant may learn about their own case. A restricted case answers neutrally
    (in_progress until resolved): 'referred' would tell whoever holds the phone that it was sensitive."""
    if not restricted:
        return status
    return status if status in ("resolved", "closed") else "in_progress"


# --- quality control -----------------------------------------------------------------------------------


def week_of(moment: datetime, timezone: str) -> tuple[date, datetime, datetime]:
    """The week (Monday to Sunday on the country's clock) holding `moment`: its Monday, and its start and
    end as aware times (end excluded)."""
    zone = ZoneInfo(timezone)
    monday = moment.astimezone(zone).date() - timedelta(days=moment.astimezone(zone).weekday())
    start = datetime.combine(monday, time(0), tzinfo=zone)
    return monday, start, datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)


def sample_to_draw(unsampled_by_agent: dict[str, list], sampled_by_agent: dict[str, int], per_agent: int,
                   rng: random.Random) -> dict[str, list]:
    """For each agent, the closed cases to add to the week's sample so that it holds `per_agent` of theirs
    (or all they closed, when fewer): drawn at random among those not sampled yet. Cases already sampled
    stay; none is ever taken out."""
    drawn = {}
    for agent, closed in sorted(unsampled_by_agent.items()):
        wanted = min(per_agent - sampled_by_agent.get(agent, 0), len(closed))
        if wanted > 0:
            drawn[agent] = rng.sample(sorted(closed), wanted)
    return drawn

