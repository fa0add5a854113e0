"""Pure rules of cases: a first sensitivity screen and the first deadline.

The screen errs on the side of flagging: a message wrongly hidden from
agents is recoverable, one wrongly exposed is not. This is the walking
skeleton's screen; the classification issue replaces it with per-country
rules and a labelled evaluation set.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Rule name -> (category code of the default taxonomy, phrases in French and English).
SENSITIVE_RULES: dict[str, tuple[int, tuple[str, ...]]] = {
    "threat_to_life": (9, ("menace de mort", "menace de me tuer", "va me tuer", "veut me tuer", "suicide",
                           "death threat", "threatened to kill", "kill me", "danger de mort", "en danger")),
    "sexual_exploitation_abuse": (6, ("abus sexuel", "harcelement sexuel", "viol", "exploitation sexuelle",
                                      "coucher avec", "faveurs sexuelles", "sexual abuse", "sexual exploitation",
                                      "rape", "sexual favours", "sexual favors", "sleep with", "harassment")),
    "fraud_corruption": (7, ("corruption", "pot-de-vin", "pot de vin", "detournement", "fraude",
                             "payer pour etre", "demande de l'argent", "bribe", "fraud", "stole", "theft", "vol ")),
    "staff_misconduct": (8, ("insulte par l'agent", "agent m'a frappe", "staff insulted", "staff hit me",
                             "confidentialite", "confidentiality")),
    "protection_need": (10, ("violence", "battue", "trafic", "traite", "enfant travaille", "mariage force",
                             "trafficking", "child labour", "forced marriage", "beaten", "abuse")),
}


def _fold(text: str) -> str:
    """Lower case without accents, so 'détournement' and 'detournement' match alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class Screening:
    sensitive: bool
    category_code: int | None
    reasons: tuple[str, ...]

    @property
    def emergency(self) -> bool:
        return "threat_to_life" in self.reasons


def screen_narrative(narrative: str) -> Screening:
    text = " " + re.sub(r"\s+", " ", _fold(narrative)) + " "
    reasons = tuple(name for name, (_, phrases) in SENSITIVE_RULES.items()
                    if any(phrase in text for phrase in phrases))
    category = SENSITIVE_RULES[reasons[0]][0] if reasons else None
    return Screening(sensitive=bool(reasons), category_code=category, reasons=reasons)


def priority_of(screening: Screening) -> str:
    if screening.emergency:
        return "emergency"
    return "high" if screening.sensitive else "normal"


def add_business_days(start: datetime, days: int, timezone: str) -> datetime:
    """`days` working days (Monday to Friday, in the country's time zone) after `start`.
    A message received on a weekend starts the clock at midnight of the next working day."""
    local = start.astimezone(ZoneInfo(timezone))
    if local.weekday() >= 5:
        local = (local + timedelta(days=7 - local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local


def first_deadline(opened_at: datetime, screening: Screening, timezone: str) -> tuple[str, datetime]:
    """The first deadline a new case must meet: refer a sensitive case (on the clock),
    otherwise acknowledge it within one business day."""
    if screening.emergency:
        return "refer", opened_at + timedelta(hours=1)
    if screening.sensitive:
        return "refer", opened_at + timedelta(hours=24)
    return "acknowledge", add_business_days(opened_at, 1, timezone)
