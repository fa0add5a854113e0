"""Identity's use cases: invite and manage users, sign in (password, second factor, code of conduct),
issue, refresh and end sessions, keep the signing keys, and sign in with an organisation's provider."""
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
import pyotp

from services.identity import domain, oidc, repository
from services.identity.crypto import (
    ServiceKeys, new_recovery_code, new_secret, new_signing_key, normalise_recovery_code,
)
from services.identity.domain import Refused

RECOVERY_CODES = 10
MAX_CHALLENGE_ATTEMPTS = 5
TOTP_ISSUER = "CFM platform"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class Challenge:
    challenge: str
    steps: list[str]


@dataclass
class Context:
    """What every use case needs from the service: its keys, settings, password hasher and clock."""

    keys: ServiceKeys
    settings: object
    passwords: object
    common_passwords: frozenset[str]
    now: datetime
    client_address: str | None = None


def _invalid_credentials() -> Refused:
    return Refused(401, "invalid_credentials", "The user name or password is wrong.")


# Signing keys

def _keys_made_once(conn, ctx: Context) -> list[dict]:
    """Every signing key, the first one made now if there is none (two instances starting together make one)."""
    rows = repository.signing_keys(conn)
    if not rows:
        repository.lock_signing_keys(conn)
        rows = repository.signing_keys(conn)
        if not rows:
            _add_signing_key(conn, ctx)
            rows = repository.signing_keys(conn)
    return rows


def rotate_signing_key(uow, ctx: Context) -> str:
    """A new key signs from now on; the old ones stay published until the tokens they signed expire."""
    with uow:
        repository.lock_signing_keys(uow.conn)
        return _add_signing_key(uow.conn, ctx)


def _add_signing_key(conn, ctx: Context) -> str:
    kid = f"{ctx.now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    pkcs8, jwk = new_signing_key()
    repository.insert_signing_key(conn, kid, ctx.keys.encrypt(pkcs8, kid.encode()), {**jwk, "kid": kid}, ctx.now)
    return kid


def published_keys(uow, ctx: Context) -> list[dict]:
    """The JWKS: the signing key and each retired key whose tokens may still be unexpired."""
    with uow:
        rows = _keys_made_once(uow.conn, ctx)
    return [row["public_jwk"] for row in rows
            if row["retired_at"] is None or row["retired_at"] + ctx.settings.retired_key_published_for > ctx.now]


def _signing_key(conn, ctx: Context) -> tuple[str, bytes]:
    current = next(row for row in _keys_made_once(conn, ctx) if row["retired_at"] is None)
    return current["kid"], ctx.keys.decrypt(current["private_key"], current["kid"].encode())


# Users

def create_user(uow, ctx: Context, admin, *, username: str, display_name: str, role: str, countries: list[str],
                org: str | None) -> tuple[dict, str]:
    """A new local user and their one-time invitation link secret (shown once to the admin)."""
    _require_manages(admin, countries)
    if role == "partner" and not org:
        raise Refused(422, "org_required", "A partner belongs to an organisation (org).")
    if role == "admin" and admin.role != "admin":
        raise Refused(403, "role_not_allowed", "Only an admin may create an admin.")
    user = {"user_id": uuid.uuid4(), "username": username, "display_name": display_name, "role": role,
            "countries": sorted(countries), "org": org, "created_at": ctx.now, "created_by": admin.subject}
    secret = new_secret()
    with uow:
        if not repository.insert_user(uow.conn, user):
            raise Refused(409, "username_taken", "Another user has this user name.")
        repository.insert_link(uow.conn, ctx.keys.hash(secret), user["user_id"], "invitation", ctx.now,
                               ctx.now + ctx.settings.invitation_ttl)
        repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=user["user_id"],
                                action="created", client_address=ctx.client_address)
    return user, secret


def audit(uow, admin, *, user_id, since, until, limit: int) -> list[dict]:
    """What happened to the accounts an admin manages, newest first."""
    with uow:
        return repository.account_events(uow.conn, sorted(admin.countries), user_id, since, until, limit)


def list_users(uow, admin, limit: int) -> list[dict]:
    with uow:
        return repository.list_users(uow.conn, sorted(admin.countries), limit)


def list_case_workers(uow, principal, limit: int) -> list[dict]:
    with uow:
        return repository.case_workers(uow.conn, sorted(principal.countries), limit)


def managed_user(uow, admin, user_id) -> dict:
    with uow:
        return _managed_user(uow.conn, admin, user_id, lock=False)


def _managed_user(conn, admin, user_id, lock: bool = True) -> dict:
    user = repository.user_by_id(conn, user_id, lock=lock)
    # Someone else's user is answered as missing: an admin learns nothing of other countries' accounts.
    if user is None or not domain.may_manage(admin.countries, user["countries"]):
        raise Refused(404, "user_not_found", "There is no such user among yours.")
    return user


def _require_manages(admin, countries: list[str]) -> None:
    if not domain.may_manage(admin.countries, countries):
        raise Refused(403, "country_not_in_scope", "You manage the users of your own countries only.")


def disable_user(uow, ctx: Context, admin, user_id) -> int:
    """Disable the account and end every session it has; returns how many were ended."""
    domain.check_not_own_account(admin.subject, str(user_id))
    with uow:
        user = _managed_user(uow.conn, admin, user_id)
        if user["disabled_at"] is None:
            repository.update_user(uow.conn, user_id, disabled_at=ctx.now, disabled_reason="admin")
        ended = repository.end_sessions_of(uow.conn, user_id, ctx.now, "disabled")
        repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=user_id, action="disabled",
                                client_address=ctx.client_address)
    return ended


def enable_user(uow, ctx: Context, admin, user_id) -> dict:
    """Let a disabled person sign in again (with the password and second factor they had)."""
    domain.check_not_own_account(admin.subject, str(user_id))
    with uow:
        user = _managed_user(uow.conn, admin, user_id)
        if user["disabled_at"] is not None:
            repository.update_user(uow.conn, user_id, disabled_at=None, disabled_reason=None)
            repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=user_id, action="enabled",
                                    client_address=ctx.client_address)
        return repository.user_by_id(uow.conn, user_id)


def change_access(uow, ctx: Context, admin, user_id, *, role: str, countries: list[str], org: str | None) -> dict:
    """A new role and countries for a user; their sessions end, so that no token carries the old ones."""
    domain.check_access_change(admin.subject, admin.countries, str(user_id), role, countries, org)
    with uow:
        user = _managed_user(uow.conn, admin, user_id)
        if user["idp"]:
            raise Refused(409, "managed_by_provider", "This user's role comes from their organisation's provider.")
        countries = sorted(countries)
        if (user["role"], list(user["countries"]), user["org"]) != (role, countries, org):
            repository.update_user(uow.conn, user_id, role=role, countries=countries, org=org)
            repository.end_sessions_of(uow.conn, user_id, ctx.now, "access_changed")
            repository.record_event(
                uow.conn, at=ctx.now, actor=admin.subject, user_id=user_id, client_address=ctx.client_address,
                action=f"access_changed:{user['role']}>{role}:{','.join(user['countries'])}>{','.join(countries)}")
        return repository.user_by_id(uow.conn, user_id)


def reset_second_factor(uow, ctx: Context, admin, user_id) -> int:
    """Forget a lost phone: the second factor and recovery codes go, every session ends, and the person
    enrols a new app at their next sign-in. Returns how many sessions were ended."""
    domain.check_not_own_account(admin.subject, str(user_id))
    with uow:
        user = _managed_user(uow.conn, admin, user_id)
        if user["idp"]:
            raise Refused(409, "managed_by_provider", "This user's second factor is their organisation's provider's.")
        repository.update_user(uow.conn, user_id, totp_secret=None, totp_last_step=None)
        repository.replace_recovery_codes(uow.conn, user_id, [])
        ended = repository.end_sessions_of(uow.conn, user_id, ctx.now, "second_factor_reset")
        repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=user_id,
                                action="second_factor_reset", client_address=ctx.client_address)
    return ended


def reset_link(uow, ctx: Context, admin, user_id) -> str:
    """A one-time link to choose a new password (and enrol a second factor again)."""
    secret = new_secret()
    with uow:
        user = _managed_user(uow.conn, admin, user_id)
        if user["idp"]:
            raise Refused(409, "managed_by_provider", "This user signs in with their organisation's provider.")
        repository.insert_link(uow.conn, ctx.keys.hash(secret), user_id, "reset", ctx.now,
                               ctx.now + ctx.settings.invitation_ttl)
        repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=user_id, action="reset_link",
                                client_address=ctx.client_address)
    return secret


def use_link(uow, ctx: Context, secret: str, password: str) -> None:
    """Set the password from an invitation or reset link. A reset ends every session and the second
    factor, which the person enrols again at the next sign-in."""
    with uow:
        link = repository.use_link(uow.conn, ctx.keys.hash(secret), ctx.now)
        if link is None:
            raise Refused(410, "link_not_valid", "This link was used already or has expired; ask your admin for a new one.")
        user = repository.user_by_id(uow.conn, link["user_id"], lock=True)
        if user["disabled_at"] is not None:
            raise Refused(410, "link_not_valid", "This link was used already or has expired; ask your admin for a new one.")
        domain.check_password(password, username=user["username"], common=ctx.common_passwords)
        fields = {"password_hash": ctx.passwords.hash(password)}
        if link["purpose"] == "reset":
            fields["totp_secret"] = None
            repository.end_sessions_of(uow.conn, user["user_id"], ctx.now, "password_reset")
            repository.replace_recovery_codes(uow.conn, user["user_id"], [])
        repository.update_user(uow.conn, user["user_id"], **fields)
        repository.record_event(uow.conn, at=ctx.now, actor=user["username"], user_id=user["user_id"],
                                action=f"{link['purpose']}_used", client_address=ctx.client_address)


# Sign-in

def sign_in(uow, ctx: Context, username: str, password: str) -> Tokens | Challenge:
    """Check the password with the same work whether the account exists or not, count failures per
    account name and per client address, and lock either after too many."""
    account_key = "account:" + ctx.keys.hash(username.strip().lower()).hex()
    address_key = f"address:{ctx.client_address}"
    lockout = ctx.settings.lockout
    policies = {account_key: domain.LockoutPolicy(lockout.max_failures, lockout.window, lockout.lock_for),
                address_key: domain.LockoutPolicy(lockout.max_failures_per_address, lockout.window, lockout.lock_for)}
    with uow:
        user = repository.user_by_name(uow.conn, username.strip())
        locked = any(domain.is_locked(repository.failure_count(uow.conn, key), ctx.now)
                     for key in (account_key, address_key))
    # The hash is checked even when locked or unknown, so that time tells nothing either.
    stored_hash = user["password_hash"] if user and user["password_hash"] else None
    password_ok = ctx.passwords.verify(stored_hash, password)
    if locked:
        raise Refused(429, "too_many_failures", "Too many failed sign-ins; try again in a few minutes.")
    usable = password_ok and user is not None and user["disabled_at"] is None and user["idp"] is None
    if not usable:
        with uow:      # the failure is counted, then refused: a refusal inside the block would roll it back
            for key, policy in policies.items():
                count = domain.after_failure(repository.failure_count(uow.conn, key, lock=True), ctx.now, policy)
                repository.save_failure_count(uow.conn, key, count)
                if count.locked_until is not None:
                    repository.record_event(uow.conn, at=ctx.now, actor="anonymous", user_id=user and user["user_id"],
                                            action=f"locked:{key.partition(':')[0]}", client_address=ctx.client_address)
            repository.record_event(uow.conn, at=ctx.now, actor="anonymous", user_id=user and user["user_id"],
                                    action="sign_in_failed:password", client_address=ctx.client_address)
        raise _invalid_credentials()
    with uow:
        repository.clear_failures(uow.conn, account_key)
        if ctx.passwords.needs_rehash(stored_hash):
            repository.update_user(uow.conn, user["user_id"], password_hash=ctx.passwords.hash(password))
        repository.record_event(uow.conn, at=ctx.now, actor=user["username"], user_id=user["user_id"],
                                action="password_accepted", client_address=ctx.client_address)
        return _next_step(uow.conn, ctx, user, sso=False)


def _next_step(conn, ctx: Context, user: dict, *, sso: bool) -> Tokens | Challenge:
    steps = domain.steps_after_password(
        role=user["role"], has_totp=user["totp_secret"] is not None,
        mfa_roles=frozenset(ctx.settings.mfa_required_roles), sso=sso,
        accepted_conduct=user["conduct_version"], conduct_version=ctx.settings.conduct_version)
    if not steps:
        return _open_session(conn, ctx, user)
    secret = new_secret()
    repository.insert_challenge(conn, ctx.keys.hash(secret), user["user_id"], steps,
                                ctx.now + ctx.settings.tokens.challenge_ttl)
    return Challenge(secret, steps)


def _challenge(conn, ctx: Context, secret: str, step: str) -> tuple[dict, dict]:
    challenge = repository.lock_challenge(conn, ctx.keys.hash(secret), ctx.now)
    if challenge is None:
        raise Refused(401, "challenge_not_valid", "This sign-in has expired; start again.")
    if challenge["steps"][0] != step:
        raise Refused(409, "wrong_step", f"The next step of this sign-in is {challenge['steps'][0]}.")
    user = repository.user_by_id(conn, challenge["user_id"])
    if user["disabled_at"] is not None:
        raise Refused(401, "challenge_not_valid", "This sign-in has expired; start again.")
    return challenge, user


def _step_done(conn, ctx: Context, challenge: dict, user: dict) -> Tokens | Challenge:
    remaining = challenge["steps"][1:]
    if remaining:
        repository.update_challenge(conn, challenge["challenge_hash"], steps=remaining, attempts=0)
        return Challenge(_rekey_challenge(conn, ctx, challenge), remaining)
    repository.delete_challenge(conn, challenge["challenge_hash"])
    return _open_session(conn, ctx, user)


def _rekey_challenge(conn, ctx: Context, challenge: dict) -> str:
    """A fresh challenge secret for the next step, so that one seen before a step is useless after it."""
    secret = new_secret()
    repository.update_challenge(conn, challenge["challenge_hash"], challenge_hash=ctx.keys.hash(secret))
    return secret


def _wrong_code(conn, ctx: Context, challenge: dict) -> Refused:
    if challenge["attempts"] + 1 >= MAX_CHALLENGE_ATTEMPTS:
        repository.delete_challenge(conn, challenge["challenge_hash"])
    else:
        repository.update_challenge(conn, challenge["challenge_hash"], attempts=challenge["attempts"] + 1)
    return Refused(401, "invalid_code", "The code is wrong or has expired.")


def _totp_step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    """The time step whose code this is (now, or one step either side for a slow typist), else None."""
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return totp.timecode(now) + offset
    return None


def verify_second_factor(uow, ctx: Context, secret: str, code: str) -> Tokens | Challenge:
    """A TOTP code from the person's app, or one of their recovery codes (each works once). A TOTP code
    seen once is refused after, even within its 30 seconds: an onlooker cannot reuse it."""
    with uow:
        challenge, user = _challenge(uow.conn, ctx, secret, domain.STEP_TOTP)
        totp = pyotp.TOTP(ctx.keys.decrypt(user["totp_secret"], str(user["user_id"]).encode()).decode())
        compact = code.replace(" ", "")
        step = _totp_step(totp, compact, ctx.now) if compact.isdigit() else None
        if step is not None and (user["totp_last_step"] is None or step > user["totp_last_step"]):
            repository.update_user(uow.conn, user["user_id"], totp_last_step=step)
            accepted = True
        else:
            accepted = step is None and repository.use_recovery_code(
                uow.conn, user["user_id"], ctx.keys.hash(normalise_recovery_code(code)), ctx.now)
        if not accepted:
            refusal = _wrong_code(uow.conn, ctx, challenge)
        else:
            return _step_done(uow.conn, ctx, challenge, user)
    raise refusal


def start_enrolment(uow, ctx: Context, secret: str) -> tuple[str, str]:
    """A new TOTP secret and its otpauth:// URI (shown as a QR code), kept with the challenge until confirmed."""
    totp_secret = pyotp.random_base32()
    with uow:
        challenge, user = _challenge(uow.conn, ctx, secret, domain.STEP_ENROL_TOTP)
        repository.update_challenge(uow.conn, challenge["challenge_hash"], pending_totp_secret=ctx.keys.encrypt(
            totp_secret.encode(), challenge["challenge_hash"]))
    uri = pyotp.TOTP(totp_secret).provisioning_uri(name=user["username"], issuer_name=TOTP_ISSUER)
    return totp_secret, uri


def confirm_enrolment(uow, ctx: Context, secret: str, code: str) -> tuple[Tokens | Challenge, list[str]]:
    """The first code from the app proves the person holds the secret; then the recovery codes are shown once."""
    with uow:
        challenge, user = _challenge(uow.conn, ctx, secret, domain.STEP_ENROL_TOTP)
        if challenge["pending_totp_secret"] is None:
            raise Refused(409, "enrolment_not_started", "Ask for a new secret first.")
        totp_secret = ctx.keys.decrypt(challenge["pending_totp_secret"], challenge["challenge_hash"]).decode()
        step = _totp_step(pyotp.TOTP(totp_secret), code.replace(" ", ""), ctx.now)
        if step is None:
            refusal = _wrong_code(uow.conn, ctx, challenge)
        else:
            codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
            repository.update_user(uow.conn, user["user_id"], totp_last_step=step, totp_secret=ctx.keys.encrypt(
                totp_secret.encode(), str(user["user_id"]).encode()))
            repository.replace_recovery_codes(uow.conn, user["user_id"], [ctx.keys.hash(c) for c in codes])
            repository.record_event(uow.conn, at=ctx.now, actor=user["username"], user_id=user["user_id"],
                                    action="totp_enrolled", client_address=ctx.client_address)
            return _step_done(uow.conn, ctx, challenge, user), codes
    raise refusal


def accept_conduct(uow, ctx: Context, secret: str, version: str) -> Tokens | Challenge:
    with uow:
        challenge, user = _challenge(uow.conn, ctx, secret, domain.STEP_CONDUCT)
        if version != ctx.settings.conduct_version:
            raise Refused(409, "conduct_version_changed", "The code of conduct has changed; read the current one.")
        repository.update_user(uow.conn, user["user_id"], conduct_version=version, conduct_accepted_at=ctx.now)
        repository.record_event(uow.conn, at=ctx.now, actor=user["username"], user_id=user["user_id"],
                                action=f"conduct_accepted:{version}", client_address=ctx.client_address)
        user = {**user, "conduct_version": version}
        return _step_done(uow.conn, ctx, challenge, user)


# Sessions

def _open_session(conn, ctx: Context, user: dict) -> Tokens:
    session_id = uuid.uuid4()
    repository.insert_session(conn, session_id, user["user_id"], ctx.now)
    method = f"provider:{user['idp']}" if user.get("idp") else "password"
    repository.record_event(conn, at=ctx.now, actor=user["username"], user_id=user["user_id"],
                            action=f"signed_in:{method}", client_address=ctx.client_address)
    return _tokens(conn, ctx, user, session_id)


def sign_access_token(conn, ctx: Context, *, subject: str, role: str, countries: list[str], org: str | None,
                      session_id) -> str:
    """An access token signed with the current key; it says nothing of the person but their id and rights."""
    kid, private_key = _signing_key(conn, ctx)
    claims = {"sub": subject, "role": role, "countries": sorted(countries), "iss": ctx.settings.auth.issuer,
              "aud": ctx.settings.auth.audience, "iat": ctx.now, "exp": ctx.now + ctx.settings.tokens.access_ttl,
              "sid": str(session_id), "jti": uuid.uuid4().hex}
    if org:
        claims["org"] = org
    return jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": kid})


def _tokens(conn, ctx: Context, user: dict, session_id) -> Tokens:
    access = sign_access_token(conn, ctx, subject=str(user["user_id"]), role=user["role"],
                               countries=list(user["countries"]), org=user["org"], session_id=session_id)
    ttl = ctx.settings.tokens.access_ttl
    refresh = new_secret()
    repository.insert_refresh_token(conn, ctx.keys.hash(refresh), session_id, ctx.now,
                                    ctx.now + ctx.settings.tokens.refresh_ttl)
    return Tokens(access, refresh, int(ttl.total_seconds()))


def refresh(uow, ctx: Context, refresh_token: str) -> Tokens:
    """A new access token and a new refresh token; the old refresh token is spent. Using a spent one
    again means it was stolen (or copied): the whole session ends."""
    reused = False
    with uow:
        row = repository.lock_refresh_token(uow.conn, ctx.keys.hash(refresh_token))
        if row is None or row["ended_at"] is not None or row["expires_at"] <= ctx.now:
            raise Refused(401, "session_ended", "This session has ended; sign in again.")
        if row["used_at"] is not None:
            repository.end_session(uow.conn, row["session_id"], ctx.now, "refresh_token_reused")
            repository.record_event(uow.conn, at=ctx.now, actor="anonymous", user_id=row["user_id"],
                                    action="refresh_token_reused", client_address=ctx.client_address)
            reused = True
        else:
            user = repository.user_by_id(uow.conn, row["user_id"])
            if user["disabled_at"] is not None:
                raise Refused(401, "session_ended", "This session has ended; sign in again.")
            repository.mark_refresh_token_used(uow.conn, row["token_hash"], ctx.now)
            return _tokens(uow.conn, ctx, user, row["session_id"])
    if reused:
        raise Refused(401, "session_ended", "This session has ended; sign in again.")


def ended_sessions(uow, ctx: Context) -> list[str]:
    """Sessions ended recently enough that an access token of theirs may still be unexpired."""
    with uow:
        return repository.sessions_ended_since(uow.conn, ctx.now - ctx.settings.tokens.access_ttl)


def sign_out(uow, ctx: Context, principal, session_id) -> None:
    with uow:
        repository.end_session(uow.conn, session_id, ctx.now, "signed_out")
        user_id = None if principal.subject.startswith("client:") else uuid.UUID(principal.subject)
        repository.record_event(uow.conn, at=ctx.now, actor=principal.subject, user_id=user_id, action="signed_out",
                                client_address=ctx.client_address)


# Machine clients (OAuth 2 client credentials)

CLIENT_ROLES = ("partner", "manager", "ops")


def create_client(uow, ctx: Context, admin, *, name: str, role: str, countries: list[str],
                  org: str | None) -> tuple[dict, str]:
    """A client for an integration; its secret is returned once and only its hash is kept."""
    _require_manages(admin, countries)
    if role not in CLIENT_ROLES:
        raise Refused(422, "role_not_for_clients", f"A machine client's role is one of {', '.join(CLIENT_ROLES)}.")
    if role == "partner" and not org:
        raise Refused(422, "org_required", "A partner belongs to an organisation (org).")
    client = {"client_id": f"cfm-{uuid.uuid4().hex[:16]}", "name": name, "role": role, "countries": sorted(countries),
              "org": org, "created_at": ctx.now, "created_by": admin.subject, "revoked_at": None}
    secret = new_secret()
    with uow:
        repository.insert_client(uow.conn, client, ctx.keys.hash(secret))
        repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=None,
                                action=f"client_created:{client['client_id']}", client_address=ctx.client_address)
    return client, secret


def list_clients(uow, admin) -> list[dict]:
    with uow:
        return repository.list_clients(uow.conn, sorted(admin.countries))


def revoke_client(uow, ctx: Context, admin, client_id: str) -> None:
    with uow:
        client = repository.client_by_id(uow.conn, client_id)
        if client is None or not domain.may_manage(admin.countries, client["countries"]):
            raise Refused(404, "client_not_found", "There is no such client among yours.")
        repository.revoke_client(uow.conn, client_id, ctx.now)
        repository.record_event(uow.conn, at=ctx.now, actor=admin.subject, user_id=None,
                                action=f"client_revoked:{client_id}", client_address=ctx.client_address)


def client_token(uow, ctx: Context, client_id: str, secret: str) -> tuple[str, int]:
    """An access token for a client that proves its secret; no refresh token (it asks again)."""
    with uow:
        client = repository.client_by_id(uow.conn, client_id)
        matches = client is not None and hmac.compare_digest(bytes(client["secret_hash"]), ctx.keys.hash(secret))
        if not matches or client["revoked_at"] is not None:
            raise Refused(401, "invalid_client", "The client id or secret is wrong, or the client was revoked.")
        token = sign_access_token(uow.conn, ctx, subject=f"client:{client_id}", role=client["role"],
                                  countries=list(client["countries"]), org=client["org"],
                                  session_id=f"client:{client_id}")
    return token, int(ctx.settings.tokens.access_ttl.total_seconds())


# Sign-in with an organisation's identity provider

def start_sso(uow, ctx: Context, provider_id: str) -> str:
    """Where to send the browser: the provider's authorization URL, with state, nonce and a PKCE challenge."""
    client = oidc.client_for(ctx.settings, provider_id)
    state, nonce, verifier = new_secret(), new_secret(), new_secret()
    with uow:
        repository.insert_sso_state(uow.conn, ctx.keys.hash(state), provider_id,
                                    ctx.keys.encrypt(verifier.encode(), provider_id.encode()), nonce,
                                    ctx.now + ctx.settings.tokens.challenge_ttl)
    return client.authorization_url(state=state, nonce=nonce, code_verifier=verifier)


def finish_sso(uow, ctx: Context, provider_id: str, state: str, code: str, error: str | None) -> str:
    """Check the provider's answer, create or update the user from the mapping (disable them when it no
    longer grants a role), and return a one-time code for the console to trade for tokens."""
    client = oidc.client_for(ctx.settings, provider_id)
    with uow:
        pending = repository.take_sso_state(uow.conn, ctx.keys.hash(state), ctx.now)
    if pending is None or pending["provider"] != provider_id:
        raise Refused(400, "sso_state_invalid", "This sign-in has expired or was not started here; start again.")
    if error or not code:
        raise Refused(401, "provider_refused", "Your organisation's sign-in service refused the sign-in.")
    verifier = ctx.keys.decrypt(pending["code_verifier"], provider_id.encode()).decode()
    claims = client.claims_for_code(code, code_verifier=verifier, nonce=pending["nonce"])
    grant = domain.grant_from_claims(claims, ctx.settings.providers[provider_id].mapping)
    refusal = None
    with uow:
        user = repository.user_by_idp(uow.conn, provider_id, claims["sub"])
        if grant is None:
            if user is not None and user["disabled_at"] is None:
                repository.update_user(uow.conn, user["user_id"], disabled_at=ctx.now,
                                       disabled_reason="no_role_granted")
                repository.end_sessions_of(uow.conn, user["user_id"], ctx.now, "no_role_granted")
                repository.record_event(uow.conn, at=ctx.now, actor=provider_id, user_id=user["user_id"],
                                        action="disabled_by_provider", client_address=ctx.client_address)
            refusal = Refused(403, "no_access", "Your organisation has not given you access to this platform.")
        elif user is not None and user["disabled_reason"] == "admin":
            refusal = Refused(403, "account_disabled", "Your account on this platform is disabled.")
        else:
            user = _user_from_provider(uow.conn, ctx, provider_id, claims, grant, user)
            secret = new_secret()
            steps = [domain.STEP_SSO_EXCHANGE] + domain.steps_after_password(
                role=user["role"], has_totp=False, mfa_roles=frozenset(), sso=True,
                accepted_conduct=user["conduct_version"], conduct_version=ctx.settings.conduct_version)
            repository.insert_challenge(uow.conn, ctx.keys.hash(secret), user["user_id"], steps,
                                        ctx.now + ctx.settings.tokens.challenge_ttl)
    if refusal:
        raise refusal
    return secret


def _user_from_provider(conn, ctx: Context, provider_id: str, claims: dict, grant: domain.Grant,
                        user: dict | None) -> dict:
    fields = {"role": grant.role, "countries": sorted(grant.countries), "org": grant.org,
              "display_name": str(claims.get("name") or claims.get("preferred_username") or "")[:120] or "-"}
    if user is None:
        user = {"user_id": uuid.uuid4(), "created_at": ctx.now, "created_by": provider_id, "idp": provider_id,
                "idp_subject": claims["sub"], "username": f"{provider_id}:{claims['sub']}", **fields}
        repository.insert_user(conn, user)
        repository.record_event(conn, at=ctx.now, actor=provider_id, user_id=user["user_id"],
                                action="created_by_provider", client_address=ctx.client_address)
        return repository.user_by_id(conn, user["user_id"])
    repository.update_user(conn, user["user_id"], disabled_at=None, disabled_reason=None, **fields)
    if (user["role"], sorted(user["countries"]), user["org"]) != (fields["role"], fields["countries"], fields["org"]):
        repository.record_event(conn, at=ctx.now, actor=provider_id, user_id=user["user_id"],
                                action=f"rights_changed:{fields['role']}:{','.join(fields['countries'])}",
                                client_address=ctx.client_address)
    return {**user, **fields, "disabled_at": None}


def exchange_sso_code(uow, ctx: Context, code: str) -> Tokens | Challenge:
    with uow:
        challenge, user = _challenge(uow.conn, ctx, code, domain.STEP_SSO_EXCHANGE)
        return _step_done(uow.conn, ctx, challenge, user)
