"""All of cases' SQL."""
from datetime import datetime
from uuid import UUID

from psycopg.types.json import Jsonb

from services.cases.business_time import Deadline, Span

CASE_COLUMNS = ("case_id", "reference", "feedback_id", "country", "channel", "language", "narrative",
                "received_at", "opened_at", "status", "category_code", "sensitive", "restricted",
                "sensitivity_reasons", "priority", "deadline_kind", "deadline_at", "contact_ref",
                "consent_callback", "consent_share", "contact_verified")
READ_COLUMNS = CASE_COLUMNS + (
    "version", "sub_category", "taxonomy_version", "classification_confirmed", "classified_by", "classified_at",
    "suggestion_confidence", "assignee", "team", "resolution", "response", "response_channel",
    "no_contact_reason", "duplicate_of", "updated_at", "queue_due_at", "deadline_state", "classifier_version")
# Columns an action may change (besides version, which every change bumps).
CHANGEABLE = {"status", "category_code", "sub_category", "taxonomy_version", "classification_confirmed",
              "classified_by", "classified_at", "sensitive", "restricted", "priority", "assignee", "team",
              "resolution", "response", "response_channel", "no_contact_reason", "duplicate_of",
              "sensitivity_reasons", "updated_at"}


def insert_case(conn, case: dict) -> bool:
    """Insert a case; False when this feedback already has one."""
    columns = CASE_COLUMNS + ("sub_category", "taxonomy_version", "suggestion_confidence",
                              "classifier_version")
    placeholders = ", ".join(["%s"] * len(columns))
    return conn.execute(
        f"INSERT INTO cases ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT (feedback_id) DO NOTHING",
        [case[column] for column in columns]).rowcount == 1


def find_case(conn, reference: str, *, lock: bool = False) -> dict | None:
    """The case with this reference; `lock` holds its row until the transaction ends (for a change)."""
    row = conn.execute(f"SELECT {', '.join(READ_COLUMNS)} FROM cases WHERE reference = %s"
                       + (" FOR UPDATE" if lock else ""), [reference]).fetchone()
    return dict(zip(READ_COLUMNS, row)) if row else None


def update_case(conn, case_id: UUID, changes: dict, bump: bool = True) -> int:
    """Apply `changes`, bumping the version unless told not to; returns the version."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    assignments = [f"{column} = %s" for column in changes] + (["version = version + 1"] if bump else [])
    sets = ", ".join(assignments) or "version = version"
    return conn.execute(f"UPDATE cases SET {sets} WHERE case_id = %s RETURNING version",
                        [*changes.values(), case_id]).fetchone()[0]


def add_history(conn, case_id: UUID, version: int, at: datetime, actor: str, action: str, detail: dict) -> None:
    conn.execute("INSERT INTO case_history (case_id, version, at, actor, action, detail) VALUES (%s, %s, %s, %s, %s, %s)",
                 [case_id, version, at, actor, action, Jsonb(detail)])


def history(conn, case_id: UUID) -> list[dict]:
    rows = conn.execute("SELECT version, at, actor, action, detail FROM case_history WHERE case_id = %s ORDER BY id",
                        [case_id]).fetchall()
    return [dict(zip(("version", "at", "by", "action", "detail"), row)) for row in rows]


def add_note(conn, note_id: UUID, case_id: UUID, at: datetime, author: str, text: str) -> None:
    conn.execute("INSERT INTO case_notes (note_id, case_id, at, author, text) VALUES (%s, %s, %s, %s, %s)",
                 [note_id, case_id, at, author, text])


def attach_feedback(conn, feedback_id: UUID, case_id: UUID, channel: str, received_at: datetime) -> bool:
    """Attach a repeated message to a case (not its text); False when it was attached before."""
    return conn.execute(
        """INSERT INTO case_feedback (feedback_id, case_id, channel, received_at)
           VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        [feedback_id, case_id, channel, received_at]).rowcount == 1


def record_taxonomy(conn, country: str, version: int, body: dict) -> None:
    conn.execute("INSERT INTO taxonomies (country, version, body) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                 [country, version, Jsonb(body)])


# --- labelled examples for the classifier -------------------------------------------------------------


def record_example(conn, example: dict) -> None:
    """Keep a person's classification of a case as a labelled example; a later correction replaces
    the labels, never the part (train or held-out) drawn the first time."""
    columns = ("case_id", "country", "category_code", "sub_category", "sensitive", "emergency", "part",
               "suggested_category", "classifier_version", "confirmed_by", "confirmed_at")
    updated = ("category_code", "sub_category", "sensitive", "emergency", "confirmed_by", "confirmed_at")
    conn.execute(
        f"""INSERT INTO classifier_examples ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})
            ON CONFLICT (case_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in updated)}""",
        [example[column] for column in columns])


def labelled_examples(conn, country: str) -> list[dict]:
    """A country's labelled examples with their case's narrative and language, oldest first."""
    keys = ("case_id", "narrative", "language", "category_code", "sub_category", "sensitive", "emergency", "part")
    rows = conn.execute(
        """SELECT c.case_id, c.narrative, c.language, e.category_code, e.sub_category, e.sensitive, e.emergency, e.part
           FROM classifier_examples e JOIN cases c USING (case_id)
           WHERE e.country = %s AND c.anonymised_at IS NULL  -- an anonymised case has no text to learn from
           ORDER BY e.confirmed_at, e.case_id""", [country]).fetchall()
    return [dict(zip(keys, row)) for row in rows]


# --- deadlines ------------------------------------------------------------------------------------------

DEADLINE_COLUMNS = ("kind", "on_the_clock", "duration", "started_at", "due_at", "warn_at", "paused_at",
                    "remaining", "warn_remaining", "warned_at", "breached_at", "settled_at", "within_deadline")


def save_deadline(conn, case_id: UUID, deadline: Deadline) -> None:
    """Insert or replace the clock of one deadline (a restart clears what had fired and settled)."""
    conn.execute(
        """INSERT INTO deadlines (case_id, kind, on_the_clock, duration, started_at, due_at, warn_at, paused_at,
                                  remaining, warn_remaining)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (case_id, kind) DO UPDATE SET
               on_the_clock = EXCLUDED.on_the_clock, duration = EXCLUDED.duration,
               started_at = EXCLUDED.started_at, due_at = EXCLUDED.due_at, warn_at = EXCLUDED.warn_at,
               paused_at = EXCLUDED.paused_at, remaining = EXCLUDED.remaining,
               warn_remaining = EXCLUDED.warn_remaining""",
        [case_id, deadline.kind, deadline.span.on_the_clock, deadline.span.duration, deadline.started_at,
         deadline.due_at, deadline.warn_at, deadline.paused_at, deadline.remaining, deadline.warn_remaining])


def reset_deadline(conn, case_id: UUID, kind: str) -> None:
    """A restarted deadline (the case was reopened) warns, breaches and settles afresh."""
    conn.execute("""UPDATE deadlines SET warned_at = NULL, breached_at = NULL, settled_at = NULL,
                    within_deadline = NULL WHERE case_id = %s AND kind = %s""", [case_id, kind])


def _deadline(row: dict) -> Deadline:
    return Deadline(kind=row["kind"], span=Span(row["duration"], row["on_the_clock"]),
                    started_at=row["started_at"], due_at=row["due_at"], warn_at=row["warn_at"],
                    paused_at=row["paused_at"], remaining=row["remaining"], warn_remaining=row["warn_remaining"])


def deadlines(conn, case_id: UUID, *, open_only: bool = False) -> list[dict]:
    """The case's deadlines as rows, each with its `deadline` (the domain object)."""
    rows = conn.execute(
        f"SELECT {', '.join(DEADLINE_COLUMNS)} FROM deadlines WHERE case_id = %s"
        + (" AND settled_at IS NULL" if open_only else "") + " ORDER BY started_at, kind", [case_id]).fetchall()
    result = []
    for row in rows:
        record = dict(zip(DEADLINE_COLUMNS, row))
        record["deadline"] = _deadline(record)
        result.append(record)
    return result


def cancel_deadline(conn, case_id: UUID, kind: str, at: datetime) -> None:
    """Stop a deadline that no longer applies: settled without a verdict (within_deadline NULL)."""
    conn.execute("""UPDATE deadlines SET settled_at = %s, within_deadline = NULL, due_at = NULL, warn_at = NULL
                    WHERE case_id = %s AND kind = %s""", [at, case_id, kind])


def settle_deadline(conn, case_id: UUID, kind: str, at: datetime, within: bool) -> None:
    conn.execute("UPDATE deadlines SET settled_at = %s, within_deadline = %s WHERE case_id = %s AND kind = %s",
                 [at, within, case_id, kind])


def refresh_queue_position(conn, case_id: UUID) -> None:
    """Keep the case's place in the queue (its most urgent open deadline) and its deadline state."""
    conn.execute(
        """UPDATE cases SET
               queue_due_at = COALESCE((SELECT min(due_at) FROM deadlines
                                        WHERE case_id = %(id)s AND settled_at IS NULL AND due_at IS NOT NULL),
                                       '9999-12-31T00:00:00Z'),
               deadline_state = CASE
                   WHEN EXISTS (SELECT 1 FROM deadlines WHERE case_id = %(id)s AND settled_at IS NULL
                                AND breached_at IS NOT NULL) THEN 'breached'
                   WHEN EXISTS (SELECT 1 FROM deadlines WHERE case_id = %(id)s AND settled_at IS NULL
                                AND warned_at IS NOT NULL) THEN 'warning'
                   ELSE 'ok' END
           WHERE case_id = %(id)s""", {"id": case_id})


def claim_due_deadlines(conn, now: datetime, limit: int) -> list[dict]:
    """Deadlines whose warning or breach is due and not yet fired, locked so that a second
    scanner (another instance) skips them instead of firing them twice."""
    rows = conn.execute(
        """SELECT d.case_id, d.kind, d.due_at, d.warn_at, d.warned_at, d.breached_at,
                  c.reference, c.country, c.version, c.status, c.restricted, c.priority
           FROM deadlines d JOIN cases c USING (case_id)
           WHERE d.settled_at IS NULL
             AND ((d.warned_at IS NULL AND d.warn_at <= %(now)s) OR (d.breached_at IS NULL AND d.due_at <= %(now)s))
           ORDER BY d.due_at
           LIMIT %(limit)s
           FOR UPDATE SKIP LOCKED""", {"now": now, "limit": limit}).fetchall()
    keys = ("case_id", "kind", "due_at", "warn_at", "warned_at", "breached_at", "reference", "country", "version",
            "status", "restricted", "priority")
    return [dict(zip(keys, row)) for row in rows]


def mark_fired(conn, case_id: UUID, kind: str, column: str, at: datetime) -> None:
    if column not in ("warned_at", "breached_at"):
        raise ValueError(column)
    conn.execute(f"UPDATE deadlines SET {column} = %s WHERE case_id = %s AND kind = %s", [at, case_id, kind])


# --- the queue ---------------------------------------------------------------------------------------------

LIST_COLUMNS = ("case_id", "reference", "country", "channel", "status", "category_code", "sub_category",
                "priority", "restricted", "assignee", "team", "received_at", "queue_due_at", "deadline_state",
                "version")


def list_cases(conn, *, countries: list[str], include_restricted: bool, filters: dict,
               after: tuple[datetime, UUID] | None, limit: int) -> list[dict]:
    """Cases most urgent first, keyset-paginated on (queue_due_at, case_id)."""
    where = ["country = ANY(%(countries)s)"]
    params: dict = {"countries": countries, "limit": limit}
    if not include_restricted:
        where.append("NOT restricted")
    for column in ("status", "category_code", "assignee", "team", "country", "deadline_state", "channel",
                   "restricted", "contact_ref"):
        if filters.get(column) is not None:
            where.append(f"{column} = %({column})s")
            params[column] = filters[column]
    if filters.get("unassigned"):
        where.append("assignee IS NULL")
    if filters.get("no_team"):
        where.append("team IS NULL")
    if filters.get("confirmed") is not None:
        where.append("classification_confirmed = %(confirmed)s")
        params["confirmed"] = filters["confirmed"]
    if filters.get("received_from") is not None:
        where.append("received_at >= %(received_from)s")
        params["received_from"] = filters["received_from"]
    if filters.get("received_to") is not None:
        where.append("received_at < %(received_to)s")
        params["received_to"] = filters["received_to"]
    if after is not None:
        where.append("(queue_due_at, case_id) > (%(after_due)s, %(after_id)s)")
        params["after_due"], params["after_id"] = after
    rows = conn.execute(
        f"""SELECT {', '.join(LIST_COLUMNS)} FROM cases WHERE {' AND '.join(where)}
            ORDER BY queue_due_at, case_id LIMIT %(limit)s""", params).fetchall()
    return [dict(zip(LIST_COLUMNS, row)) for row in rows]


def deadline_board(conn, *, countries: list[str], include_restricted: bool) -> list[dict]:
    """Cases in warning or breach, counted by country, team and assignee: the same cases the list's
    deadline_state filter finds, so that each count leads to exactly the list it counts."""
    rows = conn.execute(
        """SELECT country, team, assignee, deadline_state, count(*) FROM cases
           WHERE country = ANY(%(countries)s) AND deadline_state IN ('warning', 'breached')
             AND (%(include_restricted)s OR NOT restricted)
           GROUP BY country, team, assignee, deadline_state""",
        {"countries": countries, "include_restricted": include_restricted}).fetchall()
    return [dict(zip(("country", "team", "assignee", "deadline_state", "count"), row)) for row in rows]


# --- quality control -------------------------------------------------------------------------------------


def lock_quality_week(conn, country: str, week_start) -> bool:
    """Hold the week's draw for this transaction (two supervisors asking at once draw once); True when
    the week was drawn for good already."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('quality:' || %s || ':' || %s))",
                 [country, week_start.isoformat()])
    return conn.execute("SELECT 1 FROM quality_weeks WHERE country = %s AND week_start = %s",
                        [country, week_start]).fetchone() is not None


def closures(conn, country: str, start: datetime, end: datetime) -> list[dict]:
    """Cases of the country closed by a person in [start, end), not restricted now, each with its last
    closure in the period and who made it."""
    rows = conn.execute(
        """SELECT DISTINCT ON (h.case_id) h.case_id, c.reference, h.actor, h.at
           FROM case_history h JOIN cases c USING (case_id)
           WHERE h.action = 'status_changed' AND h.detail->>'to_status' = 'closed'
             AND h.at >= %s AND h.at < %s AND c.country = %s AND NOT c.restricted AND h.actor <> 'system'
           ORDER BY h.case_id, h.at DESC""", [start, end, country]).fetchall()
    return [dict(zip(("case_id", "reference", "agent", "closed_at"), row)) for row in rows]


def sampled_case_ids(conn, country: str, week_start, reason: str | None = None) -> set[UUID]:
    """The week's listed cases (only those listed for this reason, when given)."""
    rows = conn.execute("""SELECT case_id FROM quality_samples WHERE country = %s AND week_start = %s
                           AND (%s::text IS NULL OR reason = %s)""",
                        [country, week_start, reason, reason]).fetchall()
    return {row[0] for row in rows}


def add_to_sample(conn, country: str, week_start, closure: dict, at: datetime) -> None:
    conn.execute(
        """INSERT INTO quality_samples (country, week_start, case_id, reference, agent, closed_at, drawn_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        [country, week_start, closure["case_id"], closure["reference"], closure["agent"], closure["closed_at"], at])


def mark_week_drawn(conn, country: str, week_start, at: datetime) -> None:
    conn.execute("INSERT INTO quality_weeks (country, week_start, drawn_at) VALUES (%s, %s, %s)",
                 [country, week_start, at])


SAMPLE_COLUMNS = ("case_id", "reference", "agent", "closed_at", "category_code", "response_channel", "restricted",
                  "reviewer", "score", "comment", "reviewed_at", "reason")


def quality_sample(conn, country: str, week_start) -> list[dict]:
    rows = conn.execute(
        """SELECT s.case_id, s.reference, s.agent, s.closed_at, c.category_code, c.response_channel, c.restricted,
                  r.reviewer, r.score, r.comment, r.reviewed_at, s.reason
           FROM quality_samples s JOIN cases c USING (case_id)
           LEFT JOIN quality_reviews r
                  ON r.country = s.country AND r.week_start = s.week_start AND r.case_id = s.case_id
           WHERE s.country = %s AND s.week_start = %s
           ORDER BY s.agent, s.closed_at, s.reference""", [country, week_start]).fetchall()
    return [dict(zip(SAMPLE_COLUMNS, row)) for row in rows]


def latest_sampling(conn, case_id: UUID) -> dict | None:
    """The most recent week the case was sampled in."""
    row = conn.execute("""SELECT country, week_start FROM quality_samples WHERE case_id = %s
                          ORDER BY week_start DESC LIMIT 1""", [case_id]).fetchone()
    return dict(zip(("country", "week_start"), row)) if row else None


def save_review(conn, country: str, week_start, case_id: UUID, reviewer: str, score: int, comment: str | None,
                at: datetime) -> None:
    conn.execute(
        """INSERT INTO quality_reviews (country, week_start, case_id, reviewer, score, comment, reviewed_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (country, week_start, case_id) DO UPDATE SET reviewer = EXCLUDED.reviewer,
               score = EXCLUDED.score, comment = EXCLUDED.comment, reviewed_at = EXCLUDED.reviewed_at""",
        [country, week_start, case_id, reviewer, score, comment, at])


# --- audit and clock ---------------------------------------------------------------------------------------


def audit(conn, *, actor: str, role: str, action: str, case_id: UUID | None, reference: str | None,
          client_address: str | None, user_agent: str | None, detail: dict | None = None) -> None:
    conn.execute(
        """INSERT INTO audit_log (actor, role, action, case_id, reference, client_address, user_agent, detail)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        [actor, role, action, case_id, reference, client_address, user_agent, Jsonb(detail or {})])


def audit_entries(conn, case_id: UUID) -> list[dict]:
    """A case's audit rows, oldest first: who, in which role, did or read what, when."""
    rows = conn.execute("SELECT at, actor, role, action FROM audit_log WHERE case_id = %s ORDER BY id",
                        [case_id]).fetchall()
    return [dict(zip(("at", "actor", "role", "action"), row)) for row in rows]


def clock_offset_seconds(conn) -> float:
    row = conn.execute("SELECT offset_seconds FROM clock_offset").fetchone()
    return row[0] if row else 0.0


def set_clock_offset(conn, seconds: float) -> None:
    conn.execute("""INSERT INTO clock_offset (singleton, offset_seconds) VALUES (true, %s)
                    ON CONFLICT (singleton) DO UPDATE SET offset_seconds = EXCLUDED.offset_seconds""", [seconds])


# --- appointments at a reception centre (appointments.py) ---------------------------------------------

APPOINTMENT_FIELDS = ("appointment_id", "reference", "country", "centre_id", "starts_at", "ends_at", "state",
                      "booked_at", "booked_by", "cancelled_by", "changed_at", "case_id", "restricted", "contact_ref",
                      "feedback_id", "contact_verified", "language", "consent_callback")
_APPOINTMENT_COLUMNS = """a.appointment_id, c.reference, a.country, a.centre_id, a.starts_at, a.ends_at, a.state,
                          a.booked_at, a.booked_by, a.cancelled_by, a.changed_at, c.case_id, c.restricted,
                          c.contact_ref, c.feedback_id, c.contact_verified, c.language, c.consent_callback"""


def _appointments(rows) -> list[dict]:
    return [dict(zip(APPOINTMENT_FIELDS, row)) for row in rows]


def booked_places(conn, centre_id: str, starts: list[datetime]) -> dict[datetime, int]:
    return dict(conn.execute("SELECT starts_at, booked FROM appointment_slots WHERE centre_id = %s AND starts_at = ANY(%s)",
                             [centre_id, starts]).fetchall())


def take_place(conn, centre_id: str, starts_at: datetime, capacity: int) -> bool:
    """One place of the slot, if one is left. The upsert's row lock makes a second booking of the last place
    wait for the first, then find the slot full."""
    return conn.execute(
        """INSERT INTO appointment_slots (centre_id, starts_at, capacity, booked) VALUES (%s, %s, %s, 1)
           ON CONFLICT (centre_id, starts_at) DO UPDATE
              SET booked = appointment_slots.booked + 1, capacity = excluded.capacity
            WHERE appointment_slots.booked < excluded.capacity
           RETURNING booked""", [centre_id, starts_at, capacity]).fetchone() is not None


def free_place(conn, centre_id: str, starts_at: datetime) -> None:
    conn.execute("UPDATE appointment_slots SET booked = booked - 1 WHERE centre_id = %s AND starts_at = %s",
                 [centre_id, starts_at])


def has_upcoming_appointment(conn, case_id: UUID, now: datetime) -> bool:
    return conn.execute("SELECT 1 FROM appointments WHERE case_id = %s AND state = 'booked' AND starts_at > %s",
                        [case_id, now]).fetchone() is not None


def insert_appointment(conn, *, appointment_id: UUID, case_id: UUID, country: str, centre_id: str,
                       starts_at: datetime, ends_at: datetime, booked_at: datetime, booked_by: str) -> dict:
    conn.execute("""INSERT INTO appointments (appointment_id, case_id, country, centre_id, starts_at, ends_at,
                                              booked_at, booked_by)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                 [appointment_id, case_id, country, centre_id, starts_at, ends_at, booked_at, booked_by])
    return find_appointment(conn, appointment_id)


def find_appointment(conn, appointment_id: UUID, *, lock: bool = False) -> dict | None:
    """An appointment with its case's facts; `lock` holds the appointment until the transaction ends."""
    found = _appointments(conn.execute(
        f"""SELECT {_APPOINTMENT_COLUMNS} FROM appointments a JOIN cases c USING (case_id)
            WHERE a.appointment_id = %s""" + (" FOR UPDATE OF a" if lock else ""), [appointment_id]).fetchall())
    return found[0] if found else None


def next_appointment_of_contact(conn, contact_ref: UUID, now: datetime) -> dict | None:
    """The contact's next booked appointment still to come, locked."""
    found = _appointments(conn.execute(
        f"""SELECT {_APPOINTMENT_COLUMNS} FROM appointments a JOIN cases c USING (case_id)
            WHERE c.contact_ref = %s AND a.state = 'booked' AND a.starts_at > %s
            ORDER BY a.starts_at LIMIT 1 FOR UPDATE OF a""", [contact_ref, now]).fetchall())
    return found[0] if found else None


def change_appointment(conn, appointment_id: UUID, state: str, at: datetime, by: str,
                       cancelled_by: str | None = None) -> None:
    conn.execute("""UPDATE appointments SET state = %s, changed_at = %s, changed_by = %s, cancelled_by = %s
                    WHERE appointment_id = %s""", [state, at, by, cancelled_by, appointment_id])


def appointments_between(conn, centre_id: str, start: datetime, end: datetime, *, restricted_too: bool,
                         limit: int) -> list[dict]:
    return _appointments(conn.execute(
        f"""SELECT {_APPOINTMENT_COLUMNS} FROM appointments a JOIN cases c USING (case_id)
            WHERE a.centre_id = %s AND a.starts_at >= %s AND a.starts_at < %s AND (%s OR NOT c.restricted)
            ORDER BY a.starts_at, a.booked_at LIMIT %s""", [centre_id, start, end, restricted_too, limit]).fetchall())


def appointments_of_case(conn, case_id: UUID, limit: int) -> list[dict]:
    return _appointments(conn.execute(
        f"""SELECT {_APPOINTMENT_COLUMNS} FROM appointments a JOIN cases c USING (case_id)
            WHERE a.case_id = %s ORDER BY a.starts_at DESC LIMIT %s""", [case_id, limit]).fetchall())


def case_version(conn, case_id: UUID) -> int:
    return conn.execute("SELECT version FROM cases WHERE case_id = %s", [case_id]).fetchone()[0]


# --- satisfaction surveys (services/cases/satisfaction.py) ----------------------------------------------


def find_case_by_id(conn, case_id: UUID) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(READ_COLUMNS)} FROM cases WHERE case_id = %s", [case_id]).fetchone()
    return dict(zip(READ_COLUMNS, row)) if row else None


def insert_survey(conn, *, survey_id: UUID, case_id: UUID, contact_ref: UUID, country: str, asked_at: datetime,
                  answer_by: datetime) -> bool:
    """The case's one survey; False when it has one already."""
    return conn.execute(
        """INSERT INTO satisfaction_surveys (survey_id, case_id, contact_ref, country, asked_at, answer_by)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (case_id) DO NOTHING""",
        [survey_id, case_id, contact_ref, country, asked_at, answer_by]).rowcount == 1


def open_survey_of(conn, contact_ref: UUID, received_at: datetime) -> dict | None:
    """The contact's latest unanswered survey asked before this reply, locked for answering."""
    row = conn.execute(
        """SELECT survey_id, case_id, asked_at, answer_by FROM satisfaction_surveys
           WHERE contact_ref = %s AND answered_at IS NULL AND asked_at <= %s
           ORDER BY asked_at DESC LIMIT 1 FOR UPDATE""", [contact_ref, received_at]).fetchone()
    return dict(zip(("survey_id", "case_id", "asked_at", "answer_by"), row)) if row else None


def answer_survey(conn, survey_id: UUID, satisfied: bool, answered_at: datetime, reply_id: UUID) -> None:
    conn.execute("""UPDATE satisfaction_surveys SET satisfied = %s, answered_at = %s, reply_id = %s
                    WHERE survey_id = %s""", [satisfied, answered_at, reply_id, survey_id])


def last_closure(conn, case_id: UUID) -> dict | None:
    """Who closed the case last, and when."""
    row = conn.execute(
        """SELECT actor, at FROM case_history WHERE case_id = %s AND action = 'status_changed'
             AND detail->>'to_status' = 'closed' ORDER BY at DESC, id DESC LIMIT 1""", [case_id]).fetchone()
    return {"agent": row[0], "closed_at": row[1]} if row else None


def add_dissatisfied_to_sample(conn, country: str, week_start, closure: dict, at: datetime) -> None:
    """The case joins the week's review list because its complainant was not satisfied (drawn already:
    it stays, marked dissatisfied)."""
    conn.execute(
        """INSERT INTO quality_samples (country, week_start, case_id, reference, agent, closed_at, drawn_at, reason)
           VALUES (%s, %s, %s, %s, %s, %s, %s, 'dissatisfied')
           ON CONFLICT (country, week_start, case_id) DO UPDATE SET reason = 'dissatisfied'""",
        [country, week_start, closure["case_id"], closure["reference"], closure["agent"], closure["closed_at"], at])


# --- replies from a case (replies.py) --------------------------------------------------------------------


def insert_reply(conn, *, reply_id, case_id, template_id, channel, language, requested_at, requested_by) -> bool:
    return conn.execute(
        """INSERT INTO case_replies (reply_id, case_id, template_id, channel, language, requested_at, requested_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (reply_id) DO NOTHING""",
        [reply_id, case_id, template_id, channel, language, requested_at, requested_by]).rowcount == 1


def find_reply(conn, reply_id, *, lock: bool = False) -> dict | None:
    """The reply with its case's current version (for the timeline entry); `lock` holds the reply's row."""
    row = conn.execute(
        """SELECT r.case_id, r.channel, r.state, c.version FROM case_replies r JOIN cases c USING (case_id)
           WHERE r.reply_id = %s""" + (" FOR UPDATE OF r" if lock else ""), [reply_id]).fetchone()
    return dict(zip(("case_id", "channel", "state", "version"), row)) if row else None


def record_reply_state(conn, reply_id, state: str, reason: str | None, at) -> None:
    conn.execute("UPDATE case_replies SET state = %s, withheld_reason = %s, state_at = %s WHERE reply_id = %s",
                 [state, reason, at, reply_id])
