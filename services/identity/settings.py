"""Settings of the identity service."""
from datetime import timedelta

from pydantic import Field, SecretStr

from chassis.settings import Section, ServiceSettings


class LockoutSettings(Section):
    max_failures: int = Field(5, ge=1)
    # A call centre's agents share one address behind its router: a few typos must not lock them all out.
    max_failures_per_address: int = Field(20, ge=1)
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)


class TokenSettings(Section):
    access_ttl: timedelta = Field(timedelta(minutes=15), le=timedelta(minutes=15))
    refresh_ttl: timedelta = timedelta(hours=12)         # a working day; then sign in again
    challenge_ttl: timedelta = timedelta(minutes=5)


class ProviderSettings(Section):
    """An organisation's OpenID Connect provider (Entra ID, Keycloak, Humanitarian ID...)."""

    name: str                                             # shown on the button: "Sign in with <name>"
    issuer: str
    client_id: str
    client_secret: SecretStr
    scopes: str = "openid profile email"
    # First matching rule wins: {claim, value, role, countries, org}. No rule, no access.
    mapping: list[dict]


class IdentitySettings(ServiceSettings):
    secret_key: SecretStr                                 # base64 of 32 bytes
    public_url: str                                       # where identity answers, for SSO callbacks
    console_url: str                                      # where invitation links and SSO sign-ins land
    invitation_ttl: timedelta = timedelta(hours=72)
    mfa_required_roles: list[str] = ["focal_point", "partner", "ops", "admin"]
    conduct_version: str = "2026-11"
    lockout: LockoutSettings = LockoutSettings()
    tokens: TokenSettings = TokenSettings()
    providers: dict[str, ProviderSettings] = {}
    # Signing keys stay published this long after a newer key took over (at least the access lifetime).
    retired_key_published_for: timedelta = timedelta(minutes=30)
