"""Retention: how long each kind of data is kept, per country, and the job that removes (or
anonymises) what has outlived its period.

A *kind* is one sort of row a service keeps (published outbox rows, processed-message ids, raw
provider payloads, closed cases...). Every service runs the chassis's generic kinds and adds its
own (`PlatformService.retention_kinds`). A kind selects its rows by one time column against a
cutoff (`now - period`); a per-country kind does so once per configured country, with that
country's period. The periods are settings (`retention.periods`, overridden per country under
`retention.countries.<CC>`); a period of `null` keeps that kind forever.

Each run of a kind is written to the service's `retention_runs` table (kind, country, rows,
cutoff, when) and counted in `cfm_retention_rows_total{service,kind}`: labels name kinds, never
anything a person wrote. What a run would take now, per kind, changing nothing, is `dry_run`: the
one answer of `make retention-preview COUNTRY=GN` and of every service's `GET /admin/retention/preview`.
"""
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Callable

from chassis import metrics
from chassis.settings import RetentionSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionKind:
    """One sort of row with a retention period.

    `count(conn, due)` says how many rows are past the step's cutoff; `apply(uow, due, limit)` removes
    or anonymises at most `limit` of them in the unit of work and returns how many. `restricted`: its
    rows are restricted cases, whose number is withheld from whoever may not open them."""

    name: str
    per_country: bool
    count: Callable
    apply: Callable
    restricted: bool = False


@dataclass(frozen=True)
class Due:
    """One step of a run: `kind` in `country` (None: a kind that is not per country), rows older than
    `cutoff`; `settings` are the service's (a kind may need its country's endpoints)."""

    kind: RetentionKind
    country: str | None
    cutoff: datetime
    settings: object = None
    days: int | None = None


def plan(settings, kinds, now: datetime) -> list[Due]:
    """What a run at `now` looks at: each kind with a period, once per configured country for a
    per-country kind."""
    retention: RetentionSettings = settings.retention
    steps = []
    for kind in kinds:
        for country in (sorted(settings.countries) if kind.per_country else [None]):
            days = retention.days(kind.name, country)
            if days is not None:
                steps.append(Due(kind, country, now - timedelta(days=days), settings, days))
    return steps


def run(unit_of_work, service: str, settings, kinds, now: datetime | None = None) -> list[dict]:
    """Apply every due kind, in batches of committed transactions; log each step in retention_runs.
    Returns one summary per step: {kind, country, rows}."""
    now = now or datetime.now(UTC)
    summaries = []
    for step in plan(settings, kinds, now):
        started = datetime.now(UTC)
        total = 0
        while True:
            with unit_of_work() as uow:
                done = step.kind.apply(uow, step, settings.retention.batch_size)
            total += done
            if done < settings.retention.batch_size:
                break
        with unit_of_work() as uow:
            uow.execute("""INSERT INTO retention_runs (kind, country, rows_affected, cutoff, started_at)
                           VALUES (%s, %s, %s, %s, %s)""", [step.kind.name, step.country, total, step.cutoff, started])
        metrics.RETENTION_ROWS.labels(service, step.kind.name).inc(total)
        metrics.RETENTION_LAST_RUN.labels(service, step.kind.name).set_to_current_time()
        if total:
            log.info("retention applied", extra={"kind": step.kind.name, "country": step.country, "rows": total})
        summaries.append({"kind": step.kind.name, "country": step.country, "rows": total})
    return summaries


def kinds_of(service) -> tuple[RetentionKind, ...]:
    """Every kind a service (its class) keeps with a period: the chassis's and its own."""
    return GENERIC_KINDS + tuple(getattr(service, "retention_kinds", ()))


def preview(conn, settings, kinds, now: datetime | None = None, country: str | None = None,
            sees_restricted: bool = True) -> list[dict]:
    """What a run would take now: {kind, country, days, cutoff, rows} per step, of one country (and the
    kinds that are not per country) when `country` is given. A restricted kind's `rows` is None unless
    `sees_restricted`: such a count is not even run."""
    now = now or datetime.now(UTC)
    rows = []
    for step in plan(settings, kinds, now):
        if country is not None and step.country not in (None, country):
            continue
        shown = sees_restricted or not step.kind.restricted
        rows.append({"kind": step.kind.name, "country": step.country, "days": step.days, "cutoff": step.cutoff,
                     "rows": step.kind.count(conn, step) if shown else None})
    return rows


def dry_run(conn, settings, kinds, country: str | None = None, now: datetime | None = None,
            sees_restricted: bool = True) -> list[dict]:
    """`preview` in a read-only transaction rolled back at the end, on a connection that has no open
    transaction: whatever a kind's count does, nothing changes. The make target and the services'
    preview endpoint both answer with this, so the two cannot disagree."""
    try:
        conn.execute("SET TRANSACTION READ ONLY")
        return preview(conn, settings, kinds, now, country, sees_restricted)
    finally:
        conn.rollback()


# --- the kinds every service has ---------------------------------------------------------------------

def _count_outbox(conn, due: Due) -> int:
    return conn.execute("""SELECT count(*) FROM outbox WHERE published_at < %s AND body->>'country' = %s""",
                        [due.cutoff, due.country]).fetchone()[0]


def _delete_outbox(uow, due: Due, limit: int) -> int:
    return uow.execute("""DELETE FROM outbox WHERE id IN (
                              SELECT id FROM outbox WHERE published_at < %s AND body->>'country' = %s
                              LIMIT %s FOR UPDATE SKIP LOCKED)""", [due.cutoff, due.country, limit]).rowcount


def _count_processed(conn, due: Due) -> int:
    return conn.execute("SELECT count(*) FROM processed_messages WHERE processed_at < %s",
                        [due.cutoff]).fetchone()[0]


def _delete_processed(uow, due: Due, limit: int) -> int:
    return uow.execute("""DELETE FROM processed_messages WHERE (consumer, message_id) IN (
                              SELECT consumer, message_id FROM processed_messages WHERE processed_at < %s
                              LIMIT %s FOR UPDATE SKIP LOCKED)""", [due.cutoff, limit]).rowcount


OUTBOX_PUBLISHED = RetentionKind("outbox_published", per_country=True, count=_count_outbox, apply=_delete_outbox)
PROCESSED_MESSAGES = RetentionKind("processed_messages", per_country=False, count=_count_processed,
                                   apply=_delete_processed)
GENERIC_KINDS = (OUTBOX_PUBLISHED, PROCESSED_MESSAGES)

