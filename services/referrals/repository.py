"""All of referrals' SQL."""
from contracts.events import ReferralCreated

# What a listing shows: what acting on a referral needs, never anything about the story.
VIEW_COLUMNS = ("referral_id", "reference", "country", "partner_id", "category_code", "emergency", "share_contact",
                "status", "created_at", "respond_by", "overdue_at", "answered_at", "decline_reason")
_SELECT_VIEW = f"SELECT {', '.join(VIEW_COLUMNS)} FROM referrals"


def insert_referral(conn, referral: ReferralCreated, country: str, status: str, feedback_id=None,
                    contact_ref=None) -> bool:
    """Insert a referral; False when the case has a live (not rerouted) referral already."""
    return conn.execute(
        """INSERT INTO referrals (referral_id, case_id, reference, country, partner_id, category_code,
                                  emergency, share_contact, status, created_at, respond_by, feedback_id, contact_ref)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (case_id) WHERE status NOT IN ('rerouted', 'withdrawn') DO NOTHING""",
        [referral.referral_id, referral.case_id, referral.reference, country, referral.partner_id,
         referral.category_code, referral.emergency, referral.share_contact, status, referral.created_at,
         referral.respond_by, feedback_id, contact_ref]).rowcount == 1


def list_referrals(conn, *, partner_id: str | None, countries: list[str], status: str | None,
                   limit: int, reference: str | None = None) -> list[dict]:
    """Newest first, of the given countries (a token's scope), for one partner or for all."""
    conditions, params = ["country = ANY(%s)"], [countries]
    if reference is not None:
        conditions.append("reference = %s")
        params.append(reference)
    if partner_id is not None:
        conditions.append("partner_id = %s")
        params.append(partner_id)
    if status == "overdue":
        conditions.append("status = 'sent' AND overdue_at IS NOT NULL")
    elif status is not None:
        conditions.append("status = %s")
        params.append(status)
    rows = conn.execute(f"{_SELECT_VIEW} WHERE {' AND '.join(conditions)} ORDER BY created_at DESC, referral_id "
                        "LIMIT %s", [*params, limit]).fetchall()
    return [dict(zip(VIEW_COLUMNS, row)) for row in rows]


def lock_partner_referral(conn, referral_id, partner_id: str, countries: list[str]) -> dict | None:
    """The partner's own referral in the token's countries, locked until the answer commits; None for
    anyone else's or another country's."""
    row = conn.execute(
        """SELECT referral_id, case_id, reference, country, status FROM referrals
           WHERE referral_id = %s AND partner_id = %s AND country = ANY(%s) FOR UPDATE""",
        [referral_id, partner_id, countries]).fetchone()
    return dict(zip(("referral_id", "case_id", "reference", "country", "status"), row)) if row else None


def record_answer(conn, referral_id, *, status: str, answered_at, answered_by: str,
                  decline_reason: str | None) -> dict:
    row = conn.execute(
        f"""UPDATE referrals SET status = %s, answered_at = %s, answered_by = %s, decline_reason = %s
            WHERE referral_id = %s RETURNING {', '.join(VIEW_COLUMNS)}""",
        [status, answered_at, answered_by, decline_reason, referral_id]).fetchone()
    return dict(zip(VIEW_COLUMNS, row))


def mark_overdue(conn, now, batch: int) -> list[dict]:
    """Mark referrals past their respond_by and still unanswered, once each; returns those marked now.
    SKIP LOCKED: a referral being answered right now is left to the next scan, as is one another
    replica is marking."""
    rows = conn.execute(
        """UPDATE referrals SET overdue_at = %(now)s
           WHERE referral_id IN (SELECT referral_id FROM referrals
                                 WHERE status = 'sent' AND overdue_at IS NULL AND respond_by <= %(now)s
                                 ORDER BY respond_by LIMIT %(batch)s FOR UPDATE SKIP LOCKED)
           RETURNING referral_id, case_id, reference, country, partner_id, emergency, respond_by""",
        {"now": now, "batch": batch}).fetchall()
    keys = ("referral_id", "case_id", "reference", "country", "partner_id", "emergency", "respond_by")
    return [dict(zip(keys, row)) for row in rows]


def lock_referral(conn, referral_id) -> dict | None:
    """Any referral, locked until a re-routing commits."""
    keys = ("referral_id", "case_id", "reference", "country", "category_code", "emergency", "share_contact", "status",
            "feedback_id", "contact_ref")
    row = conn.execute(f"SELECT {', '.join(keys)} FROM referrals WHERE referral_id = %s FOR UPDATE",
                       [referral_id]).fetchone()
    return dict(zip(keys, row)) if row else None


def mark_rerouted(conn, referral_id, *, rerouted_at, rerouted_by: str, rerouted_to) -> None:
    conn.execute("""UPDATE referrals SET status = 'rerouted', rerouted_at = %s, rerouted_by = %s, rerouted_to = %s
                    WHERE referral_id = %s""", [rerouted_at, rerouted_by, rerouted_to, referral_id])


def referral_view(conn, referral_id) -> dict:
    row = conn.execute(f"{_SELECT_VIEW} WHERE referral_id = %s", [referral_id]).fetchone()
    return dict(zip(VIEW_COLUMNS, row))


def find_partner_referral(conn, referral_id, partner_id: str | None, countries: list[str]) -> dict | None:
    """One referral as listed, with the contact's grounds: the partner's own (partner_id given) or any of the
    countries'; None for anyone else's."""
    keys = (*VIEW_COLUMNS, "feedback_id", "contact_ref")
    row = conn.execute(
        f"""SELECT {', '.join(keys)} FROM referrals
            WHERE referral_id = %s AND country = ANY(%s) AND (%s::text IS NULL OR partner_id = %s)""",
        [referral_id, countries, partner_id, partner_id]).fetchone()
    return dict(zip(keys, row)) if row else None


def withdraw_live_referral(conn, case_id, at) -> int:
    """The case's referral still waiting for a partner's answer (or for routing) is withdrawn; an accepted or
    declined one stays as it was (its partner answered already)."""
    return conn.execute(
        """UPDATE referrals SET status = 'withdrawn', withdrawn_at = %s
           WHERE case_id = %s AND status IN ('sent', 'needs_routing')""", [at, case_id]).rowcount


def record_release(conn, case_id, case_version: int, at) -> None:
    conn.execute("""INSERT INTO case_releases (case_id, case_version, released_at) VALUES (%s, %s, %s)
                    ON CONFLICT (case_id) DO UPDATE SET case_version = greatest(case_releases.case_version,
                                                                                excluded.case_version)""",
                 [case_id, case_version, at])


def released_since(conn, case_id, case_version: int) -> bool:
    """Whether a focal point released the case after the change (at this version) that made it sensitive."""
    return conn.execute("SELECT 1 FROM case_releases WHERE case_id = %s AND case_version > %s",
                        [case_id, case_version]).fetchone() is not None
