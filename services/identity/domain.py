"""Identity's rules, with no I/O: who may manage whom, what makes a password acceptable, when an
account or an address is locked out, which steps a sign-in still needs, and how an organisation's
identity provider grants a role."""
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from chassis.errors import Refused

ROLES = ("agent", "supervisor", "focal_point", "partner", "manager", "ops", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256           # Argon2 would hash more, but nobody types it; a bound stops a slow-hash flood
COMMON_PASSWORDS_FILE = Path(__file__).parent / "common_passwords.txt"

# Steps of a sign-in after the password, in the order they are asked.
STEP_ENROL_TOTP = "enrol_totp"
STEP_TOTP = "totp"
STEP_CONDUCT = "accept_conduct"
STEP_SSO_EXCHANGE = "sso_exchange"     # the console trades the code from the provider's redirect


def _fold(text: str) -> str:
    """Lower case, accents and everything but letters and digits removed: 'Mot-de-passe!' is 'motdepasse'."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


def load_common_passwords(path: Path = COMMON_PASSWORDS_FILE) -> frozenset[str]:
    return frozenset(_fold(line) for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


def check_password(password: str, *, username: str, common: frozenset[str]) -> None:
    """Refuse a password that is short, common, or a common word dressed up with digits and symbols."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(422, "password_too_short", f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Refused(422, "password_too_long", f"Choose a password of at most {MAX_PASSWORD_LENGTH} characters.")
    folded = _fold(password)
    bare = re.sub(r"\d+$", "", re.sub(r"^\d+", "", folded))      # 'Password2026!' -> 'password'
    if folded in common or bare in common or not bare or len(set(folded)) <= 3:     # 'not bare': only digits
        raise Refused(422, "password_too_common", "This password is too common; choose a longer phrase of your own.")
    if _fold(username) and _fold(username) in folded:
        raise Refused(422, "password_contains_username", "The password must not contain the user name.")


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    window: timedelta
    lock_for: timedelta


@dataclass(frozen=True)
class FailureCount:
    failures: int
    first_at: datetime
    locked_until: datetime | None


def is_locked(count: FailureCount | None, now: datetime) -> bool:
    return count is not None and count.locked_until is not None and count.locked_until > now


def after_failure(count: FailureCount | None, now: datetime, policy: LockoutPolicy) -> FailureCount:
    """The count once one more failure is added: a new window when the old one is over, locked at the limit."""
    if count is None or now - count.first_at > policy.window or (count.locked_until and count.locked_until <= now):
        count = FailureCount(0, now, None)
    failures = count.failures + 1
    locked_until = now + policy.lock_for if failures >= policy.max_failures else None
    return FailureCount(failures, count.first_at, locked_until)


def steps_after_password(*, role: str, has_totp: bool, mfa_roles: frozenset[str], sso: bool,
                         accepted_conduct: str | None, conduct_version: str) -> list[str]:
    """What a person must still do before tokens are issued. An SSO user's second factor is the
    identity provider's business; a local user enrols when the role requires it."""
    steps = []
    if not sso:
        if has_totp:
            steps.append(STEP_TOTP)
        elif role in mfa_roles:
            steps.append(STEP_ENROL_TOTP)
    if accepted_conduct != conduct_version:
        steps.append(STEP_CONDUCT)
    return steps


def may_manage(admin_countries: frozenset[str], user_countries: list[str]) -> bool:
    """An admin manages the users of their own countries only: every country of the user must be theirs."""
    return bool(user_countries) and set(user_countries) <= admin_countries


def check_not_own_account(admin_subject: str, user_id: str) -> None:
    """An admin never changes their own account: no admin raises or widens themselves, nor locks
    themselves out; another admin does it, and the account log shows who."""
    if admin_subject == user_id:
        raise Refused(403, "own_account", "An admin cannot change their own role, countries or account state.")


def check_access_change(admin_subject: str, admin_countries: frozenset[str], user_id: str, role: str,
                        countries: list[str], org: str | None) -> None:
    """An admin changes others' access, never their own, and grants only countries they manage."""
    check_not_own_account(admin_subject, user_id)
    if not may_manage(admin_countries, countries):
        raise Refused(403, "country_not_in_scope", "You manage the users of your own countries only.")
    if role == "partner" and not org:
        raise Refused(422, "org_required", "A partner belongs to an organisation (org).")


@dataclass(frozen=True)
class Grant:
    """What an identity provider's claims grant on this platform."""

    role: str
    countries: list[str]
    org: str | None


def grant_from_claims(claims: dict, mapping: list[dict]) -> Grant | None:
    """The first rule of the provider's mapping that the claims satisfy, or None (no access).

    A rule reads `{claim: groups, value: cfm-gn-agents, role: agent, countries: [GN], org: null}`:
    the claim is a string or a list of strings that must contain the value."""
    for rule in mapping:
        held = claims.get(rule["claim"])
        values = held if isinstance(held, list) else [held]
        if rule["value"] in values:
            return Grant(rule["role"], list(rule["countries"]), rule.get("org"))
    return None
