"""The console's use cases: keeping a person's session (sign-in steps, silent refresh of the access token,
idle sign-out, language) and calling the other services with its token."""
import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.console import domain, repository
from services.console.platform_api import Answer, PlatformApis


class SignedOut(Exception):
    """The session is gone (idle, ended elsewhere, refresh refused): sign in again. `notice` says why."""

    def __init__(self, notice: str):
        super().__init__(notice)
        self.notice = notice


@dataclass
class Session:
    cookie: str                       # the browser's secret; only its hash is stored
    row: dict
    new: bool = False                 # the cookie must be (re)set on the response
    changes: dict = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        return self.row.get("access_token") is not None

    def __getattr__(self, name):
        try:
            return self.__dict__["row"][name]
        except KeyError:
            raise AttributeError(name) from None


def hash_of(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode()).digest()


class Sessions:
    """Sessions in the console's schema; the tokens in them are encrypted with the console's key."""

    def __init__(self, settings, apis: PlatformApis):
        self.settings = settings
        self.apis = apis
        self._aead = AESGCM(base64.b64decode(settings.session.key.get_secret_value()))

    # --- secrets at rest

    def seal(self, value: str | None, session_hash: bytes) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), session_hash)

    def open(self, sealed: bytes | None, session_hash: bytes) -> str | None:
        if sealed is None:
            return None
        sealed = bytes(sealed)
        return self._aead.decrypt(sealed[:12], sealed[12:], session_hash).decode()

    # --- finding and starting sessions

    def find(self, db, cookie: str | None, now: datetime) -> Session | None:
        """The session of this cookie, if it still lives; an idle one is ended here (SignedOut)."""
        if not cookie:
            return None
        with db() as uow:
            row = repository.session_by_hash(uow.conn, hash_of(cookie))
        if row is None:
            return None
        session = Session(cookie, row)
        if session.signed_in and domain.is_idle(row["last_seen_at"], now, self.settings.session.idle_timeout):
            self.end(db, session)
            raise SignedOut("idle")
        if not session.signed_in and now - row["created_at"] > self.settings.session.sign_in_timeout:
            with db() as uow:
                repository.delete_session(uow.conn, hash_of(cookie))
            return None
        return session

    def start(self, db, language: str, now: datetime) -> Session:
        cookie = secrets.token_urlsafe(32)
        row = {"session_hash": hash_of(cookie), "csrf_token": secrets.token_urlsafe(32), "language": language,
               "created_at": now, "last_seen_at": now}
        with db() as uow:
            repository.insert_session(uow.conn, row)
        return Session(cookie, {**row, **{name: None for name in repository.SESSION_COLUMNS if name not in row}},
                       new=True)

    def touch(self, db, session: Session, now: datetime) -> None:
        with db() as uow:
            repository.update_session(uow.conn, session.session_hash, last_seen_at=now)

    def update(self, db, session: Session, **changes) -> None:
        with db() as uow:
            repository.update_session(uow.conn, session.session_hash, **changes)
        session.row.update(changes)

    def take_notice(self, db, session: Session) -> str | None:
        notice = session.notice
        if notice:
            self.update(db, session, notice=None)
        return notice

    def csrf_valid(self, session: Session | None, given: str | None) -> bool:
        return session is not None and bool(given) and hmac.compare_digest(session.csrf_token, given)

    # --- sign-in

    def sign_in_answer(self, db, session: Session, answer: Answer, now: datetime) -> Session:
        """Apply identity's answer to a sign-in step: the next step, or a new signed-in session (a new
        cookie, so that a cookie planted before sign-in is worth nothing after it)."""
        body = answer.body
        if body.get("status") == "next_step":
            self.update(db, session, challenge=self.seal(body["challenge"], session.session_hash),
                        next_step=body["next_step"], enrolment=None,
                        recovery_codes=self.seal("\n".join(body["recovery_codes"]), session.session_hash)
                        if body.get("recovery_codes") else session.recovery_codes)
            return session
        claims = self._claims(body["access_token"])
        cookie = secrets.token_urlsafe(32)
        new_hash = hash_of(cookie)
        with db() as uow:
            language = repository.language_of(uow.conn, claims.subject) or session.language
            recovery = self.open(session.recovery_codes, session.session_hash) if session.recovery_codes else None
            if body.get("recovery_codes"):
                recovery = "\n".join(body["recovery_codes"])
            repository.delete_session(uow.conn, session.session_hash)
            row = {"session_hash": new_hash, "csrf_token": secrets.token_urlsafe(32), "language": language,
                   "created_at": now, "last_seen_at": now,
                   "access_token": self.seal(body["access_token"], new_hash),
                   "refresh_token": self.seal(body["refresh_token"], new_hash),
                   "access_expires_at": now + timedelta(seconds=body["expires_in"]),
                   "subject": claims.subject, "role": claims.role, "countries": sorted(claims.countries),
                   "recovery_codes": self.seal(recovery, new_hash) if recovery else None}
            repository.insert_session(uow.conn, row)
        return Session(cookie, {**{name: None for name in repository.SESSION_COLUMNS}, **row}, new=True)

    def challenge(self, session: Session) -> str | None:
        return self.open(session.challenge, session.session_hash)

    def _claims(self, access_token: str):
        # The console trusts a token only as far as every service does: checked against identity's keys.
        from chassis.auth import principal_from_token, trust_for
        keys, _ = trust_for(self.settings.auth)
        return principal_from_token(access_token, keys, issuer=self.settings.auth.issuer,
                                    audience=self.settings.auth.audience,
                                    max_lifetime=self.settings.auth.max_token_lifetime)

    # --- tokens

    def access_token(self, db, session: Session, now: datetime) -> str:
        """A valid access token: refreshed silently with the refresh token a little before it expires."""
        if not session.signed_in:
            raise SignedOut("signed_out")
        if not domain.needs_refresh(session.access_expires_at, now):
            return self.open(session.access_token, session.session_hash)
        refresh_token = self.open(session.refresh_token, session.session_hash)
        answer = self.apis.call("identity", "POST", "/v1/token", json={"refresh_token": refresh_token})
        if not answer.ok or answer.body.get("status") != "signed_in":
            with db() as uow:
                repository.delete_session(uow.conn, session.session_hash)
            raise SignedOut("session_ended")
        body = answer.body
        self.update(db, session, access_token=self.seal(body["access_token"], session.session_hash),
                    refresh_token=self.seal(body["refresh_token"], session.session_hash),
                    access_expires_at=now + timedelta(seconds=body["expires_in"]))
        return body["access_token"]

    def end(self, db, session: Session) -> None:
        """Sign out here and at identity (which ends the refresh token and, within seconds, the access token
        at every service)."""
        if session.signed_in:
            token = self.open(session.access_token, session.session_hash)
            try:
                answer = self.apis.call("identity", "POST", "/v1/sign-out", token=token)
                if answer.status == 401:
                    # An expired access token: the refresh token still names the session; spend it to end it.
                    refreshed = self.apis.call("identity", "POST", "/v1/token", json={
                        "refresh_token": self.open(session.refresh_token, session.session_hash)})
                    if refreshed.ok and refreshed.body.get("access_token"):
                        self.apis.call("identity", "POST", "/v1/sign-out", token=refreshed.body["access_token"])
            except Exception:  # the session ends here whatever identity answers
                pass
        with db() as uow:
            repository.delete_session(uow.conn, session.session_hash)

    def set_language(self, db, session: Session, language: str, now: datetime) -> None:
        self.update(db, session, language=language)
        if session.subject:
            with db() as uow:
                repository.save_language(uow.conn, session.subject, language, now)

    def cleanup(self, db, now: datetime) -> int:
        with db() as uow:
            return repository.delete_stale_sessions(uow.conn, now - self.settings.session.idle_timeout,
                                                    now - self.settings.session.sign_in_timeout)
