"""All of identity's SQL."""
import json
from datetime import datetime
from uuid import UUID

from psycopg.rows import dict_row

from services.identity.domain import FailureCount

USER_COLUMNS = ("user_id", "username", "display_name", "role", "countries", "org", "password_hash", "totp_secret", "totp_last_step",
                "idp", "idp_subject", "disabled_at", "disabled_reason", "created_at", "created_by", "conduct_version",
                "conduct_accepted_at")
_SELECT_USER = f"SELECT {', '.join(USER_COLUMNS)} FROM users"


def _one(conn, query, params) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchone()


def _all(conn, query, params) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


# Users

def insert_user(conn, user: dict) -> bool:
    """False when the user name is taken."""
    columns = [column for column in USER_COLUMNS if column in user]
    return conn.execute(
        f"INSERT INTO users ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        "ON CONFLICT DO NOTHING", [user[column] for column in columns]).rowcount == 1


def user_by_name(conn, username: str) -> dict | None:
    return _one(conn, f"{_SELECT_USER} WHERE lower(username) = lower(%s)", [username])


def user_by_id(conn, user_id: UUID, *, lock: bool = False) -> dict | None:
    return _one(conn, f"{_SELECT_USER} WHERE user_id = %s{' FOR UPDATE' if lock else ''}", [user_id])


def user_by_idp(conn, idp: str, subject: str) -> dict | None:
    return _one(conn, f"{_SELECT_USER} WHERE idp = %s AND idp_subject = %s FOR UPDATE", [idp, subject])


def list_users(conn, countries: list[str], limit: int) -> list[dict]:
    """Users all of whose countries are among `countries`, by name."""
    return _all(conn, f"{_SELECT_USER} WHERE countries <@ %s ORDER BY lower(username) LIMIT %s", [countries, limit])


def case_workers(conn, countries: list[str], limit: int) -> list[dict]:
    """Enabled agents, supervisors and focal points with a country among `countries`, by name."""
    return _all(conn, """SELECT user_id, display_name, role FROM users
                         WHERE countries && %s AND disabled_at IS NULL
                           AND role IN ('agent', 'supervisor', 'focal_point')
                         ORDER BY lower(display_name), user_id LIMIT %s""", [countries, limit])


def update_user(conn, user_id: UUID, **fields) -> None:
    assignments = ", ".join(f"{name} = %s" for name in fields)
    conn.execute(f"UPDATE users SET {assignments} WHERE user_id = %s", [*fields.values(), user_id])


# One-time links (invitation, reset)

def insert_link(conn, link_hash: bytes, user_id: UUID, purpose: str, now: datetime, expires_at: datetime) -> None:
    # A new link replaces any unused one of the same user.
    conn.execute("UPDATE account_links SET used_at = %s WHERE user_id = %s AND used_at IS NULL", [now, user_id])
    conn.execute("""INSERT INTO account_links (link_hash, user_id, purpose, created_at, expires_at)
                    VALUES (%s, %s, %s, %s, %s)""", [link_hash, user_id, purpose, now, expires_at])


def use_link(conn, link_hash: bytes, now: datetime) -> dict | None:
    """The link's user and purpose, marked used; None when unknown, used or expired."""
    return _one(conn, """UPDATE account_links SET used_at = %s
                         WHERE link_hash = %s AND used_at IS NULL AND expires_at > %s
                         RETURNING user_id, purpose""", [now, link_hash, now])


# Failed sign-ins

def failure_count(conn, key: str, *, lock: bool = False) -> FailureCount | None:
    row = conn.execute(f"SELECT failures, first_at, locked_until FROM sign_in_failures WHERE key = %s"
                       f"{' FOR UPDATE' if lock else ''}", [key]).fetchone()
    return FailureCount(*row) if row else None


def save_failure_count(conn, key: str, count: FailureCount) -> None:
    conn.execute("""INSERT INTO sign_in_failures (key, failures, first_at, locked_until) VALUES (%s, %s, %s, %s)
                    ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures, first_at = EXCLUDED.first_at,
                                                    locked_until = EXCLUDED.locked_until""",
                 [key, count.failures, count.first_at, count.locked_until])


def clear_failures(conn, key: str) -> None:
    conn.execute("DELETE FROM sign_in_failures WHERE key = %s", [key])


# Sign-in challenges

def insert_challenge(conn, challenge_hash: bytes, user_id: UUID, steps: list[str], expires_at: datetime) -> None:
    conn.execute("""INSERT INTO sign_in_challenges (challenge_hash, user_id, steps, expires_at)
                    VALUES (%s, %s, %s, %s)""", [challenge_hash, user_id, steps, expires_at])


def lock_challenge(conn, challenge_hash: bytes, now: datetime) -> dict | None:
    return _one(conn, """SELECT challenge_hash, user_id, steps, pending_totp_secret, attempts FROM sign_in_challenges
                         WHERE challenge_hash = %s AND expires_at > %s FOR UPDATE""", [challenge_hash, now])


def update_challenge(conn, current_hash: bytes, **fields) -> None:
    assignments = ", ".join(f"{name} = %s" for name in fields)
    conn.execute(f"UPDATE sign_in_challenges SET {assignments} WHERE challenge_hash = %s",
                 [*fields.values(), current_hash])


def delete_challenge(conn, challenge_hash: bytes) -> None:
    conn.execute("DELETE FROM sign_in_challenges WHERE challenge_hash = %s", [challenge_hash])


# Recovery codes

def replace_recovery_codes(conn, user_id: UUID, code_hashes: list[bytes]) -> None:
    conn.execute("DELETE FROM recovery_codes WHERE user_id = %s", [user_id])
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO recovery_codes (user_id, code_hash) VALUES (%s, %s)",
                        [(user_id, code_hash) for code_hash in code_hashes])


def use_recovery_code(conn, user_id: UUID, code_hash: bytes, now: datetime) -> bool:
    return conn.execute("""UPDATE recovery_codes SET used_at = %s
                           WHERE user_id = %s AND code_hash = %s AND used_at IS NULL""",
                        [now, user_id, code_hash]).rowcount == 1


# Sessions and refresh tokens

def insert_session(conn, session_id: UUID, user_id: UUID, now: datetime) -> None:
    conn.execute("INSERT INTO sessions (session_id, user_id, created_at, last_used_at) VALUES (%s, %s, %s, %s)",
                 [session_id, user_id, now, now])


def end_session(conn, session_id: UUID, now: datetime, reason: str) -> None:
    conn.execute("UPDATE sessions SET ended_at = %s, end_reason = %s WHERE session_id = %s AND ended_at IS NULL",
                 [now, reason, session_id])


def end_sessions_of(conn, user_id: UUID, now: datetime, reason: str) -> int:
    return conn.execute("""UPDATE sessions SET ended_at = %s, end_reason = %s
                           WHERE user_id = %s AND ended_at IS NULL""", [now, reason, user_id]).rowcount


def sessions_ended_since(conn, since: datetime) -> list[str]:
    """Ended sessions, and revoked machine clients (whose tokens carry `client:<id>` as session)."""
    return [str(row[0]) for row in conn.execute(
        """SELECT session_id::text FROM sessions WHERE ended_at > %s
           UNION ALL SELECT 'client:' || client_id FROM clients WHERE revoked_at > %s""", [since, since]).fetchall()]


# Machine clients

CLIENT_COLUMNS = ("client_id", "name", "role", "countries", "org", "created_at", "created_by", "revoked_at")


def insert_client(conn, client: dict, secret_hash: bytes) -> None:
    conn.execute(f"""INSERT INTO clients ({', '.join(CLIENT_COLUMNS)}, secret_hash)
                     VALUES ({', '.join(['%s'] * (len(CLIENT_COLUMNS) + 1))})""",
                 [*(client[column] for column in CLIENT_COLUMNS), secret_hash])


def client_by_id(conn, client_id: str) -> dict | None:
    return _one(conn, f"SELECT {', '.join(CLIENT_COLUMNS)}, secret_hash FROM clients WHERE client_id = %s",
                [client_id])


def list_clients(conn, countries: list[str]) -> list[dict]:
    return _all(conn, f"SELECT {', '.join(CLIENT_COLUMNS)} FROM clients WHERE countries <@ %s ORDER BY created_at",
                [countries])


def revoke_client(conn, client_id: str, now: datetime) -> None:
    conn.execute("UPDATE clients SET revoked_at = %s WHERE client_id = %s AND revoked_at IS NULL", [now, client_id])


def insert_refresh_token(conn, token_hash: bytes, session_id: UUID, now: datetime, expires_at: datetime) -> None:
    conn.execute("""INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)
                    VALUES (%s, %s, %s, %s)""", [token_hash, session_id, now, expires_at])


def lock_refresh_token(conn, token_hash: bytes) -> dict | None:
    """The token with its session and user, locked until the rotation commits."""
    return _one(conn, """SELECT t.token_hash, t.session_id, t.expires_at, t.used_at, s.user_id, s.ended_at
                         FROM refresh_tokens t JOIN sessions s USING (session_id)
                         WHERE t.token_hash = %s FOR UPDATE OF t, s""", [token_hash])


def mark_refresh_token_used(conn, token_hash: bytes, now: datetime) -> None:
    conn.execute("UPDATE refresh_tokens SET used_at = %s WHERE token_hash = %s", [now, token_hash])
    conn.execute("""UPDATE sessions SET last_used_at = %s
                    WHERE session_id = (SELECT session_id FROM refresh_tokens WHERE token_hash = %s)""",
                 [now, token_hash])


def session_of_refresh_token(conn, token_hash: bytes) -> dict | None:
    return _one(conn, """SELECT s.session_id, s.user_id FROM refresh_tokens t JOIN sessions s USING (session_id)
                         WHERE t.token_hash = %s""", [token_hash])


# Signing keys

def signing_keys(conn) -> list[dict]:
    """Every key, newest first."""
    return _all(conn, "SELECT kid, private_key, public_jwk, created_at, retired_at FROM signing_keys "
                      "ORDER BY created_at DESC, kid DESC", [])


def insert_signing_key(conn, kid: str, private_key: bytes, public_jwk: dict, now: datetime) -> None:
    conn.execute("UPDATE signing_keys SET retired_at = %s WHERE retired_at IS NULL", [now])
    conn.execute("""INSERT INTO signing_keys (kid, private_key, public_jwk, created_at)
                    VALUES (%s, %s, %s, %s)""", [kid, private_key, json.dumps(public_jwk), now])


def lock_signing_keys(conn) -> None:
    """One key maker at a time: two instances starting at once must not both create the first key."""
    conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")


# Sign-in with an identity provider

def insert_sso_state(conn, state_hash: bytes, provider: str, code_verifier: bytes, nonce: str,
                     expires_at: datetime) -> None:
    conn.execute("""INSERT INTO sso_states (state_hash, provider, code_verifier, nonce, expires_at)
                    VALUES (%s, %s, %s, %s, %s)""", [state_hash, provider, code_verifier, nonce, expires_at])


def take_sso_state(conn, state_hash: bytes, now: datetime) -> dict | None:
    return _one(conn, """DELETE FROM sso_states WHERE state_hash = %s AND expires_at > %s
                         RETURNING provider, code_verifier, nonce""", [state_hash, now])


# Account events

def record_event(conn, *, at: datetime, actor: str, user_id: UUID | None, action: str,
                 client_address: str | None) -> None:
    # The chain trigger fills prev_hash and row_hash.
    conn.execute("""INSERT INTO account_events (at, actor, user_id, action, client_address, prev_hash, row_hash)
                    VALUES (%s, %s, %s, %s, %s, '', '')""", [at, actor, user_id, action, client_address])


def account_events(conn, countries: list[str], user_id: UUID | None, since: datetime | None,
                   until: datetime | None, limit: int) -> list[dict]:
    """Newest first: events about users all of whose countries are among `countries`."""
    conditions, params = ["u.countries <@ %s"], [countries]
    for condition, value in (("e.user_id = %s", user_id), ("e.at >= %s", since), ("e.at < %s", until)):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    return _all(conn, f"""SELECT e.at, e.actor, e.user_id, e.action, e.client_address
                          FROM account_events e JOIN users u USING (user_id)
                          WHERE {' AND '.join(conditions)} ORDER BY e.at DESC, e.id DESC LIMIT %s""",
                [*params, limit])
