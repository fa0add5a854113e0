"""All of the console's SQL: sessions and people's preferences."""
from datetime import datetime

SESSION_COLUMNS = ("session_hash", "csrf_token", "language", "created_at", "last_seen_at", "challenge", "next_step",
                   "enrolment", "recovery_codes", "access_token", "refresh_token", "access_expires_at", "subject",
                   "role", "countries", "notice")


def session_by_hash(conn, session_hash: bytes) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions WHERE session_hash = %s",
                       [session_hash]).fetchone()
    return dict(zip(SESSION_COLUMNS, row)) if row else None


def insert_session(conn, session: dict) -> None:
    names = [name for name in SESSION_COLUMNS if name in session]
    conn.execute(f"INSERT INTO sessions ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                 [session[name] for name in names])


def update_session(conn, session_hash: bytes, **changes) -> None:
    unknown = set(changes) - set(SESSION_COLUMNS)
    if unknown:
        raise ValueError(f"not session columns: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = %s" for name in changes)
    conn.execute(f"UPDATE sessions SET {assignments} WHERE session_hash = %s", [*changes.values(), session_hash])


def delete_session(conn, session_hash: bytes) -> None:
    conn.execute("DELETE FROM sessions WHERE session_hash = %s", [session_hash])


def delete_stale_sessions(conn, signed_in_before: datetime, signing_in_before: datetime) -> int:
    return conn.execute(
        """DELETE FROM sessions
           WHERE (access_token IS NOT NULL AND last_seen_at < %s) OR (access_token IS NULL AND created_at < %s)""",
        [signed_in_before, signing_in_before]).rowcount


def language_of(conn, subject: str) -> str | None:
    row = conn.execute("SELECT language FROM preferences WHERE subject = %s", [subject]).fetchone()
    return row[0] if row else None


def save_language(conn, subject: str, language: str, now: datetime) -> None:
    conn.execute("""INSERT INTO preferences (subject, language, updated_at) VALUES (%s, %s, %s)
                    ON CONFLICT (subject) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at""",
                 [subject, language, now])
