"""What every service has: database, tracing, health, metrics (on a port of their own, see
chassis.server.MetricsServer) and the operator's view of parked messages, of the outbox's lag and of what
the retention job would take. Services subclass `PlatformService`."""
import logging
from datetime import UTC, datetime

from kombu import Connection
from nameko.extensions import DependencyProvider

from chassis import messaging, metrics, retention
from chassis.outbox import outbox_lag
from chassis.amqp import queue_consumer_of
from chassis.db import Database
from chassis.errors import ApiError
from chassis.http import api, json_response
from chassis.server import MetricsServer
from chassis.timers import SettingsTimer
from chassis.tracing import Tracing
from contracts.http import Health, OutboxLag, ParkedMessage, ParkedMessages, RetentionDue, RetentionPreview

log = logging.getLogger(__name__)


class Settings(DependencyProvider):
    """The service's typed settings, read once at start-up."""

    def get_dependency(self, worker_ctx):
        return self.container.config["SETTINGS"]


def _parked_scope(principal) -> frozenset[str] | None:
    """ops see and replay the parked messages of their token's countries; an admin sees all."""
    return None if principal.role == "admin" else principal.countries


class ConsumerHealth(DependencyProvider):
    """How the service's consumers are doing: `(readiness, liveness)`, each "ok" or why not."""

    def get_dependency(self, worker_ctx):
        consumer = queue_consumer_of(self.container)
        stall_seconds = self.container.config["SETTINGS"].amqp.stall_seconds
        return lambda: consumer.health(stall_seconds) if consumer is not None else ("ok", "ok")


class PlatformService:
    name: str

    settings = Settings()
    db = Database()
    tracing = Tracing()
    metrics_server = MetricsServer()  # /metrics, on http.metrics_port only
    consumer_health = ConsumerHealth()

    # The service's own kinds of data with a retention period, beside the chassis's generic ones.
    retention_kinds: tuple[retention.RetentionKind, ...] = ()

    @SettingsTimer.decorator("retention.run_seconds")
    def apply_retention(self):
        if self.settings.retention.enabled:
            retention.run(self.db, self.name, self.settings, retention.kinds_of(self))

    @api("GET", "/health/live", public=True)
    def health_live(self, request):
        """Fails when the process is wedged (its consumer stopped or stuck), so that it is restarted;
        a broker or database that is away is readiness's business, not a reason to restart."""
        _, live = self.consumer_health()
        if live != "ok":
            return json_response(Health(status="unavailable", checks={"consumers": live}), 503)
        return Health(status="ok")

    @api("GET", "/health/ready", public=True)
    def health_ready(self, request):
        consumers, _ = self.consumer_health()
        checks = {"database": self._check_database(), "broker": self._check_broker(), "consumers": consumers}
        checks.update(self.readiness_checks())
        ready = all(value == "ok" for value in checks.values())
        return json_response(Health(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503)

    def readiness_checks(self) -> dict[str, str]:
        """More checks a service needs to be ready (for example Elasticsearch)."""
        return {}

    def _check_database(self) -> str:
        try:
            with self.db() as uow:
                uow.execute("SELECT 1")
            return "ok"
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}"

    def _check_broker(self) -> str:
        try:
            with Connection(self.settings.amqp.uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            return "ok"
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}"

    @api("GET", "/admin/outbox", roles=("ops", "admin"))
    def read_outbox_lag(self, request, principal):
        """Counts and an age only: nothing of the events themselves, so no country scope is needed."""
        with self.db() as uow:
            return OutboxLag(**outbox_lag(uow.conn))

    @api("GET", "/admin/parked", roles=("ops", "admin"))
    def list_parked_messages(self, request, principal):
        with self.db() as uow:
            rows = messaging.list_parked(uow.conn, _parked_scope(principal))
        return ParkedMessages(parked=[ParkedMessage(**row) for row in rows])

    @api("POST", "/admin/parked/<int:parked_id>/replay", roles=("ops", "admin"))
    def replay_parked_message(self, request, parked_id, principal):
        with self.db() as uow:
            replayed = messaging.replay_parked(uow.conn, self.settings.amqp.uri, parked_id, _parked_scope(principal))
        if not replayed:
            raise ApiError(404, "not_found", "There is no parked message with this id.")
        metrics.PARKED_NOW.labels(self.name).dec()
        log.info("parked message replayed", extra={"message_id": str(parked_id)})
        return 202, Health(status="replayed")

    @api("GET", "/admin/retention/preview", roles=("ops", "admin"))
    def preview_retention(self, request, principal):
        """What the retention job would take now in one country, changing nothing (as `make
        retention-preview`). Scoped as the parked messages: ops their token's countries, an admin any."""
        country = (request.args.get("country") or "").upper()
        if country not in self.settings.countries:
            raise ApiError(400, "country_required", "Name a configured country, e.g. ?country=GN.")
        if _parked_scope(principal) is not None:
            principal.require_country(country)
        return self.retention_preview(country, principal.sees_restricted_cases)

    def retention_preview(self, country: str, sees_restricted: bool) -> RetentionPreview:
        now = datetime.now(UTC)
        with self.db() as uow:
            rows = retention.dry_run(uow.conn, self.settings, retention.kinds_of(self), country, now, sees_restricted)
        return RetentionPreview(service=self.name, country=country, previewed_at=now, kinds=[
            RetentionDue(kind=row["kind"], country=row["country"], period_days=row["days"], cutoff=row["cutoff"],
                         rows=row["rows"], withheld=row["rows"] is None) for row in rows])
