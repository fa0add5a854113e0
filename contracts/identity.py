"""Bodies of identity's HTTP API: accounts, sign-in steps, tokens and the public keys."""
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from contracts.common import Contract, CountryCode

Secret = Annotated[str, StringConstraints(min_length=1, max_length=512)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._@-]{3,64}$")]
Role = Literal["agent", "supervisor", "focal_point", "partner", "manager", "ops", "admin"]
SignInStep = Literal["totp", "enrol_totp", "accept_conduct"]


class SignIn(Contract):
    """POST /v1/sign-in"""

    username: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class ChallengeStep(Contract):
    """POST /v1/sign-in/totp-enrolment: the challenge of the sign-in under way."""

    challenge: Secret


class ChallengeCode(Contract):
    """POST /v1/sign-in/totp and /v1/sign-in/totp-enrolment/confirm: a code from the app or a recovery code."""

    challenge: Secret
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=20)]


class ConductAcceptance(Contract):
    """POST /v1/sign-in/conduct: the version of the code of conduct the person read and accepts."""

    challenge: Secret
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class SignInResult(Contract):
    """Either tokens (`signed_in`) or the next step of the sign-in, behind a new challenge."""

    status: Literal["signed_in", "next_step"]
    access_token: str | None = None
    refresh_token: str | None = None
    token_type: Literal["Bearer"] | None = None
    expires_in: int | None = Field(None, description="Seconds the access token is valid")
    challenge: str | None = None
    next_step: SignInStep | None = None
    recovery_codes: list[str] | None = Field(None, description="Shown once, at enrolment; each works once")


class TotpEnrolment(Contract):
    secret: str
    otpauth_uri: str


class Conduct(Contract):
    """GET /v1/conduct: what a person accepts before first using the platform."""

    version: str
    text: dict[str, str] = Field(description="By language: fr, en")


class RefreshRequest(Contract):
    """POST /v1/token"""

    refresh_token: Secret


class LinkUse(Contract):
    """POST /v1/links/use: set one's password with an invitation or reset link."""

    link: Secret
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class NewUser(Contract):
    """POST /v1/users (admin)"""

    username: Username
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    role: Role
    countries: list[CountryCode] = Field(min_length=1, max_length=20)
    org: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")] | None = None


class AccessChange(Contract):
    """POST /v1/users/<id>/access (admin): the user's new role and countries (all of them the admin's)."""

    role: Role
    countries: list[CountryCode] = Field(min_length=1, max_length=20)
    org: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")] | None = None


class UserView(Contract):
    user_id: UUID
    username: str
    display_name: str
    role: Role
    countries: list[str]
    org: str | None
    sign_in: Literal["password", "provider"]
    second_factor: bool
    disabled_at: datetime | None
    created_at: datetime


class UserList(Contract):
    users: list[UserView]


class StaffMember(Contract):
    user_id: UUID = Field(description="The `sub` of the person's tokens: what cases names as assignee or agent")
    display_name: str
    role: Role


class StaffList(Contract):
    """GET /v1/staff: the case workers (agents, supervisors, focal points) sharing a country with the caller,
    by name, so that a supervisor sees and chooses people, not ids. Disabled accounts are left out."""

    staff: list[StaffMember]


class AccountLink(Contract):
    """The one-time link to give the person (shown once; only its hash is kept)."""

    user: UserView
    link: str
    expires_at: datetime


class SessionsEnded(Contract):
    sessions_ended: int


class Provider(Contract):
    id: str
    name: str
    start_url: str


class ProviderList(Contract):
    providers: list[Provider]


class SsoExchange(Contract):
    """POST /v1/sign-in/sso: the one-time code the console received after the provider's redirect."""

    code: Secret


class NewClient(Contract):
    """POST /v1/clients (admin): a machine client for an integration."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    role: Literal["partner", "manager", "ops"]
    countries: list[CountryCode] = Field(min_length=1, max_length=20)
    org: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")] | None = None


class ClientView(Contract):
    client_id: str
    name: str
    role: str
    countries: list[str]
    org: str | None
    created_at: datetime
    revoked_at: datetime | None


class ClientCreated(Contract):
    client: ClientView
    client_secret: str = Field(description="Shown once; only its hash is kept")


class ClientList(Contract):
    clients: list[ClientView]


class ClientToken(Contract):
    """POST /v1/oauth/token's answer (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class AccountEvent(Contract):
    at: datetime
    actor: str
    user_id: UUID | None
    action: str = Field(description="e.g. signed_in:password, sign_in_failed:password, locked:account, "
                                    "totp_enrolled, disabled, rights_changed:agent:GN, client_created:<id>")
    client_address: str | None


class AccountEvents(Contract):
    events: list[AccountEvent]


class EndedSessions(Contract):
    """GET /v1/ended-sessions: ids of sessions ended within the access tokens' lifetime."""

    sessions: list[str]


class Me(Contract):
    subject: str
    role: str
    countries: list[str]
    org: str | None


__all_contracts__ = [
    "SignIn", "ChallengeStep", "ChallengeCode", "ConductAcceptance", "SignInResult", "TotpEnrolment", "Conduct",
    "RefreshRequest", "LinkUse", "NewUser", "UserView", "UserList", "AccountLink", "SessionsEnded", "Provider",
    "ProviderList", "SsoExchange", "EndedSessions", "Me", "NewClient", "ClientView", "ClientCreated", "ClientList",
    "ClientToken", "AccountEvent", "AccountEvents", "AccessChange", "StaffMember", "StaffList",
]
