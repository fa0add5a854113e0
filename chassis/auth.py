"""Bearer tokens: signed JWTs that say who calls, in which role, for which countries.

Roles follow the domain: agent, supervisor, focal_point (the only people who
see sensitive cases), partner (with an organisation), manager (reads across
countries), ops (service health) and admin. `python -m chassis.auth --role
agent --country GN` (make token) mints a development token.

Until the identity service replaces these tokens there is no revocation, so
their lifetime is what bounds a stolen one: a token must say when it was
issued and when it expires, and one whose lifetime (exp - iat) or remaining
time exceeds `auth.max_token_minutes` (60 outside development) is refused.
"""
import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from pydantic import BaseModel, ConfigDict

from chassis.errors import ApiError

Role = Literal["agent", "supervisor", "focal_point", "partner", "manager", "ops", "admin"]
ALGORITHM = "HS256"
DEVELOPMENT_MAX_LIFETIME = timedelta(hours=24)
# Clock difference between the minting and the checking machine that is forgiven.
LEEWAY = timedelta(seconds=30)


class Principal(BaseModel):
    """The authenticated caller."""

    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    countries: frozenset[str]
    organisation: str | None = None

    def require_role(self, *allowed: str) -> None:
        if self.role not in allowed:
            raise ApiError(403, "role_not_allowed", f"The role '{self.role}' may not do this.")

    def require_country(self, country: str) -> None:
        if country not in self.countries:
            raise ApiError(403, "country_not_in_scope", f"Your token does not cover country {country}.")

    @property
    def sees_restricted_cases(self) -> bool:
        return self.role == "focal_point"


def mint_token(secret: str, *, subject: str, role: str, countries: list[str], organisation: str | None = None,
               issuer: str = "cfm-platform", audience: str = "cfm", ttl: timedelta = timedelta(hours=8),
               now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject, "role": role, "countries": sorted(countries), "iss": issuer, "aud": audience,
        "iat": issued, "exp": issued + ttl,
    }
    if organisation:
        claims["org"] = organisation
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": f'Bearer error="{code}"'})


def principal_from_token(token: str, secret: str, issuer: str = "cfm-platform", audience: str = "cfm",
                         max_lifetime: timedelta = DEVELOPMENT_MAX_LIFETIME) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=issuer, audience=audience,
                            leeway=LEEWAY, options={"require": ["sub", "role"]})
    except jwt.ExpiredSignatureError:
        raise _unauthorized("expired_token", "The token has expired; ask for a new one.") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("invalid_token", "The token is not valid for this platform.") from None
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
        raise _unauthorized("token_without_expiry", "The token must say when it was issued and when it expires.")
    now = datetime.now(UTC).timestamp()
    limit = max_lifetime.total_seconds()
    if expires - issued > limit or expires - now > limit + LEEWAY.total_seconds():
        raise _unauthorized("token_lifetime_too_long",
                            f"Tokens may live at most {int(limit // 60)} minutes; ask for a new one.")
    try:
        return Principal(subject=claims["sub"], role=claims["role"],
                         countries=frozenset(claims.get("countries", [])), organisation=claims.get("org"))
    except ValueError:
        raise _unauthorized("invalid_token", "The token's role or countries are not recognised.") from None


def principal_from_header(authorization: str | None, settings) -> Principal:
    """The caller named by an `Authorization: Bearer ...` header."""
    if not authorization:
        raise _unauthorized("missing_token", "Send a bearer token in the Authorization header.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("invalid_token", "The Authorization header must read 'Bearer <token>'.")
    return principal_from_token(token.strip(), settings.jwt_secret.get_secret_value(),
                                settings.issuer, settings.audience, timedelta(minutes=settings.max_token_minutes))


def main(argv: list[str] | None = None) -> int:
    from chassis.services import load_service
    from chassis.settings import load_settings

    parser = argparse.ArgumentParser(description="Mint a development bearer token.")
    parser.add_argument("--role", required=True, choices=Role.__args__)
    parser.add_argument("--country", required=True, help="comma-separated ISO codes, e.g. GN,ML")
    parser.add_argument("--subject", help="who the token is for (default: dev-<role>)")
    parser.add_argument("--org", help="the partner organisation, for role partner")
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args(argv)
    # Every service shares the platform's token settings; intake's are as good as any.
    auth = load_settings(load_service("intake")[1], "intake").auth
    if args.hours * 60 > auth.max_token_minutes:
        parser.error(f"--hours: the services accept tokens of at most {auth.max_token_minutes} minutes")
    print(mint_token(auth.jwt_secret.get_secret_value(), subject=args.subject or f"dev-{args.role}",
                     role=args.role, countries=[c.strip().upper() for c in args.country.split(",")],
                     organisation=args.org, issuer=auth.issuer, audience=auth.audience,
                     ttl=timedelta(hours=args.hours)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
