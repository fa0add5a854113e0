"""Bearer tokens: JWTs signed by the identity service that say who calls, in which role, for which
countries.

Roles follow the domain: agent, supervisor, focal_point (the only people who see sensitive cases),
partner (with an organisation), manager (reads across countries), ops (service health) and admin.

Only identity holds a private key. Every other service verifies tokens against identity's public
keys (its JWKS, fetched once, cached, and fetched again when a token names a key it does not know),
so no service can mint a token, and a token signed with a shared secret (HS256) is refused.
"""
import logging
import time
from datetime import UTC, datetime, timedelta

import jwt
import requests
from pydantic import BaseModel, ConfigDict

from chassis.errors import ApiError

log = logging.getLogger(__name__)

ROLES = ("agent", "supervisor", "focal_point", "partner", "manager", "ops", "admin")
ALGORITHMS = ["EdDSA", "RS256"]
FETCH_AT_MOST_EVERY_SECONDS = 1.0
# Clock difference between identity's machine and the checking one that is forgiven.
LEEWAY = timedelta(seconds=30)


class Principal(BaseModel):
    """The authenticated caller."""

    model_config = ConfigDict(frozen=True)

    subject: str
    role: str
    countries: frozenset[str]
    organisation: str | None = None
    session_id: str | None = None

    def require_role(self, *allowed: str) -> None:
        if self.role not in allowed:
            raise ApiError(403, "role_not_allowed", f"The role '{self.role}' may not do this.")

    def require_country(self, country: str) -> None:
        if country not in self.countries:
            raise ApiError(403, "country_not_in_scope", f"Your token does not cover country {country}.")

    @property
    def sees_restricted_cases(self) -> bool:
        return self.role == "focal_point"


class KeySet:
    """Identity's public signing keys by key id: given inline (`auth.jwks`), or fetched from `auth.jwks_url`."""

    def __init__(self, url: str | None = None, jwks: dict | None = None):
        self._url = url
        self._given = self._parse(jwks) if jwks else {}
        self._keys = dict(self._given)
        self._fetched_at = float("-inf")

    @staticmethod
    def _parse(jwks: dict) -> dict[str, jwt.PyJWK]:
        keys = {}
        for entry in jwks.get("keys", []):
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWKError:
                continue                     # a key of a kind we cannot use is no key at all
            if key.key_id and key.algorithm_name in ALGORITHMS:
                keys[key.key_id] = key
        return keys

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        if kid in self._keys or self._url is None or kid is None:
            return self._keys.get(kid)
        # Tokens with made-up key ids cost identity at most one fetch a second; each fetch brings every
        # published key, so a real new key is learnt within that second even during such a flood.
        if time.monotonic() - self._fetched_at >= FETCH_AT_MOST_EVERY_SECONDS:
            self._fetched_at = time.monotonic()
            try:
                response = requests.get(self._url, timeout=5)
                response.raise_for_status()
                self._keys = {**self._parse(response.json()), **self._given}
            except (requests.RequestException, ValueError) as exc:
                log.warning("identity's public keys could not be fetched", extra={"reason": type(exc).__name__})
        return self._keys.get(kid)


class Revocations:
    """Sessions that ended (sign-out, a disabled user, a stolen refresh token) while their access tokens
    may still be unexpired: identity lists them, and every service reads the list again every few
    seconds. When identity cannot be reached the last list stays in force: a hotline keeps working."""

    def __init__(self, url: str | None, refresh_seconds: float):
        self._url = url
        self._refresh_seconds = refresh_seconds
        self._ended: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    def ended(self, session_id: str | None) -> bool:
        if self._url is None or session_id is None:
            return False
        if time.monotonic() - self._read_at >= self._refresh_seconds:
            self._read_at = time.monotonic()
            try:
                response = requests.get(self._url, timeout=5)
                response.raise_for_status()
                self._ended = frozenset(response.json()["sessions"])
            except (requests.RequestException, ValueError, KeyError) as exc:
                log.warning("identity's ended sessions could not be read", extra={"reason": type(exc).__name__})
        return session_id in self._ended


_trust: dict[tuple, tuple[KeySet, Revocations]] = {}


def trust_for(settings) -> tuple[KeySet, Revocations]:
    """One cached key set and list of ended sessions per configuration, for the life of the process."""
    cache_key = (settings.jwks_url, repr(settings.jwks), settings.revocations_url)
    if cache_key not in _trust:
        _trust[cache_key] = (KeySet(settings.jwks_url, settings.jwks),
                             Revocations(settings.revocations_url, settings.revocations_refresh_seconds))
    return _trust[cache_key]


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": f'Bearer error="{code}"'})


def principal_from_token(token: str, keys: KeySet, *, issuer: str = "cfm-platform", audience: str = "cfm",
                         max_lifetime: timedelta = timedelta(minutes=15)) -> Principal:
    invalid = _unauthorized("invalid_token", "The token is not valid for this platform.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise invalid from None
    key = keys.key(header.get("kid"))
    if key is None or header.get("alg") not in ALGORITHMS:
        raise invalid
    try:
        claims = jwt.decode(token, key, algorithms=[key.algorithm_name], issuer=issuer, audience=audience,
                            leeway=LEEWAY, options={"require": ["sub", "role"]})
    except jwt.ExpiredSignatureError:
        raise _unauthorized("expired_token", "The token has expired; ask for a new one.") from None
    except jwt.InvalidTokenError:
        raise invalid from None
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
        raise _unauthorized("token_without_expiry", "The token must say when it was issued and when it expires.")
    # A token that claims to live longer than identity ever issues was not issued by it as it is now;
    # a recent `iat` does not help, since what is left of it counts too.
    limit = max_lifetime.total_seconds()
    if expires - issued > limit or expires - datetime.now(UTC).timestamp() > limit + LEEWAY.total_seconds():
        raise _unauthorized("token_lifetime_too_long", "The token lives longer than this platform allows.")
    if claims["role"] not in ROLES or not isinstance(claims.get("countries", []), list):
        raise invalid
    return Principal(subject=claims["sub"], role=claims["role"], countries=frozenset(claims.get("countries", [])),
                     organisation=claims.get("org"), session_id=claims.get("sid"))


def principal_from_header(authorization: str | None, settings) -> Principal:
    """The caller named by an `Authorization: Bearer ...` header."""
    if not authorization:
        raise _unauthorized("missing_token", "Send a bearer token in the Authorization header.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("invalid_token", "The Authorization header must read 'Bearer <token>'.")
    keys, revocations = trust_for(settings)
    principal = principal_from_token(token.strip(), keys, issuer=settings.issuer, audience=settings.audience,
                                     max_lifetime=settings.max_token_lifetime)
    if revocations.ended(principal.session_id):
        raise _unauthorized("session_ended", "This session has ended; sign in again.")
    return principal
