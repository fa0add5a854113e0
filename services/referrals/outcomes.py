"""Referral outcomes: the partner who accepted a referral records what happened (service provided,
person not reached, referred on, closed) and on which day; cases puts it on the case's timeline
(ReferralOutcomeRecorded). An accepted referral still without an outcome after `outcome_due_days`
reminds a focal point once (ReferralOutcomeDue). The partner's note stays in this service: it is free
text about a person, so it travels on no event and into no log; only the audit log says one was written.

Its SQL lives here, beside the rules, like consent.py's: the outcome tables are this module's alone."""
from datetime import date, datetime, timedelta
from uuid import UUID

from psycopg.types.json import Jsonb

from chassis.errors import ApiError
from contracts.events import ReferralOutcomeDue, ReferralOutcomeRecorded
from contracts.http import RecordReferralOutcome

REMINDER_BATCH = 500


def outcome_date_problem(on: date, referred_at: datetime, today: date) -> str | None:
    """Why a partner's outcome date cannot be right, or None. `today`: see latest_today."""
    if on > today:
        return "in the future"
    if on < referred_at.date():
        return "before the referral"
    return None


def latest_today(now: datetime) -> date:
    """The date in the time zone furthest ahead of UTC: a partner's true "today" is never refused."""
    return (now + timedelta(hours=14)).date()


def record_outcome(uow, referral_id: UUID, body: RecordReferralOutcome, *, partner_id: str, countries,
                   recorded_by: str, now: datetime) -> None:
    """The outcome, its audit row and its event commit together; one outcome per referral."""
    with uow:
        row = uow.execute(
            """SELECT case_id, reference, country, status, created_at FROM referrals
               WHERE referral_id = %s AND partner_id = %s AND country = ANY(%s) FOR UPDATE""",
            [referral_id, partner_id, sorted(countries)]).fetchone()
        if row is None:
            raise ApiError(404, "referral_not_found", "There is no referral with this id for your organisation.")
        case_id, reference, country, status, created_at = row
        if status != "accepted":
            raise ApiError(409, "referral_not_accepted", "Accept the referral before recording its outcome.")
        if problem := outcome_date_problem(body.on, created_at, latest_today(now)):
            raise ApiError(422, "invalid_outcome_date", f"The outcome's date cannot be {problem}.",
                           [{"field": "on", "reason": problem}])
        inserted = uow.execute(
            """INSERT INTO referral_outcomes (referral_id, outcome, outcome_on, note, recorded_at, recorded_by)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (referral_id) DO NOTHING""",
            [referral_id, body.outcome, body.on, body.note or None, now, recorded_by]).rowcount
        if not inserted:
            raise ApiError(409, "outcome_already_recorded", "This referral's outcome was recorded already.")
        uow.execute(
            """INSERT INTO audit_log (at, actor, role, action, referral_id, reference, detail)
               VALUES (%s, %s, 'partner', 'outcome_recorded', %s, %s, %s)""",
            [now, recorded_by, referral_id, reference,
             Jsonb({"partner_id": partner_id, "outcome": body.outcome, "on": body.on.isoformat(),
                    "with_note": bool(body.note)})])
        uow.emit(ReferralOutcomeRecorded(
            referral_id=referral_id, case_id=case_id, reference=reference, partner_id=partner_id,
            outcome=body.outcome, outcome_on=body.on, recorded_at=now, recorded_by=recorded_by,
        ), country=country)


def remind_outcomes_due(uow, due_days: int, now: datetime) -> int:
    """Mark the accepted referrals without an outcome for `due_days`, once each, with their event in the same
    transaction. SKIP LOCKED: one being recorded right now is left to the next scan."""
    with uow:
        rows = uow.execute(
            """UPDATE referrals SET outcome_reminded_at = %(now)s
               WHERE referral_id IN (
                   SELECT r.referral_id FROM referrals r
                   WHERE r.status = 'accepted' AND r.outcome_reminded_at IS NULL AND r.answered_at <= %(due)s
                     AND NOT EXISTS (SELECT 1 FROM referral_outcomes o WHERE o.referral_id = r.referral_id)
                   ORDER BY r.answered_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED)
               RETURNING referral_id, case_id, reference, country, partner_id, answered_at""",
            {"now": now, "due": now - timedelta(days=due_days), "batch": REMINDER_BATCH}).fetchall()
        for referral_id, case_id, reference, country, partner_id, answered_at in rows:
            uow.emit(ReferralOutcomeDue(referral_id=referral_id, case_id=case_id, reference=reference,
                                        partner_id=partner_id, accepted_at=answered_at, reminded_at=now),
                     country=country)
    return len(rows)


def outcomes_of(conn, referral_ids: list) -> dict:
    """What the referral views show of the outcome: {referral_id: {outcome, outcome_on, outcome_due}} (no note)."""
    rows = conn.execute(
        """SELECT r.referral_id, o.outcome, o.outcome_on, r.outcome_reminded_at IS NOT NULL AND o.referral_id IS NULL
           FROM referrals r LEFT JOIN referral_outcomes o USING (referral_id)
           WHERE r.referral_id = ANY(%s)""", [list(referral_ids)]).fetchall()
    return {referral_id: {"outcome": outcome, "outcome_on": outcome_on, "outcome_due": due}
            for referral_id, outcome, outcome_on, due in rows}
